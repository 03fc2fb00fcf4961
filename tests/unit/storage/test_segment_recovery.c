/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_segment_recovery.c - storage-segment on disk: Kafka's layout, torn
 * and corrupt tails, damaged indexes, SIGKILL crashes, full disk.
 *
 * Crash guarantee tested: a batch whose append() returned is intact after
 * the process is killed with SIGKILL (page cache only, no fsync: flush
 * policy left to the OS), and nothing after a torn write is visible.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "conformance.h"

static char g_so[4096];

typedef struct sfx {
    sc_engine_t eng;
    const samsa_storage_ops_t *ops;
    samsa_storage_log_t *log;
    samsa_log_config_t cfg;
    char part[512]; /* <dir>/conf-0 */
} sfx_t;

static void open_log(sfx_t *fx)
{
    char err[256] = "";
    assert_int_equal(fx->ops->open(fx->eng.state, "conf", 0, &fx->cfg, &fx->log,
                                   err, sizeof(err)),
                     SAMSA_OK);
}

static int setup(void **state)
{
    sfx_t *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || !sc_load(&fx->eng, g_so)) {
        return -1;
    }
    fx->ops = fx->eng.ops;
    fx->cfg = sc_config();
    fx->cfg.segment_bytes = 4096;
    snprintf(fx->part, sizeof(fx->part), "%s/conf-0", fx->eng.dir);
    open_log(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    sfx_t *fx = *state;
    if (fx->log != NULL) {
        fx->ops->close(fx->log);
    }
    sc_unload(&fx->eng);
    free(fx);
    return 0;
}

static samsa_log_offsets_t offs(sfx_t *fx)
{
    samsa_log_offsets_t o;
    fx->ops->offsets(fx->log, &o);
    return o;
}

static void reopen(sfx_t *fx)
{
    fx->ops->close(fx->log);
    fx->log = NULL;
    open_log(fx);
}

