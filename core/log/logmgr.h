/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/logmgr.h - the log manager: topics, their partitions, and the
 * storage engine logs behind them.
 *
 * Owns (one of the two places with global mutable state, per DESIGN.md):
 *   - the topic table, guarded by a rwlock; lookups return a referenced
 *     topic that stays valid (even if deleted meanwhile) until put;
 *   - each partition's append path: offset assignment + engine append under
 *     the partition's mutex (the short critical section of DESIGN.md);
 *   - the high watermark, published atomically after the append returns;
 *   - topic metadata on disk (<data_dir>/__samsa_meta/topics/<name>.meta),
 *     written atomically so topics survive restarts;
 *   - a housekeeping thread running retention, roll, flush and compaction.
 *
 * Threads: every function is safe from any thread unless noted.
 */
#ifndef SAMSA_LOGMGR_H
#define SAMSA_LOGMGR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <samsa/storage.h>

#include "log/topic_config.h"
#include "producer/pid_alloc.h"
#include "producer/state.h"
#include "record/batch.h"

typedef struct samsa_logmgr samsa_logmgr_t;
typedef struct samsa_topic samsa_topic_t;

/* Resolves a storage engine instance name ("segment", "memory") to its ops
 * and instance state. Provided by whoever owns the registry. */
typedef samsa_err_t (*samsa_engine_lookup_fn)(void *arg, const char *name,
                                              const samsa_storage_ops_t **ops,
                                              void **state);

/* Called after data was appended to a partition (long-poll fetch). Runs on
 * the appending thread with the partition's waiter lock held: it must only
 * hand off (e.g. samsa_reactor_post) and must not add or remove waiters. */
typedef struct samsa_part_waiter {
    void (*notify)(struct samsa_part_waiter *w);
    struct samsa_part_waiter *prev, *next;
    void *arg;
} samsa_part_waiter_t;

/* One partition of a topic: opaque outside core/log (its state lives in
 * log/partition_int.h). Every read, append, offset lookup and truncation
 * goes through the samsa_partition_* calls below; they are the only callers
 * of the storage engine's ops. */
typedef struct samsa_partition samsa_partition_t;

struct samsa_topic {
    char *name;
    uint8_t id[16]; /* topic UUID */
    /* id came from the cluster's controller (the image's TopicRecord),
     * not minted here; kept in the .meta file as id_assigned=1. */
    bool id_assigned;
    int32_t partition_count;
    samsa_partition_t **partitions;
    samsa_tcfg_t config; /* overrides; guarded by config_lock */
    pthread_mutex_t config_lock;
    char *engine; /* storage engine instance name */
    _Atomic int refs;
    _Atomic bool deleted;
    bool internal; /* __consumer_offsets and friends */
    samsa_logmgr_t *mgr;
    /* Partition arrays replaced by growing the topic: readers may still
     * index one, so they are freed with the topic. */
    void **retired;
    size_t retired_count;
};

typedef struct samsa_logmgr_options {
    const char *data_dir;
    samsa_engine_lookup_fn engine_lookup;
    void *engine_lookup_arg;
    const samsa_tcfg_t *broker_defaults; /* copied */
    int64_t housekeep_interval_ms;       /* 0 = 5000 */
    int64_t producer_id_expiration_ms;   /* producer.id.expiration.ms;
                                            0 = one day */
    int32_t max_partitions;              /* max.broker.partitions: all
                                            topics together; 0 = 100000 */
} samsa_logmgr_options_t;

samsa_err_t samsa_logmgr_open(const samsa_logmgr_options_t *opts,
                              samsa_logmgr_t **out, char *errbuf,
                              size_t errlen);
/* Stop housekeeping, close every log. No other call may be in flight. */
void samsa_logmgr_close(samsa_logmgr_t *mgr);

/* Copy of the broker-level topic defaults (caller frees with
 * samsa_tcfg_free). */
samsa_err_t samsa_logmgr_broker_defaults_copy(samsa_logmgr_t *mgr,
                                              samsa_tcfg_t *out);
/* Replace the broker-level topic defaults at runtime (dynamic broker
 * configs) and reconfigure every open partition from them. Takes the admin
 * lock; any thread but a reactor (engines may do I/O in configure). */
samsa_err_t samsa_logmgr_set_broker_defaults(samsa_logmgr_t *mgr,
                                             const samsa_tcfg_t *defaults);
