/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_crc32c.c - CRC-32C speed, in one run (a benchmark, not a test):
 *
 *   bench_crc32c
 *
 * For buffers of 64 B, 1 KiB, 16 KiB and 1 MiB: samsa_crc32c (the one
 * the broker uses, ISA-L's crc32_iscsi since this benchmark chose it), and
 * the baseline it replaced: the SSE4.2 crc32 instruction 8 bytes at a time,
 * kept here only so the comparison can be re-run. Each figure is the best
 * of 5 rounds of ~256 MiB checksummed; prints ns/byte and GB/s, for
 * independent calls (the broker's case: one call per batch) and chained
 * ones (each seeded from the last result, so only latency counts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crc32c.h"

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
baseline_sse42(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t c = ~crc;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        len -= 8;
    }
    while (len--) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    }
    return ~(uint32_t)c;
}
#endif

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Best ns/byte of 5 rounds; *out keeps the result live. */
static double measure(crc_fn fn, const uint8_t *buf, size_t len, int chained,
                      uint32_t *out)
{
    size_t iters = ((size_t)256 << 20) / len;
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        uint32_t acc = 0;
        double t0 = now_s();
        for (size_t i = 0; i < iters; i++) {
            acc ^= fn(chained ? acc : 0, buf, len);
        }
        double ns = (now_s() - t0) * 1e9 / ((double)iters * (double)len);
        if (ns < best) {
            best = ns;
        }
        *out ^= acc;
    }
    return best;
}

int main(void)
{
    static const size_t sizes[] = {64, 1024, 16 << 10, 1 << 20};
    uint8_t *buf = malloc(1 << 20);
    if (buf == NULL) {
        return 1;
    }
    for (size_t i = 0; i < 1 << 20; i++) {
        buf[i] = (uint8_t)(i * 2654435761u >> 13);
    }
    uint32_t sink = 0;
    printf("%-7s %-8s  %-22s  %-22s  %s\n", "calls", "size",
           "samsa_crc32c (ISA-L)", "baseline (SSE4.2 8B)", "speed-up");
    for (size_t s = 0; s < 2 * sizeof(sizes) / sizeof(sizes[0]); s++) {
        int chained = s >= sizeof(sizes) / sizeof(sizes[0]);
        size_t len = sizes[s % (sizeof(sizes) / sizeof(sizes[0]))];
        double a = measure(samsa_crc32c, buf, len, chained, &sink);
#if defined(__x86_64__)
        if (samsa_crc32c(0, buf, len) != baseline_sse42(0, buf, len)) {
            fprintf(stderr, "mismatch at %zu bytes\n", len);
            return 1;
        }
        double b = measure(baseline_sse42, buf, len, chained, &sink);
#else
        double b = 0;
#endif
        printf("%-7s %-8zu  %6.3f ns/B %6.2f GB/s  %6.3f ns/B %6.2f GB/s  "
               "%.2fx\n",
               chained ? "chained" : "indep", len, a, 1 / a, b,
               b > 0 ? 1 / b : 0, a > 0 ? b / a : 0);
    }
    free(buf);
    return sink == 0x12345678u ? 2 : 0; /* never; keeps sink used */
}
