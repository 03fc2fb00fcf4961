/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/storage.h - storage engine plugins (kind SAMSA_KIND_STORAGE).
 *
 * A storage engine keeps partition logs: append-only sequences of Kafka
 * record batches (magic 2), each batch stored byte for byte as it travels
 * on the wire after the broker has assigned its offsets. The broker owns
 * the protocol: it validates CRCs, assigns baseOffset, and decides the high
 * watermark; the engine owns bytes on disk (or in memory), indexes, roll,
 * retention, compaction, flushing and recovery.
 *
 * Offsets: log_start_offset is the first offset still readable;
 * log_end_offset (LEO) is the offset the next appended record will get.
 * Both only move forward, except truncate() which moves LEO back and
 * truncate_fully() which restarts the log anywhere (replication).
 *
 * Flushing: the broker owns the flush policy (DESIGN.md, Storage: one owner
 * of the flush policy; a flush that the policy makes due completes before
 * the produce is acknowledged). It counts appends against the topic's
 * flush.messages and flush.ms (core/log/flusher.c), calls flush() on its
 * flusher thread when one is due, and answers a Produce whose append made
 * the flush due only after flush() returned, so flush.messages=1 means
 * fsync before the acknowledgement, as in Kafka. Engines never flush on
 * their own account for the policy (not in append, not in housekeep); the
 * flush_* fields of samsa_log_config_t are for information only.
 *
 * Threads:
 *   append, append_sparse, truncate, truncate_fully, set_start_offset:
 *       serialized per log by the broker (never two at once for one log),
 *       may run on a reactor: no fsync.
 *   txn_index_append: serialized with append (the host calls it under the
 *       same lock), may run on a reactor: no fsync.
 *   read, read_release, offsets, offset_for_time, txn_index_collect: any
 *       thread, concurrently with each other and with append, housekeep,
 *       compact and flush on the same log. A reader never sees a batch
 *       whose append has not returned, and never sees a partially indexed
 *       batch.
 *   flush, housekeep, compact: background threads; they may block. The host
 *       never runs two of the same op on one log at once.
 *   open, close, remove: the host guarantees no other op runs on that log.
 */
#ifndef SAMSA_STORAGE_H
#define SAMSA_STORAGE_H

#include <samsa/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One partition's log, owned by the engine between open() and close(). */
typedef struct samsa_storage_log samsa_storage_log_t;

/** cleanup.policy bits. */
#define SAMSA_CLEANUP_DELETE  0x1u
#define SAMSA_CLEANUP_COMPACT 0x2u

/** Flush policy values: -1 means "leave it to the OS page cache". */
#define SAMSA_FLUSH_OS (-1)

/**
 * Per-log settings: the topic's configs (Kafka names in the comments),
 * resolved by the broker from topic overrides, broker defaults and the
 * engine's manifest. Passed by pointer; the engine copies what it keeps.
 */
typedef struct samsa_log_config {
    samsa_abi_header_t hdr;
    int64_t segment_bytes;        /**< segment.bytes: roll when larger */
    int64_t segment_ms;           /**< segment.ms: roll when older */
    int64_t retention_bytes;      /**< retention.bytes; -1 = unlimited */
    int64_t retention_ms;         /**< retention.ms; -1 = forever */
    int64_t delete_retention_ms;  /**< delete.retention.ms (tombstones) */
    int64_t flush_messages;       /**< flush.messages; SAMSA_FLUSH_OS = OS
                                       (information: the broker flushes) */
    int64_t flush_ms;             /**< flush.ms; SAMSA_FLUSH_OS = OS
                                       (information: the broker flushes) */
    int64_t index_interval_bytes; /**< index.interval.bytes */
    int64_t max_bytes;            /**< storage-memory: bound of the log in
                                       bytes (oldest batches are dropped);
                                       0 = engine default */
    uint32_t cleanup_policy;      /**< SAMSA_CLEANUP_* bits */
    uint32_t reserved0;           /**< zero */
} samsa_log_config_t;

/** Current position of a log. */
typedef struct samsa_log_offsets {
    int64_t log_start_offset; /**< first readable offset */
    int64_t log_end_offset;   /**< next offset to be assigned (LEO) */
    int64_t size_bytes;       /**< bytes held (all segments) */
    int64_t segment_count;    /**< segments (1 for memory) */
} samsa_log_offsets_t;

/**
 * One contiguous run of stored batch bytes. Exactly one of the two forms:
 * fd >= 0: bytes [pos, pos+len) of file descriptor fd (sendfile-able);
 * fd < 0:  len bytes at buf.
 * Valid until read_release() of the read that returned it.
 */