/* Change producer.id.expiration.ms at runtime, for every open partition
 * and the ones opened later. Any thread. */
void samsa_logmgr_set_producer_id_expiration(samsa_logmgr_t *mgr,
                                             int64_t expiration_ms);

/*
 * Called after every successful samsa_partition_append to a replicated
 * partition (clients' produces, the coordinators' own writes, markers),
 * on the appending thread with none of the partition's locks held: the
 * replica manager (core/replica) moves the high watermark there when the
 * ISR is the leader alone, so no caller has to. Set by the replica
 * manager when it starts, cleared (@p fn NULL) before it stops.
 */
typedef void (*samsa_leader_append_fn)(void *arg, samsa_partition_t *part);
void samsa_logmgr_set_leader_append_hook(samsa_logmgr_t *mgr,
                                         samsa_leader_append_fn fn, void *arg);

/* The producer id allocator (InitProducerId), persisted in
 * <data_dir>/__samsa_meta/producer_ids. */
samsa_pid_alloc_t *samsa_logmgr_producer_ids(samsa_logmgr_t *mgr);

/* Create a topic. SAMSA_ERR_TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION,
 * INVALID_PARTITIONS, INVALID_CONFIG (reason in errbuf), POLICY_VIOLATION
 * past max_partitions. Opens a directory and files per partition: call it
 * off the reactors for more than a few. With validate_only
 * nothing is created. KAFKA_STORAGE_ERROR for an offline topic, and when
 * the engine already holds data for one of the new partitions (its .meta
 * file was lost): that data is never adopted with default settings, and
 * the topic goes offline. */
samsa_err_t samsa_logmgr_create_topic(samsa_logmgr_t *mgr, const char *name,
                                      int32_t partitions,
                                      const samsa_tcfg_t *config,
                                      bool validate_only, char *errbuf,
                                      size_t errlen);
/* The same, with the topic id @p id the cluster's controller assigned
 * (its TopicRecord), so every broker's log of the topic has one id;
 * samsa_logmgr_create_topic mints a random one instead. */
samsa_err_t samsa_logmgr_create_topic_id(samsa_logmgr_t *mgr, const char *name,
                                         const uint8_t id[16],
                                         int32_t partitions,
                                         const samsa_tcfg_t *config,
                                         char *errbuf, size_t errlen);
samsa_err_t samsa_logmgr_delete_topic(samsa_logmgr_t *mgr, const char *name);
samsa_err_t samsa_logmgr_add_partitions(samsa_logmgr_t *mgr, const char *name,
                                        int32_t new_total, bool validate_only,
                                        char *errbuf, size_t errlen);
/* Replace (incremental=false) or merge (incremental=true) the topic's
 * overrides with @p count changes; a NULL value deletes the override. */
samsa_err_t samsa_logmgr_alter_config(samsa_logmgr_t *mgr, const char *name,
                                      const samsa_tcfg_kv_t *changes,
                                      size_t count, bool incremental,
                                      bool validate_only, char *errbuf,
                                      size_t errlen);

/* Referenced lookup; NULL when absent. Release with samsa_topic_put. */
samsa_topic_t *samsa_logmgr_topic_get(samsa_logmgr_t *mgr, const char *name);
samsa_topic_t *samsa_logmgr_topic_get_by_id(samsa_logmgr_t *mgr,
                                            const uint8_t id[16]);
void samsa_topic_hold(samsa_topic_t *topic);
void samsa_topic_put(samsa_topic_t *topic);

/* True when @p name is a topic whose metadata could not be loaded at open
 * (damaged .meta file, engine not loaded, unreadable log) or whose data was
 * found without metadata: it is offline until repaired and restarted, its
 * name stays taken and its data untouched. @p reason (may be NULL) gets
 * why. */
bool samsa_logmgr_topic_offline(samsa_logmgr_t *mgr, const char *name,
                                char *reason, size_t len);

/* Snapshot of all topics (referenced); release with samsa_logmgr_list_free. */
samsa_err_t samsa_logmgr_list(samsa_logmgr_t *mgr, samsa_topic_t ***topics,
                              size_t *count);
void samsa_logmgr_list_free(samsa_topic_t **topics, size_t count);

/* A topic's partition, or NULL when out of range. */
samsa_partition_t *samsa_topic_partition(samsa_topic_t *topic, int32_t index);

