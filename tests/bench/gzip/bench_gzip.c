/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_gzip.c - gzip speed, zlib against ISA-L's igzip, in one run (a
 * benchmark, not a test):
 *
 *   bench_gzip
 *
 * The input is what a gzip record batch carries: Kafka v2 records (a few
 * varint bytes of framing each) whose values are ~150-byte JSON events with
 * varying ids, of 1 KiB, 16 KiB, 256 KiB and 1 MiB in all. Inflate reads
 * the member zlib's default level (6, what Kafka clients write) produced,
 * into 64 KiB pieces as codec-gzip does. Deflate writes one gzip member:
 * zlib at levels 6 and 1, ISA-L at its levels 1 and 3, with the size each
 * gives. Each figure is the best of 5 rounds of >= 64 MiB of input
 * (compress) or output (inflate); prints ns per uncompressed byte and
 * MB/s.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#define PIECE (64u * 1024u)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* Records of JSON events up to len bytes. */
static size_t make_records(uint8_t *buf, size_t len)
{
    static const char *events[] = {"page_view", "add_to_cart", "checkout",
                                   "search", "login"};
    size_t n = 0;
    for (int i = 0; n + 256 < len; i++) {
        char v[240];
        int vl = snprintf(
            v, sizeof(v),
            "{\"user_id\":%u,\"event\":\"%s\",\"url\":\"/products/%u\","
            "\"ts\":%llu,\"session\":\"%08x%08x\",\"amount\":%u.%02u}",
            next_rand() % 100000, events[next_rand() % 5], next_rand() % 10000,
            1733460000000ull + (unsigned)i * 7, next_rand(), next_rand(),
            next_rand() % 500, next_rand() % 100);
        /* length, attributes, timestamp/offset deltas, key len, value len */
        buf[n++] = (uint8_t)(vl + 6);
        buf[n++] = 0;
        buf[n++] = (uint8_t)(i & 0x7f);
        buf[n++] = (uint8_t)(i & 0x7f);
        buf[n++] = 1;
        buf[n++] = (uint8_t)vl;
        memcpy(buf + n, v, (size_t)vl);
        n += (size_t)vl;
        buf[n++] = 0; /* no headers */
    }
    return n;
}

static size_t zlib_deflate(int level, const uint8_t *in, size_t len,
                           uint8_t *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return 0;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    size_t n = deflate(&zs, Z_FINISH) == Z_STREAM_END ? zs.total_out : 0;
    deflateEnd(&zs);
    return n;
}

static uint8_t level_buf[ISAL_DEF_LVL3_DEFAULT];

static size_t isal_deflate_gzip(int level, const uint8_t *in, size_t len,
                                uint8_t *out, size_t cap)
{
    struct isal_zstream zs;
    isal_deflate_init(&zs);
    zs.gzip_flag = IGZIP_GZIP;
    zs.level = (uint32_t)level;
    zs.level_buf = level > 0 ? level_buf : NULL;
    zs.level_buf_size = level > 0 ? sizeof(level_buf) : 0;
    zs.end_of_stream = 1;
    zs.flush = NO_FLUSH;
    zs.next_in = (uint8_t *)(uintptr_t)in;
    zs.avail_in = (uint32_t)len;
    zs.next_out = out;
    zs.avail_out = (uint32_t)cap;
    if (isal_deflate(&zs) != COMP_OK || zs.internal_state.state != ZSTATE_END) {
        return 0;
    }
    return zs.total_out;
}

static uint8_t piece[PIECE];

