/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/net/test_server.c - framing, ordering, limits and shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/server.h"
#include "protocol/header.h"
#include "util/log.h"

#define MAX_PARKED 64

typedef struct parked {
    samsa_conn_t *conn;
    samsa_slot_t *slot;
    uint8_t *frame;
    size_t len;
    bool done;
} parked_t;

typedef struct app {
    bool park;   /* park every request instead of echoing */
    int file_fd; /* "file" requests get these bytes via a file chunk */
    pthread_mutex_t mu;
    parked_t parked[MAX_PARKED];
    int nparked;
    atomic_int requests;
    atomic_int closes;
    char peer[64];
} app_t;

/* Response = size prefix + the request bytes. */
static void complete_echo(samsa_slot_t *slot, const uint8_t *frame, size_t len)
{
    samsa_iobuf_t b;
    samsa_iobuf_init(&b);
    size_t mark;
    assert_int_equal(samsa_frame_begin(&b, &mark), SAMSA_OK);
    assert_int_equal(samsa_iobuf_write(&b, frame, len), SAMSA_OK);
    assert_int_equal(samsa_frame_end(&b, mark), SAMSA_OK);
    samsa_slot_complete(slot, &b);
    assert_int_equal(samsa_iobuf_len(&b), 0);
    samsa_iobuf_clear(&b);
}

static void on_request(samsa_conn_t *conn, samsa_slot_t *slot, uint8_t *frame,
                       size_t len, void *arg)
{
    app_t *app = arg;
    atomic_fetch_add(&app->requests, 1);
    if (!app->park && len == 4 && memcmp(frame, "file", 4) == 0) {
        samsa_iobuf_t b;
        samsa_iobuf_init(&b);
        size_t mark;
        assert_int_equal(samsa_frame_begin(&b, &mark), SAMSA_OK);
        assert_int_equal(samsa_iobuf_write(&b, "<", 1), SAMSA_OK);
        assert_int_equal(
            samsa_iobuf_append_file(&b, app->file_fd, 2, 6, NULL, NULL),
            SAMSA_OK);
        assert_int_equal(samsa_iobuf_write(&b, ">", 1), SAMSA_OK);
        assert_int_equal(samsa_frame_end(&b, mark), SAMSA_OK);
        samsa_slot_complete(slot, &b);
        samsa_frame_free(frame);
        return;
    }
    if (!app->park && len == 3 && memcmp(frame, "big", 3) == 0) {
        /* 1 MiB of response for 3 bytes of request. */
        samsa_iobuf_t b;
        samsa_iobuf_init(&b);
        size_t mark;
        assert_int_equal(samsa_frame_begin(&b, &mark), SAMSA_OK);
        uint8_t *p = samsa_iobuf_reserve(&b, 1u << 20);
        assert_non_null(p);
        memset(p, 'B', 1u << 20);
        assert_int_equal(samsa_frame_end(&b, mark), SAMSA_OK);
        samsa_slot_complete(slot, &b);
        samsa_frame_free(frame);
        return;
    }
    if (!app->park) {
        complete_echo(slot, frame, len);
        samsa_frame_free(frame);
        return;
    }
    pthread_mutex_lock(&app->mu);
    assert_true(app->nparked < MAX_PARKED);
    app->parked[app->nparked++] = (parked_t){conn, slot, frame, len, false};
    pthread_mutex_unlock(&app->mu);
}

static void on_open(samsa_conn_t *conn, void *arg)
{
    app_t *app = arg;
    pthread_mutex_lock(&app->mu);
    snprintf(app->peer, sizeof(app->peer), "%s", samsa_conn_peer(conn));
    pthread_mutex_unlock(&app->mu);
}

/* Parked requests of a closing connection are completed here, as the
 * broker does for long-poll fetches. */
static void on_close(samsa_conn_t *conn, void *arg)
{
    app_t *app = arg;
    atomic_fetch_add(&app->closes, 1);
    pthread_mutex_lock(&app->mu);
    for (int i = 0; i < app->nparked; i++) {
        parked_t *p = &app->parked[i];
        if (p->conn == conn && !p->done) {
            p->done = true;
            samsa_slot_complete_none(p->slot);
            samsa_frame_free(p->frame);
        }
    }
    pthread_mutex_unlock(&app->mu);
}

typedef struct fixture {
    app_t app;
    samsa_server_t *srv;
} fixture_t;