/* Copy of a topic's overrides (caller frees with samsa_tcfg_free). */
samsa_err_t samsa_topic_config_copy(samsa_topic_t *topic, samsa_tcfg_t *out);
int64_t samsa_topic_config_long(samsa_topic_t *topic, const char *name);
/* Effective string value copied into buf. */
void samsa_topic_config_string(samsa_topic_t *topic, const char *name,
                               char *buf, size_t len);

/*
 * An acknowledgement waiting for a flush (DESIGN: "a flush that the policy
 * makes due completes before the produce is acknowledged"). done() runs
 * once, on the flusher thread (or on the caller's, see
 * samsa_partition_flush_wait), with SAMSA_OK or the flush's error; it must
 * only hand off (e.g. samsa_reactor_post). The waiter's memory belongs to
 * the caller and must stay valid until done() ran.
 */
typedef struct samsa_flush_waiter {
    void (*done)(struct samsa_flush_waiter *w, samsa_err_t err);
    void *arg;
    int64_t ticket; /* set by samsa_partition_flush_wait */
    struct samsa_flush_waiter *next;
} samsa_flush_waiter_t;

/*
 * Append validated batches (samsa_batches_validate) to a partition: assign
 * offsets in place, store, advance the high watermark, wake waiters.
 * log_append_time >= 0 stamps LogAppendTime. *base_offset gets the first
 * offset assigned. Errors from the engine are returned as they are.
 * Idempotent batches (producer id >= 0) are checked first against the
 * partition's producer state (samsa_producer_check: INVALID_PRODUCER_EPOCH,
 * OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_RECORD); a retried duplicate of a
 * recent batch appends nothing and returns SAMSA_OK with the original's
 * first offset in *base_offset. *flush_ticket: see below.
 */
samsa_err_t samsa_partition_append(samsa_partition_t *part, uint8_t *batches,
                                   size_t len, int64_t log_append_time,
                                   int64_t *base_offset, int64_t *flush_ticket);

/*
 * KIP-890 on a leader, as Kafka's VerificationGuard: take a guard with
 * samsa_partition_txn_guard before checking that producer @p pid's
 * transaction holds this partition (with its coordinator), then append
 * its batch with samsa_partition_append_guarded. In the append's critical
 * section, after the duplicate check, a marker of @p pid written to the
 * partition since the guard was taken refuses the batch with
 * INVALID_TXN_STATE: check and append are one step for the markers, so
 * a marker landing between them lets no stale write open a transaction
 * nobody will close. @p guard 0: no guard (samsa_partition_append).
 */
uint64_t samsa_partition_txn_guard(samsa_partition_t *part);
samsa_err_t samsa_partition_append_guarded(samsa_partition_t *part,
                                           uint8_t *batches, size_t len,
                                           int64_t log_append_time, int64_t pid,
                                           uint64_t guard, int64_t *base_offset,
                                           int64_t *flush_ticket);

/*
 * The flush policy is owned here (core/log/flusher.c), never by the storage
 * engine: when an append brings a partition to its flush.messages, the
 * append's *flush_ticket (optional; -1 otherwise) says which flush the
 * acknowledgement must wait for. samsa_partition_flush_wait registers @p w
 * for it and returns true, or returns false when that flush has already
 * completed (then done() is not called). Any thread; never blocks.
 */
bool samsa_partition_flush_wait(samsa_partition_t *part, int64_t ticket,
                                samsa_flush_waiter_t *w);

void samsa_partition_offsets(samsa_partition_t *part, samsa_log_offsets_t *out);
/* The high watermark: offsets below it are committed and readable. */
int64_t samsa_partition_hw(samsa_partition_t *part);
/* The last stable offset: the first offset of the oldest transaction
 * still open on the partition, else the high watermark. read_committed
 * fetches and ListOffsets stop there. */
int64_t samsa_partition_lso(samsa_partition_t *part);
/* Aborted transactions overlapping [from, to) (last_offset >= from and
 * first_offset < to), in marker order: from the storage engine's
 * transaction index (txn_index_collect, which may stop at the first entry
 * whose last stable offset is >= to) or, with an engine without one, from
 * the producer state (samsa_producer_aborted_range). Up to @p max copied
 * to @p out, *count gets how many overlap. Errors: the engine's
 * (KAFKA_STORAGE_ERROR): a read_committed fetch must then fail, never
 * return aborted records. Any thread. */
samsa_err_t samsa_partition_aborted_txns(samsa_partition_t *part, int64_t from,
                                         int64_t to, samsa_aborted_txn_t *out,
                                         size_t max, size_t *count);
