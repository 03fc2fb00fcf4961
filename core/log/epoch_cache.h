/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/epoch_cache.h - one partition's leader-epoch cache: for each
 * leader epoch the first offset written in it (Kafka's
 * LeaderEpochFileCache), kept in memory and in a checkpoint file in Kafka's
 * leader-epoch-checkpoint format:
 *
 *     0            <- version
 *     2            <- number of entries
 *     0 0          <- "epoch startOffset", oldest first
 *     3 1200
 *
 * Entries are strictly increasing in both epoch and start offset. The
 * partition (core/log/logmgr.c) owns one and calls it under its append
 * lock; the cache has its own mutex so readers (OffsetForLeaderEpoch,
 * Metadata) never wait for an append.
 */
#ifndef SAMSA_LOG_EPOCH_CACHE_H
#define SAMSA_LOG_EPOCH_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

typedef struct samsa_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
} samsa_epoch_entry_t;

typedef struct samsa_epoch_cache {
    pthread_mutex_t lock;
    samsa_epoch_entry_t *entries; /* oldest first */
    size_t count, cap;
    char *path; /* checkpoint file; NULL: memory only */
} samsa_epoch_cache_t;

/* @p path may be NULL (nothing persisted). */
samsa_err_t samsa_epoch_cache_init(samsa_epoch_cache_t *c, const char *path);
void samsa_epoch_cache_free(samsa_epoch_cache_t *c);

/* Read the checkpoint file into the (empty) cache. SAMSA_ERR_NOT_FOUND
 * when there is none, SAMSA_ERR_CORRUPT_MESSAGE when it does not parse
 * (the cache is then left empty). */
samsa_err_t samsa_epoch_cache_load(samsa_epoch_cache_t *c);

/* Write the checkpoint file atomically and durably (blocks on fsync).
 * Without a path: SAMSA_OK, nothing written. */
samsa_err_t samsa_epoch_cache_flush(samsa_epoch_cache_t *c);

/* The checkpoint file's content now (malloc'd into *text, caller frees),
 * for callers that write several files together (samsa_files_replace). */
samsa_err_t samsa_epoch_cache_render(samsa_epoch_cache_t *c, char **text,
                                     size_t *len);

/* Kafka's assign: start @p epoch at @p start_offset when it differs from
 * the latest entry's epoch (or starts below it); entries with an epoch or
 * start offset at or above the new one are dropped first. Returns true
 * when the cache changed (the caller flushes). */
bool samsa_epoch_cache_assign(samsa_epoch_cache_t *c, int32_t epoch,
                              int64_t start_offset);

/* Drop entries starting at or after @p end_offset (the log was cut
 * there). Returns true when the cache changed. */
bool samsa_epoch_cache_truncate_end(samsa_epoch_cache_t *c, int64_t end_offset);

/* The log now starts at @p start_offset: entries wholly below it go, the
 * one it falls in starts there (Kafka's truncateFromStart). Returns true
 * when the cache changed. */
bool samsa_epoch_cache_truncate_start(samsa_epoch_cache_t *c,
                                      int64_t start_offset);

/* Drop everything. */
void samsa_epoch_cache_clear(samsa_epoch_cache_t *c);

/* The latest epoch, -1 when empty. */
int32_t samsa_epoch_cache_latest(samsa_epoch_cache_t *c);

/* Kafka's endOffsetFor(@p epoch, @p log_end): see
 * samsa_partition_epoch_end in logmgr.h. */
void samsa_epoch_cache_end_offset(samsa_epoch_cache_t *c, int32_t epoch,
                                  int64_t log_end, int32_t *epoch_out,
                                  int64_t *end_offset);

/* Copy up to @p max entries to @p out; returns how many there are. */
size_t samsa_epoch_cache_entries(samsa_epoch_cache_t *c,
                                 samsa_epoch_entry_t *out, size_t max);

#endif /* SAMSA_LOG_EPOCH_CACHE_H */
