/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TLS client context shared by clients and read again on demand
 * (samsa_client_tls_ctx_t, what samsad's inter-broker clients use on
 * SIGHUP): a server requiring client certificates sees the certificate
 * the context last loaded on each new connection; a reload from a file
 * that does not load fails, names the file, and the current certificate
 * stays; a connection opened before a reload keeps working. The server
 * is a thread with OpenSSL; certificates come from test_certs.h.
 */
#include <netinet/in.h>
#include <pthread.h>
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
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "client/client_int.h"
#include "test_certs.h"

static char dir[64];

static void path_of(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s.pem", dir, name);
}

/* The server: accepts one connection, requires a client certificate from
 * the trusted ones (alice, bob), records its CN and echoes one byte. */
typedef struct server {
    int lfd;
    SSL_CTX *ctx;
    char peer_cn[64];
    bool ok;
} server_t;

static void *serve_one(void *arg)
{
    server_t *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    SSL *ssl = SSL_new(s->ctx);
    SSL_set_fd(ssl, fd);
    s->ok = false;
    s->peer_cn[0] = '\0';
    if (SSL_accept(ssl) == 1) {
        X509 *peer = SSL_get1_peer_certificate(ssl);
        if (peer) {
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
                                      NID_commonName, s->peer_cn,
                                      sizeof(s->peer_cn));
            X509_free(peer);
        }
        char c;
        s->ok = SSL_read(ssl, &c, 1) == 1 && SSL_write(ssl, &c, 1) == 1;
    }
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static void server_init(server_t *s)
{
    char path[128];
    s->ctx = SSL_CTX_new(TLS_server_method());
    path_of(path, sizeof(path), "server");
    assert_int_equal(SSL_CTX_use_certificate_chain_file(s->ctx, path), 1);
    assert_int_equal(
        SSL_CTX_use_PrivateKey_file(s->ctx, path, SSL_FILETYPE_PEM), 1);
    path_of(path, sizeof(path), "alice");
    assert_int_equal(SSL_CTX_load_verify_locations(s->ctx, path, NULL), 1);
    path_of(path, sizeof(path), "bob");
    assert_int_equal(SSL_CTX_load_verify_locations(s->ctx, path, NULL), 1);
    SSL_CTX_set_verify(s->ctx,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
}

static int server_port(const server_t *s)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

/* A new connection of @p c through the server; the CN the server saw. */
static const char *connect_once(server_t *s, samsa_client_t *c,
                                samsa_cconn_t *conn)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, serve_one, s), 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)server_port(s)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    conn->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(conn->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(samsa_client_tls_start(c, conn), SAMSA_OK);
    char b = 'x';
    assert_int_equal(SSL_write(conn->ssl, &b, 1), 1);
    assert_int_equal(SSL_read(conn->ssl, &b, 1), 1);
    pthread_join(th, NULL);
    assert_true(s->ok);
    samsa_cconn_close(conn);
    return s->peer_cn;
}

static void test_reload_new_connections_only(void **state)
{
    (void)state;
    char ca[128], live[128], why[512] = "";
    path_of(ca, sizeof(ca), "server");
    path_of(live, sizeof(live), "live");
    test_cert_copy(dir, "alice", "live");
    samsa_client_conf_t conf = {.tls = true,
                                .ssl_ca_location = ca,
                                .ssl_certificate_location = live,
                                .ssl_key_location = live};
    samsa_client_tls_ctx_t *t = NULL;
    assert_int_equal(samsa_client_tls_ctx_new(&conf, &t, why, sizeof(why)),
                     SAMSA_OK);
    conf.shared_tls = t;
    samsa_client_t *c = NULL;
    assert_int_equal(samsa_client_new(&conf, &c), SAMSA_OK);
    server_t s;
    server_init(&s);
    samsa_cconn_t conn = {.host = "127.0.0.1", .fd = -1};
    assert_string_equal(connect_once(&s, c, &conn), "alice");

    /* Written in place but not reloaded: still alice. */
    test_cert_copy(dir, "bob", "live");
    assert_string_equal(connect_once(&s, c, &conn), "alice");

    FILE *f = fopen(live, "w");
    assert_non_null(f);
    fputs("not a certificate\n", f);
    fclose(f);
    assert_int_equal(samsa_client_tls_ctx_reload(t, why, sizeof(why)),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(why, "client certificate"));
    assert_string_equal(connect_once(&s, c, &conn), "alice");

    test_cert_copy(dir, "bob", "live");
    assert_int_equal(samsa_client_tls_ctx_reload(t, why, sizeof(why)),
                     SAMSA_OK);
    assert_string_equal(connect_once(&s, c, &conn), "bob");

    samsa_client_free(c);
    samsa_client_tls_ctx_free(t);
    SSL_CTX_free(s.ctx);
    close(s.lfd);
    unlink(live);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/samsa-ctls-XXXXXX");
    assert_non_null(mkdtemp(dir));
    test_cert_make(dir, "server");
    test_cert_make(dir, "alice");
    test_cert_make(dir, "bob");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"server", "alice", "bob"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        path_of(path, sizeof(path), names[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_new_connections_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