/* The producers known on the partition (DescribeProducers;
 * samsa_producer_list). */
size_t samsa_partition_producers(samsa_partition_t *part,
                                 samsa_producer_info_t *out, size_t max);
/* The log start offset as of the last append, DeleteRecords or retention. */
int64_t samsa_partition_log_start(samsa_partition_t *part);
/* The epoch this replica leads or follows in (become_leader/_follower);
 * standalone: the latest epoch of the cache, 0 for a new partition. */
int32_t samsa_partition_leader_epoch(samsa_partition_t *part);
samsa_topic_t *samsa_partition_topic(samsa_partition_t *part);
int32_t samsa_partition_index(samsa_partition_t *part);

/*
 * Read side. Any thread; reads never block appends (DESIGN: fetches read
 * the committed high watermark atomically).
 *
 * samsa_partition_read: whole batches from the one holding @p offset, at
 * most @p max_bytes (SAMSA_READ_MIN_ONE: at least the first batch), none at
 * or past @p max_offset (-1: the high watermark). The slices (file ranges,
 * sendable with sendfile, or buffers) stay valid until
 * samsa_partition_read_release(part, out); the caller must keep the topic
 * referenced until then. SAMSA_ERR_OFFSET_OUT_OF_RANGE outside
 * [log start, log end]; offset == log end reads nothing.
 */
samsa_err_t samsa_partition_read(samsa_partition_t *part, int64_t offset,
                                 int64_t max_offset, int64_t max_bytes,
                                 uint32_t flags, samsa_storage_read_t *out);
void samsa_partition_read_release(samsa_partition_t *part,
                                  samsa_storage_read_t *rd);

/* ListOffsets by time: first offset whose timestamp is >= @p timestamp and
 * that batch's max timestamp. SAMSA_ERR_NOT_FOUND when none (below the high
 * watermark). */
samsa_err_t samsa_partition_offset_for_time(samsa_partition_t *part,
                                            int64_t timestamp, int64_t *offset,
                                            int64_t *found_ts);

/* Called by samsa_partition_read_all with each chunk of whole batches,
 * copied into a buffer that is valid only during the call. */
typedef samsa_err_t (*samsa_partition_chunk_fn)(void *arg, const uint8_t *buf,
                                                size_t len);

/*
 * Copying read of [@p from, @p to) (to = -1: the high watermark) in chunks
 * of about 1 MiB of whole batches, each handed to @p fn; stops at the first
 * error @p fn or the storage returns. For replays (group offsets, producer
 * state), not for Fetch, which sends the slices of samsa_partition_read
 * without copying.
 */
samsa_err_t samsa_partition_read_all(samsa_partition_t *part, int64_t from,
                                     int64_t to, samsa_partition_chunk_fn fn,
                                     void *arg);

/* DeleteRecords: offset -1 means the high watermark. *low gets the new
 * log start offset. */
samsa_err_t samsa_partition_delete_records(samsa_partition_t *part,
                                           int64_t offset, int64_t *low);

void samsa_partition_wait_add(samsa_partition_t *part, samsa_part_waiter_t *w);
void samsa_partition_wait_remove(samsa_partition_t *part,
                                 samsa_part_waiter_t *w);

/*
 * Replication (REPLICATION.md, Contract 1). core/log knows nothing of the
 * network or the quorum: core/replica drives these from metadata images
 * and replica fetches.
 */

/* Standalone and RF=1 partitions advance the high watermark with each
 * append (today). A replicated partition's HW moves only through
 * samsa_partition_set_hw. Default: not replicated. */
void samsa_partition_set_replicated(samsa_partition_t *part, bool on);

/* Whether set_replicated(part, true) is in force. */
bool samsa_partition_is_replicated(samsa_partition_t *part);

/* The log end offset: the next offset an append gets. */
int64_t samsa_partition_leo(samsa_partition_t *part);

/* Raise the HW to min(hw, LEO) (never lowers it); wakes fetch waiters
 * (samsa_partition_wait_add) when it moved. Any thread. */
void samsa_partition_set_hw(samsa_partition_t *part, int64_t hw);

/* Leader of @epoch from now: records (epoch, LEO) in the leader-epoch
 * cache (persisted as Kafka's leader-epoch-checkpoint, in
 * <data_dir>/__samsa_meta/leader-epochs/<topic id>-<partition>) when
 * @epoch is newer than the last entry; appends from now stamp
 * partitionLeaderEpoch = epoch into each batch. Blocks on fsync when the
 * cache changed: not on a reactor. KAFKA_STORAGE_ERROR when the checkpoint
 * cannot be written: it does not lead then. */
