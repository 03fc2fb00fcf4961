/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/net/server.c - listeners, accept, reactor shards, start and stop.
 *
 * Each listener is watched on one reactor (listener i on reactor i mod N);
 * accepted sockets are spread round-robin over all reactors with a post.
 */
#define _GNU_SOURCE
#include "net/net_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/clock.h"

#define ACCEPTS_PER_WAKE 64
#define ACCEPT_RETRY_MS  100

typedef struct listener {
    samsa_server_t *srv;
    char *spec;
    void *tls; /* SSL_CTX *, NULL for plain TCP; under srv->tls_lock */
    uint32_t index;
    int fd;
    uint16_t port;
    samsa_reactor_t *r;
    bool watched;
    samsa_timer_id_t retry;
} listener_t;

struct samsa_server {
    struct samsa_server_shared sh;
    samsa_reactor_group_t *group;
    bool owns_group;
    bool started;
    bool stopped;
    listener_t *ls;
    size_t nls;
    samsa_net_shard_t *shards;
    size_t nshards;
    atomic_uint_fast64_t next_id;
    uint32_t shutdown_timeout_ms;
    int backlog;
    /* Guards the listeners' tls pointers: the main thread swaps them on a
     * certificate reload while reactors accept. */
    pthread_mutex_t tls_lock;
};

struct samsa_server_shared *samsa_net_shared(samsa_server_t *srv)
{
    return &srv->sh;
}

void samsa_server_config_init(samsa_server_config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->backlog = 1024;
    cfg->max_request_bytes = SAMSA_DEFAULT_MAX_REQUEST_BYTES;
    cfg->max_inflight_requests = 128;
    cfg->max_inflight_bytes = 64u << 20;
    cfg->max_global_inflight_bytes = 512u << 20;
    cfg->max_idle_ms = 600000;
    cfg->shutdown_timeout_ms = 5000;
}

static void errf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || len == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* ---- addresses ------------------------------------------------------------
 */

static void format_addr(const struct sockaddr *sa, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(out, len, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        snprintf(out, len, "[%s]:%u", host, port);
    } else {
        snprintf(out, len, "unknown");
    }
}

/* Split "HOST:PORT" / "[V6]:PORT" / ":PORT". */
static bool split_hostport(const char *spec, char *host, size_t hlen,
                           char *port, size_t plen)
{
    const char *colon;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= hlen) {
            return false;
        }
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon || (size_t)(colon - spec) >= hlen) {
            return false;
        }
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
    }
    if (colon[1] == '\0' || strlen(colon + 1) >= plen) {
        return false;
    }
    snprintf(port, plen, "%s", colon + 1);
    return true;
}

static samsa_err_t bind_listener(listener_t *l, int backlog, char *errbuf,
                                 size_t errlen)
{
    char host[256], port[16];
    if (!split_hostport(l->spec, host, sizeof(host), port, sizeof(port))) {
        errf(errbuf, errlen, "listener '%s': expected HOST:PORT", l->spec);
        return SAMSA_ERR_CONFIG;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    /* An empty host means every IPv4 address, like Kafka's ":9092". */
    hints.ai_family = host[0] ? AF_UNSPEC : AF_INET;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai != 0) {
        errf(errbuf, errlen, "listener '%s': %s", l->spec, gai_strerror(gai));
        return SAMSA_ERR_CONFIG;
    }
    int fd =
        socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const char *what = "socket";
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (res->ai_family == AF_INET6) {
            /* Let "[::]:9092" and "0.0.0.0:9092" coexist. */
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        }
        what = "bind";
        if (bind(fd, res->ai_addr, res->ai_addrlen) == 0) {
            what = "listen";
            if (listen(fd, backlog) == 0) {
                what = NULL;
            }
        }
    }
    freeaddrinfo(res);
    if (what) {
        errf(errbuf, errlen, "listener '%s': %s: %s", l->spec, what,
             strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return SAMSA_ERR_IO;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    l->port =
        ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                       : ((struct sockaddr_in *)&ss)->sin_port);
    l->fd = fd;
    return SAMSA_OK;
}

/* ---- accept ----------------------------------------------------------------
 */

