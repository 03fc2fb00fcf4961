/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conformance.c - one table of behaviour every storage engine must show:
 * append, read at every offset, bounds, roll, retention, truncate, start
 * offset, timestamp lookup, compaction, concurrent readers, pinning.
 */
#define _GNU_SOURCE
#include "conformance.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_builder.h"

int64_t sc_clock_ms = 1700000000000LL;

static void svc_log(const samsa_instance_t *inst, samsa_log_level_t level,
                    const char *fmt, ...)
{
    if (level > SAMSA_LOG_WARN && getenv("SC_VERBOSE") == NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[engine] ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char *svc_err_str(samsa_err_t err)
{
    return err == SAMSA_OK ? "success" : "error";
}

static samsa_err_t no_bool(const samsa_config_t *c, const char *n, bool *o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t no_int(const samsa_config_t *c, const char *n, int64_t *o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t no_dbl(const samsa_config_t *c, const char *n, double *o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t no_str(const samsa_config_t *c, const char *n,
                          const char **o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t no_list(const samsa_config_t *c, const char *n,
                           const char *const **items, size_t *count)
{
    return SAMSA_ERR_NOT_FOUND;
}
static int64_t fake_now(void)
{
    return __atomic_load_n(&sc_clock_ms, __ATOMIC_RELAXED);
}

/* Codec services (ABI minor 1) with zlib: gzip only, like a host with
 * just codec-gzip loaded. Output is malloc'd, matching .alloc below. */
static _Atomic int codec_calls;

static samsa_err_t gzip_decompress(int codec_id, const void *in, size_t in_len,
                                   size_t max_out, void **out, size_t *out_len)
{
    atomic_fetch_add(&codec_calls, 1);
    if (codec_id != 1) {
        return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    return tb_gunzip(in, in_len, max_out, out, out_len)
               ? SAMSA_OK
               : SAMSA_ERR_CORRUPT_MESSAGE;
}

static samsa_err_t gzip_compress(int codec_id, const void *in, size_t in_len,
                                 void **out, size_t *out_len)
{
    atomic_fetch_add(&codec_calls, 1);
    if (codec_id != 1) {
        return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    return tb_gzip(in, in_len, out, out_len) ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

const samsa_services_t sc_services = {
    .hdr = SAMSA_ABI_HEADER(samsa_services_t),
    .log = svc_log,
    .err_str = svc_err_str,
    .config_bool = no_bool,
    .config_int = no_int,
    .config_double = no_dbl,
    .config_string = no_str,
    .config_list = no_list,
    .alloc = malloc,
    .realloc = realloc,
    .free = free,
    .now_ms = fake_now,
    .monotonic_ms = fake_now,
    .codec_decompress = gzip_decompress,
    .codec_compress = gzip_compress,
};

/* What a minor 0 host hands out: the table ends before the codec
 * functions. They are set anyway and count their calls, so an engine
 * reading past struct_size is caught. */
static const samsa_services_t sc_services_minor0 = {
    .hdr = {SAMSA_ABI_MAJOR, 0,
            (uint32_t)offsetof(samsa_services_t, codec_decompress)},
    .log = svc_log,
    .err_str = svc_err_str,
    .config_bool = no_bool,
    .config_int = no_int,
    .config_double = no_dbl,
    .config_string = no_str,
    .config_list = no_list,
    .alloc = malloc,
    .realloc = realloc,
    .free = free,
    .now_ms = fake_now,
    .monotonic_ms = fake_now,
    .codec_decompress = gzip_decompress,
    .codec_compress = gzip_compress,
};

static const samsa_services_t *g_load_svc = &sc_services;

bool sc_load(sc_engine_t *eng, const char *so_path)
{
    memset(eng, 0, sizeof(*eng));
    snprintf(eng->dir, sizeof(eng->dir), "/tmp/samsa-storage-XXXXXX");
    if (mkdtemp(eng->dir) == NULL) {
        return false;
    }
    eng->owns_dir = true;
    return sc_load_at(eng, so_path, eng->dir);
}

bool sc_load_at(sc_engine_t *eng, const char *so_path, const char *dir)
{
    if (eng->dir != dir) {
        memset(eng, 0, sizeof(*eng));
        snprintf(eng->dir, sizeof(eng->dir), "%s", dir);
    }
    eng->dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (eng->dl == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", so_path, dlerror());
        return false;
    }
    samsa_plugin_entry_fn entry =
        (samsa_plugin_entry_fn)dlsym(eng->dl, SAMSA_PLUGIN_ENTRY);
    if (entry == NULL) {
        return false;
    }
    eng->plug = entry();
    eng->ops = eng->plug->ops;
    eng->inst = (samsa_instance_t){.hdr = SAMSA_ABI_HEADER(samsa_instance_t),
                                   .name = eng->plug->name,
                                   .path = so_path,
                                   .data_dir = eng->dir};
    char err[256] = "";
    if (eng->plug->kind != SAMSA_KIND_STORAGE ||
        eng->plug->init(g_load_svc, &eng->inst, &eng->state, err,
                        sizeof(err)) != SAMSA_OK) {
        fprintf(stderr, "init: %s\n", err);
        return false;
    }
    return true;
}

static int rm_cb(const char *path, const struct stat *st, int flag,
                 struct FTW *ftw)
{
    return remove(path);
}

void sc_unload(sc_engine_t *eng)
{
    if (eng->state != NULL) {
        eng->plug->fini(eng->state);
    }
    if (eng->dl != NULL) {
        dlclose(eng->dl);
    }
    if (eng->owns_dir) {
        nftw(eng->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    }
}

samsa_log_config_t sc_config(void)
{
    return (samsa_log_config_t){
        .hdr = SAMSA_ABI_HEADER(samsa_log_config_t),
        .segment_bytes = 1 << 20,
        .segment_ms = 7 * 24 * 3600 * 1000LL,
        .retention_bytes = -1,
        .retention_ms = -1,
        .delete_retention_ms = 24 * 3600 * 1000LL,
        .flush_messages = SAMSA_FLUSH_OS,
        .flush_ms = SAMSA_FLUSH_OS,
        .index_interval_bytes = 256,
        .max_bytes = 1 << 30,
        .cleanup_policy = SAMSA_CLEANUP_DELETE,
    };
}

size_t sc_append_fill(const samsa_storage_ops_t *ops, samsa_storage_log_t *log,
                      int n, size_t value_size, int64_t ts)
{
    static __thread uint8_t buf[1 << 20];
    samsa_log_offsets_t o;
    ops->offsets(log, &o);
    size_t len =
        tb_build_fill(buf, sizeof(buf), o.log_end_offset, n, value_size, ts);
    assert_true(len > 0);
    assert_int_equal(ops->append(log, buf, len), SAMSA_OK);
    return len;
}

void sc_copy_read(const samsa_storage_read_t *rd, uint8_t *buf)
{
    size_t at = 0;
    for (uint32_t i = 0; i < rd->slice_count; i++) {
        const samsa_slice_t *s = &rd->slices[i];
        if (s->fd >= 0) {
            assert_int_equal(pread(s->fd, buf + at, (size_t)s->len, s->pos),
                             s->len);
        } else {
            memcpy(buf + at, s->buf, (size_t)s->len);
        }
        at += (size_t)s->len;
    }
    assert_int_equal(at, rd->total_bytes);
}

/* Check whole CRC-valid batches in order; returns count, fills range. */
static int check_batches(const uint8_t *buf, size_t len, int64_t *first,
                         int64_t *next)
{
    size_t at = 0;
    int n = 0;
    while (at < len) {
        int64_t base, last;
        size_t size;
        assert_true(tb_check(buf + at, len - at, &base, &last, &size));
        if (n == 0) {
            *first = base;
        } else {
            assert_true(base >= *next);
        }
        *next = last + 1;
        at += size;
        n++;
    }
    return n;
}

int sc_verify_all(const samsa_storage_ops_t *ops, samsa_storage_log_t *log,
                  int64_t from)
{
    samsa_log_offsets_t o;
    ops->offsets(log, &o);
    uint8_t *buf = malloc(64 << 20);
    int total = 0;
    int64_t at = from;
    while (at < o.log_end_offset) {
        samsa_storage_read_t rd;
        assert_int_equal(
            ops->read(log, at, -1, 32 << 20, SAMSA_READ_MIN_ONE, &rd),
            SAMSA_OK);
        if (rd.total_bytes == 0) {
            ops->read_release(log, &rd);
            break;
        }
        sc_copy_read(&rd, buf);
        int64_t first, next;
        total += check_batches(buf, (size_t)rd.total_bytes, &first, &next);
        assert_int_equal(next, rd.next_offset);
        assert_true(rd.next_offset > at);
        at = rd.next_offset;
        ops->read_release(log, &rd);
    }
    free(buf);
    return total;
}

/* ---------------------------------------------------------------------- */
/* Fixture                                                                */
/* ---------------------------------------------------------------------- */

static const char *g_so;
static sc_caps_t g_caps;

typedef struct fx {
    sc_engine_t eng;
    const samsa_storage_ops_t *ops;
    samsa_storage_log_t *log;
    samsa_log_config_t cfg;
    uint8_t buf[1 << 16];
} fx_t;

static int fx_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || !sc_load(&fx->eng, g_so)) {
        return -1;
    }
    fx->ops = fx->eng.ops;
    fx->cfg = sc_config();
    char err[256];
    if (fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg, &fx->log, err,
                      sizeof(err)) != SAMSA_OK) {
        fprintf(stderr, "open: %s\n", err);
        return -1;
    }
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *fx = *state;
    if (fx->log != NULL) {
        fx->ops->close(fx->log);
    }
    sc_unload(&fx->eng);
    free(fx);
    return 0;
}

static void reconfigure(fx_t *fx)
{
    assert_int_equal(fx->ops->configure(fx->log, &fx->cfg), SAMSA_OK);
}

static samsa_log_offsets_t offs(fx_t *fx)
{
    samsa_log_offsets_t o;
    fx->ops->offsets(fx->log, &o);
    return o;
}

/* Append @p nb batches of 1..4 records; returns LEO. */
static int64_t fill(fx_t *fx, int nb, size_t value_size, int64_t ts)
{
    for (int i = 0; i < nb; i++) {
        sc_append_fill(fx->ops, fx->log, 1 + i % 4, value_size, ts);
    }
    return offs(fx).log_end_offset;
}

/* Read at @p off with room for everything: the first batch holds off. */
static void expect_read_at(fx_t *fx, int64_t off)
{
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, off, -1, 1 << 20, 0, &rd),
                     SAMSA_OK);
    assert_true(rd.total_bytes > 0);
    uint8_t *buf = malloc((size_t)rd.total_bytes);
    sc_copy_read(&rd, buf);
    int64_t base, last;
    size_t size;
    assert_true(tb_check(buf, (size_t)rd.total_bytes, &base, &last, &size));
    assert_true(base <= off && off <= last);
    int64_t first, next;
    check_batches(buf, (size_t)rd.total_bytes, &first, &next);
    assert_int_equal(next, rd.next_offset);
    free(buf);
    fx->ops->read_release(fx->log, &rd);
}

/* ---------------------------------------------------------------------- */
/* The table                                                              */
/* ---------------------------------------------------------------------- */

static void append_then_read_at_every_offset(void **state)
{
    fx_t *fx = *state;
    int64_t leo = fill(fx, 60, 100, sc_clock_ms);
    assert_int_equal(leo, 150); /* 15 * (1+2+3+4) */
    for (int64_t off = 0; off < leo; off++) {
        expect_read_at(fx, off);
    }
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 60);
    samsa_log_offsets_t o = offs(fx);
    assert_int_equal(o.log_start_offset, 0);
    assert_true(o.size_bytes > 60 * 100);
}

static void read_outside_the_log_is_out_of_range(void **state)
{
    fx_t *fx = *state;
    samsa_storage_read_t rd;
    int64_t leo = fill(fx, 5, 10, sc_clock_ms);
    assert_int_equal(fx->ops->read(fx->log, leo + 1, -1, 1 << 20, 0, &rd),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(fx->ops->read(fx->log, -1, -1, 1 << 20, 0, &rd),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(fx->ops->read(fx->log, leo, -1, 1 << 20, 0, &rd),
                     SAMSA_OK);
    assert_int_equal(rd.slice_count, 0);
    assert_int_equal(rd.total_bytes, 0);
    fx->ops->read_release(fx->log, &rd);
}

static void read_respects_high_watermark_and_max_bytes(void **state)
{
    fx_t *fx = *state;
    fill(fx, 20, 200, sc_clock_ms); /* batches of 1..4 records */
    samsa_storage_read_t rd;
    /* hw = 3: batch [0] and [1,2] only; batch [3..5] starts at hw. */
    assert_int_equal(fx->ops->read(fx->log, 0, 3, 1 << 20, 0, &rd), SAMSA_OK);
    assert_int_equal(rd.next_offset, 3);
    fx->ops->read_release(fx->log, &rd);
    /* max_bytes smaller than one batch: nothing, unless MIN_ONE. */
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 10, 0, &rd), SAMSA_OK);
    assert_int_equal(rd.total_bytes, 0);
    fx->ops->read_release(fx->log, &rd);
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 10, SAMSA_READ_MIN_ONE, &rd),
                     SAMSA_OK);
    assert_int_equal(rd.next_offset, 1);
    assert_true(rd.total_bytes > 10);
    fx->ops->read_release(fx->log, &rd);
    /* A limit cuts at a whole batch. */
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 1000, 0, &rd), SAMSA_OK);
    assert_true(rd.total_bytes <= 1000 && rd.total_bytes > 0);
    fx->ops->read_release(fx->log, &rd);
}

