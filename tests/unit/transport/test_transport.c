/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport-tcp: a non-blocking connect to a loopback listener, bytes
 * both ways through send/recv driven by poll() on pollable_fd() as the
 * replica fetchers drive it, AGAIN while nothing is there, CLOSED when
 * the peer goes, and a refused connect reported as an error.
 */
#define _GNU_SOURCE /* accept4 */
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <samsa/transport.h>

#include "loopback.h"
#include "plugin_harness.h"

static uint32_t want(const samsa_transport_ops_t *ops,
                     const samsa_transport_conn_t *c, uint32_t dflt)
{
    uint32_t w = ops->want_events ? ops->want_events(c) : 0;
    return w ? w : dflt;
}

/* Wait (bounded) for what the connection asked for. */
static void wait_for(const samsa_transport_ops_t *ops,
                     const samsa_transport_conn_t *c, uint32_t dflt)
{
    uint32_t w = want(ops, c, dflt);
    struct pollfd pfd = {
        .fd = ops->pollable_fd(c),
        .events = (short)((w & SAMSA_TRANSPORT_WANT_READ ? POLLIN : 0) |
                          (w & SAMSA_TRANSPORT_WANT_WRITE ? POLLOUT : 0))};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
}

static void send_all(const samsa_transport_ops_t *ops,
                     samsa_transport_conn_t *c, const char *msg, size_t len)
{
    size_t off = 0;
    while (off < len) {
        struct iovec iov = {(void *)(msg + off), len - off};
        size_t sent = 0;
        samsa_err_t err = ops->send(c, &iov, 1, &sent);
        if (err == SAMSA_ERR_AGAIN) {
            wait_for(ops, c, SAMSA_TRANSPORT_WANT_WRITE);
            continue;
        }
        assert_int_equal(err, SAMSA_OK);
        off += sent;
    }
}

static void recv_all(const samsa_transport_ops_t *ops,
                     samsa_transport_conn_t *c, char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        size_t got = 0;
        samsa_err_t err = ops->recv(c, buf + off, len - off, &got);
        if (err == SAMSA_ERR_AGAIN) {
            wait_for(ops, c, SAMSA_TRANSPORT_WANT_READ);
            continue;
        }
        assert_int_equal(err, SAMSA_OK);
        off += got;
    }
}

static void test_tcp_round_trip(void **state)
{
    (void)state;
    harness_plugin_t hp;
    assert_int_equal(harness_load(&hp, "transport-tcp", NULL), SAMSA_OK);
    assert_int_equal(hp.desc->kind, SAMSA_KIND_TRANSPORT);
    const samsa_transport_ops_t *ops = hp.desc->ops;
    int32_t port = 0;
    int lfd = listen_any(&port);
    samsa_transport_conn_t *client = NULL, *server = NULL;
    char errbuf[256] = "";
    assert_int_equal(ops->connect(hp.state, "127.0.0.1", port, &client, errbuf,
                                  sizeof(errbuf)),
                     SAMSA_OK);
    int sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    assert_true(sfd >= 0);
    assert_int_equal(
        ops->accept(hp.state, sfd, &server, errbuf, sizeof(errbuf)), SAMSA_OK);

    /* Nothing sent yet: the server would block. */
    char buf[64];
    size_t got = 0;
    assert_int_equal(ops->recv(server, buf, sizeof(buf), &got),
                     SAMSA_ERR_AGAIN);
    assert_int_equal(want(ops, server, 0), SAMSA_TRANSPORT_WANT_READ);

    send_all(ops, client, "fetch v12", 9);
    recv_all(ops, server, buf, 9);
    assert_memory_equal(buf, "fetch v12", 9);
    send_all(ops, server, "records", 7);
    recv_all(ops, client, buf, 7);
    assert_memory_equal(buf, "records", 7);

    /* The peer closes: an orderly CLOSED, never a signal. */
    ops->close(server);
    samsa_err_t err;
    do {
        wait_for(ops, client, SAMSA_TRANSPORT_WANT_READ);
        err = ops->recv(client, buf, sizeof(buf), &got);
    } while (err == SAMSA_ERR_AGAIN);
    assert_int_equal(err, SAMSA_ERR_CLOSED);
    ops->close(client);
    close(lfd);
    harness_unload(&hp);
    assert_int_equal(harness_live_bytes(), 0);
}

static void test_tcp_refused(void **state)
{
    (void)state;
    harness_plugin_t hp;
    assert_int_equal(harness_load(&hp, "transport-tcp", NULL), SAMSA_OK);
    const samsa_transport_ops_t *ops = hp.desc->ops;
    int32_t port = 0;
    close(listen_any(&port)); /* a port nobody listens on any more */
    samsa_transport_conn_t *c = NULL;
    char errbuf[256] = "";
    samsa_err_t err =
        ops->connect(hp.state, "127.0.0.1", port, &c, errbuf, sizeof(errbuf));
    if (err == SAMSA_OK) {
        /* Refusal shows on the first send once the socket is ready. */
        struct iovec iov = {"x", 1};
        size_t sent = 0;
        do {
            wait_for(ops, c, SAMSA_TRANSPORT_WANT_WRITE);
            err = ops->send(c, &iov, 1, &sent);
        } while (err == SAMSA_ERR_AGAIN);
        ops->close(c);
    }
    assert_true(err == SAMSA_ERR_NETWORK_EXCEPTION || err == SAMSA_ERR_CLOSED);
    harness_unload(&hp);
}

static void test_tcp_unresolvable(void **state)
{
    (void)state;
    harness_plugin_t hp;
    assert_int_equal(harness_load(&hp, "transport-tcp", NULL), SAMSA_OK);
    const samsa_transport_ops_t *ops = hp.desc->ops;
    samsa_transport_conn_t *c = NULL;
    char errbuf[256] = "";
    assert_int_equal(ops->connect(hp.state, "no-such-host.invalid", 9092, &c,
                                  errbuf, sizeof(errbuf)),
                     SAMSA_ERR_NETWORK_EXCEPTION);
    assert_non_null(strstr(errbuf, "no-such-host.invalid"));
    harness_unload(&hp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_round_trip),
        cmocka_unit_test(test_tcp_refused),
        cmocka_unit_test(test_tcp_unresolvable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
