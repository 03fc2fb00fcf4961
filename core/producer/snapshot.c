/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/producer/snapshot.c - the producer state of a partition on disk,
 * written on clean close so a restart need not scan the log.
 *
 * Layout (big-endian), then a CRC-32C of everything before it:
 *   "SPS3" | log_end_offset i64 | producer count u32 |
 *   per producer: id i64 | last_active_ms i64 | epoch i16 | batches u8 |
 *                 open transaction's first offset i64 (-1: none) |
 *                 coordinator epoch of its last marker i32 (-1: none) |
 *                 per batch: first_seq i32 | last_seq i32 |
 *                            first_offset i64 | last_offset i64 | ts i64
 *   aborted transactions u32 | per one: producer id i64 |
 *                 first_offset i64 | last_offset i64 |
 *                 last_stable_offset i64
 * An "SPS2" file (before coordinator epochs and the transaction index) is
 * read with coordinator epochs -1 and last stable offsets -1 (unknown); an
 * "SPS1" file (before transactions) is not used: the log is replayed.
 */
#include "producer/state_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "durable_file.h"

#define MAGIC         "SPS3"
#define MAGIC_V2      "SPS2"
#define HEAD_SIZE     (4 + 8 + 4)
#define ENTRY_SIZE_V2 (8 + 8 + 2 + 1 + 8)
#define ENTRY_SIZE    (ENTRY_SIZE_V2 + 4)
#define ABORT_SIZE_V2 (8 + 8 + 8)
#define ABORT_SIZE    (ABORT_SIZE_V2 + 8)
#define BATCH_SIZE    (4 + 4 + 8 + 8 + 8)

static uint8_t *put_entry(uint8_t *p, const producer_entry_t *e)
{
    samsa_put_be64(p, (uint64_t)e->producer_id);
    samsa_put_be64(p + 8, (uint64_t)e->last_active_ms);
    samsa_put_be16(p + 16, (uint16_t)e->epoch);
    p[18] = e->batch_count;
    samsa_put_be64(p + 19, (uint64_t)e->txn_first_offset);
    samsa_put_be32(p + 27, (uint32_t)e->coordinator_epoch);
    p += ENTRY_SIZE;
    for (uint8_t i = 0; i < e->batch_count; i++) {
        const samsa_producer_batch_t *b = &e->batches[i];
        samsa_put_be32(p, (uint32_t)b->first_seq);
        samsa_put_be32(p + 4, (uint32_t)b->last_seq);
        samsa_put_be64(p + 8, (uint64_t)b->first_offset);
        samsa_put_be64(p + 16, (uint64_t)b->last_offset);
        samsa_put_be64(p + 24, (uint64_t)b->timestamp);
        p += BATCH_SIZE;
    }
    return p;
}

/* Serialize under the lock; *len includes the trailing CRC. */
static samsa_err_t encode(samsa_producer_state_t *st, int64_t leo,
                          uint8_t **out, size_t *len)
{
    pthread_mutex_lock(&st->lock);
    size_t size = HEAD_SIZE + 4 +
                  st->count * (ENTRY_SIZE +
                               SAMSA_PRODUCER_BATCHES_RETAINED * BATCH_SIZE) +
                  4 + st->aborted_count * ABORT_SIZE;
    uint8_t *buf = malloc(size);
    if (!buf) {
        pthread_mutex_unlock(&st->lock);
        return SAMSA_ERR_NOMEM;
    }
    memcpy(buf, MAGIC, 4);
    samsa_put_be64(buf + 4, (uint64_t)leo);
    samsa_put_be32(buf + 12, (uint32_t)st->count);
    uint8_t *p = buf + HEAD_SIZE;
    for (size_t i = 0; i < st->bucket_count; i++) {
        for (producer_entry_t *e = st->buckets[i]; e; e = e->next) {
            p = put_entry(p, e);
        }
    }
    samsa_put_be32(p, (uint32_t)st->aborted_count);
    p += 4;
    for (size_t i = 0; i < st->aborted_count; i++) {
        samsa_put_be64(p, (uint64_t)st->aborted[i].producer_id);
        samsa_put_be64(p + 8, (uint64_t)st->aborted[i].first_offset);
        samsa_put_be64(p + 16, (uint64_t)st->aborted[i].last_offset);
        samsa_put_be64(p + 24, (uint64_t)st->aborted[i].last_stable_offset);
        p += ABORT_SIZE;
    }
    pthread_mutex_unlock(&st->lock);
    size_t body = (size_t)(p - buf);
    samsa_put_be32(p, samsa_crc32c(0, buf, body));
    *out = buf;
    *len = body + 4;
    return SAMSA_OK;
}

