/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/tls.c - TLS for the in-tree client (OpenSSL): one client
 * context per samsa_client_t, made on its first TLS connection from the
 * ssl_* settings, or one shared by several clients and replaced on demand
 * (samsa_client_tls_ctx_t: samsad's inter-broker clients); TLS 1.2 and 1.3; the
 * broker's certificate verified against the CAs and, unless turned off, its
 * name against the host connected to (Kafka's
 * ssl.endpoint.identification.algorithm=https).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/client_int.h"
#include "security/tls_context.h"

struct samsa_client_tls_ctx {
    pthread_mutex_t lock; /* guards ctx */
    SSL_CTX *ctx;
    char *ca, *cert, *key, *password; /* NULL: none */
};

static samsa_err_t tls_fail(samsa_client_t *c, samsa_cconn_t *conn,
                            samsa_err_t err, const char *what)
{
    char reason[256] = "connection closed";
    unsigned long e = ERR_peek_last_error();
    if (e) {
        ERR_error_string_n(e, reason, sizeof(reason));
    }
    long verify =
        conn && conn->ssl ? SSL_get_verify_result(conn->ssl) : X509_V_OK;
    ERR_clear_error();
    if (verify != X509_V_OK) {
        return samsa_client_fail(
            c, err, "TLS %s %s:%d: certificate verify failed: %s", what,
            conn->host, conn->port, X509_verify_cert_error_string(verify));
    }
    return samsa_client_fail(c, err, "TLS %s %s:%d: %s", what,
                             conn ? conn->host : "", conn ? conn->port : 0,
                             reason);
}

/* The files a client context is read from (borrowed). */
typedef struct tls_files {
    const char *ca, *cert, *key, *password;
} tls_files_t;

/* A new client context from @p f; errbuf names the file that did not load
 * and OpenSSL's reason. */
static samsa_err_t load_ctx(const tls_files_t *f, SSL_CTX **out, char *errbuf,
                            size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        return SAMSA_ERR_NOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_default_passwd_cb(ctx, samsa_tls_password_cb);
    /* Used only while the key is read below. */
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)f->password);
    const char *what = NULL;
    if (f->ca ? SSL_CTX_load_verify_locations(ctx, f->ca, NULL) != 1
              : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        what = "CA certificates (ssl.ca.location / ssl.truststore.location)";
    } else if (f->cert &&
               SSL_CTX_use_certificate_chain_file(ctx, f->cert) != 1) {
        what = "client certificate (ssl.certificate.location)";
    } else if (f->key && SSL_CTX_use_PrivateKey_file(ctx, f->key,
                                                     SSL_FILETYPE_PEM) != 1) {
        what = "client key (ssl.key.location)";
    }
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    if (what) {
        char reason[256] = "unreadable";
        unsigned long e = ERR_peek_last_error();
        if (e) {
            ERR_error_string_n(e, reason, sizeof(reason));
        }
        ERR_clear_error();
        snprintf(errbuf, errlen, "%s: %s", what, reason);
        SSL_CTX_free(ctx);
        return SAMSA_ERR_CONFIG;
    }
    *out = ctx;
    return SAMSA_OK;
}

static samsa_err_t make_ctx(samsa_client_t *c, samsa_cconn_t *conn)
{
    tls_files_t f = {c->ssl_ca_location, c->ssl_certificate_location,
                     c->ssl_key_location, c->ssl_key_password};
    char why[400] = "";
    samsa_err_t err = load_ctx(&f, &c->ssl_ctx, why, sizeof(why));
    if (err == SAMSA_ERR_CONFIG) {
        return samsa_client_fail(c, err, "TLS %s for %s:%d", why, conn->host,
                                 conn->port);
    }
    return err;
}

/* A new reference to the context a connection starts from. */
static samsa_err_t current_ctx(samsa_client_t *c, samsa_cconn_t *conn,
                               SSL_CTX **out)
{
    if (c->shared_tls) {
        samsa_client_tls_ctx_t *t = c->shared_tls;
        pthread_mutex_lock(&t->lock);
        SSL_CTX_up_ref(t->ctx);
        *out = t->ctx;
        pthread_mutex_unlock(&t->lock);
        return SAMSA_OK;
    }
    samsa_err_t err = c->ssl_ctx ? SAMSA_OK : make_ctx(c, conn);
    if (err == SAMSA_OK) {
        SSL_CTX_up_ref(c->ssl_ctx);
        *out = c->ssl_ctx;
    }
    return err;
}