typedef struct samsa_slice {
    int32_t fd;
    uint32_t reserved0;
    int64_t pos;
    int64_t len;
    const void *buf;
} samsa_slice_t;

#define SAMSA_STORAGE_MAX_SLICES 8

/** Result of read(): whole batches, in offset order, possibly spanning
 *  segments (one slice per segment touched). */
typedef struct samsa_storage_read {
    samsa_abi_header_t hdr;
    uint32_t slice_count;
    uint32_t reserved0;
    samsa_slice_t slices[SAMSA_STORAGE_MAX_SLICES];
    int64_t total_bytes; /**< sum of slice lengths */
    int64_t next_offset; /**< offset after the last batch returned */
    void *engine_ref;    /**< engine private; released by read_release */
} samsa_storage_read_t;

/**
 * One aborted transaction of a log (Kafka's AbortedTxn, an entry of the
 * .txnindex beside each segment), added in ABI minor 5. Records of
 * @c producer_id in [first_offset, last_offset] are aborted; last_offset
 * is the abort marker's offset. last_stable_offset is the log's last stable
 * offset just after the marker was applied: the first offset of the oldest
 * transaction of another producer still open, else last_offset + 1. No
 * transaction starting below it can be aborted by a later marker, which is
 * what lets txn_index_collect stop early. Fixed layout (32 bytes, no
 * header): entries are passed in arrays.
 */
typedef struct samsa_aborted_txn {
    int64_t producer_id;
    int64_t first_offset;
    int64_t last_offset;
    int64_t last_stable_offset;
} samsa_aborted_txn_t;

/** Read flags. SAMSA_READ_MIN_ONE: return the first batch even if it is
 *  larger than max_bytes (KIP-74). */
#define SAMSA_READ_MIN_ONE 0x1u

