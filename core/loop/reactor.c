/* SPDX-License-Identifier: Apache-2.0 */
/* core/loop/reactor.c - see reactor.h. */
#define _GNU_SOURCE
#include "loop/reactor.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "loop/timer_heap.h"
#include "util/clock.h"

#define REACTOR_MAX_EVENTS 256

enum { STATE_IDLE = 0, STATE_RUNNING = 1, STATE_DONE = 2 };

typedef struct watch {
    int fd;
    bool dead;
    samsa_reactor_io_cb cb;
    void *arg;
    struct watch *next_dead;
} watch_t;

typedef struct post_item {
    samsa_reactor_post_fn fn;
    void *arg;
} post_item_t;

struct samsa_reactor {
    int epfd;
    int evfd;
    size_t index;
    pthread_t thread;
    bool has_thread;
    atomic_bool stop;
    atomic_int state;
    uint64_t now_ns;

    watch_t **watches; /* indexed by fd */
    size_t nwatches;
    watch_t *dead; /* unwatched during a batch, freed after it */

    samsa_timer_heap_t timers;

    pthread_mutex_t mu; /* guards the post queue and closed */
    post_item_t *q;
    size_t qlen, qcap;
    bool closed;
    post_item_t *runq; /* the swapped-out queue, reactor thread only */
    size_t runcap;
};

struct samsa_reactor_group {
    size_t n;
    atomic_size_t rr;
    samsa_reactor_t **r;
};

static _Thread_local samsa_reactor_t *tl_current;

samsa_err_t samsa_reactor_create(samsa_reactor_t **out)
{
    samsa_reactor_t *r = calloc(1, sizeof(*r));
    if (!r) {
        return SAMSA_ERR_NOMEM;
    }
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    r->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&r->mu, NULL);
    samsa_timer_heap_init(&r->timers);
    r->now_ns = (uint64_t)samsa_mono_ns();
    if (r->epfd < 0 || r->evfd < 0) {
        samsa_reactor_destroy(r);
        return SAMSA_ERR_IO;
    }
    /* data.ptr == NULL marks the eventfd. */
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->evfd, &ev) < 0) {
        samsa_reactor_destroy(r);
        return SAMSA_ERR_IO;
    }
    *out = r;
    return SAMSA_OK;
}

static void free_dead(samsa_reactor_t *r)
{
    while (r->dead) {
        watch_t *w = r->dead;
        r->dead = w->next_dead;
        free(w);
    }
}

void samsa_reactor_destroy(samsa_reactor_t *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->nwatches; i++) {
        free(r->watches[i]);
    }
    free(r->watches);
    free_dead(r);
    samsa_timer_heap_free(&r->timers);
    if (r->epfd >= 0) {
        close(r->epfd);
    }
    if (r->evfd >= 0) {
        close(r->evfd);
    }
    pthread_mutex_destroy(&r->mu);
    free(r->q);
    free(r->runq);
    free(r);
}

samsa_reactor_t *samsa_reactor_current(void)
{
    return tl_current;
}

size_t samsa_reactor_index(const samsa_reactor_t *r)
{
    return r->index;
}

uint64_t samsa_reactor_now_ms(const samsa_reactor_t *r)
{
    return r->now_ns / 1000000ull;
}

/* ---- watches ------------------------------------------------------------ */

samsa_err_t samsa_reactor_watch(samsa_reactor_t *r, int fd, uint32_t events,
                                samsa_reactor_io_cb cb, void *arg)
{
    if (fd < 0 || !cb) {
        return SAMSA_ERR_INVAL;
    }
    size_t ufd = (size_t)fd;
    if (ufd >= r->nwatches) {
        size_t n = r->nwatches ? r->nwatches : 64;
        while (n <= ufd) {
            n *= 2;
        }
        watch_t **nw = realloc(r->watches, n * sizeof(*nw));
        if (!nw) {
            return SAMSA_ERR_NOMEM;
        }
        memset(nw + r->nwatches, 0, (n - r->nwatches) * sizeof(*nw));
        r->watches = nw;
        r->nwatches = n;
    }
    if (r->watches[ufd]) {
        return SAMSA_ERR_EXISTS;
    }
    watch_t *w = calloc(1, sizeof(*w));
    if (!w) {
        return SAMSA_ERR_NOMEM;
    }
    w->fd = fd;
    w->cb = cb;
    w->arg = arg;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(w);
        return errno == EEXIST ? SAMSA_ERR_EXISTS : SAMSA_ERR_IO;
    }
    r->watches[ufd] = w;
    return SAMSA_OK;
}

