/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sg_log.c - the storage ops of storage-segment: open/recover, append,
 * read, offsets, time lookup, truncate, start offset, flush, housekeeping.
 */
#define _GNU_SOURCE
#include "seg.h"

#include "durable_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SG_START_FILE "log-start-offset"
#define SG_CLEAN_FILE ".clean-shutdown"
/* Relative offsets and positions are 32-bit in the index files. */
#define SG_MAX_SEGMENT_BYTES ((int64_t)INT32_MAX)

samsa_err_t sg_io_error(samsa_storage_log_t *log, const char *what, int err)
{
    log->st->svc->log(log->st->inst, SAMSA_LOG_ERROR, "%s: %s: %s", log->path,
                      what, strerror(err));
    return err == ENOMEM ? SAMSA_ERR_NOMEM : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

/* The directory cannot be trusted any more (failed fsync, failed rollback):
 * refuse every later write, as Kafka takes a log dir offline. */
static samsa_err_t go_offline(samsa_storage_log_t *log, const char *what,
                              int err)
{
    sg_io_error(log, what, err);
    if (!atomic_exchange(&log->st->offline, true)) {
        log->st->svc->log(log->st->inst, SAMSA_LOG_ERROR,
                          "log directory %s is now offline", log->st->dir);
    }
    return SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

int64_t sg_now(const samsa_storage_log_t *log)
{
    return log->st->svc->now_ms();
}

void sg_resolve(const sg_state_t *st, const samsa_log_config_t *in,
                samsa_log_config_t *out)
{
    const samsa_log_config_t *d = &st->defs;
    *out = in != NULL ? *in : *d;
    if (out->segment_bytes <= 0) {
        out->segment_bytes = d->segment_bytes;
    }
    if (out->segment_bytes > SG_MAX_SEGMENT_BYTES) {
        out->segment_bytes = SG_MAX_SEGMENT_BYTES;
    }
    if (out->segment_ms <= 0) {
        out->segment_ms = d->segment_ms;
    }
    if (out->index_interval_bytes <= 0) {
        out->index_interval_bytes = d->index_interval_bytes;
    }
    if (out->cleanup_policy == 0) {
        out->cleanup_policy = SAMSA_CLEANUP_DELETE;
    }
}

/* ---------------------------------------------------------------------- */
/* Small files: log start offset, clean-shutdown marker                   */
/* ---------------------------------------------------------------------- */

static samsa_err_t write_small_file(samsa_storage_log_t *log, const char *name,
                                    const char *text, bool sync)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", log->path, name);
    int rc = samsa_file_replace(path, NULL, text, strlen(text), sync);
    return rc == 0 ? SAMSA_OK : sg_io_error(log, name, rc);
}

static samsa_err_t persist_start(samsa_storage_log_t *log, int64_t start,
                                 bool sync)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64 "\n", start);
    return write_small_file(log, SG_START_FILE, text, sync);
}

static bool read_small_file(samsa_storage_log_t *log, const char *name,
                            char *buf, size_t size)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", log->path, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0) {
        return false;
    }
    buf[n] = '\0';
    return true;
}

/* ---------------------------------------------------------------------- */
/* Open and recovery                                                      */
/* ---------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool is_base_name(const char *name, const char *ext, int64_t *base)
{
    size_t len = strlen(name), elen = strlen(ext);
    if (len != 20 + elen || strcmp(name + 20, ext) != 0) {
        return false;
    }
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return false;
        }
        v = v * 10 + (name[i] - '0');
    }
    *base = v;
    return true;
}

/* Bases of the .log files, sorted; leftovers of interrupted work removed. */
static samsa_err_t list_segments(samsa_storage_log_t *log, int64_t **bases,
                                 size_t *count)
{
    DIR *dir = opendir(log->path);
    if (dir == NULL) {
        return sg_io_error(log, "open directory", errno);
    }
    size_t n = 0, cap = 0;
    int64_t *arr = NULL, base;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        if ((len > 8 && strcmp(nm + len - 8, ".cleaned") == 0) ||
            (len > 4 && strcmp(nm + len - 4, ".tmp") == 0)) {
            unlinkat(dirfd(dir), nm, 0);
            continue;
        }
        if (!is_base_name(nm, ".log", &base)) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *p = realloc(arr, cap * sizeof(*arr));
            if (p == NULL) {
                free(arr);
                closedir(dir);
                return SAMSA_ERR_NOMEM;
            }
            arr = p;
        }
        arr[n++] = base;
    }
    closedir(dir);
    if (n > 1) {
        qsort(arr, n, sizeof(*arr), cmp_i64);
    }
    *bases = arr;
    *count = n;
    return SAMSA_OK;
}

static void link_tail(samsa_storage_log_t *log, sg_seg_t *seg)
{
    seg->prev = log->tail;
    seg->next = NULL;
    if (log->tail != NULL) {
        log->tail->next = seg;
    } else {
        log->head = seg;
    }
    log->tail = seg;
    log->nsegs++;
    log->size_bytes += seg->size;
}

static samsa_err_t open_segment(samsa_storage_log_t *log, sg_seg_t *seg)
{
    char path[4096];
    struct stat stt;
    sg_seg_path(path, sizeof(path), log->path, seg->base, ".log");
    seg->fd = open(path, O_RDWR | O_CLOEXEC);
    if (seg->fd < 0 || fstat(seg->fd, &stt) != 0) {
        return sg_io_error(log, "open segment", errno);
    }
    seg->size = seg->synced = stt.st_size;
    return SAMSA_OK;
}

