/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_storage.c - storage engine benchmark (not a test).
 *
 *   bench_storage [engine.so]
 *
 * 1. Appends SAMSA_BENCH_BYTES (default 1 GiB) in batches of
 *    SAMSA_BENCH_BATCH bytes (16 KiB) and, in the same run and directory,
 *    write()s the same bytes to a plain file; prints both MB/s (page cache,
 *    then with a final fdatasync) and the ratio (target >= 0.9).
 * 2. Reads the log back with read() + sendfile(2) to /dev/null, MB/s.
 * 3. Start-up: SAMSA_BENCH_PARTITIONS (100) logs holding
 *    SAMSA_BENCH_STARTUP_BYTES (10 GiB) in total are closed, then re-opened;
 *    prints the time after a clean close and after a crash (no marker).
 *    Set SAMSA_BENCH_STARTUP_BYTES=0 to skip.
 * Data goes under SAMSA_BENCH_DIR (default /tmp), removed at the end.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <samsa/storage.h>

#include "batch_builder.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t env_i64(const char *name, int64_t def)
{
    const char *v = getenv(name);
    return v != NULL && *v ? strtoll(v, NULL, 0) : def;
}

static void svc_log(const samsa_instance_t *inst, samsa_log_level_t level,
                    const char *fmt, ...)
{
    if (level > SAMSA_LOG_WARN) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
static const char *svc_err(samsa_err_t e)
{
    return e ? "error" : "ok";
}
static samsa_err_t nf_int(const samsa_config_t *c, const char *n, int64_t *o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t nf_str(const samsa_config_t *c, const char *n,
                          const char **o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const samsa_services_t svc = {
    .hdr = SAMSA_ABI_HEADER(samsa_services_t),
    .log = svc_log,
    .err_str = svc_err,
    .config_int = nf_int,
    .config_string = nf_str,
    .alloc = malloc,
    .realloc = realloc,
    .free = free,
    .now_ms = wall_ms,
    .monotonic_ms = wall_ms,
};

typedef struct bench {
    const samsa_plugin_t *plug;
    const samsa_storage_ops_t *ops;
    void *state;
    samsa_instance_t inst;
    char dir[512];
    samsa_log_config_t cfg;
} bench_t;

static void init_engine(bench_t *b)
{
    char err[256] = "";
    b->inst = (samsa_instance_t){.hdr = SAMSA_ABI_HEADER(samsa_instance_t),
                                 .name = "bench",
                                 .data_dir = b->dir};
    if (b->plug->init(&svc, &b->inst, &b->state, err, sizeof(err)) != 0) {
        fprintf(stderr, "init: %s\n", err);
        exit(1);
    }
}

static samsa_storage_log_t *open_log(bench_t *b, const char *topic, int part)
{
    samsa_storage_log_t *log;
    char err[256] = "";
    if (b->ops->open(b->state, topic, part, &b->cfg, &log, err, sizeof(err)) !=
        SAMSA_OK) {
        fprintf(stderr, "open: %s\n", err);
        exit(1);
    }
    return log;
}

/* One batch of about @p size bytes; the base offset is patched per use
 * (the CRC does not cover it). */
static size_t make_batch(uint8_t *buf, size_t size, int *records)
{
    *records = 16;
    size_t value = size / 16 > 40 ? size / 16 - 40 : 8;
    return tb_build_fill(buf, size + 4096, 0, *records, value, wall_ms());
}

static void set_base(uint8_t *buf, int64_t base)
{
    for (int i = 7; i >= 0; i--) {
        buf[i] = (uint8_t)base;
        base >>= 8;
    }
}

static int64_t fill_log(bench_t *b, samsa_storage_log_t *log, uint8_t *batch,
                        size_t len, int records, int64_t bytes)
{
    int64_t leo = 0, done = 0;
    for (; done < bytes; done += (int64_t)len) {
        set_base(batch, leo);
        if (b->ops->append(log, batch, len) != SAMSA_OK) {
            fprintf(stderr, "append failed\n");
            exit(1);
        }
        leo += records;
    }
    return done;
}

static int rm_cb(const char *p, const struct stat *s, int f, struct FTW *w)
{
    return remove(p);
}

static void bench_append(bench_t *b, uint8_t *batch, size_t len, int records,
                         int64_t total, bool engine_first)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/plain.dat", b->dir);
    samsa_storage_log_t *log = NULL;
    double t3 = 0, t4 = 0, t5 = 0;
    int64_t bytes = 0;
    if (engine_first) {
        log = open_log(b, "bench", 0);
        t3 = now_s();
        bytes = fill_log(b, log, batch, len, records, total);
        t4 = now_s();
        b->ops->flush(log);
        t5 = now_s();
    }
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    double t0 = now_s();
    for (int64_t done = 0; done < total; done += (int64_t)len) {
        if (write(fd, batch, len) != (ssize_t)len) {
            perror("write");
            exit(1);
        }
    }
    double t1 = now_s();
    fdatasync(fd);
    double t2 = now_s();
    close(fd);
    unlink(path);
    if (!engine_first) {
        log = open_log(b, "bench", 0);
        t3 = now_s();
        bytes = fill_log(b, log, batch, len, records, total);
        t4 = now_s();
        b->ops->flush(log);
        t5 = now_s();
    }
    double mb = (double)bytes / 1e6;
    printf("append  %.0f MB in %zu-byte batches (%s first)\n", mb, len,
           engine_first ? "engine" : "plain write");
    printf("  plain write():        %8.1f MB/s  (+fdatasync %8.1f MB/s)\n",
           mb / (t1 - t0), mb / (t2 - t0));
    printf("  engine append():      %8.1f MB/s  (+flush     %8.1f MB/s)\n",
           mb / (t4 - t3), mb / (t5 - t3));
    printf("  ratio engine/plain:   %8.3f        (with sync %8.3f)\n",
           (t1 - t0) / (t4 - t3), (t2 - t0) / (t5 - t3));

    /* Read back everything with sendfile to /dev/null. */
    int null = open("/dev/null", O_WRONLY);
    samsa_log_offsets_t o;
    b->ops->offsets(log, &o);
    int64_t at = o.log_start_offset, sent = 0;
    double t6 = now_s();
    while (at < o.log_end_offset) {
        samsa_storage_read_t rd;
        if (b->ops->read(log, at, -1, 1 << 20, SAMSA_READ_MIN_ONE, &rd) !=
            SAMSA_OK) {
            break;
        }
        for (uint32_t i = 0; i < rd.slice_count; i++) {
            samsa_slice_t *s = &rd.slices[i];
            if (s->fd >= 0) {
                off_t pos = s->pos;
                sent += sendfile(null, s->fd, &pos, (size_t)s->len);
            } else {
                sent += write(null, s->buf, (size_t)s->len);
            }
        }
        at = rd.next_offset;
        b->ops->read_release(log, &rd);
    }
    double t7 = now_s();
    close(null);
    printf("read    read()+sendfile to /dev/null: %8.1f MB/s (%.0f MB, "
           "page cache warm)\n",
           (double)sent / 1e6 / (t7 - t6), (double)sent / 1e6);
    b->ops->remove(log);
}

static double open_all(bench_t *b, int parts, samsa_storage_log_t **logs)
{
    double t0 = now_s();
    init_engine(b);
    for (int p = 0; p < parts; p++) {
        logs[p] = open_log(b, "startup", p);
    }
    return now_s() - t0;
}

static void close_all(bench_t *b, int parts, samsa_storage_log_t **logs)
{
    for (int p = 0; p < parts; p++) {
        b->ops->close(logs[p]);
    }
    b->plug->fini(b->state);
}

static void bench_startup(bench_t *b, uint8_t *batch, size_t len, int records,
                          int parts, int64_t total)
{
    samsa_storage_log_t **logs = calloc((size_t)parts, sizeof(*logs));
    open_all(b, parts, logs);
    for (int p = 0; p < parts; p++) {
        fill_log(b, logs[p], batch, len, records, total / parts);
    }
    close_all(b, parts, logs);
    double clean = open_all(b, parts, logs);
    close_all(b, parts, logs);
    /* A crash: remove the clean-shutdown markers. */
    for (int p = 0; p < parts; p++) {
        char path[700];
        snprintf(path, sizeof(path), "%s/startup-%d/.clean-shutdown", b->dir,
                 p);
        unlink(path);
    }
    double crash = open_all(b, parts, logs);
    close_all(b, parts, logs);
    printf("startup %d partitions, %.0f MB: clean %.3f s, after crash %.3f s"
           " (segment.bytes %lld)\n",
           parts, (double)total / 1e6, clean, crash,
           (long long)b->cfg.segment_bytes);
    init_engine(b);
    free(logs);
}

int main(int argc, char **argv)
{
    bench_t b = {0};
    const char *so = argc > 1 ? argv[1] : "build/plugins/storage-segment.so";
    void *dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    samsa_plugin_entry_fn entry =
        (samsa_plugin_entry_fn)dlsym(dl, SAMSA_PLUGIN_ENTRY);
    b.plug = entry();
    b.ops = b.plug->ops;
    const char *base = getenv("SAMSA_BENCH_DIR");
    snprintf(b.dir, sizeof(b.dir), "%s/samsa-bench-XXXXXX",
             base ? base : "/tmp");
    if (mkdtemp(b.dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    b.cfg = (samsa_log_config_t){
        .hdr = SAMSA_ABI_HEADER(samsa_log_config_t),
        .segment_bytes = env_i64("SAMSA_BENCH_SEGMENT_BYTES", 1LL << 30),
        .segment_ms = 7 * 24 * 3600 * 1000LL,
        .retention_bytes = -1,
        .retention_ms = -1,
        .delete_retention_ms = 86400000,
        .flush_messages = SAMSA_FLUSH_OS,
        .flush_ms = SAMSA_FLUSH_OS,
        .index_interval_bytes = 4096,
        .max_bytes = env_i64("SAMSA_BENCH_BYTES", 1LL << 30) * 2,
        .cleanup_policy = SAMSA_CLEANUP_DELETE,
    };
    size_t bsize = (size_t)env_i64("SAMSA_BENCH_BATCH", 16384);
    uint8_t *batch = malloc(bsize + 8192);
    int records;
    size_t len = make_batch(batch, bsize, &records);
    init_engine(&b);
    /* Two rounds, plain first then engine first, so neither side always
     * pays for the other's dirty pages being written back. */
    for (int round = 0; round < 2; round++) {
        bench_append(&b, batch, len, records,
                     env_i64("SAMSA_BENCH_BYTES", 1LL << 30), round == 1);
    }
    int64_t sbytes = env_i64("SAMSA_BENCH_STARTUP_BYTES", 10LL << 30);
    if (sbytes > 0) {
        bench_startup(&b, batch, len, records,
                      (int)env_i64("SAMSA_BENCH_PARTITIONS", 100), sbytes);
    }
    b.plug->fini(b.state);
    nftw(b.dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(batch);
    return 0;
}