static void append_rejects_gaps_and_bad_framing(void **state)
{
    fx_t *fx = *state;
    fill(fx, 2, 10, sc_clock_ms);
    samsa_log_offsets_t before = offs(fx);
    size_t len = tb_build_fill(fx->buf, sizeof(fx->buf),
                               before.log_end_offset + 5, 2, 10, 0);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len),
                     SAMSA_ERR_INVALID_REQUEST);
    len = tb_build_fill(fx->buf, sizeof(fx->buf), before.log_end_offset, 2, 10,
                        0);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len - 3),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    fx->buf[16] = 1; /* magic */
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    samsa_log_offsets_t after = offs(fx);
    assert_int_equal(after.log_end_offset, before.log_end_offset);
    assert_int_equal(after.size_bytes, before.size_bytes);
}

/* Optional append_sparse (ABI minor 4): batches of a compacted log,
 * with gaps between them, kept at their offsets (and across a reopen for
 * a persistent engine); still never backwards. */
static void append_sparse_keeps_gaps(void **state)
{
    fx_t *fx = *state;
    if (!SAMSA_ABI_HAS(samsa_storage_ops_t, fx->ops, append_sparse) ||
        fx->ops->append_sparse == NULL) {
        skip();
    }
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    int64_t leo = fill(fx, 3, 10, sc_clock_ms);
    size_t a = tb_build_fill(fx->buf, sizeof(fx->buf), leo + 5, 2, 10, 0);
    size_t b =
        tb_build_fill(fx->buf + a, sizeof(fx->buf) - a, leo + 20, 1, 10, 0);
    assert_int_equal(fx->ops->append_sparse(fx->log, fx->buf, a + b), SAMSA_OK);
    assert_int_equal(offs(fx).log_end_offset, leo + 21);
    /* Backwards: refused, nothing changes. */
    size_t c = tb_build_fill(fx->buf, sizeof(fx->buf), leo + 10, 1, 10, 0);
    assert_int_equal(fx->ops->append_sparse(fx->log, fx->buf, c),
                     SAMSA_ERR_INVALID_REQUEST);
    /* Enough batches to roll, each after a gap. */
    for (int i = 0; i < 40; i++) {
        int64_t at = offs(fx).log_end_offset + 3;
        c = tb_build_fill(fx->buf, sizeof(fx->buf), at, 2, 200, 0);
        assert_int_equal(fx->ops->append_sparse(fx->log, fx->buf, c), SAMSA_OK);
        assert_int_equal(offs(fx).log_end_offset, at + 2);
    }
    int64_t end = offs(fx).log_end_offset;
    for (int round = 0; round < 2; round++) {
        /* A read in a gap starts at the next batch. */
        samsa_storage_read_t rd;
        assert_int_equal(fx->ops->read(fx->log, leo + 1, -1, 1 << 20,
                                       SAMSA_READ_MIN_ONE, &rd),
                         SAMSA_OK);
        uint8_t *copy = malloc((size_t)rd.total_bytes);
        sc_copy_read(&rd, copy);
        int64_t first = 0; /* the batch's baseOffset, big-endian */
        for (int k = 0; k < 8; k++) {
            first = first << 8 | copy[k];
        }
        assert_int_equal(first, leo + 5);
        free(copy);
        fx->ops->read_release(fx->log, &rd);
        assert_int_equal(fx->ops->read(fx->log, end - 3, -1, 1 << 20, 0, &rd),
                         SAMSA_OK);
        assert_int_equal(rd.next_offset, end);
        fx->ops->read_release(fx->log, &rd);
        if (!g_caps.persistent) {
            break;
        }
        fx->ops->close(fx->log);
        fx->log = NULL;
        char err[256];
        assert_int_equal(fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg,
                                       &fx->log, err, sizeof(err)),
                         SAMSA_OK);
        assert_int_equal(offs(fx).log_end_offset, end);
    }
    /* The plain append continues from the log end. */
    assert_int_equal(sc_append_fill(fx->ops, fx->log, 2, 10, 0) > 0, 1);
    assert_int_equal(offs(fx).log_end_offset, end + 2);
}

