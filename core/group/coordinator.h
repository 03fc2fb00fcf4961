/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/coordinator.h - the classic consumer group coordinator and
 * committed offsets (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups,
 * OffsetDelete), independent of the wire protocol: request handlers decode
 * a request and call these functions with plain C values.
 *
 * Semantics follow Kafka's classic group coordinator: states Empty,
 * PreparingRebalance, CompletingRebalance, Stable, Dead; member ids
 * "<client_id or instance id>-<uuid>"; MEMBER_ID_REQUIRED for JoinGroup
 * v4+ (KIP-394); protocol selection by vote; rebalance timeouts; session
 * timeouts; static membership (KIP-345); the initial rebalance delay.
 *
 * Persistence: offsets and group metadata are records in the compacted
 * internal topic "__consumer_offsets" (created through the log manager when
 * absent) and are replayed at start, so commits survive restarts. Reads are
 * served from memory.
 *
 * Threads: every function is safe from any thread. One coordinator mutex
 * guards all state; it is never held while a callback runs.
 *
 * Callback contract (join and sync): the callback is called exactly once,
 * either before the call returns (on the calling thread) or later from the
 * coordinator's timer thread or from the thread of another request that
 * completed the rebalance. It runs without coordinator locks held and may
 * call back into the coordinator. The result and everything it points to
 * are valid only during the callback: copy what you need. On
 * samsa_group_coordinator_stop every parked callback completes with
 * SAMSA_ERR_COORDINATOR_NOT_AVAILABLE. (Only when malloc fails for the
 * completion entry is the callback run at once, under the lock, with
 * COORDINATOR_NOT_AVAILABLE; it must then not call back in.)
 *
 * Errors are samsa_err_t with Kafka wire codes, ready for ErrorCode fields.
 */
#ifndef SAMSA_GROUP_COORDINATOR_H
#define SAMSA_GROUP_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "log/logmgr.h"

#define SAMSA_OFFSETS_TOPIC "__consumer_offsets"

typedef struct samsa_group_coordinator samsa_group_coordinator_t;

typedef struct samsa_group_options {
    /* Log manager holding __consumer_offsets; NULL = no persistence
     * (offsets live in memory only). Must outlive the coordinator. */
    samsa_logmgr_t *logmgr;
    int32_t offsets_topic_partitions; /* offsets.topic.num.partitions: 1 */
    const char *offsets_topic_engine; /* storage engine; NULL = default */
    /* group.initial.rebalance.delay.ms: 3000 */
    int64_t initial_rebalance_delay_ms;
    int32_t min_session_timeout_ms; /* group.min.session.timeout.ms: 6000 */
    int32_t max_session_timeout_ms; /* group.max.session.timeout.ms:
                                       1800000 */
    int32_t max_group_size;         /* group.max.size: 0 = unlimited */
    int32_t max_metadata_size;      /* offset.metadata.max.bytes: 4096 */
    int64_t offsets_retention_ms;   /* offsets.retention.minutes: 7 days */
    /* offsets.retention.check.interval.ms: 600000 */
    int64_t offsets_retention_check_interval_ms;
    /* In a cluster: the offsets topic is made by the controller, and
     * groups are served only for the partitions this broker leads, once
     * loaded (samsa_group_partition_load); others get NOT_COORDINATOR.
     * offsets_topic_partitions is then the configured count, replaced by
     * the topic's own once it exists. */
    bool follow_leadership;
} samsa_group_options_t;

/* Fill opts with Kafka's defaults (logmgr NULL). */
void samsa_group_options_init(samsa_group_options_t *opts);

/* Create the offsets topic if absent, replay it, start the timer thread.
 * On failure a reason is in errbuf. */
samsa_err_t samsa_group_coordinator_start(const samsa_group_options_t *opts,
                                          samsa_group_coordinator_t **out,
                                          char *errbuf, size_t errlen);
/* Complete every parked callback with COORDINATOR_NOT_AVAILABLE and stop the
 * timer thread. Later calls fail with COORDINATOR_NOT_AVAILABLE. Idempotent.
 * Call before closing the log manager. */
void samsa_group_coordinator_stop(samsa_group_coordinator_t *gc);
/* stop() then free everything. NULL is fine. */
void samsa_group_coordinator_destroy(samsa_group_coordinator_t *gc);

/* FindCoordinator: the __consumer_offsets partition owning a group
 * (Kafka's abs(String.hashCode) % partitions). */
int32_t samsa_group_partition_for(samsa_group_coordinator_t *gc,
                                  const char *group_id);

