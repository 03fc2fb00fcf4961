/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seg.h - storage-segment internals: instance state, logs and segments.
 *
 * Locking: each log has one mutex guarding the segment list, every
 * segment's size/next_offset/max_ts/index arrays, and the log's offsets.
 * It is held only for bookkeeping (never across I/O except tiny index
 * reads), so readers never wait for an append's write(). Bytes of a segment
 * below its published size never change (except by truncate and by
 * compaction, which swaps in a new segment object).
 *
 * Lifetime: a segment is reference counted. The log's list holds one
 * reference; each read() holds one until read_release(). The fd is closed
 * when the last reference goes, so a sendfile in flight survives retention.
 *
 * File descriptors: a segment's fd is opened on first use (sg_seg_fd, by
 * whoever pinned it; the append path pins the active segment) and closed
 * again by housekeep once it went a whole pass unused and unpinned, so a
 * partition nobody uses holds no fd however many segments it has.
 */
#ifndef SG_SEG_H
#define SG_SEG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <samsa/storage.h>

#include "records_v2.h"

/** Instance: one data directory and the manifest's defaults. */
typedef struct sg_state {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    char *dir;               /* root holding <topic>-<partition>/ dirs */
    samsa_log_config_t defs; /* defaults for fields a topic leaves at 0 */
    bool preallocate;        /* reserved: not implemented yet */
    atomic_bool offline;     /* the directory failed; refuse writes */
    /* The fd cache: segments whose fd sg_seg_fd opened, most recently
     * opened first, at most max_open of them (the least recent unpinned
     * ones are closed past that). Guarded by lru_mu, which is taken before
     * a log mutex only with trylock. */
    pthread_mutex_t lru_mu;
    struct sg_seg *lru_first, *lru_last;
    int64_t open_fds, max_open;
} sg_state_t;

/** One sparse offset index entry (on disk: two big-endian int32). */
typedef struct sg_idx {
    uint32_t rel; /* batch base offset minus segment base */
    uint32_t pos; /* byte position of that batch in the .log */
} sg_idx_t;

/** One time index entry (on disk: BE int64 ts, BE int32 rel): every
 *  record stored before relative offset @c rel has timestamp <= @c ts. */
typedef struct sg_tidx {
    int64_t ts;
    uint32_t rel;
    uint32_t pad;
} sg_tidx_t;

typedef struct sg_seg {
    int64_t base;     /* base offset: the file name */
    atomic_int fd;    /* .log, O_RDWR; -1 while closed (sg_seg_fd) */
    atomic_bool used; /* fd used since the last housekeep pass */
    /* fd cache (sg_state_t): linked while its fd is counted there. */
    struct sg_seg *lru_prev, *lru_next;
    bool in_lru;
    sg_state_t *st;
    struct samsa_storage_log *log; /* NULL once the log is freed */
    atomic_int refs;               /* list + readers */
    int64_t size;                  /* published bytes */
    int64_t synced;                /* bytes known fsynced */
    int64_t next_offset;       /* offset after the last batch (or next base) */
    int64_t max_ts;            /* largest maxTimestamp stored, -1 if none */
    int64_t first_ms;          /* wall time of the first append (segment.ms) */
    int64_t since_idx;         /* bytes appended since the last index entry */
    uint64_t version;          /* bumped when truncated */
    bool loaded;               /* index arrays hold the whole index */
    atomic_bool damage_logged; /* a damaged batch was reported */
    sg_idx_t *idx;
    uint32_t nidx, cidx, idx_written;
    sg_tidx_t *tidx;
    uint32_t ntidx, ctidx, tidx_written;
    /* Transaction index (sg_txn.c): entries in <base>.txnindex, and how
     * many of them are known fsynced. */
    uint32_t ntxn, txn_synced;
    struct sg_seg *prev, *next;
} sg_seg_t;

struct samsa_storage_log {
    sg_state_t *st;
    char *path; /* <dir>/<topic>-<partition> */
    pthread_mutex_t mu;
    samsa_log_config_t cfg;
    sg_seg_t *head; /* oldest */
    sg_seg_t *tail; /* active */
    int64_t start;  /* log start offset */
    int64_t leo;    /* log end offset */
    int64_t size_bytes;
    int64_t nsegs;
    uint64_t gen;     /* bumped on truncate and segment removal */
    bool start_dirty; /* start offset file not yet fsynced */
    uint8_t *scratch; /* recovery/compaction buffer (owner thread only) */
    int64_t txn_last; /* newest marker offset in a txnindex, -1: none */
};

/* ---- sg_seg.c: files, indexes, scanning ---- */

/** "<dir>/<20-digit base><ext>" into @p buf. */
void sg_seg_path(char *buf, size_t size, const char *dir, int64_t base,
                 const char *ext);
