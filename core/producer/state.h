/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/producer/state.h - idempotent producers on one partition: the last
 * epoch and the last five batches of every producer id that wrote to it,
 * used to fence stale epochs, refuse sequence gaps and answer retried
 * batches with their original offsets (Kafka's ProducerStateManager and
 * ProducerAppendInfo; see README.md beside this file).
 *
 * Lifecycle (driven by the log manager, core/log/logmgr.c):
 *   open a partition  -> samsa_producer_state_new + samsa_producer_rebuild
 *   each append       -> samsa_producer_check, then (after the engine
 *                        accepted the bytes) samsa_producer_record; both
 *                        under the partition's append lock, so a check and
 *                        its record are never separated by another append
 *   clean close       -> samsa_producer_snapshot_write, then _free
 *
 * Threads: every function takes the state's own mutex; safe from any
 * thread. Errors are samsa_err_t with Kafka's wire codes.
 */
#ifndef SAMSA_PRODUCER_STATE_H
#define SAMSA_PRODUCER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>
#include <samsa/storage.h>

/* Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the producer keeps at
 * most five requests in flight per connection, so five cached batches
 * recognise any retry of an in-flight batch. */
#define SAMSA_PRODUCER_BATCHES_RETAINED 5
/* producer.id.expiration.ms (Kafka's default: one day). */
#define SAMSA_PRODUCER_EXPIRATION_MS_DEFAULT 86400000LL
/* Without a usable snapshot, rebuild scans at most this many offsets at
 * the end of the log. */
#define SAMSA_PRODUCER_SCAN_LIMIT_DEFAULT 100000LL

typedef struct samsa_producer_state samsa_producer_state_t;

/* One appended batch of a producer, as cached for duplicate detection. */
typedef struct samsa_producer_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t first_offset;
    int64_t last_offset;
    int64_t timestamp; /* batch max timestamp */
} samsa_producer_batch_t;

/* What samsa_producer_check decided for an acceptable append. */
typedef struct samsa_producer_verdict {
    bool duplicate;      /* already in the log: append nothing */
    int64_t base_offset; /* duplicate: first offset of the original */
    int64_t last_offset; /* duplicate: last offset of the original */
    int64_t timestamp;   /* duplicate: max timestamp of the original */
} samsa_producer_verdict_t;

/* expiration_ms <= 0 means SAMSA_PRODUCER_EXPIRATION_MS_DEFAULT. */
samsa_err_t samsa_producer_state_new(int64_t expiration_ms,
                                     samsa_producer_state_t **out);
void samsa_producer_state_free(samsa_producer_state_t *st);
/* A copy of @p src (its own lock), e.g. to keep the state as of an offset
 * for a later truncation. Any thread. */
samsa_err_t samsa_producer_state_clone(samsa_producer_state_t *src,
                                       samsa_producer_state_t **out);
/* Exchange the contents of @p a and @p b (each keeps its own lock), so a
 * state rebuilt aside replaces a live one at once: readers of @p a see
 * either the old state or the new one. Any thread. */
void samsa_producer_state_swap(samsa_producer_state_t *a,
                               samsa_producer_state_t *b);
/* Change the expiration at runtime (dynamic producer.id.expiration.ms);
 * <= 0 means the default. Any thread. */
void samsa_producer_state_set_expiration(samsa_producer_state_t *st,
                                         int64_t expiration_ms);

