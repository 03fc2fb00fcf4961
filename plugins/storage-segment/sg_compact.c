/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sg_compact.c - log compaction (cleanup.policy=compact) for
 * storage-segment.
 *
 * Pass 1 maps every key to its latest offset over the whole log (active
 * segment included, up to a snapshot). Pass 2 rewrites each inactive
 * segment into <base>.log.cleaned, filtering every batch with compactor.c:
 * per key only the record at its latest offset stays, tombstones go once
 * their batch is older than delete.retention.ms, compressed batches are
 * decompressed and recompressed with their codec through the host's codec
 * services (ABI minor 1; kept whole without them), control and
 * transactional batches are kept whole. The cleaned file is swapped in
 * under the log lock (rename over the old .log; readers holding the old
 * segment keep its fd). Appends and reads only ever wait for that swap.
 */
#define _GNU_SOURCE
#include "seg.h"
#include "compactor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- batch scanning helpers ---- */

/* Read the whole batch at @p pos into *buf (grown as needed). */
static bool read_batch(int fd, int64_t pos, int64_t limit, sb_info_t *b,
                       uint8_t **buf, size_t *cap)
{
    if (sg_read_header(fd, pos, limit, b) != SB_OK) {
        return false;
    }
    if ((size_t)b->size > *cap) {
        uint8_t *p = realloc(*buf, (size_t)b->size);
        if (p == NULL) {
            return false;
        }
        *buf = p;
        *cap = (size_t)b->size;
    }
    return pread(fd, *buf, (size_t)b->size, pos) == b->size;
}

static samsa_err_t map_segment(int fd, int64_t limit, sb_compactor_t *cp,
                               uint8_t **buf, size_t *cap)
{
    sb_info_t b;
    samsa_err_t err = SAMSA_OK;
    for (int64_t pos = 0;
         err == SAMSA_OK && read_batch(fd, pos, limit, &b, buf, cap);
         pos += b.size) {
        err = sb_cp_map(cp, *buf, &b);
    }
    return err;
}

/* ---- rewriting one segment ---- */

typedef struct cleaner {
    samsa_storage_log_t *log;
    sb_compactor_t cp;
    uint8_t *in;
    size_t in_cap;
} cleaner_t;

/* Write the cleaned copy of @p seg; *out_seg is NULL when unchanged. */
static samsa_err_t clean_segment(cleaner_t *c, sg_seg_t *seg, int64_t limit,
                                 sg_seg_t **out_seg)
{
    samsa_storage_log_t *log = c->log;
    char path[4096];
    sg_seg_path(path, sizeof(path), log->path, seg->base, ".log.cleaned");
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
        return sg_io_error(log, "create cleaned segment", errno);
    }
    sg_seg_t *ns = sg_seg_new(seg->base);
    if (ns == NULL) {
        close(fd);
        unlink(path);
        return SAMSA_ERR_NOMEM;
    }
    ns->fd = fd;
    int in_fd = sg_seg_fd(log, seg);
    bool changed = false;
    samsa_err_t err = SAMSA_OK;
    sb_info_t b;
    int64_t pos = 0;
    while (err == SAMSA_OK &&
           read_batch(in_fd, pos, limit, &b, &c->in, &c->in_cap)) {
        pos += b.size;
        int res;
        size_t n = (size_t)b.size;
        err = sb_cp_filter(&c->cp, c->in, &b, &res, &n);
        if (err != SAMSA_OK) {
            break;
        }
        changed |= res != SB_CP_KEEP;
        if (res == SB_CP_DROP) {
            continue;
        }
        const uint8_t *out = res == SB_CP_REWRITE ? c->cp.out : c->in;
        if (pwrite(fd, out, n, ns->size) != (ssize_t)n) {
            err = sg_io_error(log, "write cleaned segment", errno);
            break;
        }
        sb_info_t nb = b;
        nb.size = (int64_t)n;
        sg_seg_note_batch(ns, &nb, ns->size, log->cfg.index_interval_bytes);
        ns->size += (int64_t)n;
    }
    if (err != SAMSA_OK || !changed) {
        unlink(path);
        sg_seg_unpin(ns);
        *out_seg = NULL;
        return err;
    }
    ns->next_offset = seg->next_offset;
    ns->max_ts = seg->max_ts;
    ns->synced = 0;
    ns->loaded = true;
    sg_seg_seal_time(ns);
    *out_seg = ns;
    return SAMSA_OK;
}

