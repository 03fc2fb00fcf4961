/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport-tls: a follower's connection (connect) and a leader's
 * (accept) on loopback, both non-blocking in one thread, drive the mutual
 * TLS handshake through send/recv and want_events alone and then carry
 * bytes both ways; a client certificate the server does not trust fails
 * the handshake with SAMSA_ERR_NETWORK_EXCEPTION (or CLOSED) rather than
 * ever carrying data; reload() swaps the certificate for new connections
 * only. Certificates are made here with OpenSSL (EC P-256,
 * self-signed, IP:127.0.0.1).
 */
#define _GNU_SOURCE /* accept4 */
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <samsa/transport.h>

#include "loopback.h"
#include "test_certs.h"
#include "plugin_harness.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/samsa-ttls-XXXXXX");
    assert_non_null(mkdtemp(dir));
    test_cert_make(dir, "broker");
    test_cert_make(dir, "rogue");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/broker.pem", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/rogue.pem", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

static samsa_err_t load(harness_plugin_t *hp, const char *cert)
{
    /* The harness lends the values to the instance (as samsad's config
     * does) and reload() reads them again: one buffer per instance. */
    static char keystores[8][128], ts[128];
    static unsigned loaded;
    char *ks = keystores[loaded++ % 8];
    snprintf(ks, sizeof(keystores[0]), "%s/%s.pem", dir, cert);
    snprintf(ts, sizeof(ts), "%s/broker.pem", dir);
    harness_opt_t opts[] = {
        {.name = "ssl_keystore_location", .value = ks},
        {.name = "ssl_truststore_location", .value = ts},
        {.name = NULL},
    };
    return harness_load(hp, "transport-tls", opts);
}

static short poll_bits(const samsa_transport_ops_t *ops,
                       const samsa_transport_conn_t *c)
{
    uint32_t w = ops->want_events(c);
    return (short)((w & SAMSA_TRANSPORT_WANT_READ ? POLLIN : 0) |
                   (w & SAMSA_TRANSPORT_WANT_WRITE ? POLLOUT : 0));
}

/* The client sends @msg while the server receives it, both stepping
 * whenever what they asked for is ready. Returns the first error other
 * than AGAIN, or SAMSA_OK once the server has the message. */
static samsa_err_t exchange(const samsa_transport_ops_t *cops,
                            samsa_transport_conn_t *client,
                            const samsa_transport_ops_t *sops,
                            samsa_transport_conn_t *server, const char *msg)
{
    size_t len = strlen(msg), sent = 0, got = 0;
    char buf[64];
    for (int round = 0; round < 200; round++) {
        if (sent < len) {
            struct iovec iov = {(void *)(msg + sent), len - sent};
            size_t n = 0;
            samsa_err_t err = cops->send(client, &iov, 1, &n);
            if (err != SAMSA_OK && err != SAMSA_ERR_AGAIN) {
                return err;
            }
            sent += err == SAMSA_OK ? n : 0;
        }
        size_t n = 0;
        samsa_err_t err = sops->recv(server, buf + got, sizeof(buf) - got, &n);
        if (err != SAMSA_OK && err != SAMSA_ERR_AGAIN) {
            return err;
        }
        got += err == SAMSA_OK ? n : 0;
        if (got == len) {
            assert_memory_equal(buf, msg, len);
            return SAMSA_OK;
        }
        /* Wait (briefly) for what either side asked for. */
        struct pollfd pfd[2] = {
            {.fd = cops->pollable_fd(client),
             .events = poll_bits(cops, client)},
            {.fd = sops->pollable_fd(server),
             .events = poll_bits(sops, server)},
        };
        (void)poll(pfd, 2, 100);
    }
    fail_msg("no progress in 200 rounds");
    return SAMSA_ERR_TIMEOUT;
}

