/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/group_int.h - private state of the group coordinator, shared
 * by coordinator.c (lifecycle, timers, completions), membership.c
 * (join/sync/heartbeat/leave), offsets.c (commit/fetch/admin) and
 * persist.c (the __consumer_offsets records).
 *
 * Everything here is guarded by samsa_group_coordinator.lock.
 */
#ifndef SAMSA_GROUP_INT_H
#define SAMSA_GROUP_INT_H

#include <pthread.h>

#include "group/coordinator.h"
#include "group/hmap.h"
#include "util/part_states.h"

typedef enum group_state {
    GS_EMPTY,
    GS_PREPARING,
    GS_COMPLETING,
    GS_STABLE,
    GS_DEAD,
} group_state_t;

typedef struct gproto {
    char *name;
    uint8_t *meta;
    size_t len;
} gproto_t;

typedef struct member {
    char *id;
    char *instance_id; /* NULL when dynamic */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    gproto_t *protos;
    size_t nprotos;
    uint8_t *assignment;
    size_t assignment_len;
    samsa_group_join_cb join_cb; /* non-NULL while awaiting join */
    void *join_arg;
    samsa_group_sync_cb sync_cb; /* non-NULL while awaiting sync */
    void *sync_arg;
    int64_t hb_deadline; /* monotonic ms */
} member_t;

typedef struct pending {
    char *id;
    int64_t deadline; /* monotonic ms */
} pending_t;

typedef struct offset_ent {
    samsa_hmap_entry_t e;
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    int64_t commit_ts; /* wall ms */
} offset_ent_t;

typedef struct group {
    samsa_hmap_entry_t e;
    char *id;
    group_state_t state;
    int64_t state_ts;    /* wall ms when the current state was entered */
    char *protocol_type; /* NULL when none */
    char *protocol;      /* selected protocol; NULL when none */
    char *leader;        /* leader member id; NULL when none */
    int32_t generation;
    member_t **members; /* join order */
    size_t nmembers, cap;
    pending_t *pending; /* MEMBER_ID_REQUIRED ids not rejoined yet */
    size_t npending;
    int64_t join_deadline; /* monotonic; PreparingRebalance only */
    bool initial_join;     /* the delayed initial rebalance is running */
    bool new_member_added; /* during the initial delay */
    int64_t initial_remaining;
    samsa_hmap_t offsets; /* offset_ent_t by topic/partition */
    /* TxnOffsetCommit offsets of open transactions, until their marker
     * (txn_offsets.c). */
    struct txn_pending *txn_offs;
    size_t ntxn_offs, cap_txn_offs;
} group_t;

typedef struct txn_pending {
    int64_t pid;
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    int64_t commit_ts;
} txn_pending_t;

/* A callback to run after the lock is released, with its owned result. */
typedef struct completion {
    struct completion *next;
    samsa_group_join_cb join_cb;
    samsa_group_sync_cb sync_cb;
    void *arg;
    samsa_group_join_result_t join;
    samsa_group_sync_result_t sync;
    void **allocs; /* everything the result points to */
    size_t nallocs;
} completion_t;

typedef struct clist {
    completion_t *head, **tail;
} clist_t;

struct samsa_group_coordinator {
    samsa_group_options_t opts;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool thread_running;
    bool stopped;
    samsa_hmap_t groups;
    samsa_topic_t *otopic; /* held reference; NULL without a log manager */
    int64_t next_retention_check; /* monotonic */
    /* follow_leadership: each partition of __consumer_offsets. */
    samsa_part_states_t parts;
};

/* Whether @p group_id is served here now: SAMSA_OK, or
 * COORDINATOR_NOT_AVAILABLE (stopped), NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS (follow_leadership). Lock held. */
samsa_err_t samsa_gc_serving(samsa_group_coordinator_t *gc,
                             const char *group_id);

/* coordinator.c */
void samsa_gc_clist_init(clist_t *cl);
void samsa_gc_clist_run(clist_t *cl);
/* Queue a join result (copied) / an error. */
void samsa_gc_complete_join(clist_t *cl, samsa_group_join_cb cb, void *arg,
                            const samsa_group_join_result_t *res);
void samsa_gc_complete_join_err(clist_t *cl, samsa_group_join_cb cb, void *arg,
                                samsa_err_t err, const char *member_id);
void samsa_gc_complete_sync(clist_t *cl, samsa_group_sync_cb cb, void *arg,
                            samsa_err_t err, const char *ptype,
                            const char *pname, const uint8_t *assignment,
                            size_t len);
