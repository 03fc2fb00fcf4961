/* SPDX-License-Identifier: Apache-2.0 */
/* The controller's probe of a silent broker (broker_probe.h): when it
 * probes, that only a refused connect fences, and what real probes answer
 * on loopback: a port where nothing listens refuses (kill -9), a listener
 * accepts (alive, or stopped: the kernel accepts), a listener whose
 * backlog is full drops the SYN (a partition) and the probe times out. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "../transport/loopback.h"
#include "metadata/broker_probe.h"

static void probes_only_an_overdue_broker(void **state)
{
    (void)state;
    /* Heartbeats every 2000 ms: overdue after 3000 ms. */
    assert_false(samsa_probe_due(12000, 10000, 2000, -1));
    assert_false(samsa_probe_due(13000, 10000, 2000, -1));
    assert_true(samsa_probe_due(13001, 10000, 2000, -1));
    /* Again at most every half interval after the last probe ended. */
    assert_false(samsa_probe_due(13500, 10000, 2000, 13001));
    assert_true(samsa_probe_due(14001, 10000, 2000, 13001));
}

static void only_a_refused_connect_fences(void **state)
{
    (void)state;
    /* Refused: no process listens; no heartbeat since the probe began. */
    assert_true(samsa_probe_fences(UV_ECONNREFUSED, 5000, 4000));
    assert_true(samsa_probe_fences(UV_ECONNREFUSED, 5000, 5000));
    /* A heartbeat came meanwhile (a restarted broker): no fence. */
    assert_false(samsa_probe_fences(UV_ECONNREFUSED, 5000, 5001));
    /* Anything else proves nothing: wait for the session timeout. */
    assert_false(samsa_probe_fences(0, 5000, 4000));
    assert_false(samsa_probe_fences(UV_ETIMEDOUT, 5000, 4000));
    assert_false(samsa_probe_fences(UV_EHOSTUNREACH, 5000, 4000));
    assert_false(samsa_probe_fences(UV_ENETUNREACH, 5000, 4000));
    assert_false(samsa_probe_fences(UV_ECANCELED, 5000, 4000));
}

typedef struct outcome {
    int calls;
    int status;
} outcome_t;

static void on_probe(void *arg, samsa_probe_t *probe, int status)
{
    outcome_t *o = arg;
    (void)probe;
    o->calls++;
    o->status = status;
}

/* Run one probe of @p host:@p port to its end; cancelled at once when
 * @p cancel. */
static outcome_t probe(const char *host, int port, bool cancel)
{
    uv_loop_t loop;
    outcome_t o = {0, 1};
    samsa_probe_t *p = NULL;
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(samsa_probe_start(&loop, host, port, on_probe, &o, &p),
                     SAMSA_OK);
    assert_non_null(p);
    if (cancel) {
        samsa_probe_cancel(p);
    }
    assert_int_equal(o.calls, 0); /* never from inside start or cancel */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0); /* every handle closed */
    assert_int_equal(o.calls, 1);
    return o;
}

static void a_port_nobody_listens_on_refuses(void **state)
{
    (void)state;
    int32_t port;
    int fd = loopback_socket(-1, &port);
    assert_int_equal(probe("127.0.0.1", port, false).status, UV_ECONNREFUSED);
    /* A name goes through the resolver first. */
    assert_int_equal(probe("localhost", port, false).status, UV_ECONNREFUSED);
    close(fd);
}

static void a_listener_accepts(void **state)
{
    (void)state;
    int32_t port;
    int fd = loopback_socket(8, &port);
    assert_int_equal(probe("127.0.0.1", port, false).status, 0);
    close(fd);
}

static void a_dropped_syn_times_out_and_a_probe_cancels(void **state)
{
    (void)state;
    int32_t port;
    int fd = loopback_socket(0, &port);
    /* Fill the accept queue (backlog 0 holds one): later SYNs are
     * dropped, as a partition drops them. */
    int fill[2];
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < 2; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
    }
    usleep(50 * 1000);
    assert_int_equal(probe("127.0.0.1", port, false).status, UV_ETIMEDOUT);
    assert_int_equal(probe("127.0.0.1", port, true).status, UV_ECANCELED);
    for (int i = 0; i < 2; i++) {
        close(fill[i]);
    }
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(probes_only_an_overdue_broker),
        cmocka_unit_test(only_a_refused_connect_fences),
        cmocka_unit_test(a_port_nobody_listens_on_refuses),
        cmocka_unit_test(a_listener_accepts),
        cmocka_unit_test(a_dropped_syn_times_out_and_a_probe_cancels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