static fixture_t *start_server(bool park, samsa_server_config_t *over)
{
    fixture_t *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->app.mu, NULL);
    f->app.park = park;
    f->app.file_fd = -1;
    static const char *lst[] = {"127.0.0.1:0"};
    samsa_server_config_t cfg;
    if (over) {
        cfg = *over;
    } else {
        samsa_server_config_init(&cfg);
    }
    if (!cfg.listeners) {
        cfg.listeners = lst;
        cfg.listener_count = 1;
    }
    cfg.reactors = 2;
    cfg.on_request = on_request;
    cfg.on_open = on_open;
    cfg.on_close = on_close;
    cfg.app = &f->app;
    char err[256] = "";
    assert_int_equal(samsa_server_create(&cfg, NULL, &f->srv, err, sizeof(err)),
                     SAMSA_OK);
    assert_int_not_equal(samsa_server_port(f->srv, 0), 0);
    assert_int_equal(samsa_server_start(f->srv), SAMSA_OK);
    return f;
}

static void stop_server(fixture_t *f)
{
    samsa_server_stop(f->srv, 200);
    samsa_server_destroy(f->srv);
    /* Any request parked and never seen by on_close would leak: ASan. */
    pthread_mutex_destroy(&f->app.mu);
    free(f);
}

static int connect_to(const char *ip, uint16_t port)
{
    int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
    int fd = socket(fam, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (fam == AF_INET) {
        struct sockaddr_in *in = (void *)&ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        inet_pton(AF_INET, ip, &in->sin_addr);
        sl = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (void *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        inet_pton(AF_INET6, ip, &in6->sin6_addr);
        sl = sizeof(*in6);
    }
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        b += w;
        n -= (size_t)w;
    }
}

static size_t put_frame(uint8_t *out, const char *body)
{
    uint32_t n = (uint32_t)strlen(body);
    out[0] = (uint8_t)(n >> 24);
    out[1] = (uint8_t)(n >> 16);
    out[2] = (uint8_t)(n >> 8);
    out[3] = (uint8_t)n;
    memcpy(out + 4, body, n);
    return 4 + n;
}

static bool recv_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = recv(fd, b, n, 0);
        if (r <= 0) {
            return false;
        }
        b += r;
        n -= (size_t)r;
    }
    return true;
}

/* Receive one response and compare its body. */
static void expect_frame(int fd, const void *body, size_t len)
{
    uint8_t hdr[4];
    assert_true(recv_all(fd, hdr, 4));
    uint32_t n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
                 ((uint32_t)hdr[2] << 8) | hdr[3];
    assert_int_equal(n, len);
    uint8_t *got = malloc(n ? n : 1);
    assert_true(recv_all(fd, got, n));
    assert_memory_equal(got, body, len);
    free(got);
}

static void expect_str(int fd, const char *s)
{
    expect_frame(fd, s, strlen(s));
}

static bool nothing_to_read(int fd)
{
    usleep(30000);
    uint8_t c;
    ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static bool peer_closed(int fd)
{
    uint8_t buf[64];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) {
            return true;
        }
        if (r < 0) {
            return false; /* timeout */
        }
    }
}

static bool wait_parked(app_t *app, int n)
{
    for (int i = 0; i < 5000; i++) {
        pthread_mutex_lock(&app->mu);
        int have = app->nparked;
        pthread_mutex_unlock(&app->mu);
        if (have >= n) {
            return true;
        }
        usleep(1000);
    }
    return false;
}

static int parked_count(app_t *app)
{
    pthread_mutex_lock(&app->mu);
    int n = app->nparked;
    pthread_mutex_unlock(&app->mu);
    return n;
}

/* Completing a parked request must happen on its connection's reactor. */
typedef struct complete_arg {
    app_t *app;
    int index;
    bool none;
} complete_arg_t;

static void complete_on_reactor(void *arg)
{
    complete_arg_t *c = arg;
    pthread_mutex_lock(&c->app->mu);
    parked_t p = c->app->parked[c->index];
    c->app->parked[c->index].done = true;
    pthread_mutex_unlock(&c->app->mu);
    assert_ptr_equal(samsa_reactor_current(), samsa_conn_reactor(p.conn));
    if (p.done) {
        return;
    }
    /* Unlocked: completing may close the connection and run on_close. */
    if (c->none) {
        samsa_slot_complete_none(p.slot);
    } else {
        complete_echo(p.slot, p.frame, p.len);
    }
    samsa_frame_free(p.frame);
}