/* Optional truncate_fully (ABI minor 4): the log restarts empty at any
 * offset, past its end too. */
static void truncate_fully_restarts_anywhere(void **state)
{
    fx_t *fx = *state;
    if (!SAMSA_ABI_HAS(samsa_storage_ops_t, fx->ops, truncate_fully) ||
        fx->ops->truncate_fully == NULL) {
        skip();
    }
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    int64_t leo = fill(fx, 60, 100, sc_clock_ms);
    assert_int_equal(fx->ops->truncate_fully(fx->log, leo + 1000), SAMSA_OK);
    samsa_log_offsets_t o = offs(fx);
    assert_int_equal(o.log_start_offset, leo + 1000);
    assert_int_equal(o.log_end_offset, leo + 1000);
    assert_int_equal(o.size_bytes, 0);
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, leo, -1, 1000, 0, &rd),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    size_t len = tb_build_fill(fx->buf, sizeof(fx->buf), leo + 1000, 3, 10, 0);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, leo + 1000), 1);
    /* And below where it was. */
    assert_int_equal(fx->ops->truncate_fully(fx->log, 7), SAMSA_OK);
    assert_int_equal(offs(fx).log_end_offset, 7);
    assert_int_equal(offs(fx).log_start_offset, 7);
    fill(fx, 4, 10, sc_clock_ms);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 7), 4);
    if (g_caps.persistent) {
        fx->ops->close(fx->log);
        fx->log = NULL;
        char err[256];
        assert_int_equal(fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg,
                                       &fx->log, err, sizeof(err)),
                         SAMSA_OK);
        assert_int_equal(offs(fx).log_start_offset, 7);
        assert_int_equal(sc_verify_all(fx->ops, fx->log, 7), 4);
    }
}

