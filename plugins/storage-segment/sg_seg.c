/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sg_seg.c - one segment: its files, its sparse indexes, recovery scans.
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

void sg_seg_path(char *buf, size_t size, const char *dir, int64_t base,
                 const char *ext)
{
    snprintf(buf, size, "%s/%020" PRId64 "%s", dir, base, ext);
}

sg_seg_t *sg_seg_new(int64_t base)
{
    sg_seg_t *seg = calloc(1, sizeof(*seg));
    if (seg == NULL) {
        return NULL;
    }
    seg->base = base;
    seg->fd = -1;
    seg->next_offset = base;
    seg->max_ts = -1;
    atomic_init(&seg->refs, 1);
    return seg;
}

void sg_seg_pin(sg_seg_t *seg)
{
    atomic_fetch_add_explicit(&seg->refs, 1, memory_order_relaxed);
}

static void lru_unlink_locked(sg_state_t *st, sg_seg_t *seg)
{
    if (seg->lru_prev) {
        seg->lru_prev->lru_next = seg->lru_next;
    } else {
        st->lru_first = seg->lru_next;
    }
    if (seg->lru_next) {
        seg->lru_next->lru_prev = seg->lru_prev;
    } else {
        st->lru_last = seg->lru_prev;
    }
    seg->lru_prev = seg->lru_next = NULL;
    seg->in_lru = false;
    st->open_fds--;
}

void sg_seg_lru_forget(sg_seg_t *seg)
{
    sg_state_t *st = seg->st;
    if (st == NULL) {
        return;
    }
    pthread_mutex_lock(&st->lru_mu);
    if (seg->in_lru) {
        lru_unlink_locked(st, seg);
    }
    pthread_mutex_unlock(&st->lru_mu);
}

/* Past the cap, close the least recently opened fds nobody has pinned.
 * A segment's log mutex is only tried (lock order: log mutex, then
 * lru_mu), so a busy one is passed over. */
static void lru_evict_locked(sg_state_t *st, sg_seg_t *keep)
{
    sg_seg_t *s = st->lru_last;
    while (s != NULL && st->open_fds > st->max_open) {
        sg_seg_t *prev = s->lru_prev;
        if (s != keep && s->log != NULL &&
            pthread_mutex_trylock(&s->log->mu) == 0) {
            if (atomic_load(&s->refs) == 1 && atomic_load(&s->fd) >= 0) {
                close(atomic_exchange(&s->fd, -1));
                lru_unlink_locked(st, s);
            }
            pthread_mutex_unlock(&s->log->mu);
        }
        s = prev;
    }
}

/* Count a newly opened fd of @p seg in the cache, evicting past the cap. */
static void lru_add(samsa_storage_log_t *log, sg_seg_t *seg)
{
    sg_state_t *st = log->st;
    pthread_mutex_lock(&st->lru_mu);
    if (!seg->in_lru) {
        seg->st = st;
        seg->log = log;
        seg->lru_prev = NULL;
        seg->lru_next = st->lru_first;
        if (st->lru_first) {
            st->lru_first->lru_prev = seg;
        } else {
            st->lru_last = seg;
        }
        st->lru_first = seg;
        seg->in_lru = true;
        st->open_fds++;
    }
    lru_evict_locked(st, seg);
    pthread_mutex_unlock(&st->lru_mu);
}

