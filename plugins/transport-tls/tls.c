/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport-tls: broker-to-broker connections over TLS (OpenSSL), for an
 * inter-broker listener whose security protocol is SSL, and for the
 * controllers' Raft traffic on an SSL controller listener
 * (samsa/transport.h). The broker presents its own certificate, so the
 * leader's SSL listener maps it to the follower's principal (mTLS), and
 * verifies the leader's certificate against the truststore and, unless
 * ssl_endpoint_identification_algorithm is empty, its host name or IP.
 *
 * Nothing blocks: connect() starts a non-blocking TCP connect; the first
 * send()/recv() once the socket is writable checks it, then drives the
 * handshake (SSL_do_handshake) one step per call, and want_events() says
 * whether the next step waits for readability or writability (a TLS write
 * may need a read first, and the other way round).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <samsa/transport.h>

#include "tcp_connect.h"

typedef struct tls_state {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    /* Guards ctx: reload() swaps it on samsad's main thread while
     * reactors and the controller thread make connections from it. Each
     * SSL takes its own reference, so open connections keep the old one. */
    pthread_mutex_t lock;
    SSL_CTX *ctx;
    bool nodelay;
    bool check_host; /* ssl_endpoint_identification_algorithm = https */
    /* The files, read again by reload() (strings borrowed from the
     * configs, which outlive the instance). */
    const char *keystore;
    const char *key;
    const char *truststore;
    const char *key_password;
} tls_state_t;

struct samsa_transport_conn {
    tls_state_t *st;
    int fd;
    SSL *ssl;
    bool connecting; /* TCP connect in progress, not checked yet */
    bool handshaken; /* SSL_do_handshake succeeded */
    bool logged;     /* a handshake failure was logged already */
    uint32_t want;   /* SAMSA_TRANSPORT_WANT_* after the last AGAIN */
    char host[256];  /* for the log */
};

/* ------------------------------------------------------------------ */
/* Connections                                                        */
/* ------------------------------------------------------------------ */

static samsa_err_t load_ctx(const tls_state_t *st, SSL_CTX **out, char *errbuf,
                            size_t errbuf_size);

static samsa_err_t new_conn(tls_state_t *st, int fd, const char *host,
                            samsa_transport_conn_t **out, char *errbuf,
                            size_t errbuf_size)
{
    samsa_transport_conn_t *c = st->svc->alloc(sizeof(*c));
    SSL *ssl = NULL;
    samsa_err_t err = SAMSA_OK;
    if (c) {
        pthread_mutex_lock(&st->lock);
        if (!st->ctx) { /* nothing configured: the system's CAs, now */
            err = load_ctx(st, &st->ctx, errbuf, errbuf_size);
        }
        ssl = st->ctx ? SSL_new(st->ctx) : NULL;
        pthread_mutex_unlock(&st->lock);
    }
    if (err != SAMSA_OK) {
        st->svc->free(c);
        return err;
    }
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        st->svc->free(c);
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    *c = (samsa_transport_conn_t){.st = st, .fd = fd, .ssl = ssl};
    snprintf(c->host, sizeof(c->host), "%s", host);
    if (st->nodelay) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    *out = c;
    return SAMSA_OK;
}

static samsa_err_t tls_connect(void *state, const char *host, int32_t port,
                               samsa_transport_conn_t **conn, char *errbuf,
                               size_t errbuf_size)
{
    tls_state_t *st = state;
    bool connecting = false;
    int fd = samsa_tcp_connect_start(host, port, NULL, NULL, &connecting,
                                     errbuf, errbuf_size);
    if (fd < 0) {
        return SAMSA_ERR_NETWORK_EXCEPTION;
    }
    samsa_err_t err = new_conn(st, fd, host, conn, errbuf, errbuf_size);
    if (err != SAMSA_OK) {
        close(fd);
        return err;
    }
    samsa_transport_conn_t *c = *conn;
    c->connecting = connecting;
    SSL_set_connect_state(c->ssl);
    /* SNI names a host, never an address. */
    X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
    bool is_ip = X509_VERIFY_PARAM_set1_ip_asc(vp, host) == 1;
    if (!is_ip) {
        SSL_set_tlsext_host_name(c->ssl, host);
    }
    if (!st->check_host && is_ip) {
        X509_VERIFY_PARAM_set1_ip(vp, NULL, 0);
    } else if (st->check_host && !is_ip) {
        SSL_set1_host(c->ssl, host);
    }
    return SAMSA_OK;
}

