/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.c - storage-memory: a bounded in-memory partition log.
 *
 * Same semantics as storage-segment (offsets, retention, truncate, time
 * lookup, compaction) but nothing survives close. Each batch is one heap
 * copy; the log is an array of batches guarded by one mutex. read() copies
 * the requested batches into one buffer under the lock, so a reader never
 * holds the lock while the host sends, and retention never waits for it.
 * The bound (max_bytes) drops the oldest batches on append.
 *
 * The transaction index (aborted transactions, ABI minor 5) is an array in
 * marker order beside the batches; entries go with the batches holding
 * their markers (retention, truncation).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <samsa/storage.h>

#include "records_v2.h"
#include "compactor.h"

#define MEM_DEFAULT_MAX_BYTES (64 * 1024 * 1024)

typedef struct mem_state {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    int64_t max_bytes; /* manifest default */
} mem_state_t;

typedef struct mem_batch {
    int64_t base, last, max_ts, size;
    uint8_t *data;
} mem_batch_t;

struct samsa_storage_log {
    mem_state_t *st;
    pthread_mutex_t mu;
    samsa_log_config_t cfg;
    mem_batch_t *arr; /* live batches are arr[head .. head + n) */
    size_t head, n, cap;
    int64_t start, leo, bytes;
    samsa_aborted_txn_t *txns; /* transaction index, marker order */
    size_t ntxn, ctxn;
};

static void resolve(mem_state_t *st, const samsa_log_config_t *in,
                    samsa_log_config_t *out)
{
    *out = *in;
    if (out->max_bytes <= 0) {
        out->max_bytes = st->max_bytes;
    }
    if (out->cleanup_policy == 0) {
        out->cleanup_policy = SAMSA_CLEANUP_DELETE;
    }
}