/*
 * Check validated record batches (samsa_batches_validate) before they are
 * appended. Batches without a producer id (-1) pass untouched. For an
 * idempotent batch (Kafka's rules, ProducerAppendInfo):
 *   - more than one batch in the append, or baseSequence < 0:
 *     SAMSA_ERR_INVALID_RECORD;
 *   - epoch older than the partition's last for that producer:
 *     SAMSA_ERR_INVALID_PRODUCER_EPOCH;
 *   - same epoch and the same sequence range as one of the five cached
 *     batches: SAMSA_OK with v->duplicate and the original offsets;
 *   - same epoch, first sequence not last+1 (0 after INT32_MAX):
 *     SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   - newer epoch with a first sequence other than 0:
 *     SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   - producer unknown here (new, expired, or state lost): any sequence.
 * A transaction marker (control batch) has no sequence; it is refused
 * for an epoch older than the producer's (INVALID_PRODUCER_EPOCH) and
 * for a coordinator epoch older than the one of the producer's last
 * marker here (TRANSACTION_COORDINATOR_FENCED: a deposed coordinator).
 * Changes nothing.
 */
samsa_err_t samsa_producer_check(samsa_producer_state_t *st,
                                 const uint8_t *batches, size_t len,
                                 samsa_producer_verdict_t *v);

/* Record batches just appended (offsets assigned) as their producers'
 * latest; @p now_ms is the producer's last activity. Also drops producers
 * idle longer than the expiration (checked at most every ten minutes). */
samsa_err_t samsa_producer_record(samsa_producer_state_t *st,
                                  const uint8_t *batches, size_t len,
                                  int64_t now_ms);

/* Remove producers whose last activity is older than now - expiration.
 * Returns how many were removed. */
size_t samsa_producer_expire(samsa_producer_state_t *st, int64_t now_ms);

/* Producers known on this partition. */
size_t samsa_producer_count(samsa_producer_state_t *st);

/* The epoch and newest batch of a producer; false when unknown. */
bool samsa_producer_lookup(samsa_producer_state_t *st, int64_t producer_id,
                           int16_t *epoch, samsa_producer_batch_t *last);

/*
 * Persist the state as of @p log_end_offset to @p path (written to a
 * temporary file, fsynced, renamed). Called on clean close.
 */
samsa_err_t samsa_producer_snapshot_write(samsa_producer_state_t *st,
                                          const char *path,
                                          int64_t log_end_offset);

/* Load a snapshot into an empty state; *offset gets the log end offset it
 * was taken at. SAMSA_ERR_NOT_FOUND when absent, SAMSA_ERR_CORRUPT_MESSAGE
 * when damaged (the state is then left empty). */
samsa_err_t samsa_producer_snapshot_load(samsa_producer_state_t *st,
                                         const char *path, int64_t *offset);

/*
 * Rebuild the state of a freshly opened log, in three steps the log manager
 * drives (it owns the reads): samsa_producer_rebuild_begin loads the newest
 * usable snapshot, from the clean-shutdown one at @p snapshot_path (NULL:
 * none) and the @p periodic_count ones the log manager takes as the log
 * grows (@p periodic), and says from which offset to replay; the batches
 * from there to log_end are passed to samsa_producer_replay in chunks of
 * whole batches; samsa_producer_expire ends it. A snapshot is usable when
 * its offset lies in [log_start, log_end] (Kafka's truncateAndReload):
 * above it a crash lost what it describes, below it retention removed it.
 * @p periodic_at gets each periodic file's offset, -1 for one absent or
 * unusable, which is deleted. The clean-shutdown file is deleted once
 * read: a later crash must not resurrect it. Without a usable snapshot the
 * last @p scan_limit offsets (<= 0: SAMSA_PRODUCER_SCAN_LIMIT_DEFAULT) are
 * replayed; producers only seen before that are unknown, which Kafka
 * accepts with any sequence. Replayed producers count as active now
 * (Kafka uses batch timestamps, i.e. client clocks); snapshot entries keep
 * their recorded activity and are dropped when idle past the expiration.
 * A read error part way leaves a partial state the caller may go on with.
 */
void samsa_producer_rebuild_begin(samsa_producer_state_t *st,
                                  const char *snapshot_path,
                                  const char *const *periodic,
                                  int64_t *periodic_at, size_t periodic_count,
                                  int64_t log_start, int64_t log_end,
                                  int64_t scan_limit, int64_t *replay_from);
