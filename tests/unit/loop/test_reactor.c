/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/loop/test_reactor.c - timers, watches, posts and groups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop/reactor.h"

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- timers ------------------------------------------------------------- */

typedef struct trec {
    samsa_reactor_t *r;
    int order[16];
    uint64_t at[16];
    int n;
    uint64_t start;
    samsa_timer_id_t cancel_me;
    samsa_timer_id_t self;
    int count;
} trec_t;

typedef struct tagged {
    trec_t *rec;
    int tag;
} tagged_t;

static void record_cb(samsa_reactor_t *r, void *arg)
{
    tagged_t *t = arg;
    trec_t *rec = t->rec;
    rec->order[rec->n] = t->tag;
    rec->at[rec->n] = now_ms();
    rec->n++;
}

static void stop_cb(samsa_reactor_t *r, void *arg)
{
    samsa_reactor_stop(r);
}

static void test_timers_fire_in_deadline_order_and_never_early(void **state)
{
    samsa_reactor_t *r;
    assert_int_equal(samsa_reactor_create(&r), SAMSA_OK);
    trec_t rec = {.r = r};
    tagged_t t30 = {&rec, 30}, t10a = {&rec, 10}, t20 = {&rec, 20},
             t10b = {&rec, 11};
    rec.start = now_ms();
    assert_true(samsa_reactor_timer_add(r, 30, 0, record_cb, &t30) != 0);
    assert_true(samsa_reactor_timer_add(r, 10, 0, record_cb, &t10a) != 0);
    assert_true(samsa_reactor_timer_add(r, 20, 0, record_cb, &t20) != 0);
    assert_true(samsa_reactor_timer_add(r, 10, 0, record_cb, &t10b) != 0);
    samsa_reactor_timer_add(r, 40, 0, stop_cb, NULL);
    assert_int_equal(samsa_reactor_run(r), SAMSA_OK);
    assert_int_equal(rec.n, 4);
    int want[] = {10, 11, 20, 30};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rec.order[i], want[i]);
        int delay = want[i] == 11 ? 10 : want[i];
        assert_true(rec.at[i] - rec.start >= (uint64_t)delay);
    }
    samsa_reactor_destroy(r);
}

static void cancel_other_cb(samsa_reactor_t *r, void *arg)
{
    trec_t *rec = arg;
    assert_true(samsa_reactor_timer_cancel(r, rec->cancel_me));
    /* A second cancel of the same id is a no-op. */
    assert_false(samsa_reactor_timer_cancel(r, rec->cancel_me));
}

static void test_timer_cancel_before_run_and_from_another_callback(void **state)
{
    samsa_reactor_t *r;
    assert_int_equal(samsa_reactor_create(&r), SAMSA_OK);
    trec_t rec = {.r = r};
    tagged_t a = {&rec, 1}, b = {&rec, 2}, c = {&rec, 3};
    samsa_reactor_timer_add(r, 5, 0, record_cb, &a);
    samsa_timer_id_t idb = samsa_reactor_timer_add(r, 10, 0, record_cb, &b);
    assert_true(samsa_reactor_timer_cancel(r, idb));
    rec.cancel_me = samsa_reactor_timer_add(r, 20, 0, record_cb, &c);
    samsa_reactor_timer_add(r, 8, 0, cancel_other_cb, &rec);
    samsa_reactor_timer_add(r, 40, 0, stop_cb, NULL);
    samsa_reactor_run(r);
    assert_int_equal(rec.n, 1);
    assert_int_equal(rec.order[0], 1);
    /* Ids of fired or cancelled timers are dead. */
    assert_false(samsa_reactor_timer_cancel(r, idb));
    assert_false(samsa_reactor_timer_cancel(r, 0));
    samsa_reactor_destroy(r);
}

static void repeat_cb(samsa_reactor_t *r, void *arg)
{
    trec_t *rec = arg;
    rec->at[rec->count++] = now_ms();
    if (rec->count == 3) {
        assert_true(samsa_reactor_timer_cancel(r, rec->self));
    }
}

static void test_repeating_timer_fires_spaced_and_cancels_itself(void **state)
{
    samsa_reactor_t *r;
    assert_int_equal(samsa_reactor_create(&r), SAMSA_OK);
    trec_t rec = {.r = r};
    rec.start = now_ms();
    rec.self = samsa_reactor_timer_add(r, 5, 10, repeat_cb, &rec);
    assert_true(rec.self != 0);
    samsa_reactor_timer_add(r, 80, 0, stop_cb, NULL);
    samsa_reactor_run(r);
    assert_int_equal(rec.count, 3);
    assert_true(rec.at[0] - rec.start >= 5);
    assert_true(rec.at[1] - rec.at[0] >= 10);
    assert_true(rec.at[2] - rec.at[1] >= 10);
    assert_false(samsa_reactor_timer_cancel(r, rec.self));
    samsa_reactor_destroy(r);
}