static samsa_err_t check_inactive(samsa_storage_log_t *log, sg_seg_t *seg,
                                  int64_t next_base)
{
    seg->next_offset = next_base;
    if (sg_seg_index_sane(log, seg, &seg->max_ts)) {
        return SAMSA_OK;
    }
    log->st->svc->log(log->st->inst, SAMSA_LOG_WARN,
                      "%s: rebuilding index of segment %020" PRId64, log->path,
                      seg->base);
    seg->max_ts = -1;
    samsa_err_t err = sg_seg_ensure_index(log, seg);
    if (err == SAMSA_OK) {
        seg->max_ts = -1;
        for (uint32_t i = 0; i < seg->ntidx; i++) {
            seg->max_ts = seg->tidx[i].ts;
        }
    }
    return err;
}

/* Inactive segment: trust the files, check the index cheaply, rebuild a
 * damaged one now (rare) so retention knows its max timestamp. Its fd is
 * closed again: it opens on first read (sg_seg_fd). */
static samsa_err_t open_inactive(samsa_storage_log_t *log, sg_seg_t *seg,
                                 int64_t next_base)
{
    samsa_err_t err = open_segment(log, seg);
    if (err == SAMSA_OK) {
        err = check_inactive(log, seg, next_base);
    }
    if (seg->fd >= 0) {
        close(atomic_exchange(&seg->fd, -1));
    }
    return err;
}

/* The log end offset the active segment's last batches give, reading the
 * headers from the last index entry (a few reads); -1 when they do not end
 * exactly at the segment's size. */
static int64_t tail_end_offset(samsa_storage_log_t *log, sg_seg_t *seg)
{
    pthread_mutex_lock(&log->mu);
    int64_t pos = seg->nidx ? seg->idx[seg->nidx - 1].pos : 0;
    int64_t size = seg->size;
    pthread_mutex_unlock(&log->mu);
    int64_t next = seg->base;
    sb_info_t b;
    while (pos < size) {
        if (sg_read_header(seg->fd, pos, size, &b) != SB_OK) {
            return -1;
        }
        next = b.last + 1;
        pos += b.size;
    }
    return next;
}

/* Active segment: after a clean close trust the marker once its log end
 * offset matches the last batch (a wrong one would strand consumers past
 * the data), else scan it. */
static samsa_err_t check_active(samsa_storage_log_t *log, sg_seg_t *seg)
{
    samsa_err_t err = open_segment(log, seg);
    if (err != SAMSA_OK) {
        return err;
    }
    char text[128];
    int64_t mbase, msize, mleo, mts;
    if (read_small_file(log, SG_CLEAN_FILE, text, sizeof(text)) &&
        sscanf(text, "%" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64, &mbase,
               &msize, &mleo, &mts) == 4 &&
        mbase == seg->base && msize == seg->size && mleo >= seg->base) {
        seg->next_offset = mleo;
        seg->size = msize;
        err = sg_seg_ensure_index(log, seg);
        seg->max_ts = mts;
        seg->since_idx = 0;
        int64_t end = err == SAMSA_OK ? tail_end_offset(log, seg) : -1;
        if (end == mleo) {
            return SAMSA_OK;
        }
        log->st->svc->log(log->st->inst, SAMSA_LOG_WARN,
                          "%s: clean-shutdown marker gives log end offset "
                          "%" PRId64 " but the segment ends at %" PRId64
                          "; recovering the segment",
                          log->path, mleo, end);
    }
    err = sg_seg_recover(log, seg, true);
    if (err == SAMSA_OK) {
        err = sg_seg_write_index(log, seg, true);
    }
    return err;
}

/* The active segment's fd, too, opens on first use (append, read): a
 * partition nobody uses holds no fd. */
static samsa_err_t open_active(samsa_storage_log_t *log, sg_seg_t *seg)
{
    samsa_err_t err = check_active(log, seg);
    if (seg->fd >= 0) {
        close(atomic_exchange(&seg->fd, -1));
    }
    return err;
}

static void free_log(samsa_storage_log_t *log)
{
    sg_seg_t *seg = log->head;
    while (seg != NULL) {
        sg_seg_t *next = seg->next;
        /* A read still holding it keeps the fd until its last unpin; the
         * cache must not reach this log any more. */
        sg_seg_lru_forget(seg);
        seg->log = NULL;
        sg_seg_unpin(seg);
        seg = next;
    }
    pthread_mutex_destroy(&log->mu);
    free(log->scratch);
    free(log->path);
    free(log);
}