static void append_accepts_several_batches_at_once(void **state)
{
    fx_t *fx = *state;
    size_t a = tb_build_fill(fx->buf, sizeof(fx->buf), 0, 3, 10, 5);
    size_t b = tb_build_fill(fx->buf + a, sizeof(fx->buf) - a, 3, 2, 10, 6);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, a + b), SAMSA_OK);
    assert_int_equal(offs(fx).log_end_offset, 5);
    expect_read_at(fx, 4);
}

static void roll_by_size_keeps_reads_whole_across_segments(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    int64_t leo = fill(fx, 100, 300, sc_clock_ms);
    if (g_caps.segmented) {
        assert_true(offs(fx).segment_count > 10);
    }
    for (int64_t off = 0; off < leo; off += 7) {
        expect_read_at(fx, off);
    }
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 100);
}

static void roll_by_time(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_ms = 1000;
    reconfigure(fx);
    fill(fx, 3, 10, sc_clock_ms);
    __atomic_add_fetch(&sc_clock_ms, 2000, __ATOMIC_RELAXED);
    fill(fx, 3, 10, sc_clock_ms);
    if (g_caps.segmented) {
        assert_int_equal(offs(fx).segment_count, 2);
    }
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 6);
}

static void retention_by_size_drops_oldest(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 4096;
    fx->cfg.retention_bytes = 16384;
    reconfigure(fx);
    int64_t leo = fill(fx, 200, 300, sc_clock_ms);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    samsa_log_offsets_t o = offs(fx);
    assert_true(o.log_start_offset > 0);
    assert_true(o.size_bytes <= 16384 + 4096);
    assert_true(o.size_bytes >= 16384 - 4096);
    assert_int_equal(o.log_end_offset, leo);
    samsa_storage_read_t rd;
    assert_int_equal(
        fx->ops->read(fx->log, o.log_start_offset - 1, -1, 1000, 0, &rd),
        SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    expect_read_at(fx, o.log_start_offset);
    sc_verify_all(fx->ops, fx->log, o.log_start_offset);
}

static void retention_by_time_drops_old_batches(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 2048;
    fx->cfg.retention_ms = 60000;
    reconfigure(fx);
    int64_t now = sc_clock_ms;
    int64_t old_leo = fill(fx, 30, 200, now - 120000); /* expired */
    fill(fx, 30, 200, now - 1000);                     /* fresh */
    assert_int_equal(fx->ops->housekeep(fx->log, now), SAMSA_OK);
    samsa_log_offsets_t o = offs(fx);
    assert_true(o.log_start_offset > old_leo - 20);
    assert_true(o.log_start_offset <= old_leo);
    expect_read_at(fx, old_leo);
}

static void truncate_cuts_at_batch_boundary(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    fill(fx, 100, 300, sc_clock_ms); /* offsets: batch k of 1+k%4 */
    /* Batches: [0] [1,2] [3..5] [6..9] [10] ... Offset 4 is mid-batch. */
    assert_int_equal(fx->ops->truncate(fx->log, 4), SAMSA_OK);
    assert_int_equal(offs(fx).log_end_offset, 3);
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 4, -1, 1000, 0, &rd),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    fill(fx, 10, 300, sc_clock_ms);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 12);
    /* Truncate at an exact boundary keeps the batch before it. */
    assert_int_equal(fx->ops->truncate(fx->log, 6), SAMSA_OK);
    assert_int_equal(offs(fx).log_end_offset, 6);
    assert_int_equal(fx->ops->truncate(fx->log, 0), SAMSA_OK);
    assert_int_equal(offs(fx).log_end_offset, 0);
    assert_int_equal(offs(fx).size_bytes, 0);
    fill(fx, 3, 10, sc_clock_ms);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 3);
}

static void set_start_offset_hides_older_records(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    int64_t leo = fill(fx, 100, 300, sc_clock_ms);
    int64_t size = offs(fx).size_bytes;
    assert_int_equal(fx->ops->set_start_offset(fx->log, leo + 1),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(fx->ops->set_start_offset(fx->log, 100), SAMSA_OK);
    assert_int_equal(offs(fx).log_start_offset, 100);
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 99, -1, 1000, 0, &rd),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    expect_read_at(fx, 100);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_true(offs(fx).size_bytes < size);
    assert_int_equal(offs(fx).log_start_offset, 100);
    /* Never backwards. */
    assert_int_equal(fx->ops->set_start_offset(fx->log, 50), SAMSA_OK);
    assert_int_equal(offs(fx).log_start_offset, 100);
}