static void attach_fn(void *arg)
{
    samsa_conn_t *conn = arg;
    samsa_net_conn_attach(conn, conn->shard);
}

static void refuse(samsa_server_t *srv, int fd, const char *peer)
{
    /* Count first: a test (or metric scrape) seeing the close sees it. */
    uint64_t n = atomic_fetch_add(&srv->sh.refused, 1) + 1;
    close(fd);
    /* 1st, 2nd, 4th, 8th...: enough to notice without flooding. */
    if ((n & (n - 1)) == 0) {
        samsa_log(SAMSA_LOG_WARN,
                  "net: refused connection from %s: max_connections reached "
                  "(%llu refused so far)",
                  peer, (unsigned long long)n);
    }
}

static void hand_over(listener_t *l, int fd, const char *peer)
{
    samsa_server_t *srv = l->srv;
    /* The connection's SSL takes its own reference to the context, so a
     * reload freeing the old one later leaves it working. */
    pthread_mutex_lock(&srv->tls_lock);
    samsa_conn_t *conn = samsa_net_conn_new(
        srv, fd, peer, atomic_fetch_add(&srv->next_id, 1) + 1, l->index,
        l->tls);
    pthread_mutex_unlock(&srv->tls_lock);
    if (!conn) {
        close(fd);
        atomic_fetch_sub(&srv->sh.open, 1);
        return;
    }
    samsa_reactor_t *r = samsa_reactor_group_next(srv->group);
    conn->shard = &srv->shards[samsa_reactor_index(r)];
    if (r == samsa_reactor_current()) {
        attach_fn(conn);
    } else if (samsa_reactor_post(r, attach_fn, conn) != SAMSA_OK) {
        samsa_net_tls_close(conn);
        close(fd);
        atomic_fetch_sub(&srv->sh.open, 1);
        samsa_conn_unref(conn);
    }
}

static void on_accept(samsa_reactor_t *r, int fd, uint32_t events, void *arg);

static void rewatch_cb(samsa_reactor_t *r, void *arg)
{
    listener_t *l = arg;
    l->retry = 0;
    if (l->fd >= 0 && !l->watched &&
        samsa_reactor_watch(r, l->fd, EPOLLIN, on_accept, l) == SAMSA_OK) {
        l->watched = true;
    }
}

static void on_accept(samsa_reactor_t *r, int fd, uint32_t events, void *arg)
{
    listener_t *l = arg;
    samsa_server_t *srv = l->srv;
    for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int c = accept4(fd, (struct sockaddr *)&ss, &sl,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                /* Level-triggered accept would spin: pause the listener. */
                samsa_log(SAMSA_LOG_WARN,
                          "net: accept on %s: %s; pausing "
                          "%d ms",
                          l->spec, strerror(errno), ACCEPT_RETRY_MS);
                samsa_reactor_unwatch(r, fd);
                l->watched = false;
                l->retry = samsa_reactor_timer_add(r, ACCEPT_RETRY_MS, 0,
                                                   rewatch_cb, l);
            }
            return;
        }
        char peer[64];
        format_addr((struct sockaddr *)&ss, peer, sizeof(peer));
        uint64_t open = atomic_fetch_add(&srv->sh.open, 1) + 1;
        size_t max = srv->sh.lim.max_connections;
        if (max && open > max) {
            atomic_fetch_sub(&srv->sh.open, 1);
            refuse(srv, c, peer);
            continue;
        }
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        hand_over(l, c, peer);
    }
}

/* ---- create / start / stop ------------------------------------------------
 */