static samsa_err_t load_segments(samsa_storage_log_t *log)
{
    int64_t *bases = NULL;
    size_t n = 0;
    samsa_err_t err = list_segments(log, &bases, &n);
    char text[64];
    int64_t start = 0;
    if (read_small_file(log, SG_START_FILE, text, sizeof(text))) {
        start = strtoll(text, NULL, 10);
    }
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        sg_seg_t *seg = sg_seg_new(bases[i]);
        if (seg == NULL) {
            err = SAMSA_ERR_NOMEM;
            break;
        }
        err = i + 1 < n ? open_inactive(log, seg, bases[i + 1])
                        : open_active(log, seg);
        link_tail(log, seg);
    }
    if (err == SAMSA_OK && n == 0) {
        sg_seg_t *seg = sg_seg_new(start > 0 ? start : 0);
        err = seg == NULL ? SAMSA_ERR_NOMEM : sg_seg_create(log, seg);
        if (seg != NULL && seg->fd >= 0) {
            close(atomic_exchange(&seg->fd, -1)); /* opens on first use */
            sg_seg_lru_forget(seg);
        }
        if (seg != NULL) {
            link_tail(log, seg);
        }
    }
    free(bases);
    if (err != SAMSA_OK) {
        return err;
    }
    log->size_bytes = 0;
    for (sg_seg_t *seg = log->head; seg != NULL; seg = seg->next) {
        log->size_bytes += seg->size;
    }
    log->leo = log->tail->next_offset;
    log->start = start > log->head->base ? start : log->head->base;
    if (log->start > log->leo) {
        log->start = log->leo;
    }
    return SAMSA_OK;
}

static samsa_err_t sg_open(void *state, const char *topic, int32_t partition,
                           const samsa_log_config_t *cfg,
                           samsa_storage_log_t **out, char *errbuf,
                           size_t errbuf_size)
{
    sg_state_t *st = state;
    samsa_storage_log_t *log = calloc(1, sizeof(*log));
    size_t plen = strlen(st->dir) + strlen(topic) + 16;
    if (log == NULL || (log->path = malloc(plen)) == NULL) {
        free(log);
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    snprintf(log->path, plen, "%s/%s-%d", st->dir, topic, (int)partition);
    log->st = st;
    pthread_mutex_init(&log->mu, NULL);
    sg_resolve(st, cfg, &log->cfg);
    /* The host validates names (Kafka's rules, where ".x" is legal); this
     * only keeps a path out of the directory. */
    if (strchr(topic, '/') != NULL || topic[0] == '\0' ||
        strcmp(topic, ".") == 0 || strcmp(topic, "..") == 0) {
        snprintf(errbuf, errbuf_size, "invalid topic name '%s'", topic);
        free_log(log);
        return SAMSA_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if ((mkdir(st->dir, 0755) != 0 && errno != EEXIST) ||
        (mkdir(log->path, 0755) != 0 && errno != EEXIST)) {
        snprintf(errbuf, errbuf_size, "mkdir %s: %s", log->path,
                 strerror(errno));
        free_log(log);
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    samsa_err_t err = load_segments(log);
    if (err == SAMSA_OK) {
        err = sg_txn_open(log);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "%s: cannot open log: %s", log->path,
                 st->svc->err_str(err));
        free_log(log);
        return err;
    }
    /* From here a crash must trigger recovery of the active segment. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", log->path, SG_CLEAN_FILE);
    unlink(path);
    *out = log;
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Append                                                                 */
/* ---------------------------------------------------------------------- */

/* Check framing and offsets of everything in @p buf before writing. */
static samsa_err_t validate(const uint8_t *buf, size_t len, int64_t leo,
                            bool sparse, int64_t *last, int64_t *records)
{
    size_t off = 0;
    int64_t expect = leo;
    sb_info_t b;
    if (len == 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    *records = 0;
    while (off < len) {
        if (sb_parse(buf + off, len - off, &b) != SB_OK) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        /* Sparse: forward only, and within one segment's reach. */
        if (sparse ? b.base < expect || b.last - leo > INT32_MAX
                   : b.base != expect) {
            return SAMSA_ERR_INVALID_REQUEST;
        }
        expect = b.last + 1;
        *records += b.count;
        off += (size_t)b.size;
    }
    *last = expect - 1;
    return SAMSA_OK;
}

static bool pwrite_full(int fd, const uint8_t *p, size_t len, off_t pos,
                        int *err)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, pos);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            *err = n < 0 ? errno : ENOSPC;
            return false;
        }
        p += n;
        len -= (size_t)n;
        pos += n;
    }
    return true;
}

