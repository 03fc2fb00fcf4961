/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sg_txn.c - the transaction index beside each segment (Kafka's
 * <base>.txnindex): the aborted transactions whose abort marker is in the
 * segment, in marker order, as 34-byte big-endian entries (Kafka's
 * AbortedTxn: version int16 = 0, producerId int64, firstOffset int64,
 * lastOffset int64, lastStableOffset int64).
 *
 * The file exists only for segments with an entry (aborts are rare). Its
 * entry count (seg->ntxn) is published under the log mutex after the
 * write, so a collecting reader reads only whole entries. The log keeps the
 * newest indexed marker offset (log->txn_last) so the host's replay at
 * open re-adds only what a crash lost.
 */
#define _GNU_SOURCE
#include "seg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_v2.h"

#define TXN_EXT     ".txnindex"
#define TXN_VERSION 0

static int open_txn(samsa_storage_log_t *log, int64_t base, int flags)
{
    char path[4096];
    sg_seg_path(path, sizeof(path), log->path, base, TXN_EXT);
    return open(path, flags | O_CLOEXEC, 0644);
}

void sg_txn_encode(uint8_t *p, const samsa_aborted_txn_t *txn)
{
    p[0] = 0;
    p[1] = TXN_VERSION;
    samsa_put_be64(p + 2, (uint64_t)txn->producer_id);
    samsa_put_be64(p + 10, (uint64_t)txn->first_offset);
    samsa_put_be64(p + 18, (uint64_t)txn->last_offset);
    samsa_put_be64(p + 26, (uint64_t)txn->last_stable_offset);
}

bool sg_txn_decode(const uint8_t *p, samsa_aborted_txn_t *txn)
{
    if (p[0] != 0 || p[1] != TXN_VERSION) {
        return false;
    }
    txn->producer_id = (int64_t)samsa_be64(p + 2);
    txn->first_offset = (int64_t)samsa_be64(p + 10);
    txn->last_offset = (int64_t)samsa_be64(p + 18);
    txn->last_stable_offset = (int64_t)samsa_be64(p + 26);
    return true;
}

/* The first @p n entries of the index of segment @p base into a new array
 * (*out, NULL when n is 0); *got gets how many decode (a damaged entry
 * ends the valid prefix). A missing file has none. */
static samsa_err_t read_entries(samsa_storage_log_t *log, int64_t base,
                                uint32_t n, samsa_aborted_txn_t **out,
                                uint32_t *got)
{
    *out = NULL;
    *got = 0;
    if (n == 0) {
        return SAMSA_OK;
    }
    int fd = open_txn(log, base, O_RDONLY);
    if (fd < 0) {
        /* Deleted meanwhile with its segment (retention): nothing. */
        return errno == ENOENT ? SAMSA_OK
                               : sg_io_error(log, "open txnindex", errno);
    }
    size_t len = (size_t)n * SG_TXN_ENTRY;
    uint8_t *buf = malloc(len);
    samsa_aborted_txn_t *txns = malloc((size_t)n * sizeof(*txns));
    samsa_err_t err = buf && txns ? SAMSA_OK : SAMSA_ERR_NOMEM;
    ssize_t r = err == SAMSA_OK ? pread(fd, buf, len, 0) : 0;
    if (r < 0) {
        err = sg_io_error(log, "read txnindex", errno);
    }
    close(fd);
    uint32_t k = 0;
    while (err == SAMSA_OK && (size_t)(k + 1) * SG_TXN_ENTRY <= (size_t)r &&
           k < n && sg_txn_decode(buf + (size_t)k * SG_TXN_ENTRY, &txns[k])) {
        k++;
    }
    free(buf);
    if (err != SAMSA_OK) {
        free(txns);
        return err;
    }
    *out = txns;
    *got = k;
    return SAMSA_OK;
}

/* Keep the first @p keep entries of segment @p seg's index (the file is
 * removed when none stay). Append thread or open; lock not held. */
