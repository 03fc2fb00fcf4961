/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/raft_transport.c - see raft_transport.h. */
#define _GNU_SOURCE /* accept4 */
#include "metadata/raft_transport.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "util/log.h"

/* Each direction of a relay buffers this much. Raft messages larger than
 * that (snapshots) simply take several rounds. */
#define RELAY_BUF (64 * 1024)
/* "samsaRFT", then the Raft id and the address length, little-endian. */
#define PREAMBLE_MAGIC 0x5446527361736d61ULL
#define PREAMBLE_FIXED 24
#define ADDRESS_MAX    255

typedef struct relay relay_t;

typedef struct rtransport {
    struct raft_uv_transport *t;
    uv_loop_t *loop;
    const samsa_transport_ops_t *ops;
    void *state;
    const samsa_raft_peer_t *peers;
    size_t peer_count;
    char bind_host[256];
    raft_id id;
    char address[300];
    int listen_fd;
    uv_poll_t listen_poll;
    raft_uv_accept_cb accept_cb;
    raft_uv_transport_close_cb close_cb;
    bool closing;
    int handles; /* uv handles of ours not closed yet */
    relay_t *relays;
} rtransport_t;

struct relay {
    rtransport_t *tr;
    relay_t *prev, *next;
    samsa_transport_conn_t *conn;
    uv_poll_t net_poll;
    int local_fd; /* our end of the socketpair, -1 before libraft has one */
    uv_poll_t local_poll;
    int open_handles;
    bool closing;
    /* Outbound: libraft's request until the preamble is sent. */
    struct raft_uv_connect *req;
    size_t preamble_left;
    /* Inbound: the peer's Raft id once its preamble was read. */
    bool inbound;
    bool identified;
    raft_id peer_id;
    char peer_address[ADDRESS_MAX + 1];
    char what[320]; /* for the log */
    uint8_t to_net[RELAY_BUF];
    size_t to_net_off, to_net_len;
    uint8_t to_local[RELAY_BUF];
    size_t to_local_off, to_local_len;
};

static void pump(relay_t *r);

/* ------------------------------------------------------------------ */
/* Relay lifetime                                                     */
/* ------------------------------------------------------------------ */

static void maybe_closed(rtransport_t *tr)
{
    if (tr->closing && tr->handles == 0 && tr->close_cb) {
        raft_uv_transport_close_cb cb = tr->close_cb;
        tr->close_cb = NULL;
        cb(tr->t);
    }
}

static void relay_handle_closed(uv_handle_t *h)
{
    relay_t *r = h->data;
    rtransport_t *tr = r->tr;
    tr->handles--;
    if (--r->open_handles == 0) {
        tr->ops->close(r->conn);
        if (r->local_fd >= 0) {
            close(r->local_fd);
        }
        free(r);
    }
    maybe_closed(tr);
}

/* Stop relaying: libraft's end of the socketpair then sees EOF (inbound)
 * or EPIPE on its next write (outbound) and reconnects as after a TCP
 * failure. Memory goes once the poll handles are closed. */