static void readd_zero_cb(samsa_reactor_t *r, void *arg)
{
    trec_t *rec = arg;
    if (++rec->count < 1000) {
        samsa_reactor_timer_add(r, 0, 0, readd_zero_cb, rec);
    } else {
        samsa_reactor_stop(r);
    }
}

static void test_zero_delay_timer_chain_does_not_spin_one_pass(void **state)
{
    samsa_reactor_t *r;
    assert_int_equal(samsa_reactor_create(&r), SAMSA_OK);
    trec_t rec = {.r = r};
    samsa_reactor_timer_add(r, 0, 0, readd_zero_cb, &rec);
    samsa_reactor_run(r);
    assert_int_equal(rec.count, 1000);
    samsa_reactor_destroy(r);
}

/* ---- watches ------------------------------------------------------------ */

typedef struct pipes {
    int a[2], b[2];
    int reads;
} pipes_t;

static void pipe_cb(samsa_reactor_t *r, int fd, uint32_t events, void *arg)
{
    pipes_t *p = arg;
    char c;
    assert_true(events & EPOLLIN);
    assert_int_equal(read(fd, &c, 1), 1);
    p->reads++;
    /* Unwatch both: the other one, ready in the same batch, must not be
     * delivered after this. */
    samsa_reactor_unwatch(r, p->a[0]);
    samsa_reactor_unwatch(r, p->b[0]);
    samsa_reactor_stop(r);
}

static void test_unwatch_inside_callback_suppresses_same_batch(void **state)
{
    samsa_reactor_t *r;
    assert_int_equal(samsa_reactor_create(&r), SAMSA_OK);
    pipes_t p = {0};
    assert_int_equal(pipe(p.a), 0);
    assert_int_equal(pipe(p.b), 0);
    assert_int_equal(samsa_reactor_watch(r, p.a[0], EPOLLIN, pipe_cb, &p),
                     SAMSA_OK);
    assert_int_equal(samsa_reactor_watch(r, p.b[0], EPOLLIN, pipe_cb, &p),
                     SAMSA_OK);
    assert_int_equal(samsa_reactor_watch(r, p.b[0], EPOLLIN, pipe_cb, &p),
                     SAMSA_ERR_EXISTS);
    assert_int_equal(write(p.a[1], "x", 1), 1);
    assert_int_equal(write(p.b[1], "y", 1), 1);
    samsa_reactor_run(r);
    assert_int_equal(p.reads, 1);
    assert_int_equal(samsa_reactor_unwatch(r, p.a[0]), SAMSA_ERR_NOT_FOUND);
    close(p.a[0]);
    close(p.a[1]);
    close(p.b[0]);
    close(p.b[1]);
    samsa_reactor_destroy(r);
}

/* ---- posts -------------------------------------------------------------- */

typedef struct wake_ctx {
    samsa_reactor_t *r;
    atomic_int seen;
    samsa_reactor_t *current;
} wake_ctx_t;

static void wake_fn(void *arg)
{
    wake_ctx_t *w = arg;
    w->current = samsa_reactor_current();
    atomic_store(&w->seen, 1);
}

static void *poster_thread(void *arg)
{
    wake_ctx_t *w = arg;
    assert_int_equal(samsa_reactor_post(w->r, wake_fn, w), SAMSA_OK);
    return NULL;
}

static bool wait_flag(atomic_int *f, int want)
{
    for (int i = 0; i < 5000; i++) {
        if (atomic_load(f) == want) {
            return true;
        }
        usleep(1000);
    }
    return false;
}

static void test_post_from_other_thread_wakes_idle_reactor(void **state)
{
    samsa_reactor_t *r;
    assert_int_equal(samsa_reactor_create(&r), SAMSA_OK);
    assert_int_equal(samsa_reactor_start(r), SAMSA_OK);
    assert_null(samsa_reactor_current());
    usleep(20000); /* let it block in epoll_wait with no timers */
    wake_ctx_t w = {.r = r};
    pthread_t t;
    pthread_create(&t, NULL, poster_thread, &w);
    pthread_join(t, NULL);
    assert_true(wait_flag(&w.seen, 1));
    assert_ptr_equal(w.current, r);
    samsa_reactor_stop(r);
    samsa_reactor_join(r);
    /* Finished: posts are refused, calls run inline. */
    assert_int_equal(samsa_reactor_post(r, wake_fn, &w), SAMSA_ERR_CLOSED);
    w.current = (samsa_reactor_t *)1;
    assert_int_equal(samsa_reactor_call(r, wake_fn, &w), SAMSA_OK);
    assert_null(w.current);
    samsa_reactor_destroy(r);
}

#define MANY 100000

