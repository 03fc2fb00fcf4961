/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/broker_probe.c - see broker_probe.h. */
#include "metadata/broker_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool samsa_probe_due(int64_t now, int64_t last_heartbeat_ms,
                     int64_t heartbeat_interval_ms, int64_t last_probe_ms)
{
    int64_t half = heartbeat_interval_ms / 2;
    return now - last_heartbeat_ms > heartbeat_interval_ms + half &&
           (last_probe_ms < 0 || now - last_probe_ms >= half);
}

bool samsa_probe_fences(int status, int64_t started_ms,
                        int64_t last_heartbeat_ms)
{
    return status == UV_ECONNREFUSED && last_heartbeat_ms <= started_ms;
}

struct samsa_probe {
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    uv_tcp_t tcp;
    uv_connect_t conn;
    samsa_probe_cb cb;
    void *arg;
    int status;
    bool done;      /* the status is known; handles are closing */
    bool resolving; /* gai in flight */
    bool tcp_open;
    /* Closes and the resolve still to come back; the callback runs when
     * none is left (libuv owns the memory until then). */
    int pending;
};

static void release(samsa_probe_t *p)
{
    if (--p->pending == 0) {
        p->cb(p->arg, p, p->status);
        free(p);
    }
}

static void on_closed(uv_handle_t *h)
{
    release(h->data);
}

static void finish(samsa_probe_t *p, int status)
{
    if (p->done) {
        return;
    }
    p->done = true;
    p->status = status;
    uv_close((uv_handle_t *)&p->timer, on_closed);
    if (p->tcp_open) {
        /* A connect still pending comes back with UV_ECANCELED. */
        uv_close((uv_handle_t *)&p->tcp, on_closed);
    }
    if (p->resolving) {
        /* Fails when the lookup already runs: then it completes. */
        uv_cancel((uv_req_t *)&p->gai);
    }
}

static void on_timeout(uv_timer_t *t)
{
    finish(t->data, UV_ETIMEDOUT);
}

static void on_connect(uv_connect_t *req, int status)
{
    finish(req->data, status);
}

static void connect_to(samsa_probe_t *p, const struct sockaddr *addr)
{
    int rv = uv_tcp_init(p->timer.loop, &p->tcp);
    if (rv == 0) {
        p->tcp.data = p;
        p->tcp_open = true;
        p->pending++;
        p->conn.data = p;
        rv = uv_tcp_connect(&p->conn, &p->tcp, addr, on_connect);
    }
    if (rv != 0) {
        finish(p, rv);
    }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    samsa_probe_t *p = req->data;
    p->resolving = false;
    if (!p->done) {
        if (status != 0) {
            finish(p, status);
        } else {
            connect_to(p, res->ai_addr);
        }
    }
    uv_freeaddrinfo(res);
    release(p);
}

samsa_err_t samsa_probe_start(uv_loop_t *loop, const char *host, int32_t port,
                              samsa_probe_cb cb, void *arg, samsa_probe_t **out)
{
    samsa_probe_t *p = calloc(1, sizeof(*p));
    if (!p) {
        return SAMSA_ERR_NOMEM;
    }
    p->cb = cb;
    p->arg = arg;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->pending = 1;
    uv_timer_start(&p->timer, on_timeout, SAMSA_PROBE_TIMEOUT_MS, 0);
    if (out) {
        *out = p;
    }

    struct sockaddr_storage addr;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) == 0) {
        connect_to(p, (const struct sockaddr *)&addr);
        return SAMSA_OK;
    }
    char service[16];
    snprintf(service, sizeof(service), "%d", (int)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    p->gai.data = p;
    int rv = uv_getaddrinfo(loop, &p->gai, on_resolved, host, service, &hints);
    if (rv != 0) {
        finish(p, rv);
        return SAMSA_OK;
    }
    p->resolving = true;
    p->pending++;
    return SAMSA_OK;
}

void samsa_probe_cancel(samsa_probe_t *probe)
{
    finish(probe, UV_ECANCELED);
}
