/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/client_int.h - private state of the client (not for callers).
 */
#ifndef SAMSA_CLIENT_INT_H
#define SAMSA_CLIENT_INT_H

#include <sys/types.h>

#include "client/client.h"
#include "util/iobuf.h"

#define SAMSA_CONN_MAX_INFLIGHT 64

typedef struct samsa_inflight {
    int16_t api_key;
    int16_t version;
    int32_t corr;
} samsa_inflight_t;

struct samsa_cconn {
    int32_t node; /* SAMSA_NODE_ANY for the bootstrap connection */
    char *host;
    int port;
    int fd;             /* -1 when closed */
    struct ssl_st *ssl; /* TLS connections; NULL otherwise */
    int16_t api_min[SAMSA_API_COUNT];
    int16_t api_max[SAMSA_API_COUNT];      /* -1 = broker lacks it */
    int16_t api_peer_max[SAMSA_API_COUNT]; /* the broker's own maximum */
    samsa_inflight_t q[SAMSA_CONN_MAX_INFLIGHT];
    int qhead, qlen;
};

typedef struct samsa_broker_addr {
    int32_t id;
    char *host;
    int port;
} samsa_broker_addr_t;

struct samsa_client {
    char *bootstrap;
    char *client_id;
    int timeout_ms;
    char *sasl_mechanism, *sasl_username, *sasl_password; /* NULL: none */
    bool tls, ssl_no_hostname_check;
    char *ssl_ca_location, *ssl_certificate_location, *ssl_key_location;
    char *ssl_key_password;             /* NULL: none; cleared before free */
    struct ssl_ctx_st *ssl_ctx;         /* made on the first TLS connection */
    samsa_client_tls_ctx_t *shared_tls; /* borrowed; replaces ssl_ctx */
    int32_t next_corr;
    samsa_cconn_t **conns;
    int nconns;
    samsa_broker_addr_t *brokers;
    int nbrokers;
    char *coord_group; /* cached FindCoordinator answer */
    int32_t coord_node;
    samsa_iobuf_t out;
    char err[512];
};

/* The connection to @p node, connecting (and negotiating) when needed. */
samsa_err_t samsa_client_conn(samsa_client_t *c, int32_t node,
                              samsa_cconn_t **out);
/* Remember a broker address (from Metadata or FindCoordinator). */
samsa_err_t samsa_client_add_broker(samsa_client_t *c, int32_t id,
                                    samsa_str_t host, int32_t port);
/* Forget the newest outstanding request of @p node (acks=0 produce: the
 * broker sends no response). */
void samsa_client_drop_last(samsa_client_t *c, int32_t node);
/* Close a connection after an I/O error (outstanding requests are lost). */
void samsa_cconn_close(samsa_cconn_t *conn);

/* TLS (client/tls.c): the handshake on a connected blocking socket, the
 * broker's certificate verified; the error line names OpenSSL's reason. */
samsa_err_t samsa_client_tls_start(samsa_client_t *c, samsa_cconn_t *conn);
/* Read up to n bytes from a TLS connection: > 0, 0 when the broker closed
 * it, -1 with errno (EAGAIN on the socket timeout). */
ssize_t samsa_client_tls_read(samsa_cconn_t *conn, void *buf, size_t n);
void samsa_client_tls_close(samsa_cconn_t *conn);
void samsa_client_tls_free(samsa_client_t *c);

/* A Fetch response's aborted transactions of one partition. */
typedef samsa_FetchResponse_AbortedTransaction_array_t samsa_client_aborted_t;

/* Hand the records of one partition's fetched data to cb, advancing
 * pos->offset past what was delivered (core/client/fetch.c); with
 * @p aborted (read_committed: the response's aborted transactions, NULL
 * otherwise) the batches of those transactions are skipped. Returns 1
 * when cb asked to stop, 0 to go on, < 0 on error (*err set, the client's
 * error line says why). */
int samsa_client_deliver_records(
    samsa_client_t *c, const samsa_fetch_conf_t *conf, samsa_fetch_pos_t *pos,
    const samsa_records_t *recs, const samsa_client_aborted_t *aborted,
    samsa_record_cb cb, void *opaque, samsa_err_t *err);

#endif /* SAMSA_CLIENT_INT_H */