static void complete_parked(app_t *app, int index, bool none)
{
    pthread_mutex_lock(&app->mu);
    samsa_reactor_t *r = samsa_conn_reactor(app->parked[index].conn);
    pthread_mutex_unlock(&app->mu);
    complete_arg_t c = {app, index, none};
    assert_int_equal(samsa_reactor_call(r, complete_on_reactor, &c), SAMSA_OK);
}

/* ---- tests ------------------------------------------------------------------
 */

static void test_frames_in_one_write_and_byte_by_byte_arrive_in_order(void **s)
{
    fixture_t *f = start_server(false, NULL);
    int fd = connect_to("127.0.0.1", samsa_server_port(f->srv, 0));
    uint8_t buf[256];
    size_t n = 0;
    const char *bodies[] = {"one", "two", "", "three", "four"};
    for (int i = 0; i < 5; i++) {
        n += put_frame(buf + n, bodies[i]);
    }
    send_all(fd, buf, n);
    for (int i = 0; i < 5; i++) {
        expect_str(fd, bodies[i]);
    }
    n = put_frame(buf, "slow");
    n += put_frame(buf + n, "drip");
    for (size_t i = 0; i < n; i++) {
        send_all(fd, buf + i, 1);
        usleep(200);
    }
    expect_str(fd, "slow");
    expect_str(fd, "drip");

    /* A frame larger than the read buffer goes straight to its own
     * allocation; check every byte survives. */
    size_t big = 300000;
    uint8_t *frame = malloc(4 + big);
    frame[0] = 0;
    frame[1] = (uint8_t)(big >> 16);
    frame[2] = (uint8_t)(big >> 8);
    frame[3] = (uint8_t)big;
    for (size_t i = 0; i < big; i++) {
        frame[4 + i] = (uint8_t)(i * 7);
    }
    send_all(fd, frame, 4 + big);
    expect_frame(fd, frame + 4, big);
    free(frame);

    /* A response mixing memory and a file range (sendfile path). */
    char path[] = "/tmp/samsa-net-test-XXXXXX";
    int tmp = mkstemp(path);
    assert_true(tmp >= 0);
    unlink(path);
    assert_int_equal(write(tmp, "0123456789", 10), 10);
    f->app.file_fd = tmp;
    n = put_frame(buf, "file");
    send_all(fd, buf, n);
    send_all(fd, buf, n);
    expect_str(fd, "<234567>");
    expect_str(fd, "<234567>");

    pthread_mutex_lock(&f->app.mu);
    assert_true(strncmp(f->app.peer, "127.0.0.1:", 10) == 0);
    pthread_mutex_unlock(&f->app.mu);
    close(fd);
    stop_server(f);
    close(tmp);
}

static void test_out_of_order_completions_are_written_in_order(void **s)
{
    fixture_t *f = start_server(true, NULL);
    int fd = connect_to("127.0.0.1", samsa_server_port(f->srv, 0));
    uint8_t buf[256];
    size_t n = 0;
    const char *bodies[] = {"r0", "r1", "r2", "r3"};
    for (int i = 0; i < 4; i++) {
        n += put_frame(buf + n, bodies[i]);
    }
    send_all(fd, buf, n);
    assert_true(wait_parked(&f->app, 4));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(samsa_slot_seq(f->app.parked[i].slot), i);
    }
    complete_parked(&f->app, 3, false);
    complete_parked(&f->app, 1, true); /* no response, like acks=0 */
    assert_true(nothing_to_read(fd));  /* slot 0 holds everything back */
    complete_parked(&f->app, 2, false);
    assert_true(nothing_to_read(fd));
    complete_parked(&f->app, 0, false);
    expect_str(fd, "r0");
    expect_str(fd, "r2");
    expect_str(fd, "r3");
    assert_true(nothing_to_read(fd));
    close(fd);
    stop_server(f);
}

