/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/log_limit.h - log lines a client can trigger, rate-limited.
 *
 * A line that any client can cause (a malformed request, a bad frame) must
 * not let that client flood the log. Each such call site owns one limiter:
 * at most `burst` lines per `window_ms`; the rest are counted, and the next
 * line written says how many were suppressed since the previous one.
 *
 *     static samsa_log_limit_t bad_frame = SAMSA_LOG_LIMIT_INIT(10, 60000);
 *     samsa_log_limited(&bad_frame, SAMSA_LOG_WARN, "net: %s: ...", peer);
 *
 * Safe from any thread (a mutex per limiter; the path is rare by nature).
 */
#ifndef SAMSA_LOG_LIMIT_H
#define SAMSA_LOG_LIMIT_H

#include <pthread.h>
#include <stdint.h>

#include "util/log.h"

typedef struct samsa_log_limit {
    pthread_mutex_t mu;
    uint32_t burst;       /* lines written per window */
    uint32_t window_ms;   /* window length */
    int64_t window_start; /* samsa_mono_ms() when the window began */
    uint32_t written;     /* lines written in this window */
    uint64_t suppressed;  /* lines dropped since the last one written */
} samsa_log_limit_t;

#define SAMSA_LOG_LIMIT_INIT(burst_, window_ms_)                               \
    {                                                                          \
        .mu = PTHREAD_MUTEX_INITIALIZER, .burst = (burst_),                    \
        .window_ms = (window_ms_), .window_start = -1,                         \
    }

/* Like samsa_log(), through @p lim. */
void samsa_log_limited(samsa_log_limit_t *lim, samsa_log_level_t lvl,
                       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* SAMSA_LOG_LIMIT_H */
