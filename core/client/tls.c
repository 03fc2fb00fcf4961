/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/tls.c - TLS for the in-tree client (OpenSSL): one client
 * context per samsa_client_t, made on its first TLS connection from the
 * ssl_* settings; TLS 1.2 and 1.3; the broker's certificate verified
 * against the CAs and, unless turned off, its name against the host
 * connected to (Kafka's ssl.endpoint.identification.algorithm=https).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/client_int.h"
#include "security/tls_context.h"

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

static samsa_err_t make_ctx(samsa_client_t *c, samsa_cconn_t *conn)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        return SAMSA_ERR_NOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_default_passwd_cb(ctx, samsa_tls_password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, c->ssl_key_password);
    const char *what = NULL;
    if (c->ssl_ca_location
            ? SSL_CTX_load_verify_locations(ctx, c->ssl_ca_location, NULL) != 1
            : SSL_CTX_set_default_verify_paths(ctx) != 1) {
        what = "CA certificates (ssl.ca.location / ssl.truststore.location) "
               "for";
    } else if (c->ssl_certificate_location &&
               SSL_CTX_use_certificate_chain_file(
                   ctx, c->ssl_certificate_location) != 1) {
        what = "client certificate (ssl.certificate.location) for";
    } else if (c->ssl_key_location &&
               SSL_CTX_use_PrivateKey_file(ctx, c->ssl_key_location,
                                           SSL_FILETYPE_PEM) != 1) {
        what = "client key (ssl.key.location) for";
    }
    if (what) {
        SSL_CTX_free(ctx);
        return tls_fail(c, conn, SAMSA_ERR_CONFIG, what);
    }
    c->ssl_ctx = ctx;
    return SAMSA_OK;
}

samsa_err_t samsa_client_tls_start(samsa_client_t *c, samsa_cconn_t *conn)
{
    samsa_err_t err = c->ssl_ctx ? SAMSA_OK : make_ctx(c, conn);
    if (err != SAMSA_OK) {
        return err;
    }
    SSL *ssl = SSL_new(c->ssl_ctx);
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
