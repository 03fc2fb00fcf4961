/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/leader_state.c - the leader's view of its replicated
 * partitions: the ISR (committed, and the maximal one while an addition is
 * pending), each follower's fetch state, the high watermark, and the
 * leader side of a follower's fetch. See replica.h.
 */
#define _GNU_SOURCE /* twalk_r */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "metadata/quorum.h"
#include "registry/metrics.h"
#include "replica/replica_int.h"
#include "util/clock.h"
#include "util/log.h"

static int led_cmp(const void *a, const void *b)
{
    const samsa_partition_t *pa = ((const samsa_led_t *)a)->part;
    const samsa_partition_t *pb = ((const samsa_led_t *)b)->part;
    return pa < pb ? -1 : pa > pb;
}

static void led_free(samsa_led_t *led)
{
    samsa_topic_put(led->topic);
    pthread_mutex_destroy(&led->lock);
    free(led->name);
    free(led->isr);
    free(led->maximal);
    free(led->proposed);
    free(led->fs);
    free(led->eligible);
    free(led);
}

void samsa_led_put(samsa_led_t *led)
{
    if (led && atomic_fetch_sub(&led->refs, 1) == 1) {
        led_free(led);
    }
}

samsa_led_t *samsa_led_get(samsa_replica_mgr_t *rm, samsa_partition_t *part)
{
    if (!rm) {
        return NULL;
    }
    samsa_led_t key = {.part = part};
    pthread_rwlock_rdlock(&rm->led_lock);
    samsa_led_t **found = tfind(&key, &rm->led_root, led_cmp);
    samsa_led_t *led = found ? *found : NULL;
    if (led) {
        atomic_fetch_add(&led->refs, 1);
    }
    pthread_rwlock_unlock(&rm->led_lock);
    return led;
}

static void led_remove(samsa_replica_mgr_t *rm, samsa_led_t *led)
{
    pthread_rwlock_wrlock(&rm->led_lock);
    bool was = tdelete(led, &rm->led_root, led_cmp) != NULL;
    pthread_rwlock_unlock(&rm->led_lock);
    if (was) {
        samsa_led_put(led); /* the tree's reference */
    }
}

void samsa_led_drop(samsa_replica_mgr_t *rm, samsa_partition_t *part)
{
    samsa_led_t *led = samsa_led_get(rm, part);
    if (led) {
        led_remove(rm, led);
        samsa_led_put(led);
    }
}

static int32_t *copy_ids(const int32_t *ids, int n)
{
    int32_t *out = calloc((size_t)(n > 0 ? n : 1), sizeof(*out));
    if (out && n > 0) {
        memcpy(out, ids, sizeof(*out) * (size_t)n);
    }
    return out;
}

/* Replace the committed ISR (and the maximal one, no addition pending). */
static bool set_isr(samsa_led_t *led, const int32_t *isr, int n)
{
    int32_t *a = copy_ids(isr, n);
    int32_t *m = copy_ids(isr, n);
    if (!a || !m) {
        free(a);
        free(m);
        return false;
    }
    free(led->isr);
    free(led->maximal);
    led->isr = a;
    led->nisr = n;
    led->maximal = m;
    led->nmax = n;
    led->alter_pending = false;
    return true;
}

static void set_eligible(samsa_led_t *led, const samsa_meta_image_t *img)
{
    for (int i = 0; i < led->nf; i++) {
        const samsa_meta_broker_t *mb = samsa_meta_broker(img, led->fs[i].id);
        led->eligible[i] = mb && !mb->fenced;
    }
}

void samsa_led_update_hw(samsa_replica_mgr_t *rm, samsa_led_t *led,
                         int64_t now_ms)
{
    int64_t hw = samsa_partition_hw(led->part);
    int64_t leo = samsa_partition_leo(led->part);
    int64_t next =
        samsa_replica_hw(leo, hw, led->fs, led->nf, led->maximal, led->nmax,
                         led->eligible, now_ms, rm->cfg.lag_time_max_ms);
    if (next > hw) {
        samsa_partition_set_hw(led->part, next);
    }
}

