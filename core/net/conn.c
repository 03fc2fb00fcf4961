/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/net/conn.c - one connection: frame reading, in-order responses,
 * back-pressure and close.
 *
 * Bytes are read into the reactor's shared buffer and cut into frames; each
 * frame is one allocation [slot | frame bytes], so a request costs one
 * malloc. Large frame bodies are read straight into their allocation.
 * Responses wait in their slot until every earlier slot is done, then move
 * into the connection's output chain, drained with samsa_iobuf_send().
 */
#include "net/net_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "util/log.h"
#include "util/log_limit.h"

/* Read at most this many times per wake-up so one busy connection cannot
 * starve the others on its reactor. */
#define CONN_READS_PER_WAKE 16

static void conn_close(samsa_conn_t *conn);
static void flush_out(samsa_conn_t *conn);
static void tls_kick(samsa_conn_t *conn);
static void on_io(samsa_reactor_t *r, int fd, uint32_t events, void *arg);

/* ---- references and accounting ------------------------------------------ */

void samsa_conn_ref(samsa_conn_t *conn)
{
    atomic_fetch_add_explicit(&conn->refs, 1, memory_order_relaxed);
}

void samsa_conn_unref(samsa_conn_t *conn)
{
    if (atomic_fetch_sub_explicit(&conn->refs, 1, memory_order_acq_rel) == 1) {
        free(conn);
    }
}

static void slot_release(samsa_slot_t *slot)
{
    if (atomic_fetch_sub_explicit(&slot->holds, 1, memory_order_acq_rel) == 1) {
        free(slot);
    }
}

void samsa_frame_free(uint8_t *frame)
{
    if (frame) {
        slot_release(
            (samsa_slot_t *)(void *)(frame - offsetof(samsa_slot_t, frame)));
    }
}

static void global_add(samsa_conn_t *conn, size_t n)
{
    atomic_fetch_add_explicit(&samsa_net_shared(conn->srv)->global_inflight, n,
                              memory_order_relaxed);
}

static void global_sub(samsa_conn_t *conn, size_t n)
{
    atomic_fetch_sub_explicit(&samsa_net_shared(conn->srv)->global_inflight, n,
                              memory_order_relaxed);
}

/* Heap bytes a chain holds (memory chunks, owned or borrowed); file ranges
 * hold none. */
static size_t mem_bytes(const samsa_iobuf_t *b)
{
    size_t n = 0;
    for (size_t i = b->head; i < b->count; i++) {
        if (b->chunks[i].kind != SAMSA_IOBUF_FILE) {
            n += b->chunks[i].len;
        }
    }
    return n;
}

/* Set conn->out_mem to @p now, the memory conn->out holds now, and move
 * the server's sum by the difference. */
static void resp_mem_update(samsa_conn_t *conn, size_t now)
{
    atomic_size_t *g = &samsa_net_shared(conn->srv)->global_resp_mem;
    if (now > conn->out_mem) {
        atomic_fetch_add_explicit(g, now - conn->out_mem, memory_order_relaxed);
    } else {
        atomic_fetch_sub_explicit(g, conn->out_mem - now, memory_order_relaxed);
    }
    conn->out_mem = now;
}

/* A slot leaves the in-flight count (its response is queued, or the
 * connection closed). Exactly once per slot. */
static void slot_unaccount(samsa_conn_t *conn, samsa_slot_t *slot)
{
    conn->inflight_reqs--;
    conn->inflight_bytes -= slot->frame_len;
    global_sub(conn, slot->frame_len);
}

/* ---- accessors ---------------------------------------------------------- */

samsa_reactor_t *samsa_conn_reactor(const samsa_conn_t *conn)
{
    return conn->r;
}

samsa_server_t *samsa_conn_server(const samsa_conn_t *conn)
{
    return conn->srv;
}

const char *samsa_conn_peer(const samsa_conn_t *conn)
{
    return conn->peer;
}

uint64_t samsa_conn_id(const samsa_conn_t *conn)
{
    return conn->id;
}

uint32_t samsa_conn_listener(const samsa_conn_t *conn)
{
    return conn->listener;
}

void *samsa_conn_get_ctx(const samsa_conn_t *conn)
{
    return conn->ctx;
}

