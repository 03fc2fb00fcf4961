/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/txn/coordinator.h - the transaction coordinator (Kafka's
 * TransactionCoordinator, KIP-98): transactional ids, their producer id and
 * epoch, the partitions and consumer groups of their open transaction, and
 * the two-phase end (Prepare*, markers on every partition, Complete*).
 * Request handlers decode a request and call these functions with plain C
 * values (like core/group/coordinator.h).
 *
 * Persistence: one record per change in the compacted internal topic
 * "__transaction_state" (created through the log manager when absent), in
 * Kafka's TransactionLogKey/TransactionLogValue v0 layout so Kafka's tools
 * read it. Replayed at start: a transaction found in PrepareCommit or
 * PrepareAbort has its markers written again and is completed; one found
 * Ongoing stays open for its producer to go on with, and is aborted by its
 * timeout if it does not (Kafka's coordinator load and failover).
 *
 * Markers go through samsa_txn_markers_write (markers.c), the one place to
 * turn into WriteTxnMarkers requests when partitions live on other brokers.
 *
 * Threads: every function is safe from any thread; one mutex guards all
 * state. Calls append to local partitions synchronously (no fsync unless a
 * topic's flush policy asks), like the group coordinator's commits.
 * Errors are samsa_err_t with Kafka wire codes, ready for ErrorCode fields.
 */
#ifndef SAMSA_TXN_COORDINATOR_H
#define SAMSA_TXN_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "log/logmgr.h"

#define SAMSA_TXN_STATE_TOPIC "__transaction_state"

typedef struct samsa_txn_coordinator samsa_txn_coordinator_t;
typedef struct samsa_group_coordinator samsa_group_coordinator_t;

/*
 * In a cluster the partitions of a transaction have other leaders: the
 * broker gives the coordinator a way to write markers anywhere
 * (WriteTxnMarkers to each leader, or a local append). write() blocks; it
 * runs on the coordinator's marker thread, never on a reactor, and sets
 * results[i] to SAMSA_OK (written, or the partition no longer exists) or
 * an error to retry.
 */
typedef struct samsa_txn_marker_ops {
    void (*write)(void *arg, int64_t pid, int16_t epoch,
                  int32_t coordinator_epoch, bool commit,
                  const char *const *topics, const int32_t *partitions,
                  size_t count, samsa_err_t *results);
} samsa_txn_marker_ops_t;

typedef struct samsa_txn_options {
    samsa_logmgr_t *logmgr; /* holds __transaction_state and the data;
                               required */
    /* This broker's group coordinator: maps AddOffsetsToTxn's group to its
     * offsets partition, and is told of markers on the partitions of
     * __consumer_offsets it leads. NULL refuses AddOffsetsToTxn. */
    samsa_group_coordinator_t *groups;
    int32_t state_topic_partitions; /* transaction.state.log.num.partitions:
                                       1 here (one node) */
    int64_t max_timeout_ms;         /* transaction.max.timeout.ms: 900000 */
    /* transaction.abort.timed.out.transaction.cleanup.interval.ms: 10000;
     * <= 0: no timer thread (tests call samsa_txn_coordinator_tick). */
    int64_t abort_check_interval_ms;
    /* In a cluster: the state topic is made by the controller, and
     * transactional ids are served only for the partitions this broker
     * leads, once loaded (samsa_txn_partition_load); others get
     * NOT_COORDINATOR. state_topic_partitions is the configured count
     * until the topic exists. */
    bool follow_leadership;
    /* NULL (one node): EndTxn writes every marker before it answers.
     * Set: EndTxn answers once Prepare* is logged and a marker thread
     * writes the markers, retrying until each is written or its partition
     * is gone, then logs Complete* (Kafka's TransactionMarkerChannelManager);
     * meanwhile the id answers CONCURRENT_TRANSACTIONS. */
    const samsa_txn_marker_ops_t *marker_ops;
    void *marker_arg;
    /* In a cluster: producer ids from the block the controller gave this
     * broker, so no two coordinators hand out the same one. NULL: the log
     * manager's allocator (one node). Any thread; must not block. */
    samsa_err_t (*new_producer_id)(void *arg, int64_t *pid);
    void *new_producer_id_arg;
} samsa_txn_options_t;

/* Kafka's defaults (logmgr and groups NULL). */
void samsa_txn_options_init(samsa_txn_options_t *opts);

/* Create the state topic if absent, replay it, complete what was ending
 * (Prepare*), start the timer thread. A reason is in errbuf on failure. */
samsa_err_t samsa_txn_coordinator_start(const samsa_txn_options_t *opts,
                                        samsa_txn_coordinator_t **out,
                                        char *errbuf, size_t errlen);
/* Stop the timer thread; later calls get COORDINATOR_NOT_AVAILABLE.
 * Idempotent; call before closing the log manager. */
void samsa_txn_coordinator_stop(samsa_txn_coordinator_t *tc);
void samsa_txn_coordinator_destroy(samsa_txn_coordinator_t *tc);

/*
 * follow_leadership (as samsa_group_partition_load): this broker leads
 * partition @p p of __transaction_state now. Marks it loading, replays
 * it, completes what it finds in Prepare* and leaves what is Ongoing to
 * its producer or its timeout (Kafka's coordinator failover), then serves
 * its ids. Blocks on the log:
 * off the reactors. The local partition's leader epoch at the load is
 * the coordinator epoch every marker of its ids carries (Kafka's
 * coordinatorEpoch): partitions refuse markers of an older one, so a
 * deposed coordinator cannot end a transaction its successor ended.
 */
samsa_err_t samsa_txn_partition_load(samsa_txn_coordinator_t *tc, int32_t p);
void samsa_txn_partition_loading(samsa_txn_coordinator_t *tc, int32_t p);
/* No longer led here: its ids are dropped (NOT_COORDINATOR from now). */
void samsa_txn_partition_unload(samsa_txn_coordinator_t *tc, int32_t p);
bool samsa_txn_partition_loaded(samsa_txn_coordinator_t *tc, int32_t p);
/* Whether some ended transaction still has markers to write (the marker
 * thread's queue). */
bool samsa_txn_markers_pending(samsa_txn_coordinator_t *tc);

/* Abort every transaction past its timeout now (the timer's pass). */
void samsa_txn_coordinator_tick(samsa_txn_coordinator_t *tc);

/*
 * InitProducerId with a transactional id. @p pid / @p epoch: -1/-1, or the
 * producer's current pair (KIP-360, v3+) to bump after an error. A new id
 * gets a producer id at epoch 0; a known one gets its epoch bumped, which
 * fences every older instance; an open transaction is aborted first.
 * INVALID_TRANSACTION_TIMEOUT, INVALID_REQUEST (empty id),
 * PRODUCER_FENCED (an older pair), COORDINATOR_NOT_AVAILABLE (state
 * could not be written).
 */
samsa_err_t samsa_txn_init_producer(samsa_txn_coordinator_t *tc,
                                    const char *txn_id, int32_t timeout_ms,
                                    int64_t pid, int16_t epoch,
                                    int64_t *out_pid, int16_t *out_epoch);

typedef struct samsa_txn_tp {
    const char *topic; /* in */
    int32_t partition; /* in */
    samsa_err_t error; /* out */
} samsa_txn_tp_t;

/* AddPartitionsToTxn: the return is the transaction-level error (each
 * part's error is set to it too, or OPERATION_NOT_ATTEMPTED when another
 * part failed). With @p verify_only nothing is added; parts not in the
 * transaction get INVALID_TXN_STATE (KIP-890). */
samsa_err_t samsa_txn_add_partitions(samsa_txn_coordinator_t *tc,
                                     const char *txn_id, int64_t pid,
                                     int16_t epoch, samsa_txn_tp_t *tps,
                                     size_t count, bool verify_only);

/* AddOffsetsToTxn: the group's offsets partition joins the transaction
 * (its marker settles the offsets TxnOffsetCommit wrote there: that is
 * the group coordinator's, samsa_group_txn_offset_commit). */
samsa_err_t samsa_txn_add_offsets(samsa_txn_coordinator_t *tc,
                                  const char *txn_id, int64_t pid,
                                  int16_t epoch, const char *group_id);

/* EndTxn. INVALID_TXN_STATE when nothing is open (or a retry asks the
 * other outcome), PRODUCER_FENCED, INVALID_PRODUCER_ID_MAPPING. */
samsa_err_t samsa_txn_end(samsa_txn_coordinator_t *tc, const char *txn_id,
                          int64_t pid, int16_t epoch, bool commit);

/*
 * With a marker thread (marker_ops): call @p fn(@p arg, completed) once
 * the transaction that (pid, epoch) of @p txn_id is ending is complete
 * (every marker written, Complete* logged: completed true), or it left
 * this coordinator or the coordinator stopped (false), or after
 * @p max_wait_ms (false; the markers still go, and until they do the id
 * answers CONCURRENT_TRANSACTIONS, as in Kafka). At once (completed true)
 * when nothing is pending. EndTxn answers through this in a cluster, so a
 * producer's next AddPartitionsToTxn finds the transaction complete
 * rather than backing off (20 ms in librdkafka and the Java client) on
 * CONCURRENT_TRANSACTIONS; one node writes the markers before EndTxn
 * returns anyway. @p fn runs on any thread, maybe with the coordinator's
 * lock held: it must only hand off (samsa_reactor_post).
 */
typedef void (*samsa_txn_done_fn)(void *arg, bool completed);
void samsa_txn_when_complete(samsa_txn_coordinator_t *tc, const char *txn_id,
                             int64_t pid, int16_t epoch, int32_t max_wait_ms,
                             samsa_txn_done_fn fn, void *arg);

/* Produce of a transactional batch: the partition must be in the
 * producer's open transaction (KIP-890 verification; Kafka's
 * INVALID_TXN_STATE otherwise, INVALID_PRODUCER_EPOCH for an old epoch).
 * In a cluster, a producer this coordinator does not know gives
 * SAMSA_ERR_NOT_FOUND: its coordinator is another broker, which the
 * partition leader asks (core/broker/txn_verify.h). */
samsa_err_t samsa_txn_verify_produce(samsa_txn_coordinator_t *tc, int64_t pid,
                                     int16_t epoch, const char *topic,
                                     int32_t partition);

/* ---------------------------------------------------------------------- */
/* Admin: DescribeTransactions, ListTransactions (KIP-664)                */
/* ---------------------------------------------------------------------- */

typedef struct samsa_txn_desc {
    char *txn_id;
    const char *state; /* Kafka's name: "Empty", "Ongoing", ... (static) */
    int32_t timeout_ms;
    int64_t start_ms; /* -1 when no transaction is open */
    int64_t pid;
    int16_t epoch;
    char **topics; /* the open transaction's partitions, one per entry */
    int32_t *partitions;
    size_t count;
} samsa_txn_desc_t;

/* TRANSACTIONAL_ID_NOT_FOUND for an unknown id. Free with
 * samsa_txn_desc_free. */
samsa_err_t samsa_txn_describe(samsa_txn_coordinator_t *tc, const char *txn_id,
                               samsa_txn_desc_t *out);
void samsa_txn_desc_free(samsa_txn_desc_t *desc);

typedef struct samsa_txn_listing {
    char *txn_id;
    int64_t pid;
    const char *state; /* static */
    int64_t start_ms;  /* -1 when no transaction is open */
} samsa_txn_listing_t;

/* Transactional ids (sorted) in one of @p states (Kafka's names; none:
 * all), with one of @p pids (none: all), open at least @p min_open_ms
 * (< 0: any). Free with samsa_txn_listings_free. */
samsa_err_t samsa_txn_list(samsa_txn_coordinator_t *tc,
                           const char *const *states, size_t nstates,
                           const int64_t *pids, size_t npids,
                           int64_t min_open_ms, samsa_txn_listing_t **out,
                           size_t *count);
void samsa_txn_listings_free(samsa_txn_listing_t *list, size_t count);

/* Whether @p name is one of Kafka's transaction state names. */
bool samsa_txn_state_known(const char *name);

/*
 * Append one transaction marker (abort, or commit) for producer @p pid /
 * @p epoch to local partition @p part: what a WriteTxnMarkers request asks
 * of a partition leader, and what `samsa txn abort` sends for a hung
 * transaction. The partition's producer state closes the transaction and
 * the last stable offset moves past it.
 */
samsa_err_t samsa_txn_marker_append(samsa_partition_t *part, int64_t pid,
                                    int16_t epoch, int32_t coordinator_epoch,
                                    bool commit);
/* samsa_txn_marker_append, then, on a partition of __consumer_offsets,
 * the group coordinator @p groups (NULL: none) commits or drops the
 * transaction's pending offsets there. What WriteTxnMarkers does. */
samsa_err_t samsa_txn_marker_deliver(samsa_group_coordinator_t *groups,
                                     samsa_partition_t *part, int64_t pid,
                                     int16_t epoch, int32_t coordinator_epoch,
                                     bool commit);

#endif /* SAMSA_TXN_COORDINATOR_H */
