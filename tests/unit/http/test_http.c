/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP listener and router (core/http) over a real loopback socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <pthread.h>

#include "http/http.h"

static void hello(const samsa_http_request_t *req, samsa_http_response_t *resp,
                  void *arg)
{
    const char *who = samsa_http_query(req, "who");
    samsa_http_printf(resp, "%s %s %s", (const char *)arg, req->path,
                      who ? who : "-");
}

static void echo(const samsa_http_request_t *req, samsa_http_response_t *resp,
                 void *arg)
{
    (void)arg;
    resp->status = 201;
    resp->content_type = "application/json";
    samsa_http_append(resp, req->body, req->body_len);
}

/* Requests parked by the /later route, answered by the test. */
#define PARKED 3
static pthread_mutex_t parked_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t parked_cond = PTHREAD_COND_INITIALIZER;
static samsa_http_later_t *parked[PARKED];
static int nparked;

static void park(const samsa_http_request_t *req, samsa_http_response_t *resp,
                 void *arg)
{
    (void)arg;
    samsa_http_printf(resp, "never sent");
    samsa_http_later_t *later = samsa_http_later(req);
    assert_non_null(later);
    pthread_mutex_lock(&parked_lock);
    parked[nparked++] = later;
    pthread_cond_broadcast(&parked_cond);
    pthread_mutex_unlock(&parked_lock);
}

static void args(void *arg, const char *name, const char *value)
{
    samsa_http_printf(arg, "[%s=%s]", name, value ? value : "(none)");
}

static void list_args(const samsa_http_request_t *req,
                      samsa_http_response_t *resp, void *arg)
{
    (void)arg;
    samsa_http_query_each(req, args, resp);
}

static int dial(uint16_t port, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    size_t n = strlen(request);
    assert_int_equal(write(fd, request, n), (ssize_t)n);
    return fd;
}

/* The whole answer on @p fd into buf; closes it. */
static void answer_of(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(fd, buf + got, cap - 1 - got)) > 0) {
        got += (size_t)r;
    }
    buf[got] = 0;
    close(fd);
}

/* One HTTP/1.0 exchange; returns the whole answer in buf. */
static void exchange(uint16_t port, const char *request, char *buf, size_t cap)
{
    answer_of(dial(port, request), buf, cap);
}