static void test_bad_frame_sizes_close_only_that_connection(void **s)
{
    fixture_t *f = start_server(false, NULL);
    uint16_t port = samsa_server_port(f->srv, 0);
    int good = connect_to("127.0.0.1", port);
    /* 0x7fffffff (2 GiB - 1) is above socket.request.max.bytes; 0x80000000
     * and 0xffffffff are negative int32 sizes. */
    const uint8_t sizes[][4] = {{0x7f, 0xff, 0xff, 0xff},
                                {0x80, 0x00, 0x00, 0x00},
                                {0xff, 0xff, 0xff, 0xff}};
    uint8_t buf[64];
    for (int i = 0; i < 3; i++) {
        int bad = connect_to("127.0.0.1", port);
        send_all(bad, sizes[i], 4);
        send_all(bad, "junk", 4);
        assert_true(peer_closed(bad));
        close(bad);
        size_t n = put_frame(buf, "still here");
        send_all(good, buf, n);
        expect_str(good, "still here");
    }
    samsa_server_stats_t st;
    samsa_server_get_stats(f->srv, &st);
    assert_int_equal(st.closed, 3);
    assert_int_equal(st.open, 1);
    close(good);
    stop_server(f);
}

static void test_inflight_limit_stops_reading_until_responses_drain(void **s)
{
    samsa_server_config_t cfg;
    samsa_server_config_init(&cfg);
    cfg.max_inflight_requests = 2;
    fixture_t *f = start_server(true, &cfg);
    int fd = connect_to("127.0.0.1", samsa_server_port(f->srv, 0));
    uint8_t buf[256];
    size_t n = 0;
    const char *bodies[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++) {
        n += put_frame(buf + n, bodies[i]);
    }
    send_all(fd, buf, n);
    assert_true(wait_parked(&f->app, 2));
    usleep(30000);
    assert_int_equal(parked_count(&f->app), 2);
    complete_parked(&f->app, 0, false);
    expect_str(fd, "a");
    assert_true(wait_parked(&f->app, 3));
    usleep(30000);
    assert_int_equal(parked_count(&f->app), 3);
    for (int i = 1; i < 5; i++) {
        assert_true(wait_parked(&f->app, i + 1));
        complete_parked(&f->app, i, false);
        expect_str(fd, bodies[i]);
    }
    close(fd);
    stop_server(f);
}

static void test_global_byte_limit_pauses_other_connections(void **s)
{
    samsa_server_config_t cfg;
    samsa_server_config_init(&cfg);
    cfg.max_global_inflight_bytes = 100;
    fixture_t *f = start_server(true, &cfg);
    uint16_t port = samsa_server_port(f->srv, 0);
    char body[81];
    memset(body, 'x', 80);
    body[80] = '\0';
    uint8_t buf[128];
    size_t n = put_frame(buf, body);
    int a = connect_to("127.0.0.1", port);
    send_all(a, buf, n);
    assert_true(wait_parked(&f->app, 1));
    int b = connect_to("127.0.0.1", port);
    send_all(b, buf, n);
    send_all(a, buf, n);
    /* a's first request alone holds 80 of 100 bytes: the second frame on a
     * fits (the limit is checked before), b's may too; a third cannot. */
    usleep(30000);
    int before = parked_count(&f->app);
    assert_true(before <= 3);
    int c = connect_to("127.0.0.1", port);
    send_all(c, buf, n);
    usleep(30000);
    assert_int_equal(parked_count(&f->app), before);
    for (int i = 0; i < 4; i++) {
        assert_true(wait_parked(&f->app, i + 1));
        complete_parked(&f->app, i, true);
    }
    assert_int_equal(parked_count(&f->app), 4);
    close(a);
    close(b);
    close(c);
    stop_server(f);
}

/* A client that asks for large responses and reads none of them holds
 * them in its own budget: other connections keep being served even when
 * its unsent bytes exceed the global budget many times over. */
