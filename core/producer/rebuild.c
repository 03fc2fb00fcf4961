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

void samsa_producer_rebuild_begin(samsa_producer_state_t *st,
                                  const char *snapshot_path, int64_t log_start,
                                  int64_t log_end, int64_t scan_limit,
                                  int64_t *replay_from)
{
    if (scan_limit <= 0) {
        scan_limit = SAMSA_PRODUCER_SCAN_LIMIT_DEFAULT;
    }
    int64_t start = log_end - scan_limit;
    if (start < log_start) {
        start = log_start;
    }
    if (snapshot_path) {
        int64_t snap_at = -1;
        samsa_err_t err =
            samsa_producer_snapshot_load(st, snapshot_path, &snap_at);
        if (err == SAMSA_OK && snap_at >= start && snap_at <= log_end) {
            start = snap_at;
        } else if (err == SAMSA_OK) {
            /* The log moved on without us (lost, truncated, or too much
             * was written after it to replay): entries would be stale. */
            pthread_mutex_lock(&st->lock);
            samsa_ps_producer_clear_locked(st);
            pthread_mutex_unlock(&st->lock);
        }
        if (err != SAMSA_ERR_NOT_FOUND) {
            unlink(snapshot_path);
        }
    }
    *replay_from = start;
}