typedef struct many_ctx {
    samsa_reactor_t *r;
    uint8_t hits[2 * MANY];
    int base;
} many_ctx_t;

static many_ctx_t *g_many;

static void many_fn(void *arg)
{
    g_many->hits[(uintptr_t)arg]++;
}

typedef struct many_thread {
    many_ctx_t *m;
    int base;
} many_thread_t;

static void *many_poster(void *arg)
{
    many_thread_t *t = arg;
    for (int i = 0; i < MANY; i++) {
        uintptr_t idx = (uintptr_t)(t->base + i);
        while (samsa_reactor_post(t->m->r, many_fn, (void *)idx) != SAMSA_OK) {
            usleep(100);
        }
    }
    return NULL;
}

static void noop_fn(void *arg)
{
    (void)arg;
}

static void test_many_posts_from_two_threads_run_exactly_once(void **state)
{
    static many_ctx_t m;
    memset(&m, 0, sizeof(m));
    g_many = &m;
    assert_int_equal(samsa_reactor_create(&m.r), SAMSA_OK);
    assert_int_equal(samsa_reactor_start(m.r), SAMSA_OK);
    many_thread_t a = {&m, 0}, b = {&m, MANY};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, many_poster, &a);
    pthread_create(&tb, NULL, many_poster, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    /* A synchronous call queues behind every earlier post. */
    assert_int_equal(samsa_reactor_call(m.r, noop_fn, NULL), SAMSA_OK);
    samsa_reactor_stop(m.r);
    samsa_reactor_join(m.r);
    for (int i = 0; i < 2 * MANY; i++) {
        if (m.hits[i] != 1) {
            fail_msg("post %d ran %d times", i, m.hits[i]);
        }
    }
    samsa_reactor_destroy(m.r);
}

static void post_then_stop_fn(void *arg)
{
    atomic_int *n = arg;
    atomic_fetch_add(n, 1);
}

static void test_posts_queued_before_stop_still_run(void **state)
{
    samsa_reactor_t *r;
    assert_int_equal(samsa_reactor_create(&r), SAMSA_OK);
    atomic_int n = 0;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(samsa_reactor_post(r, post_then_stop_fn, &n),
                         SAMSA_OK);
    }
    samsa_reactor_stop(r);
    samsa_reactor_run(r);
    assert_int_equal(atomic_load(&n), 10);
    samsa_reactor_destroy(r);
}

/* ---- groups -------------------------------------------------------------- */

typedef struct group_ctx {
    atomic_int seen[4];
} group_ctx_t;

typedef struct group_arg {
    group_ctx_t *g;
    size_t want;
} group_arg_t;

static void group_fn(void *arg)
{
    group_arg_t *a = arg;
    samsa_reactor_t *cur = samsa_reactor_current();
    if (cur && samsa_reactor_index(cur) == a->want) {
        atomic_fetch_add(&a->g->seen[a->want], 1);
    }
}

static void test_group_runs_posts_on_each_reactor_thread(void **state)
{
    samsa_reactor_group_t *g;
    assert_int_equal(samsa_reactor_group_create(3, &g), SAMSA_OK);
    assert_int_equal(samsa_reactor_group_size(g), 3);
    assert_int_equal(samsa_reactor_group_start(g), SAMSA_OK);
    group_ctx_t ctx = {0};
    group_arg_t args[3];
    for (size_t i = 0; i < 3; i++) {
        args[i] = (group_arg_t){&ctx, i};
        samsa_reactor_call(samsa_reactor_group_get(g, i), group_fn, &args[i]);
    }
    samsa_reactor_t *first = samsa_reactor_group_next(g);
    samsa_reactor_group_next(g);
    samsa_reactor_group_next(g);
    assert_ptr_equal(samsa_reactor_group_next(g), first);
    samsa_reactor_group_stop(g);
    samsa_reactor_group_join(g);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(atomic_load(&ctx.seen[i]), 1);
    }
    samsa_reactor_group_destroy(g);

    assert_int_equal(samsa_reactor_group_create(0, &g), SAMSA_OK);
    assert_true(samsa_reactor_group_size(g) >= 1);
    samsa_reactor_group_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_deadline_order_and_never_early),
        cmocka_unit_test(
            test_timer_cancel_before_run_and_from_another_callback),
        cmocka_unit_test(test_repeating_timer_fires_spaced_and_cancels_itself),
        cmocka_unit_test(test_zero_delay_timer_chain_does_not_spin_one_pass),
        cmocka_unit_test(test_unwatch_inside_callback_suppresses_same_batch),
        cmocka_unit_test(test_post_from_other_thread_wakes_idle_reactor),
        cmocka_unit_test(test_many_posts_from_two_threads_run_exactly_once),
        cmocka_unit_test(test_posts_queued_before_stop_still_run),
        cmocka_unit_test(test_group_runs_posts_on_each_reactor_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
