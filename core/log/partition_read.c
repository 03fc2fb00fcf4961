/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/partition_read.c - the read side of a partition (see logmgr.h):
 * zero-copy reads for Fetch, offset for time, the copying read-all of the
 * replays, and the partition's public fields.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/partition_int.h"

#define READ_ALL_CHUNK (1 << 20)

int64_t samsa_partition_hw(samsa_partition_t *part)
{
    return atomic_load(&part->high_watermark);
}

int64_t samsa_partition_log_start(samsa_partition_t *part)
{
    return atomic_load(&part->log_start_offset);
}

int32_t samsa_partition_leader_epoch(samsa_partition_t *part)
{
    return atomic_load(&part->leader_epoch);
}

samsa_topic_t *samsa_partition_topic(samsa_partition_t *part)
{
    return part->topic;
}

int32_t samsa_partition_index(samsa_partition_t *part)
{
    return part->index;
}

samsa_err_t samsa_partition_read(samsa_partition_t *part, int64_t offset,
                                 int64_t max_offset, int64_t max_bytes,
                                 uint32_t flags, samsa_storage_read_t *out)
{
    memset(out, 0, sizeof(*out));
    out->hdr = (samsa_abi_header_t)SAMSA_ABI_HEADER(samsa_storage_read_t);
    if (max_offset < 0) {
        max_offset = samsa_partition_hw(part);
    }
    return part->ops->read(part->log, offset, max_offset, max_bytes, flags,
                           out);
}

void samsa_partition_read_release(samsa_partition_t *part,
                                  samsa_storage_read_t *rd)
{
    part->ops->read_release(part->log, rd);
}

samsa_err_t samsa_partition_offset_for_time(samsa_partition_t *part,
                                            int64_t timestamp, int64_t *offset,
                                            int64_t *found_ts)
{
    samsa_err_t err =
        part->ops->offset_for_time(part->log, timestamp, offset, found_ts);
    if (err == SAMSA_OK && *offset >= samsa_partition_hw(part)) {
        err = SAMSA_ERR_NOT_FOUND; /* not committed yet */
    }
    return err;
}

/* Copy a read's slices (file ranges or buffers) into buf. */
static samsa_err_t gather(const samsa_storage_read_t *rd, uint8_t *buf)
{
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
                return SAMSA_ERR_KAFKA_STORAGE_ERROR;
            }
            done += n;
            at += (size_t)n;
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_partition_read_all(samsa_partition_t *part, int64_t from,
                                     int64_t to, samsa_partition_chunk_fn fn,
                                     void *arg)
{
    if (to < 0) {
        to = samsa_partition_hw(part);
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    samsa_err_t err = SAMSA_OK;
    for (int64_t offset = from; err == SAMSA_OK && offset < to;) {
        samsa_storage_read_t rd;
        err = samsa_partition_read(part, offset, to, READ_ALL_CHUNK,
                                   SAMSA_READ_MIN_ONE, &rd);
        if (err != SAMSA_OK) {
            break;
        }
        size_t len = (size_t)rd.total_bytes;
        int64_t next = rd.next_offset;
        if (len > cap) {
            uint8_t *n = realloc(buf, len);
            if (!n) {
                err = SAMSA_ERR_NOMEM;
            } else {
                buf = n;
                cap = len;
            }
        }
        if (err == SAMSA_OK) {
            err = gather(&rd, buf);
        }
        samsa_partition_read_release(part, &rd);
        if (err == SAMSA_OK && len > 0) {
            err = fn(arg, buf, len);
        }
        if (next <= offset) {
            break; /* no progress: nothing more is readable */
        }
        offset = next;
    }
    free(buf);
    return err;
}