static void seg_file(sfx_t *fx, int64_t base, const char *ext, char *out,
                     size_t size)
{
    snprintf(out, size, "%s/%020lld%s", fx->part, (long long)base, ext);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Base of the active (last) segment, by listing the directory. */
static int64_t last_base(sfx_t *fx)
{
    int64_t best = -1;
    for (int64_t off = 0; off <= offs(fx).log_end_offset; off++) {
        char p[1024];
        seg_file(fx, off, ".log", p, sizeof(p));
        if (file_size(p) >= 0) {
            best = off;
        }
    }
    return best;
}

static void layout_is_kafkas_directory_and_file_names(void **state)
{
    sfx_t *fx = *state;
    for (int i = 0; i < 40; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    }
    char p[1024];
    static const char *const exts[] = {".log", ".index", ".timeindex"};
    for (int i = 0; i < 3; i++) {
        seg_file(fx, 0, exts[i], p, sizeof(p));
        assert_true(file_size(p) >= 0);
    }
    assert_true(offs(fx).segment_count > 1);
    int64_t base = last_base(fx);
    assert_true(base > 0);
    reopen(fx);
    seg_file(fx, 0, ".index", p, sizeof(p));
    assert_true(file_size(p) > 0 && file_size(p) % 8 == 0);
    seg_file(fx, 0, ".timeindex", p, sizeof(p));
    assert_true(file_size(p) > 0 && file_size(p) % 12 == 0);
    assert_int_equal(offs(fx).log_end_offset, 80);
}

static uint64_t be64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static size_t txn_collect(sfx_t *fx, samsa_aborted_txn_t *out, size_t max)
{
    size_t n = 0;
    assert_int_equal(
        fx->ops->txn_index_collect(fx->log, 0, INT64_MAX, out, max, &n),
        SAMSA_OK);
    return n;
}

/* <base>.txnindex holds Kafka's 34-byte AbortedTxn entries (version int16,
 * producerId, firstOffset, lastOffset, lastStableOffset, big-endian).
 * After a crash that cut the log, entries past its end and a torn entry
 * go; the host may index the lost markers again. */
static void txn_index_is_kafkas_format_and_recovers_with_the_log(void **state)
{
    sfx_t *fx = *state;
    fx->cfg.segment_bytes = 1 << 20;
    fx->ops->configure(fx->log, &fx->cfg);
    int64_t size9 = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 9) {
            size9 = offs(fx).size_bytes;
        }
        sc_append_fill(fx->ops, fx->log, 3, 100, sc_clock_ms);
    }
    samsa_aborted_txn_t t[3] = {
        {0x0102030405060708LL, 3, 9, 10}, {2, 12, 20, 21}, {3, 22, 29, 30}};
    char p[1024];
    seg_file(fx, 0, ".txnindex", p, sizeof(p));
    assert_int_equal(file_size(p), -1); /* only once there is an entry */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fx->ops->txn_index_append(fx->log, &t[i]), SAMSA_OK);
    }
    assert_int_equal(file_size(p), 3 * 34);
    uint8_t raw[34];
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, raw, sizeof(raw)), (ssize_t)sizeof(raw));
    close(fd);
    assert_int_equal(raw[0], 0); /* version 0 */
    assert_int_equal(raw[1], 0);
    assert_int_equal(be64_at(raw + 2), 0x0102030405060708ULL);
    assert_int_equal(be64_at(raw + 10), 3);
    assert_int_equal(be64_at(raw + 18), 9);
    assert_int_equal(be64_at(raw + 26), 10);
    /* A crash: the last batch (the third marker) never reached the disk,
     * and half of a further entry did. */
    fx->ops->close(fx->log);
    fx->log = NULL;
    char lp[1024];
    seg_file(fx, 0, ".log", lp, sizeof(lp));
    assert_int_equal(truncate(lp, size9), 0);
    snprintf(lp, sizeof(lp), "%s/.clean-shutdown", fx->part);
    unlink(lp);
    fd = open(p, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, raw, 17), 17);
    close(fd);
    open_log(fx);
    assert_int_equal(offs(fx).log_end_offset, 27);
    samsa_aborted_txn_t out[4];
    assert_int_equal(txn_collect(fx, out, 4), 2);
    assert_int_equal(out[1].last_offset, 20);
    assert_int_equal(file_size(p), 2 * 34);
    sc_append_fill(fx->ops, fx->log, 3, 100, sc_clock_ms);
    assert_int_equal(fx->ops->txn_index_append(fx->log, &t[2]), SAMSA_OK);
    assert_int_equal(txn_collect(fx, out, 4), 3);
    /* A segment that goes takes its index file along. */
    assert_int_equal(fx->ops->truncate(fx->log, 0), SAMSA_OK);
    assert_int_equal(txn_collect(fx, out, 4), 0);
    assert_int_equal(file_size(p), -1);
}

static void torn_tail_is_truncated_to_last_whole_batch(void **state)
{
    sfx_t *fx = *state;
    fx->cfg.segment_bytes = 1 << 20;
    fx->ops->configure(fx->log, &fx->cfg);
    for (int i = 0; i < 10; i++) {
        sc_append_fill(fx->ops, fx->log, 3, 100, sc_clock_ms);
    }
    samsa_log_offsets_t before = offs(fx);
    fx->ops->close(fx->log);
    fx->log = NULL;
    /* Half of a further batch reaches the file, as a crash would leave. */
    uint8_t batch[4096];
    size_t len = tb_build_fill(batch, sizeof(batch), 30, 3, 100, 0);
    char p[1024];
    seg_file(fx, 0, ".log", p, sizeof(p));
    int fd = open(p, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, batch, len / 2), (ssize_t)(len / 2));
    close(fd);
    open_log(fx);
    samsa_log_offsets_t after = offs(fx);
    assert_int_equal(after.log_end_offset, before.log_end_offset);
    assert_int_equal(after.size_bytes, before.size_bytes);
    assert_int_equal(file_size(p), before.size_bytes);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 10);
    sc_append_fill(fx->ops, fx->log, 3, 100, sc_clock_ms);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 11);
}