static watch_t *find_watch(samsa_reactor_t *r, int fd)
{
    if (fd < 0 || (size_t)fd >= r->nwatches) {
        return NULL;
    }
    return r->watches[fd];
}

samsa_err_t samsa_reactor_modify(samsa_reactor_t *r, int fd, uint32_t events)
{
    watch_t *w = find_watch(r, fd);
    if (!w) {
        return SAMSA_ERR_NOT_FOUND;
    }
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(r->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
        return SAMSA_ERR_IO;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_reactor_unwatch(samsa_reactor_t *r, int fd)
{
    watch_t *w = find_watch(r, fd);
    if (!w) {
        return SAMSA_ERR_NOT_FOUND;
    }
    /* EPOLL_CTL_DEL may fail if the fd was already closed; the watch goes
     * either way (a closed fd leaves the epoll set by itself). */
    epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
    r->watches[fd] = NULL;
    /* The current epoll batch may still hold a pointer to w. */
    w->dead = true;
    w->next_dead = r->dead;
    r->dead = w;
    return SAMSA_OK;
}

/* ---- timers -------------------------------------------------------------- */

samsa_timer_id_t samsa_reactor_timer_add(samsa_reactor_t *r, uint64_t delay_ms,
                                         uint64_t repeat_ms,
                                         samsa_reactor_timer_cb cb, void *arg)
{
    /* Fresh clock, not the cached one: "never early" is measured from the
     * caller's point of view. */
    uint64_t due = (uint64_t)samsa_mono_ns() + delay_ms * 1000000ull;
    return samsa_timer_heap_add(&r->timers, due, repeat_ms, cb, arg);
}

bool samsa_reactor_timer_cancel(samsa_reactor_t *r, samsa_timer_id_t id)
{
    return samsa_timer_heap_cancel(&r->timers, id);
}

static void run_timers(samsa_reactor_t *r)
{
    samsa_timer_heap_t *h = &r->timers;
    /* Timers added by callbacks during this pass wait for the next one, so
     * a callback re-adding a zero-delay timer cannot starve I/O. */
    uint64_t pass_seq = h->seq;
    for (;;) {
        samsa_timer_fire_t f;
        if (!samsa_timer_heap_pop_due(h, r->now_ns, pass_seq, &f)) {
            break;
        }
        f.cb(r, f.arg);
        samsa_timer_heap_fired(h, &f, (uint64_t)samsa_mono_ns());
    }
}

static int next_timeout_ms(samsa_reactor_t *r)
{
    uint64_t due;
    if (!samsa_timer_heap_next(&r->timers, &due)) {
        return -1;
    }
    uint64_t now = (uint64_t)samsa_mono_ns();
    if (due <= now) {
        return 0;
    }
    /* Round up so a wake-up is never early. */
    uint64_t ms = (due - now + 999999ull) / 1000000ull;
    return ms > 3600000ull ? 3600000 : (int)ms;
}

/* ---- posts -------------------------------------------------------------- */

static void wake(samsa_reactor_t *r)
{
    uint64_t one = 1;
    ssize_t w;
    do {
        w = write(r->evfd, &one, sizeof(one));
    } while (w < 0 && errno == EINTR);
}

samsa_err_t samsa_reactor_post(samsa_reactor_t *r, samsa_reactor_post_fn fn,
                               void *arg)
{
    pthread_mutex_lock(&r->mu);
    if (r->closed) {
        pthread_mutex_unlock(&r->mu);
        return SAMSA_ERR_CLOSED;
    }
    if (r->qlen == r->qcap) {
        size_t n = r->qcap ? r->qcap * 2 : 64;
        post_item_t *nq = realloc(r->q, n * sizeof(*nq));
        if (!nq) {
            pthread_mutex_unlock(&r->mu);
            return SAMSA_ERR_NOMEM;
        }
        r->q = nq;
        r->qcap = n;
    }
    r->q[r->qlen++] = (post_item_t){fn, arg};
    /* Only the first post into an empty queue needs to wake the loop: the
     * loop reads the eventfd before it swaps the queue out. */
    bool first = r->qlen == 1;
    pthread_mutex_unlock(&r->mu);
    if (first) {
        wake(r);
    }
    return SAMSA_OK;
}

/* Run the queued posts; returns how many ran. With final, an empty queue
 * closes the reactor to further posts. */
static size_t run_posts(samsa_reactor_t *r, bool final)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->qlen;
    if (n == 0) {
        if (final) {
            r->closed = true;
        }
        pthread_mutex_unlock(&r->mu);
        return 0;
    }
    /* Swap buffers so posters never wait for the callbacks. */
    post_item_t *items = r->q;
    size_t cap = r->qcap;
    r->q = r->runq;
    r->qcap = r->runcap;
    r->qlen = 0;
    r->runq = items;
    r->runcap = cap;
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; i < n; i++) {
        items[i].fn(items[i].arg);
    }
    return n;
}