samsa_err_t samsa_server_create(const samsa_server_config_t *cfg,
                                samsa_reactor_group_t *group,
                                samsa_server_t **out, char *errbuf,
                                size_t errlen)
{
    if (!cfg->on_request || cfg->listener_count == 0) {
        errf(errbuf, errlen, "server: on_request and a listener are required");
        return SAMSA_ERR_INVAL;
    }
    samsa_server_t *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_init(&srv->tls_lock, NULL);
    samsa_net_limits_t *lim = &srv->sh.lim;
    lim->max_request_bytes = cfg->max_request_bytes
                                 ? cfg->max_request_bytes
                                 : SAMSA_DEFAULT_MAX_REQUEST_BYTES;
    if (lim->max_request_bytes > INT32_MAX) {
        lim->max_request_bytes = INT32_MAX;
    }
    lim->max_connections = cfg->max_connections;
    lim->max_inflight_requests =
        cfg->max_inflight_requests ? cfg->max_inflight_requests : 128;
    lim->max_inflight_bytes =
        cfg->max_inflight_bytes ? cfg->max_inflight_bytes : (64u << 20);
    lim->max_global_inflight_bytes = cfg->max_global_inflight_bytes
                                         ? cfg->max_global_inflight_bytes
                                         : (512u << 20);
    lim->max_idle_ms = cfg->max_idle_ms;
    lim->prefer_copy = cfg->send_file_copy;
    srv->sh.on_request = cfg->on_request;
    srv->sh.on_open = cfg->on_open;
    srv->sh.on_close = cfg->on_close;
    srv->sh.app = cfg->app;
    srv->shutdown_timeout_ms =
        cfg->shutdown_timeout_ms ? cfg->shutdown_timeout_ms : 5000;
    srv->backlog = cfg->backlog > 0 ? cfg->backlog : 1024;

    samsa_err_t err = SAMSA_OK;
    if (group) {
        srv->group = group;
    } else {
        err = samsa_reactor_group_create(cfg->reactors, &srv->group);
        if (err != SAMSA_OK) {
            errf(errbuf, errlen, "server: cannot create reactors");
            free(srv);
            return err;
        }
        srv->owns_group = true;
    }
    srv->nshards = samsa_reactor_group_size(srv->group);
    srv->shards = calloc(srv->nshards, sizeof(*srv->shards));
    srv->ls = calloc(cfg->listener_count, sizeof(*srv->ls));
    if (!srv->shards || !srv->ls) {
        err = SAMSA_ERR_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < srv->nshards; i++) {
        samsa_net_shard_t *sh = &srv->shards[i];
        sh->srv = srv;
        sh->r = samsa_reactor_group_get(srv->group, i);
        sh->rbuf = malloc(SAMSA_NET_RBUF_SIZE);
        if (!sh->rbuf) {
            err = SAMSA_ERR_NOMEM;
            goto fail;
        }
    }
    for (size_t i = 0; i < cfg->listener_count; i++) {
        listener_t *l = &srv->ls[i];
        l->srv = srv;
        l->fd = -1;
        l->index = (uint32_t)i;
        l->tls = cfg->listener_tls ? cfg->listener_tls[i] : NULL;
        l->r = samsa_reactor_group_get(srv->group, i % srv->nshards);
        srv->nls++;
        l->spec = strdup(cfg->listeners[i]);
        if (!l->spec) {
            err = SAMSA_ERR_NOMEM;
            goto fail;
        }
        err = bind_listener(l, srv->backlog, errbuf, errlen);
        if (err != SAMSA_OK) {
            goto fail;
        }
    }
    *out = srv;
    return SAMSA_OK;
fail:
    samsa_server_destroy(srv);
    return err;
}

static void listener_start_fn(void *arg)
{
    listener_t *l = arg;
    if (samsa_reactor_watch(l->r, l->fd, EPOLLIN, on_accept, l) == SAMSA_OK) {
        l->watched = true;
        samsa_log(SAMSA_LOG_INFO, "net: listening on %s (port %u%s)", l->spec,
                  (unsigned)l->port, l->tls ? ", TLS" : "");
    } else {
        samsa_log(SAMSA_LOG_ERROR, "net: cannot watch listener %s", l->spec);
    }
}

static void shard_start_fn(void *arg)
{
    samsa_net_shard_start(arg);
}

samsa_err_t samsa_server_start(samsa_server_t *srv)
{
    if (srv->started || srv->stopped) {
        return SAMSA_ERR_INVAL;
    }
    srv->started = true;
    if (srv->owns_group) {
        samsa_err_t err = samsa_reactor_group_start(srv->group);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < srv->nshards; i++) {
        samsa_reactor_call(srv->shards[i].r, shard_start_fn, &srv->shards[i]);
    }
    for (size_t i = 0; i < srv->nls; i++) {
        samsa_reactor_call(srv->ls[i].r, listener_start_fn, &srv->ls[i]);
    }
    return SAMSA_OK;
}