static void teardown(relay_t *r)
{
    if (r->closing) {
        return;
    }
    r->closing = true;
    if (r->prev) {
        r->prev->next = r->next;
    } else {
        r->tr->relays = r->next;
    }
    if (r->next) {
        r->next->prev = r->prev;
    }
    if (r->req) {
        struct raft_uv_connect *req = r->req;
        r->req = NULL;
        req->cb(req, NULL, r->tr->closing ? RAFT_CANCELED : RAFT_NOCONNECTION);
    }
    uv_close((uv_handle_t *)&r->net_poll, relay_handle_closed);
    if (r->local_fd >= 0) {
        uv_close((uv_handle_t *)&r->local_poll, relay_handle_closed);
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    relay_t *r = h->data;
    if (status < 0) {
        teardown(r);
    } else {
        pump(r);
    }
}

static relay_t *relay_new(rtransport_t *tr, samsa_transport_conn_t *conn)
{
    relay_t *r = calloc(1, sizeof(*r));
    if (!r) {
        return NULL;
    }
    r->tr = tr;
    r->conn = conn;
    r->local_fd = -1;
    if (uv_poll_init_socket(tr->loop, &r->net_poll,
                            tr->ops->pollable_fd(conn)) != 0) {
        free(r);
        return NULL;
    }
    r->net_poll.data = r;
    r->open_handles = 1;
    tr->handles++;
    r->next = tr->relays;
    if (tr->relays) {
        tr->relays->prev = r;
    }
    tr->relays = r;
    return r;
}

/* The socketpair whose one end libraft reads and writes as a uv_pipe_t
 * (allocated with raft_malloc: libraft frees it after uv_close). */
static uv_stream_t *open_stream(relay_t *r)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0) {
        return NULL;
    }
    uv_pipe_t *pipe = raft_malloc(sizeof(*pipe));
    if (!pipe || uv_pipe_init(r->tr->loop, pipe, 0) != 0) {
        raft_free(pipe);
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    if (uv_pipe_open(pipe, sv[1]) != 0) {
        uv_close((uv_handle_t *)pipe, (uv_close_cb)raft_free);
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    if (uv_poll_init_socket(r->tr->loop, &r->local_poll, sv[0]) != 0) {
        /* The pipe handle owns sv[1] now: closed with it. */
        uv_close((uv_handle_t *)pipe, (uv_close_cb)raft_free);
        close(sv[0]);
        return NULL;
    }
    r->local_fd = sv[0];
    r->local_poll.data = r;
    r->open_handles++;
    r->tr->handles++;
    return (uv_stream_t *)pipe;
}

/* ------------------------------------------------------------------ */
/* Moving bytes                                                       */
/* ------------------------------------------------------------------ */

static int uv_events(const relay_t *r, uint32_t dflt)
{
    const samsa_transport_ops_t *ops = r->tr->ops;
    uint32_t w = ops->want_events ? ops->want_events(r->conn) : dflt;
    return ((w & SAMSA_TRANSPORT_WANT_READ) ? UV_READABLE : 0) |
           ((w & SAMSA_TRANSPORT_WANT_WRITE) ? UV_WRITABLE : 0);
}

static void fail(relay_t *r, const char *why)
{
    samsa_log(SAMSA_LOG_DEBUG, "metadata quorum: %s: %s", r->what, why);
    teardown(r);
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static const samsa_raft_peer_t *peer_by_id(const rtransport_t *tr, raft_id id)
{
    for (size_t i = 0; i < tr->peer_count; i++) {
        if (tr->peers[i].id == id) {
            return &tr->peers[i];
        }
    }
    return NULL;
}

/* Inbound: once the preamble is in, check the peer and hand libraft the
 * stream. false: the relay was torn down (or waits for more bytes, with
 * r->identified still false). */
static bool take_preamble(relay_t *r)
{
    const uint8_t *p = r->to_local + r->to_local_off;
    size_t have = r->to_local_len - r->to_local_off;
    if (have < PREAMBLE_FIXED) {
        return false;
    }
    uint64_t magic = get_le64(p);
    uint64_t id = get_le64(p + 8);
    uint64_t len = get_le64(p + 16);
    if (magic != PREAMBLE_MAGIC || len > ADDRESS_MAX) {
        fail(r, "not a Samsa controller handshake");
        return false;
    }
    if (have < PREAMBLE_FIXED + len) {
        return false;
    }
    memcpy(r->peer_address, p + PREAMBLE_FIXED, len);
    r->peer_address[len] = '\0';
    r->peer_id = (raft_id)id;
    r->to_local_off += PREAMBLE_FIXED + len;
    const samsa_raft_peer_t *peer = peer_by_id(r->tr, r->peer_id);
    char why[512] = "";
    samsa_err_t err = SAMSA_OK;
    if (!peer) {
        snprintf(why, sizeof(why), "Raft id %llu is not a voter",
                 (unsigned long long)id);
        err = SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    } else if (r->tr->ops->verify_peer) {
        err = r->tr->ops->verify_peer(r->conn, peer->host, why, sizeof(why));
    }
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN,
                  "metadata quorum: refused a controller connection "
                  "claiming Raft id %llu (%s): %s",
                  (unsigned long long)id, r->peer_address, why);
        teardown(r);
        return false;
    }
    uv_stream_t *stream = open_stream(r);
    if (!stream) {
        fail(r, "cannot open the local stream");
        return false;
    }
    r->identified = true;
    r->tr->accept_cb(r->tr->t, r->peer_id, r->peer_address, stream);
    return true;
}