static void drain_eventfd(samsa_reactor_t *r)
{
    uint64_t v;
    while (read(r->evfd, &v, sizeof(v)) < 0 && errno == EINTR) {
    }
}

typedef struct call_ctx {
    samsa_reactor_post_fn fn;
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} call_ctx_t;

static void call_trampoline(void *p)
{
    call_ctx_t *c = p;
    c->fn(c->arg);
    pthread_mutex_lock(&c->mu);
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

samsa_err_t samsa_reactor_call(samsa_reactor_t *r, samsa_reactor_post_fn fn,
                               void *arg)
{
    if (tl_current == r || atomic_load(&r->state) != STATE_RUNNING) {
        fn(arg);
        return SAMSA_OK;
    }
    call_ctx_t c = {.fn = fn, .arg = arg, .done = false};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    samsa_err_t err = samsa_reactor_post(r, call_trampoline, &c);
    if (err == SAMSA_ERR_CLOSED) {
        fn(arg);
        err = SAMSA_OK;
    } else if (err == SAMSA_OK) {
        pthread_mutex_lock(&c.mu);
        while (!c.done) {
            pthread_cond_wait(&c.cv, &c.mu);
        }
        pthread_mutex_unlock(&c.mu);
    }
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
    return err;
}

/* ---- the loop ----------------------------------------------------------- */

static void dispatch(samsa_reactor_t *r, struct epoll_event *evs, int n)
{
    for (int i = 0; i < n; i++) {
        watch_t *w = evs[i].data.ptr;
        if (!w) {
            drain_eventfd(r);
            continue;
        }
        if (!w->dead) {
            w->cb(r, w->fd, evs[i].events, w->arg);
        }
    }
    free_dead(r);
}

static void run_loop(samsa_reactor_t *r)
{
    samsa_reactor_t *prev = tl_current;
    tl_current = r;
    struct epoll_event evs[REACTOR_MAX_EVENTS];
    while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
        int timeout = next_timeout_ms(r);
        int n = epoll_wait(r->epfd, evs, REACTOR_MAX_EVENTS, timeout);
        r->now_ns = (uint64_t)samsa_mono_ns();
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n > 0) {
            dispatch(r, evs, n);
        }
        run_timers(r);
        run_posts(r, false);
    }
    /* Posts may carry references (connections, requests): run them all. */
    while (run_posts(r, true) > 0) {
    }
    free_dead(r);
    tl_current = prev;
    atomic_store(&r->state, STATE_DONE);
}