void sg_seg_unpin(sg_seg_t *seg)
{
    if (atomic_fetch_sub_explicit(&seg->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    sg_seg_lru_forget(seg);
    if (seg->fd >= 0) {
        close(seg->fd);
    }
    free(seg->idx);
    free(seg->tidx);
    free(seg);
}

int sg_seg_fd(samsa_storage_log_t *log, sg_seg_t *seg)
{
    atomic_store_explicit(&seg->used, true, memory_order_relaxed);
    int fd = atomic_load(&seg->fd);
    if (fd >= 0) {
        return fd;
    }
    char path[4096];
    sg_seg_path(path, sizeof(path), log->path, seg->base, ".log");
    pthread_mutex_lock(&log->mu);
    fd = atomic_load(&seg->fd);
    bool opened = false;
    if (fd < 0) {
        fd = open(path, O_RDWR | O_CLOEXEC);
        atomic_store(&seg->fd, fd);
        opened = fd >= 0;
    }
    int err = errno;
    pthread_mutex_unlock(&log->mu);
    if (opened) {
        lru_add(log, seg);
    } else if (fd < 0) {
        sg_io_error(log, "open segment", err);
    }
    return fd;
}

void sg_seg_close_idle(samsa_storage_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    for (sg_seg_t *s = log->head; s != NULL; s = s->next) {
        bool used = atomic_exchange(&s->used, false);
        /* Readers pin under this mutex before taking the fd, so an
         * unpinned segment's fd is nobody's right now. */
        if (!used && atomic_load(&s->refs) == 1 && atomic_load(&s->fd) >= 0) {
            close(atomic_exchange(&s->fd, -1));
            sg_seg_lru_forget(s);
        }
    }
    pthread_mutex_unlock(&log->mu);
}

samsa_err_t sg_seg_create(samsa_storage_log_t *log, sg_seg_t *seg)
{
    char path[4096];
    static const char *const exts[] = {".index", ".timeindex"};
    for (size_t i = 0; i < 2; i++) {
        sg_seg_path(path, sizeof(path), log->path, seg->base, exts[i]);
        int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) {
            return sg_io_error(log, "create index", errno);
        }
        close(fd);
    }
    /* A new segment has no aborted transactions (a stale file of an old
     * segment with this base would lend it some). */
    sg_txn_unlink(log, seg->base);
    sg_seg_path(path, sizeof(path), log->path, seg->base, ".log");
    seg->fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    if (seg->fd < 0) {
        return sg_io_error(log, "create segment", errno);
    }
    lru_add(log, seg);
    seg->loaded = true;
    return SAMSA_OK;
}

void sg_seg_unlink(samsa_storage_log_t *log, sg_seg_t *seg)
{
    char path[4096];
    static const char *const exts[] = {".log", ".index", ".timeindex",
                                       ".txnindex"};
    for (size_t i = 0; i < 4; i++) {
        sg_seg_path(path, sizeof(path), log->path, seg->base, exts[i]);
        unlink(path);
    }
}

static bool grow(void **arr, uint32_t *cap, size_t elem)
{
    uint32_t ncap = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL) {
        return false;
    }
    *arr = p;
    *cap = ncap;
    return true;
}

static bool add_idx(sg_seg_t *seg, uint32_t rel, uint32_t pos)
{
    if (seg->nidx == seg->cidx &&
        !grow((void **)&seg->idx, &seg->cidx, sizeof(*seg->idx))) {
        return false;
    }
    seg->idx[seg->nidx++] = (sg_idx_t){rel, pos};
    return true;
}

static bool add_tidx(sg_seg_t *seg, int64_t ts, uint32_t rel)
{
    if (seg->ntidx > 0 && seg->tidx[seg->ntidx - 1].ts >= ts) {
        return true;
    }
    if (seg->ntidx == seg->ctidx &&
        !grow((void **)&seg->tidx, &seg->ctidx, sizeof(*seg->tidx))) {
        return false;
    }
    seg->tidx[seg->ntidx++] = (sg_tidx_t){ts, rel, 0};
    return true;
}

bool sg_seg_note_batch(sg_seg_t *seg, const sb_info_t *b, int64_t pos,
                       int64_t interval)
{
    bool ok = true;
    if (seg->since_idx >= interval) {
        uint32_t rel = (uint32_t)(b->base - seg->base);
        ok = add_idx(seg, rel, (uint32_t)pos);
        /* Everything before this batch is covered by max_ts so far. */
        if (ok && seg->max_ts >= 0) {
            ok = add_tidx(seg, seg->max_ts, rel);
        }
        seg->since_idx = 0;
    }
    seg->since_idx += b->size;
    if (b->max_ts > seg->max_ts) {
        seg->max_ts = b->max_ts;
    }
    seg->next_offset = b->last + 1;
    return ok;
}

bool sg_seg_seal_time(sg_seg_t *seg)
{
    if (seg->max_ts < 0) {
        return true;
    }
    return add_tidx(seg, seg->max_ts, (uint32_t)(seg->next_offset - seg->base));
}

int64_t sg_seg_lookup(const sg_seg_t *seg, int64_t offset)
{
    if (offset <= seg->base || seg->nidx == 0) {
        return 0;
    }
    uint64_t rel = (uint64_t)(offset - seg->base);
    uint32_t lo = 0, hi = seg->nidx;
    while (lo < hi) { /* first entry with rel > target */
        uint32_t mid = (lo + hi) / 2;
        if (seg->idx[mid].rel <= rel) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo == 0 ? 0 : seg->idx[lo - 1].pos;
}

int64_t sg_seg_lookup_time(const sg_seg_t *seg, int64_t ts)
{
    uint32_t lo = 0, hi = seg->ntidx;
    while (lo < hi) { /* first entry with ts >= target */
        uint32_t mid = (lo + hi) / 2;
        if (seg->tidx[mid].ts < ts) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return 0;
    }
    return sg_seg_lookup(seg, seg->base + seg->tidx[lo - 1].rel);
}

static int open_index(samsa_storage_log_t *log, sg_seg_t *seg, const char *ext,
                      int flags)
{
    char path[4096];
    sg_seg_path(path, sizeof(path), log->path, seg->base, ext);
    return open(path, flags | O_CLOEXEC, 0644);
}

static bool pwrite_all(int fd, const void *buf, size_t len, off_t pos)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, pos);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
        pos += n;
    }
    return true;
}