static samsa_led_t *led_new(samsa_topic_t *topic, samsa_partition_t *part,
                            const samsa_meta_topic_t *t, int32_t index,
                            int32_t me)
{
    const samsa_meta_partition_t *mp = &t->partitions[index];
    samsa_led_t *led = calloc(1, sizeof(*led));
    if (!led) {
        return NULL;
    }
    led->part = part;
    led->topic = topic;
    samsa_topic_hold(topic);
    led->name = strdup(t->name);
    led->index = index;
    memcpy(led->topic_id, t->id, 16);
    atomic_init(&led->refs, 1);
    pthread_mutex_init(&led->lock, NULL);
    led->leader_epoch = mp->leader_epoch;
    led->partition_epoch = mp->partition_epoch;
    led->fs = calloc((size_t)mp->replica_count, sizeof(*led->fs));
    led->eligible = calloc((size_t)mp->replica_count, sizeof(bool));
    if (!led->name || !led->fs || !led->eligible ||
        !set_isr(led, mp->isr, mp->isr_count)) {
        led_free(led);
        return NULL;
    }
    int64_t now = samsa_mono_ms();
    for (int32_t r = 0; r < mp->replica_count; r++) {
        int32_t id = mp->replicas[r];
        if (id != me) {
            samsa_follower_reset(&led->fs[led->nf++], id,
                                 samsa_replica_has(mp->isr, mp->isr_count, id),
                                 now);
        }
    }
    return led;
}

/* The replicas changed under the same leader epoch (a reassignment adds
 * its new replicas, then removes the old ones): follow the new set,
 * keeping the fetch state of the followers already known, as Kafka's
 * Partition.updateAssignmentAndIsr. A new one starts outside the ISR.
 * Caller holds led->lock. */
static void set_followers(samsa_led_t *led, const samsa_meta_partition_t *mp,
                          int32_t me, int64_t now)
{
    size_t n = (size_t)(mp->replica_count > 0 ? mp->replica_count : 1);
    samsa_follower_t *fs = calloc(n, sizeof(*fs));
    bool *eligible = calloc(n, sizeof(*eligible));
    if (!fs || !eligible) {
        free(fs);
        free(eligible);
        return;
    }
    int nf = 0;
    for (int32_t r = 0; r < mp->replica_count; r++) {
        int32_t id = mp->replicas[r];
        const samsa_follower_t *old = NULL;
        for (int i = 0; i < led->nf && id != me; i++) {
            old = led->fs[i].id == id ? &led->fs[i] : old;
        }
        if (id == me) {
            continue;
        }
        if (old) {
            fs[nf++] = *old;
        } else {
            samsa_follower_reset(&fs[nf++], id,
                                 samsa_replica_has(mp->isr, mp->isr_count, id),
                                 now);
        }
    }
    free(led->fs);
    free(led->eligible);
    led->fs = fs;
    led->eligible = eligible;
    led->nf = nf;
}

void samsa_led_install(samsa_replica_mgr_t *rm, samsa_topic_t *topic,
                       samsa_partition_t *part, const samsa_meta_topic_t *t,
                       int32_t index, const samsa_meta_image_t *img)
{
    const samsa_meta_partition_t *mp = &t->partitions[index];
    samsa_led_t *led = samsa_led_get(rm, part);
    if (led && led->leader_epoch == mp->leader_epoch) {
        pthread_mutex_lock(&led->lock);
        if (mp->partition_epoch > led->partition_epoch) {
            /* The controller committed a change (ours or its own, e.g. a
             * fenced broker removed): the image is the truth. */
            int before = led->nisr;
            set_followers(led, mp, rm->b->node_id, samsa_mono_ms());
            set_isr(led, mp->isr, mp->isr_count);
            samsa_led_count_isr_change(rm, before, led->nisr);
            led->partition_epoch = mp->partition_epoch;
        }
        set_eligible(led, img);
        led->seen = img->index;
        samsa_led_update_hw(rm, led, samsa_mono_ms());
        pthread_mutex_unlock(&led->lock);
        samsa_led_put(led);
        return;
    }
    if (led) {
        led_remove(rm, led);
        samsa_led_put(led);
    }
    samsa_partition_set_replicated(part, true);
    samsa_err_t err = samsa_partition_become_leader(part, mp->leader_epoch);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR,
                  "replica: %s-%d: cannot become leader of epoch %d: %s",
                  t->name, index, mp->leader_epoch, samsa_err_str(err));
        return;
    }
    led = led_new(topic, part, t, index, rm->b->node_id);
    if (!led) {
        samsa_log(SAMSA_LOG_ERROR, "replica: %s-%d: out of memory", t->name,
                  index);
        return;
    }
    led->epoch_start_offset = samsa_partition_leo(part);
    led->seen = img->index;
    set_eligible(led, img);
    pthread_rwlock_wrlock(&rm->led_lock);
    void *slot = tsearch(led, &rm->led_root, led_cmp);
    pthread_rwlock_unlock(&rm->led_lock);
    if (!slot) {
        led_free(led);
        return;
    }
    pthread_mutex_lock(&led->lock);
    samsa_led_update_hw(rm, led, samsa_mono_ms());
    pthread_mutex_unlock(&led->lock);
    samsa_log(SAMSA_LOG_INFO,
              "replica: leader of %s-%d in epoch %d from offset %lld "
              "(ISR of %d)",
              t->name, index, mp->leader_epoch,
              (long long)led->epoch_start_offset, led->nisr);
}

