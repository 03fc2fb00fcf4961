/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/rules.h - Kafka's replication rules as pure functions, so
 * they are unit-tested apart from threads and sockets: a leader's view of
 * one follower (Kafka's ReplicaState), when it is caught up, when it may
 * join or must leave the ISR, what the high watermark is, and where a
 * follower truncates after a diverging epoch (AbstractFetcherThread).
 *
 * Owner: core/replica. No locks here; callers hold the partition's.
 */
#ifndef SAMSA_REPLICA_RULES_H
#define SAMSA_REPLICA_RULES_H

#include <stdbool.h>
#include <stdint.h>

/* One follower as its leader sees it. */
typedef struct samsa_follower {
    int32_t id;
    int64_t leo;                   /* its last fetch offset; -1 unknown */
    int64_t last_fetch_ms;         /* when it last fetched; 0 never */
    int64_t last_fetch_leader_leo; /* the leader's LEO at that fetch */
    int64_t last_caught_up_ms;     /* last time it had everything */
} samsa_follower_t;

/* A new leadership (epoch) starts: nothing is known of the followers'
 * logs; ISR members count as caught up now, so they get the full
 * replica_lag_time_max_ms to show up (Kafka's makeLeader). */
void samsa_follower_reset(samsa_follower_t *f, int32_t id, bool in_isr,
                          int64_t now_ms);

/* A fetch from @p f at @p fetch_offset at @p now_ms, with the leader's
 * log end @p leader_leo (Kafka's ReplicaState.updateFetchState): caught up
 * when it asked for everything, or for at least what the leader had at
 * its previous fetch (then as of that fetch). */
void samsa_follower_fetched(samsa_follower_t *f, int64_t fetch_offset,
                            int64_t leader_leo, int64_t now_ms);

/* Caught up: at the leader's log end, or caught up within @p max_lag_ms. */
bool samsa_follower_caught_up(const samsa_follower_t *f, int64_t leader_leo,
                              int64_t now_ms, int64_t max_lag_ms);

/* May @p f join the ISR (Kafka's isFollowerInSync): its log reaches the
 * high watermark and the start of the leader's epoch. */
bool samsa_follower_in_sync(const samsa_follower_t *f, int64_t hw,
                            int64_t epoch_start_offset);

/*
 * The high watermark the leader may publish (Kafka's
 * maybeIncrementLeaderHW): the smallest log end among the leader and the
 * followers that are in @p isr (the maximal ISR: committed plus pending
 * additions) or caught up and @p eligible (live, so they are about to
 * join). Followers whose LEO is unknown (-1) and that count hold it at
 * the current value: the result is then min(..., @p hw). Never below
 * @p hw (the caller only raises it).
 */
int64_t samsa_replica_hw(int64_t leader_leo, int64_t hw,
                         const samsa_follower_t *fs, int nf, const int32_t *isr,
                         int nisr, const bool *eligible, int64_t now_ms,
                         int64_t max_lag_ms);

/* The ISR members among @p fs that are out of sync (Kafka's
 * getOutOfSyncReplicas): not caught up for longer than @p max_lag_ms.
 * Their ids go to @p out (room for nf); returns how many. */
int samsa_replica_out_of_sync(int64_t leader_leo, const samsa_follower_t *fs,
                              int nf, const int32_t *isr, int nisr,
                              int64_t now_ms, int64_t max_lag_ms, int32_t *out);

/* Does a throttled-replicas list (the topic configs
 * leader/follower.replication.throttled.replicas: "*", or
 * "partition:broker" entries separated by commas, spaces allowed) name
 * @p partition on @p broker? (Kafka's ThrottledReplicaListValidator
 * form; "*" throttles every partition on every broker.) */
bool samsa_replica_throttle_listed(const char *list, int32_t partition,
                                   int32_t broker);

/* True when @p id is one of @p ids[0..n). */
bool samsa_replica_has(const int32_t *ids, int n, int32_t id);

/*
 * Where a follower truncates when the leader answers a fetch with
 * DivergingEpoch {@p leader_epoch, @p leader_end} (Kafka's
 * getOffsetTruncationState). @p local_epoch/@p local_end: the follower's
 * own answer for @p leader_epoch (samsa_partition_epoch_end: the largest
 * epoch <= it and its end), @p local_leo its log end. *done: false when
 * another round is needed (the epochs differ: fetch again from the
 * returned offset with the follower's new last epoch).
 */
int64_t samsa_replica_truncation_offset(int32_t leader_epoch,
                                        int64_t leader_end, int32_t local_epoch,
                                        int64_t local_end, int64_t local_leo,
                                        bool *done);

#endif /* SAMSA_REPLICA_RULES_H */