/* Serialize entries [from, n) of both indexes under the lock, write them
 * outside it. @p rewrite writes everything and cuts the files to size. */
samsa_err_t sg_seg_write_index(samsa_storage_log_t *log, sg_seg_t *seg,
                               bool rewrite)
{
    pthread_mutex_lock(&log->mu);
    uint32_t i0 = rewrite ? 0 : seg->idx_written;
    uint32_t t0 = rewrite ? 0 : seg->tidx_written;
    uint32_t ni = seg->nidx, nt = seg->ntidx;
    if (!rewrite && i0 == ni && t0 == nt) {
        /* The files hold exactly these entries (closing an idle partition
         * opens nothing). */
        pthread_mutex_unlock(&log->mu);
        return SAMSA_OK;
    }
    if (i0 > ni) {
        i0 = ni;
    }
    if (t0 > nt) {
        t0 = nt;
    }
    size_t ilen = (size_t)(ni - i0) * 8, tlen = (size_t)(nt - t0) * 12;
    uint8_t *buf = malloc(ilen + tlen + 1);
    if (buf == NULL) {
        pthread_mutex_unlock(&log->mu);
        return SAMSA_ERR_NOMEM;
    }
    for (uint32_t i = i0; i < ni; i++) {
        samsa_put_be32(buf + (i - i0) * 8, seg->idx[i].rel);
        samsa_put_be32(buf + (i - i0) * 8 + 4, seg->idx[i].pos);
    }
    for (uint32_t i = t0; i < nt; i++) {
        uint8_t *q = buf + ilen + (size_t)(i - t0) * 12;
        samsa_put_be64(q, (uint64_t)seg->tidx[i].ts);
        samsa_put_be32(q + 8, seg->tidx[i].rel);
    }
    pthread_mutex_unlock(&log->mu);

    samsa_err_t err = SAMSA_OK;
    int ifd = open_index(log, seg, ".index", O_WRONLY | O_CREAT);
    int tfd = open_index(log, seg, ".timeindex", O_WRONLY | O_CREAT);
    if (ifd < 0 || tfd < 0 || !pwrite_all(ifd, buf, ilen, (off_t)i0 * 8) ||
        !pwrite_all(tfd, buf + ilen, tlen, (off_t)t0 * 12) ||
        ftruncate(ifd, (off_t)ni * 8) != 0 ||
        ftruncate(tfd, (off_t)nt * 12) != 0) {
        err = sg_io_error(log, "write index", errno);
    }
    if (ifd >= 0) {
        close(ifd);
    }
    if (tfd >= 0) {
        close(tfd);
    }
    free(buf);
    if (err == SAMSA_OK) {
        pthread_mutex_lock(&log->mu);
        seg->idx_written = ni;
        seg->tidx_written = nt;
        pthread_mutex_unlock(&log->mu);
    }
    return err;
}

int sg_read_header(int fd, int64_t pos, int64_t limit, sb_info_t *b)
{
    uint8_t hdr[SAMSA_BATCH_HEADER_SIZE];
    if (limit - pos < SAMSA_BATCH_HEADER_SIZE) {
        return SB_SHORT;
    }
    ssize_t n = pread(fd, hdr, sizeof(hdr), pos);
    if (n != (ssize_t)sizeof(hdr)) {
        return SB_SHORT;
    }
    int rc = sb_parse(hdr, sizeof(hdr), b);
    if (rc == SB_BAD) {
        return SB_BAD;
    }
    if (b->size > limit - pos) {
        return SB_SHORT;
    }
    return SB_OK;
}

