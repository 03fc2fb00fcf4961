/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/clock.c - see clock.h. */
#include "util/clock.h"

static int64_t ns_of(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t samsa_mono_ns(void)
{
    return ns_of(CLOCK_MONOTONIC);
}

int64_t samsa_mono_us(void)
{
    return ns_of(CLOCK_MONOTONIC) / 1000;
}

int64_t samsa_mono_ms(void)
{
    return ns_of(CLOCK_MONOTONIC) / 1000000;
}

int64_t samsa_wall_ms(void)
{
    return ns_of(CLOCK_REALTIME) / 1000000;
}

struct timespec samsa_deadline(clockid_t clock, int64_t ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    int64_t ns = ts.tv_nsec + (ms % 1000) * 1000000;
    ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}
