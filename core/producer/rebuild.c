/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/producer/rebuild.c - producer state of a log being opened: the
 * clean-shutdown snapshot plus the batches stored after it, or without a
 * snapshot the tail of the log. Batches keep their v2 headers on disk, so
 * producer id, epoch and sequences are read back from them (compressed
 * batches too: the header is never compressed).
 */
#include "producer/state_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static samsa_err_t replay_buffer(samsa_producer_state_t *st, const uint8_t *p,
                                 size_t len, int64_t now)
{
    for (size_t at = 0; at < len;) {
        samsa_batch_hdr_t h;
        if (samsa_batch_parse(p + at, len - at, &h) != SAMSA_OK) {
            break; /* a cut-off tail: the next read starts there */
        }
        if (h.producer_id >= 0 && !(h.attributes & SAMSA_BATCH_ATTR_CONTROL)) {
            /* Kafka dates a replayed producer by the batch's timestamp,
             * which is the client's clock under CreateTime: a skewed or
             * back-dated producer would lose its state on every restart.
             * Count the replay as activity instead; at worst a producer
             * is kept one expiration period longer. */
            samsa_err_t err = samsa_ps_producer_apply(st, &h, now);
            if (err != SAMSA_OK) {
                return err;
            }
        }
        if (h.producer_id >= 0 &&
            (h.attributes & SAMSA_BATCH_ATTR_TRANSACTIONAL)) {
            samsa_err_t err = samsa_ps_txn_apply(st, &h, p + at);
            if (err != SAMSA_OK) {
                return err;
            }
        }
        at += samsa_batch_size(&h);
    }
    return SAMSA_OK;
}

samsa_err_t samsa_producer_replay(samsa_producer_state_t *st,
                                  const uint8_t *batches, size_t len,
                                  int64_t now_ms)
{
    pthread_mutex_lock(&st->lock);
    samsa_err_t err = replay_buffer(st, batches, len, now_ms);
    pthread_mutex_unlock(&st->lock);
    return err;
}

/* Load @p path into @p st (emptied first) when its offset lies in
 * [log_start, log_end] and is newer than *best_at. Returns the file's
 * offset, or -1 when it is absent, damaged or outside the log: a snapshot
 * above the recovered log end describes records a crash lost, one below
 * the log start records retention removed. */
static int64_t snapshot_try(samsa_producer_state_t *st, const char *path,
                            int64_t log_start, int64_t log_end,
                            int64_t *best_at)
{
    samsa_producer_state_t *tmp;
    if (samsa_producer_state_new(st->expiration_ms, &tmp) != SAMSA_OK) {
        return -1;
    }
    int64_t at = -1;
    if (samsa_producer_snapshot_load(tmp, path, &at) != SAMSA_OK ||
        at < log_start || at > log_end) {
        at = -1;
    } else if (at > *best_at) {
        samsa_producer_state_swap(st, tmp);
        *best_at = at;
    }
    samsa_producer_state_free(tmp);
    return at;
}

void samsa_producer_rebuild_begin(samsa_producer_state_t *st,
                                  const char *snapshot_path,
                                  const char *const *periodic,
                                  int64_t *periodic_at, size_t periodic_count,
                                  int64_t log_start, int64_t log_end,
                                  int64_t scan_limit, int64_t *replay_from)
{
    if (scan_limit <= 0) {
        scan_limit = SAMSA_PRODUCER_SCAN_LIMIT_DEFAULT;
    }
    int64_t best_at = -1;
    for (size_t i = 0; i < periodic_count; i++) {
        periodic_at[i] =
            snapshot_try(st, periodic[i], log_start, log_end, &best_at);
        if (periodic_at[i] < 0) {
            unlink(periodic[i]);
        }
    }
    if (snapshot_path) {
        /* Deleted once read: the log moves on and may be truncated and
         * written again past it. */
        (void)snapshot_try(st, snapshot_path, log_start, log_end, &best_at);
        unlink(snapshot_path);
    }
    if (best_at >= 0) {
        *replay_from = best_at;
        return;
    }
    int64_t start = log_end - scan_limit;
    *replay_from = start < log_start ? log_start : start;
}