static void offset_for_time_finds_first_record_at_or_after(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    /* Batch k holds records with ts 1000 + 10k + i (i < 3). */
    for (int k = 0; k < 100; k++) {
        tb_rec_t recs[3];
        for (int i = 0; i < 3; i++) {
            recs[i] = (tb_rec_t){"k", "value-value-value", 1000 + 10 * k + i};
        }
        size_t len = tb_build(fx->buf, sizeof(fx->buf), 3 * k, recs, 3);
        assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
    }
    int64_t off, ts;
    for (int k = 0; k < 100; k += 3) { /* 0, 3, ..., 99 */
        assert_int_equal(
            fx->ops->offset_for_time(fx->log, 1000 + 10 * k + 1, &off, &ts),
            SAMSA_OK);
        assert_int_equal(off, 3 * k + 1);
        assert_int_equal(ts, 1000 + 10 * k + 1);
        if (k == 99) {
            break;
        }
        /* Between batches: the next batch's first record. */
        assert_int_equal(
            fx->ops->offset_for_time(fx->log, 1000 + 10 * k + 5, &off, &ts),
            SAMSA_OK);
        assert_int_equal(off, 3 * (k + 1));
    }
    assert_int_equal(fx->ops->offset_for_time(fx->log, 0, &off, &ts), SAMSA_OK);
    assert_int_equal(off, 0);
    assert_int_equal(fx->ops->offset_for_time(fx->log, 999999, &off, &ts),
                     SAMSA_ERR_NOT_FOUND);
}

static void compaction_keeps_latest_value_per_key(void **state)
{
    fx_t *fx = *state;
    if (fx->ops->compact == NULL) {
        skip();
    }
    fx->cfg.segment_bytes = 1024;
    fx->cfg.cleanup_policy = SAMSA_CLEANUP_COMPACT;
    fx->cfg.delete_retention_ms = 60000;
    reconfigure(fx);
    int64_t now = sc_clock_ms;
    char keys[10][8], vals[200][16];
    int64_t off = 0;
    /* 200 records over 10 keys, 4 per batch; key 3 ends with a fresh
     * tombstone, key 7 with an old one. */
    for (int i = 0; i < 200; i += 4) {
        tb_rec_t recs[4];
        for (int j = 0; j < 4; j++) {
            int r = i + j;
            snprintf(keys[r % 10], 8, "key%d", r % 10);
            snprintf(vals[r], 16, "v%d", r);
            bool tomb = (r == 193) || (r == 197);
            /* Tombstone horizon is per batch (its max timestamp). */
            recs[j] = (tb_rec_t){keys[r % 10], tomb ? NULL : vals[r],
                                 r >= 196 ? now - 120000 : now};
        }
        size_t len = tb_build(fx->buf, sizeof(fx->buf), off, recs, 4);
        assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
        off += 4;
    }
    /* Filler in a new active segment (forced by segment.ms): its keys do
     * not collide, so everything below 200 is compactable. */
    fx->cfg.segment_bytes = 1 << 20;
    fx->cfg.segment_ms = 1000;
    reconfigure(fx);
    __atomic_add_fetch(&sc_clock_ms, 2000, __ATOMIC_RELAXED);
    tb_rec_t filler = {"other", "x", now};
    for (int i = 0; i < 8; i++) {
        size_t len = tb_build(fx->buf, sizeof(fx->buf), off++, &filler, 1);
        assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
    }
    int64_t size = offs(fx).size_bytes;
    assert_int_equal(fx->ops->compact(fx->log, now), SAMSA_OK);
    assert_true(offs(fx).size_bytes < size);
    assert_int_equal(offs(fx).log_end_offset, off);

    /* Read everything back and check survivors below offset 200. */
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 1 << 20, 0, &rd), SAMSA_OK);
    uint8_t *buf = malloc((size_t)rd.total_bytes);
    sc_copy_read(&rd, buf);
    int seen[10] = {0};
    size_t at = 0;
    while (at < (size_t)rd.total_bytes) {
        int64_t base, last;
        size_t bsize;
        assert_true(tb_check(buf + at, (size_t)rd.total_bytes - at, &base,
                             &last, &bsize));
        const uint8_t *k, *v;
        int kl, vl;
        int64_t ro;
        for (int j = 0; tb_record(buf + at, j, &k, &kl, &v, &vl, &ro); j++) {
            if (ro >= 200) {
                continue;
            }
            int key = k[3] - '0';
            assert_int_equal(kl, 4);
            assert_true(ro >= 190); /* only the last value per key */
            assert_int_equal(ro % 10, key);
            assert_int_not_equal(key, 7); /* expired tombstone is gone */
            if (key == 3) {
                assert_null(v); /* fresh tombstone stays */
            }
            seen[key]++;
        }
        at += bsize;
    }
    for (int key = 0; key < 10; key++) {
        assert_int_equal(seen[key], key == 7 ? 0 : 1);
    }
    free(buf);
    fx->ops->read_release(fx->log, &rd);
}

/* Appends 50 gzip batches of 4 records over 10 keys (key 3 ends with a
 * fresh tombstone, key 7 with an old one; the batches at 180 and 184, which
 * compaction empties, carry producer id 5), then a filler batch in a new
 * active segment; returns the LEO. */
static int64_t fill_gzip_keys(fx_t *fx, int64_t now)
{
    fx->cfg.segment_bytes = 1024;
    fx->cfg.cleanup_policy = SAMSA_CLEANUP_COMPACT;
    fx->cfg.delete_retention_ms = 60000;
    reconfigure(fx);
    char keys[10][8], vals[200][16];
    int64_t off = 0;
    for (int i = 0; i < 200; i += 4) {
        tb_rec_t recs[4];
        for (int j = 0; j < 4; j++) {
            int r = i + j;
            snprintf(keys[r % 10], 8, "key%d", r % 10);
            snprintf(vals[r], 16, "v%d", r);
            bool tomb = (r == 193) || (r == 197);
            recs[j] = (tb_rec_t){keys[r % 10], tomb ? NULL : vals[r],
                                 r >= 196 ? now - 120000 : now};
        }
        size_t len = tb_build_gzip(fx->buf, sizeof(fx->buf), off, recs, 4,
                                   i == 180 || i == 184 ? 5 : -1);
        assert_true(len > 0);
        assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
        off += 4;
    }
    fx->cfg.segment_bytes = 1 << 20;
    fx->cfg.segment_ms = 1000;
    reconfigure(fx);
    __atomic_add_fetch(&sc_clock_ms, 2000, __ATOMIC_RELAXED);
    tb_rec_t filler = {"other", "x", now};
    size_t len = tb_build(fx->buf, sizeof(fx->buf), off++, &filler, 1);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
    return off;
}