static samsa_err_t cut_file(samsa_storage_log_t *log, sg_seg_t *seg,
                            uint32_t keep)
{
    char path[4096];
    sg_seg_path(path, sizeof(path), log->path, seg->base, TXN_EXT);
    int rc =
        keep == 0 ? unlink(path) : truncate(path, (off_t)keep * SG_TXN_ENTRY);
    if (rc != 0 && errno != ENOENT) {
        return sg_io_error(log, "truncate txnindex", errno);
    }
    pthread_mutex_lock(&log->mu);
    seg->ntxn = keep;
    if (seg->txn_synced > keep) {
        seg->txn_synced = keep;
    }
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

/* log->txn_last from the newest segment with entries. */
static samsa_err_t refresh_last(samsa_storage_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    sg_seg_t *seg = log->tail;
    while (seg != NULL && seg->ntxn == 0) {
        seg = seg->prev;
    }
    int64_t base = seg != NULL ? seg->base : 0;
    uint32_t n = seg != NULL ? seg->ntxn : 0;
    pthread_mutex_unlock(&log->mu);
    samsa_aborted_txn_t *txns;
    uint32_t got;
    samsa_err_t err = read_entries(log, base, n, &txns, &got);
    pthread_mutex_lock(&log->mu);
    log->txn_last = got > 0 ? txns[got - 1].last_offset : -1;
    pthread_mutex_unlock(&log->mu);
    free(txns);
    return err;
}

/* Drop the entries of @p seg whose marker is at or past @p end (a cut
 * log), and any damaged tail. */
static samsa_err_t trim_segment(samsa_storage_log_t *log, sg_seg_t *seg,
                                int64_t end)
{
    pthread_mutex_lock(&log->mu);
    uint32_t n = seg->ntxn;
    pthread_mutex_unlock(&log->mu);
    samsa_aborted_txn_t *txns;
    uint32_t got;
    samsa_err_t err = read_entries(log, seg->base, n, &txns, &got);
    if (err != SAMSA_OK) {
        return err;
    }
    if (got < n) {
        log->st->svc->log(log->st->inst, SAMSA_LOG_WARN,
                          "%s: damaged transaction index of segment %020" PRId64
                          " cut after %" PRIu32 " entries",
                          log->path, seg->base, got);
    }
    uint32_t keep = got;
    while (keep > 0 && txns[keep - 1].last_offset >= end) {
        keep--;
    }
    free(txns);
    return keep < n ? cut_file(log, seg, keep) : SAMSA_OK;
}

samsa_err_t sg_txn_open(samsa_storage_log_t *log)
{
    /* The count of each segment from its file's size (a torn last entry
     * is not counted; trim_segment cuts it). */
    for (sg_seg_t *seg = log->head; seg != NULL; seg = seg->next) {
        char path[4096];
        struct stat stt;
        sg_seg_path(path, sizeof(path), log->path, seg->base, TXN_EXT);
        if (stat(path, &stt) == 0) {
            seg->ntxn = (uint32_t)(stt.st_size / SG_TXN_ENTRY);
            seg->txn_synced = seg->ntxn;
            if (stt.st_size % SG_TXN_ENTRY != 0) {
                seg->ntxn++; /* makes trim_segment see the torn entry */
            }
        } else if (errno != ENOENT) {
            return sg_io_error(log, "stat txnindex", errno);
        }
    }
    /* Recovery may have cut the log: entries past its end go. Only the
     * active segment can hold them (older ones end where the next
     * begins); a damaged index elsewhere is cut at its first bad entry. */
    samsa_err_t err = SAMSA_OK;
    for (sg_seg_t *seg = log->head; err == SAMSA_OK && seg != NULL;
         seg = seg->next) {
        if (seg->ntxn > 0 &&
            (seg == log->tail || seg->ntxn > seg->txn_synced)) {
            err = trim_segment(log, seg,
                               seg == log->tail ? log->leo : seg->next_offset);
        }
    }
    return err == SAMSA_OK ? refresh_last(log) : err;
}

samsa_err_t sg_txn_truncate(samsa_storage_log_t *log, sg_seg_t *seg,
                            int64_t end)
{
    samsa_err_t err = trim_segment(log, seg, end);
    return err == SAMSA_OK ? refresh_last(log) : err;
}

void sg_txn_unlink(samsa_storage_log_t *log, int64_t base)
{
    char path[4096];
    sg_seg_path(path, sizeof(path), log->path, base, TXN_EXT);
    unlink(path);
}

samsa_err_t sg_txn_sync(samsa_storage_log_t *log, sg_seg_t *seg)
{
    pthread_mutex_lock(&log->mu);
    uint32_t n = seg->ntxn;
    bool due = seg->txn_synced < n;
    pthread_mutex_unlock(&log->mu);
    if (!due) {
        return SAMSA_OK;
    }
    int fd = open_txn(log, seg->base, O_RDONLY);
    if (fd < 0 && errno != ENOENT) {
        return sg_io_error(log, "open txnindex", errno);
    }
    if (fd >= 0) { /* ENOENT: gone with its segment, nothing to sync */
        int rc = fdatasync(fd);
        int e = errno;
        close(fd);
        if (rc != 0) {
            return sg_io_error(log, "fsync txnindex", e);
        }
    }
    pthread_mutex_lock(&log->mu);
    if (seg->txn_synced < n) {
        seg->txn_synced = n;
    }
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

samsa_err_t sg_txn_index_append(samsa_storage_log_t *log,
                                const samsa_aborted_txn_t *txn)
{
    if (atomic_load(&log->st->offline)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    pthread_mutex_lock(&log->mu);
    if (txn->last_offset <= log->txn_last || txn->last_offset >= log->leo ||
        txn->last_offset < log->start) {
        /* Indexed already (a replay at open), gone with the log's start
         * (nobody reads there), or past its end. */
        bool past_end = txn->last_offset >= log->leo;
        pthread_mutex_unlock(&log->mu);
        return past_end ? SAMSA_ERR_INVALID_REQUEST : SAMSA_OK;
    }
    sg_seg_t *seg = log->tail;
    while (seg->base > txn->last_offset) {
        seg = seg->prev;
    }
    sg_seg_pin(seg);
    uint32_t n = seg->ntxn;
    pthread_mutex_unlock(&log->mu);
    uint8_t buf[SG_TXN_ENTRY];
    sg_txn_encode(buf, txn);
    int fd = open_txn(log, seg->base, O_WRONLY | O_CREAT);
    samsa_err_t err = SAMSA_OK;
    if (fd < 0) {
        err = sg_io_error(log, "open txnindex", errno);
    } else {
        ssize_t w = pwrite(fd, buf, sizeof(buf), (off_t)n * SG_TXN_ENTRY);
        if (w != (ssize_t)sizeof(buf)) {
            err = sg_io_error(log, "write txnindex", w < 0 ? errno : ENOSPC);
        }
        close(fd);
    }
    if (err == SAMSA_OK) {
        pthread_mutex_lock(&log->mu);
        seg->ntxn = n + 1;
        log->txn_last = txn->last_offset;
        pthread_mutex_unlock(&log->mu);
    }
    sg_seg_unpin(seg);
    return err;
}

/* Segments from the one holding @p from that have entries, pinned, with
 * their counts; *n gets how many. Lock held. */
static samsa_err_t pin_indexed(samsa_storage_log_t *log, int64_t from,
                               sg_seg_t ***segs, uint32_t **counts, size_t *n)
{
    sg_seg_t *first = log->tail;
    while (first->prev != NULL && first->base > from) {
        first = first->prev;
    }
    size_t k = 0;
    for (sg_seg_t *s = first; s != NULL; s = s->next) {
        k += s->ntxn > 0;
    }
    *n = 0;
    *segs = NULL;
    *counts = NULL;
    if (k == 0) {
        return SAMSA_OK;
    }
    *segs = malloc(k * sizeof(**segs));
    *counts = malloc(k * sizeof(**counts));
    if (*segs == NULL || *counts == NULL) {
        free(*segs);
        free(*counts);
        return SAMSA_ERR_NOMEM;
    }
    for (sg_seg_t *s = first; s != NULL; s = s->next) {
        if (s->ntxn > 0) {
            sg_seg_pin(s);
            (*segs)[*n] = s;
            (*counts)[(*n)++] = s->ntxn;
        }
    }
    return SAMSA_OK;
}

samsa_err_t sg_txn_index_collect(samsa_storage_log_t *log, int64_t from,
                                 int64_t to, samsa_aborted_txn_t *out,
                                 size_t max, size_t *count)
{
    *count = 0;
    sg_seg_t **segs;
    uint32_t *counts;
    size_t n;
    pthread_mutex_lock(&log->mu);
    samsa_err_t err = pin_indexed(log, from, &segs, &counts, &n);
    pthread_mutex_unlock(&log->mu);
    bool complete = false;
    for (size_t i = 0; err == SAMSA_OK && i < n && !complete; i++) {
        samsa_aborted_txn_t *txns;
        uint32_t got;
        err = read_entries(log, segs[i]->base, counts[i], &txns, &got);
        for (uint32_t j = 0; err == SAMSA_OK && j < got && !complete; j++) {
            const samsa_aborted_txn_t *t = &txns[j];
            if (t->last_offset >= from && t->first_offset < to) {
                if (*count < max) {
                    out[*count] = *t;
                }
                (*count)++;
            }
            /* No transaction starting below @p to is aborted later. */
            complete = t->last_stable_offset >= to;
        }
        free(txns);
    }
    for (size_t i = 0; i < n; i++) {
        sg_seg_unpin(segs[i]);
    }
    free(segs);
    free(counts);
    return err;
}
