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

#define READ_CHUNK (1 << 20)

/* Copy a read's slices (file ranges or buffers) into one buffer. */
static samsa_err_t gather(const samsa_storage_read_t *rd, uint8_t **out,
                          size_t *len)
{
    uint8_t *buf = malloc(rd->total_bytes > 0 ? (size_t)rd->total_bytes : 1);
    if (!buf) {
        return SAMSA_ERR_NOMEM;
    }
    size_t at = 0;
    for (uint32_t i = 0; i < rd->slice_count; i++) {
        const samsa_slice_t *s = &rd->slices[i];
        if (s->fd < 0) {
            memcpy(buf + at, s->buf, (size_t)s->len);
            at += (size_t)s->len;
            continue;
        }
        for (int64_t done = 0; done < s->len;) {
            ssize_t n =
                pread(s->fd, buf + at, (size_t)(s->len - done), s->pos + done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                free(buf);
                return SAMSA_ERR_KAFKA_STORAGE_ERROR;
            }
            done += n;
            at += (size_t)n;
        }
    }
    *out = buf;
    *len = at;
    return SAMSA_OK;
}

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
        at += samsa_batch_size(&h);
    }
    return SAMSA_OK;
}

static samsa_err_t replay(samsa_producer_state_t *st,
                          const samsa_storage_ops_t *ops,
                          samsa_storage_log_t *log, int64_t from, int64_t to,
                          int64_t now)
{
    samsa_err_t err = SAMSA_OK;
    for (int64_t offset = from; err == SAMSA_OK && offset < to;) {
        samsa_storage_read_t rd;
        memset(&rd, 0, sizeof(rd));
        rd.hdr = (samsa_abi_header_t)SAMSA_ABI_HEADER(samsa_storage_read_t);
        err = ops->read(log, offset, to, READ_CHUNK, SAMSA_READ_MIN_ONE, &rd);
        if (err != SAMSA_OK) {
            break;
        }
        uint8_t *buf = NULL;
        size_t len = 0;
        err = gather(&rd, &buf, &len);
        int64_t next = rd.next_offset;
        ops->read_release(log, &rd);
        if (err == SAMSA_OK) {
            pthread_mutex_lock(&st->lock);
            err = replay_buffer(st, buf, len, now);
            pthread_mutex_unlock(&st->lock);
        }
        free(buf);
        if (next <= offset) {
            break; /* no progress: nothing more is readable */
        }
        offset = next;
    }
    return err;
}

samsa_err_t samsa_producer_rebuild(samsa_producer_state_t *st,
                                   const samsa_storage_ops_t *ops,
                                   samsa_storage_log_t *log,
                                   const char *snapshot_path,
                                   int64_t scan_limit, int64_t now_ms)
{
    if (scan_limit <= 0) {
        scan_limit = SAMSA_PRODUCER_SCAN_LIMIT_DEFAULT;
    }
    samsa_log_offsets_t off;
    ops->offsets(log, &off);
    int64_t start = off.log_end_offset - scan_limit;
    if (start < off.log_start_offset) {
        start = off.log_start_offset;
    }
    if (snapshot_path) {
        int64_t snap_at = -1;
        samsa_err_t err =
            samsa_producer_snapshot_load(st, snapshot_path, &snap_at);
        if (err == SAMSA_OK && snap_at >= start &&
            snap_at <= off.log_end_offset) {
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
    samsa_err_t err = replay(st, ops, log, start, off.log_end_offset, now_ms);
    samsa_producer_expire(st, now_ms);
    return err;
}