static void flipped_byte_in_tail_is_detected_and_cut(void **state)
{
    sfx_t *fx = *state;
    fx->cfg.segment_bytes = 1 << 20;
    fx->ops->configure(fx->log, &fx->cfg);
    size_t last = 0;
    for (int i = 0; i < 10; i++) {
        last = sc_append_fill(fx->ops, fx->log, 2, 100, sc_clock_ms);
    }
    int64_t size = offs(fx).size_bytes;
    /* Simulate a crash: no clean marker, one flipped byte in the last
     * batch's records. */
    fx->ops->close(fx->log);
    fx->log = NULL;
    char p[1024];
    snprintf(p, sizeof(p), "%s/.clean-shutdown", fx->part);
    unlink(p);
    seg_file(fx, 0, ".log", p, sizeof(p));
    int fd = open(p, O_RDWR);
    uint8_t b;
    off_t at = size - (off_t)last + 70;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    open_log(fx);
    assert_int_equal(offs(fx).log_end_offset, 18);
    assert_int_equal(offs(fx).size_bytes, size - (int64_t)last);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 9);
}

static void missing_or_damaged_index_is_rebuilt(void **state)
{
    sfx_t *fx = *state;
    for (int i = 0; i < 60; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    }
    assert_true(offs(fx).segment_count >= 3);
    fx->ops->close(fx->log);
    fx->log = NULL;
    char p[1024];
    seg_file(fx, 0, ".index", p, sizeof(p));
    assert_int_equal(unlink(p), 0);
    seg_file(fx, 0, ".timeindex", p, sizeof(p));
    int fd = open(p, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "junk", 4), 4); /* not a multiple of 12 */
    close(fd);
    open_log(fx);
    seg_file(fx, 0, ".index", p, sizeof(p));
    assert_true(file_size(p) > 0);
    seg_file(fx, 0, ".timeindex", p, sizeof(p));
    assert_int_equal(file_size(p) % 12, 0);
    for (int64_t off = 0; off < 120; off++) {
        samsa_storage_read_t rd;
        uint8_t buf[8192];
        int64_t base, lastoff;
        size_t size;
        assert_int_equal(
            fx->ops->read(fx->log, off, -1, 4000, SAMSA_READ_MIN_ONE, &rd),
            SAMSA_OK);
        sc_copy_read(&rd, buf);
        assert_true(
            tb_check(buf, (size_t)rd.total_bytes, &base, &lastoff, &size));
        assert_true(base <= off && off <= lastoff);
        fx->ops->read_release(fx->log, &rd);
    }
    int64_t found, ts;
    assert_int_equal(fx->ops->offset_for_time(fx->log, 0, &found, &ts),
                     SAMSA_OK);
    assert_int_equal(found, 0);
}

/* Child: append deterministic batches forever, publishing LEO after each
 * acknowledged append. */
static void crash_child(const char *dir, volatile int64_t *acked)
{
    sc_engine_t eng;
    if (!sc_load_at(&eng, g_so, dir)) {
        _exit(2);
    }
    samsa_log_config_t cfg = sc_config();
    cfg.segment_bytes = 64 * 1024;
    samsa_storage_log_t *log;
    char err[256];
    if (eng.ops->open(eng.state, "conf", 0, &cfg, &log, err, sizeof(err)) !=
        SAMSA_OK) {
        _exit(3);
    }
    static uint8_t buf[1 << 16];
    samsa_log_offsets_t o;
    eng.ops->offsets(log, &o);
    for (int64_t leo = o.log_end_offset;;) {
        int n = 1 + (int)(leo % 5);
        size_t len = tb_build_fill(buf, sizeof(buf), leo, n, 200, leo);
        if (eng.ops->append(log, buf, len) != SAMSA_OK) {
            _exit(4);
        }
        leo += n;
        __atomic_store_n(acked, leo, __ATOMIC_SEQ_CST);
    }
}