samsa_err_t samsa_client_tls_start(samsa_client_t *c, samsa_cconn_t *conn)
{
    SSL_CTX *ctx = NULL;
    samsa_err_t err = current_ctx(c, conn, &ctx);
    if (err != SAMSA_OK) {
        return err;
    }
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx); /* the SSL holds its own reference */
    if (!ssl) {
        return SAMSA_ERR_NOMEM;
    }
    conn->ssl = ssl;
    SSL_set_fd(ssl, conn->fd);
    SSL_set_tlsext_host_name(ssl, conn->host);
    if (!c->ssl_no_hostname_check) {
        /* An IP address is checked against the certificate's IP SANs. */
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        if (X509_VERIFY_PARAM_set1_ip_asc(vp, conn->host) != 1) {
            SSL_set1_host(ssl, conn->host);
        }
    }
    if (SSL_connect(ssl) != 1) {
        return tls_fail(c, conn, SAMSA_ERR_IO, "handshake with");
    }
    return SAMSA_OK;
}

ssize_t samsa_client_tls_read(samsa_cconn_t *conn, void *buf, size_t n)
{
    int r = SSL_read(conn->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0) {
        return r;
    }
    int e = SSL_get_error(conn->ssl, r);
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN) {
        return 0;
    }
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
    } else if (e != SSL_ERROR_SYSCALL || errno == 0) {
        errno = e == SSL_ERROR_SYSCALL ? ECONNRESET : EPROTO;
    }
    return e == SSL_ERROR_SYSCALL && errno == ECONNRESET ? 0 : -1;
}

void samsa_client_tls_close(samsa_cconn_t *conn)
{
    if (conn->ssl) {
        SSL_free(conn->ssl);
        conn->ssl = NULL;
    }
}

void samsa_client_tls_free(samsa_client_t *c)
{
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = NULL;
}

/* ------------------------------------------------------------------ */
/* A context shared by several clients, read again on demand           */
/* ------------------------------------------------------------------ */

void samsa_client_tls_ctx_free(samsa_client_tls_ctx_t *t)
{
    if (!t) {
        return;
    }
    SSL_CTX_free(t->ctx);
    free(t->ca);
    free(t->cert);
    free(t->key);
    if (t->password) {
        OPENSSL_cleanse(t->password, strlen(t->password));
    }
    free(t->password);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

samsa_err_t samsa_client_tls_ctx_new(const samsa_client_conf_t *conf,
                                     samsa_client_tls_ctx_t **out, char *errbuf,
                                     size_t errlen)
{
    samsa_client_tls_ctx_t *t = calloc(1, sizeof(*t));
    if (!t) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_init(&t->lock, NULL);
    const char *const from[4] = {
        conf->ssl_ca_location, conf->ssl_certificate_location,
        conf->ssl_key_location, conf->ssl_key_password};
    char **to[4] = {&t->ca, &t->cert, &t->key, &t->password};
    for (int i = 0; i < 4; i++) {
        if (from[i] && from[i][0] && !(*to[i] = strdup(from[i]))) {
            samsa_client_tls_ctx_free(t);
            return SAMSA_ERR_NOMEM;
        }
    }
    tls_files_t f = {t->ca, t->cert, t->key, t->password};
    samsa_err_t err = load_ctx(&f, &t->ctx, errbuf, errlen);
    if (err != SAMSA_OK) {
        samsa_client_tls_ctx_free(t);
        return err;
    }
    *out = t;
    return SAMSA_OK;
}

samsa_err_t samsa_client_tls_ctx_reload(samsa_client_tls_ctx_t *t, char *errbuf,
                                        size_t errlen)
{
    tls_files_t f = {t->ca, t->cert, t->key, t->password};
    SSL_CTX *fresh = NULL;
    samsa_err_t err = load_ctx(&f, &fresh, errbuf, errlen);
    if (err != SAMSA_OK) {
        return err;
    }
    pthread_mutex_lock(&t->lock);
    SSL_CTX *old = t->ctx;
    t->ctx = fresh;
    pthread_mutex_unlock(&t->lock);
    SSL_CTX_free(old); /* connections made from it hold their own ref */
    return SAMSA_OK;
}