/* Read the index files of an inactive segment; false when damaged. */
static bool load_index(samsa_storage_log_t *log, sg_seg_t *seg, sg_seg_t *tmp,
                       int64_t size)
{
    bool ok = false;
    int ifd = open_index(log, seg, ".index", O_RDONLY);
    int tfd = open_index(log, seg, ".timeindex", O_RDONLY);
    struct stat ist, tst;
    uint8_t *buf = NULL;
    if (ifd < 0 || tfd < 0 || fstat(ifd, &ist) != 0 || fstat(tfd, &tst) != 0 ||
        ist.st_size % 8 || tst.st_size % 12) {
        goto out;
    }
    buf = malloc((size_t)(ist.st_size + tst.st_size) + 1);
    if (buf == NULL || pread(ifd, buf, (size_t)ist.st_size, 0) != ist.st_size ||
        pread(tfd, buf + ist.st_size, (size_t)tst.st_size, 0) != tst.st_size) {
        goto out;
    }
    for (off_t i = 0; i < ist.st_size; i += 8) {
        uint32_t rel = samsa_be32(buf + i), pos = samsa_be32(buf + i + 4);
        if (pos >= size ||
            (tmp->nidx > 0 && (rel <= tmp->idx[tmp->nidx - 1].rel ||
                               pos <= tmp->idx[tmp->nidx - 1].pos)) ||
            !add_idx(tmp, rel, pos)) {
            goto out;
        }
    }
    for (off_t i = 0; i < tst.st_size; i += 12) {
        const uint8_t *q = buf + ist.st_size + i;
        if (!add_tidx(tmp, (int64_t)samsa_be64(q), samsa_be32(q + 8))) {
            goto out;
        }
    }
    ok = true;
out:
    free(buf);
    if (ifd >= 0) {
        close(ifd);
    }
    if (tfd >= 0) {
        close(tfd);
    }
    return ok;
}

/* Header-only scan of bytes [0, size) of an inactive segment into tmp. */
static samsa_err_t scan_headers(samsa_storage_log_t *log, sg_seg_t *seg,
                                sg_seg_t *tmp, int64_t size, int64_t interval)
{
    int64_t pos = 0;
    sb_info_t b;
    int fd = sg_seg_fd(log, seg);
    while (pos < size) {
        if (sg_read_header(fd, pos, size, &b) != SB_OK) {
            /* Index what precedes the damage and keep the partition up:
             * reads reaching it get CORRUPT_MESSAGE (sg_read). */
            log->st->svc->log(
                log->st->inst, SAMSA_LOG_ERROR,
                "%s: segment %020" PRId64
                ": damaged batch header at position %" PRId64 " of %" PRId64
                "; offsets from %" PRId64 " in this segment cannot be read",
                log->path, seg->base, pos, size,
                tmp->next_offset > seg->base ? tmp->next_offset : seg->base);
            atomic_store(&seg->damage_logged, true);
            return SAMSA_OK;
        }
        if (!sg_seg_note_batch(tmp, &b, pos, interval)) {
            return SAMSA_ERR_NOMEM;
        }
        pos += b.size;
    }
    return SAMSA_OK;
}

samsa_err_t sg_seg_ensure_index(samsa_storage_log_t *log, sg_seg_t *seg)
{
    pthread_mutex_lock(&log->mu);
    bool loaded = seg->loaded;
    int64_t size = seg->size, next = seg->next_offset;
    uint64_t version = seg->version;
    int64_t interval = log->cfg.index_interval_bytes;
    pthread_mutex_unlock(&log->mu);
    if (loaded) {
        return SAMSA_OK;
    }
    sg_seg_t tmp = {.base = seg->base, .max_ts = -1};
    bool rebuilt = false;
    if (!load_index(log, seg, &tmp, size)) {
        free(tmp.idx);
        free(tmp.tidx);
        tmp = (sg_seg_t){.base = seg->base, .max_ts = -1};
        samsa_err_t err = scan_headers(log, seg, &tmp, size, interval);
        if (err != SAMSA_OK) {
            free(tmp.idx);
            free(tmp.tidx);
            return err == SAMSA_ERR_CORRUPT ? SAMSA_ERR_KAFKA_STORAGE_ERROR
                                            : err;
        }
        tmp.next_offset = next;
        sg_seg_seal_time(&tmp);
        rebuilt = true;
    }
    pthread_mutex_lock(&log->mu);
    if (!seg->loaded && seg->version == version) {
        free(seg->idx);
        free(seg->tidx);
        seg->idx = tmp.idx;
        seg->nidx = seg->idx_written = tmp.nidx;
        seg->cidx = tmp.cidx;
        seg->tidx = tmp.tidx;
        seg->ntidx = seg->tidx_written = tmp.ntidx;
        seg->ctidx = tmp.ctidx;
        seg->loaded = true;
        tmp.idx = NULL;
        tmp.tidx = NULL;
    }
    pthread_mutex_unlock(&log->mu);
    free(tmp.idx);
    free(tmp.tidx);
    if (rebuilt) {
        return sg_seg_write_index(log, seg, true);
    }
    return SAMSA_OK;
}

