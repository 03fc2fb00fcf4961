/* SPDX-License-Identifier: Apache-2.0 */
/* Host services table: memory accounting, metrics, timers, clocks, log
 * prefixes, error strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/metrics.h"
#include "registry/registry.h"
#include "registry/timers.h"
#include "util/err.h"
#include "util/log.h"

static void services_table_is_complete(void **state)
{
    const samsa_services_t *svc = samsa_services();

    (void)state;
    assert_int_equal(svc->hdr.abi_major, SAMSA_ABI_MAJOR);
    assert_int_equal(svc->hdr.struct_size, sizeof(samsa_services_t));
    /* Every slot is filled: a NULL here would crash a plugin. */
    for (size_t off = sizeof(samsa_abi_header_t);
         off < sizeof(samsa_services_t); off += sizeof(void *)) {
        void *p;
        memcpy(&p, (const char *)svc + off, sizeof(p));
        assert_non_null(p);
    }
}

static void alloc_realloc_free_are_counted(void **state)
{
    const samsa_services_t *svc = samsa_services();
    int64_t a0, b0, a, b;
    char *p;

    (void)state;
    samsa_services_mem_stats(&a0, &b0);
    p = svc->alloc(100);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    samsa_services_mem_stats(&a, &b);
    assert_int_equal(a - a0, 1);
    assert_int_equal(b - b0, 100);
    p = svc->realloc(p, 300);
    samsa_services_mem_stats(&a, &b);
    assert_int_equal(b - b0, 300);
    svc->free(p);
    svc->free(NULL);
    samsa_services_mem_stats(&a, &b);
    assert_int_equal(a, a0);
    assert_int_equal(b, b0);
}

static void metrics_are_prefixed_and_released_with_their_owner(void **state)
{
    const samsa_services_t *svc = samsa_services();
    samsa_instance_t inst = {.name = "inst1"};
    samsa_metric_t *c, *g;

    (void)state;
    c = svc->metric_register(&inst, "hits", SAMSA_METRIC_COUNTER, "hits");
    g = svc->metric_register(&inst, "depth", SAMSA_METRIC_GAUGE, "depth");
    assert_non_null(c);
    assert_ptr_equal(
        svc->metric_register(&inst, "hits", SAMSA_METRIC_COUNTER, "again"), c);
    assert_null(svc->metric_register(&inst, "hits", SAMSA_METRIC_GAUGE, ""));
    svc->metric_add(c, 2);
    svc->metric_add(c, 3);
    svc->metric_set(g, 7);
    svc->metric_set(g, 4);
    assert_ptr_equal(samsa_metric_find("inst1.hits"), c);
    assert_int_equal(samsa_metric_get(c), 5);
    assert_int_equal(samsa_metric_get(g), 4);
    samsa_metrics_release_owner(&inst);
    assert_null(samsa_metric_find("inst1.hits"));
    assert_null(samsa_metric_find("inst1.depth"));
}

static void tick(void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
}

static void wait_for(_Atomic int *n, int want)
{
    /* Bounded wait: 2 s is far above the 5 ms timers used here. */
    for (int i = 0; i < 2000 && atomic_load(n) < want; i++) {
        usleep(1000);
    }
}

static void repeating_timer_fires_until_stopped(void **state)
{
    const samsa_services_t *svc = samsa_services();
    _Atomic int n = 0;
    samsa_timer_t *t;
    int seen;

    (void)state;
    t = svc->timer_start(NULL, 5, true, tick, &n);
    assert_non_null(t);
    wait_for(&n, 3);
    svc->timer_stop(t);
    seen = atomic_load(&n);
    assert_true(seen >= 3);
    usleep(20000);
    assert_int_equal(atomic_load(&n), seen);
}

static void one_shot_timer_fires_once(void **state)
{
    const samsa_services_t *svc = samsa_services();
    _Atomic int n = 0;
    samsa_timer_t *late, *t;

    (void)state;
    late = svc->timer_start(NULL, 60000, false, tick, &n);
    t = svc->timer_start(NULL, 1, false, tick, &n);
    wait_for(&n, 1);
    usleep(10000);
    assert_int_equal(atomic_load(&n), 1);
    svc->timer_stop(t);
    svc->timer_stop(late);
    assert_null(svc->timer_start(NULL, 0, true, tick, &n));
    samsa_timers_shutdown();
}

static void timers_left_by_an_owner_are_released(void **state)
{
    samsa_instance_t inst = {.name = "leaky"};
    _Atomic int n = 0;

    (void)state;
    samsa_timer_start(&inst, 1000, true, tick, &n);
    samsa_timer_start(&inst, 2000, true, tick, &n);
    samsa_timer_start(NULL, 3000, true, tick, &n);
    assert_int_equal(samsa_timers_release_owner(&inst), 2);
    assert_int_equal(samsa_timers_release_owner(&inst), 0);
    samsa_timers_shutdown();
}

static void clocks_are_sane(void **state)
{
    const samsa_services_t *svc = samsa_services();
    int64_t m1 = svc->monotonic_ms(), m2;

    (void)state;
    assert_true(svc->now_ms() > 1600000000000LL);
    usleep(2000);
    m2 = svc->monotonic_ms();
    assert_true(m2 >= m1 + 1);
}

static void log_lines_carry_kind_plugin_instance(void **state)
{
    const samsa_services_t *svc = samsa_services();
    samsa_registry_entry_t e = {0};
    char path[] = "/tmp/samsa-log-XXXXXX";
    char buf[512] = {0};
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    e.kind = SAMSA_KIND_STORAGE;
    e.name = "segment";
    e.plugin = "storage-segment";
    e.desc.name = "storage-segment";
    e.inst.name = "segment";
    samsa_log_set_fd(fd);
    svc->log(&e.inst, SAMSA_LOG_ERROR, "disk %s", "full");
    svc->log(NULL, SAMSA_LOG_ERROR, "early");
    samsa_log_set_fd(-1);
    assert_true(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
    close(fd);
    unlink(path);
    assert_non_null(strstr(buf, "[storage/storage-segment/segment] disk full"));
    assert_non_null(strstr(buf, "[plugin] early"));
}

static void errors_have_names_and_strings(void **state)
{
    (void)state;
    assert_string_equal(samsa_err_name(SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION),
                        "UNKNOWN_TOPIC_OR_PARTITION");
    assert_string_equal(samsa_err_name(SAMSA_ERR_NOMEM), "NOMEM");
    assert_string_equal(samsa_err_name(SAMSA_OK), "NONE");
    assert_string_equal(samsa_err_str(SAMSA_ERR_NOMEM), "out of memory");
    assert_string_equal(samsa_services()->err_str(SAMSA_ERR_TIMEOUT),
                        "timed out");
    assert_string_equal(samsa_err_name((samsa_err_t)12345),
                        "UNKNOWN_ERROR_CODE");
    assert_string_equal(samsa_err_str((samsa_err_t)-5000),
                        "unknown error code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(services_table_is_complete),
        cmocka_unit_test(alloc_realloc_free_are_counted),
        cmocka_unit_test(metrics_are_prefixed_and_released_with_their_owner),
        cmocka_unit_test(repeating_timer_fires_until_stopped),
        cmocka_unit_test(one_shot_timer_fires_once),
        cmocka_unit_test(timers_left_by_an_owner_are_released),
        cmocka_unit_test(clocks_are_sane),
        cmocka_unit_test(log_lines_carry_kind_plugin_instance),
        cmocka_unit_test(errors_have_names_and_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