/** Ops table of a storage engine. All ops are mandatory unless marked. */
typedef struct samsa_storage_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_storage_ops_t) */

    /** Open (creating if absent) the log of topic/partition, recovering it
     *  if it was not closed cleanly: a torn or corrupt tail is truncated to
     *  the last whole batch. Main or controller thread. */
    samsa_err_t (*open)(void *state, const char *topic, int32_t partition,
                        const samsa_log_config_t *cfg,
                        samsa_storage_log_t **log, char *errbuf,
                        size_t errbuf_size);

    /** Flush and release the log. Nothing else runs on it concurrently. */
    void (*close)(samsa_storage_log_t *log);

    /** Close the log and delete all of its data (DeleteTopics). */
    samsa_err_t (*remove)(samsa_storage_log_t *log);

    /** Apply new settings (AlterConfigs). Any thread. */
    samsa_err_t (*configure)(samsa_storage_log_t *log,
                             const samsa_log_config_t *cfg);

    /**
     * Append @p len bytes holding one or more complete record batches whose
     * baseOffset fields already continue the log (the first equals LEO).
     * The bytes are borrowed for the call and copied or written out before
     * return. On success the batches are readable and LEO has moved.
     * On failure nothing is visible and LEO is unchanged.
     * Errors: SAMSA_ERR_KAFKA_STORAGE_ERROR (I/O, full disk),
     * SAMSA_ERR_CORRUPT_MESSAGE (malformed batch framing),
     * SAMSA_ERR_INVALID_REQUEST (offsets do not continue the log).
     * Reactor-safe (no fsync); serialized per log.
     */
    samsa_err_t (*append)(samsa_storage_log_t *log, const void *batches,
                          size_t len);

    /**
     * Read whole batches starting with the one containing @p offset, at most
     * @p max_bytes in total (see SAMSA_READ_MIN_ONE), never including a batch
     * whose base offset is >= @p max_offset (the high watermark; pass -1
     * for LEO). On SAMSA_OK the caller must call read_release(out).
     * Errors: SAMSA_ERR_OFFSET_OUT_OF_RANGE when offset < log start or
     * offset > LEO. offset == LEO returns zero slices. Any thread.
     */
    samsa_err_t (*read)(samsa_storage_log_t *log, int64_t offset,
                        int64_t max_offset, int64_t max_bytes, uint32_t flags,
                        samsa_storage_read_t *out);

    /** Release what read() pinned (open fds, buffers). Any thread. */
    void (*read_release)(samsa_storage_log_t *log, samsa_storage_read_t *rd);

    /** Current offsets and size. Any thread, lock-free or short lock. */
    void (*offsets)(samsa_storage_log_t *log, samsa_log_offsets_t *out);

    /**
     * ListOffsets by time: the first offset whose record timestamp is >=
     * @p timestamp, and that batch's max timestamp in *found_ts.
     * SAMSA_ERR_NOT_FOUND when no such record exists. Any thread.
     */
    samsa_err_t (*offset_for_time)(samsa_storage_log_t *log, int64_t timestamp,
                                   int64_t *offset, int64_t *found_ts);

    /** Remove every batch at or after @p offset (replication truncation);
     *  LEO becomes @p offset rounded down to a batch boundary. */
    samsa_err_t (*truncate)(samsa_storage_log_t *log, int64_t offset);

    /** DeleteRecords: move the log start offset forward to @p offset
     *  (<= LEO); whole segments below it become deletable. */
    samsa_err_t (*set_start_offset)(samsa_storage_log_t *log, int64_t offset);

    /** Make durable everything appended before the call (fsync of data,
     *  indexes and directory). Called by the broker's flusher thread when
     *  the flush policy is due, and at close. May block. */
    samsa_err_t (*flush)(samsa_storage_log_t *log);

    /** Roll by time, enforce retention by time/size and the start offset.
     *  No flushing for the policy: the broker owns it (see above). Called
     *  periodically; background thread. */
    samsa_err_t (*housekeep)(samsa_storage_log_t *log, int64_t now_ms);

    /** Optional (NULL if unsupported): compact the log (latest value per key
     *  survives; tombstones older than delete_retention_ms go).
     *  Background thread; must not block append or read for long. */
    samsa_err_t (*compact)(samsa_storage_log_t *log, int64_t now_ms);

    /** Optional, added in ABI minor 4 (the host checks with SAMSA_ABI_HAS
     *  and for NULL): drop every batch and restart the empty log at
     *  @p offset, below, inside or past the old log (replication: a
     *  follower whose log end is below the leader's log start, Kafka's
     *  truncateFullyAndStartAt). Serialized with append and truncate. */
    samsa_err_t (*truncate_fully)(samsa_storage_log_t *log, int64_t offset);

    /** Optional, added in ABI minor 4 (checked like truncate_fully): as
     *  append, but the first batch may start past LEO and each batch past
     *  the end of the one before (a follower copying a compacted leader's
     *  log, whose batches keep their offsets with gaps between them); LEO
     *  becomes the last batch's last offset + 1. A gap of more than
     *  INT32_MAX offsets: SAMSA_ERR_INVALID_REQUEST. */
    samsa_err_t (*append_sparse)(samsa_storage_log_t *log, const void *batches,
                                 size_t len);

    /**
     * Optional, added in ABI minor 5, with txn_index_collect (the host uses
     * the index only when both are there; without it the host keeps aborted
     * transactions in memory and forgets old ones at a crash): record an
     * aborted transaction whose abort marker (@p txn->last_offset, below
     * LEO) is in the log, in the index of the segment holding the marker
     * (Kafka's LogSegment.updateTxnIndex). The host calls it after the
     * append of the marker, and again at open for the markers it replays
     * (recovery): an entry whose last_offset is not above the log's newest
     * indexed one is already there and is ignored (SAMSA_OK), as is one
     * below the log start offset; one at or past LEO is refused
     * (SAMSA_ERR_INVALID_REQUEST). The index
     * follows the log: truncate() drops entries with last_offset >= the
     * cut, truncate_fully() all, a segment deleted by retention or
     * set_start_offset takes its entries with it, open() drops entries at
     * or past the recovered LEO. Durable with the next flush(). Serialized
     * with append and truncate; reactor-safe (no fsync).
     * Errors: SAMSA_ERR_KAFKA_STORAGE_ERROR (I/O), SAMSA_ERR_NOMEM.
     */
    samsa_err_t (*txn_index_append)(samsa_storage_log_t *log,
                                    const samsa_aborted_txn_t *txn);

    /**
     * Optional, added in ABI minor 5 (see txn_index_append): the aborted
     * transactions overlapping [@p from, @p to) (last_offset >= from and
     * first_offset < to), in marker order, read from the index of the
     * segment holding @p from and of every later one, stopping after the
     * first entry whose last_stable_offset >= @p to (Kafka's
     * Log.collectAbortedTransactions). Up to @p max are copied to @p out
     * (may be NULL when max is 0); *count gets how many overlap. Any
     * thread, concurrently with appends (an entry is seen whole or not at
     * all); may read small index files.
     */
    samsa_err_t (*txn_index_collect)(samsa_storage_log_t *log, int64_t from,
                                     int64_t to, samsa_aborted_txn_t *out,
                                     size_t max, size_t *count);
} samsa_storage_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_STORAGE_H */