samsa_err_t samsa_producer_replay(samsa_producer_state_t *st,
                                  const uint8_t *batches, size_t len,
                                  int64_t now_ms);

/*
 * Transactions (Kafka's ProducerStateManager.ongoingTxns and the
 * transaction index). Transactional data batches open a transaction for
 * their producer at their first offset; a marker (control batch) closes
 * it, an abort marker records it as aborted.
 *
 * samsa_producer_first_unstable: the lowest first offset of a transaction
 * still open here, or -1 when none (the last stable offset is that, else
 * the high watermark).
 *
 * Aborted transactions (samsa_aborted_txn_t of <samsa/storage.h>, with the
 * last stable offset just after the marker, as Kafka's
 * ProducerStateManager.lastStableOffset gives it) are listed in the state
 * in marker order as markers are recorded or replayed. Where the storage
 * engine keeps a transaction index, the log manager moves them there
 * (samsa_producer_aborted_oldest, then _drop of those the engine took)
 * after each append and replay, so the list stays short (empty unless the
 * engine failed); otherwise the list is the index, kept in memory and in
 * the snapshot (entries loaded from an SPS2 snapshot have
 * last_stable_offset -1: unknown).
 * samsa_producer_aborted_range: the listed ones overlapping [from, to)
 * (last_offset >= from and first_offset < to), oldest first; up to @p max
 * are copied to @p out, the number overlapping is returned.
 * samsa_producer_aborted_oldest: copy the up to @p max oldest listed ones
 * to @p out; returns how many. samsa_producer_aborted_drop: forget the
 * @p n oldest.
 */
int64_t samsa_producer_first_unstable(samsa_producer_state_t *st);

/*
 * KIP-890 verification guards (Kafka's VerificationGuard). A partition
 * leader takes a guard with samsa_producer_guard before it checks that a
 * transactional producer's partition is in its open transaction; the
 * append then holds only while samsa_producer_guard_holds, called under
 * the partition's append lock: no marker of @p pid was recorded since the
 * guard was taken (nor was the table replaced, samsa_producer_state_swap).
 * A marker landing between the check and the append thus refuses the
 * write, which would otherwise open a transaction on the partition that
 * no coordinator closes. A guard is never 0.
 */
uint64_t samsa_producer_guard(samsa_producer_state_t *st);
bool samsa_producer_guard_holds(samsa_producer_state_t *st, int64_t pid,
                                uint64_t guard);
/* Forget aborted transactions that end below @p log_start (retention or
 * DeleteRecords removed them), so the list stays as long as the log. */
void samsa_producer_aborted_trim(samsa_producer_state_t *st, int64_t log_start);
size_t samsa_producer_aborted_range(samsa_producer_state_t *st, int64_t from,
                                    int64_t to, samsa_aborted_txn_t *out,
                                    size_t max);
size_t samsa_producer_aborted_oldest(samsa_producer_state_t *st,
                                     samsa_aborted_txn_t *out, size_t max);
void samsa_producer_aborted_drop(samsa_producer_state_t *st, size_t n);

/* One producer as DescribeProducers shows it. */
typedef struct samsa_producer_info {
    int64_t producer_id;
    int16_t epoch;
    int32_t last_seq;          /* -1 when no batch is cached */
    int64_t last_timestamp;    /* -1 when no batch is cached */
    int64_t txn_first_offset;  /* -1 when no transaction is open */
    int32_t coordinator_epoch; /* of its last marker here, -1: none */
} samsa_producer_info_t;

/* Up to @p max producers copied to @p out (any order); returns how many
 * are known. */
size_t samsa_producer_list(samsa_producer_state_t *st,
                           samsa_producer_info_t *out, size_t max);

/* Static explanation of an error returned by samsa_producer_check, or NULL
 * for other errors. */
const char *samsa_producer_error_message(samsa_err_t err);

#endif /* SAMSA_PRODUCER_STATE_H */
