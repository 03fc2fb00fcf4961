/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/timers.c - one background thread running plugin timers. */
#include "registry/timers.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct samsa_timer {
    const samsa_instance_t *owner;
    int64_t due_ms; /* monotonic deadline */
    uint64_t interval_ms;
    bool repeat;
    bool queued;   /* in the due list */
    bool stopping; /* timer_stop() waits for the callback */
    void (*cb)(void *arg);
    void *arg;
    struct samsa_timer *next;     /* due list */
    struct samsa_timer *all_next; /* every live timer (release_owner) */
};

typedef struct timer_host {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* new earlier timer, or quit */
    pthread_cond_t idle; /* a callback finished */
    bool cond_ready;
    bool running; /* thread started */
    bool quit;
    pthread_t thread;
    samsa_timer_t *due; /* sorted by due_ms */
    samsa_timer_t *all;
    samsa_timer_t *current; /* callback in progress */
} timer_host_t;

static timer_host_t timers = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void due_insert(samsa_timer_t *t)
{
    samsa_timer_t **pp = &timers.due;

    while (*pp != NULL && (*pp)->due_ms <= t->due_ms) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    *pp = t;
    t->queued = true;
}

static void due_remove(samsa_timer_t *t)
{
    for (samsa_timer_t **pp = &timers.due; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->queued = false;
}

static void all_remove(samsa_timer_t *t)
{
    for (samsa_timer_t **pp = &timers.all; *pp != NULL; pp = &(*pp)->all_next) {
        if (*pp == t) {
            *pp = t->all_next;
            return;
        }
    }
}

static void wait_until(int64_t due_ms)
{
    struct timespec ts;

    ts.tv_sec = due_ms / 1000;
    ts.tv_nsec = (due_ms % 1000) * 1000000;
    pthread_cond_timedwait(&timers.wake, &timers.lock, &ts);
}

static void *timer_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&timers.lock);
    while (!timers.quit) {
        samsa_timer_t *t = timers.due;
        if (t == NULL) {
            pthread_cond_wait(&timers.wake, &timers.lock);
            continue;
        }
        if (t->due_ms > samsa_mono_ms()) {
            wait_until(t->due_ms);
            continue;
        }
        due_remove(t);
        timers.current = t;
        pthread_mutex_unlock(&timers.lock);
        t->cb(t->arg);
        pthread_mutex_lock(&timers.lock);
        timers.current = NULL;
        if (t->repeat && !t->stopping) {
            /* Next deadline from now, so a slow callback never causes a
             * burst of catch-up runs. */
            t->due_ms = samsa_mono_ms() + (int64_t)t->interval_ms;
            due_insert(t);
        }
        pthread_cond_broadcast(&timers.idle);
    }
    pthread_mutex_unlock(&timers.lock);
    return NULL;
}

static bool ensure_thread_locked(void)
{
    if (!timers.cond_ready) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&timers.wake, &attr);
        pthread_cond_init(&timers.idle, NULL);
        pthread_condattr_destroy(&attr);
        timers.cond_ready = true;
    }
    if (!timers.running) {
        timers.quit = false;
        if (pthread_create(&timers.thread, NULL, timer_main, NULL) != 0) {
            return false;
        }
        timers.running = true;
    }
    return true;
}

samsa_timer_t *samsa_timer_start(const samsa_instance_t *owner,
                                 uint64_t interval_ms, bool repeat,
                                 void (*cb)(void *arg), void *arg)
{
    samsa_timer_t *t;

    if (cb == NULL || (repeat && interval_ms == 0)) {
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    t->owner = owner;
    t->interval_ms = interval_ms;
    t->repeat = repeat;
    t->cb = cb;
    t->arg = arg;
    pthread_mutex_lock(&timers.lock);
    if (!ensure_thread_locked()) {
        pthread_mutex_unlock(&timers.lock);
        free(t);
        return NULL;
    }
    t->due_ms = samsa_mono_ms() + (int64_t)interval_ms;
    due_insert(t);
    t->all_next = timers.all;
    timers.all = t;
    pthread_cond_signal(&timers.wake);
    pthread_mutex_unlock(&timers.lock);
    return t;
}

static void stop_locked(samsa_timer_t *t)
{
    t->stopping = true;
    if (t->queued) {
        due_remove(t);
    }
    while (timers.current == t) {
        pthread_cond_wait(&timers.idle, &timers.lock);
    }
    all_remove(t);
    free(t);
}

void samsa_timer_stop(samsa_timer_t *t)
{
    if (t == NULL) {
        return;
    }
    pthread_mutex_lock(&timers.lock);
    stop_locked(t);
    pthread_mutex_unlock(&timers.lock);
}

int samsa_timers_release_owner(const samsa_instance_t *owner)
{
    int n = 0;

    pthread_mutex_lock(&timers.lock);
    /* stop_locked() may drop the lock while it waits, so rescan from the
     * head after each stop instead of keeping a next pointer. */
    for (samsa_timer_t *t = timers.all; t != NULL;) {
        if (t->owner == owner) {
            stop_locked(t);
            n++;
            t = timers.all;
        } else {
            t = t->all_next;
        }
    }
    pthread_mutex_unlock(&timers.lock);
    return n;
}

void samsa_timers_shutdown(void)
{
    pthread_t thread;
    bool joined = false;

    pthread_mutex_lock(&timers.lock);
    while (timers.all != NULL) {
        stop_locked(timers.all);
    }
    if (timers.running) {
        timers.quit = true;
        pthread_cond_signal(&timers.wake);
        thread = timers.thread;
        timers.running = false;
        joined = true;
    }
    pthread_mutex_unlock(&timers.lock);
    if (joined) {
        pthread_join(thread, NULL);
    }
}