samsa_err_t samsa_producer_snapshot_write(samsa_producer_state_t *st,
                                          const char *path,
                                          int64_t log_end_offset)
{
    uint8_t *buf;
    size_t len;
    samsa_err_t err = encode(st, log_end_offset, &buf, &len);
    if (err != SAMSA_OK) {
        return err;
    }
    int rc = samsa_file_replace(path, NULL, buf, len, true);
    free(buf);
    return rc == 0 ? SAMSA_OK : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

static samsa_err_t read_file(const char *path, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? SAMSA_ERR_NOT_FOUND
                               : SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    struct stat sb;
    uint8_t *buf = NULL;
    samsa_err_t err = SAMSA_OK;
    if (fstat(fd, &sb) < 0 || sb.st_size < HEAD_SIZE + 4) {
        err = SAMSA_ERR_CORRUPT_MESSAGE;
    } else if (!(buf = malloc((size_t)sb.st_size))) {
        err = SAMSA_ERR_NOMEM;
    }
    size_t got = 0;
    while (err == SAMSA_OK && got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
        } else {
            got += (size_t)n;
        }
    }
    close(fd);
    if (err != SAMSA_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = got;
    return SAMSA_OK;
}

static samsa_err_t decode_entries(samsa_producer_state_t *st, const uint8_t *p,
                                  const uint8_t *end, uint32_t count, bool v3)
{
    const ptrdiff_t entry_size = v3 ? ENTRY_SIZE : ENTRY_SIZE_V2;
    const size_t abort_size = v3 ? ABORT_SIZE : ABORT_SIZE_V2;
    for (uint32_t i = 0; i < count; i++) {
        if (end - p < entry_size) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        int64_t pid = (int64_t)samsa_be64(p);
        uint8_t nb = p[18];
        if (pid < 0 || nb > SAMSA_PRODUCER_BATCHES_RETAINED ||
            end - p < entry_size + nb * BATCH_SIZE ||
            samsa_ps_producer_find(st, pid)) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        producer_entry_t *e = samsa_ps_producer_upsert(st, pid);
        if (!e) {
            return SAMSA_ERR_NOMEM;
        }
        e->last_active_ms = (int64_t)samsa_be64(p + 8);
        e->epoch = (int16_t)samsa_be16(p + 16);
        e->batch_count = nb;
        e->txn_first_offset = (int64_t)samsa_be64(p + 19);
        e->coordinator_epoch = v3 ? (int32_t)samsa_be32(p + 27) : -1;
        if (e->txn_first_offset >= 0) {
            st->open_txns++;
        }
        p += entry_size;
        for (uint8_t j = 0; j < nb; j++) {
            samsa_producer_batch_t *b = &e->batches[j];
            b->first_seq = (int32_t)samsa_be32(p);
            b->last_seq = (int32_t)samsa_be32(p + 4);
            b->first_offset = (int64_t)samsa_be64(p + 8);
            b->last_offset = (int64_t)samsa_be64(p + 16);
            b->timestamp = (int64_t)samsa_be64(p + 24);
            p += BATCH_SIZE;
        }
    }
    if (end - p < 4) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    uint32_t aborted = samsa_be32(p);
    p += 4;
    if ((size_t)(end - p) != (size_t)aborted * abort_size) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    for (uint32_t i = 0; i < aborted; i++, p += abort_size) {
        /* SPS2 did not keep the last stable offset: unknown. */
        samsa_aborted_txn_t txn = {
            (int64_t)samsa_be64(p), (int64_t)samsa_be64(p + 8),
            (int64_t)samsa_be64(p + 16), v3 ? (int64_t)samsa_be64(p + 24) : -1};
        samsa_err_t err = samsa_ps_txn_aborted_add(st, &txn);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_producer_snapshot_load(samsa_producer_state_t *st,
                                         const char *path, int64_t *offset)
{
    uint8_t *buf;
    size_t len;
    samsa_err_t err = read_file(path, &buf, &len);
    if (err != SAMSA_OK) {
        return err;
    }
    size_t body = len - 4;
    bool v3 = memcmp(buf, MAGIC, 4) == 0;
    if ((!v3 && memcmp(buf, MAGIC_V2, 4) != 0) ||
        samsa_crc32c(0, buf, body) != samsa_be32(buf + body)) {
        free(buf);
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    *offset = (int64_t)samsa_be64(buf + 4);
    uint32_t count = samsa_be32(buf + 12);
    pthread_mutex_lock(&st->lock);
    err = decode_entries(st, buf + HEAD_SIZE, buf + body, count, v3);
    if (err != SAMSA_OK) {
        samsa_ps_producer_clear_locked(st);
    }
    pthread_mutex_unlock(&st->lock);
    free(buf);
    return err;
}