/* Every batch from 0 to LEO is byte-identical to what the child built. */
static void verify_against_generator(sfx_t *fx)
{
    samsa_log_offsets_t o = offs(fx);
    uint8_t *buf = malloc(1 << 20), want[1 << 16];
    int64_t at = 0;
    while (at < o.log_end_offset) {
        samsa_storage_read_t rd;
        assert_int_equal(fx->ops->read(fx->log, at, -1, 1 << 20, 0, &rd),
                         SAMSA_OK);
        sc_copy_read(&rd, buf);
        size_t pos = 0;
        while (pos < (size_t)rd.total_bytes) {
            int n = 1 + (int)(at % 5);
            size_t len = tb_build_fill(want, sizeof(want), at, n, 200, at);
            assert_true(pos + len <= (size_t)rd.total_bytes);
            assert_memory_equal(buf + pos, want, len);
            pos += len;
            at += n;
        }
        assert_int_equal(at, rd.next_offset);
        fx->ops->read_release(fx->log, &rd);
    }
    assert_int_equal(at, o.log_end_offset);
    free(buf);
}

static void sigkill_mid_append_keeps_every_acknowledged_batch(void **state)
{
    sfx_t *fx = *state;
    fx->ops->close(fx->log);
    fx->log = NULL;
    volatile int64_t *acked = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(acked != MAP_FAILED);
    unsigned seed = 12345;
    for (int round = 0; round < 6; round++) {
        *acked = -1;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            crash_child(fx->eng.dir, acked);
        }
        /* Once it has acknowledged something (a loaded machine may take
         * a while to schedule the child), let it run 20..120 ms more, then
         * kill at an arbitrary point. */
        struct timespec tick = {0, 1000000L};
        for (int waited = 0;
             __atomic_load_n(acked, __ATOMIC_SEQ_CST) <= 0 && waited < 30000;
             waited++) {
            nanosleep(&tick, NULL);
        }
        struct timespec ts = {0, (long)(20 + rand_r(&seed) % 100) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        int64_t acked_leo = __atomic_load_n(acked, __ATOMIC_SEQ_CST);
        assert_true(acked_leo > 0);
        if (round % 2 == 1) {
            /* A torn write on top: garbage after the last batch. */
            char p[1024];
            int64_t base = -1;
            for (int64_t b = 0; b <= acked_leo + 5; b++) {
                seg_file(fx, b, ".log", p, sizeof(p));
                if (file_size(p) >= 0) {
                    base = b;
                }
            }
            seg_file(fx, base, ".log", p, sizeof(p));
            int fd = open(p, O_WRONLY | O_APPEND);
            uint8_t junk[700];
            memset(junk, 0x5a, sizeof(junk));
            assert_int_equal(write(fd, junk, sizeof(junk)), 700);
            close(fd);
        }
        open_log(fx);
        samsa_log_offsets_t o = offs(fx);
        assert_true(o.log_end_offset >= acked_leo);
        /* At most the one append in flight may have landed whole. */
        assert_true(o.log_end_offset <= acked_leo + 5);
        verify_against_generator(fx);
        fx->ops->close(fx->log);
        fx->log = NULL;
    }
    munmap((void *)acked, 4096);
    open_log(fx);
}

static void full_disk_fails_append_and_leaves_nothing_visible(void **state)
{
    sfx_t *fx = *state;
    fx->cfg.segment_bytes = 1 << 20;
    fx->ops->configure(fx->log, &fx->cfg);
    for (int i = 0; i < 5; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 100, sc_clock_ms);
    }
    samsa_log_offsets_t before = offs(fx);
    /* RLIMIT_FSIZE stands in for a full disk: writes past it fail with
     * EFBIG after a partial write, like ENOSPC. */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)before.size_bytes + 100;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    uint8_t buf[4096];
    size_t len =
        tb_build_fill(buf, sizeof(buf), before.log_end_offset, 3, 300, 0);
    samsa_err_t err = fx->ops->append(fx->log, buf, len);
    setrlimit(RLIMIT_FSIZE, &old);
    assert_int_equal(err, SAMSA_ERR_KAFKA_STORAGE_ERROR);
    samsa_log_offsets_t after = offs(fx);
    assert_int_equal(after.log_end_offset, before.log_end_offset);
    assert_int_equal(after.size_bytes, before.size_bytes);
    char p[1024];
    seg_file(fx, 0, ".log", p, sizeof(p));
    assert_int_equal(file_size(p), before.size_bytes);
    assert_int_equal(fx->ops->append(fx->log, buf, len), SAMSA_OK);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 6);
}

