/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the broker's TLS server side (core/net/tls.c with the
 * context of core/security/tls_context.c) fed a client's bytes. Input is
 * what a client sends first (a ClientHello and whatever records follow,
 * seeds: a real `openssl s_client` ClientHello); it goes through a
 * socketpair into a listener connection's session, which reads as the
 * reactor does until the session ends. Anything may be refused, nothing
 * may crash, leak or read out of bounds.
 *
 * The context is the broker's (TLS 1.2 and 1.3, ssl_client_auth requested
 * so client certificates are parsed too), over a throwaway EC key and
 * self-signed certificate written to a temporary directory once.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "net/net_internal.h"
#include "security/tls_context.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SSL_CTX *g_ctx;

/*
 * OpenSSL (Debian's) carries no coverage instrumentation, so libFuzzer
 * alone would see every input take the same few edges of this file and
 * drop the ClientHello seeds. The protocol messages each input made the
 * server read and write (direction, content type, first byte: handshake
 * message type or alert description) and the handshake state it ended in
 * go to libFuzzer's extra counters, so an input reaching a new message or
 * state is kept and mutated further.
 */
#define MSG_FEATURES   (2 * 8 * 256)
#define STATE_FEATURES 64
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t
    g_features[MSG_FEATURES + STATE_FEATURES];

static void on_message(int write_p, int version, int content_type,
                       const void *buf, size_t len, SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    (void)arg;
    unsigned first = len > 0 ? ((const uint8_t *)buf)[0] : 0;
    if (content_type == SSL3_RT_ALERT && len > 1) {
        first = ((const uint8_t *)buf)[1]; /* the alert description */
    }
    size_t i =
        ((size_t)(write_p != 0) * 8 + (size_t)(content_type & 7)) * 256 + first;
    if (g_features[i] < 255) {
        g_features[i]++;
    }
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz_tls: %s\n", what);
    abort();
}

/* A self-signed P-256 certificate for CN=localhost, as PEM files. */
static void write_identity(const char *cert_path, const char *key_path)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    if (!pkey || !x) {
        die("key generation failed");
    }
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, pkey, EVP_sha256())) {
        die("certificate signing failed");
    }
    FILE *f = fopen(cert_path, "w");
    if (!f || !PEM_write_X509(f, x) || fclose(f) != 0) {
        die("cannot write the certificate");
    }
    f = fopen(key_path, "w");
    if (!f || !PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) ||
        fclose(f) != 0) {
        die("cannot write the key");
    }
    X509_free(x);
    EVP_PKEY_free(pkey);
}

static void init_context(void)
{
    /* Each refused handshake logs one INFO line (the code runs, the
     * terminal stays readable at thousands of inputs a second). */
    samsa_log_set_level(SAMSA_LOG_WARN);
    char dir[] = "/tmp/samsa-fuzz-tls-XXXXXX";
    if (!mkdtemp(dir)) {
        die("mkdtemp failed");
    }
    char cert[64], key[64];
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    write_identity(cert, key);
    samsa_security_config_t sc = {
        .ssl_keystore_location = cert,
        .ssl_key_location = key,
        .ssl_truststore_location = cert,
        .ssl_client_auth = SAMSA_SSL_CLIENT_AUTH_REQUESTED,
    };
    char err[512];
    if (samsa_tls_context_create(&sc, &g_ctx, err, sizeof(err)) != SAMSA_OK) {
        die(err);
    }
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ctx) {
        init_context();
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) {
        die("socketpair failed");
    }
    /* The client's bytes, then its end of stream: the session sees all
     * of them and then EOF, as from a client that sent and hung up. */
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0) {
            break; /* -max_len keeps inputs under the socket buffer */
        }
        off += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);

    samsa_conn_t conn;
    memset(&conn, 0, sizeof(conn));
    conn.fd = sv[0];
    snprintf(conn.peer, sizeof(conn.peer), "fuzz");
    if (samsa_net_tls_start(&conn, g_ctx) != SAMSA_OK) {
        die("SSL_new failed");
    }
    SSL_set_msg_callback(conn.ssl, on_message);
    uint8_t buf[16384];
    /* Bounded: each read consumes input or ends the session. */
    for (int i = 0; i < 256; i++) {
        ssize_t n = samsa_net_tls_read(&conn, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            break;
        }
        if (n < 0 && !conn.tls_read_wants_write) {
            /* Waiting for bytes that will never come: the EOF is read. */
            char probe;
            if (recv(sv[0], &probe, 1, MSG_PEEK) <= 0 && errno == EAGAIN) {
                break;
            }
        }
        /* Drain what the server answered so it never blocks writing. */
        char sink[4096];
        while (read(sv[1], sink, sizeof(sink)) > 0) {
        }
    }
    g_features[MSG_FEATURES +
               (size_t)SSL_get_state(conn.ssl) % STATE_FEATURES] = 1;
    samsa_net_tls_close(&conn);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
