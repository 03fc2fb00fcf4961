/* SPDX-License-Identifier: Apache-2.0 */
/* core/net/net_internal.h - structures shared by server.c and conn.c. */
#ifndef SAMSA_NET_INTERNAL_H
#define SAMSA_NET_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/server.h"

#define SAMSA_NET_RBUF_SIZE 65536

struct samsa_slot {
    /* Two holders: the completion (reactor) and the frame (any thread). */
    atomic_int holds;
    bool done;   /* completed, response in resp */
    bool orphan; /* its connection closed before it completed */
    samsa_conn_t *conn;
    samsa_slot_t *next;
    uint64_t seq;
    size_t frame_len;
    samsa_iobuf_t resp;
    _Alignas(16) uint8_t frame[]; /* the request bytes */
};

/* Per-reactor part of a server. Touched only on its reactor thread. */
typedef struct samsa_net_shard {
    samsa_server_t *srv;
    samsa_reactor_t *r;
    samsa_conn_t *conns; /* doubly linked, open connections */
    bool stopping;
    samsa_timer_id_t global_timer; /* resumes globally paused conns */
    samsa_timer_id_t idle_timer;   /* closes idle and stalled conns */
    uint8_t *rbuf;                 /* shared read buffer */
} samsa_net_shard_t;

struct samsa_conn {
    atomic_uint refs; /* 1 while open + 1 per uncompleted slot + users */
    int fd;
    struct ssl_st *ssl;        /* TLS listener: the session, else NULL */
    uint32_t listener;         /* index in samsa_server_config_t */
    bool tls_read_wants_write; /* SSL_read waits for EPOLLOUT */
    bool tls_kick_posted;      /* decrypted bytes wait: read posted */
    uint64_t id;
    samsa_server_t *srv;
    samsa_net_shard_t *shard;
    samsa_reactor_t *r;
    samsa_conn_t *prev, *next;
    void *ctx;
    void *auth;
    bool closed;
    bool closing; /* close once drained */
    bool reading; /* EPOLLIN wanted */
    bool in_read; /* inside the read handler: batch the sends */
    bool resume_posted;
    bool paused_global;
    uint64_t
        muted_until_ms; /* quota throttle: not read before (reactor clock) */
    samsa_timer_id_t mute_timer; /* ends the mute; holds a reference */
    uint32_t events;             /* registered with epoll */
    uint8_t hdr[4];
    uint8_t hdr_have;
    samsa_slot_t *partial; /* frame being received */
    size_t partial_have;
    uint8_t *stash; /* bytes read but not parsed while paused */
    size_t stash_len;
    samsa_slot_t *head, *tail; /* slots in request order */
    uint64_t next_seq;
    uint32_t inflight_reqs;
    size_t inflight_bytes; /* request bytes of unretired slots */
    samsa_iobuf_t out;
    size_t out_mem;          /* memory-backed bytes of out in global_resp_mem */
    uint64_t last_active_ms; /* last byte read or written (reactor clock) */
    char peer[64];
};

/* The server's shared fields used by conn.c. */
typedef struct samsa_net_limits {
    size_t max_request_bytes;
    uint32_t max_inflight_requests;
    size_t max_inflight_bytes;
    size_t max_global_inflight_bytes;
    size_t max_connections;
    uint64_t max_idle_ms; /* 0 = never */
    bool prefer_copy;
} samsa_net_limits_t;

struct samsa_server_shared {
    samsa_net_limits_t lim;
    atomic_size_t global_inflight; /* request bytes in flight */
    atomic_size_t global_resp_mem; /* heap bytes of unsent responses */
    atomic_uint_fast64_t accepted, refused, closed, open, idle_closed;
    atomic_bool stopping;
    samsa_conn_request_cb on_request;
    samsa_conn_open_cb on_open;
    samsa_conn_close_cb on_close;
    void *app;
};

/* server.c gives conn.c these. */
struct samsa_server_shared *samsa_net_shared(samsa_server_t *srv);

/* conn.c. @p tls: the listener's SSL_CTX, NULL for plain TCP. */
samsa_conn_t *samsa_net_conn_new(samsa_server_t *srv, int fd, const char *peer,
                                 uint64_t id, uint32_t listener, void *tls);
/* On the conn's reactor: start reading, or close if the shard stops. */
void samsa_net_conn_attach(samsa_conn_t *conn, samsa_net_shard_t *shard);
void samsa_net_shard_drain(samsa_net_shard_t *shard);
/* On the shard's reactor: start the idle check (when max_idle_ms > 0). */
void samsa_net_shard_start(samsa_net_shard_t *shard);
void samsa_net_shard_close_all(samsa_net_shard_t *shard);

/* tls.c: TLS on a connection (conn->ssl). */
/* Start a server-side session on conn->fd from the SSL_CTX @p tls. */
samsa_err_t samsa_net_tls_start(samsa_conn_t *conn, void *tls);
/* Like read(2) on the socket: > 0 bytes, 0 on EOF or close_notify, -1 with
 * errno (EAGAIN: wait; conn->tls_read_wants_write says for EPOLLOUT).
 * Drives the handshake; a failed one is logged here (the peer and
 * OpenSSL's reason) and returns -1 with errno EPROTO. */
ssize_t samsa_net_tls_read(samsa_conn_t *conn, void *buf, size_t cap);
/* Decrypted bytes are waiting in OpenSSL (epoll will not report them). */
bool samsa_net_tls_pending(const samsa_conn_t *conn);
/* Say goodbye (close_notify, best effort, never waits) and free. */
void samsa_net_tls_close(samsa_conn_t *conn);

#endif /* SAMSA_NET_INTERNAL_H */
