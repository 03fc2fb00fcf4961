/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/clock.h - the clocks: monotonic time for timeouts and
 * intervals, wall time for record timestamps and logs. The one copy in
 * samsad; plugins get the same two through the services table
 * (services->now_ms, services->monotonic_ms). Safe from any thread.
 */
#ifndef SAMSA_UTIL_CLOCK_H
#define SAMSA_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds, microseconds, milliseconds. */
int64_t samsa_mono_ns(void);
int64_t samsa_mono_us(void);
int64_t samsa_mono_ms(void);

/* CLOCK_REALTIME in milliseconds since the epoch (Kafka timestamps). */
int64_t samsa_wall_ms(void);

/* Absolute time @p ms from now on @p clock, for pthread_cond_timedwait
 * (CLOCK_REALTIME unless the condition's clock attribute says otherwise). */
struct timespec samsa_deadline(clockid_t clock, int64_t ms);

#endif /* SAMSA_UTIL_CLOCK_H */
