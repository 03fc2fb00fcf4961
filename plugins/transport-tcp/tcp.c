/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport-tcp: broker-to-broker connections over plain TCP, the default
 * transport (samsa/transport.h). Non-blocking sockets, TCP_NODELAY, an
 * optional receive buffer size (Kafka's replica.socket.receive.buffer.bytes).
 *
 * connect() starts a non-blocking connect and returns; the first send()
 * or recv() after the socket became writable finds out whether it worked
 * (SO_ERROR), so the caller only ever waits on pollable_fd().
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <samsa/transport.h>

#include "tcp_connect.h"

typedef struct tcp_state {
    const samsa_services_t *svc;
    bool nodelay;
    int64_t rcvbuf; /* 0: the OS default */
    int64_t sndbuf;
} tcp_state_t;

struct samsa_transport_conn {
    tcp_state_t *st;
    int fd;
    bool connecting; /* connect() in progress, not checked yet */
    uint32_t want;   /* SAMSA_TRANSPORT_WANT_* after the last AGAIN */
};

static void tune(void *arg, int fd)
{
    tcp_state_t *st = arg;
    int one = 1;
    if (st->nodelay) {
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (st->rcvbuf > 0) {
        int v = (int)st->rcvbuf;
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
    }
    if (st->sndbuf > 0) {
        int v = (int)st->sndbuf;
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
    }
}

static samsa_err_t new_conn(tcp_state_t *st, int fd, bool connecting,
                            samsa_transport_conn_t **out)
{
    samsa_transport_conn_t *c = st->svc->alloc(sizeof(*c));
    if (!c) {
        return SAMSA_ERR_NOMEM;
    }
    *c = (samsa_transport_conn_t){st, fd, connecting, 0};
    *out = c;
    return SAMSA_OK;
}

static samsa_err_t tcp_connect(void *state, const char *host, int32_t port,
                               samsa_transport_conn_t **conn, char *errbuf,
                               size_t errbuf_size)
{
    tcp_state_t *st = state;
    bool connecting = false;
    int fd = samsa_tcp_connect_start(host, port, tune, st, &connecting, errbuf,
                                     errbuf_size);
    if (fd < 0) {
        return SAMSA_ERR_NETWORK_EXCEPTION;
    }
    samsa_err_t e = new_conn(st, fd, connecting, conn);
    if (e != SAMSA_OK) {
        close(fd);
        snprintf(errbuf, errbuf_size, "out of memory");
    }
    return e;
}

static samsa_err_t tcp_accept(void *state, int fd,
                              samsa_transport_conn_t **conn, char *errbuf,
                              size_t errbuf_size)
{
    tcp_state_t *st = state;
    tune(st, fd);
    samsa_err_t e = new_conn(st, fd, false, conn);
    if (e != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "out of memory");
    }
    return e;
}

/* A connect in progress: SAMSA_OK once it is established, AGAIN while it
 * is not, NETWORK_EXCEPTION when it failed. */
static samsa_err_t finish_connect(samsa_transport_conn_t *c)
{
    samsa_err_t err = samsa_tcp_connect_finish(c->fd, &c->connecting);
    if (err == SAMSA_ERR_AGAIN) {
        c->want = SAMSA_TRANSPORT_WANT_WRITE;
    }
    return err;
}

static samsa_err_t io_error(samsa_transport_conn_t *c, int e, uint32_t want)
{
    if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
        c->want = want;
        return SAMSA_ERR_AGAIN;
    }
    return e == EPIPE || e == ECONNRESET ? SAMSA_ERR_CLOSED
                                         : SAMSA_ERR_NETWORK_EXCEPTION;
}

static samsa_err_t tcp_send(samsa_transport_conn_t *c, const struct iovec *iov,
                            int iovcnt, size_t *sent)
{
    samsa_err_t err = finish_connect(c);
    if (err != SAMSA_OK) {
        return err;
    }
    struct msghdr msg = {.msg_iov = (struct iovec *)iov,
                         .msg_iovlen = (size_t)iovcnt};
    ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
        return io_error(c, errno, SAMSA_TRANSPORT_WANT_WRITE);
    }
    if (n == 0) {
        c->want = SAMSA_TRANSPORT_WANT_WRITE;
        return SAMSA_ERR_AGAIN;
    }
    *sent = (size_t)n;
    return SAMSA_OK;
}

static samsa_err_t tcp_recv(samsa_transport_conn_t *c, void *buf, size_t len,
                            size_t *received)
{
    samsa_err_t err = finish_connect(c);
    if (err != SAMSA_OK) {
        return err;
    }
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n < 0) {
        return io_error(c, errno, SAMSA_TRANSPORT_WANT_READ);
    }
    if (n == 0) {
        return SAMSA_ERR_CLOSED;
    }
    *received = (size_t)n;
    return SAMSA_OK;
}

static int tcp_pollable_fd(const samsa_transport_conn_t *c)
{
    return c->fd;
}

static uint32_t tcp_want_events(const samsa_transport_conn_t *c)
{
    return c->want;
}

static void tcp_close(samsa_transport_conn_t *c)
{
    if (c) {
        close(c->fd);
        c->st->svc->free(c);
    }
}

static samsa_err_t tcp_init(const samsa_services_t *svc,
                            const samsa_instance_t *inst, void **state,
                            char *errbuf, size_t errbuf_size)
{
    tcp_state_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    samsa_err_t err =
        svc->config_bool(inst->config, "tcp_nodelay", &st->nodelay);
    if (err == SAMSA_OK) {
        err = svc->config_int(inst->config, "socket_receive_buffer_bytes",
                              &st->rcvbuf);
    }
    if (err == SAMSA_OK) {
        err = svc->config_int(inst->config, "socket_send_buffer_bytes",
                              &st->sndbuf);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "reading options: %s", svc->err_str(err));
        svc->free(st);
        return err;
    }
    *state = st;
    return SAMSA_OK;
}

static void tcp_fini(void *state)
{
    tcp_state_t *st = state;
    if (st) {
        st->svc->free(st);
    }
}

/* clang-format off */
static const samsa_option_t tcp_options[] = {
    SAMSA_OPTION_BOOL("tcp_nodelay", "true",
        "Disable Nagle's algorithm, so a follower's fetch and the leader's "
        "answer leave at once."),
    SAMSA_OPTION_INT("socket_receive_buffer_bytes", "65536", 0, 1073741824,
        "SO_RCVBUF of each connection (Kafka's "
        "replica.socket.receive.buffer.bytes); 0 = the OS default."),
    SAMSA_OPTION_INT("socket_send_buffer_bytes", "0", 0, 1073741824,
        "SO_SNDBUF of each connection; 0 = the OS default."),
    SAMSA_OPTION_END,
};
/* clang-format on */

static const samsa_transport_ops_t tcp_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_transport_ops_t),
    .connect = tcp_connect,
    .accept = tcp_accept,
    .send = tcp_send,
    .recv = tcp_recv,
    .pollable_fd = tcp_pollable_fd,
    .want_events = tcp_want_events,
    .close = tcp_close,
};

static const samsa_plugin_t tcp_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_TRANSPORT,
    .name = "transport-tcp",
    .version = "1.0.0",
    .summary = "Broker-to-broker connections over plain TCP",
    .options = tcp_options,
    .init = tcp_init,
    .fini = tcp_fini,
    .ops = &tcp_ops,
};

SAMSA_PLUGIN_DECLARE(tcp_plugin)
