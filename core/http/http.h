/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/http/http.h - the broker's HTTP listener (libmicrohttpd) and a small
 * router: /metrics, /health, the web console and, later, Connect's REST API
 * register routes here.
 *
 * Threads: libmicrohttpd runs its own threads (a small pool per listener),
 * never a reactor's. Route handlers run on those threads, concurrently, so
 * they may only read shared broker state through thread-safe calls. Routes
 * are added before samsa_http_start() and never change afterwards, so the
 * table needs no lock.
 *
 * Ownership: the server owns its route table; a handler fills the response
 * it is given (body grown with samsa_http_printf/append, owned by the
 * server, freed after it was sent).
 */
#ifndef SAMSA_HTTP_H
#define SAMSA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct samsa_http samsa_http_t;

/** What a handler sees of a request; valid for the call only. */
typedef struct samsa_http_request {
    const char *method; /**< "GET", "POST", ... */
    const char *path;   /**< URL path without the query string */
    const char *body;   /**< request body (NUL-terminated), "" if none */
    size_t body_len;
    void *conn;  /**< libmicrohttpd connection, for samsa_http_query() */
    void *state; /**< the server's, for samsa_http_later() */
} samsa_http_request_t;

/** The answer a handler builds. status defaults to 200, content_type to
 *  "text/plain; charset=utf-8". */
typedef struct samsa_http_response {
    int status;
    const char *content_type; /**< static string */
    char *body;               /**< malloc'd by the append calls */
    size_t len, cap;
    bool nomem; /**< an append ran out of memory: answered with 500 */
} samsa_http_response_t;

typedef void (*samsa_http_handler_fn)(const samsa_http_request_t *req,
                                      samsa_http_response_t *resp, void *arg);

/** Create a server for @p count addresses "HOST:PORT" (port 0 = any free
 *  port). Nothing is bound until samsa_http_start(). */
samsa_err_t samsa_http_create(const char *const *addrs, size_t count,
                              samsa_http_t **out);

/** Route @p method (NULL = any) and @p path to @p fn. A path ending in '/'
 *  matches every path below it ("/" alone matches only "/"); otherwise the
 *  match is exact. The first
 *  matching route in registration order wins. Before start only. */
samsa_err_t samsa_http_route(samsa_http_t *http, const char *method,
                             const char *path, samsa_http_handler_fn fn,
                             void *arg);

/** Bind every address and start serving. On failure errbuf names the
 *  address and the reason, and nothing is left listening. */
samsa_err_t samsa_http_start(samsa_http_t *http, char *errbuf, size_t errlen);

/** The bound port of listener @p i (after start; useful with port 0). */
uint16_t samsa_http_port(const samsa_http_t *http, size_t i);
size_t samsa_http_listener_count(const samsa_http_t *http);

/** Stop serving (waits for running handlers) and free. NULL is fine. */
void samsa_http_destroy(samsa_http_t *http);

/** A query-string argument of the request, or NULL. */
const char *samsa_http_query(const samsa_http_request_t *req, const char *name);
/** True when one of the query's (possibly repeated) @p name parameters
 *  equals @p value: ?expand=status&expand=info. */
bool samsa_http_query_has(const samsa_http_request_t *req, const char *name,
                          const char *value);

/** Call @p fn for each query-string argument (name, value; value NULL
 *  for "?flag"), in the order given. */
void samsa_http_query_each(const samsa_http_request_t *req,
                           void (*fn)(void *arg, const char *name,
                                      const char *value),
                           void *arg);

/**
 * An answer given later, from another thread: a handler whose answer
 * waits on slow work (Connect forwarding a write to its leader over
 * HTTP) calls samsa_http_later() and returns at once; the response it
 * was handed is then ignored. The connection is suspended (it holds
 * none of the listener's few threads) until samsa_http_answer() is
 * called, exactly once, from any thread. Every pending answer must be
 * given before samsa_http_destroy().
 */
typedef struct samsa_http_later samsa_http_later_t;
/** From the handler only. NULL when out of memory (answer as usual). */
samsa_http_later_t *samsa_http_later(const samsa_http_request_t *req);
/** Send @p resp (its body is taken over) on the suspended connection. */
void samsa_http_answer(samsa_http_later_t *later, samsa_http_response_t *resp);

/** Append to the response body. */
void samsa_http_append(samsa_http_response_t *resp, const void *data,
                       size_t len);
void samsa_http_printf(samsa_http_response_t *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* SAMSA_HTTP_H */
