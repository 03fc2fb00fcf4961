/* SPDX-License-Identifier: Apache-2.0 */
/* core/http/server.c - libmicrohttpd listeners and the router; see http.h. */
#include "http/http.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "config/broker.h"
#include "util/log.h"

/* Request bodies (Connect's REST API posts JSON configs) are bounded. */
#define HTTP_MAX_BODY        (1u << 20)
#define HTTP_THREADS         2
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_IDLE_TIMEOUT_S  30

typedef struct route {
    char *method; /* NULL = any */
    char *path;
    bool prefix;
    samsa_http_handler_fn fn;
    void *arg;
} route_t;

typedef struct listener {
    char *addr;
    struct MHD_Daemon *daemon;
    uint16_t port;
} listener_t;

struct samsa_http {
    listener_t *listeners;
    size_t listener_count;
    route_t *routes;
    size_t route_count;
};

/* samsa_http_later(): none, suspended waiting, answer ready. */
enum { LATER_NONE, LATER_WAITING, LATER_READY };

/* Per-connection upload state (con_cls); it is also the
 * samsa_http_later_t of a suspended request. */
typedef struct upload {
    char *buf;
    size_t len;
    bool too_large;
    struct MHD_Connection *conn;
    atomic_int later;
    samsa_http_response_t answer; /* LATER_READY: what to send */
} upload_t;

struct samsa_http_later {
    upload_t up;
};

samsa_err_t samsa_http_create(const char *const *addrs, size_t count,
                              samsa_http_t **out)
{
    samsa_http_t *http = calloc(1, sizeof(*http));
    if (!http) {
        return SAMSA_ERR_NOMEM;
    }
    http->listeners = calloc(count ? count : 1, sizeof(*http->listeners));
    if (!http->listeners) {
        free(http);
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        http->listeners[i].addr = strdup(addrs[i]);
        http->listener_count = i + 1;
        if (!http->listeners[i].addr) {
            samsa_http_destroy(http);
            return SAMSA_ERR_NOMEM;
        }
    }
    *out = http;
    return SAMSA_OK;
}

samsa_err_t samsa_http_route(samsa_http_t *http, const char *method,
                             const char *path, samsa_http_handler_fn fn,
                             void *arg)
{
    route_t *r =
        realloc(http->routes, (http->route_count + 1) * sizeof(*http->routes));
    if (!r) {
        return SAMSA_ERR_NOMEM;
    }
    http->routes = r;
    route_t *nr = &r[http->route_count];
    size_t n = strlen(path);
    *nr = (route_t){.method = method ? strdup(method) : NULL,
                    .path = strdup(path),
                    /* "/" itself is exact: a prefix of everything
                     * would hide the 404 of every unknown path. */
                    .prefix = n > 1 && path[n - 1] == '/',
                    .fn = fn,
                    .arg = arg};
    if (!nr->path || (method && !nr->method)) {
        free(nr->method);
        free(nr->path);
        return SAMSA_ERR_NOMEM;
    }
    http->route_count++;
    return SAMSA_OK;
}

static const route_t *find_route(const samsa_http_t *http, const char *method,
                                 const char *path, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < http->route_count; i++) {
        const route_t *r = &http->routes[i];
        bool match = r->prefix ? strncmp(path, r->path, strlen(r->path)) == 0
                               : strcmp(path, r->path) == 0;
        if (!match) {
            continue;
        }
        *path_known = true;
        if (!r->method || strcmp(r->method, method) == 0) {
            return r;
        }
    }
    return NULL;
}

void samsa_http_append(samsa_http_response_t *resp, const void *data,
                       size_t len)
{
    if (resp->nomem) {
        return;
    }
    if (resp->len + len + 1 > resp->cap) {
        size_t cap = resp->cap ? resp->cap : 4096;
        while (cap < resp->len + len + 1) {
            cap *= 2;
        }
        char *b = realloc(resp->body, cap);
        if (!b) {
            resp->nomem = true;
            return;
        }
        resp->body = b;
        resp->cap = cap;
    }
    memcpy(resp->body + resp->len, data, len);
    resp->len += len;
    resp->body[resp->len] = 0;
}