void samsa_conn_set_ctx(samsa_conn_t *conn, void *ctx)
{
    conn->ctx = ctx;
}

void *samsa_conn_get_auth(const samsa_conn_t *conn)
{
    return conn->auth;
}

void samsa_conn_set_auth(samsa_conn_t *conn, void *auth)
{
    conn->auth = auth;
}

bool samsa_conn_is_closed(const samsa_conn_t *conn)
{
    return conn->closed;
}

samsa_conn_t *samsa_slot_conn(const samsa_slot_t *slot)
{
    return slot->conn;
}

uint64_t samsa_slot_seq(const samsa_slot_t *slot)
{
    return slot->seq;
}

/* ---- output ---------------------------------------------------------------
 */

/* Append src's unsent chunks to dst without copying bytes; src ends empty. */
static samsa_err_t iobuf_move(samsa_iobuf_t *dst, samsa_iobuf_t *src)
{
    size_t k = src->count - src->head;
    if (src->len == 0 || k == 0) {
        samsa_iobuf_clear(src);
        return SAMSA_OK;
    }
    if (dst->count == 0) {
        /* Common case: nothing queued, adopt src's chunk array. */
        free(dst->chunks);
        bool pc = dst->prefer_copy;
        *dst = *src;
        dst->prefer_copy = pc;
        samsa_iobuf_init(src);
        return SAMSA_OK;
    }
    if (dst->cap - dst->count < k) {
        size_t ncap =
            dst->cap * 2 > dst->count + k ? dst->cap * 2 : dst->count + k;
        samsa_iobuf_chunk_t *n = realloc(dst->chunks, ncap * sizeof(*n));
        if (!n) {
            samsa_iobuf_clear(src);
            return SAMSA_ERR_NOMEM;
        }
        dst->chunks = n;
        dst->cap = ncap;
    }
    memcpy(dst->chunks + dst->count, src->chunks + src->head,
           k * sizeof(*dst->chunks));
    dst->count += k;
    dst->len += src->len;
    free(src->chunks);
    samsa_iobuf_init(src);
    return SAMSA_OK;
}

static void update_events(samsa_conn_t *conn)
{
    if (conn->closed) {
        return;
    }
    bool sending = samsa_iobuf_len(&conn->out) > 0;
    /* TLS: a read may have to write first (the handshake), a write may
     * have to read first (a key update). */
    bool tls_in = conn->ssl && sending && SSL_want_read(conn->ssl);
    uint32_t want = (conn->reading || tls_in ? EPOLLIN : 0) |
                    (sending || conn->tls_read_wants_write ? EPOLLOUT : 0);
    if (want != conn->events &&
        samsa_reactor_modify(conn->r, conn->fd, want) == SAMSA_OK) {
        conn->events = want;
    }
}

static bool is_idle(const samsa_conn_t *conn)
{
    return !conn->head && !conn->partial && samsa_iobuf_len(&conn->out) == 0;
}

/* Move every completed slot at the head of the queue into the output. */
static void advance(samsa_conn_t *conn)
{
    while (conn->head && conn->head->done) {
        samsa_slot_t *s = conn->head;
        conn->head = s->next;
        if (!conn->head) {
            conn->tail = NULL;
        }
        if (samsa_iobuf_len(&s->resp) > 0) {
            size_t mem = mem_bytes(&s->resp);
            if (iobuf_move(&conn->out, &s->resp) == SAMSA_OK) {
                resp_mem_update(conn, conn->out_mem + mem);
            } else {
                samsa_log(SAMSA_LOG_ERROR,
                          "net: %s: out of memory queueing a "
                          "response; closing",
                          conn->peer);
                conn->closing = true;
            }
        }
        slot_unaccount(conn, s);
        slot_release(s);
        samsa_conn_unref(conn);
    }
}

/* ---- back-pressure --------------------------------------------------------
 */

static void global_timer_cb(samsa_reactor_t *r, void *arg);