static void routes_answer_and_unknown_paths_get_404(void **state)
{
    (void)state;
    const char *addrs[] = {"127.0.0.1:0"};
    samsa_http_t *http = NULL;
    assert_int_equal(samsa_http_create(addrs, 1, &http), SAMSA_OK);
    assert_int_equal(samsa_http_route(http, "GET", "/hello", hello, "hi"),
                     SAMSA_OK);
    assert_int_equal(samsa_http_route(http, NULL, "/api/", echo, NULL),
                     SAMSA_OK);
    assert_int_equal(samsa_http_route(http, "GET", "/", hello, "root"),
                     SAMSA_OK);
    char err[256] = "";
    assert_int_equal(samsa_http_start(http, err, sizeof(err)), SAMSA_OK);
    uint16_t port = samsa_http_port(http, 0);
    assert_true(port > 0);

    char buf[4096];
    exchange(port, "GET /hello?who=bob HTTP/1.0\r\n\r\n", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 200 "));
    assert_non_null(strstr(buf, "hi /hello bob"));

    exchange(port, "GET /nope HTTP/1.0\r\n\r\n", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 404 "));

    exchange(port, "GET / HTTP/1.0\r\n\r\n", buf, sizeof(buf));
    assert_non_null(strstr(buf, "root / -"));

    exchange(port, "POST /hello HTTP/1.0\r\nContent-Length: 0\r\n\r\n", buf,
             sizeof(buf));
    assert_non_null(strstr(buf, " 405 "));

    exchange(port,
             "POST /api/connectors HTTP/1.0\r\nContent-Length: 7\r\n\r\n"
             "{\"a\":1}",
             buf, sizeof(buf));
    assert_non_null(strstr(buf, " 201 "));
    assert_non_null(strstr(buf, "application/json"));
    assert_non_null(strstr(buf, "{\"a\":1}"));
    samsa_http_destroy(http);
}

/* Answers given later hold none of the listener's threads (it has two):
 * with three requests parked, others are still served; the parked ones
 * get what another thread answers. */
static void later_answers_leave_the_listener_serving(void **state)
{
    (void)state;
    const char *addrs[] = {"127.0.0.1:0"};
    samsa_http_t *http = NULL;
    assert_int_equal(samsa_http_create(addrs, 1, &http), SAMSA_OK);
    assert_int_equal(samsa_http_route(http, NULL, "/later", park, NULL),
                     SAMSA_OK);
    assert_int_equal(samsa_http_route(http, "GET", "/args", list_args, NULL),
                     SAMSA_OK);
    char err[256] = "";
    assert_int_equal(samsa_http_start(http, err, sizeof(err)), SAMSA_OK);
    uint16_t port = samsa_http_port(http, 0);
    int fds[PARKED];
    for (int i = 0; i < PARKED; i++) {
        fds[i] = dial(port, "POST /later HTTP/1.0\r\nContent-Length: 2\r\n"
                            "\r\n{}");
    }
    pthread_mutex_lock(&parked_lock);
    while (nparked < PARKED) {
        pthread_cond_wait(&parked_cond, &parked_lock);
    }
    pthread_mutex_unlock(&parked_lock);

    char buf[4096];
    exchange(port, "GET /args?b=2&a=x%20y&flag HTTP/1.0\r\n\r\n", buf,
             sizeof(buf));
    assert_non_null(strstr(buf, " 200 "));
    assert_non_null(strstr(buf, "[b=2][a=x y][flag=(none)]"));

    for (int i = 0; i < PARKED; i++) {
        samsa_http_response_t resp = {.status = 202,
                                      .content_type = "application/json"};
        samsa_http_printf(&resp, "{\"parked\":%d}", i);
        samsa_http_answer(parked[i], &resp);
        assert_null(resp.body); /* taken over */
    }
    for (int i = 0; i < PARKED; i++) {
        char want[32];
        snprintf(want, sizeof(want), "{\"parked\":%d}", i);
        answer_of(fds[i], buf, sizeof(buf));
        assert_non_null(strstr(buf, " 202 "));
        assert_non_null(strstr(buf, want));
        assert_null(strstr(buf, "never sent"));
    }
    samsa_http_destroy(http);
}

static void a_taken_port_is_an_error_naming_the_address(void **state)
{
    (void)state;
    const char *first[] = {"127.0.0.1:0"};
    samsa_http_t *a = NULL, *b = NULL;
    char err[256] = "";
    assert_int_equal(samsa_http_create(first, 1, &a), SAMSA_OK);
    assert_int_equal(samsa_http_start(a, err, sizeof(err)), SAMSA_OK);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%u",
             (unsigned)samsa_http_port(a, 0));
    const char *second[] = {addr};
    assert_int_equal(samsa_http_create(second, 1, &b), SAMSA_OK);
    assert_int_not_equal(samsa_http_start(b, err, sizeof(err)), SAMSA_OK);
    assert_non_null(strstr(err, addr));
    samsa_http_destroy(b);

    const char *bad[] = {"no-port-here"};
    assert_int_equal(samsa_http_create(bad, 1, &b), SAMSA_OK);
    assert_int_equal(samsa_http_start(b, err, sizeof(err)), SAMSA_ERR_CONFIG);
    assert_non_null(strstr(err, "no-port-here"));
    samsa_http_destroy(b);
    samsa_http_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_answer_and_unknown_paths_get_404),
        cmocka_unit_test(a_taken_port_is_an_error_naming_the_address),
        cmocka_unit_test(later_answers_leave_the_listener_serving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