/* Outbound: the preamble went out (so any handshake completed from our
 * side): libraft gets its stream. */
static void connected(relay_t *r)
{
    struct raft_uv_connect *req = r->req;
    uv_stream_t *stream = open_stream(r);
    if (!stream) {
        fail(r, "cannot open the local stream");
        return;
    }
    r->req = NULL;
    req->cb(req, stream, 0);
}

/* Net to to_local: true when bytes came; *ev gets what to wait for. */
static bool net_recv(relay_t *r, int *ev)
{
    if (r->to_local_len == RELAY_BUF) {
        return false;
    }
    size_t n = 0;
    samsa_err_t err = r->tr->ops->recv(r->conn, r->to_local + r->to_local_len,
                                       RELAY_BUF - r->to_local_len, &n);
    if (err == SAMSA_OK) {
        r->to_local_len += n;
        return true;
    }
    if (err == SAMSA_ERR_AGAIN) {
        *ev |= uv_events(r, SAMSA_TRANSPORT_WANT_READ);
    } else {
        fail(r,
             err == SAMSA_ERR_CLOSED ? "closed by the peer" : "receive failed");
    }
    return false;
}

static bool net_send(relay_t *r, int *ev)
{
    if (r->to_net_off == r->to_net_len) {
        return false;
    }
    struct iovec iov = {r->to_net + r->to_net_off,
                        r->to_net_len - r->to_net_off};
    size_t n = 0;
    samsa_err_t err = r->tr->ops->send(r->conn, &iov, 1, &n);
    if (err == SAMSA_ERR_AGAIN) {
        *ev |= uv_events(r, SAMSA_TRANSPORT_WANT_WRITE);
        return false;
    }
    if (err != SAMSA_OK) {
        fail(r, err == SAMSA_ERR_CLOSED ? "closed by the peer" : "send failed");
        return false;
    }
    r->to_net_off += n;
    if (r->to_net_off == r->to_net_len) {
        r->to_net_off = r->to_net_len = 0;
    }
    if (r->preamble_left > 0) {
        r->preamble_left -= n < r->preamble_left ? n : r->preamble_left;
        if (r->preamble_left == 0) {
            connected(r);
        }
    }
    return true;
}

static bool local_write(relay_t *r, int *ev)
{
    if (r->local_fd < 0 || r->to_local_off == r->to_local_len) {
        return false;
    }
    ssize_t w = send(r->local_fd, r->to_local + r->to_local_off,
                     r->to_local_len - r->to_local_off, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        *ev |= UV_WRITABLE;
        return false;
    }
    if (w <= 0) {
        fail(r, "closed by libraft");
        return false;
    }
    r->to_local_off += (size_t)w;
    if (r->to_local_off == r->to_local_len) {
        r->to_local_off = r->to_local_len = 0;
    }
    return true;
}

static bool local_read(relay_t *r, int *ev)
{
    if (r->local_fd < 0 || r->to_net_len == RELAY_BUF) {
        return false;
    }
    if (r->to_net_off > 0) {
        memmove(r->to_net, r->to_net + r->to_net_off,
                r->to_net_len - r->to_net_off);
        r->to_net_len -= r->to_net_off;
        r->to_net_off = 0;
    }
    ssize_t n = recv(r->local_fd, r->to_net + r->to_net_len,
                     RELAY_BUF - r->to_net_len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        *ev |= UV_READABLE;
        return false;
    }
    if (n <= 0) {
        fail(r, "closed by libraft");
        return false;
    }
    r->to_net_len += (size_t)n;
    return true;
}