void samsa_http_printf(samsa_http_response_t *resp, const char *fmt, ...)
{
    char stack[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(stack, sizeof(stack), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof(stack)) {
        samsa_http_append(resp, stack, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        resp->nomem = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    samsa_http_append(resp, big, (size_t)n);
    free(big);
}

const char *samsa_http_query(const samsa_http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct query_match {
    const char *name, *value;
    bool found;
} query_match_t;

static enum MHD_Result match_arg(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *value)
{
    (void)kind;
    query_match_t *q = cls;
    if (strcmp(key, q->name) == 0 && value != NULL &&
        strcmp(value, q->value) == 0) {
        q->found = true;
        return MHD_NO; /* done */
    }
    return MHD_YES;
}

typedef struct query_each {
    void (*fn)(void *arg, const char *name, const char *value);
    void *arg;
} query_each_t;

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value)
{
    (void)kind;
    query_each_t *q = cls;
    q->fn(q->arg, key, value);
    return MHD_YES;
}

void samsa_http_query_each(const samsa_http_request_t *req,
                           void (*fn)(void *arg, const char *name,
                                      const char *value),
                           void *arg)
{
    query_each_t q = {fn, arg};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, each_arg, &q);
}

samsa_http_later_t *samsa_http_later(const samsa_http_request_t *req)
{
    upload_t *up = req->state;
    if (up == NULL || atomic_load(&up->later) != LATER_NONE) {
        return NULL;
    }
    atomic_store(&up->later, LATER_WAITING);
    /* Suspended from its own handler: MHD runs the handler again once
     * samsa_http_answer() resumes it, and on_request sends the answer. */
    MHD_suspend_connection(up->conn);
    return (samsa_http_later_t *)up;
}

void samsa_http_answer(samsa_http_later_t *later, samsa_http_response_t *resp)
{
    upload_t *up = &later->up;
    up->answer = *resp;
    *resp = (samsa_http_response_t){0};
    atomic_store(&up->later, LATER_READY);
    MHD_resume_connection(up->conn);
}

bool samsa_http_query_has(const samsa_http_request_t *req, const char *name,
                          const char *value)
{
    query_match_t q = {name, value, false};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, match_arg, &q);
    return q.found;
}

static enum MHD_Result send_response(struct MHD_Connection *c,
                                     samsa_http_response_t *resp)
{
    if (resp->nomem) {
        free(resp->body);
        *resp = (samsa_http_response_t){0};
        resp->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        samsa_http_printf(resp, "out of memory\n");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp->len, resp->body ? resp->body : (void *)"",
        resp->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(resp->body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->content_type ? resp->content_type
                                               : "text/plain; charset=utf-8");
    /* Every page is generated from live state. */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result simple(struct MHD_Connection *c, int status,
                              const char *text)
{
    samsa_http_response_t resp = {.status = status};
    samsa_http_printf(&resp, "%s\n", text);
    return send_response(c, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    samsa_http_t *http = cls;
    upload_t *up = *con_cls;
    if (!up) {
        up = calloc(1, sizeof(*up));
        if (!up) {
            return MHD_NO;
        }
        up->conn = c;
        *con_cls = up;
        return MHD_YES;
    }
    switch (atomic_load(&up->later)) {
    case LATER_READY:
        atomic_store(&up->later, LATER_NONE);
        return send_response(c, &up->answer);
    case LATER_WAITING:
        return MHD_YES; /* still suspended: nothing to do yet */
    default:
        break;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (up->too_large || up->len + n > HTTP_MAX_BODY) {
            up->too_large = true;
            return MHD_YES;
        }
        char *b = realloc(up->buf, up->len + n + 1);
        if (!b) {
            up->too_large = true;
            return MHD_YES;
        }
        memcpy(b + up->len, upload_data, n);
        up->buf = b;
        up->len += n;
        up->buf[up->len] = 0;
        return MHD_YES;
    }
    if (up->too_large) {
        return simple(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    }
    bool path_known;
    const route_t *r = find_route(http, method, url, &path_known);
    if (!r) {
        return path_known ? simple(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                                   "method not allowed")
                          : simple(c, MHD_HTTP_NOT_FOUND, "not found");
    }
    samsa_http_request_t req = {.method = method,
                                .path = url,
                                .body = up->buf ? up->buf : "",
                                .body_len = up->len,
                                .conn = c,
                                .state = up};
    samsa_http_response_t resp = {.status = 200};
    r->fn(&req, &resp, r->arg);
    if (atomic_load(&up->later) != LATER_NONE) {
        free(resp.body); /* answered later, by samsa_http_answer() */
        return MHD_YES;
    }
    return send_response(c, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    upload_t *up = *con_cls;
    if (up) {
        free(up->buf);
        free(up);
        *con_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = 0;
    samsa_log(SAMSA_LOG_WARN, "http: %s", line);
}

static samsa_err_t start_one(samsa_http_t *http, listener_t *l, char *errbuf,
                             size_t errlen)
{
    samsa_listener_t parsed = {0};
    samsa_err_t err = samsa_listener_parse(l->addr, &parsed);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen,
                 "http listener '%s' is not HOST:PORT (e.g. 127.0.0.1:8083)",
                 l->addr);
        return err == SAMSA_ERR_NOMEM ? err : SAMSA_ERR_CONFIG;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", parsed.port);
    int gai =
        getaddrinfo(parsed.host[0] ? parsed.host : NULL, port, &hints, &ai);
    free(parsed.host);
    if (gai != 0 || !ai) {
        snprintf(errbuf, errlen, "http listener %s: %s", l->addr,
                 gai_strerror(gai));
        return SAMSA_ERR_CONFIG;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    l->daemon = MHD_start_daemon(
        flags, parsed.port, NULL, NULL, on_request, http,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!l->daemon) {
        snprintf(errbuf, errlen,
                 "cannot listen for HTTP on %s (address in use or not "
                 "local?)",
                 l->addr);
        return SAMSA_ERR_IO;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : parsed.port;
    return SAMSA_OK;
}

samsa_err_t samsa_http_start(samsa_http_t *http, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < http->listener_count; i++) {
        samsa_err_t err = start_one(http, &http->listeners[i], errbuf, errlen);
        if (err != SAMSA_OK) {
            for (size_t j = 0; j < i; j++) {
                MHD_stop_daemon(http->listeners[j].daemon);
                http->listeners[j].daemon = NULL;
            }
            return err;
        }
    }
    return SAMSA_OK;
}

uint16_t samsa_http_port(const samsa_http_t *http, size_t i)
{
    return i < http->listener_count ? http->listeners[i].port : 0;
}

size_t samsa_http_listener_count(const samsa_http_t *http)
{
    return http ? http->listener_count : 0;
}

void samsa_http_destroy(samsa_http_t *http)
{
    if (!http) {
        return;
    }
    for (size_t i = 0; i < http->listener_count; i++) {
        if (http->listeners[i].daemon) {
            MHD_stop_daemon(http->listeners[i].daemon);
        }
        free(http->listeners[i].addr);
    }
    for (size_t i = 0; i < http->route_count; i++) {
        free(http->routes[i].method);
        free(http->routes[i].path);
    }
    free(http->listeners);
    free(http->routes);
    free(http);
}
