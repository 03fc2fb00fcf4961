/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/net/server.h - listeners, connections, frames and ordered responses.
 *
 * A server owns listeners and the connections they accept. Each accepted
 * connection is handed round-robin to one reactor of a group and lives there
 * until it closes. Requests arrive as size-prefixed frames (int32 big-endian
 * size, then that many bytes); every frame gets a response slot, and
 * responses go out strictly in slot order whatever order they complete in.
 *
 * Threads:
 *   - on_request / on_close run on the connection's reactor thread.
 *   - Every samsa_conn_* and samsa_slot_* function is called on the
 *     connection's reactor thread (samsa_conn_reactor()). Work finishing on
 *     another thread (storage, a produce on another reactor) gets there with
 *     samsa_reactor_post(samsa_conn_reactor(conn), fn, arg). A slot keeps
 *     its connection's memory alive, so holding the slot is enough to keep
 *     the conn pointer valid for that post.
 *     Exceptions: samsa_conn_ref/unref and samsa_frame_free, any thread.
 *   - samsa_server_create/start/stop/destroy: the main thread (never a
 *     reactor thread).
 *
 * Lifetimes:
 *   - frame: handed to the app by on_request; released with
 *     samsa_frame_free() (not free()) from any thread, before or after the
 *     slot completes. Decoded structs may point into it while parked.
 *   - slot: completed exactly once, with samsa_slot_complete() or
 *     samsa_slot_complete_none(). After the connection closed, completing
 *     is still required and just releases the slot (the response is
 *     dropped), so a parked long-poll finishing late is safe.
 *   - on_close(conn) is called once when the connection closes (peer went
 *     away, samsa_conn_close(), protocol error, server stop). Parked slots
 *     are still owned by the app then; it should complete them (typically
 *     cancel their timers and complete_none) and free its context.
 */
#ifndef SAMSA_NET_SERVER_H
#define SAMSA_NET_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "loop/reactor.h"
#include "util/iobuf.h"

typedef struct samsa_server samsa_server_t;
typedef struct samsa_conn samsa_conn_t;
typedef struct samsa_slot samsa_slot_t;

/* One complete frame (without its 4-byte size). The app owns frame (free it
 * with samsa_frame_free) and must complete slot exactly once. */
typedef void (*samsa_conn_request_cb)(samsa_conn_t *conn, samsa_slot_t *slot,
                                      uint8_t *frame, size_t len, void *app);
/* A new connection on its reactor, before any request (optional). */
typedef void (*samsa_conn_open_cb)(samsa_conn_t *conn, void *app);
/* The connection closed; see "Lifetimes" above (optional). */
typedef void (*samsa_conn_close_cb)(samsa_conn_t *conn, void *app);

#define SAMSA_DEFAULT_MAX_REQUEST_BYTES                                        \
    104857600u /* socket.request.max.bytes */

typedef struct samsa_server_config {
    /* "HOST:PORT" each: "127.0.0.1:9092", "[::1]:0", "0.0.0.0:9092",
     * "localhost:9092" (first address), ":9092" (all IPv4). Port 0 picks an
     * ephemeral port; read it back with samsa_server_port(). */
    const char *const *listeners;
    size_t listener_count;
    int backlog; /* default 1024 */
    /* Reactors to create when samsa_server_create() gets no group (0 = one
     * per online CPU). */
    size_t reactors;
    size_t max_request_bytes;       /* frames above close the connection */
    size_t max_connections;         /* 0 = unlimited; beyond: refused */
    uint32_t max_inflight_requests; /* per connection, default 128 */
    /* Back-pressure. A connection stops being read while its own requests
     * in flight plus its queued, unsent responses reach max_inflight_bytes:
     * a peer that reads nothing only ever stalls itself. The global budget
     * applies twice: to request bytes in flight (frames read and not yet
     * answered), which pauses every connection; and to the heap memory of
     * unsent responses (file ranges hold none), which only pauses the
     * connections that themselves have responses unsent, until they take
     * them. So a client that reads promptly is never held up by one that
     * does not, and responses nobody reads stay bounded. */
    size_t max_inflight_bytes;        /* per connection, default 64 MiB */
    size_t max_global_inflight_bytes; /* see above, default 512 MiB */
    /* connections.max.idle.ms: a connection with nothing read or written for
     * this long is closed, whether it is idle or its peer stopped reading
     * its responses (then with a WARN naming the peer). Requests the app
     * still holds (parked long polls) keep a silent connection open.
     * 0 = never; default 600000. */
    uint32_t max_idle_ms;
    uint32_t shutdown_timeout_ms; /* samsa_server_stop() drain bound, 5000 */
    bool send_file_copy; /* send file chunks with pread+write, not sendfile
                            (see DESIGN: let the benchmark choose) */
    /* Per listener (listener_count entries) an OpenSSL SSL_CTX * serving
     * TLS on it, or NULL for plain TCP; NULL array: all plain. Borrowed:
     * must outlive the server. The handshake runs on the reactor, driven
     * by readiness like any read, and never blocks it. */
    void *const *listener_tls;
    samsa_conn_request_cb on_request; /* required */
    samsa_conn_open_cb on_open;
    samsa_conn_close_cb on_close;
    void *app;
} samsa_server_config_t;