/* Swap @p ns in for @p old if nothing changed it meanwhile. */
static samsa_err_t swap_in(samsa_storage_log_t *log, sg_seg_t *old,
                           sg_seg_t *ns, uint64_t version)
{
    char from[4096], to[4096];
    sg_seg_path(from, sizeof(from), log->path, old->base, ".log.cleaned");
    sg_seg_path(to, sizeof(to), log->path, old->base, ".log");
    pthread_mutex_lock(&log->mu);
    sg_seg_t *s = log->head;
    while (s != NULL && s != old) {
        s = s->next;
    }
    if (s == NULL || s == log->tail || old->version != version) {
        pthread_mutex_unlock(&log->mu);
        unlink(from);
        sg_seg_unpin(ns);
        return SAMSA_OK;
    }
    /* Index files go first: a crash after this point rebuilds them. */
    char idx[4096];
    sg_seg_path(idx, sizeof(idx), log->path, old->base, ".index");
    unlink(idx);
    sg_seg_path(idx, sizeof(idx), log->path, old->base, ".timeindex");
    unlink(idx);
    if (rename(from, to) != 0) {
        pthread_mutex_unlock(&log->mu);
        unlink(from);
        sg_seg_unpin(ns);
        return sg_io_error(log, "rename cleaned segment", errno);
    }
    /* Markers and transactional batches are kept whole: the segment's
     * transaction index (same base, same file) stays valid. */
    ns->ntxn = old->ntxn;
    ns->txn_synced = old->txn_synced;
    ns->prev = old->prev;
    ns->next = old->next;
    if (ns->prev != NULL) {
        ns->prev->next = ns;
    } else {
        log->head = ns;
    }
    ns->next->prev = ns;
    log->size_bytes += ns->size - old->size;
    pthread_mutex_unlock(&log->mu);
    /* Out of the fd cache before the list's reference goes: past that,
     * refs == 1 would mean one reader, not the list. */
    sg_seg_lru_forget(old);
    sg_seg_unpin(old); /* the list's reference */
    return sg_seg_write_index(log, ns, true);
}

samsa_err_t sg_compact(samsa_storage_log_t *log, int64_t now_ms)
{
    if (atomic_load(&log->st->offline)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    pthread_mutex_lock(&log->mu);
    bool on = (log->cfg.cleanup_policy & SAMSA_CLEANUP_COMPACT) != 0;
    cleaner_t c = {.log = log};
    sb_cp_init(&c.cp, log->st->svc, now_ms - log->cfg.delete_retention_ms);
    size_t n = 0;
    for (sg_seg_t *s = log->head; s != NULL; s = s->next) {
        n++;
    }
    sg_seg_t **segs = on ? malloc(n * sizeof(*segs)) : NULL;
    int64_t *limits = on ? malloc(n * sizeof(*limits)) : NULL;
    uint64_t *versions = on ? malloc(n * sizeof(*versions)) : NULL;
    n = 0;
    for (sg_seg_t *s = log->head; segs && limits && versions && s != NULL;
         s = s->next) {
        sg_seg_pin(s);
        limits[n] = s->size;
        versions[n] = s->version;
        segs[n++] = s;
    }
    pthread_mutex_unlock(&log->mu);
    samsa_err_t err =
        on && (!segs || !limits || !versions) ? SAMSA_ERR_NOMEM : SAMSA_OK;
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        err = map_segment(sg_seg_fd(log, segs[i]), limits[i], &c.cp, &c.in,
                          &c.in_cap);
    }
    /* The last snapshot segment is the active one: never rewritten. */
    for (size_t i = 0; err == SAMSA_OK && i + 1 < n; i++) {
        sg_seg_t *ns = NULL;
        err = clean_segment(&c, segs[i], limits[i], &ns);
        if (err == SAMSA_OK && ns != NULL) {
            err = swap_in(log, segs[i], ns, versions[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        sg_seg_unpin(segs[i]);
    }
    free(segs);
    free(limits);
    free(versions);
    free(c.in);
    sb_cp_free(&c.cp);
    return err;
}