bool sg_seg_index_sane(samsa_storage_log_t *log, sg_seg_t *seg, int64_t *max_ts)
{
    int ifd = open_index(log, seg, ".index", O_RDONLY);
    int tfd = open_index(log, seg, ".timeindex", O_RDONLY);
    struct stat ist, tst;
    bool ok = ifd >= 0 && tfd >= 0 && fstat(ifd, &ist) == 0 &&
              fstat(tfd, &tst) == 0 && ist.st_size % 8 == 0 &&
              tst.st_size % 12 == 0;
    uint8_t e[12];
    if (ok && ist.st_size > 0) {
        ok = pread(ifd, e, 8, ist.st_size - 8) == 8 &&
             samsa_be32(e + 4) < (uint64_t)seg->size &&
             samsa_be32(e) < (uint64_t)(seg->next_offset - seg->base);
    }
    *max_ts = -1;
    if (ok && tst.st_size > 0) {
        ok = pread(tfd, e, 12, tst.st_size - 12) == 12;
        *max_ts = (int64_t)samsa_be64(e);
    }
    /* An unsealed non-empty segment (crash during roll) gets rebuilt. */
    if (ok && seg->size > 0 && tst.st_size == 0) {
        ok = false;
    }
    /* The batches after the last index entry must end exactly at the end
     * of the file (a few header reads; damage elsewhere is found by reads
     * and reported there). */
    int64_t pos = 0;
    if (ok && ist.st_size > 0) {
        ok = pread(ifd, e, 8, ist.st_size - 8) == 8;
        pos = samsa_be32(e + 4);
    }
    sb_info_t b;
    while (ok && pos < seg->size) {
        ok = sg_read_header(seg->fd, pos, seg->size, &b) == SB_OK;
        pos += ok ? b.size : 0;
    }
    if (ifd >= 0) {
        close(ifd);
    }
    if (tfd >= 0) {
        close(tfd);
    }
    return ok;
}

/* Grow log->scratch to hold @p need bytes. */
static uint8_t *scratch(samsa_storage_log_t *log, size_t *cap, size_t need)
{
    if (need <= *cap) {
        return log->scratch;
    }
    uint8_t *p = realloc(log->scratch, need);
    if (p != NULL) {
        log->scratch = p;
        *cap = need;
    }
    return p;
}

samsa_err_t sg_seg_recover(samsa_storage_log_t *log, sg_seg_t *seg,
                           bool check_crc)
{
    struct stat stt;
    if (fstat(seg->fd, &stt) != 0) {
        return sg_io_error(log, "stat segment", errno);
    }
    int64_t fsize = stt.st_size, pos = 0;
    int64_t interval = log->cfg.index_interval_bytes;
    size_t cap = 0;
    seg->nidx = seg->ntidx = 0;
    seg->since_idx = 0;
    seg->max_ts = -1;
    seg->next_offset = seg->base;
    sb_info_t b;
    /* One pread of the header, one of the whole batch for its CRC: simple,
     * and the active segment is bounded by segment.bytes. */
    while (sg_read_header(seg->fd, pos, fsize, &b) == SB_OK &&
           b.base >= seg->next_offset &&
           b.last - seg->base <= (int64_t)UINT32_MAX) {
        if (check_crc) {
            uint8_t *buf = scratch(log, &cap, (size_t)b.size);
            if (buf == NULL) {
                return SAMSA_ERR_NOMEM;
            }
            if (pread(seg->fd, buf, (size_t)b.size, pos) != b.size ||
                !sb_crc_ok(buf, (size_t)b.size)) {
                break;
            }
        }
        if (!sg_seg_note_batch(seg, &b, pos, interval)) {
            return SAMSA_ERR_NOMEM;
        }
        pos += b.size;
    }
    if (pos < fsize) {
        log->st->svc->log(log->st->inst, SAMSA_LOG_WARN,
                          "%s: segment %020" PRId64 ": truncating %" PRId64
                          " bytes of torn or corrupt tail at position %" PRId64,
                          log->path, seg->base, fsize - pos, pos);
        if (ftruncate(seg->fd, pos) != 0) {
            return sg_io_error(log, "truncate torn tail", errno);
        }
    }
    seg->size = pos;
    seg->loaded = true;
    return SAMSA_OK;
}
