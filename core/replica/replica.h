/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/replica.h - replicated partitions (Kafka's ReplicaManager):
 * what core/broker calls. Quorum mode only; standalone, and for RF=1
 * partitions, nothing here runs and partitions behave as before (their
 * high watermark follows each append).
 *
 *   - transitions: each metadata image makes this broker the leader of
 *     the partitions it leads (samsa_partition_become_leader, follower
 *     states reset) and a follower of the others it hosts
 *     (samsa_partition_become_follower, handed to a fetcher);
 *   - fetchers: num_replica_fetchers threads, each with its own epoll and
 *     one connection per leader through the transport plugin, send
 *     Kafka's Fetch v12 (ReplicaId = node_id), append what comes back
 *     (samsa_partition_append_replica), truncate on DivergingEpoch and
 *     raise the follower's HW to min(leader HW, own LEO);
 *   - the leader's side: a follower's fetch records its offset and time,
 *     advances the HW over the ISR, and may ask the controller to add it
 *     to the ISR; an ISR thread removes followers that lag more than
 *     replica_lag_time_max_ms; both through AlterPartition (API 56);
 *   - acks=all: min.insync.replicas before the append, then the produce
 *     waits (core/broker/produce_wait.c) for the HW to pass it.
 *
 * Threads: samsa_replica_apply_image on the applier thread; the leader
 * functions on reactors (never block: a mutex per partition, held briefly).
 */
#ifndef SAMSA_REPLICA_H
#define SAMSA_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "log/logmgr.h"
#include "metadata/image.h"

typedef struct samsa_replica_mgr samsa_replica_mgr_t;
struct samsa_broker;

/* Replication settings (broker keys of the same names). */
typedef struct samsa_replica_config {
    int64_t lag_time_max_ms;
    int32_t num_fetchers;
    int32_t fetch_max_bytes;
    int32_t fetch_response_max_bytes;
    int32_t fetch_wait_max_ms;
    int32_t fetch_min_bytes;
    int64_t socket_timeout_ms;
    int64_t fetch_backoff_ms;
    /* The login on a SASL inter-broker listener (interbroker.h), borrowed
     * from the broker config; mechanism NULL: none. */
    const char *sasl_mechanism;
    const char *sasl_username;
    const char *sasl_password;
} samsa_replica_config_t;

/* Start the fetcher and ISR threads (quorum mode; the transport is the
 * transport-tls instance when the inter-broker listener is SSL, else the
 * first other transport instance). */
samsa_err_t samsa_replica_start(struct samsa_broker *b,
                                samsa_replica_mgr_t **out, char *errbuf,
                                size_t errlen);
/* Stop the threads and free (NULL is fine). */
void samsa_replica_stop(samsa_replica_mgr_t *rm);

/* Applier thread, after the local logs follow @p img: leader and follower
 * transitions for every partition of more than one replica hosted here. */
void samsa_replica_apply_image(samsa_replica_mgr_t *rm,
                               const samsa_meta_image_t *img);

/*
 * Leader side of a follower's fetch of @p part (reactor). Checks
 * @p current_leader_epoch against this broker's (FENCED_LEADER_EPOCH when
 * the follower's is older, UNKNOWN_LEADER_EPOCH when newer, then
 * NOT_LEADER_OR_FOLLOWER), compares @p last_fetched_epoch with the epoch
 * cache (*diverging_epoch >= 0 and *diverging_end: the follower must
 * truncate, nothing is read), else records the follower's fetch offset and
 * time, advances the HW and may queue an ISR expansion.
 */
samsa_err_t
samsa_replica_follower_fetch(samsa_replica_mgr_t *rm, samsa_partition_t *part,
                             int32_t follower, int32_t current_leader_epoch,
                             int64_t fetch_offset, int32_t last_fetched_epoch,
                             int32_t *diverging_epoch, int64_t *diverging_end);

/* True when @p part is replicated and led here. */
bool samsa_replica_leads(samsa_replica_mgr_t *rm, samsa_partition_t *part);
/* The leader epoch @p part is led here in, or -1 when it is not (not
 * replicated, not led here, or a follower now). */
int32_t samsa_replica_leader_epoch(samsa_replica_mgr_t *rm,
                                   samsa_partition_t *part);
/* True when @p part is led here and its high watermark is below the log
 * end at the start of this leader epoch (Kafka's "lagging high
 * watermark": a new leader learns what the ISR has from their fetches). */
bool samsa_replica_hw_lagging(samsa_replica_mgr_t *rm, samsa_partition_t *part);
/* The ISR size of @p part when it is replicated and led here, else -1. */
int samsa_replica_isr_size(samsa_replica_mgr_t *rm, samsa_partition_t *part);

/* leader/follower.replication.throttled.rate as they apply now
 * (bytes/s; INT64_MAX: none). Any thread; @p rm NULL is fine. */
void samsa_replica_set_throttle_rates(samsa_replica_mgr_t *rm,
                                      int64_t leader_rate,
                                      int64_t follower_rate);
/* Leader side of a follower's fetch (reactor): true when @p follower
 * gets no records of partition @p index of @p topic now (Kafka's
 * shouldLeaderThrottle: listed in leader.replication.throttled.replicas
 * on this broker, the follower outside the ISR, the leader's rate over
 * its bound). leader_sent counts @p bytes sent of a listed partition. */
bool samsa_replica_leader_throttled(samsa_replica_mgr_t *rm,
                                    samsa_topic_t *topic,
                                    samsa_partition_t *part, int32_t index,
                                    int32_t follower);
void samsa_replica_leader_sent(samsa_replica_mgr_t *rm, samsa_topic_t *topic,
                               int32_t index, int64_t bytes);

#endif /* SAMSA_REPLICA_H */
