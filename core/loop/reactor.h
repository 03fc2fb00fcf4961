/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/loop/reactor.h - one thread, one epoll loop: fd watches, timers and
 * cross-thread posts.
 *
 * Thread rules, in one place:
 *   - samsa_reactor_post() and samsa_reactor_stop() are safe from any thread.
 *   - Everything else (watch/modify/unwatch, timer add/cancel) is called on
 *     the reactor's own thread, or before the reactor runs. Another thread
 *     that wants a timer or a watch posts a function that does it.
 *   - Callbacks run on the reactor thread and must never block.
 *   - Callbacks may watch/unwatch any fd and add/cancel any timer, including
 *     their own; an fd unwatched inside a callback gets no further events
 *     from the same epoll batch.
 */
#ifndef SAMSA_REACTOR_H
#define SAMSA_REACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include <samsa/errors.h>

typedef struct samsa_reactor samsa_reactor_t;
typedef struct samsa_reactor_group samsa_reactor_group_t;

/* Timer handle: 0 is never a valid id. Ids are not reused for a long time
 * (a generation counter), so cancelling a fired one-shot id is a no-op. */
typedef uint64_t samsa_timer_id_t;
typedef samsa_timer_id_t samsa_timer_id; /* spelling used in the brief */

/* events: EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP/EPOLLRDHUP bits as reported. */
typedef void (*samsa_reactor_io_cb)(samsa_reactor_t *r, int fd, uint32_t events,
                                    void *arg);
typedef void (*samsa_reactor_timer_cb)(samsa_reactor_t *r, void *arg);
typedef void (*samsa_reactor_post_fn)(void *arg);

/* ---- one reactor --------------------------------------------------------- */

samsa_err_t samsa_reactor_create(samsa_reactor_t **out);
/* Stops nothing: call after the loop returned (join). Pending timers are
 * dropped without running; watched fds are not closed. */
void samsa_reactor_destroy(samsa_reactor_t *r);

/* Run the loop on the calling thread until samsa_reactor_stop(). Before
 * returning it runs every post already queued, then refuses new ones. */
samsa_err_t samsa_reactor_run(samsa_reactor_t *r);
/* Run the loop on a new thread (SIGTERM/SIGINT/SIGPIPE blocked in it). */
samsa_err_t samsa_reactor_start(samsa_reactor_t *r);
/* Ask the loop to return; any thread, idempotent. */
void samsa_reactor_stop(samsa_reactor_t *r);
/* Wait for the thread made by samsa_reactor_start(). */
void samsa_reactor_join(samsa_reactor_t *r);

/* The reactor running on this thread, or NULL off reactors. */
samsa_reactor_t *samsa_reactor_current(void);
/* Index in its group (0 for a lone reactor). */
size_t samsa_reactor_index(const samsa_reactor_t *r);
/* Monotonic time in ms, refreshed once per loop iteration (cheap). */
uint64_t samsa_reactor_now_ms(const samsa_reactor_t *r);

/* ---- fd watches (level-triggered) --------------------------------------- */

samsa_err_t samsa_reactor_watch(samsa_reactor_t *r, int fd, uint32_t events,
                                samsa_reactor_io_cb cb, void *arg);
samsa_err_t samsa_reactor_modify(samsa_reactor_t *r, int fd, uint32_t events);
samsa_err_t samsa_reactor_unwatch(samsa_reactor_t *r, int fd);

/* ---- timers -------------------------------------------------------------- */

/* Fire cb(r, arg) after delay_ms, then every repeat_ms if repeat_ms > 0.
 * Never fires early; timers due at the same ms fire in the order they were
 * added. Returns 0 on ENOMEM. */
samsa_timer_id_t samsa_reactor_timer_add(samsa_reactor_t *r, uint64_t delay_ms,
                                         uint64_t repeat_ms,
                                         samsa_reactor_timer_cb cb, void *arg);
/* Cancel; true if the timer was pending (or is the one running now and
 * was repeating). Safe from any callback, including the timer's own. */
bool samsa_reactor_timer_cancel(samsa_reactor_t *r, samsa_timer_id_t id);

/* ---- posts -------------------------------------------------------------- */

/* Run fn(arg) on the reactor thread soon, in post order per poster. Any
 * thread. SAMSA_ERR_CLOSED once the reactor has finished (the caller keeps
 * ownership of arg), SAMSA_ERR_NOMEM on allocation failure. */
samsa_err_t samsa_reactor_post(samsa_reactor_t *r, samsa_reactor_post_fn fn,
                               void *arg);
/* Run fn(arg) on the reactor and wait for it to return. Must not be called
 * from a reactor thread other than r (deadlock); on r it calls fn directly.
 * If r is not running (never started or finished) fn runs on the caller. */
samsa_err_t samsa_reactor_call(samsa_reactor_t *r, samsa_reactor_post_fn fn,
                               void *arg);

/* ---- groups -------------------------------------------------------------- */

/* n == 0: one reactor per online CPU. */
samsa_err_t samsa_reactor_group_create(size_t n, samsa_reactor_group_t **out);
samsa_err_t samsa_reactor_group_start(samsa_reactor_group_t *g);
void samsa_reactor_group_stop(samsa_reactor_group_t *g);
void samsa_reactor_group_join(samsa_reactor_group_t *g);
void samsa_reactor_group_destroy(samsa_reactor_group_t *g);
size_t samsa_reactor_group_size(const samsa_reactor_group_t *g);
samsa_reactor_t *samsa_reactor_group_get(samsa_reactor_group_t *g, size_t i);
/* Round-robin pick, any thread. */
samsa_reactor_t *samsa_reactor_group_next(samsa_reactor_group_t *g);

#endif /* SAMSA_REACTOR_H */