static bool can_read(samsa_conn_t *conn)
{
    struct samsa_server_shared *sh = samsa_net_shared(conn->srv);
    const samsa_net_limits_t *lim = &sh->lim;
    if (conn->closing || conn->closed || conn->shard->stopping) {
        return false;
    }
    if (conn->muted_until_ms > samsa_reactor_now_ms(conn->r)) {
        return false;
    }
    if (conn->inflight_reqs >= lim->max_inflight_requests ||
        conn->inflight_bytes + samsa_iobuf_len(&conn->out) >=
            lim->max_inflight_bytes) {
        return false;
    }
    /* Over the budget for unsent responses in memory: only a connection
     * with responses of its own unsent waits, until it has taken them
     * (flush_out resumes it); one that reads promptly goes on. */
    if (samsa_iobuf_len(&conn->out) > 0 &&
        atomic_load_explicit(&sh->global_resp_mem, memory_order_relaxed) >=
            lim->max_global_inflight_bytes) {
        return false;
    }
    if (atomic_load_explicit(&sh->global_inflight, memory_order_relaxed) >=
        lim->max_global_inflight_bytes) {
        /* Released bytes may belong to other reactors: poll for them. */
        conn->paused_global = true;
        if (!conn->shard->global_timer) {
            conn->shard->global_timer = samsa_reactor_timer_add(
                conn->r, 5, 5, global_timer_cb, conn->shard);
        }
        return false;
    }
    return true;
}

static void process(samsa_conn_t *conn);

static void resume_fn(void *arg)
{
    samsa_conn_t *conn = arg;
    conn->resume_posted = false;
    if (!conn->closed && !conn->reading && can_read(conn)) {
        conn->reading = true;
        conn->paused_global = false;
        conn->in_read = true;
        process(conn);
        conn->in_read = false;
        tls_kick(conn);
        flush_out(conn);
        update_events(conn);
    }
    samsa_conn_unref(conn);
}

/* Called after something drained; resumes reading on the next loop turn
 * (not inline, to keep on_request from nesting inside a completion). */
static void maybe_resume(samsa_conn_t *conn)
{
    if (conn->reading || conn->closed || conn->resume_posted ||
        conn->paused_global || !can_read(conn)) {
        return;
    }
    samsa_conn_ref(conn);
    conn->resume_posted = true;
    if (samsa_reactor_post(conn->r, resume_fn, conn) != SAMSA_OK) {
        conn->resume_posted = false;
        samsa_conn_unref(conn);
    }
}

static void global_timer_cb(samsa_reactor_t *r, void *arg)
{
    samsa_net_shard_t *shard = arg;
    struct samsa_server_shared *sh = samsa_net_shared(shard->srv);
    bool below =
        atomic_load(&sh->global_inflight) < sh->lim.max_global_inflight_bytes;
    bool any = false;
    for (samsa_conn_t *c = shard->conns; c; c = c->next) {
        if (!c->paused_global) {
            continue;
        }
        if (below) {
            c->paused_global = false;
            maybe_resume(c);
        }
        any = any || c->paused_global;
    }
    if (!any) {
        samsa_reactor_timer_cancel(r, shard->global_timer);
        shard->global_timer = 0;
    }
}

static void mute_timer_cb(samsa_reactor_t *r, void *arg)
{
    (void)r;
    samsa_conn_t *conn = arg;
    conn->mute_timer = 0;
    conn->muted_until_ms = 0;
    maybe_resume(conn);
    samsa_conn_unref(conn);
}

void samsa_conn_mute(samsa_conn_t *conn, uint32_t ms)
{
    if (conn->closed || ms == 0) {
        return;
    }
    uint64_t until = samsa_reactor_now_ms(conn->r) + ms;
    if (until <= conn->muted_until_ms) {
        return;
    }
    if (conn->mute_timer &&
        samsa_reactor_timer_cancel(conn->r, conn->mute_timer)) {
        samsa_conn_unref(conn);
    }
    conn->mute_timer = 0;
    samsa_conn_ref(conn);
    conn->mute_timer =
        samsa_reactor_timer_add(conn->r, ms, 0, mute_timer_cb, conn);
    if (!conn->mute_timer) { /* no memory for a timer: do not mute */
        samsa_conn_unref(conn);
        return;
    }
    conn->muted_until_ms = until;
}

/* ---- input ------------------------------------------------------------------
 */