samsa_err_t samsa_reactor_run(samsa_reactor_t *r)
{
    int expect = STATE_IDLE;
    if (!atomic_compare_exchange_strong(&r->state, &expect, STATE_RUNNING)) {
        return SAMSA_ERR_INVAL;
    }
    run_loop(r);
    return SAMSA_OK;
}

void samsa_reactor_stop(samsa_reactor_t *r)
{
    atomic_store_explicit(&r->stop, true, memory_order_release);
    wake(r);
}

static void *thread_main(void *arg)
{
    samsa_reactor_t *r = arg;
    char name[16];
    snprintf(name, sizeof(name), "samsa-r%zu", r->index);
    pthread_setname_np(pthread_self(), name);
    run_loop(r);
    return NULL;
}

samsa_err_t samsa_reactor_start(samsa_reactor_t *r)
{
    /* Running from now on, so samsa_reactor_call() waits for the thread
     * instead of running inline. */
    int expect = STATE_IDLE;
    if (!atomic_compare_exchange_strong(&r->state, &expect, STATE_RUNNING)) {
        return SAMSA_ERR_INVAL;
    }
    /* The new thread inherits this mask: signals go to the main thread's
     * signalfd, and SIGPIPE turns into EPIPE on the socket. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGPIPE);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&r->thread, NULL, thread_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        atomic_store(&r->state, STATE_IDLE);
        return SAMSA_ERR_NOMEM;
    }
    r->has_thread = true;
    return SAMSA_OK;
}

void samsa_reactor_join(samsa_reactor_t *r)
{
    if (r->has_thread) {
        pthread_join(r->thread, NULL);
        r->has_thread = false;
    }
}

/* ---- groups -------------------------------------------------------------- */

samsa_err_t samsa_reactor_group_create(size_t n, samsa_reactor_group_t **out)
{
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 0 ? (size_t)cpus : 1;
    }
    samsa_reactor_group_t *g = calloc(1, sizeof(*g));
    if (!g) {
        return SAMSA_ERR_NOMEM;
    }
    g->r = calloc(n, sizeof(*g->r));
    if (!g->r) {
        free(g);
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        samsa_err_t err = samsa_reactor_create(&g->r[i]);
        if (err != SAMSA_OK) {
            g->n = i;
            samsa_reactor_group_destroy(g);
            return err;
        }
        g->r[i]->index = i;
    }
    g->n = n;
    *out = g;
    return SAMSA_OK;
}

samsa_err_t samsa_reactor_group_start(samsa_reactor_group_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        samsa_err_t err = samsa_reactor_start(g->r[i]);
        if (err != SAMSA_OK) {
            samsa_reactor_group_stop(g);
            samsa_reactor_group_join(g);
            return err;
        }
    }
    return SAMSA_OK;
}

void samsa_reactor_group_stop(samsa_reactor_group_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        samsa_reactor_stop(g->r[i]);
    }
}

void samsa_reactor_group_join(samsa_reactor_group_t *g)
{
    for (size_t i = 0; i < g->n; i++) {
        samsa_reactor_join(g->r[i]);
    }
}

void samsa_reactor_group_destroy(samsa_reactor_group_t *g)
{
    if (!g) {
        return;
    }
    for (size_t i = 0; i < g->n; i++) {
        samsa_reactor_destroy(g->r[i]);
    }
    free(g->r);
    free(g);
}

size_t samsa_reactor_group_size(const samsa_reactor_group_t *g)
{
    return g->n;
}

samsa_reactor_t *samsa_reactor_group_get(samsa_reactor_group_t *g, size_t i)
{
    return i < g->n ? g->r[i] : NULL;
}

samsa_reactor_t *samsa_reactor_group_next(samsa_reactor_group_t *g)
{
    size_t i = atomic_fetch_add_explicit(&g->rr, 1, memory_order_relaxed);
    return g->r[i % g->n];
}