static void pair(harness_plugin_t *hp, harness_plugin_t *lp,
                 samsa_transport_conn_t **client,
                 samsa_transport_conn_t **server, int *lfd)
{
    int32_t port = 0;
    char errbuf[256] = "";
    *lfd = listen_any(&port);
    const samsa_transport_ops_t *cops = hp->desc->ops;
    const samsa_transport_ops_t *sops = lp->desc->ops;
    assert_int_equal(cops->connect(hp->state, "127.0.0.1", port, client, errbuf,
                                   sizeof(errbuf)),
                     SAMSA_OK);
    int sfd = accept4(*lfd, NULL, NULL, SOCK_NONBLOCK);
    assert_true(sfd >= 0);
    assert_int_equal(
        sops->accept(lp->state, sfd, server, errbuf, sizeof(errbuf)), SAMSA_OK);
}

static void test_tls_round_trip(void **state)
{
    (void)state;
    harness_plugin_t hp;
    assert_int_equal(load(&hp, "broker"), SAMSA_OK);
    assert_int_equal(hp.desc->kind, SAMSA_KIND_TRANSPORT);
    const samsa_transport_ops_t *ops = hp.desc->ops;
    samsa_transport_conn_t *client = NULL, *server = NULL;
    int lfd = -1;
    pair(&hp, &hp, &client, &server, &lfd);
    /* Nothing on the wire yet: the server's handshake waits to read. */
    char buf[8];
    size_t got = 0;
    assert_int_equal(ops->recv(server, buf, sizeof(buf), &got),
                     SAMSA_ERR_AGAIN);
    assert_int_equal(ops->want_events(server), SAMSA_TRANSPORT_WANT_READ);
    assert_int_equal(exchange(ops, client, ops, server, "fetch v12"), SAMSA_OK);
    assert_int_equal(exchange(ops, server, ops, client, "records"), SAMSA_OK);
    ops->close(server);
    ops->close(client);
    close(lfd);
    harness_unload(&hp);
    assert_int_equal(harness_live_bytes(), 0);
}

static void test_tls_untrusted_client_refused(void **state)
{
    (void)state;
    harness_plugin_t leader, rogue;
    assert_int_equal(load(&leader, "broker"), SAMSA_OK);
    assert_int_equal(load(&rogue, "rogue"), SAMSA_OK);
    samsa_transport_conn_t *client = NULL, *server = NULL;
    int lfd = -1;
    pair(&rogue, &leader, &client, &server, &lfd);
    samsa_err_t err = exchange(rogue.desc->ops, client, leader.desc->ops,
                               server, "fetch v12");
    assert_true(err == SAMSA_ERR_NETWORK_EXCEPTION || err == SAMSA_ERR_CLOSED);
    ((const samsa_transport_ops_t *)rogue.desc->ops)->close(client);
    ((const samsa_transport_ops_t *)leader.desc->ops)->close(server);
    close(lfd);
    harness_unload(&rogue);
    harness_unload(&leader);
}

/* An instance given no files starts without reading anything and takes
 * the system's CAs at its first connection: a handshake with the
 * self-signed broker, which no system CA signed, fails. */
static void test_tls_without_files_trusts_the_system_cas(void **state)
{
    (void)state;
    harness_plugin_t leader, bare;
    harness_opt_t none[] = {{.name = NULL}};
    assert_int_equal(load(&leader, "broker"), SAMSA_OK);
    assert_int_equal(harness_load(&bare, "transport-tls", none), SAMSA_OK);
    samsa_transport_conn_t *client = NULL, *server = NULL;
    int lfd = -1;
    pair(&bare, &leader, &client, &server, &lfd);
    samsa_err_t err =
        exchange(bare.desc->ops, client, leader.desc->ops, server, "fetch v12");
    assert_true(err == SAMSA_ERR_NETWORK_EXCEPTION || err == SAMSA_ERR_CLOSED);
    ((const samsa_transport_ops_t *)bare.desc->ops)->close(client);
    ((const samsa_transport_ops_t *)leader.desc->ops)->close(server);
    close(lfd);
    harness_unload(&bare);
    harness_unload(&leader);
}

/* A server-side connection checks that the client's (verified)
 * certificate names the host expected of it: IP:127.0.0.1 is, 10.9.9.9
 * and a DNS name are not. Before the handshake there is no certificate. */