static void dispatch(samsa_conn_t *conn)
{
    samsa_slot_t *s = conn->partial;
    conn->partial = NULL;
    conn->partial_have = 0;
    if (conn->tail) {
        conn->tail->next = s;
    } else {
        conn->head = s;
    }
    conn->tail = s;
    struct samsa_server_shared *sh = samsa_net_shared(conn->srv);
    sh->on_request(conn, s, s->frame, s->frame_len, sh->app);
}

/* Any client can send a bad size: a few lines a minute, then a count. */
static samsa_log_limit_t bad_size_log = SAMSA_LOG_LIMIT_INIT(10, 60000);

/* A full header is in conn->hdr: check it and allocate the frame. */
static bool start_frame(samsa_conn_t *conn)
{
    struct samsa_server_shared *sh = samsa_net_shared(conn->srv);
    int32_t size = (int32_t)(((uint32_t)conn->hdr[0] << 24) |
                             ((uint32_t)conn->hdr[1] << 16) |
                             ((uint32_t)conn->hdr[2] << 8) | conn->hdr[3]);
    if (size < 0 || (size_t)size > sh->lim.max_request_bytes) {
        samsa_log_limited(&bad_size_log, SAMSA_LOG_WARN,
                          "net: %s: frame size %d outside [0, %zu] "
                          "(socket.request.max.bytes); closing connection",
                          conn->peer, size, sh->lim.max_request_bytes);
        conn_close(conn);
        return false;
    }
    samsa_slot_t *s = malloc(sizeof(*s) + (size_t)size);
    if (!s) {
        samsa_log(SAMSA_LOG_ERROR,
                  "net: %s: no memory for a %d byte frame; "
                  "closing connection",
                  conn->peer, size);
        conn_close(conn);
        return false;
    }
    atomic_init(&s->holds, 2);
    s->done = false;
    s->orphan = false;
    s->conn = conn;
    s->next = NULL;
    s->seq = conn->next_seq++;
    s->frame_len = (size_t)size;
    samsa_iobuf_init(&s->resp);
    conn->hdr_have = 0;
    conn->partial = s;
    conn->partial_have = 0;
    conn->inflight_reqs++;
    conn->inflight_bytes += (size_t)size;
    global_add(conn, (size_t)size);
    samsa_conn_ref(conn);
    return true;
}

/* Parse n bytes; returns how many were consumed (fewer when the connection
 * paused or closed). */
static size_t feed(samsa_conn_t *conn, const uint8_t *p, size_t n)
{
    size_t used = 0;
    while (!conn->closed) {
        if (conn->partial) {
            samsa_slot_t *s = conn->partial;
            size_t need = s->frame_len - conn->partial_have;
            size_t k = n - used < need ? n - used : need;
            memcpy(s->frame + conn->partial_have, p + used, k);
            conn->partial_have += k;
            used += k;
            if (conn->partial_have < s->frame_len) {
                break;
            }
            dispatch(conn);
            continue;
        }
        if (conn->hdr_have < 4) {
            while (conn->hdr_have < 4 && used < n) {
                conn->hdr[conn->hdr_have++] = p[used++];
            }
            if (conn->hdr_have < 4) {
                break;
            }
        }
        if (!can_read(conn)) {
            conn->reading = false;
            break;
        }
        if (!start_frame(conn)) {
            break;
        }
    }
    return used;
}

/* Feed the stash (bytes kept while paused). */
static void process(samsa_conn_t *conn)
{
    size_t used = feed(conn, conn->stash, conn->stash_len);
    if (conn->closed) {
        return;
    }
    if (used == conn->stash_len) {
        free(conn->stash);
        conn->stash = NULL;
        conn->stash_len = 0;
    } else {
        memmove(conn->stash, conn->stash + used, conn->stash_len - used);
        conn->stash_len -= used;
    }
}

static bool keep_rest(samsa_conn_t *conn, const uint8_t *p, size_t n)
{
    uint8_t *st = realloc(conn->stash, conn->stash_len + n);
    if (!st) {
        return false;
    }
    memcpy(st + conn->stash_len, p, n);
    conn->stash = st;
    conn->stash_len += n;
    return true;
}