static samsa_err_t tls_accept(void *state, int fd,
                              samsa_transport_conn_t **conn, char *errbuf,
                              size_t errbuf_size)
{
    samsa_err_t err = new_conn(state, fd, "peer", conn, errbuf, errbuf_size);
    if (err == SAMSA_OK) {
        SSL_set_accept_state((*conn)->ssl);
        SSL_set_verify((*conn)->ssl,
                       SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return err;
}

/* A TCP connect in progress: SAMSA_OK once it is established, AGAIN while
 * it is not, NETWORK_EXCEPTION when it failed. */
static samsa_err_t finish_connect(samsa_transport_conn_t *c)
{
    samsa_err_t err = samsa_tcp_connect_finish(c->fd, &c->connecting);
    if (err == SAMSA_ERR_AGAIN) {
        c->want = SAMSA_TRANSPORT_WANT_WRITE;
    }
    return err;
}

/* Map the outcome of an SSL call that returned @p r <= 0. */
static samsa_err_t ssl_error(samsa_transport_conn_t *c, int r, const char *what)
{
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        c->want = SAMSA_TRANSPORT_WANT_READ;
        ERR_clear_error();
        return SAMSA_ERR_AGAIN;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        c->want = SAMSA_TRANSPORT_WANT_WRITE;
        ERR_clear_error();
        return SAMSA_ERR_AGAIN;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return SAMSA_ERR_CLOSED;
    }
    if (!c->logged) {
        /* Once per connection: a refused certificate would otherwise be
         * retried and logged every replica_fetch_backoff_ms only at debug
         * level by the fetcher, hiding why a follower stays out of the
         * ISR. */
        char reason[256] = "connection reset";
        unsigned long ec = ERR_peek_last_error();
        if (ec) {
            ERR_error_string_n(ec, reason, sizeof(reason));
        }
        long vr = SSL_get_verify_result(c->ssl);
        c->st->svc->log(
            c->st->inst, SAMSA_LOG_WARN, "TLS %s with %s: %s%s%s", what,
            c->host, reason, vr != X509_V_OK ? "; certificate: " : "",
            vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
        c->logged = true;
    }
    ERR_clear_error();
    return e == SSL_ERROR_SYSCALL && errno != 0 && errno != ECONNRESET &&
                   errno != EPIPE
               ? SAMSA_ERR_NETWORK_EXCEPTION
           : e == SSL_ERROR_SYSCALL ? SAMSA_ERR_CLOSED
                                    : SAMSA_ERR_NETWORK_EXCEPTION;
}

/* Connect and handshake as far as the socket allows. */
static samsa_err_t ready(samsa_transport_conn_t *c)
{
    samsa_err_t err = finish_connect(c);
    if (err != SAMSA_OK || c->handshaken) {
        return err;
    }
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r != 1) {
        return ssl_error(c, r, "handshake");
    }
    c->handshaken = true;
    return SAMSA_OK;
}

static samsa_err_t tls_send(samsa_transport_conn_t *c, const struct iovec *iov,
                            int iovcnt, size_t *sent)
{
    samsa_err_t err = ready(c);
    if (err != SAMSA_OK) {
        return err;
    }
    /* One record per call from the first non-empty iovec: fewer bytes than
     * asked is allowed, and the caller resends the rest. */
    int i = 0;
    while (i < iovcnt && iov[i].iov_len == 0) {
        i++;
    }
    if (i == iovcnt) {
        *sent = 0;
        return SAMSA_OK;
    }
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_write_ex(c->ssl, iov[i].iov_base, iov[i].iov_len, &n);
    if (r != 1) {
        return ssl_error(c, r, "write");
    }
    *sent = n;
    return SAMSA_OK;
}

static samsa_err_t tls_recv(samsa_transport_conn_t *c, void *buf, size_t len,
                            size_t *received)
{
    samsa_err_t err = ready(c);
    if (err != SAMSA_OK) {
        return err;
    }
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_ex(c->ssl, buf, len, &n);
    if (r != 1) {
        return ssl_error(c, r, "read");
    }
    *received = n;
    return SAMSA_OK;
}

static int tls_pollable_fd(const samsa_transport_conn_t *c)
{
    return c->fd;
}

static uint32_t tls_want_events(const samsa_transport_conn_t *c)
{
    return c->want;
}

static void tls_close(samsa_transport_conn_t *c)
{
    if (c) {
        if (c->handshaken) {
            (void)SSL_shutdown(c->ssl); /* best effort close_notify */
        }
        SSL_free(c->ssl);
        ERR_clear_error();
        close(c->fd);
        c->st->svc->free(c);
    }
}

/* The client certificate of an accepted connection must name @p host
 * (SAN DNS or IP), as the connecting side checks the server's; not
 * checked when ssl_endpoint_identification_algorithm is empty. */
static samsa_err_t tls_verify_peer(const samsa_transport_conn_t *c,
                                   const char *host, char *errbuf,
                                   size_t errbuf_size)
{
    X509 *cert = SSL_get1_peer_certificate(c->ssl);
    samsa_err_t err = SAMSA_OK;
    if (!cert || SSL_get_verify_result(c->ssl) != X509_V_OK) {
        snprintf(errbuf, errbuf_size, "no verified client certificate");
        err = SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    } else if (c->st->check_host && X509_check_ip_asc(cert, host, 0) != 1 &&
               X509_check_host(cert, host, 0, 0, NULL) != 1) {
        char subject[256] = "";
        X509_NAME_oneline(X509_get_subject_name(cert), subject,
                          sizeof(subject));
        snprintf(errbuf, errbuf_size, "client certificate %s does not name %s",
                 subject, host);
        err = SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    X509_free(cert);
    ERR_clear_error();
    return err;
}

/* ------------------------------------------------------------------ */
/* Plugin                                                             */
/* ------------------------------------------------------------------ */

static int password_cb(char *buf, int size, int rwflag, void *userdata)
{
    (void)rwflag;
    const char *pw = userdata;
    size_t n = pw ? strlen(pw) : 0;
    if (n > (size_t)size) {
        return 0;
    }
    memcpy(buf, pw, n);
    return (int)n;
}

static samsa_err_t load_fail(char *errbuf, size_t errbuf_size, const char *key,
                             const char *path)
{
    char reason[256] = "unknown error";
    unsigned long e = ERR_peek_last_error();
    if (e) {
        ERR_error_string_n(e, reason, sizeof(reason));
    }
    ERR_clear_error();
    snprintf(errbuf, errbuf_size, "%s '%s': %s", key, path, reason);
    return SAMSA_ERR_CONFIG;
}

static samsa_err_t str_opt(tls_state_t *st, const char *name, const char **v)
{
    samsa_err_t err = st->svc->config_string(st->inst->config, name, v);
    if (err == SAMSA_OK && *v && !**v) {
        *v = NULL;
    }
    return err;
}

/* A key file option: the manifest's value, else the broker's own key of
 * the same name (services->broker_config, ABI minor 5), so certificates
 * are configured once in samsa.yaml. */
static samsa_err_t file_opt(tls_state_t *st, const char *name, const char **v)
{
    samsa_err_t err = str_opt(st, name, v);
    const samsa_config_t *broker =
        SAMSA_ABI_HAS(samsa_services_t, st->svc, broker_config) &&
                st->svc->broker_config
            ? st->svc->broker_config()
            : NULL;
    if (err == SAMSA_OK && !*v && broker &&
        st->svc->config_string(broker, name, v) == SAMSA_OK && *v && !**v) {
        *v = NULL;
    }
    return err;
}

static samsa_err_t read_options(tls_state_t *st, char *errbuf,
                                size_t errbuf_size)
{
    const char *algo = NULL;
    samsa_err_t err = file_opt(st, "ssl_keystore_location", &st->keystore);
    if (err == SAMSA_OK) {
        /* The broker's key file goes with the broker's certificate only. */
        const char *own = NULL;
        err = str_opt(st, "ssl_keystore_location", &own);
        err = err == SAMSA_OK
                  ? (own ? str_opt(st, "ssl_key_location", &st->key)
                         : file_opt(st, "ssl_key_location", &st->key))
                  : err;
    }
    if (err == SAMSA_OK) {
        err = file_opt(st, "ssl_key_password", &st->key_password);
    }
    if (err == SAMSA_OK) {
        err = file_opt(st, "ssl_truststore_location", &st->truststore);
    }
    if (err == SAMSA_OK) {
        err = str_opt(st, "ssl_endpoint_identification_algorithm", &algo);
    }
    if (err == SAMSA_OK) {
        err =
            st->svc->config_bool(st->inst->config, "tcp_nodelay", &st->nodelay);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "reading options: %s",
                 st->svc->err_str(err));
        return err;
    }
    if (algo && strcmp(algo, "https") != 0) {
        snprintf(errbuf, errbuf_size,
                 "ssl_endpoint_identification_algorithm '%s': expected "
                 "https or empty",
                 algo);
        return SAMSA_ERR_CONFIG;
    }
    st->check_host = algo != NULL;
    return SAMSA_OK;
}

/* A context from the files as they are now: *out on SAMSA_OK. */
static samsa_err_t load_ctx(const tls_state_t *st, SSL_CTX **out, char *errbuf,
                            size_t errbuf_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ctx) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    /* The fetcher resends the unsent rest from the same buffer, maybe after
     * moving on in it. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(ctx, password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)st->key_password);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    samsa_err_t err = SAMSA_OK;
    const char *k = st->key ? st->key : st->keystore;
    if (st->keystore &&
        SSL_CTX_use_certificate_chain_file(ctx, st->keystore) != 1) {
        err = load_fail(errbuf, errbuf_size, "ssl_keystore_location",
                        st->keystore);
    } else if (k &&
               (SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM) != 1 ||
                SSL_CTX_check_private_key(ctx) != 1)) {
        err = load_fail(errbuf, errbuf_size,
                        st->key ? "ssl_key_location" : "ssl_keystore_location",
                        k);
    } else if (st->truststore ? SSL_CTX_load_verify_locations(
                                    ctx, st->truststore, NULL) != 1
                              : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        err = load_fail(errbuf, errbuf_size, "ssl_truststore_location",
                        st->truststore ? st->truststore : "(system default)");
    }
    if (err != SAMSA_OK) {
        SSL_CTX_free(ctx);
        return err;
    }
    *out = ctx;
    return SAMSA_OK;
}

static samsa_err_t tls_init(const samsa_services_t *svc,
                            const samsa_instance_t *inst, void **state,
                            char *errbuf, size_t errbuf_size)
{
    tls_state_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    *st = (tls_state_t){.svc = svc, .inst = inst};
    samsa_err_t err = read_options(st, errbuf, errbuf_size);
    /* Files configured are read now, so a bad one stops the start. With
     * none, the system's CAs wait for the first connection: a node that
     * never uses this transport (plaintext replication, a single node)
     * would spend ~25 ms of its start and ~1 MiB on parsing them. */
    if (err == SAMSA_OK && (st->keystore || st->truststore)) {
        err = load_ctx(st, &st->ctx, errbuf, errbuf_size);
    }
    if (err != SAMSA_OK) {
        svc->free(st);
        return err;
    }
    pthread_mutex_init(&st->lock, NULL);
    *state = st;
    return SAMSA_OK;
}