static void start_offset_survives_restart_atomically(void **state)
{
    sfx_t *fx = *state;
    for (int i = 0; i < 60; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    }
    assert_int_equal(fx->ops->set_start_offset(fx->log, 51), SAMSA_OK);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    char p[1024];
    snprintf(p, sizeof(p), "%s/log-start-offset.tmp", fx->part);
    assert_true(file_size(p) < 0);
    /* No clean close: reopen straight from the files. */
    snprintf(p, sizeof(p), "%s/.clean-shutdown", fx->part);
    reopen(fx);
    unlink(p);
    reopen(fx);
    assert_int_equal(offs(fx).log_start_offset, 51);
    assert_int_equal(offs(fx).log_end_offset, 120);
}

/* The clean-shutdown marker's log end offset is checked against the last
 * batch: a wrong one (tampered, stale) would strand consumers past the
 * data, so the segment is recovered instead. */
static void clean_shutdown_marker_is_checked_against_the_log(void **state)
{
    sfx_t *fx = *state;
    for (int i = 0; i < 25; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    }
    int64_t leo = offs(fx).log_end_offset;
    assert_int_equal(leo, 50);
    fx->ops->close(fx->log);
    fx->log = NULL;
    char p[1024];
    snprintf(p, sizeof(p), "%s/.clean-shutdown", fx->part);
    long long base, size, mleo, mts;
    FILE *m = fopen(p, "r");
    assert_non_null(m);
    assert_int_equal(
        fscanf(m, "%lld %lld %lld %lld", &base, &size, &mleo, &mts), 4);
    fclose(m);
    assert_int_equal(mleo, leo);
    static const long long wrong[] = {1000, -1, 1};
    for (int i = 0; i < 3; i++) {
        m = fopen(p, "w");
        fprintf(m, "%lld %lld %lld %lld\n", base, size, mleo + wrong[i], mts);
        fclose(m);
        open_log(fx);
        assert_int_equal(offs(fx).log_end_offset, leo);
        assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 25);
        fx->ops->close(fx->log);
        fx->log = NULL;
    }
    open_log(fx);
    sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    assert_int_equal(offs(fx).log_end_offset, leo + 2);
}

/* Every read at @p off either starts with the batch holding it or fails
 * with CORRUPT_MESSAGE: never the next readable offsets instead. */
static int read_or_corrupt(sfx_t *fx, int64_t off)
{
    samsa_storage_read_t rd;
    samsa_err_t err =
        fx->ops->read(fx->log, off, -1, 4000, SAMSA_READ_MIN_ONE, &rd);
    if (err != SAMSA_OK) {
        assert_int_equal(err, SAMSA_ERR_CORRUPT_MESSAGE);
        return 1;
    }
    uint8_t buf[8192];
    int64_t base, lastoff;
    size_t size;
    sc_copy_read(&rd, buf);
    assert_true(tb_check(buf, (size_t)rd.total_bytes, &base, &lastoff, &size));
    assert_true(base <= off && off <= lastoff);
    fx->ops->read_release(fx->log, &rd);
    return 0;
}

