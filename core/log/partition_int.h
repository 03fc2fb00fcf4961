/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/partition_int.h - a partition's state, private to core/log.
 *
 * Outside core/log a partition is the opaque samsa_partition_t of logmgr.h,
 * so the storage ops, the locks and the flush counters have one owner.
 */
#ifndef SAMSA_LOG_PARTITION_INT_H
#define SAMSA_LOG_PARTITION_INT_H

#include "log/epoch_cache.h"
#include "log/flusher.h"
#include "log/logmgr.h"

struct samsa_partition {
    samsa_topic_t *topic;
    int32_t index;
    pthread_mutex_t append_lock; /* serializes appends and truncation */
    const samsa_storage_ops_t *ops;
    samsa_storage_log_t *log;
    _Atomic int64_t high_watermark;
    _Atomic int64_t log_start_offset;
    /* Replication (core/log/partition_repl.c). leader_epoch is stamped
     * into appended batches; follower refuses leader appends; replicated
     * leaves the HW to samsa_partition_set_hw. */
    _Atomic int32_t leader_epoch;
    _Atomic bool follower;
    _Atomic bool replicated;
    samsa_epoch_cache_t epochs; /* written under append_lock */
    _Atomic bool epochs_dirty;  /* changed since the file was written */
    pthread_mutex_t wait_lock;
    samsa_part_waiter_t *waiters;
    /* Idempotent producers writing here (core/producer/state.h): created
     * and rebuilt at open, snapshotted at close, checked and updated
     * inside samsa_partition_append under append_lock. */
    samsa_producer_state_t *producers;
    /* Copies of it as of a log offset, so a truncation replays from there
     * (exact) rather than rebuilding from the log's tail
     * (core/log/partition_repl.c): stable at or below the HW, pending
     * above it until the HW passes it. Guarded by append_lock. */
    samsa_producer_state_t *prod_stable, *prod_pending;
    int64_t prod_stable_at, prod_pending_at;
    /* Producer snapshots on disk taken as the log grows, so a crash
     * replays from the newest one instead of forgetting what is older
     * than the replayed tail (logmgr.c, producers_snapshot; Kafka's
     * snapshot at segment roll): two files written in turn, the offset
     * each was taken at (-1: none). truncations counts truncations, so a
     * snapshot written across one is deleted. Guarded by append_lock. */
    int64_t snap_at[2];
    uint64_t truncations;
    bool snap_writing; /* one writer at a time (housekeep_now and the
                          housekeeper's round may overlap) */
    /* Flush policy (core/log/flusher.c): the topic's flush.messages and
     * flush.ms (<= 0 / < 0: left to the OS), and what is not flushed yet. */
    _Atomic int64_t flush_messages;
    _Atomic int64_t flush_ms;
    _Atomic int64_t unflushed;     /* messages appended since the last flush */
    _Atomic int64_t last_flush_ms; /* monotonic */
    _Atomic bool flush_queued;
    /* Acknowledgements waiting for a flush the policy made due
     * (samsa_partition_flush_wait), and the high watermark the last
     * successful flush made durable. Guarded by flush_lock. */
    pthread_mutex_t flush_lock;
    samsa_flush_waiter_t *flush_waiters;
    int64_t flushed_through;
};

/* Shared between the files of core/log (logmgr.c defines them). */
/* Delete the producer snapshots taken above @p offset (a truncation cut
 * the log there); append_lock held. */
void samsa_partition_snapshots_drop_above(samsa_partition_t *part,
                                          int64_t offset);
samsa_flusher_t *samsa_logmgr_flusher(samsa_logmgr_t *mgr);
/* Run every fetch waiter's notify (after the HW moved). */
void samsa_partition_wake(samsa_partition_t *part);
/* Producer state rebuilt from the log as it is now (after a truncation):
 * a copy of @p base (the state as of offset @p base_at) plus the batches
 * from there, or without a base the crash-recovery rebuild; built aside,
 * then swapped in, so readers never see it half done. append_lock held. */
samsa_err_t samsa_partition_producers_reload(samsa_partition_t *part,
                                             samsa_producer_state_t *base,
                                             int64_t base_at);
/* Whether the engine keeps the transaction index (both optional ops of
 * ABI minor 5). */
bool samsa_partition_txn_indexed(const samsa_partition_t *part);
/* Move the aborted transactions the producer state listed since the last
 * call (appends, replays) into the engine's transaction index; nothing
 * without one. What the engine refuses stays listed (fetches read the
 * list too) and the error is logged (rate-limited) and returned. append_lock
 * held (or the partition not yet shared). */
samsa_err_t samsa_partition_txn_index_sync(samsa_partition_t *part);
/* The engine's log start offset moved (retention, DeleteRecords,
 * truncation): publish it and trim what depends on it. */
void samsa_partition_start_moved(samsa_partition_t *part);

#endif /* SAMSA_LOG_PARTITION_INT_H */