/* Move what can move, both ways, until nothing does; then wait on each
 * descriptor for what its blocked side needs. */
static void pump(relay_t *r)
{
    int net_ev = 0;
    int local_ev = 0;
    bool progress = true;
    while (progress && !r->closing) {
        net_ev = local_ev = 0;
        if (r->to_local_off > 0 && r->to_local_len == RELAY_BUF) {
            memmove(r->to_local, r->to_local + r->to_local_off,
                    r->to_local_len - r->to_local_off);
            r->to_local_len -= r->to_local_off;
            r->to_local_off = 0;
        }
        progress = net_recv(r, &net_ev);
        if (r->closing) {
            return;
        }
        if (r->inbound && !r->identified && !take_preamble(r)) {
            if (r->closing) {
                return;
            }
            /* Still waiting for the rest of the preamble. */
            continue;
        }
        progress |= local_write(r, &local_ev);
        progress |= !r->closing && local_read(r, &local_ev);
        progress |= !r->closing && net_send(r, &net_ev);
    }
    if (r->closing) {
        return;
    }
    if (net_ev) {
        uv_poll_start(&r->net_poll, net_ev, on_poll);
    } else {
        uv_poll_stop(&r->net_poll);
    }
    if (r->local_fd >= 0) {
        if (local_ev) {
            uv_poll_start(&r->local_poll, local_ev, on_poll);
        } else {
            uv_poll_stop(&r->local_poll);
        }
    }
}

/* ------------------------------------------------------------------ */
/* libraft's interface                                                */
/* ------------------------------------------------------------------ */

/* "host:port" (host may be [v6]) into @p host and *port. */
static bool split_address(const char *address, char *host, size_t host_size,
                          int32_t *port)
{
    const char *colon = strrchr(address, ':');
    if (!colon || colon == address) {
        return false;
    }
    const char *h = address;
    size_t len = (size_t)(colon - address);
    if (*h == '[' && len >= 2 && h[len - 1] == ']') {
        h++;
        len -= 2;
    }
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (len >= host_size || !end || *end || p <= 0 || p > 65535) {
        return false;
    }
    memcpy(host, h, len);
    host[len] = '\0';
    *port = (int32_t)p;
    return true;
}

static int rt_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
    rtransport_t *tr = t->impl;
    tr->id = id;
    snprintf(tr->address, sizeof(tr->address), "%s", address);
    return 0;
}

static void on_listen(uv_poll_t *h, int status, int events)
{
    (void)events;
    rtransport_t *tr = h->data;
    if (status < 0 || tr->closing) {
        return;
    }
    for (;;) {
        int fd =
            accept4(tr->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return; /* EAGAIN, or a transient error: next readiness */
        }
        samsa_transport_conn_t *conn = NULL;
        char why[256] = "";
        if (tr->ops->accept(tr->state, fd, &conn, why, sizeof(why)) !=
            SAMSA_OK) {
            samsa_log(SAMSA_LOG_WARN,
                      "metadata quorum: controller connection refused: %s",
                      why);
            close(fd);
            continue;
        }
        relay_t *r = relay_new(tr, conn);
        if (!r) {
            tr->ops->close(conn);
            continue;
        }
        r->inbound = true;
        snprintf(r->what, sizeof(r->what), "connection from a controller");
        pump(r);
    }
}