/* SIGHUP: the certificate, key and CAs again, from the same files. */
static samsa_err_t tls_reload(void *state, char *errbuf, size_t errbuf_size)
{
    tls_state_t *st = state;
    SSL_CTX *fresh = NULL;
    samsa_err_t err = load_ctx(st, &fresh, errbuf, errbuf_size);
    if (err != SAMSA_OK) {
        return err;
    }
    pthread_mutex_lock(&st->lock);
    SSL_CTX *old = st->ctx;
    st->ctx = fresh;
    pthread_mutex_unlock(&st->lock);
    SSL_CTX_free(old); /* open connections hold their own reference */
    st->svc->log(st->inst, SAMSA_LOG_INFO,
                 "certificates reloaded from %s; open connections keep theirs",
                 st->keystore ? st->keystore : "(none)");
    return SAMSA_OK;
}

static void tls_fini(void *state)
{
    tls_state_t *st = state;
    if (st) {
        SSL_CTX_free(st->ctx);
        pthread_mutex_destroy(&st->lock);
        st->svc->free(st);
    }
}

/* clang-format off */
static const samsa_option_t tls_options[] = {
    SAMSA_OPTION_STRING("ssl_keystore_location", "",
        "PEM file with this broker's certificate chain, leaf first, and its "
        "private key unless ssl_key_location is set: presented to the "
        "leader, whose SSL listener maps it to this broker's principal. "
        "Empty: the broker's own ssl_keystore_location."),
    SAMSA_OPTION_STRING("ssl_key_location", "",
        "PEM file with the private key (default: ssl_keystore_location; "
        "with the broker's keystore, the broker's ssl_key_location)."),
    SAMSA_OPTION_STRING("ssl_key_password", "",
        "Password of an encrypted private key (empty: the broker's)."),
    SAMSA_OPTION_STRING("ssl_truststore_location", "",
        "PEM file of the CAs trusted to sign the peers' certificates; "
        "empty: the broker's ssl_truststore_location, else the system's."),
    SAMSA_OPTION_STRING("ssl_endpoint_identification_algorithm", "https",
        "https: the leader's certificate must name the host or IP connected "
        "to (Kafka's default); empty: no host name check."),
    SAMSA_OPTION_BOOL("tcp_nodelay", "true",
        "Disable Nagle's algorithm, so fetches and answers leave at once."),
    SAMSA_OPTION_END,
};
/* clang-format on */

static const samsa_transport_ops_t tls_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_transport_ops_t),
    .connect = tls_connect,
    .accept = tls_accept,
    .send = tls_send,
    .recv = tls_recv,
    .pollable_fd = tls_pollable_fd,
    .want_events = tls_want_events,
    .close = tls_close,
    .verify_peer = tls_verify_peer,
    .reload = tls_reload,
};

static const samsa_plugin_t tls_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_TRANSPORT,
    .name = "transport-tls",
    .version = "1.0.0",
    .summary = "Broker-to-broker connections over TLS (OpenSSL, mTLS)",
    .options = tls_options,
    .init = tls_init,
    .fini = tls_fini,
    .ops = &tls_ops,
};

SAMSA_PLUGIN_DECLARE(tls_plugin)