samsa_err_t samsa_partition_become_leader(samsa_partition_t *part,
                                          int32_t epoch);
/* samsa_partition_become_leader for @p n partitions at once (a takeover:
 * the checkpoints are written together, many fsyncs in flight rather
 * than one after another); errs[i] is parts[i]'s outcome. A partition
 * whose checkpoint cannot be written does not lead (KAFKA_STORAGE_ERROR;
 * the next call writes it again). Appends are refused
 * (NOT_LEADER_OR_FOLLOWER) until it leads. Not on a reactor. */
void samsa_partitions_become_leader(samsa_partition_t *const *parts,
                                    const int32_t *epochs, size_t n,
                                    samsa_err_t *errs);

/* Follower of @epoch from now: leader appends (samsa_partition_append)
 * are refused with NOT_LEADER_OR_FOLLOWER until become_leader. Wakes the
 * partition's waiters (samsa_partition_wait_add), so those waiting on a
 * leadership see it is gone. */
samsa_err_t samsa_partition_become_follower(samsa_partition_t *part,
                                            int32_t epoch);

/* True between become_follower and the next become_leader. */
bool samsa_partition_is_follower(samsa_partition_t *part);

/* Follower append: whole batches fetched from the leader, kept exactly as
 * they are (offsets, partitionLeaderEpoch; CRC checked: CORRUPT_MESSAGE).
 * The first batch's base offset must equal the LEO (else
 * OFFSET_OUT_OF_RANGE), or with an engine that has append_sparse be at or
 * past it, as each next batch past the end of the one before: a compacted
 * leader's log keeps offsets with gaps between batches. A cut-off last batch
 * (the tail of a fetch response) is left out; nothing whole: SAMSA_OK.
 * A batch with a newer partitionLeaderEpoch starts that epoch in the
 * cache at its base offset. Producer state is updated (no sequence
 * checks: the leader did them). The HW does not move. Not on a reactor
 * thread if the engine may block (and a new epoch is fsynced). */
samsa_err_t samsa_partition_append_replica(samsa_partition_t *part,
                                           const uint8_t *batches, size_t len);

/* Cut the log at @offset (LEO becomes @offset, rounded down to a batch
 * boundary by the engine; HW lowered to it if above); epoch-cache entries
 * starting at or after the new LEO are dropped; producer state becomes
 * that of a log ending there (a copy kept as the HW moved plus a replay
 * from it; without one, the crash-recovery rebuild). @offset at
 * or past the LEO: only epoch-cache entries starting at the LEO (an
 * epoch led here with no record) are dropped; below the log start: as
 * truncate_fully. truncate_fully drops everything and starts the empty log
 * at @start_offset (Kafka's truncateFullyAndStartAt). Not on a reactor. */
samsa_err_t samsa_partition_truncate_to(samsa_partition_t *part,
                                        int64_t offset);
samsa_err_t samsa_partition_truncate_fully(samsa_partition_t *part,
                                           int64_t start_offset);

/* Kafka's OffsetForLeaderEpoch answer for @epoch (LeaderEpochFileCache
 * endOffsetFor): the latest epoch asked: (epoch, LEO); else the largest
 * epoch in the cache <= @epoch and the start of the next epoch in the
 * cache; @epoch below every cached epoch: (@epoch, start of the first
 * cached epoch) as Kafka answers; -1/-1 when @epoch < 0, the cache is
 * empty, or @epoch is above every cached epoch. */
void samsa_partition_epoch_end(samsa_partition_t *part, int32_t epoch,
                               int32_t *epoch_out, int64_t *end_offset);
/* The last epoch in the cache (-1: empty). */
int32_t samsa_partition_last_epoch(samsa_partition_t *part);

/* Topic name rules (Kafka's): 1..249 chars of [a-zA-Z0-9._-], not . or .. */
bool samsa_topic_name_valid(const char *name);

/* Engine flushes the flush policy has run so far (tests, metrics). */
int64_t samsa_logmgr_flush_count(samsa_logmgr_t *mgr);

/* Run one housekeeping pass now (tests). */
void samsa_logmgr_housekeep_now(samsa_logmgr_t *mgr);

#endif /* SAMSA_LOGMGR_H */