/* Fill defaults; then set listeners and on_request. */
void samsa_server_config_init(samsa_server_config_t *cfg);

/* Bind and listen on every listener now (errors name the listener in
 * errbuf). group == NULL: the server creates and owns cfg->reactors
 * reactors; otherwise it uses (and never stops) the caller's group.
 * cfg's strings are copied. */
samsa_err_t samsa_server_create(const samsa_server_config_t *cfg,
                                samsa_reactor_group_t *group,
                                samsa_server_t **out, char *errbuf,
                                size_t errlen);
/* Start the owned reactors (if any) and begin accepting. */
samsa_err_t samsa_server_start(samsa_server_t *srv);
/* Graceful stop: stop accepting; stop reading requests; let in-flight
 * requests complete and their responses flush for up to timeout_ms
 * (0 = cfg.shutdown_timeout_ms); then close every connection (on_close
 * runs); then stop and join owned reactors. A borrowed group keeps
 * running. Idempotent. */
void samsa_server_stop(samsa_server_t *srv, uint32_t timeout_ms);
/* After stop (or without start). */
void samsa_server_destroy(samsa_server_t *srv);

/* Certificate reload: listeners using TLS context @p old_tls (an SSL_CTX)
 * accept with @p new_tls from now on; connections already made keep the
 * context they started with (their SSL holds a reference). The caller
 * then drops its reference to the old one. Returns how many listeners
 * changed. Any thread but a reactor's. */
size_t samsa_server_replace_tls(samsa_server_t *srv, void *old_tls,
                                void *new_tls);

samsa_reactor_group_t *samsa_server_group(samsa_server_t *srv);
size_t samsa_server_listener_count(const samsa_server_t *srv);
/* The bound port of listener i (useful after port 0). */
uint16_t samsa_server_port(const samsa_server_t *srv, size_t i);

typedef struct samsa_server_stats {
    uint64_t accepted;           /* connections accepted and attached */
    uint64_t refused;            /* over max_connections */
    uint64_t closed;             /* connections closed */
    uint64_t open;               /* currently open */
    uint64_t inflight_bytes;     /* global in-flight request bytes */
    uint64_t response_mem_bytes; /* heap bytes of unsent responses */
    uint64_t idle_closed;        /* closed by max_idle_ms (idle or stalled) */
} samsa_server_stats_t;

void samsa_server_get_stats(const samsa_server_t *srv,
                            samsa_server_stats_t *out);

/* ---- connections (reactor thread of the connection) --------------------- */

samsa_reactor_t *samsa_conn_reactor(const samsa_conn_t *conn);
samsa_server_t *samsa_conn_server(const samsa_conn_t *conn);
/* "127.0.0.1:53210" / "[::1]:53210"; valid while the conn is. */
const char *samsa_conn_peer(const samsa_conn_t *conn);
uint64_t samsa_conn_id(const samsa_conn_t *conn);
/* Index (in samsa_server_config_t.listeners) of the listener that accepted
 * the connection. */
uint32_t samsa_conn_listener(const samsa_conn_t *conn);
/* The connection's OpenSSL SSL * on a TLS listener (handshake done once a
 * request arrived), else NULL. Owned by the connection. */
struct ssl_st *samsa_conn_tls(const samsa_conn_t *conn);
void *samsa_conn_get_ctx(const samsa_conn_t *conn);
void samsa_conn_set_ctx(samsa_conn_t *conn, void *ctx);
/* The connection's authentication state (core/security/auth.h), kept
 * apart from ctx so the two owners never meet. */
void *samsa_conn_get_auth(const samsa_conn_t *conn);
void samsa_conn_set_auth(samsa_conn_t *conn, void *auth);
bool samsa_conn_is_closed(const samsa_conn_t *conn);
/* Close now: pending responses are dropped, on_close runs (maybe inside
 * this call). Idempotent. */
void samsa_conn_close(samsa_conn_t *conn);
/* Quota throttling (KIP-219): read no further request for @p ms; the
 * responses already due are still sent. A longer mute wins. */
void samsa_conn_mute(samsa_conn_t *conn, uint32_t ms);
/* Stop reading; close once every slot is completed and written. */
void samsa_conn_close_after_flush(samsa_conn_t *conn);
/* Keep the struct alive beyond close (any thread). */
void samsa_conn_ref(samsa_conn_t *conn);
void samsa_conn_unref(samsa_conn_t *conn);

/* ---- slots ----------------------------------------------------------------
 */

samsa_conn_t *samsa_slot_conn(const samsa_slot_t *slot);
/* Sequence number of the frame on its connection, from 0. */
uint64_t samsa_slot_seq(const samsa_slot_t *slot);
/* Complete with a response that already starts with its 4-byte size (the
 * one writer of a response frame is samsa_response_frame, in
 * core/protocol/header.h). Takes the iobuf's contents and leaves
 * *response empty and reusable. */
void samsa_slot_complete(samsa_slot_t *slot, samsa_iobuf_t *response);
/* Complete with no response bytes (acks=0 produce). */
void samsa_slot_complete_none(samsa_slot_t *slot);

/* Release a frame given by on_request; any thread; NULL is a no-op. */
void samsa_frame_free(uint8_t *frame);

#endif /* SAMSA_NET_SERVER_H */