static void test_unread_responses_stall_only_their_connection(void **s)
{
    samsa_server_config_t cfg;
    samsa_server_config_init(&cfg);
    cfg.max_global_inflight_bytes = 256 << 10;
    cfg.max_inflight_bytes = 4u << 20;
    fixture_t *f = start_server(false, &cfg);
    uint16_t port = samsa_server_port(f->srv, 0);
    int hog = connect_to("127.0.0.1", port);
    int small = 4096;
    setsockopt(hog, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    uint8_t buf[256];
    size_t n = 0;
    for (int i = 0; i < 16; i++) {
        n += put_frame(buf + n, "big");
    }
    send_all(hog, buf, n);
    /* Its 16 MiB of responses cannot all be sent; its budget (4 MiB)
     * stops reading it once ~4 are queued. */
    for (int i = 0; i < 5000 && atomic_load(&f->app.requests) < 4; i++) {
        usleep(1000);
    }
    usleep(50000);
    assert_true(atomic_load(&f->app.requests) < 16);
    samsa_server_stats_t st;
    samsa_server_get_stats(f->srv, &st);
    assert_true(st.response_mem_bytes > cfg.max_global_inflight_bytes);
    for (int i = 0; i < 3; i++) {
        int other = connect_to("127.0.0.1", port);
        n = put_frame(buf, "served");
        send_all(other, buf, n);
        expect_str(other, "served");
        close(other);
    }
    /* Over the budget for unsent responses, a client that pipelines waits
     * only for itself: its second request is read once it took the first
     * answer. */
    int piped = connect_to("127.0.0.1", port);
    n = put_frame(buf, "big");
    n += put_frame(buf + n, "after");
    send_all(piped, buf, n);
    uint8_t *want = malloc(1u << 20);
    memset(want, 'B', 1u << 20);
    expect_frame(piped, want, 1u << 20);
    free(want);
    expect_str(piped, "after");
    close(piped);
    close(hog);
    /* What the hog held is released with it: the connection count drops
     * when the reactor closes it, its queued responses a moment later, as
     * their chunks are freed, so wait for both. */
    for (int i = 0; i < 5000; i++) {
        samsa_server_get_stats(f->srv, &st);
        if (st.open == 0 && st.response_mem_bytes == 0) {
            break;
        }
        usleep(1000);
    }
    assert_int_equal(st.open, 0);
    assert_int_equal(st.response_mem_bytes, 0);
    stop_server(f);
}

/* connections.max.idle.ms: an idle connection and one whose peer reads
 * nothing are closed; one the app still owes an answer is kept. */
static void test_idle_and_stalled_connections_are_closed(void **s)
{
    samsa_server_config_t cfg;
    samsa_server_config_init(&cfg);
    cfg.max_idle_ms = 200;
    fixture_t *f = start_server(false, &cfg);
    uint16_t port = samsa_server_port(f->srv, 0);
    int idle = connect_to("127.0.0.1", port);
    int stalled = connect_to("127.0.0.1", port);
    int small = 4096;
    setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    uint8_t buf[64];
    size_t n = put_frame(buf, "big");
    send_all(stalled, buf, n);
    assert_true(peer_closed(idle));
    /* The stalled one: 1 MiB never read (the kernel buffers hold a part;
     * draining them through a 4 KiB window would take long, so the stats
     * say it was closed). */
    samsa_server_stats_t st;
    for (int i = 0; i < 5000; i++) {
        samsa_server_get_stats(f->srv, &st);
        if (st.idle_closed == 2) {
            break;
        }
        usleep(1000);
    }
    assert_int_equal(st.idle_closed, 2);
    assert_int_equal(st.open, 0);
    close(idle);
    close(stalled);
    stop_server(f);

    /* A parked request keeps a silent connection open. */
    f = start_server(true, &cfg);
    int waiting = connect_to("127.0.0.1", samsa_server_port(f->srv, 0));
    n = put_frame(buf, "long poll");
    send_all(waiting, buf, n);
    assert_true(wait_parked(&f->app, 1));
    usleep(600000);
    samsa_server_get_stats(f->srv, &st);
    assert_int_equal(st.idle_closed, 0);
    complete_parked(&f->app, 0, false);
    expect_str(waiting, "long poll");
    close(waiting);
    stop_server(f);
}

static void test_max_connections_refuses_extra_clients(void **s)
{
    samsa_server_config_t cfg;
    samsa_server_config_init(&cfg);
    cfg.max_connections = 1;
    fixture_t *f = start_server(false, &cfg);
    uint16_t port = samsa_server_port(f->srv, 0);
    int a = connect_to("127.0.0.1", port);
    uint8_t buf[32];
    size_t n = put_frame(buf, "hi");
    send_all(a, buf, n);
    expect_str(a, "hi");
    int b = connect_to("127.0.0.1", port);
    assert_true(peer_closed(b));
    samsa_server_stats_t st;
    samsa_server_get_stats(f->srv, &st);
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.open, 1);
    close(b);
    close(a);
    stop_server(f);
}

