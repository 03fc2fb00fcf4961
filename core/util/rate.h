/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/rate.h - Kafka's sampled Rate (org.apache.kafka.common.metrics
 * Rate over a SampledStat): @c num samples of @c window_ms each; the rate
 * is the samples' total over their span, the span counted as at least
 * min_windows full windows (Kafka: num - 1), so a first burst is spread
 * over that long.
 * Client quotas (core/security/quota.c) and replication throttles
 * (core/replica/throttle.c) measure with it.
 *
 * Threads: none of its own; the owner serializes calls (a mutex).
 */
#ifndef SAMSA_UTIL_RATE_H
#define SAMSA_UTIL_RATE_H

#include <stdint.h>

typedef struct samsa_rate_sample {
    int64_t start_ms;
    double total;
} samsa_rate_sample_t;

typedef struct samsa_rate {
    int32_t num;
    int64_t window_ms;
    int32_t cur;
    /* Windows the span counts at least: num - 1 after init, as Kafka;
     * the owner may lower it (client quotas, core/security/quota.c). */
    int32_t min_windows;
    samsa_rate_sample_t *s; /* num samples, the owner's memory */
} samsa_rate_t;

/* Start measuring at @p now_ms (monotonic) into @p samples (@p num of
 * them, kept by the caller as long as @p r is used). */
void samsa_rate_init(samsa_rate_t *r, samsa_rate_sample_t *samples, int32_t num,
                     int64_t window_ms, int64_t now_ms);

/* Add @p amount (negative takes back) at @p now_ms, then measure: the rate
 * per second; *span_ms (may be NULL) gets the span it was measured over.
 * Recording 0 measures only. */
double samsa_rate_record(samsa_rate_t *r, double amount, int64_t now_ms,
                         double *span_ms);

#endif /* SAMSA_UTIL_RATE_H */
