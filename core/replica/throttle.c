/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/throttle.c - replication throttles as Kafka applies them
 * (ReplicationQuotaManager), for reassignments:
 *
 *   - leader.replication.throttled.rate (a broker config) bounds what a
 *     leader sends, over all partitions its topic config
 *     leader.replication.throttled.replicas names on this broker: while
 *     the measured rate is over it, a follower outside the ISR gets no
 *     records of such a partition (Kafka's shouldLeaderThrottle); every
 *     byte sent of one counts;
 *   - follower.replication.throttled.rate bounds what this broker's
 *     fetchers ask for, over the partitions
 *     follower.replication.throttled.replicas names on this broker: while
 *     over it, a partition not caught up with its leader is left out of
 *     the fetch (shouldFollowerThrottle); every byte received of one
 *     counts.
 *
 * Rates are Kafka's sampled rate over replication.quota.window.num (11)
 * windows of replication.quota.window.size.seconds (1 s), Kafka's
 * defaults. A rate of Long.MAX_VALUE (the default) throttles nothing and
 * costs nothing: no list is read.
 *
 * Threads: any (reactors for the leader's side, fetchers for the
 * follower's); a mutex per quota, held for the arithmetic only.
 */
#include <stdlib.h>

#include "replica/replica_int.h"
#include "util/clock.h"

void samsa_repl_quota_init(samsa_repl_quota_t *q)
{
    pthread_mutex_init(&q->lock, NULL);
    atomic_init(&q->bound, INT64_MAX);
    samsa_rate_init(&q->rate, q->s, SAMSA_REPL_QUOTA_SAMPLES,
                    SAMSA_REPL_QUOTA_WINDOW_MS, samsa_mono_ms());
}

void samsa_repl_quota_destroy(samsa_repl_quota_t *q)
{
    pthread_mutex_destroy(&q->lock);
}

bool samsa_repl_quota_exceeded(samsa_repl_quota_t *q, int64_t now_ms)
{
    int64_t bound = atomic_load(&q->bound);
    if (bound == INT64_MAX) {
        return false;
    }
    pthread_mutex_lock(&q->lock);
    double rate = samsa_rate_record(&q->rate, 0, now_ms, NULL);
    pthread_mutex_unlock(&q->lock);
    return rate > (double)bound;
}

void samsa_repl_quota_record(samsa_repl_quota_t *q, double bytes,
                             int64_t now_ms)
{
    pthread_mutex_lock(&q->lock);
    samsa_rate_record(&q->rate, bytes, now_ms, NULL);
    pthread_mutex_unlock(&q->lock);
}

bool samsa_repl_throttled(samsa_repl_quota_t *q, samsa_topic_t *topic,
                          const char *key, int32_t index, int32_t broker)
{
    if (atomic_load(&q->bound) == INT64_MAX) {
        return false;
    }
    /* Room for "partition:broker," of some thousand partitions. */
    size_t len = 65536;
    char *list = malloc(len);
    if (!list) {
        return false;
    }
    samsa_topic_config_string(topic, key, list, len);
    bool listed = samsa_replica_throttle_listed(list, index, broker);
    free(list);
    return listed;
}

void samsa_replica_set_throttle_rates(samsa_replica_mgr_t *rm,
                                      int64_t leader_rate,
                                      int64_t follower_rate)
{
    if (!rm) {
        return;
    }
    atomic_store(&rm->leader_quota.bound, leader_rate > 0 ? leader_rate : 1);
    atomic_store(&rm->follower_quota.bound,
                 follower_rate > 0 ? follower_rate : 1);
}

bool samsa_replica_leader_throttled(samsa_replica_mgr_t *rm,
                                    samsa_topic_t *topic,
                                    samsa_partition_t *part, int32_t index,
                                    int32_t follower)
{
    if (!rm || !samsa_repl_throttled(&rm->leader_quota, topic,
                                     "leader.replication.throttled.replicas",
                                     index, rm->b->node_id)) {
        return false;
    }
    samsa_led_t *led = samsa_led_get(rm, part);
    bool in_isr = false;
    if (led) {
        pthread_mutex_lock(&led->lock);
        in_isr = samsa_replica_has(led->isr, led->nisr, follower);
        pthread_mutex_unlock(&led->lock);
        samsa_led_put(led);
    }
    return !in_isr &&
           samsa_repl_quota_exceeded(&rm->leader_quota, samsa_mono_ms());
}

void samsa_replica_leader_sent(samsa_replica_mgr_t *rm, samsa_topic_t *topic,
                               int32_t index, int64_t bytes)
{
    if (rm && bytes > 0 &&
        samsa_repl_throttled(&rm->leader_quota, topic,
                             "leader.replication.throttled.replicas", index,
                             rm->b->node_id)) {
        samsa_repl_quota_record(&rm->leader_quota, (double)bytes,
                                samsa_mono_ms());
    }
}