static void listener_stop_fn(void *arg)
{
    listener_t *l = arg;
    if (l->watched) {
        samsa_reactor_unwatch(l->r, l->fd);
        l->watched = false;
    }
    if (l->retry) {
        samsa_reactor_timer_cancel(l->r, l->retry);
        l->retry = 0;
    }
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
}

static void drain_fn(void *arg)
{
    samsa_net_shard_drain(arg);
}

static void close_all_fn(void *arg)
{
    samsa_net_shard_close_all(arg);
}

void samsa_server_stop(samsa_server_t *srv, uint32_t timeout_ms)
{
    if (srv->stopped) {
        return;
    }
    srv->stopped = true;
    atomic_store(&srv->sh.stopping, true);
    if (timeout_ms == 0) {
        timeout_ms = srv->shutdown_timeout_ms;
    }
    for (size_t i = 0; i < srv->nls; i++) {
        samsa_reactor_call(srv->ls[i].r, listener_stop_fn, &srv->ls[i]);
    }
    for (size_t i = 0; i < srv->nshards; i++) {
        samsa_reactor_call(srv->shards[i].r, drain_fn, &srv->shards[i]);
    }
    uint64_t deadline = (uint64_t)samsa_mono_ms() + timeout_ms;
    while (atomic_load(&srv->sh.open) > 0 &&
           (uint64_t)samsa_mono_ms() < deadline) {
        usleep(1000);
    }
    uint64_t left = atomic_load(&srv->sh.open);
    if (left > 0) {
        samsa_log(SAMSA_LOG_WARN,
                  "net: %llu connection(s) still busy after "
                  "%u ms; closing them",
                  (unsigned long long)left, timeout_ms);
    }
    for (size_t i = 0; i < srv->nshards; i++) {
        samsa_reactor_call(srv->shards[i].r, close_all_fn, &srv->shards[i]);
    }
    if (srv->owns_group && srv->started) {
        samsa_reactor_group_stop(srv->group);
        samsa_reactor_group_join(srv->group);
    }
}

void samsa_server_destroy(samsa_server_t *srv)
{
    if (!srv) {
        return;
    }
    for (size_t i = 0; i < srv->nls; i++) {
        if (srv->ls[i].fd >= 0) {
            close(srv->ls[i].fd);
        }
        free(srv->ls[i].spec);
    }
    free(srv->ls);
    for (size_t i = 0; srv->shards && i < srv->nshards; i++) {
        free(srv->shards[i].rbuf);
    }
    free(srv->shards);
    if (srv->owns_group) {
        samsa_reactor_group_destroy(srv->group);
    }
    pthread_mutex_destroy(&srv->tls_lock);
    free(srv);
}

size_t samsa_server_replace_tls(samsa_server_t *srv, void *old_tls,
                                void *new_tls)
{
    size_t n = 0;
    pthread_mutex_lock(&srv->tls_lock);
    for (size_t i = 0; i < srv->nls; i++) {
        if (old_tls && srv->ls[i].tls == old_tls) {
            srv->ls[i].tls = new_tls;
            n++;
        }
    }
    pthread_mutex_unlock(&srv->tls_lock);
    return n;
}

samsa_reactor_group_t *samsa_server_group(samsa_server_t *srv)
{
    return srv->group;
}

size_t samsa_server_listener_count(const samsa_server_t *srv)
{
    return srv->nls;
}

uint16_t samsa_server_port(const samsa_server_t *srv, size_t i)
{
    return i < srv->nls ? srv->ls[i].port : 0;
}

void samsa_server_get_stats(const samsa_server_t *srv,
                            samsa_server_stats_t *out)
{
    samsa_server_t *s = (samsa_server_t *)srv;
    out->accepted = atomic_load(&s->sh.accepted);
    out->refused = atomic_load(&s->sh.refused);
    out->closed = atomic_load(&s->sh.closed);
    out->open = atomic_load(&s->sh.open);
    out->inflight_bytes = atomic_load(&s->sh.global_inflight);
    out->response_mem_bytes = atomic_load(&s->sh.global_resp_mem);
    out->idle_closed = atomic_load(&s->sh.idle_closed);
}