/*
 * follow_leadership: this broker became the leader of partition @p p of
 * the offsets topic (whose local log exists). Marks it loading (requests
 * for its groups get COORDINATOR_LOAD_IN_PROGRESS), replays it, then
 * serves its groups. Blocks on the log: call it off the reactors. Kafka's
 * GroupMetadataManager.loadGroupsForPartition.
 */
samsa_err_t samsa_group_partition_load(samsa_group_coordinator_t *gc,
                                       int32_t p);
/* Mark @p p loading without replaying yet (a load is queued). */
void samsa_group_partition_loading(samsa_group_coordinator_t *gc, int32_t p);
/* This broker no longer leads @p p: its groups are dropped from memory
 * (their parked joins and syncs answered NOT_COORDINATOR, so members find
 * the new coordinator) and requests get NOT_COORDINATOR. */
void samsa_group_partition_unload(samsa_group_coordinator_t *gc, int32_t p);
/* Whether @p p is loaded here (tests, the broker's bookkeeping). */
bool samsa_group_partition_loaded(samsa_group_coordinator_t *gc, int32_t p);

/* ---------------------------------------------------------------------- */
/* JoinGroup                                                              */
/* ---------------------------------------------------------------------- */

typedef struct samsa_group_protocol {
    const char *name;
    const uint8_t *metadata;
    size_t metadata_len;
} samsa_group_protocol_t;

typedef struct samsa_group_join_req {
    const char *group_id;
    const char *member_id;         /* "" for a new member */
    const char *group_instance_id; /* NULL = dynamic member (v5+) */
    const char *client_id;         /* request header client id ("" ok) */
    const char *client_host;       /* peer address, for DescribeGroups */
    const char *protocol_type;     /* "consumer", "connect", ... */
    const samsa_group_protocol_t *protocols;
    size_t protocol_count;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* v0: pass -1 (= session timeout) */
    int16_t api_version;          /* JoinGroup request version */
} samsa_group_join_req_t;

typedef struct samsa_group_member_meta {
    const char *member_id;
    const char *group_instance_id; /* NULL when dynamic */
    const uint8_t *metadata;       /* the selected protocol's metadata */
    size_t metadata_len;
} samsa_group_member_meta_t;

typedef struct samsa_group_join_result {
    samsa_err_t error;
    int32_t generation_id;     /* -1 on error */
    const char *protocol_type; /* NULL on error */
    const char *protocol_name; /* NULL on error */
    const char *leader_id;     /* "" on error */
    const char *member_id;     /* assigned member id ("" on most errors;
                                  set with MEMBER_ID_REQUIRED) */
    bool skip_assignment;      /* v9: static leader rejoined a Stable group */
    const samsa_group_member_meta_t *members; /* leader only */
    size_t member_count;
} samsa_group_join_result_t;

typedef void (*samsa_group_join_cb)(void *arg,
                                    const samsa_group_join_result_t *res);

void samsa_group_join(samsa_group_coordinator_t *gc,
                      const samsa_group_join_req_t *req,
                      samsa_group_join_cb done, void *arg);

/* ---------------------------------------------------------------------- */
/* SyncGroup                                                              */
/* ---------------------------------------------------------------------- */

typedef struct samsa_group_assignment {
    const char *member_id;
    const uint8_t *assignment;
    size_t assignment_len;
} samsa_group_assignment_t;

typedef struct samsa_group_sync_req {
    const char *group_id;
    int32_t generation_id;
    const char *member_id;
    const char *group_instance_id;               /* NULL when dynamic */
    const char *protocol_type;                   /* v5; NULL = not checked */
    const char *protocol_name;                   /* v5; NULL = not checked */
    const samsa_group_assignment_t *assignments; /* leader only */
    size_t assignment_count;
} samsa_group_sync_req_t;

typedef struct samsa_group_sync_result {
    samsa_err_t error;
    const char *protocol_type; /* NULL on error */
    const char *protocol_name; /* NULL on error */
    const uint8_t *assignment; /* empty on error */
    size_t assignment_len;
} samsa_group_sync_result_t;

typedef void (*samsa_group_sync_cb)(void *arg,
                                    const samsa_group_sync_result_t *res);

void samsa_group_sync(samsa_group_coordinator_t *gc,
                      const samsa_group_sync_req_t *req,
                      samsa_group_sync_cb done, void *arg);

/* ---------------------------------------------------------------------- */
/* Heartbeat, LeaveGroup                                                  */
/* ---------------------------------------------------------------------- */