static void damaged_header_in_an_old_segment_is_an_error_not_a_gap(void **state)
{
    sfx_t *fx = *state;
    for (int i = 0; i < 60; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    }
    assert_true(offs(fx).segment_count >= 3);
    fx->ops->close(fx->log);
    fx->log = NULL;
    /* Break the magic byte of the third batch (offsets 4-5) of segment 0. */
    char p[1024];
    seg_file(fx, 0, ".log", p, sizeof(p));
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    off_t pos = 0;
    for (int i = 0; i < 2; i++) {
        uint8_t len[4];
        assert_int_equal(pread(fd, len, 4, pos + 8), 4);
        pos += 12 + ((off_t)len[0] << 24 | len[1] << 16 | len[2] << 8 | len[3]);
    }
    uint8_t magic = 7;
    assert_int_equal(pwrite(fd, &magic, 1, pos + 16), 1);
    close(fd);
    for (int round = 0; round < 2; round++) {
        open_log(fx);
        assert_int_equal(offs(fx).log_end_offset, 120);
        /* From the start: what precedes the damage, and no further. */
        samsa_storage_read_t rd;
        assert_int_equal(fx->ops->read(fx->log, 0, -1, 1 << 20, 0, &rd),
                         SAMSA_OK);
        assert_int_equal(rd.next_offset, 4);
        fx->ops->read_release(fx->log, &rd);
        assert_int_equal(read_or_corrupt(fx, 4), 1);
        assert_int_equal(read_or_corrupt(fx, 5), 1);
        for (int64_t off = 0; off < 120; off++) {
            read_or_corrupt(fx, off);
        }
        fx->ops->close(fx->log);
        fx->log = NULL;
        /* Again with the index lost: the rebuild stops at the damage and
         * the partition still opens. */
        seg_file(fx, 0, ".index", p, sizeof(p));
        unlink(p);
        seg_file(fx, 0, ".log", p, sizeof(p));
    }
    open_log(fx);
}

/* Open fds of this process on files in the partition directory. */
static int fds_in(const char *dir)
{
    int n = 0;
    char link[64], target[1024];
    for (int fd = 0; fd < 4096; fd++) {
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len > 0) {
            target[len] = 0;
            n += strncmp(target, dir, strlen(dir)) == 0;
        }
    }
    return n;
}

/* A partition holds no fd at rest however many segments it has: segments
 * open on first use and close after a housekeep pass unused. */
static void segments_hold_no_fd_at_rest(void **state)
{
    sfx_t *fx = *state;
    for (int i = 0; i < 60; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    }
    int64_t segs = offs(fx).segment_count;
    assert_true(segs >= 8);
    assert_int_equal(fds_in(fx->part), segs); /* before: one per segment */
    reopen(fx);
    assert_int_equal(fds_in(fx->part), 0);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 60);
    assert_true(fds_in(fx->part) > 1);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_int_equal(fds_in(fx->part), 0);
    /* A pinned read keeps its fd across housekeeping. */
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 1 << 20, 0, &rd), SAMSA_OK);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    uint8_t buf[1 << 16];
    assert_true(rd.total_bytes <= (int64_t)sizeof(buf));
    sc_copy_read(&rd, buf);
    int64_t base, last;
    size_t size;
    assert_true(tb_check(buf, (size_t)rd.total_bytes, &base, &last, &size));
    assert_int_equal(base, 0);
    fx->ops->read_release(fx->log, &rd);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_int_equal(fds_in(fx->part), 0);
    sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    assert_int_equal(fds_in(fx->part), 1);
    assert_int_equal(sc_verify_all(fx->ops, fx->log, 0), 61);
    fx->ops->close(fx->log);
    fx->log = NULL;
    /* New partitions, too, start without an fd. */
    samsa_storage_log_t *fresh;
    char err[256];
    assert_int_equal(fx->ops->open(fx->eng.state, "fresh", 3, &fx->cfg, &fresh,
                                   err, sizeof(err)),
                     SAMSA_OK);
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/fresh-3", fx->eng.dir);
    assert_int_equal(fds_in(dir), 0);
    fx->ops->close(fresh);
    open_log(fx);
}

/* The fd cache: with RLIMIT_NOFILE 64 at load (max_open_segments 0 = half
 * of it), 40 written partitions keep at most 32 segment files open, and
 * every one still reads back whole. */
