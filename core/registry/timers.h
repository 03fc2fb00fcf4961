/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/registry/timers.h - the host's background timer thread.
 *
 * One thread (started at the first timer) runs every plugin timer in due
 * order from a list sorted by deadline, sleeping on a condition variable
 * with CLOCK_MONOTONIC. Callbacks run without the lock held, one at a
 * time. Backs services->timer_start/timer_stop.
 */
#ifndef SAMSA_REGISTRY_TIMERS_H
#define SAMSA_REGISTRY_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include <samsa/plugin.h>

/** Run @p cb(@p arg) after @p interval_ms, then every interval_ms when
 *  @p repeat. NULL on failure. A fired one-shot timer stays allocated
 *  until samsa_timer_stop(). */
samsa_timer_t *samsa_timer_start(const samsa_instance_t *owner,
                                 uint64_t interval_ms, bool repeat,
                                 void (*cb)(void *arg), void *arg);

/** Cancel and free @p t, waiting for a running callback to return. Must not
 *  be called from @p t's own callback. NULL is ignored. */
void samsa_timer_stop(samsa_timer_t *t);

/** Stop every timer @p owner left running; returns how many. */
int samsa_timers_release_owner(const samsa_instance_t *owner);

/** Stop all timers and join the thread (process shutdown). The thread
 *  restarts on the next samsa_timer_start(). */
void samsa_timers_shutdown(void);

#endif /* SAMSA_REGISTRY_TIMERS_H */