samsa_err_t samsa_group_heartbeat(samsa_group_coordinator_t *gc,
                                  const char *group_id, int32_t generation_id,
                                  const char *member_id,
                                  const char *group_instance_id);

typedef struct samsa_group_leave_member {
    const char *member_id;         /* in; may be "" with an instance id */
    const char *group_instance_id; /* in; NULL when dynamic */
    samsa_err_t error;             /* out */
} samsa_group_leave_member_t;

/* Remove members (LeaveGroup v3+; v0-2 pass one member and use its error
 * as the top-level error). The return value is the top-level error. May
 * complete other members' parked joins on this thread. */
samsa_err_t samsa_group_leave(samsa_group_coordinator_t *gc,
                              const char *group_id,
                              samsa_group_leave_member_t *members,
                              size_t count);

/* ---------------------------------------------------------------------- */
/* Offsets                                                                */
/* ---------------------------------------------------------------------- */

typedef struct samsa_offset_commit_part {
    const char *topic;    /* in */
    int32_t partition;    /* in */
    int64_t offset;       /* in */
    int32_t leader_epoch; /* in; -1 when unknown (v < 6) */
    const char *metadata; /* in; NULL = "" */
    samsa_err_t error;    /* out */
} samsa_offset_commit_part_t;

typedef struct samsa_offset_commit_req {
    const char *group_id;
    int32_t generation_id;         /* -1 (v0 or simple commit) */
    const char *member_id;         /* "" (v0 or simple commit) */
    const char *group_instance_id; /* NULL */
    int64_t commit_timestamp;      /* ms; -1 = now (v1's field or -1) */
    /* The offsets of a committed transaction (core/txn): the
     * TxnOffsetCommit was accepted, so no member or generation check. */
    bool transactional;
} samsa_offset_commit_req_t;

/* OffsetCommit. The return is the group-level error (every part's error is
 * set to it too); SAMSA_OK means each part has its own error
 * (OFFSET_METADATA_TOO_LARGE, or a storage error). Topic existence and
 * authorization are the handler's business. */
samsa_err_t samsa_group_offset_commit(samsa_group_coordinator_t *gc,
                                      const samsa_offset_commit_req_t *req,
                                      samsa_offset_commit_part_t *parts,
                                      size_t count);

/*
 * TxnOffsetCommit (Kafka's GroupCoordinator.handleTxnCommitOffsets): the
 * offsets are written to the group's partition as transactional records of
 * the producer and stay pending until the transaction's marker lands there
 * (samsa_group_txn_marker), which commits or drops them; a replay does the
 * same from the log. KIP-447 fencing: FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID
 * (a member id the group does not have), ILLEGAL_GENERATION (generation >=
 * 0 and not the group's). The return is the group-level error, as
 * samsa_group_offset_commit's.
 */
typedef struct samsa_txn_offset_commit_req {
    const char *group_id;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t generation_id;         /* -1: not checked (v0-2) */
    const char *member_id;         /* "": not checked */
    const char *group_instance_id; /* NULL */
} samsa_txn_offset_commit_req_t;

samsa_err_t
samsa_group_txn_offset_commit(samsa_group_coordinator_t *gc,
                              const samsa_txn_offset_commit_req_t *req,
                              samsa_offset_commit_part_t *parts, size_t count);

/* A transaction marker of @p pid was appended to partition @p partition of
 * the offsets topic (WriteTxnMarkers, or the local coordinator). */
void samsa_group_txn_marker(samsa_group_coordinator_t *gc, int32_t partition,
                            int64_t pid, bool commit);

typedef struct samsa_group_tp {
    const char *topic; /* in */
    int32_t partition; /* in */
    samsa_err_t error; /* out (OffsetDelete) */
} samsa_group_tp_t;

typedef struct samsa_group_offset {
    char *topic;
    int32_t partition;
    int64_t offset;       /* -1 when nothing committed */
    int32_t leader_epoch; /* -1 when unknown */
    char *metadata;       /* "" when none */
    int64_t commit_timestamp;
    int64_t high_watermark; /* samsa_group_lag only; else -1 */
    int64_t lag;            /* samsa_group_lag only: hw - offset, or -1 */
    /* UNSTABLE_OFFSET_COMMIT: an open transaction holds an offset of the
     * partition (samsa_group_offset_fetch_stable); else SAMSA_OK */
    samsa_err_t error;
} samsa_group_offset_t;

typedef struct samsa_group_offsets {
    samsa_group_offset_t *items;
    size_t count;
} samsa_group_offsets_t;