group_t *samsa_gc_group_find(samsa_group_coordinator_t *gc, const char *id);
group_t *samsa_gc_group_create(samsa_group_coordinator_t *gc, const char *id);
void samsa_gc_group_remove(samsa_group_coordinator_t *gc, group_t *g);
void samsa_gc_group_set_state(group_t *g, group_state_t st);
const char *samsa_gc_group_state_name(group_state_t st);
void samsa_gc_wake(samsa_group_coordinator_t *gc);

/* membership.c */
member_t *samsa_gc_member_find(group_t *g, const char *id);
member_t *samsa_gc_member_find_static(group_t *g, const char *instance_id);
void samsa_gc_member_free(member_t *m);
/* Remove a member (left or expired): fail its parked calls, then
 * rebalance or finish the current join. */
void samsa_gc_member_remove_and_update(samsa_group_coordinator_t *gc,
                                       group_t *g, member_t *m, clist_t *cl);
void samsa_gc_group_try_complete_join(samsa_group_coordinator_t *gc, group_t *g,
                                      clist_t *cl, bool timer);
/* OffsetCommit's member checks (known, not fenced, same generation, not
 * CompletingRebalance); refreshes the member's session. */
samsa_err_t samsa_gc_group_validate_commit(group_t *g, const char *member_id,
                                           const char *instance_id,
                                           int32_t gen);
/* Timer pass over one group's members and join deadline. */
void samsa_gc_group_tick(samsa_group_coordinator_t *gc, group_t *g, int64_t now,
                         clist_t *cl, int64_t *next);

/* offsets.c */
offset_ent_t *samsa_gc_offset_find(group_t *g, const char *topic,
                                   int32_t partition);
samsa_err_t samsa_gc_offset_set(group_t *g, const char *topic,
                                int32_t partition, int64_t offset,
                                int32_t epoch, const char *metadata,
                                int64_t commit_ts);
void samsa_gc_offset_remove(group_t *g, offset_ent_t *o);
void samsa_gc_offsets_clear(group_t *g);
void samsa_gc_offsets_expire(samsa_group_coordinator_t *gc, int64_t now_wall);

/* persist.c: the __consumer_offsets records. Without a log manager these
 * succeed doing nothing. */
samsa_err_t samsa_gc_persist_init(samsa_group_coordinator_t *gc, char *errbuf,
                                  size_t errlen);
/* pid >= 0: a transactional batch of pid/epoch (TxnOffsetCommit). */
samsa_err_t samsa_gc_persist_offsets(samsa_group_coordinator_t *gc,
                                     const group_t *g,
                                     const offset_ent_t *const *ents,
                                     const char *const *tomb_topics,
                                     const int32_t *tomb_parts, size_t nents,
                                     size_t ntombs, int64_t pid, int16_t epoch);

/* offsets.c: persist then apply @p parts (each gets its error; @p err is
 * the group-level one, given to all when set): committed, or pending for
 * producer @p pid (>= 0, a TxnOffsetCommit). Lock held. */
samsa_err_t samsa_gc_commit_parts(samsa_group_coordinator_t *gc, group_t *g,
                                  samsa_err_t err,
                                  samsa_offset_commit_part_t *parts,
                                  size_t count, int64_t ts, int64_t pid,
                                  int16_t epoch);

/* txn_offsets.c: offsets of open transactions. */
samsa_err_t samsa_gc_txn_pending_add(group_t *g, int64_t pid,
                                     const samsa_offset_commit_part_t *p,
                                     int64_t commit_ts);
/* The marker of @p pid on offsets partition @p partition: its pending
 * offsets in the groups of that partition are committed or dropped. */
void samsa_gc_txn_complete(samsa_group_coordinator_t *gc, int32_t partition,
                           int64_t pid, bool commit);
void samsa_gc_txn_pending_clear(group_t *g);
/* Whether an open transaction holds an offset of @p topic/@p partition. */
bool samsa_gc_txn_pending_has(const group_t *g, const char *topic,
                              int32_t partition);
samsa_err_t samsa_gc_persist_group(samsa_group_coordinator_t *gc,
                                   const group_t *g, bool tombstone);
samsa_err_t samsa_gc_persist_replay(samsa_group_coordinator_t *gc, char *errbuf,
                                    size_t errlen);
/* Replay partition @p p of the offsets topic (takes the lock per chunk). */
samsa_err_t samsa_gc_persist_replay_partition(samsa_group_coordinator_t *gc,
                                              int32_t p);

#endif /* SAMSA_GROUP_INT_H */