static int rt_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    rtransport_t *tr = t->impl;
    if (!tr->ops) {
        return 0; /* a lone voter nobody can reach: no socket at all */
    }
    char host[256];
    int32_t port = 0;
    if (!split_address(tr->address, host, sizeof(host), &port)) {
        snprintf(t->errmsg, sizeof(t->errmsg), "bad address %.200s",
                 tr->address);
        return RAFT_INVALID;
    }
    const char *bind_host = tr->bind_host[0] ? tr->bind_host : host;
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rv = getaddrinfo(bind_host, service, &hints, &ai);
    if (rv != 0) {
        snprintf(t->errmsg, sizeof(t->errmsg), "%.100s: %.100s", bind_host,
                 gai_strerror(rv));
        return RAFT_IOERR;
    }
    int fd =
        socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
        uv_poll_init_socket(tr->loop, &tr->listen_poll, fd) != 0) {
        snprintf(t->errmsg, sizeof(t->errmsg), "listen on %.100s:%d: %.100s",
                 bind_host, port, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(ai);
        return RAFT_IOERR;
    }
    freeaddrinfo(ai);
    tr->listen_fd = fd;
    tr->listen_poll.data = tr;
    tr->handles++;
    tr->accept_cb = cb;
    uv_poll_start(&tr->listen_poll, UV_READABLE, on_listen);
    return 0;
}

static int rt_connect(struct raft_uv_transport *t, struct raft_uv_connect *req,
                      raft_id id, const char *address, raft_uv_connect_cb cb)
{
    rtransport_t *tr = t->impl;
    char host[256];
    int32_t port = 0;
    size_t own = strlen(tr->address);
    if (tr->closing || !tr->ops ||
        !split_address(address, host, sizeof(host), &port) ||
        own > ADDRESS_MAX) {
        return RAFT_NOCONNECTION;
    }
    samsa_transport_conn_t *conn = NULL;
    char why[256] = "";
    if (tr->ops->connect(tr->state, host, port, &conn, why, sizeof(why)) !=
        SAMSA_OK) {
        samsa_log(SAMSA_LOG_DEBUG, "metadata quorum: connect to %s: %s",
                  address, why);
        return RAFT_NOCONNECTION;
    }
    relay_t *r = relay_new(tr, conn);
    if (!r) {
        tr->ops->close(conn);
        return RAFT_NOMEM;
    }
    req->cb = cb;
    r->req = req;
    snprintf(r->what, sizeof(r->what), "connection to controller %llu (%s)",
             (unsigned long long)id, address);
    put_le64(r->to_net, PREAMBLE_MAGIC);
    put_le64(r->to_net + 8, tr->id);
    put_le64(r->to_net + 16, own);
    memcpy(r->to_net + PREAMBLE_FIXED, tr->address, own);
    r->to_net_len = r->preamble_left = PREAMBLE_FIXED + own;
    pump(r);
    return 0;
}

static void listen_closed(uv_handle_t *h)
{
    rtransport_t *tr = h->data;
    close(tr->listen_fd);
    tr->listen_fd = -1;
    tr->handles--;
    maybe_closed(tr);
}

static void rt_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
    rtransport_t *tr = t->impl;
    tr->closing = true;
    tr->close_cb = cb;
    if (tr->listen_fd >= 0) {
        uv_close((uv_handle_t *)&tr->listen_poll, listen_closed);
    }
    while (tr->relays) {
        teardown(tr->relays);
    }
    maybe_closed(tr);
}

int samsa_raft_transport_init(struct raft_uv_transport *t, uv_loop_t *loop,
                              const samsa_raft_transport_opts_t *opts)
{
    rtransport_t *tr = calloc(1, sizeof(*tr));
    if (!tr) {
        return RAFT_NOMEM;
    }
    tr->t = t;
    tr->loop = loop;
    tr->ops = opts->ops;
    tr->state = opts->state;
    tr->peers = opts->peers;
    tr->peer_count = opts->peer_count;
    tr->listen_fd = -1;
    if (opts->bind_host) {
        snprintf(tr->bind_host, sizeof(tr->bind_host), "%s", opts->bind_host);
    }
    memset(t, 0, sizeof(*t));
    t->impl = tr;
    t->init = rt_init;
    t->listen = rt_listen;
    t->connect = rt_connect;
    t->close = rt_close;
    return 0;
}

void samsa_raft_transport_close(struct raft_uv_transport *t)
{
    free(t->impl);
    t->impl = NULL;
}
