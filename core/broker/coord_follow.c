/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/coord_follow.c - see coord_follow.h. */
#include "broker/coord_follow.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/member.h"
#include "group/coordinator.h"
#include "metadata/quorum.h"
#include "txn/coordinator.h"
#include "util/clock.h"

#define POLL_MS 200

/* What this broker holds of one internal topic: the partitions it leads
 * and has loaded (or is loading). */
typedef struct held {
    const char *topic;
    bool *led;
    int32_t n;
} held_t;

struct samsa_coord_follow {
    samsa_broker_t *b;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, kick;
    held_t groups, txns;
};

static bool is_groups(const held_t *h)
{
    return strcmp(h->topic, SAMSA_OFFSETS_TOPIC) == 0;
}

static void mark_loading(samsa_coord_follow_t *cf, const held_t *h, int32_t p)
{
    if (is_groups(h)) {
        samsa_group_partition_loading(cf->b->groups, p);
    } else {
        samsa_txn_partition_loading(cf->b->txn, p);
    }
}

static samsa_err_t load(samsa_coord_follow_t *cf, const held_t *h, int32_t p)
{
    return is_groups(h) ? samsa_group_partition_load(cf->b->groups, p)
                        : samsa_txn_partition_load(cf->b->txn, p);
}

static void unload(samsa_coord_follow_t *cf, const held_t *h, int32_t p)
{
    if (is_groups(h)) {
        samsa_group_partition_unload(cf->b->groups, p);
    } else {
        samsa_txn_partition_unload(cf->b->txn, p);
    }
}

/* Whether the local replica of @p topic-@p p has taken the leadership
 * the image gives this broker (core/replica's become_leader may come a
 * moment after the image): loading before would read a follower's log
 * and the coordinator's first writes would be refused. */
static bool local_leader(samsa_coord_follow_t *cf, const char *topic, int32_t p)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(cf->b->logs, topic);
    samsa_partition_t *part = t ? samsa_topic_partition(t, p) : NULL;
    bool ok = part && !samsa_partition_is_follower(part);
    samsa_topic_put(t);
    return ok;
}

/* Bring @p h in step with @p img: unload what is no longer led here, then
 * mark every newly led partition loading (so its keys answer
 * COORDINATOR_LOAD_IN_PROGRESS at once) and load them one by one. A load
 * that fails (the local log is not made yet) is tried again next round. */
static void follow(samsa_coord_follow_t *cf, held_t *h,
                   const samsa_meta_image_t *img)
{
    const samsa_meta_topic_t *t = samsa_meta_topic(img, h->topic);
    int32_t n = t ? t->partition_count : 0;
    if (n > h->n) {
        bool *led = realloc(h->led, (size_t)n * sizeof(*led));
        if (!led) {
            return;
        }
        memset(led + h->n, 0, (size_t)(n - h->n) * sizeof(*led));
        h->led = led;
        h->n = n;
    }
    int32_t me = cf->b->node_id;
    /* Images replayed after a restart, before this process registered,
     * still show the previous run as leader: nothing is ours until the
     * controller has this run registered and unfenced. */
    bool active = samsa_member_active(cf->b->member, img);
    for (int32_t p = 0; p < h->n; p++) {
        bool now = active && p < n && t->partitions[p].leader == me;
        if (!now) {
            /* also a partition whose load failed and is no longer ours */
            unload(cf, h, p);
            h->led[p] = false;
        } else if (!h->led[p] && now) {
            mark_loading(cf, h, p);
        }
    }
    for (int32_t p = 0; active && p < n; p++) {
        if (!h->led[p] && t->partitions[p].leader == me &&
            local_leader(cf, h->topic, p)) {
            h->led[p] = load(cf, h, p) == SAMSA_OK;
        }
    }
}

static void *follow_main(void *arg)
{
    samsa_coord_follow_t *cf = arg;
    pthread_mutex_lock(&cf->lock);
    while (!cf->stop) {
        cf->kick = false;
        pthread_mutex_unlock(&cf->lock);
        samsa_meta_image_t *img = samsa_meta_image_get(cf->b->meta);
        follow(cf, &cf->groups, img);
        follow(cf, &cf->txns, img);
        samsa_meta_image_put(img);
        pthread_mutex_lock(&cf->lock);
        if (!cf->stop && !cf->kick) {
            struct timespec ts = samsa_deadline(CLOCK_MONOTONIC, POLL_MS);
            pthread_cond_timedwait(&cf->cond, &cf->lock, &ts);
        }
    }
    pthread_mutex_unlock(&cf->lock);
    return NULL;
}

samsa_err_t samsa_coord_follow_start(samsa_broker_t *b,
                                     samsa_coord_follow_t **out)
{
    samsa_coord_follow_t *cf = calloc(1, sizeof(*cf));
    if (!cf) {
        return SAMSA_ERR_NOMEM;
    }
    cf->b = b;
    cf->groups.topic = SAMSA_OFFSETS_TOPIC;
    cf->txns.topic = SAMSA_TXN_STATE_TOPIC;
    pthread_mutex_init(&cf->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cf->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&cf->thread, NULL, follow_main, cf) != 0) {
        pthread_cond_destroy(&cf->cond);
        pthread_mutex_destroy(&cf->lock);
        free(cf);
        return SAMSA_ERR_NOMEM;
    }
    *out = cf;
    return SAMSA_OK;
}

void samsa_coord_follow_kick(samsa_coord_follow_t *cf)
{
    if (!cf) {
        return;
    }
    pthread_mutex_lock(&cf->lock);
    cf->kick = true;
    pthread_cond_signal(&cf->cond);
    pthread_mutex_unlock(&cf->lock);
}

void samsa_coord_follow_stop(samsa_coord_follow_t *cf)
{
    if (!cf) {
        return;
    }
    pthread_mutex_lock(&cf->lock);
    cf->stop = true;
    pthread_cond_signal(&cf->cond);
    pthread_mutex_unlock(&cf->lock);
    pthread_join(cf->thread, NULL);
    free(cf->groups.led);
    free(cf->txns.led);
    pthread_cond_destroy(&cf->cond);
    pthread_mutex_destroy(&cf->lock);
    free(cf);
}
