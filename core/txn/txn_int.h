/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/txn/txn_int.h - the coordinator's state, shared by coordinator.c
 * (the state machine), persist.c (the __transaction_state records) and
 * markers.c. Private to core/txn/.
 */
#ifndef SAMSA_TXN_INT_H
#define SAMSA_TXN_INT_H

#include <pthread.h>

#include "txn/coordinator.h"
#include "util/part_states.h"

/* Kafka's TransactionState ids, as stored in TransactionLogValue. */
typedef enum txn_state {
    TXN_EMPTY = 0,
    TXN_ONGOING = 1,
    TXN_PREPARE_COMMIT = 2,
    TXN_PREPARE_ABORT = 3,
    TXN_COMPLETE_COMMIT = 4,
    TXN_COMPLETE_ABORT = 5,
    TXN_DEAD = 6,
    TXN_PREPARE_EPOCH_FENCE = 7,
} txn_state_t;

typedef struct txn_tp {
    char *topic;
    int32_t partition;
} txn_tp_t;

/* A caller of samsa_txn_when_complete, until the transaction completes. */
typedef struct txn_end_waiter {
    samsa_txn_done_fn fn;
    void *arg;
    int64_t deadline_ms; /* monotonic */
    struct txn_end_waiter *next;
} txn_end_waiter_t;

typedef struct txn {
    char *id;
    int64_t pid;
    int16_t epoch;
    int32_t timeout_ms;
    txn_state_t state;
    txn_tp_t *tps; /* partitions of the open (or ending) transaction */
    size_t ntps, cap_tps;
    int64_t start_ms;  /* wall clock; the transaction's first partition */
    int64_t update_ms; /* wall clock */
    /* marker_ops: Prepare* is waiting for the marker thread, which tries
     * again at retry_ms (monotonic) after a failure */
    bool markers_queued;
    int64_t retry_ms;
    /* The offset after this id's last record in __transaction_state
     * (samsa_txn_persist). marker_ops: the markers of a Prepare* logged
     * here wait until the partition's high watermark reaches
     * prepare_end, as Kafka sends them once PrepareCommit is on the ISR:
     * a successor coordinator then knows the decision (0: no wait, a
     * Prepare* replayed from the log). */
    int64_t log_end;
    int64_t prepare_end;
    txn_end_waiter_t *end_waiters;
    struct txn *next;
} txn_t;

struct samsa_txn_coordinator {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    samsa_txn_options_t opts;
    samsa_topic_t *stopic; /* __transaction_state, referenced */
    txn_t *txns;
    bool stopped;
    bool timer_started;
    pthread_t timer;
    /* marker_ops: the marker thread (marker_sender.c) */
    pthread_t sender;
    bool sender_started;
    /* Its sleep: wake_lock is a leaf lock, taken by samsa_txn_sender_wake
     * from any thread, under tc->lock or under a partition's waiter lock
     * (hw_waiters notify); wake_gen counts wake-ups, so none is lost
     * between the thread's look at the table and its wait. */
    pthread_mutex_t wake_lock;
    pthread_cond_t sender_cond;
    uint64_t wake_gen;
    /* One per partition of __transaction_state whose high watermark a
     * queued transaction waits for (NULL: none registered). */
    samsa_part_waiter_t **hw_waiters;
    samsa_partition_t **hw_parts;
    int32_t nhw_waiters;
    /* follow_leadership: each partition of __transaction_state, and the
     * leader epoch it was loaded in (its markers' coordinator epoch). */
    samsa_part_states_t parts;
    int32_t *coord_epochs;
    int32_t ncoord_epochs;
};

/* The __transaction_state partition of @p txn_id. */
int32_t samsa_txn_partition_for(const samsa_txn_coordinator_t *tc,
                                const char *txn_id);
/* The coordinator epoch of @p txn_id's markers: the leader epoch its
 * partition was loaded in (follow_leadership), else the local partition's
 * (one node: its epoch never changes). Lock held. */
int32_t samsa_txn_coordinator_epoch(const samsa_txn_coordinator_t *tc,
                                    const char *txn_id);
/* SAMSA_OK when @p txn_id is coordinated here now, else
 * COORDINATOR_NOT_AVAILABLE (stopped), NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS. Lock held. */
samsa_err_t samsa_txn_serving(const samsa_txn_coordinator_t *tc,
                              const char *txn_id);

/* persist.c */
samsa_err_t samsa_txn_persist_init(samsa_txn_coordinator_t *tc, char *errbuf,
                                   size_t errlen);
/* Write @p t's current state (lock held); sets t->log_end. */
samsa_err_t samsa_txn_persist(samsa_txn_coordinator_t *tc, txn_t *t);
/* Load every transactional id (lock not needed: before start returns). */
samsa_err_t samsa_txn_persist_replay(samsa_txn_coordinator_t *tc, char *errbuf,
                                     size_t errlen);
/* Load partition @p p (follow_leadership; takes the lock per chunk). */
samsa_err_t samsa_txn_persist_replay_partition(samsa_txn_coordinator_t *tc,
                                               int32_t p);

/* marker_sender.c: start/stop the marker thread (opts.marker_ops); wake
 * it when a transaction is queued (any thread, any lock). */
samsa_err_t samsa_txn_sender_start(samsa_txn_coordinator_t *tc);
void samsa_txn_sender_stop(samsa_txn_coordinator_t *tc);
void samsa_txn_sender_wake(samsa_txn_coordinator_t *tc);
/* Stop watching the high watermark of state partition @p p (-1: all);
 * lock held, or the thread stopped. */
void samsa_txn_sender_unwatch(samsa_txn_coordinator_t *tc, int32_t p);

/* coordinator.c: Prepare* -> Complete* once every marker is written (lock
 * held). */
void samsa_txn_finish(samsa_txn_coordinator_t *tc, txn_t *t);
/* Call @p t's end waiters whose deadline is before @p now (all when
 * @p now < 0) with @p completed, and drop them; the earliest deadline
 * left, or INT64_MAX (lock held). */
int64_t samsa_txn_end_waiters_fire(txn_t *t, int64_t now, bool completed);

/* coordinator.c */
txn_t *samsa_txn_find(samsa_txn_coordinator_t *tc, const char *id);
txn_t *samsa_txn_add(samsa_txn_coordinator_t *tc, const char *id);
samsa_err_t samsa_txn_tp_add(txn_t *t, const char *topic, int32_t partition);
void samsa_txn_clear_parts(txn_t *t);

/* markers.c: write a commit or abort marker of (pid, epoch) to each
 * partition. Partitions of deleted topics are skipped. The first other
 * error stops it and is returned (the caller retries later). */
samsa_err_t samsa_txn_markers_write(samsa_logmgr_t *mgr,
                                    samsa_group_coordinator_t *groups,
                                    int64_t pid, int16_t epoch,
                                    int32_t coordinator_epoch, bool commit,
                                    const txn_tp_t *tps, size_t count);

#endif /* SAMSA_TXN_INT_H */