/* Read one chunk; false when there is nothing more to read now. */
static bool read_once(samsa_conn_t *conn)
{
    samsa_slot_t *s = conn->partial;
    uint8_t *dst = conn->shard->rbuf;
    size_t cap = SAMSA_NET_RBUF_SIZE;
    bool direct = s && s->frame_len - conn->partial_have >= cap / 2;
    if (direct) {
        dst = s->frame + conn->partial_have;
        cap = s->frame_len - conn->partial_have;
    }
    ssize_t n = conn->ssl ? samsa_net_tls_read(conn, dst, cap)
                          : read(conn->fd, dst, cap);
    if (n > 0) {
        conn->last_active_ms = samsa_reactor_now_ms(conn->r);
    }
    if (n == 0) {
        conn_close(conn);
        return false;
    }
    if (n < 0) {
        if (errno == EINTR) {
            return true;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            samsa_log(SAMSA_LOG_DEBUG, "net: %s: read: %s", conn->peer,
                      strerror(errno));
            conn_close(conn);
        }
        return false;
    }
    if (direct) {
        conn->partial_have += (size_t)n;
        if (conn->partial_have == s->frame_len) {
            dispatch(conn);
        }
        /* TLS reads stop at a record (16 KiB): only EAGAIN says empty. */
        return conn->ssl || (size_t)n == cap;
    }
    size_t used = feed(conn, dst, (size_t)n);
    if (conn->closed) {
        return false;
    }
    if (used < (size_t)n) {
        if (!keep_rest(conn, dst + used, (size_t)n - used)) {
            conn_close(conn);
        }
        return false;
    }
    return conn->ssl || (size_t)n == cap;
}

static void handle_read(samsa_conn_t *conn);

static void tls_kick_fn(void *arg)
{
    samsa_conn_t *conn = arg;
    conn->tls_kick_posted = false;
    if (!conn->closed && conn->reading) {
        handle_read(conn);
        flush_out(conn);
    }
    samsa_conn_unref(conn);
}

/* Bytes OpenSSL already decrypted raise no EPOLLIN: read them on the next
 * loop turn (after the other connections had theirs). */
static void tls_kick(samsa_conn_t *conn)
{
    if (conn->tls_kick_posted || conn->closed || !conn->reading ||
        !samsa_net_tls_pending(conn)) {
        return;
    }
    samsa_conn_ref(conn);
    conn->tls_kick_posted = true;
    if (samsa_reactor_post(conn->r, tls_kick_fn, conn) != SAMSA_OK) {
        conn->tls_kick_posted = false;
        samsa_conn_unref(conn);
    }
}

static void handle_read(samsa_conn_t *conn)
{
    conn->in_read = true;
    for (int i = 0; i < CONN_READS_PER_WAKE; i++) {
        if (!conn->reading || conn->closed || !read_once(conn)) {
            break;
        }
    }
    conn->in_read = false;
    tls_kick(conn);
}

static void flush_out(samsa_conn_t *conn)
{
    if (conn->closed || conn->in_read) {
        return;
    }
    if (samsa_iobuf_len(&conn->out) > 0) {
        ssize_t n = samsa_iobuf_send(&conn->out, conn->fd, conn->ssl);
        if (n < 0) {
            samsa_log(SAMSA_LOG_DEBUG, "net: %s: write: %s", conn->peer,
                      strerror(errno));
            conn_close(conn);
            return;
        }
        if (n > 0) {
            conn->last_active_ms = samsa_reactor_now_ms(conn->r);
            if (conn->out_mem > 0) {
                resp_mem_update(conn, mem_bytes(&conn->out));
            }
        }
    }
    if (conn->closing && is_idle(conn)) {
        conn_close(conn);
        return;
    }
    update_events(conn);
    maybe_resume(conn);
}

static void on_io(samsa_reactor_t *r, int fd, uint32_t events, void *arg)
{
    samsa_conn_t *conn = arg;
    samsa_conn_ref(conn);
    bool readable = events & (EPOLLIN | EPOLLHUP | EPOLLERR);
    if (conn->tls_read_wants_write && (events & EPOLLOUT)) {
        readable = true; /* the TLS read that waited to write */
    }
    if (readable) {
        if (conn->reading) {
            handle_read(conn);
        } else if (events & (EPOLLHUP | EPOLLERR)) {
            conn_close(conn);
        }
    }
    flush_out(conn);
    samsa_conn_unref(conn);
}

/* ---- completion -------------------------------------------------------------
 */