/** New segment object with one reference (the list's); no files touched. */
sg_seg_t *sg_seg_new(int64_t base);
/** Take / drop a reference; the last drop closes the fd and frees. */
void sg_seg_pin(sg_seg_t *seg);
void sg_seg_unpin(sg_seg_t *seg);
/** The open fd of a segment pinned by the caller, opening it if it is
 *  closed; -1 on failure (logged).
 *  Never called with the log mutex held. */
int sg_seg_fd(samsa_storage_log_t *log, sg_seg_t *seg);
/** Forget @p seg in the fd cache (its fd stays open until closed by the
 *  caller or the last unpin). */
void sg_seg_lru_forget(sg_seg_t *seg);
/** Close the fds of segments (the active one too) unused since the last call
 * and not pinned (housekeep). */
void sg_seg_close_idle(samsa_storage_log_t *log);
/** Create the empty .log/.index/.timeindex of a new segment. */
samsa_err_t sg_seg_create(samsa_storage_log_t *log, sg_seg_t *seg);
/** Delete the files of @p seg (its fd stays open until unpinned). */
void sg_seg_unlink(samsa_storage_log_t *log, sg_seg_t *seg);
/** Add index entries for a batch at @p pos (log lock held). */
bool sg_seg_note_batch(sg_seg_t *seg, const sb_info_t *b, int64_t pos,
                       int64_t interval);
/** Append a closing time entry covering the whole segment (lock held). */
bool sg_seg_seal_time(sg_seg_t *seg);
/** Largest indexed position at or before @p offset (lock held). */
int64_t sg_seg_lookup(const sg_seg_t *seg, int64_t offset);
/** Position from which to scan for timestamp @p ts (lock held). */
int64_t sg_seg_lookup_time(const sg_seg_t *seg, int64_t ts);
/** Write index entries not yet on disk (any thread; takes the lock). */
samsa_err_t sg_seg_write_index(samsa_storage_log_t *log, sg_seg_t *seg,
                               bool rewrite);
/** Make the index of a pinned segment resident, loading or rebuilding. */
samsa_err_t sg_seg_ensure_index(samsa_storage_log_t *log, sg_seg_t *seg);
/** Read a batch header at @p pos (at most @p limit): SB_OK/SB_SHORT/SB_BAD */
int sg_read_header(int fd, int64_t pos, int64_t limit, sb_info_t *b);
/** Scan @p seg from 0, rebuilding its index; with @p check_crc stop at the
 *  first torn or corrupt batch and truncate the file there. */
samsa_err_t sg_seg_recover(samsa_storage_log_t *log, sg_seg_t *seg,
                           bool check_crc);
/** Cheap sanity check of an inactive segment's index files. */
bool sg_seg_index_sane(samsa_storage_log_t *log, sg_seg_t *seg,
                       int64_t *max_ts);

/* ---- sg_log.c ---- */
samsa_err_t sg_io_error(samsa_storage_log_t *log, const char *what, int err);
int64_t sg_now(const samsa_storage_log_t *log);
void sg_resolve(const sg_state_t *st, const samsa_log_config_t *in,
                samsa_log_config_t *out);

/* ---- sg_txn.c: the transaction index (<base>.txnindex) ---- */

/** Bytes of one entry on disk (Kafka's AbortedTxn). */
#define SG_TXN_ENTRY 34
void sg_txn_encode(uint8_t *p, const samsa_aborted_txn_t *txn);
/** False for an entry of an unknown version. */
bool sg_txn_decode(const uint8_t *p, samsa_aborted_txn_t *txn);
/** At open, after the segments are loaded and the log end is known: count
 *  each segment's entries, drop those past the log end (recovery) and a
 *  torn last entry. */
samsa_err_t sg_txn_open(samsa_storage_log_t *log);
/** @p seg (pinned, now the last segment) was cut at @p end: its entries
 *  with a marker at or past it go. Append thread. */
samsa_err_t sg_txn_truncate(samsa_storage_log_t *log, sg_seg_t *seg,
                            int64_t end);
/** Delete the index file of segment @p base (it goes with the segment). */
void sg_txn_unlink(samsa_storage_log_t *log, int64_t base);
/** fsync the index of @p seg if it has entries not known durable. */
samsa_err_t sg_txn_sync(samsa_storage_log_t *log, sg_seg_t *seg);
samsa_err_t sg_txn_index_append(samsa_storage_log_t *log,
                                const samsa_aborted_txn_t *txn);
samsa_err_t sg_txn_index_collect(samsa_storage_log_t *log, int64_t from,
                                 int64_t to, samsa_aborted_txn_t *out,
                                 size_t max, size_t *count);

/* ---- sg_compact.c ---- */
samsa_err_t sg_compact(samsa_storage_log_t *log, int64_t now_ms);

extern const samsa_storage_ops_t sg_ops;

#endif /* SG_SEG_H */