/* OffsetFetch. tps == NULL: every committed partition of the group, sorted
 * by topic then partition (OffsetFetch with null topics). Otherwise one item
 * per requested partition, in request order, offset -1 when unknown. An
 * unknown group is not an error (all -1 / empty). Free with
 * samsa_group_offsets_free. */
samsa_err_t samsa_group_offset_fetch(samsa_group_coordinator_t *gc,
                                     const char *group_id,
                                     const samsa_group_tp_t *tps, size_t count,
                                     samsa_group_offsets_t *out);
void samsa_group_offsets_free(samsa_group_offsets_t *offs);
/* OffsetFetch v7+ with RequireStable (KIP-447): as above, and a requested
 * partition an open transaction holds an offset of gets
 * UNSTABLE_OFFSET_COMMIT (the consumer retries), so a new member never
 * starts from an offset a pending commit is about to replace. */
samsa_err_t samsa_group_offset_fetch_stable(samsa_group_coordinator_t *gc,
                                            const char *group_id,
                                            const samsa_group_tp_t *tps,
                                            size_t count, bool require_stable,
                                            samsa_group_offsets_t *out);

/* Lag helper for the CLI / admin: every committed partition of the group
 * with the partition's high watermark and lag (hw - committed; -1 when the
 * partition is unknown). GROUP_ID_NOT_FOUND for an unknown group. */
samsa_err_t samsa_group_lag(samsa_group_coordinator_t *gc, const char *group_id,
                            samsa_group_offsets_t *out);

/* OffsetDelete: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP (non-consumer group
 * with members) as the return; per partition GROUP_SUBSCRIBED_TO_TOPIC. */
samsa_err_t samsa_group_offset_delete(samsa_group_coordinator_t *gc,
                                      const char *group_id,
                                      samsa_group_tp_t *tps, size_t count);

/* ---------------------------------------------------------------------- */
/* ListGroups, DescribeGroups, DeleteGroups                               */
/* ---------------------------------------------------------------------- */

typedef struct samsa_group_listing {
    char *group_id;
    char *protocol_type;
    const char *state; /* static string: "Stable", "Empty", ... */
} samsa_group_listing_t;

/* Groups (sorted by id) whose state is in states (case-insensitive; NULL or
 * nstates 0 = all). Free with samsa_group_listings_free. */
samsa_err_t samsa_group_list(samsa_group_coordinator_t *gc,
                             const char *const *states, size_t nstates,
                             samsa_group_listing_t **out, size_t *count);
void samsa_group_listings_free(samsa_group_listing_t *list, size_t count);

typedef struct samsa_group_member_desc {
    char *member_id;
    char *group_instance_id; /* NULL when dynamic */
    char *client_id;
    char *client_host;
    uint8_t *metadata; /* Stable groups only (Kafka); else empty */
    size_t metadata_len;
    uint8_t *assignment;
    size_t assignment_len;
} samsa_group_member_desc_t;

typedef struct samsa_group_desc {
    samsa_err_t error; /* GROUP_ID_NOT_FOUND for unknown groups (v6);
                          older versions report state "Dead", NONE */
    char *group_id;
    const char *state;
    char *protocol_type; /* "" when none */
    char *protocol;      /* selected protocol in Stable; else "" */
    samsa_group_member_desc_t *members;
    size_t member_count;
} samsa_group_desc_t;

samsa_err_t samsa_group_describe(samsa_group_coordinator_t *gc,
                                 const char *group_id, samsa_group_desc_t *out);
void samsa_group_desc_free(samsa_group_desc_t *desc);

/* DeleteGroups for one group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP,
 * INVALID_GROUP_ID. Removes its offsets (tombstones). */
samsa_err_t samsa_group_delete(samsa_group_coordinator_t *gc,
                               const char *group_id);

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

/* Parse a ConsumerProtocolSubscription (int16 version, []string topics,
 * ...): *topics gets a malloc'd array of malloc'd names. Free with
 * samsa_group_topics_free. SAMSA_ERR_CORRUPT on malformed bytes. */
samsa_err_t samsa_consumer_subscription_topics(const uint8_t *p, size_t len,
                                               char ***topics, size_t *count);
void samsa_group_topics_free(char **topics, size_t count);

/* Run the timer pass now (tests): expirations, delayed joins, retention. */
void samsa_group_coordinator_tick(samsa_group_coordinator_t *gc);

#endif /* SAMSA_GROUP_COORDINATOR_H */