static void fd_cache_caps_open_segment_files(void **state)
{
    sfx_t *fx = *state;
    fx->ops->close(fx->log);
    fx->log = NULL;
    sc_unload(&fx->eng);
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    bool loaded = sc_load(&fx->eng, g_so);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_true(loaded);
    fx->ops = fx->eng.ops;
    /* A read pinned across retention of its segment: the cache must not
     * take that fd once the list no longer holds the segment. */
    snprintf(fx->part, sizeof(fx->part), "%s/conf-0", fx->eng.dir);
    open_log(fx);
    for (int i = 0; i < 30; i++) {
        sc_append_fill(fx->ops, fx->log, 2, 300, sc_clock_ms);
    }
    samsa_storage_read_t rd;
    assert_int_equal(fx->ops->read(fx->log, 0, -1, 1500, 0, &rd), SAMSA_OK);
    assert_int_equal(fx->ops->set_start_offset(fx->log, 40), SAMSA_OK);
    assert_int_equal(fx->ops->housekeep(fx->log, sc_clock_ms), SAMSA_OK);
    assert_true(offs(fx).segment_count < 7);
    enum { N = 40 };
    samsa_storage_log_t *logs[N];
    char err[256];
    for (int i = 0; i < N; i++) {
        char topic[32];
        snprintf(topic, sizeof(topic), "cap%d", i);
        assert_int_equal(fx->ops->open(fx->eng.state, topic, 0, &fx->cfg,
                                       &logs[i], err, sizeof(err)),
                         SAMSA_OK);
        sc_append_fill(fx->ops, logs[i], 2, 100, sc_clock_ms);
        /* 32 cached, plus what the pinned read holds outside the cache. */
        assert_true(fds_in(fx->eng.dir) <= 34);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(sc_verify_all(fx->ops, logs[i], 0), 1);
        sc_append_fill(fx->ops, logs[i], 2, 100, sc_clock_ms);
        /* 32 cached, plus what the pinned read holds outside the cache. */
        assert_true(fds_in(fx->eng.dir) <= 34);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(sc_verify_all(fx->ops, logs[i], 0), 2);
        fx->ops->close(logs[i]);
    }
    uint8_t buf[4096];
    int64_t base, last;
    size_t size;
    assert_true(rd.total_bytes > 0 && rd.total_bytes <= (int64_t)sizeof(buf));
    sc_copy_read(&rd, buf);
    assert_true(tb_check(buf, (size_t)rd.total_bytes, &base, &last, &size));
    assert_int_equal(base, 0);
    fx->ops->read_release(fx->log, &rd);
    fx->ops->close(fx->log);
    fx->log = NULL;
    assert_int_equal(fds_in(fx->eng.dir), 0);
    open_log(fx);
}

int main(void)
{
    const char *dir = getenv("SAMSA_TEST_PLUGIN_DIR");
    snprintf(g_so, sizeof(g_so), "%s/storage-segment.so", dir ? dir : ".");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            layout_is_kafkas_directory_and_file_names, setup, teardown),
        cmocka_unit_test_setup_teardown(
            torn_tail_is_truncated_to_last_whole_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(
            txn_index_is_kafkas_format_and_recovers_with_the_log, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            flipped_byte_in_tail_is_detected_and_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_or_damaged_index_is_rebuilt,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            sigkill_mid_append_keeps_every_acknowledged_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(
            full_disk_fails_append_and_leaves_nothing_visible, setup, teardown),
        cmocka_unit_test_setup_teardown(
            start_offset_survives_restart_atomically, setup, teardown),
        cmocka_unit_test_setup_teardown(
            clean_shutdown_marker_is_checked_against_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(
            damaged_header_in_an_old_segment_is_an_error_not_a_gap, setup,
            teardown),
        cmocka_unit_test_setup_teardown(segments_hold_no_fd_at_rest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(fd_cache_caps_open_segment_files, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