void samsa_slot_complete(samsa_slot_t *slot, samsa_iobuf_t *response)
{
    samsa_conn_t *conn = slot->conn;
    /* Other threads post to samsa_conn_reactor(conn) first. */
    assert(!conn->r || samsa_reactor_current() == conn->r);
    if (slot->orphan) {
        if (response) {
            samsa_iobuf_clear(response);
        }
        slot_release(slot);
        samsa_conn_unref(conn);
        return;
    }
    if (response) {
        slot->resp = *response;
        samsa_iobuf_init(response);
        response->prefer_copy = slot->resp.prefer_copy;
    }
    slot->done = true;
    if (conn->head == slot) {
        samsa_conn_ref(conn);
        advance(conn);
        flush_out(conn);
        samsa_conn_unref(conn);
    }
}

void samsa_slot_complete_none(samsa_slot_t *slot)
{
    samsa_slot_complete(slot, NULL);
}

/* ---- lifecycle
 * ---------------------------------------------------------------- */

samsa_conn_t *samsa_net_conn_new(samsa_server_t *srv, int fd, const char *peer,
                                 uint64_t id, uint32_t listener, void *tls)
{
    samsa_conn_t *conn = calloc(1, sizeof(*conn));
    if (!conn) {
        return NULL;
    }
    atomic_init(&conn->refs, 1);
    conn->fd = fd;
    conn->id = id;
    conn->srv = srv;
    conn->listener = listener;
    if (tls && samsa_net_tls_start(conn, tls) != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR, "net: %s: cannot start TLS; closing", peer);
        free(conn);
        return NULL;
    }
    samsa_iobuf_init(&conn->out);
    conn->out.prefer_copy = samsa_net_shared(srv)->lim.prefer_copy;
    snprintf(conn->peer, sizeof(conn->peer), "%s", peer);
    return conn;
}

void samsa_net_conn_attach(samsa_conn_t *conn, samsa_net_shard_t *shard)
{
    struct samsa_server_shared *sh = samsa_net_shared(conn->srv);
    conn->shard = shard;
    conn->r = shard->r;
    if (shard->stopping || samsa_reactor_watch(shard->r, conn->fd, EPOLLIN,
                                               on_io, conn) != SAMSA_OK) {
        samsa_net_tls_close(conn);
        close(conn->fd);
        atomic_fetch_sub(&sh->open, 1);
        samsa_conn_unref(conn);
        return;
    }
    conn->events = EPOLLIN;
    conn->reading = true;
    conn->last_active_ms = samsa_reactor_now_ms(conn->r);
    conn->next = shard->conns;
    if (shard->conns) {
        shard->conns->prev = conn;
    }
    shard->conns = conn;
    atomic_fetch_add(&sh->accepted, 1);
    samsa_log(SAMSA_LOG_DEBUG, "net: connection %llu from %s",
              (unsigned long long)conn->id, conn->peer);
    if (sh->on_open) {
        sh->on_open(conn, sh->app);
    }
}

static void conn_close(samsa_conn_t *conn)
{
    if (conn->closed) {
        return;
    }
    struct samsa_server_shared *sh = samsa_net_shared(conn->srv);
    conn->closed = true;
    conn->reading = false;
    if (conn->mute_timer &&
        samsa_reactor_timer_cancel(conn->r, conn->mute_timer)) {
        samsa_conn_unref(conn);
    }
    conn->mute_timer = 0;
    /* Count before the peer can see the close. */
    atomic_fetch_add(&sh->closed, 1);
    atomic_fetch_sub(&sh->open, 1);
    samsa_reactor_unwatch(conn->r, conn->fd);
    samsa_net_tls_close(conn);
    close(conn->fd);
    conn->fd = -1;
    samsa_net_shard_t *shard = conn->shard;
    if (conn->prev) {
        conn->prev->next = conn->next;
    } else {
        shard->conns = conn->next;
    }
    if (conn->next) {
        conn->next->prev = conn->prev;
    }
    conn->prev = conn->next = NULL;
    free(conn->stash);
    conn->stash = NULL;
    conn->stash_len = 0;
    if (conn->partial) {
        samsa_slot_t *s = conn->partial;
        conn->partial = NULL;
        slot_unaccount(conn, s);
        free(s);
        samsa_conn_unref(conn);
    }
    while (conn->head) {
        samsa_slot_t *s = conn->head;
        conn->head = s->next;
        s->next = NULL;
        slot_unaccount(conn, s);
        if (s->done) {
            samsa_iobuf_clear(&s->resp);
            slot_release(s);
            samsa_conn_unref(conn);
        } else {
            s->orphan = true; /* the app completes it later */
        }
    }
    conn->tail = NULL;
    resp_mem_update(conn, 0);
    samsa_iobuf_clear(&conn->out);
    samsa_log(SAMSA_LOG_DEBUG, "net: connection %llu from %s closed",
              (unsigned long long)conn->id, conn->peer);
    if (sh->on_close) {
        sh->on_close(conn, sh->app);
    }
    samsa_conn_unref(conn); /* the open reference */
}