static void test_tls_verify_peer_names_host(void **state)
{
    (void)state;
    harness_plugin_t hp;
    assert_int_equal(load(&hp, "broker"), SAMSA_OK);
    const samsa_transport_ops_t *ops = hp.desc->ops;
    assert_non_null(ops->verify_peer);
    samsa_transport_conn_t *client = NULL, *server = NULL;
    int lfd = -1;
    char why[256] = "";
    pair(&hp, &hp, &client, &server, &lfd);
    assert_int_equal(ops->verify_peer(server, "127.0.0.1", why, sizeof(why)),
                     SAMSA_ERR_SASL_AUTHENTICATION_FAILED);
    assert_int_equal(exchange(ops, client, ops, server, "preamble"), SAMSA_OK);
    assert_int_equal(ops->verify_peer(server, "127.0.0.1", why, sizeof(why)),
                     SAMSA_OK);
    assert_int_equal(ops->verify_peer(server, "10.9.9.9", why, sizeof(why)),
                     SAMSA_ERR_SASL_AUTHENTICATION_FAILED);
    assert_non_null(strstr(why, "does not name 10.9.9.9"));
    assert_int_equal(
        ops->verify_peer(server, "controller-2.example", why, sizeof(why)),
        SAMSA_ERR_SASL_AUTHENTICATION_FAILED);
    ops->close(server);
    ops->close(client);
    close(lfd);
    harness_unload(&hp);
    assert_int_equal(harness_live_bytes(), 0);
}

/* reload() (SIGHUP): a keystore file that no longer loads is refused and
 * the current certificate stays; a renewed one is presented to the
 * connections accepted from then on (here: one the client does not
 * trust, so the new handshake fails), while a connection accepted before
 * keeps carrying bytes. */
static void test_tls_reload_new_connections_only(void **state)
{
    (void)state;
    harness_plugin_t srv, cli;
    test_cert_copy(dir, "broker", "live");
    assert_int_equal(load(&srv, "live"), SAMSA_OK);
    assert_int_equal(load(&cli, "broker"), SAMSA_OK);
    const samsa_transport_ops_t *ops = srv.desc->ops;
    assert_non_null(ops->reload);
    samsa_transport_conn_t *c[3] = {NULL}, *s[3] = {NULL};
    int lfd[3] = {-1, -1, -1};
    char why[256] = "";
    pair(&cli, &srv, &c[0], &s[0], &lfd[0]);
    assert_int_equal(exchange(ops, c[0], ops, s[0], "before"), SAMSA_OK);

    char live[128];
    snprintf(live, sizeof(live), "%s/live.pem", dir);
    FILE *f = fopen(live, "w");
    assert_non_null(f);
    fputs("not a certificate\n", f);
    fclose(f);
    assert_int_equal(ops->reload(srv.state, why, sizeof(why)),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(why, "ssl_keystore_location"));
    pair(&cli, &srv, &c[1], &s[1], &lfd[1]);
    assert_int_equal(exchange(ops, c[1], ops, s[1], "kept"), SAMSA_OK);

    test_cert_copy(dir, "rogue", "live");
    assert_int_equal(ops->reload(srv.state, why, sizeof(why)), SAMSA_OK);
    pair(&cli, &srv, &c[2], &s[2], &lfd[2]);
    samsa_err_t err = exchange(ops, c[2], ops, s[2], "renewed");
    assert_true(err == SAMSA_ERR_NETWORK_EXCEPTION || err == SAMSA_ERR_CLOSED);
    assert_int_equal(exchange(ops, c[0], ops, s[0], "still open"), SAMSA_OK);
    assert_int_equal(exchange(ops, s[1], ops, c[1], "both ways"), SAMSA_OK);
    for (int i = 0; i < 3; i++) {
        ops->close(c[i]);
        ops->close(s[i]);
        close(lfd[i]);
    }
    unlink(live);
    harness_unload(&cli);
    harness_unload(&srv);
    assert_int_equal(harness_live_bytes(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_round_trip),
        cmocka_unit_test(test_tls_untrusted_client_refused),
        cmocka_unit_test(test_tls_without_files_trusts_the_system_cas),
        cmocka_unit_test(test_tls_verify_peer_names_host),
        cmocka_unit_test(test_tls_reload_new_connections_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