static size_t zlib_inflate(const uint8_t *in, size_t len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {
        return 0;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    size_t total = 0;
    int rc;
    do {
        zs.next_out = piece;
        zs.avail_out = PIECE;
        rc = inflate(&zs, Z_NO_FLUSH);
        total += PIECE - zs.avail_out;
    } while (rc == Z_OK);
    inflateEnd(&zs);
    return rc == Z_STREAM_END ? total : 0;
}

static struct inflate_state ist;

static size_t isal_inflate_gzip(const uint8_t *in, size_t len)
{
    isal_inflate_init(&ist);
    ist.crc_flag = ISAL_GZIP;
    ist.next_in = (uint8_t *)(uintptr_t)in;
    ist.avail_in = (uint32_t)len;
    size_t total = 0;
    while (ist.block_state != ISAL_BLOCK_FINISH) {
        ist.next_out = piece;
        ist.avail_out = PIECE;
        if (isal_inflate(&ist) != ISAL_DECOMP_OK) {
            return 0;
        }
        size_t n = PIECE - ist.avail_out;
        if (n == 0 && ist.avail_in == 0 &&
            ist.block_state != ISAL_BLOCK_FINISH) {
            return 0;
        }
        total += n;
    }
    return total;
}

typedef size_t (*deflate_fn)(int, const uint8_t *, size_t, uint8_t *, size_t);

static double time_deflate(deflate_fn fn, int level, const uint8_t *in,
                           size_t len, uint8_t *out, size_t cap, size_t *size)
{
    size_t iters = ((size_t)64 << 20) / len + 1;
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        double t0 = now_s();
        for (size_t i = 0; i < iters; i++) {
            *size = fn(level, in, len, out, cap);
        }
        double ns = (now_s() - t0) * 1e9 / ((double)iters * (double)len);
        best = ns < best ? ns : best;
    }
    return best;
}

static double time_inflate(size_t (*fn)(const uint8_t *, size_t),
                           const uint8_t *in, size_t clen, size_t len)
{
    size_t iters = ((size_t)64 << 20) / len + 1;
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        double t0 = now_s();
        for (size_t i = 0; i < iters; i++) {
            if (fn(in, clen) != len) {
                fprintf(stderr, "inflate failed\n");
                exit(1);
            }
        }
        double ns = (now_s() - t0) * 1e9 / ((double)iters * (double)len);
        best = ns < best ? ns : best;
    }
    return best;
}

int main(void)
{
    static const size_t sizes[] = {1 << 10, 16 << 10, 256 << 10, 1 << 20};
    size_t cap = (2 << 20);
    uint8_t *in = malloc(1 << 20);
    uint8_t *out = malloc(cap);
    if (in == NULL || out == NULL) {
        return 1;
    }
    printf("%-8s %-10s %-28s %-28s %s\n", "batch", "path", "zlib", "ISA-L",
           "ISA-L speed-up");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t len = make_records(in, sizes[s]);
        size_t zsz, isz;
        /* Inflate what zlib's default level wrote (Kafka clients' output). */
        size_t clen = zlib_deflate(6, in, len, out, cap);
        double zi = time_inflate(zlib_inflate, out, clen, len);
        double ii = time_inflate(isal_inflate_gzip, out, clen, len);
        printf("%-8zu %-10s %6.3f ns/B %7.1f MB/s     %6.3f ns/B %7.1f MB/s "
               "    %.2fx\n",
               len, "inflate", zi, 1e3 / zi, ii, 1e3 / ii, zi / ii);
        /* Deflate: zlib 6 and 1 against ISA-L 1 and 3, with the sizes. */
        static const int zl[] = {6, 1}, il[] = {3, 1};
        for (int k = 0; k < 2; k++) {
            double zd =
                time_deflate(zlib_deflate, zl[k], in, len, out, cap, &zsz);
            double id =
                time_deflate(isal_deflate_gzip, il[k], in, len, out, cap, &isz);
            if (zsz == 0 || isz == 0 || isal_inflate_gzip(out, isz) != len) {
                fprintf(stderr, "deflate failed\n");
                return 1;
            }
            printf("%-8zu deflate %d/%d %6.3f ns/B %7.1f MB/s %5.1f%%  %6.3f "
                   "ns/B %7.1f MB/s %5.1f%%  %.2fx\n",
                   len, zl[k], il[k], zd, 1e3 / zd, 100.0 * zsz / len, id,
                   1e3 / id, 100.0 * isz / len, zd / id);
        }
    }
    free(in);
    free(out);
    return 0;
}