/* Seal the active segment and start a new one at LEO. Append thread. */
static samsa_err_t roll(samsa_storage_log_t *log)
{
    sg_seg_t *old = log->tail;
    pthread_mutex_lock(&log->mu);
    bool ok = sg_seg_seal_time(old);
    pthread_mutex_unlock(&log->mu);
    samsa_err_t err =
        ok ? sg_seg_write_index(log, old, false) : SAMSA_ERR_NOMEM;
    if (err != SAMSA_OK) {
        return err;
    }
    sg_seg_t *seg = sg_seg_new(log->leo);
    if (seg == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    err = sg_seg_create(log, seg);
    if (err != SAMSA_OK) {
        sg_seg_unlink(log, seg);
        sg_seg_unpin(seg);
        return err;
    }
    pthread_mutex_lock(&log->mu);
    link_tail(log, seg);
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

/* Write @p len bytes at the end of the active segment. It is pinned
 * meanwhile, so housekeep cannot close its fd under the write. Running out
 * of fds fails this append only (KAFKA_STORAGE_ERROR). */
static samsa_err_t write_tail(samsa_storage_log_t *log, sg_seg_t *seg,
                              const uint8_t *buf, size_t len)
{
    pthread_mutex_lock(&log->mu);
    sg_seg_pin(seg);
    pthread_mutex_unlock(&log->mu);
    int fd = sg_seg_fd(log, seg);
    samsa_err_t err = fd < 0 ? SAMSA_ERR_KAFKA_STORAGE_ERROR : SAMSA_OK;
    int werr = 0;
    if (err == SAMSA_OK && !pwrite_full(fd, buf, len, seg->size, &werr)) {
        /* Take back whatever part reached the file; if even that fails
         * the segment tail is unknown and the directory goes offline. */
        if (ftruncate(fd, seg->size) != 0) {
            err = go_offline(log, "rollback of failed append", errno);
        } else if (werr != ENOSPC && werr != EDQUOT && werr != EFBIG) {
            err = go_offline(log, "append", werr);
        } else {
            err = sg_io_error(log, "append", werr);
        }
    }
    sg_seg_unpin(seg);
    return err;
}

static samsa_err_t append_batches(samsa_storage_log_t *log, const void *batches,
                                  size_t len, bool sparse)
{
    const uint8_t *buf = batches;
    int64_t last, records, now = sg_now(log);
    if (atomic_load_explicit(&log->st->offline, memory_order_relaxed)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    samsa_err_t err = validate(buf, len, log->leo, sparse, &last, &records);
    if (err != SAMSA_OK) {
        return err;
    }
    pthread_mutex_lock(&log->mu);
    int64_t seg_bytes = log->cfg.segment_bytes;
    int64_t seg_ms = log->cfg.segment_ms;
    int64_t interval = log->cfg.index_interval_bytes;
    pthread_mutex_unlock(&log->mu);
    if ((int64_t)len > SG_MAX_SEGMENT_BYTES) {
        return SAMSA_ERR_RECORD_LIST_TOO_LARGE;
    }
    sg_seg_t *seg = log->tail;
    if (seg->size > 0 && ((int64_t)len > seg_bytes - seg->size ||
                          (int64_t)len > SG_MAX_SEGMENT_BYTES - seg->size ||
                          now - seg->first_ms >= seg_ms ||
                          last - seg->base > (int64_t)INT32_MAX)) {
        if ((err = roll(log)) != SAMSA_OK) {
            return err;
        }
        seg = log->tail;
    }
    if ((err = write_tail(log, seg, buf, len)) != SAMSA_OK) {
        return err;
    }
    /* Publish: index first, then size and LEO, all under the lock. */
    pthread_mutex_lock(&log->mu);
    int64_t pos = seg->size;
    bool ok = true;
    for (size_t off = 0; off < len;) {
        sb_info_t b;
        sb_parse(buf + off, len - off, &b);
        ok = sg_seg_note_batch(seg, &b, pos + (int64_t)off, interval) && ok;
        off += (size_t)b.size;
    }
    if (seg->size == 0) {
        seg->first_ms = now;
    }
    seg->size += (int64_t)len;
    log->size_bytes += (int64_t)len;
    log->leo = last + 1;
    pthread_mutex_unlock(&log->mu);
    /* An index entry lost to ENOMEM only makes lookups scan further. */
    (void)ok;
    return SAMSA_OK;
}

static samsa_err_t sg_append(samsa_storage_log_t *log, const void *batches,
                             size_t len)
{
    return append_batches(log, batches, len, false);
}

static samsa_err_t sg_append_sparse(samsa_storage_log_t *log,
                                    const void *batches, size_t len)
{
    return append_batches(log, batches, len, true);
}

/* ---------------------------------------------------------------------- */
/* Read                                                                   */
/* ---------------------------------------------------------------------- */

/* engine_ref: a segment pointer, or (tagged with bit 0) a block listing
 * every pinned segment when the read spans several. */
typedef struct sg_pins {
    uint32_t n;
    sg_seg_t *segs[SAMSA_STORAGE_MAX_SLICES];
} sg_pins_t;

static void release_pins(sg_seg_t **segs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        sg_seg_unpin(segs[i]);
    }
}

/* Scan batches of one pinned segment from @p pos, extending @p out.
 * Every byte below @p limit was written as whole batches, so a header that
 * does not parse there is damage: *bad gets its position (else -1). */
static bool scan_segment(sg_seg_t *seg, int fd, int64_t pos, int64_t limit,
                         int64_t offset, int64_t hw, int64_t max_bytes,
                         uint32_t flags, samsa_storage_read_t *out, bool *stop,
                         int64_t *bad)
{
    samsa_slice_t *sl = &out->slices[out->slice_count];
    bool used = false;
    sb_info_t b;
    *bad = -1;
    while (pos < limit) {
        if (sg_read_header(fd, pos, limit, &b) != SB_OK) {
            *bad = pos;
            *stop = true;
            break;
        }
        if (b.last < offset) {
            pos += b.size;
            continue;
        }
        bool first = out->total_bytes == 0;
        if (b.base >= hw || (out->total_bytes + b.size > max_bytes &&
                             !(first && (flags & SAMSA_READ_MIN_ONE)))) {
            *stop = true;
            break;
        }
        if (!used) {
            *sl = (samsa_slice_t){.fd = fd, .pos = pos, .len = 0};
            used = true;
        }
        sl->len += b.size;
        out->total_bytes += b.size;
        out->next_offset = b.last + 1;
        pos += b.size;
    }
    if (used) {
        out->slice_count++;
    }
    return used;
}

/* A damaged batch in the middle of a segment: offsets from @p offset on
 * cannot be read past it. Logged once per segment; the reader gets
 * CORRUPT_MESSAGE (Kafka's answer to a CorruptRecordException) rather than
 * the next readable offsets, so nothing below the high watermark is
 * skipped silently. */
static samsa_err_t damaged(samsa_storage_log_t *log, sg_seg_t *seg, int64_t pos,
                           int64_t offset)
{
    if (!atomic_exchange(&seg->damage_logged, true)) {
        log->st->svc->log(
            log->st->inst, SAMSA_LOG_ERROR,
            "%s: segment %020" PRId64 ": damaged batch header at position "
            "%" PRId64 " (read of offset %" PRId64 "): fetches there get "
            "CORRUPT_MESSAGE. Restore the segment from a backup, or move "
            "the log start offset past it (DeleteRecords) to give up the "
            "data",
            log->path, seg->base, pos, offset);
    }
    return SAMSA_ERR_CORRUPT_MESSAGE;
}

static samsa_err_t sg_read(samsa_storage_log_t *log, int64_t offset,
                           int64_t max_offset, int64_t max_bytes,
                           uint32_t flags, samsa_storage_read_t *out)
{
    samsa_abi_header_t hdr = SAMSA_ABI_HEADER(samsa_storage_read_t);
    memset(out, 0, sizeof(*out));
    out->hdr = hdr;
    out->next_offset = offset;
    pthread_mutex_lock(&log->mu);
    if (offset < log->start || offset > log->leo) {
        pthread_mutex_unlock(&log->mu);
        return SAMSA_ERR_OFFSET_OUT_OF_RANGE;
    }
    int64_t hw =
        max_offset < 0 || max_offset > log->leo ? log->leo : max_offset;
    if (offset >= hw) {
        pthread_mutex_unlock(&log->mu);
        return SAMSA_OK;
    }
    sg_seg_t *seg = log->tail;
    while (seg->prev != NULL && seg->base > offset) {
        seg = seg->prev;
    }
    sg_seg_pin(seg);
    bool loaded = seg->loaded;
    pthread_mutex_unlock(&log->mu);

    sg_seg_t *pinned[SAMSA_STORAGE_MAX_SLICES];
    uint32_t npinned = 0;
    samsa_err_t err = loaded ? SAMSA_OK : sg_seg_ensure_index(log, seg);
    bool stop = false, first = true;
    while (err == SAMSA_OK && seg != NULL) {
        pthread_mutex_lock(&log->mu);
        int64_t limit = seg->size;
        int64_t pos = first ? sg_seg_lookup(seg, offset) : 0;
        uint64_t version = seg->version;
        pthread_mutex_unlock(&log->mu);
        first = false;
        int64_t last_base = seg->base, bad;
        int fd = sg_seg_fd(log, seg);
        if (fd < 0) {
            sg_seg_unpin(seg);
            err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        bool used = scan_segment(seg, fd, pos, limit, offset, hw, max_bytes,
                                 flags, out, &stop, &bad);
        if (bad >= 0) {
            /* A truncate() that raced this read is not damage. */
            pthread_mutex_lock(&log->mu);
            if (seg->version != version) {
                bad = -1;
            }
            pthread_mutex_unlock(&log->mu);
        }
        if (bad >= 0) {
            samsa_err_t derr = damaged(log, seg, bad, out->next_offset);
            /* What was read before the damage is served first. */
            err = out->total_bytes > 0 ? SAMSA_OK : derr;
        }
        if (used) {
            pinned[npinned++] = seg;
        } else {
            sg_seg_unpin(seg);
        }
        seg = NULL;
        if (stop || out->slice_count == SAMSA_STORAGE_MAX_SLICES) {
            break;
        }
        /* The list may have changed (retention, compaction): find the
         * successor by base offset, not through a stale next pointer. */
        pthread_mutex_lock(&log->mu);
        for (sg_seg_t *s = log->head; s != NULL; s = s->next) {
            if (s->base > last_base) {
                if (s->base < hw) {
                    seg = s;
                    sg_seg_pin(seg);
                }
                break;
            }
        }
        pthread_mutex_unlock(&log->mu);
    }
    if (err != SAMSA_OK || npinned == 0) {
        release_pins(pinned, npinned);
        if (err == SAMSA_OK) {
            out->slice_count = 0;
            out->total_bytes = 0;
        }
        return err;
    }
    if (npinned == 1) {
        out->engine_ref = pinned[0];
        return SAMSA_OK;
    }
    sg_pins_t *pins = malloc(sizeof(*pins));
    if (pins == NULL) {
        release_pins(pinned, npinned);
        memset(out->slices, 0, sizeof(out->slices));
        out->slice_count = 0;
        return SAMSA_ERR_NOMEM;
    }
    pins->n = npinned;
    memcpy(pins->segs, pinned, npinned * sizeof(pinned[0]));
    out->engine_ref = (void *)((uintptr_t)pins | 1u);
    return SAMSA_OK;
}

static void sg_read_release(samsa_storage_log_t *log, samsa_storage_read_t *rd)
{
    uintptr_t ref = (uintptr_t)rd->engine_ref;
    if (ref & 1u) {
        sg_pins_t *pins = (sg_pins_t *)(ref & ~(uintptr_t)1u);
        release_pins(pins->segs, pins->n);
        free(pins);
    } else if (ref != 0) {
        sg_seg_unpin((sg_seg_t *)ref);
    }
    rd->engine_ref = NULL;
    rd->slice_count = 0;
}

/* ---------------------------------------------------------------------- */
/* Offsets and time lookup                                                */
/* ---------------------------------------------------------------------- */

static void sg_offsets(samsa_storage_log_t *log, samsa_log_offsets_t *out)
{
    pthread_mutex_lock(&log->mu);
    out->log_start_offset = log->start;
    out->log_end_offset = log->leo;
    out->size_bytes = log->size_bytes;
    out->segment_count = log->nsegs;
    pthread_mutex_unlock(&log->mu);
}

/* First record at or after @p ts inside the batch at @p pos. */
static samsa_err_t find_in_batch(int fd, int64_t pos, const sb_info_t *b,
                                 int64_t ts, int64_t *offset, int64_t *found_ts)
{
    *offset = b->base;
    *found_ts = b->max_ts;
    if (b->attrs & SAMSA_BATCH_ATTR_CODEC_MASK) {
        return SAMSA_OK; /* records are opaque: the batch is the answer */
    }
    uint8_t *buf = malloc((size_t)b->size);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = SAMSA_OK;
    if (pread(fd, buf, (size_t)b->size, pos) != b->size) {
        err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
    } else {
        sb_iter_t it;
        sb_record_t rec;
        sb_iter_init(&it, buf, b);
        while (sb_iter_next(&it, &rec) == 1) {
            if (rec.ts >= ts) {
                *offset = rec.offset;
                *found_ts = rec.ts;
                break;
            }
        }
    }
    free(buf);
    return err;
}

static samsa_err_t sg_offset_for_time(samsa_storage_log_t *log,
                                      int64_t timestamp, int64_t *offset,
                                      int64_t *found_ts)
{
    int64_t after = INT64_MIN;
    for (;;) {
        pthread_mutex_lock(&log->mu);
        sg_seg_t *seg = log->head;
        while (seg != NULL && (seg->base <= after || seg->max_ts < timestamp)) {
            seg = seg->next;
        }
        if (seg == NULL) {
            pthread_mutex_unlock(&log->mu);
            return SAMSA_ERR_NOT_FOUND;
        }
        sg_seg_pin(seg);
        int64_t start = log->start;
        pthread_mutex_unlock(&log->mu);
        after = seg->base;

        samsa_err_t err = sg_seg_ensure_index(log, seg);
        pthread_mutex_lock(&log->mu);
        int64_t pos = sg_seg_lookup_time(seg, timestamp);
        int64_t limit = seg->size;
        pthread_mutex_unlock(&log->mu);
        sb_info_t b;
        int fd = err == SAMSA_OK ? sg_seg_fd(log, seg) : -1;
        while (err == SAMSA_OK && sg_read_header(fd, pos, limit, &b) == SB_OK) {
            if (b.max_ts >= timestamp && b.last >= start) {
                err = find_in_batch(fd, pos, &b, timestamp, offset, found_ts);
                if (err == SAMSA_OK && *offset < start) {
                    *offset = start;
                }
                sg_seg_unpin(seg);
                return err;
            }
            pos += b.size;
        }
        sg_seg_unpin(seg);
        if (err != SAMSA_OK) {
            return err;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* Truncate, start offset                                                 */
/* ---------------------------------------------------------------------- */

/* Detach every segment after @p keep (NULL: all), lock held. */
static sg_seg_t *detach_after(samsa_storage_log_t *log, sg_seg_t *keep)
{
    sg_seg_t *gone = keep != NULL ? keep->next : log->head;
    for (sg_seg_t *s = gone; s != NULL; s = s->next) {
        log->nsegs--;
        log->size_bytes -= s->size;
    }
    if (keep != NULL) {
        keep->next = NULL;
    } else {
        log->head = NULL;
    }
    log->tail = keep;
    log->gen++;
    return gone;
}

static void drop_list(samsa_storage_log_t *log, sg_seg_t *gone)
{
    while (gone != NULL) {
        sg_seg_t *next = gone->next;
        sg_seg_unlink(log, gone);
        /* Out of the fd cache before the list's reference goes: past
         * that, refs == 1 would mean one reader (under sendfile), not the
         * list. */
        sg_seg_lru_forget(gone);
        sg_seg_unpin(gone);
        gone = next;
    }
}

/* @p list in the opposite order. */
static sg_seg_t *reverse_list(sg_seg_t *list)
{
    sg_seg_t *rev = NULL;
    while (list != NULL) {
        sg_seg_t *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    return rev;
}

/* Everything goes; the log restarts empty at @p offset. */
static samsa_err_t truncate_fully(samsa_storage_log_t *log, int64_t offset)
{
    sg_seg_t *seg = sg_seg_new(offset);
    if (seg == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_lock(&log->mu);
    sg_seg_t *gone = detach_after(log, NULL);
    pthread_mutex_unlock(&log->mu);
    drop_list(log, gone);
    samsa_err_t err = sg_seg_create(log, seg);
    pthread_mutex_lock(&log->mu);
    link_tail(log, seg);
    log->leo = offset;
    log->start = offset;
    log->txn_last = -1;
    pthread_mutex_unlock(&log->mu);
    if (err == SAMSA_OK) {
        err = persist_start(log, offset, false);
    }
    return err;
}

/* Recompute the max timestamp of a truncated segment (lock not held). */
static int64_t max_ts_upto(int fd, int64_t from_pos, int64_t limit,
                           int64_t seed)
{
    sb_info_t b;
    while (sg_read_header(fd, from_pos, limit, &b) == SB_OK) {
        if (b.max_ts > seed) {
            seed = b.max_ts;
        }
        from_pos += b.size;
    }
    return seed;
}

static samsa_err_t sg_truncate_fully(samsa_storage_log_t *log, int64_t offset)
{
    if (atomic_load(&log->st->offline)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    if (offset < 0) {
        return SAMSA_ERR_INVAL;
    }
    return truncate_fully(log, offset);
}

static samsa_err_t sg_truncate(samsa_storage_log_t *log, int64_t offset)
{
    if (atomic_load(&log->st->offline)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    if (offset < 0) {
        return SAMSA_ERR_INVAL;
    }
    if (offset >= log->leo) {
        return SAMSA_OK;
    }
    pthread_mutex_lock(&log->mu);
    int64_t head_base = log->head->base;
    pthread_mutex_unlock(&log->mu);
    if (offset <= head_base) {
        return truncate_fully(log, offset);
    }
    pthread_mutex_lock(&log->mu);
    sg_seg_t *seg = log->tail;
    while (seg->base > offset) {
        seg = seg->prev;
    }
    sg_seg_pin(seg);
    pthread_mutex_unlock(&log->mu);
    samsa_err_t err = sg_seg_ensure_index(log, seg);
    if (err != SAMSA_OK) {
        sg_seg_unpin(seg);
        return err;
    }
    /* Find the batch holding @p offset: it and all after it go. */
    pthread_mutex_lock(&log->mu);
    int64_t pos = sg_seg_lookup(seg, offset), limit = seg->size;
    pthread_mutex_unlock(&log->mu);
    int64_t new_leo = offset;
    sb_info_t b;
    int fd = sg_seg_fd(log, seg);
    while (sg_read_header(fd, pos, limit, &b) == SB_OK) {
        if (b.last >= offset) {
            new_leo = b.base < offset ? b.base : offset;
            break;
        }
        pos += b.size;
    }
    /* The segments after the cut go first, newest first, then the cut
     * segment is shortened: a crash part way leaves a prefix of the old
     * log (recovered as it is), never a hole in it. */
    pthread_mutex_lock(&log->mu);
    sg_seg_t *gone = detach_after(log, seg);
    pthread_mutex_unlock(&log->mu);
    drop_list(log, reverse_list(gone));
    if (fd < 0 || ftruncate(fd, pos) != 0) {
        sg_seg_unpin(seg);
        return go_offline(log, "truncate", errno);
    }
    pthread_mutex_lock(&log->mu);
    log->size_bytes -= seg->size - pos;
    seg->size = pos;
    seg->version++;
    while (seg->nidx > 0 && seg->idx[seg->nidx - 1].pos >= pos) {
        seg->nidx--;
    }
    uint32_t rel_end = (uint32_t)(new_leo - seg->base);
    while (seg->ntidx > 0 && seg->tidx[seg->ntidx - 1].rel > rel_end) {
        seg->ntidx--;
    }
    int64_t seed = seg->ntidx ? seg->tidx[seg->ntidx - 1].ts : -1;
    int64_t from =
        seg->ntidx
            ? sg_seg_lookup(seg, seg->base + seg->tidx[seg->ntidx - 1].rel)
            : 0;
    seg->next_offset = new_leo;
    seg->since_idx = pos - (seg->nidx ? seg->idx[seg->nidx - 1].pos : 0);
    log->leo = new_leo;
    if (log->start > new_leo) {
        log->start = new_leo;
    }
    pthread_mutex_unlock(&log->mu);
    int64_t mts = max_ts_upto(fd, from, pos, seed);
    pthread_mutex_lock(&log->mu);
    seg->max_ts = mts;
    if (seg->size == 0) {
        seg->first_ms = 0;
    }
    pthread_mutex_unlock(&log->mu);
    err = sg_seg_write_index(log, seg, true);
    if (err == SAMSA_OK) {
        err = sg_txn_truncate(log, seg, new_leo);
    }
    sg_seg_unpin(seg);
    return err;
}

static samsa_err_t sg_set_start_offset(samsa_storage_log_t *log, int64_t offset)
{
    if (atomic_load(&log->st->offline)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    pthread_mutex_lock(&log->mu);
    if (offset > log->leo || offset < 0) {
        pthread_mutex_unlock(&log->mu);
        return SAMSA_ERR_OFFSET_OUT_OF_RANGE;
    }
    bool moved = offset > log->start;
    if (moved) {
        log->start = offset;
        log->start_dirty = true;
    }
    pthread_mutex_unlock(&log->mu);
    /* Rename is atomic against a process crash; flush() makes it durable. */
    return moved ? persist_start(log, offset, false) : SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Flush and housekeeping (background threads)                            */
/* ---------------------------------------------------------------------- */

static samsa_err_t sg_flush(samsa_storage_log_t *log)
{
    if (atomic_load(&log->st->offline)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    for (;;) {
        /* fsync each segment with unsynced bytes, one at a time, pinned. */
        pthread_mutex_lock(&log->mu);
        sg_seg_t *seg = log->head;
        while (seg != NULL && seg->synced >= seg->size &&
               seg->txn_synced >= seg->ntxn) {
            seg = seg->next;
        }
        int64_t size = seg != NULL ? seg->size : 0;
        if (seg != NULL) {
            sg_seg_pin(seg);
        }
        pthread_mutex_unlock(&log->mu);
        if (seg == NULL) {
            break;
        }
        samsa_err_t err = sg_seg_write_index(log, seg, false);
        int fd = err == SAMSA_OK ? sg_seg_fd(log, seg) : -1;
        if (err == SAMSA_OK && (fd < 0 || fdatasync(fd) != 0)) {
            err = go_offline(log, "fsync", errno);
        }
        if (err == SAMSA_OK) {
            err = sg_txn_sync(log, seg);
        }
        pthread_mutex_lock(&log->mu);
        if (seg->synced < size) {
            seg->synced = size;
        }
        pthread_mutex_unlock(&log->mu);
        sg_seg_unpin(seg);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    pthread_mutex_lock(&log->mu);
    bool start_dirty = log->start_dirty;
    int64_t start = log->start;
    log->start_dirty = false;
    pthread_mutex_unlock(&log->mu);
    if (start_dirty) {
        samsa_err_t err = persist_start(log, start, true);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    int dfd = open(log->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        int rc = fsync(dfd);
        close(dfd);
        if (rc != 0) {
            return go_offline(log, "fsync directory", errno);
        }
    }
    return SAMSA_OK;
}

/* Should @p seg (not the active one) go? Lock held. */
static bool expired(const samsa_storage_log_t *log, const sg_seg_t *seg,
                    int64_t size_left, int64_t now_ms)
{
    const samsa_log_config_t *c = &log->cfg;
    if (seg->next == NULL) {
        return false;
    }
    if (seg->next->base <= log->start) {
        return true;
    }
    if (!(c->cleanup_policy & SAMSA_CLEANUP_DELETE)) {
        return false;
    }
    if (c->retention_ms >= 0 && seg->max_ts >= 0 &&
        seg->max_ts < now_ms - c->retention_ms) {
        return true;
    }
    return c->retention_bytes >= 0 &&
           size_left - seg->size >= c->retention_bytes;
}

static samsa_err_t sg_housekeep(samsa_storage_log_t *log, int64_t now_ms)
{
    if (atomic_load(&log->st->offline)) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    sg_seg_close_idle(log);
    pthread_mutex_lock(&log->mu);
    sg_seg_t *gone = log->head, *keep = log->head;
    int64_t size_left = log->size_bytes;
    while (keep->next != NULL && expired(log, keep, size_left, now_ms)) {
        size_left -= keep->size;
        log->nsegs--;
        keep = keep->next;
    }
    bool moved = false;
    if (keep != gone) {
        keep->prev->next = NULL;
        keep->prev = NULL;
        log->head = keep;
        log->size_bytes = size_left;
        log->gen++;
        if (log->start < keep->base) {
            log->start = keep->base;
            moved = true;
        }
    } else {
        gone = NULL;
    }
    int64_t start = log->start;
    pthread_mutex_unlock(&log->mu);
    if (moved) {
        persist_start(log, start, false);
    }
    drop_list(log, gone);
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Lifecycle                                                              */
/* ---------------------------------------------------------------------- */

static void sg_close(samsa_storage_log_t *log)
{
    sg_seg_t *seg = log->tail;
    bool clean = !atomic_load(&log->st->offline) &&
                 sg_seg_write_index(log, seg, false) == SAMSA_OK;
    if (clean) {
        char text[128];
        snprintf(text, sizeof(text),
                 "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n", seg->base,
                 seg->size, log->leo, seg->max_ts);
        write_small_file(log, SG_CLEAN_FILE, text, false);
    }
    free_log(log);
}

static int rm_entry(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return unlink(path);
}

static samsa_err_t sg_remove(samsa_storage_log_t *log)
{
    char *path = strdup(log->path);
    free_log(log);
    if (path == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    DIR *dir = opendir(path);
    if (dir != NULL) {
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                rm_entry(path, de->d_name);
            }
        }
        closedir(dir);
    }
    int rc = rmdir(path);
    free(path);
    return rc == 0 ? SAMSA_OK : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

static samsa_err_t sg_configure(samsa_storage_log_t *log,
                                const samsa_log_config_t *cfg)
{
    samsa_log_config_t c;
    sg_resolve(log->st, cfg, &c);
    pthread_mutex_lock(&log->mu);
    log->cfg = c;
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

const samsa_storage_ops_t sg_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_storage_ops_t),
    .open = sg_open,
    .close = sg_close,
    .remove = sg_remove,
    .configure = sg_configure,
    .append = sg_append,
    .read = sg_read,
    .read_release = sg_read_release,
    .offsets = sg_offsets,
    .offset_for_time = sg_offset_for_time,
    .truncate = sg_truncate,
    .set_start_offset = sg_set_start_offset,
    .flush = sg_flush,
    .housekeep = sg_housekeep,
    .compact = sg_compact,
    .truncate_fully = sg_truncate_fully,
    .append_sparse = sg_append_sparse,
    .txn_index_append = sg_txn_index_append,
    .txn_index_collect = sg_txn_index_collect,
};
