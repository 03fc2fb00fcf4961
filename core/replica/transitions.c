/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/transitions.c - leader and follower transitions as images
 * arrive (Kafka's ReplicaManager.applyDelta), on the applier thread after
 * the local logs follow the image. Only partitions of more than one
 * replica hosted here take part: RF=1 partitions keep the standalone
 * behaviour (not replicated, HW with each append).
 *
 *   leader here, new epoch  stop fetching it (synchronously), then
 *                           set_replicated + become_leader, followers
 *                           reset (leader_state.c);
 *   same epoch              ISR and liveness from the image;
 *   follower, new epoch or  set_replicated + become_follower, then a
 *   new leader              fetcher fetches it from the leader;
 *   no leader               stop fetching; wait for the next image;
 *   gone from here          stop fetching, forget the leader state.
 */
#define _GNU_SOURCE /* twalk_r */
#include <search.h>
#include <stdlib.h>

#include "replica/replica_int.h"
#include "util/clock.h"
#include "util/log.h"

/* A partition followed here (applier thread only). */
typedef struct followed {
    samsa_partition_t *part; /* key */
    samsa_topic_t *topic;    /* held */
    int32_t leader;
    int32_t epoch;
    uint64_t seen;
} followed_t;

static int followed_cmp(const void *a, const void *b)
{
    const samsa_partition_t *pa = ((const followed_t *)a)->part;
    const samsa_partition_t *pb = ((const followed_t *)b)->part;
    return pa < pb ? -1 : pa > pb;
}

static followed_t *followed_find(samsa_replica_mgr_t *rm,
                                 samsa_partition_t *part)
{
    followed_t key = {.part = part};
    followed_t **found = tfind(&key, &rm->followed_root, followed_cmp);
    return found ? *found : NULL;
}

static void unfollow(samsa_replica_mgr_t *rm, followed_t *fw)
{
    samsa_fetcher_remove(
        samsa_fetcher_for(rm, fw->topic->name, samsa_partition_index(fw->part)),
        fw->part);
    tdelete(fw, &rm->followed_root, followed_cmp);
    samsa_topic_put(fw->topic);
    free(fw);
}

static void follow(samsa_replica_mgr_t *rm, samsa_topic_t *topic,
                   samsa_partition_t *part, const samsa_meta_partition_t *mp,
                   const samsa_meta_image_t *img)
{
    followed_t *fw = followed_find(rm, part);
    bool newer =
        !fw || fw->epoch != mp->leader_epoch || fw->leader != mp->leader;
    if (fw) {
        fw->seen = img->index;
    }
    if (!newer) {
        return;
    }
    if (!fw) {
        fw = calloc(1, sizeof(*fw));
        if (!fw) {
            return;
        }
        fw->part = part;
        fw->topic = topic;
        samsa_topic_hold(topic);
        if (!tsearch(fw, &rm->followed_root, followed_cmp)) {
            samsa_topic_put(topic);
            free(fw);
            return;
        }
    }
    fw->leader = mp->leader;
    fw->epoch = mp->leader_epoch;
    fw->seen = img->index;
    samsa_led_drop(rm, part); /* no leader bookkeeping moves its HW now */
    samsa_partition_set_replicated(part, true);
    samsa_err_t err = samsa_partition_become_follower(part, mp->leader_epoch);
    samsa_fetcher_t *fetcher =
        samsa_fetcher_for(rm, topic->name, samsa_partition_index(part));
    const samsa_meta_broker_t *lb =
        mp->leader >= 0 ? samsa_meta_broker(img, mp->leader) : NULL;
    if (err != SAMSA_OK || !lb) {
        samsa_fetcher_remove(fetcher, part);
        if (err != SAMSA_OK) {
            samsa_log(SAMSA_LOG_ERROR,
                      "replica: %s-%d: cannot become follower of epoch %d: "
                      "%s",
                      topic->name, samsa_partition_index(part),
                      mp->leader_epoch, samsa_err_str(err));
        }
        return;
    }
    samsa_log(SAMSA_LOG_INFO,
              "replica: follower of %s-%d in epoch %d, fetching from "
              "broker %d",
              topic->name, samsa_partition_index(part), mp->leader_epoch,
              mp->leader);
    samsa_fetcher_add(fetcher, topic, part, mp->leader, lb->host, lb->port,
                      mp->leader_epoch);
}

static void apply_partition(samsa_replica_mgr_t *rm, samsa_topic_t *topic,
                            const samsa_meta_topic_t *t, int32_t index,
                            const samsa_meta_image_t *img)
{
    const samsa_meta_partition_t *mp = &t->partitions[index];
    int32_t me = rm->b->node_id;
    samsa_partition_t *part = samsa_topic_partition(topic, index);
    if (part && mp->replica_count == 1 && mp->leader == me &&
        samsa_partition_leader_epoch(part) != mp->leader_epoch) {
        /* Led alone: nothing to track, but each leader epoch starts in
         * the leader-epoch cache (Kafka's Partition.makeLeader), so
         * OffsetForLeaderEpoch and the stamps of new batches follow the
         * epochs a restart or a move begins. */
        samsa_err_t err = samsa_partition_become_leader(part, mp->leader_epoch);
        if (err != SAMSA_OK) {
            samsa_log(SAMSA_LOG_ERROR,
                      "replica: %s-%d: cannot become leader of epoch %d: %s",
                      t->name, index, mp->leader_epoch, samsa_err_str(err));
        }
        return;
    }
    if (!part || mp->replica_count <= 1 ||
        !samsa_replica_has(mp->replicas, mp->replica_count, me)) {
        return;
    }
    if (mp->leader == me) {
        followed_t *fw = followed_find(rm, part);
        if (fw) {
            unfollow(rm, fw); /* no fetcher appends once we lead */
        }
        samsa_led_install(rm, topic, part, t, index, img);
    } else {
        follow(rm, topic, part, mp, img);
    }
}

typedef struct sweep {
    followed_t **items;
    size_t n, cap;
} sweep_t;

static void collect_followed(const void *nodep, VISIT which, void *arg)
{
    sweep_t *s = arg;
    if (which != postorder && which != leaf) {
        return;
    }
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        followed_t **n = realloc(s->items, ncap * sizeof(*n));
        if (!n) {
            return;
        }
        s->items = n;
        s->cap = ncap;
    }
    s->items[s->n++] = *(followed_t *const *)nodep;
}