/* ---- listing (twalk_r) ---- */

typedef struct led_walk {
    samsa_led_t **items;
    size_t n, cap;
} led_walk_t;

static void collect(const void *nodep, VISIT which, void *arg)
{
    led_walk_t *w = arg;
    if (which != postorder && which != leaf) {
        return;
    }
    if (w->n == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 64;
        samsa_led_t **n = realloc(w->items, ncap * sizeof(*n));
        if (!n) {
            return;
        }
        w->items = n;
        w->cap = ncap;
    }
    samsa_led_t *led = *(samsa_led_t *const *)nodep;
    atomic_fetch_add(&led->refs, 1);
    w->items[w->n++] = led;
}

size_t samsa_led_list(samsa_replica_mgr_t *rm, samsa_led_t ***out)
{
    led_walk_t w = {0};
    pthread_rwlock_rdlock(&rm->led_lock);
    twalk_r(rm->led_root, collect, &w);
    pthread_rwlock_unlock(&rm->led_lock);
    *out = w.items;
    return w.n;
}

void samsa_led_sweep(samsa_replica_mgr_t *rm, uint64_t seen, bool all)
{
    samsa_led_t **items = NULL;
    size_t n = samsa_led_list(rm, &items);
    for (size_t i = 0; i < n; i++) {
        if (all || items[i]->seen != seen) {
            led_remove(rm, items[i]);
        }
        samsa_led_put(items[i]);
    }
    free(items);
}

void samsa_led_count_isr_change(samsa_replica_mgr_t *rm, int before, int after)
{
    samsa_metric_t *m = after > before   ? rm->m_expands
                        : after < before ? rm->m_shrinks
                                         : NULL;
    if (m) {
        samsa_metric_add(m, 1);
    }
}

void samsa_led_count_under_replicated(samsa_replica_mgr_t *rm)
{
    samsa_led_t **items = NULL;
    size_t n = samsa_led_list(rm, &items);
    int64_t under = 0;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&items[i]->lock);
        under += items[i]->nisr < items[i]->nf + 1;
        pthread_mutex_unlock(&items[i]->lock);
        samsa_led_put(items[i]);
    }
    free(items);
    if (rm->m_under_replicated) {
        samsa_metric_set(rm->m_under_replicated, under);
    }
}

/* ---- what the broker calls ---- */

bool samsa_replica_leads(samsa_replica_mgr_t *rm, samsa_partition_t *part)
{
    samsa_led_t *led = samsa_led_get(rm, part);
    samsa_led_put(led);
    return led != NULL;
}

int32_t samsa_replica_leader_epoch(samsa_replica_mgr_t *rm,
                                   samsa_partition_t *part)
{
    samsa_led_t *led = samsa_led_get(rm, part);
    if (!led) {
        return -1;
    }
    pthread_mutex_lock(&led->lock);
    int32_t epoch = led->leader_epoch;
    pthread_mutex_unlock(&led->lock);
    samsa_led_put(led);
    return epoch;
}

bool samsa_replica_hw_lagging(samsa_replica_mgr_t *rm, samsa_partition_t *part)
{
    samsa_led_t *led = samsa_led_get(rm, part);
    if (!led) {
        return false;
    }
    pthread_mutex_lock(&led->lock);
    bool lagging = samsa_partition_hw(part) < led->epoch_start_offset;
    pthread_mutex_unlock(&led->lock);
    samsa_led_put(led);
    return lagging;
}

int samsa_replica_isr_size(samsa_replica_mgr_t *rm, samsa_partition_t *part)
{
    samsa_led_t *led = samsa_led_get(rm, part);
    if (!led) {
        return -1;
    }
    pthread_mutex_lock(&led->lock);
    int n = led->nisr;
    pthread_mutex_unlock(&led->lock);
    samsa_led_put(led);
    return n;
}

void samsa_led_appended(void *rm, samsa_partition_t *part)
{
    samsa_led_t *led = samsa_led_get(rm, part);
    if (led) {
        pthread_mutex_lock(&led->lock);
        samsa_led_update_hw(rm, led, samsa_mono_ms());
        pthread_mutex_unlock(&led->lock);
        samsa_led_put(led);
    }
}

/* Not led here (yet, or any more): Kafka's answer by the follower's
 * epoch against the one this broker knows from its image. */