/* A rewritten CreateTime batch carries the max timestamp of the records it
 * keeps, as Kafka's cleaner writes it, so time lookups stay honest. */
static void compaction_recomputes_the_max_timestamp(void **state)
{
    fx_t *fx = *state;
    if (fx->ops->compact == NULL) {
        skip();
    }
    fx->cfg.segment_bytes = 1 << 20;
    fx->cfg.cleanup_policy = SAMSA_CLEANUP_COMPACT;
    fx->cfg.delete_retention_ms = 60000;
    reconfigure(fx);
    int64_t now = sc_clock_ms;
    /* Batch 0-1: "a" older, "b" newest; offset 2 replaces "b". */
    tb_rec_t first[2] = {{"a", "a0", now - 10}, {"b", "b0", now}};
    size_t len = tb_build(fx->buf, sizeof(fx->buf), 0, first, 2);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
    tb_rec_t again = {"b", "b1", now - 5};
    len = tb_build(fx->buf, sizeof(fx->buf), 2, &again, 1);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
    /* Roll so both are below the active segment. */
    fx->cfg.segment_ms = 1000;
    reconfigure(fx);
    __atomic_add_fetch(&sc_clock_ms, 2000, __ATOMIC_RELAXED);
    tb_rec_t filler = {"other", "x", now};
    len = tb_build(fx->buf, sizeof(fx->buf), 3, &filler, 1);
    assert_int_equal(fx->ops->append(fx->log, fx->buf, len), SAMSA_OK);
    assert_int_equal(fx->ops->compact(fx->log, now), SAMSA_OK);

    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 1 << 20, 0, &rd), SAMSA_OK);
    uint8_t *buf = malloc((size_t)rd.total_bytes);
    sc_copy_read(&rd, buf);
    int64_t base, last;
    size_t bsize;
    assert_true(tb_check(buf, (size_t)rd.total_bytes, &base, &last, &bsize));
    assert_int_equal(base, 0);
    const uint8_t *k, *v;
    int kl, vl;
    int64_t ro;
    assert_true(tb_record(buf, 0, &k, &kl, &v, &vl, &ro));
    assert_int_equal(ro, 0); /* "a" stays, "b0" went */
    assert_false(tb_record(buf, 1, &k, &kl, &v, &vl, &ro));
    uint64_t max_ts = 0;
    for (int i = 0; i < 8; i++) {
        max_ts = max_ts << 8 | buf[35 + i];
    }
    assert_int_equal((int64_t)max_ts, now - 10);
    free(buf);
    fx->ops->read_release(fx->log, &rd);
}

static void compaction_of_gzip_batches_keeps_latest_value_per_key(void **state)
{
    fx_t *fx = *state;
    if (fx->ops->compact == NULL) {
        skip();
    }
    int64_t now = sc_clock_ms;
    int64_t leo = fill_gzip_keys(fx, now);
    int64_t size = offs(fx).size_bytes;
    atomic_store(&codec_calls, 0);
    assert_int_equal(fx->ops->compact(fx->log, now), SAMSA_OK);
    assert_true(atomic_load(&codec_calls) > 0);
    assert_true(offs(fx).size_bytes < size);
    assert_int_equal(offs(fx).log_end_offset, leo);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0) > 0, true);

    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 1 << 20, 0, &rd), SAMSA_OK);
    uint8_t *buf = malloc((size_t)rd.total_bytes);
    sc_copy_read(&rd, buf);
    int seen[10] = {0};
    bool empty_pid_batch = false;
    int64_t prev = -1;
    size_t at = 0;
    while (at < (size_t)rd.total_bytes) {
        int64_t base, last;
        size_t bsize;
        assert_true(tb_check(buf + at, (size_t)rd.total_bytes - at, &base,
                             &last, &bsize));
        uint8_t *plain = tb_plain(buf + at, bsize);
        assert_non_null(plain);
        int count = (int)((uint32_t)plain[57] << 24 | plain[58] << 16 |
                          plain[59] << 8 | plain[60]);
        if (base < 200) {
            /* Every batch still spans its 4 original offsets. */
            assert_int_equal(base % 4, 0);
            assert_int_equal(last, base + 3);
            if (count > 0) {
                assert_int_equal(buf[at + 22] & 7, 1); /* still gzip */
            } else {
                /* Only the producer's last batch survives empty (Kafka's
                 * RETAIN_EMPTY), without codec bits; 180 is gone. */
                assert_int_equal(base, 184);
                assert_int_equal(bsize, 61);
                assert_int_equal(buf[at + 22] & 7, 0);
                empty_pid_batch = true;
            }
        }
        const uint8_t *k, *v;
        int kl, vl;
        int64_t ro;
        for (int j = 0; tb_record(plain, j, &k, &kl, &v, &vl, &ro); j++) {
            assert_true(ro > prev);
            prev = ro;
            if (ro >= 200) {
                continue;
            }
            int key = k[3] - '0';
            assert_int_equal(kl, 4);
            assert_true(ro >= 190);
            assert_int_equal(ro % 10, key);
            assert_int_not_equal(key, 7);
            if (key == 3) {
                assert_null(v);
            } else {
                char want[16];
                snprintf(want, sizeof(want), "v%d", (int)ro);
                assert_int_equal(vl, (int)strlen(want));
                assert_memory_equal(v, want, (size_t)vl);
            }
            seen[key]++;
        }
        free(plain);
        at += bsize;
    }
    for (int key = 0; key < 10; key++) {
        assert_int_equal(seen[key], key == 7 ? 0 : 1);
    }
    assert_true(empty_pid_batch);
    free(buf);
    fx->ops->read_release(fx->log, &rd);
}