/* Followed partitions the image no longer has us follow. */
static void sweep_followed(samsa_replica_mgr_t *rm, uint64_t seen, bool all)
{
    sweep_t s = {0};
    twalk_r(rm->followed_root, collect_followed, &s);
    for (size_t i = 0; i < s.n; i++) {
        if (all || s.items[i]->seen != seen) {
            unfollow(rm, s.items[i]);
        }
    }
    free(s.items);
}

/* Partitions this image makes this broker take over (a leader epoch it
 * does not lead yet). */
typedef struct takeover {
    samsa_partition_t **parts;
    int32_t *epochs;
    size_t n, cap;
} takeover_t;

static void takeover_add(takeover_t *to, samsa_partition_t *part, int32_t epoch)
{
    if (to->n == to->cap) {
        size_t ncap = to->cap ? to->cap * 2 : 64;
        samsa_partition_t **np = realloc(to->parts, ncap * sizeof(*np));
        if (np) {
            to->parts = np;
        }
        int32_t *ne = np ? realloc(to->epochs, ncap * sizeof(*ne)) : NULL;
        if (!ne) {
            return; /* led_install takes this one over alone */
        }
        to->epochs = ne;
        to->cap = ncap;
    }
    to->parts[to->n] = part;
    to->epochs[to->n++] = epoch;
}

/*
 * A failover hands this broker many partitions in one image: each becomes
 * leader only once its leader-epoch checkpoint is durable, and one fsync
 * after another took about 10 ms a partition (10 s for 1,000, past the
 * 2 s a Produce waits for a takeover). They are written together first
 * (samsa_partitions_become_leader), after their fetchers stopped (no
 * fetcher appends once we lead); led_install (or, for RF 1,
 * apply_partition) then finds the epoch written and only installs the
 * leader state. RF 1 partitions take part: a one-voter node's restart
 * begins a new epoch for every partition.
 */
static void take_over(samsa_replica_mgr_t *rm, const samsa_meta_image_t *img)
{
    takeover_t to = {0};
    int32_t me = rm->b->node_id;
    for (size_t i = 0; i < img->topic_count; i++) {
        const samsa_meta_topic_t *t = &img->topics[i];
        if (!samsa_meta_topic_hosted(t, me)) {
            continue;
        }
        samsa_topic_t *topic = samsa_logmgr_topic_get(rm->b->logs, t->name);
        for (int32_t p = 0; topic && p < t->partition_count; p++) {
            const samsa_meta_partition_t *mp = &t->partitions[p];
            samsa_partition_t *part = samsa_topic_partition(topic, p);
            if (!part || mp->leader != me ||
                !samsa_replica_has(mp->replicas, mp->replica_count, me)) {
                continue;
            }
            /* RF 1: led alone, a new epoch only starts in the cache
             * (apply_partition); RF > 1: the leader state too. */
            int32_t have = mp->replica_count == 1
                               ? samsa_partition_leader_epoch(part)
                               : samsa_replica_leader_epoch(rm, part);
            if (have == mp->leader_epoch) {
                continue;
            }
            followed_t *fw = followed_find(rm, part);
            if (fw) {
                unfollow(rm, fw);
            }
            takeover_add(&to, part, mp->leader_epoch);
        }
        samsa_topic_put(topic);
    }
    if (to.n > 1) {
        int64_t started = samsa_mono_ms();
        samsa_err_t *errs = calloc(to.n, sizeof(*errs));
        if (errs) {
            /* Failures are logged there; led_install tries again. */
            samsa_partitions_become_leader(to.parts, to.epochs, to.n, errs);
        }
        free(errs);
        samsa_log(SAMSA_LOG_INFO,
                  "replica: taking over %zu partitions: leader-epoch "
                  "checkpoints written in %lld ms",
                  to.n, (long long)(samsa_mono_ms() - started));
    }
    free(to.parts);
    free(to.epochs);
}

void samsa_replica_apply_image(samsa_replica_mgr_t *rm,
                               const samsa_meta_image_t *img)
{
    if (!rm) {
        return;
    }
    take_over(rm, img);
    for (size_t i = 0; i < img->topic_count; i++) {
        const samsa_meta_topic_t *t = &img->topics[i];
        if (!samsa_meta_topic_hosted(t, rm->b->node_id)) {
            continue;
        }
        samsa_topic_t *topic = samsa_logmgr_topic_get(rm->b->logs, t->name);
        if (!topic) {
            continue;
        }
        for (int32_t p = 0; p < t->partition_count; p++) {
            apply_partition(rm, topic, t, p, img);
        }
        samsa_topic_put(topic);
    }
    /* A partition followed and led in this image is seen by one only. */
    sweep_followed(rm, img->index, false);
    samsa_led_sweep(rm, img->index, false);
}

void samsa_replica_forget_all(samsa_replica_mgr_t *rm)
{
    sweep_followed(rm, 0, true);
    samsa_led_sweep(rm, 0, true);
}