static samsa_err_t mem_open(void *state, const char *topic, int32_t partition,
                            const samsa_log_config_t *cfg,
                            samsa_storage_log_t **out, char *errbuf,
                            size_t errbuf_size)
{
    samsa_storage_log_t *log = calloc(1, sizeof(*log));
    if (log == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    log->st = state;
    pthread_mutex_init(&log->mu, NULL);
    resolve(log->st, cfg, &log->cfg);
    *out = log;
    return SAMSA_OK;
}

/* Forget index entries whose marker is below the log start (lock held). */
static void drop_old_txns(samsa_storage_log_t *log)
{
    size_t gone = 0;
    while (gone < log->ntxn && log->txns[gone].last_offset < log->start) {
        gone++;
    }
    if (gone > 0) {
        log->ntxn -= gone;
        memmove(log->txns, log->txns + gone, log->ntxn * sizeof(*log->txns));
    }
}

/* Drop the oldest live batch (lock held). */
static void drop_head(samsa_storage_log_t *log)
{
    mem_batch_t *b = &log->arr[log->head];
    log->bytes -= b->size;
    free(b->data);
    log->head++;
    log->n--;
    int64_t next = log->n ? log->arr[log->head].base : log->leo;
    if (log->start < next) {
        log->start = next;
    }
    drop_old_txns(log);
}

/* Forget index entries whose marker is at or past @p end (lock held). */
static void txn_cut(samsa_storage_log_t *log, int64_t end)
{
    while (log->ntxn > 0 && log->txns[log->ntxn - 1].last_offset >= end) {
        log->ntxn--;
    }
}

static void mem_close(samsa_storage_log_t *log)
{
    while (log->n > 0) {
        drop_head(log);
    }
    free(log->arr);
    free(log->txns);
    pthread_mutex_destroy(&log->mu);
    free(log);
}

static samsa_err_t mem_remove(samsa_storage_log_t *log)
{
    mem_close(log);
    return SAMSA_OK;
}

static samsa_err_t mem_configure(samsa_storage_log_t *log,
                                 const samsa_log_config_t *cfg)
{
    samsa_log_config_t c;
    resolve(log->st, cfg, &c);
    pthread_mutex_lock(&log->mu);
    log->cfg = c;
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

static bool reserve(samsa_storage_log_t *log, size_t more)
{
    if (log->head + log->n + more <= log->cap) {
        return true;
    }
    if (log->head > 0) { /* slide live batches to the front first */
        memmove(log->arr, log->arr + log->head, log->n * sizeof(*log->arr));
        log->head = 0;
        if (log->n + more <= log->cap) {
            return true;
        }
    }
    size_t ncap = log->cap ? log->cap * 2 : 64;
    while (ncap < log->n + more) {
        ncap *= 2;
    }
    mem_batch_t *p = realloc(log->arr, ncap * sizeof(*p));
    if (p == NULL) {
        return false;
    }
    log->arr = p;
    log->cap = ncap;
    return true;
}

static samsa_err_t append_batches(samsa_storage_log_t *log, const void *batches,
                                  size_t len, bool sparse)
{
    const uint8_t *buf = batches;
    size_t count = 0, off = 0;
    int64_t expect = log->leo;
    sb_info_t b;
    if (len == 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    for (; off < len; off += (size_t)b.size, count++) {
        if (sb_parse(buf + off, len - off, &b) != SB_OK) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        /* Sparse (a compacted leader's batches): forward only. */
        if (sparse ? b.base < expect || b.last - log->leo > INT32_MAX
                   : b.base != expect) {
            return SAMSA_ERR_INVALID_REQUEST;
        }
        expect = b.last + 1;
    }
    /* Copy outside the lock; publish everything at once. */
    mem_batch_t local[16];
    mem_batch_t *nb = count <= 16 ? local : malloc(count * sizeof(*nb));
    if (nb == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    size_t i = 0;
    for (off = 0; off < len; off += (size_t)b.size, i++) {
        sb_parse(buf + off, len - off, &b);
        nb[i] = (mem_batch_t){b.base, b.last, b.max_ts, b.size,
                              malloc((size_t)b.size)};
        if (nb[i].data == NULL) {
            while (i-- > 0) {
                free(nb[i].data);
            }
            if (nb != local) {
                free(nb);
            }
            return SAMSA_ERR_NOMEM;
        }
        memcpy(nb[i].data, buf + off, (size_t)b.size);
    }
    pthread_mutex_lock(&log->mu);
    samsa_err_t err = SAMSA_OK;
    if (!reserve(log, count)) {
        err = SAMSA_ERR_NOMEM;
    } else {
        memcpy(log->arr + log->head + log->n, nb, count * sizeof(*nb));
        log->n += count;
        log->bytes += (int64_t)len;
        log->leo = expect;
        while (log->n > 1 && log->bytes > log->cfg.max_bytes) {
            drop_head(log);
        }
    }
    pthread_mutex_unlock(&log->mu);
    if (err != SAMSA_OK) {
        for (i = 0; i < count; i++) {
            free(nb[i].data);
        }
    }
    if (nb != local) {
        free(nb);
    }
    return err;
}

/* Index (absolute) of the first live batch whose last offset >= @p off. */
static size_t find(const samsa_storage_log_t *log, int64_t off)
{
    size_t lo = log->head, hi = log->head + log->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (log->arr[mid].last < off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static samsa_err_t mem_read(samsa_storage_log_t *log, int64_t offset,
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
    size_t first = find(log, offset), end = first;
    int64_t total = 0;
    for (; end < log->head + log->n; end++) {
        const mem_batch_t *b = &log->arr[end];
        if (b->base >= hw || (total + b->size > max_bytes &&
                              !(total == 0 && (flags & SAMSA_READ_MIN_ONE)))) {
            break;
        }
        total += b->size;
    }
    samsa_err_t err = SAMSA_OK;
    uint8_t *copy = total > 0 ? malloc((size_t)total) : NULL;
    if (total > 0 && copy == NULL) {
        err = SAMSA_ERR_NOMEM;
    } else if (total > 0) {
        int64_t pos = 0;
        for (size_t i = first; i < end; i++) {
            memcpy(copy + pos, log->arr[i].data, (size_t)log->arr[i].size);
            pos += log->arr[i].size;
        }
        out->slice_count = 1;
        out->slices[0] = (samsa_slice_t){.fd = -1, .len = total, .buf = copy};
        out->total_bytes = total;
        out->next_offset = log->arr[end - 1].last + 1;
        out->engine_ref = copy;
    }
    pthread_mutex_unlock(&log->mu);
    return err;
}

static void mem_read_release(samsa_storage_log_t *log, samsa_storage_read_t *rd)
{
    free(rd->engine_ref);
    rd->engine_ref = NULL;
    rd->slice_count = 0;
}

static void mem_offsets(samsa_storage_log_t *log, samsa_log_offsets_t *out)
{
    pthread_mutex_lock(&log->mu);
    out->log_start_offset = log->start;
    out->log_end_offset = log->leo;
    out->size_bytes = log->bytes;
    out->segment_count = 1;
    pthread_mutex_unlock(&log->mu);
}

static samsa_err_t mem_offset_for_time(samsa_storage_log_t *log,
                                       int64_t timestamp, int64_t *offset,
                                       int64_t *found_ts)
{
    samsa_err_t err = SAMSA_ERR_NOT_FOUND;
    pthread_mutex_lock(&log->mu);
    for (size_t i = log->head; i < log->head + log->n; i++) {
        const mem_batch_t *mb = &log->arr[i];
        if (mb->max_ts < timestamp || mb->last < log->start) {
            continue;
        }
        sb_info_t b;
        sb_iter_t it;
        sb_record_t rec;
        sb_parse(mb->data, (size_t)mb->size, &b);
        *offset = b.base;
        *found_ts = b.max_ts;
        if (sb_iter_init(&it, mb->data, &b)) {
            while (sb_iter_next(&it, &rec) == 1) {
                if (rec.ts >= timestamp) {
                    *offset = rec.offset;
                    *found_ts = rec.ts;
                    break;
                }
            }
        }
        if (*offset < log->start) {
            *offset = log->start;
        }
        err = SAMSA_OK;
        break;
    }
    pthread_mutex_unlock(&log->mu);
    return err;
}

static samsa_err_t mem_append(samsa_storage_log_t *log, const void *batches,
                              size_t len)
{
    return append_batches(log, batches, len, false);
}

static samsa_err_t mem_append_sparse(samsa_storage_log_t *log,
                                     const void *batches, size_t len)
{
    return append_batches(log, batches, len, true);
}

static samsa_err_t mem_truncate(samsa_storage_log_t *log, int64_t offset)
{
    if (offset < 0) {
        return SAMSA_ERR_INVAL;
    }
    pthread_mutex_lock(&log->mu);
    if (offset < log->leo) {
        int64_t new_leo = offset;
        while (log->n > 0 && log->arr[log->head + log->n - 1].last >= offset) {
            mem_batch_t *b = &log->arr[log->head + log->n - 1];
            if (b->base < new_leo) {
                new_leo = b->base;
            }
            log->bytes -= b->size;
            free(b->data);
            log->n--;
        }
        log->leo = new_leo;
        if (log->start > new_leo) {
            log->start = new_leo;
        }
        txn_cut(log, new_leo);
    }
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

static samsa_err_t mem_truncate_fully(samsa_storage_log_t *log, int64_t offset)
{
    if (offset < 0) {
        return SAMSA_ERR_INVAL;
    }
    pthread_mutex_lock(&log->mu);
    while (log->n > 0) {
        mem_batch_t *b = &log->arr[log->head + log->n - 1];
        log->bytes -= b->size;
        free(b->data);
        log->n--;
    }
    log->head = 0;
    log->leo = offset;
    log->start = offset;
    log->ntxn = 0;
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

static samsa_err_t mem_set_start_offset(samsa_storage_log_t *log,
                                        int64_t offset)
{
    samsa_err_t err = SAMSA_OK;
    pthread_mutex_lock(&log->mu);
    if (offset < 0 || offset > log->leo) {
        err = SAMSA_ERR_OFFSET_OUT_OF_RANGE;
    } else if (offset > log->start) {
        log->start = offset;
        while (log->n > 0 && log->arr[log->head].last < offset) {
            drop_head(log);
        }
        log->start = offset;
        drop_old_txns(log);
    }
    pthread_mutex_unlock(&log->mu);
    return err;
}

static samsa_err_t mem_txn_index_append(samsa_storage_log_t *log,
                                        const samsa_aborted_txn_t *txn)
{
    samsa_err_t err = SAMSA_OK;
    pthread_mutex_lock(&log->mu);
    int64_t newest = log->ntxn ? log->txns[log->ntxn - 1].last_offset : -1;
    bool skip = txn->last_offset <= newest || txn->last_offset < log->start;
    if (txn->last_offset >= log->leo) {
        err = SAMSA_ERR_INVALID_REQUEST;
    } else if (skip) {
        err = SAMSA_OK; /* indexed already, or below the log start */
    } else if (log->ntxn == log->ctxn) {
        size_t cap = log->ctxn ? log->ctxn * 2 : 8;
        samsa_aborted_txn_t *n = realloc(log->txns, cap * sizeof(*n));
        if (n == NULL) {
            err = SAMSA_ERR_NOMEM;
        } else {
            log->txns = n;
            log->ctxn = cap;
        }
    }
    if (err == SAMSA_OK && !skip) {
        log->txns[log->ntxn++] = *txn;
    }
    pthread_mutex_unlock(&log->mu);
    return err;
}

static samsa_err_t mem_txn_index_collect(samsa_storage_log_t *log, int64_t from,
                                         int64_t to, samsa_aborted_txn_t *out,
                                         size_t max, size_t *count)
{
    *count = 0;
    pthread_mutex_lock(&log->mu);
    for (size_t i = 0; i < log->ntxn; i++) {
        const samsa_aborted_txn_t *t = &log->txns[i];
        if (t->last_offset < from) {
            continue; /* Kafka starts at the segment holding from */
        }
        if (t->first_offset < to) {
            if (*count < max) {
                out[*count] = *t;
            }
            (*count)++;
        }
        if (t->last_stable_offset >= to) {
            break;
        }
    }
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

static samsa_err_t mem_flush(samsa_storage_log_t *log)
{
    return SAMSA_OK; /* nothing to make durable */
}

static samsa_err_t mem_housekeep(samsa_storage_log_t *log, int64_t now_ms)
{
    pthread_mutex_lock(&log->mu);
    const samsa_log_config_t *c = &log->cfg;
    if (c->cleanup_policy & SAMSA_CLEANUP_DELETE) {
        while (log->n > 0 && c->retention_ms >= 0 &&
               log->arr[log->head].max_ts >= 0 &&
               log->arr[log->head].max_ts < now_ms - c->retention_ms) {
            drop_head(log);
        }
        while (log->n > 0 && c->retention_bytes >= 0 &&
               log->bytes > c->retention_bytes) {
            drop_head(log);
        }
    }
    pthread_mutex_unlock(&log->mu);
    return SAMSA_OK;
}

/* Filter one batch (compactor.c); a rewritten batch takes over the
 * compactor's output buffer, a dropped one ends with size 0. */
static samsa_err_t compact_batch(mem_batch_t *mb, sb_compactor_t *cp)
{
    sb_info_t b;
    int res;
    size_t len;
    if (sb_parse(mb->data, (size_t)mb->size, &b) != SB_OK) {
        return SAMSA_OK;
    }
    samsa_err_t err = sb_cp_filter(cp, mb->data, &b, &res, &len);
    if (err != SAMSA_OK || res == SB_CP_KEEP) {
        return err;
    }
    if (res == SB_CP_DROP) {
        mb->size = 0;
        return SAMSA_OK;
    }
    free(mb->data);
    mb->data = cp->out;
    mb->size = (int64_t)len;
    cp->out = NULL;
    cp->out_cap = 0;
    return SAMSA_OK;
}

/* Under the log lock: batches are heap copies the lock guards, and the
 * engine is bounded in size, so a pass is short (codec work included). */
static samsa_err_t mem_compact(samsa_storage_log_t *log, int64_t now_ms)
{
    sb_compactor_t cp;
    samsa_err_t err = SAMSA_OK;
    pthread_mutex_lock(&log->mu);
    if (!(log->cfg.cleanup_policy & SAMSA_CLEANUP_COMPACT)) {
        pthread_mutex_unlock(&log->mu);
        return SAMSA_OK;
    }
    sb_cp_init(&cp, log->st->svc, now_ms - log->cfg.delete_retention_ms);
    for (size_t i = log->head; err == SAMSA_OK && i < log->head + log->n; i++) {
        sb_info_t b;
        if (sb_parse(log->arr[i].data, (size_t)log->arr[i].size, &b) == SB_OK) {
            err = sb_cp_map(&cp, log->arr[i].data, &b);
        }
    }
    /* The newest batch stays whole, so LEO keeps a witness. */
    size_t w = log->head;
    size_t end = log->head + log->n;
    for (size_t i = log->head; i < end; i++) {
        mem_batch_t mb = log->arr[i];
        int64_t old = mb.size;
        if (err == SAMSA_OK && i + 1 < end) {
            err = compact_batch(&mb, &cp);
        }
        log->bytes += mb.size - old;
        if (mb.size > 0) {
            log->arr[w++] = mb;
        } else {
            free(mb.data);
        }
    }
    log->n = w - log->head;
    pthread_mutex_unlock(&log->mu);
    sb_cp_free(&cp);
    return err;
}

static const samsa_storage_ops_t mem_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_storage_ops_t),
    .open = mem_open,
    .close = mem_close,
    .remove = mem_remove,
    .configure = mem_configure,
    .append = mem_append,
    .read = mem_read,
    .read_release = mem_read_release,
    .offsets = mem_offsets,
    .offset_for_time = mem_offset_for_time,
    .truncate = mem_truncate,
    .set_start_offset = mem_set_start_offset,
    .flush = mem_flush,
    .housekeep = mem_housekeep,
    .compact = mem_compact,
    .truncate_fully = mem_truncate_fully,
    .append_sparse = mem_append_sparse,
    .txn_index_append = mem_txn_index_append,
    .txn_index_collect = mem_txn_index_collect,
};

static const samsa_option_t mem_options[] = {
    SAMSA_OPTION_INT("max_bytes", "67108864", 1024, INT64_MAX,
                     "Default bound of one partition's log in bytes; the "
                     "oldest batches are dropped past it (topic max_bytes "
                     "overrides)."),
    SAMSA_OPTION_END,
};

static samsa_err_t mem_init(const samsa_services_t *svc,
                            const samsa_instance_t *inst, void **state,
                            char *errbuf, size_t errbuf_size)
{
    mem_state_t *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->inst = inst;
    st->max_bytes = MEM_DEFAULT_MAX_BYTES;
    if (inst != NULL && inst->config != NULL &&
        svc->config_int(inst->config, "max_bytes", &st->max_bytes) !=
            SAMSA_OK) {
        st->max_bytes = MEM_DEFAULT_MAX_BYTES;
    }
    *state = st;
    return SAMSA_OK;
}

static void mem_fini(void *state)
{
    free(state);
}

static const samsa_plugin_t mem_descriptor = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_STORAGE,
    .name = "storage-memory",
    .version = "0.1.0",
    .summary = "Bounded in-memory partition log (ephemeral topics, tests)",
    .options = mem_options,
    .init = mem_init,
    .fini = mem_fini,
    .ops = &mem_ops,
};

SAMSA_PLUGIN_DECLARE(mem_descriptor)