static void compaction_on_a_minor_0_host_keeps_gzip_batches_whole(void **state)
{
    fx_t *fx = *state;
    if (fx->ops->compact == NULL) {
        skip();
    }
    /* Reload the engine with a minor 0 services table. */
    fx->ops->close(fx->log);
    fx->log = NULL;
    sc_unload(&fx->eng);
    g_load_svc = &sc_services_minor0;
    bool loaded = sc_load(&fx->eng, g_so);
    g_load_svc = &sc_services;
    assert_true(loaded);
    fx->ops = fx->eng.ops;
    char err[256];
    assert_int_equal(fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg, &fx->log,
                                   err, sizeof(err)),
                     SAMSA_OK);
    int64_t now = sc_clock_ms;
    int64_t leo = fill_gzip_keys(fx, now);
    int64_t size = offs(fx).size_bytes;
    atomic_store(&codec_calls, 0);
    assert_int_equal(fx->ops->compact(fx->log, now), SAMSA_OK);
    assert_int_equal(atomic_load(&codec_calls), 0);
    assert_int_equal(offs(fx).size_bytes, size);
    assert_int_equal(offs(fx).log_end_offset, leo);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 51);
}

typedef struct reader_arg {
    fx_t *fx;
    volatile bool stop;
    _Atomic int reads;
} reader_arg_t;

static void *reader_main(void *p)
{
    reader_arg_t *ra = p;
    uint8_t *buf = malloc(1 << 20);
    while (!ra->stop) {
        samsa_log_offsets_t o = offs(ra->fx);
        int64_t at = o.log_end_offset > 20 ? o.log_end_offset - 20 : 0;
        samsa_storage_read_t rd;
        if (ra->fx->ops->read(ra->fx->log, at, -1, 1 << 20, 0, &rd) !=
            SAMSA_OK) {
            continue; /* retention may have moved the start */
        }
        sc_copy_read(&rd, buf);
        int64_t first, next;
        if (rd.total_bytes > 0) {
            check_batches(buf, (size_t)rd.total_bytes, &first, &next);
            assert_true(next <= offs(ra->fx).log_end_offset);
        }
        ra->fx->ops->read_release(ra->fx->log, &rd);
        atomic_fetch_add(&ra->reads, 1);
    }
    free(buf);
    return NULL;
}

static void readers_never_see_partial_batches_during_appends(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 8192;
    fx->cfg.retention_bytes = 65536;
    reconfigure(fx);
    reader_arg_t ra = {.fx = fx};
    pthread_t th;
    pthread_create(&th, NULL, reader_main, &ra);
    for (int i = 0; i < 3000; i++) {
        sc_append_fill(fx->ops, fx->log, 1 + i % 3, 100, sc_clock_ms);
        if (i % 100 == 0) {
            assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms),
                             SAMSA_OK);
        }
    }
    /* On a loaded machine the appends can all be done before the reader
     * ran once: let it read the final log at least once (bounded). */
    for (int i = 0; i < 10000 && atomic_load(&ra.reads) == 0; i++) {
        sched_yield();
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    ra.stop = true;
    pthread_join(th, NULL);
    assert_true(atomic_load(&ra.reads) > 0);
}

static void read_stays_valid_until_release_despite_retention(void **state)
{
    fx_t *fx = *state;
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    fill(fx, 100, 300, sc_clock_ms);
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 20000, 0, &rd), SAMSA_OK);
    uint8_t *before = malloc((size_t)rd.total_bytes);
    uint8_t *after = malloc((size_t)rd.total_bytes);
    sc_copy_read(&rd, before);
    fx->cfg.retention_bytes = 0;
    reconfigure(fx);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_true(offs(fx).log_start_offset > 0);
    sc_copy_read(&rd, after);
    assert_memory_equal(before, after, (size_t)rd.total_bytes);
    fx->ops->read_release(fx->log, &rd);
    free(before);
    free(after);
}

static void reopen_keeps_every_batch(void **state)
{
    fx_t *fx = *state;
    if (!g_caps.persistent) {
        skip();
    }
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    int64_t leo = fill(fx, 100, 300, sc_clock_ms);
    assert_int_equal(fx->ops->set_start_offset(fx->log, 7), SAMSA_OK);
    fx->ops->close(fx->log);
    fx->log = NULL;
    char err[256];
    assert_int_equal(fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg, &fx->log,
                                   err, sizeof(err)),
                     SAMSA_OK);
    samsa_log_offsets_t o = offs(fx);
    assert_int_equal(o.log_end_offset, leo);
    assert_int_equal(o.log_start_offset, 7);
    for (int64_t off = 7; off < leo; off += 5) {
        expect_read_at(fx, off);
    }
    fill(fx, 5, 300, sc_clock_ms);
    assert_int_equal(offs(fx).log_end_offset, leo + 11);
}

/* Optional transaction index (ABI minor 5). */
static bool has_txn_index(const fx_t *fx)
{
    return SAMSA_ABI_HAS(samsa_storage_ops_t, fx->ops, txn_index_collect) &&
           fx->ops->txn_index_append && fx->ops->txn_index_collect;
}

static size_t collect(fx_t *fx, int64_t from, int64_t to,
                      samsa_aborted_txn_t *out, size_t max)
{
    size_t n = 99;
    assert_int_equal(
        fx->ops->txn_index_collect(fx->log, from, to, out, max, &n), SAMSA_OK);
    return n;
}

/* Entries (pid, first, last, lso) with markers at 9, 19, ... in a log of
 * 100 batches of 1..4 records over many segments: collection by overlap,
 * Kafka's early stop at the first last stable offset >= to, and the
 * index following truncation, retention and a restart. */
