/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/net/tls.c - TLS on a connection of a TLS listener (OpenSSL).
 *
 * The session reads and writes the non-blocking socket itself. The
 * handshake needs no state of its own: it runs inside the first SSL_read
 * calls, which the reactor makes on EPOLLIN like any read, so a slow or
 * silent client costs a reactor nothing (connections_max_idle_ms closes
 * it). Writes go through samsa_iobuf_send (core/util/iobuf.c).
 */
#include "net/net_internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "util/log.h"

samsa_err_t samsa_net_tls_start(samsa_conn_t *conn, void *tls)
{
    SSL *ssl = SSL_new(tls);
    if (!ssl) {
        return SAMSA_ERR_NOMEM;
    }
    if (SSL_set_fd(ssl, conn->fd) != 1) {
        SSL_free(ssl);
        return SAMSA_ERR_NOMEM;
    }
    SSL_set_accept_state(ssl);
    conn->ssl = ssl;
    return SAMSA_OK;
}

static void log_failure(samsa_conn_t *conn)
{
    char reason[256] = "protocol error";
    unsigned long e = ERR_peek_last_error();
    if (e) {
        ERR_error_string_n(e, reason, sizeof(reason));
    }
    long verify = SSL_get_verify_result(conn->ssl);
    samsa_log(SAMSA_LOG_INFO, "net: %s: TLS %s failed: %s%s%s; closing",
              conn->peer,
              SSL_is_init_finished(conn->ssl) ? "session" : "handshake", reason,
              verify != X509_V_OK ? ": " : "",
              verify != X509_V_OK ? X509_verify_cert_error_string(verify) : "");
    ERR_clear_error();
}

ssize_t samsa_net_tls_read(samsa_conn_t *conn, void *buf, size_t cap)
{
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(conn->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
    conn->tls_read_wants_write = false;
    if (n > 0) {
        return n;
    }
    switch (SSL_get_error(conn->ssl, n)) {
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        conn->tls_read_wants_write = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0) {
            return 0; /* EOF without close_notify */
        }
        return -1;
    default:
        log_failure(conn);
        errno = EPROTO;
        return -1;
    }
}

bool samsa_net_tls_pending(const samsa_conn_t *conn)
{
    return conn->ssl && SSL_has_pending(conn->ssl);
}

void samsa_net_tls_close(samsa_conn_t *conn)
{
    if (!conn->ssl) {
        return;
    }
    if (SSL_is_init_finished(conn->ssl)) {
        ERR_clear_error();
        SSL_shutdown(conn->ssl);
    }
    ERR_clear_error();
    SSL_free(conn->ssl);
    conn->ssl = NULL;
}

struct ssl_st *samsa_conn_tls(const samsa_conn_t *conn)
{
    return conn->ssl;
}