static samsa_err_t not_led(samsa_replica_mgr_t *rm, samsa_partition_t *part,
                           int32_t current_leader_epoch)
{
    samsa_meta_image_t *img = samsa_meta_image_get(rm->b->meta);
    const samsa_meta_partition_t *mp = samsa_meta_partition(
        img, samsa_partition_topic(part)->name, samsa_partition_index(part));
    samsa_err_t err = SAMSA_ERR_NOT_LEADER_OR_FOLLOWER;
    if (!mp) {
        err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (current_leader_epoch >= 0 &&
               current_leader_epoch < mp->leader_epoch) {
        err = SAMSA_ERR_FENCED_LEADER_EPOCH;
    } else if (current_leader_epoch > mp->leader_epoch ||
               mp->leader == rm->b->node_id) {
        /* Ahead of our image, or led here but not taken over yet. */
        err = SAMSA_ERR_UNKNOWN_LEADER_EPOCH;
    }
    samsa_meta_image_put(img);
    return err;
}

static samsa_follower_t *find_follower(samsa_led_t *led, int32_t id)
{
    for (int i = 0; i < led->nf; i++) {
        if (led->fs[i].id == id) {
            return &led->fs[i];
        }
    }
    return NULL;
}

/* Queue "ISR + @p id" for the ISR thread; caller holds led->lock. */
static void propose_expand(samsa_replica_mgr_t *rm, samsa_led_t *led,
                           int32_t id)
{
    int32_t *p = calloc((size_t)led->nisr + 1, sizeof(*p));
    int32_t *m = calloc((size_t)led->nisr + 1, sizeof(*m));
    if (!p || !m) {
        free(p);
        free(m);
        return;
    }
    memcpy(p, led->isr, sizeof(*p) * (size_t)led->nisr);
    p[led->nisr] = id;
    memcpy(m, p, sizeof(*m) * ((size_t)led->nisr + 1));
    free(led->proposed);
    free(led->maximal);
    led->proposed = p;
    led->nproposed = led->nisr + 1;
    led->maximal = m;
    led->nmax = led->nisr + 1;
    led->alter_pending = true;
    samsa_isr_kick(rm);
}

samsa_err_t
samsa_replica_follower_fetch(samsa_replica_mgr_t *rm, samsa_partition_t *part,
                             int32_t follower, int32_t current_leader_epoch,
                             int64_t fetch_offset, int32_t last_fetched_epoch,
                             int32_t *diverging_epoch, int64_t *diverging_end)
{
    *diverging_epoch = -1;
    *diverging_end = -1;
    if (!rm) {
        return SAMSA_ERR_NOT_LEADER_OR_FOLLOWER;
    }
    samsa_led_t *led = samsa_led_get(rm, part);
    if (!led) {
        return not_led(rm, part, current_leader_epoch);
    }
    samsa_err_t err = SAMSA_OK;
    pthread_mutex_lock(&led->lock);
    samsa_follower_t *f = find_follower(led, follower);
    if (current_leader_epoch >= 0 && current_leader_epoch < led->leader_epoch) {
        err = SAMSA_ERR_FENCED_LEADER_EPOCH;
    } else if (current_leader_epoch > led->leader_epoch) {
        err = SAMSA_ERR_UNKNOWN_LEADER_EPOCH;
    } else if (!f) {
        err = SAMSA_ERR_NOT_LEADER_OR_FOLLOWER; /* not a replica */
    }
    if (err == SAMSA_OK && last_fetched_epoch >= 0) {
        /* Kafka's Partition.fetchRecords: does the follower's last epoch
         * end where its log does, here? */
        int32_t e = -1;
        int64_t end = -1;
        samsa_partition_epoch_end(part, last_fetched_epoch, &e, &end);
        if (e < 0 || end < 0) {
            err = SAMSA_ERR_OFFSET_OUT_OF_RANGE;
        } else if (e < last_fetched_epoch || end < fetch_offset) {
            *diverging_epoch = e;
            *diverging_end = end;
            pthread_mutex_unlock(&led->lock);
            samsa_led_put(led);
            return SAMSA_OK;
        }
    }
    if (err == SAMSA_OK) {
        int64_t now = samsa_mono_ms();
        int64_t leo = samsa_partition_leo(part);
        if (fetch_offset <= leo) {
            samsa_follower_fetched(f, fetch_offset, leo, now);
        }
        samsa_led_update_hw(rm, led, now);
        /* Only a live broker joins (Kafka's isReplicaIsrEligible): one
         * fenced, say in controlled shutdown and still fetching until it
         * stops, would be refused, and meanwhile the HW would wait for it
         * as a member of the maximal ISR. */
        if (!led->alter_pending && led->eligible[f - led->fs] &&
            !samsa_replica_has(led->isr, led->nisr, follower) &&
            samsa_follower_in_sync(f, samsa_partition_hw(part),
                                   led->epoch_start_offset)) {
            propose_expand(rm, led, follower);
        }
    }
    pthread_mutex_unlock(&led->lock);
    samsa_led_put(led);
    return err;
}