static void txn_index_collects_overlaps_and_follows_the_log(void **state)
{
    fx_t *fx = *state;
    if (!has_txn_index(fx)) {
        skip();
    }
    fx->cfg.segment_bytes = 4096;
    reconfigure(fx);
    int64_t leo = fill(fx, 100, 300, sc_clock_ms); /* 250 offsets */
    samsa_aborted_txn_t t;
    for (int64_t last = 9; last < leo; last += 10) {
        /* Each open since 5 before its marker; the LSO passes it. */
        t = (samsa_aborted_txn_t){last, last - 5, last, last + 1};
        assert_int_equal(fx->ops->txn_index_append(fx->log, &t), SAMSA_OK);
    }
    /* A replayed entry is ignored; one past the log end is refused. */
    t = (samsa_aborted_txn_t){9, 4, 9, 10};
    assert_int_equal(fx->ops->txn_index_append(fx->log, &t), SAMSA_OK);
    t = (samsa_aborted_txn_t){1, 1, leo, leo + 1};
    assert_int_equal(fx->ops->txn_index_append(fx->log, &t),
                     SAMSA_ERR_INVALID_REQUEST);
    samsa_aborted_txn_t out[32];
    assert_int_equal(collect(fx, 0, leo, out, 32), 25);
    assert_int_equal(out[0].producer_id, 9);
    assert_int_equal(out[0].first_offset, 4);
    assert_int_equal(out[24].last_offset, 249);
    assert_int_equal(out[24].last_stable_offset, 250);
    /* [100, 106): the entry ending at 109 (first 104) overlaps; its
     * LSO (110) ends the search. */
    assert_int_equal(collect(fx, 100, 106, out, 32), 1);
    assert_int_equal(out[0].last_offset, 109);
    /* [100, 104): none overlaps, and the search stops all the same. */
    assert_int_equal(collect(fx, 100, 104, out, 32), 0);
    /* Counting without copying, and copying fewer than overlap. */
    assert_int_equal(collect(fx, 0, leo, NULL, 0), 25);
    assert_int_equal(collect(fx, 0, leo, out, 2), 25);
    assert_int_equal(out[1].last_offset, 19);
    /* Truncation below a marker drops its entry; the others stay. */
    assert_int_equal(fx->ops->truncate(fx->log, 120), SAMSA_OK);
    int64_t cut = offs(fx).log_end_offset;
    assert_true(cut <= 120 && cut > 119);
    assert_int_equal(collect(fx, 0, 1000, out, 32), 12);
    assert_int_equal(out[11].last_offset, 119);
    /* Appended again past the cut, an abort is indexed again. */
    fill(fx, 20, 300, sc_clock_ms);
    t = (samsa_aborted_txn_t){500, cut, cut + 5, cut + 6};
    assert_int_equal(fx->ops->txn_index_append(fx->log, &t), SAMSA_OK);
    assert_int_equal(collect(fx, 0, 1000, out, 32), 13);
    if (g_caps.persistent) {
        fx->ops->close(fx->log);
        fx->log = NULL;
        char err[256];
        assert_int_equal(fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg,
                                       &fx->log, err, sizeof(err)),
                         SAMSA_OK);
        assert_int_equal(collect(fx, 0, 1000, out, 32), 13);
        assert_int_equal(out[12].producer_id, 500);
        /* Still the newest: a replay of it is ignored. */
        assert_int_equal(fx->ops->txn_index_append(fx->log, &t), SAMSA_OK);
        assert_int_equal(collect(fx, 0, 1000, out, 32), 13);
    }
    /* Retention below the start takes the entries of whole segments
     * only; a collection never starts below the log start. */
    assert_int_equal(fx->ops->set_start_offset(fx->log, 60), SAMSA_OK);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_int_equal(collect(fx, 60, 1000, out, 32), 7);
    assert_int_equal(out[0].last_offset, 69);
    /* And everything goes with truncate_fully. */
    if (SAMSA_ABI_HAS(samsa_storage_ops_t, fx->ops, truncate_fully) &&
        fx->ops->truncate_fully) {
        assert_int_equal(fx->ops->truncate_fully(fx->log, 5000), SAMSA_OK);
        assert_int_equal(collect(fx, 0, 10000, out, 32), 0);
    }
}

static void remove_deletes_the_log(void **state)
{
    fx_t *fx = *state;
    fill(fx, 10, 100, sc_clock_ms);
    assert_int_equal(fx->ops->remove(fx->log), SAMSA_OK);
    fx->log = NULL;
    char err[256];
    assert_int_equal(fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg, &fx->log,
                                   err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(offs(fx).log_end_offset, 0);
}

#define SC_CASE(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int sc_run(const char *so_path, const sc_caps_t *caps)
{
    g_so = so_path;
    g_caps = *caps;
    const struct CMUnitTest table[] = {
        SC_CASE(append_then_read_at_every_offset),
        SC_CASE(read_outside_the_log_is_out_of_range),
        SC_CASE(read_respects_high_watermark_and_max_bytes),
        SC_CASE(append_rejects_gaps_and_bad_framing),
        SC_CASE(append_accepts_several_batches_at_once),
        SC_CASE(append_sparse_keeps_gaps),
        SC_CASE(truncate_fully_restarts_anywhere),
        SC_CASE(roll_by_size_keeps_reads_whole_across_segments),
        SC_CASE(roll_by_time),
        SC_CASE(retention_by_size_drops_oldest),
        SC_CASE(retention_by_time_drops_old_batches),
        SC_CASE(truncate_cuts_at_batch_boundary),
        SC_CASE(set_start_offset_hides_older_records),
        SC_CASE(offset_for_time_finds_first_record_at_or_after),
        SC_CASE(compaction_keeps_latest_value_per_key),
        SC_CASE(compaction_recomputes_the_max_timestamp),
        SC_CASE(compaction_of_gzip_batches_keeps_latest_value_per_key),
        SC_CASE(compaction_on_a_minor_0_host_keeps_gzip_batches_whole),
        SC_CASE(readers_never_see_partial_batches_during_appends),
        SC_CASE(read_stays_valid_until_release_despite_retention),
        SC_CASE(reopen_keeps_every_batch),
        SC_CASE(txn_index_collects_overlaps_and_follows_the_log),
        SC_CASE(remove_deletes_the_log),
    };
    return _cmocka_run_group_tests(
        so_path, table, sizeof(table) / sizeof(table[0]), NULL, NULL);
}