void samsa_conn_close(samsa_conn_t *conn)
{
    conn_close(conn);
}

void samsa_conn_close_after_flush(samsa_conn_t *conn)
{
    if (conn->closed) {
        return;
    }
    conn->closing = true;
    conn->reading = false;
    /* A frame half received will never complete now. */
    if (conn->partial || is_idle(conn)) {
        conn_close(conn);
        return;
    }
    if (!conn->in_read) {
        update_events(conn);
    }
}

void samsa_net_shard_drain(samsa_net_shard_t *shard)
{
    shard->stopping = true;
    samsa_conn_t *c = shard->conns;
    while (c) {
        samsa_conn_t *next = c->next;
        samsa_conn_close_after_flush(c);
        c = next;
    }
}

void samsa_net_shard_close_all(samsa_net_shard_t *shard)
{
    shard->stopping = true;
    while (shard->conns) {
        conn_close(shard->conns);
    }
    if (shard->idle_timer) {
        samsa_reactor_timer_cancel(shard->r, shard->idle_timer);
        shard->idle_timer = 0;
    }
    if (shard->global_timer) {
        samsa_reactor_timer_cancel(shard->r, shard->global_timer);
        shard->global_timer = 0;
    }
}

/* ---- idle and stalled connections -------------------------------------- */

/* Close what connections.max.idle.ms says is idle. A connection whose
 * requests the app still holds (a parked long poll) is waiting on us, not
 * idle; one with responses queued that its peer has not taken a byte of
 * is stalled, and is closed with a WARN: its own back-pressure already
 * stopped reading it, this frees what it holds. */
static void idle_check_cb(samsa_reactor_t *r, void *arg)
{
    samsa_net_shard_t *shard = arg;
    struct samsa_server_shared *sh = samsa_net_shared(shard->srv);
    uint64_t max = sh->lim.max_idle_ms;
    uint64_t now = samsa_reactor_now_ms(r);
    samsa_conn_t *c = shard->conns;
    while (c) {
        samsa_conn_t *next = c->next;
        size_t pending = samsa_iobuf_len(&c->out);
        uint64_t quiet = now - c->last_active_ms;
        if (quiet >= max && (pending > 0 || !c->head)) {
            if (pending > 0) {
                samsa_log(SAMSA_LOG_WARN,
                          "net: %s: peer read nothing of %zu pending response "
                          "bytes for %llu ms (connections_max_idle_ms); "
                          "closing connection",
                          c->peer, pending, (unsigned long long)quiet);
            } else {
                samsa_log(SAMSA_LOG_DEBUG,
                          "net: %s: idle for %llu ms "
                          "(connections_max_idle_ms); closing connection",
                          c->peer, (unsigned long long)quiet);
            }
            atomic_fetch_add(&sh->idle_closed, 1);
            conn_close(c);
        }
        c = next;
    }
}

void samsa_net_shard_start(samsa_net_shard_t *shard)
{
    uint64_t max = samsa_net_shared(shard->srv)->lim.max_idle_ms;
    if (max == 0 || shard->idle_timer) {
        return;
    }
    /* A tenth of the limit, so a connection is closed at most ~10% late. */
    uint64_t every = max / 10;
    every = every < 10 ? 10 : every > 1000 ? 1000 : every;
    shard->idle_timer =
        samsa_reactor_timer_add(shard->r, every, every, idle_check_cb, shard);
}