static void test_ipv4_and_ipv6_listeners_report_ephemeral_ports(void **s)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
                               .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool have_v6 =
        probe >= 0 && bind(probe, (struct sockaddr *)&in6, sizeof(in6)) == 0;
    if (probe >= 0) {
        close(probe);
    }
    static const char *both[] = {"127.0.0.1:0", "[::1]:0"};
    samsa_server_config_t cfg;
    samsa_server_config_init(&cfg);
    cfg.listeners = both;
    cfg.listener_count = have_v6 ? 2 : 1;
    fixture_t *f = start_server(false, &cfg);
    uint8_t buf[32];
    size_t n = put_frame(buf, "v");
    for (size_t i = 0; i < cfg.listener_count; i++) {
        int fd = connect_to(i == 0 ? "127.0.0.1" : "::1",
                            samsa_server_port(f->srv, i));
        send_all(fd, buf, n);
        expect_str(fd, "v");
        close(fd);
    }
    stop_server(f);

    /* A taken port is a start-up error naming the listener. */
    fixture_t *g = start_server(false, NULL);
    char spec[32], err[256] = "";
    snprintf(spec, sizeof(spec), "127.0.0.1:%u",
             (unsigned)samsa_server_port(g->srv, 0));
    const char *one[] = {spec};
    cfg.listeners = one;
    cfg.listener_count = 1;
    cfg.on_request = on_request;
    samsa_server_t *dup = NULL;
    assert_int_not_equal(
        samsa_server_create(&cfg, NULL, &dup, err, sizeof(err)), SAMSA_OK);
    assert_non_null(strstr(err, spec));
    const char *bad[] = {"no-port-here"};
    cfg.listeners = bad;
    assert_int_equal(samsa_server_create(&cfg, NULL, &dup, err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    stop_server(g);
}

static void test_stop_with_parked_request_closes_cleanly(void **s)
{
    fixture_t *f = start_server(true, NULL);
    int fd = connect_to("127.0.0.1", samsa_server_port(f->srv, 0));
    uint8_t buf[64];
    size_t n = put_frame(buf, "parked forever");
    send_all(fd, buf, n);
    assert_true(wait_parked(&f->app, 1));
    samsa_server_stop(f->srv, 50);
    assert_int_equal(atomic_load(&f->app.closes), 1);
    assert_true(f->app.parked[0].done); /* completed by on_close */
    assert_true(peer_closed(fd));
    samsa_server_stats_t st;
    samsa_server_get_stats(f->srv, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.inflight_bytes, 0);
    close(fd);
    samsa_server_stop(f->srv, 50); /* idempotent */
    samsa_server_destroy(f->srv);
    pthread_mutex_destroy(&f->app.mu);
    free(f);
}

/* A parked request finishing during the drain still gets its response out
 * before the connection closes. */
static void *late_completer(void *arg)
{
    app_t *app = arg;
    usleep(50000);
    complete_parked(app, 0, false);
    return NULL;
}

static void test_stop_flushes_requests_that_finish_during_drain(void **s)
{
    fixture_t *f = start_server(true, NULL);
    int fd = connect_to("127.0.0.1", samsa_server_port(f->srv, 0));
    uint8_t buf[64];
    size_t n = put_frame(buf, "late");
    send_all(fd, buf, n);
    assert_true(wait_parked(&f->app, 1));
    pthread_t t;
    pthread_create(&t, NULL, late_completer, &f->app);
    samsa_server_stop(f->srv, 3000);
    pthread_join(t, NULL);
    expect_str(fd, "late");
    assert_true(peer_closed(fd));
    close(fd);
    samsa_server_destroy(f->srv);
    pthread_mutex_destroy(&f->app.mu);
    free(f);
}

int main(void)
{
    samsa_log_set_level(SAMSA_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_frames_in_one_write_and_byte_by_byte_arrive_in_order),
        cmocka_unit_test(test_out_of_order_completions_are_written_in_order),
        cmocka_unit_test(test_bad_frame_sizes_close_only_that_connection),
        cmocka_unit_test(
            test_inflight_limit_stops_reading_until_responses_drain),
        cmocka_unit_test(test_global_byte_limit_pauses_other_connections),
        cmocka_unit_test(test_unread_responses_stall_only_their_connection),
        cmocka_unit_test(test_idle_and_stalled_connections_are_closed),
        cmocka_unit_test(test_max_connections_refuses_extra_clients),
        cmocka_unit_test(test_ipv4_and_ipv6_listeners_report_ephemeral_ports),
        cmocka_unit_test(test_stop_with_parked_request_closes_cleanly),
        cmocka_unit_test(test_stop_flushes_requests_that_finish_during_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
