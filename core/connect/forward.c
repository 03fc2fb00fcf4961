/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/forward.c - see forward.h: REST writes sent to the leader
 * worker with libcurl. */
#include "connect/forward.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "connect/worker_int.h"
#include "util/log.h"

/* Kafka Connect's REST request timeout (rest's 90 s): the leader's
 * answer to a write may wait for connect-configs' acks=all. */
#define FORWARD_TIMEOUT_MS         90000L
#define FORWARD_CONNECT_TIMEOUT_MS 5000L

#define REBALANCE_MSG                                                          \
    "Cannot complete request because of a conflicting operation (e.g. "        \
    "worker rebalance)"

/* One request on its way to the leader. */
typedef struct forward {
    samsa_connect_t *w;
    samsa_http_later_t *later;
    char *method;
    char *url;
    char *body;
    size_t body_len;
} forward_t;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void samsa_connect_forward_init(void)
{
    pthread_once(&curl_once, curl_setup);
}

/* ------------------------------------------------------------ the URL */

typedef struct url_build {
    CURL *esc;
    samsa_http_response_t text; /* the URL, grown with samsa_http_* */
    char sep;
} url_build_t;

static void add_arg(void *arg, const char *name, const char *value)
{
    url_build_t *u = arg;
    if (strcmp(name, "forward") == 0) {
        return; /* ours, set below */
    }
    char *n = curl_easy_escape(u->esc, name, 0);
    char *v = value ? curl_easy_escape(u->esc, value, 0) : NULL;
    if (n == NULL || (value != NULL && v == NULL)) {
        u->text.nomem = true;
    } else {
        samsa_http_printf(&u->text, "%c%s%s%s", u->sep, n, v ? "=" : "",
                          v ? v : "");
        u->sep = '&';
    }
    curl_free(n);
    curl_free(v);
}

/* @p leader (http://HOST:PORT/) + the request's path and query, with
 * forward=@p again. malloc'd, NULL when out of memory. */
static char *leader_url(const char *leader, const samsa_http_request_t *req,
                        bool again)
{
    url_build_t u = {.esc = curl_easy_init(), .sep = '?'};
    size_t n = strlen(leader);
    samsa_http_printf(&u.text, "%.*s%s",
                      (int)(n && leader[n - 1] == '/' ? n - 1 : n), leader,
                      req->path);
    if (u.esc == NULL) {
        u.text.nomem = true;
    } else {
        samsa_http_query_each(req, add_arg, &u);
    }
    samsa_http_printf(&u.text, "%cforward=%s", u.sep, again ? "true" : "false");
    curl_easy_cleanup(u.esc);
    if (u.text.nomem) {
        free(u.text.body);
        return NULL;
    }
    return u.text.body;
}

/* ------------------------------------------------------------ the call */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    samsa_http_response_t *resp = arg;
    samsa_http_append(resp, data, size * n);
    return resp->nomem ? 0 : size * n;
}

/* Ends a call in flight when the worker stops. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    samsa_connect_t *w = arg;
    return atomic_load(&w->stopping) ? 1 : 0;
}

/* The leader's answer to @p f in @p resp, or Kafka's error for it. */
static void call_leader(forward_t *f, samsa_http_response_t *resp)
{
    char why[CURL_ERROR_SIZE] = "";
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    struct curl_slist *more =
        hdrs ? curl_slist_append(hdrs, "Accept: application/json") : NULL;
    if (h == NULL || more == NULL) {
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        samsa_connect_reply_error(resp, 500,
                                  "out of memory forwarding the request");
        return;
    }
    hdrs = more;
    curl_easy_setopt(h, CURLOPT_URL, f->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, f->method);
    if (strcmp(f->method, "POST") == 0 || strcmp(f->method, "PUT") == 0 ||
        strcmp(f->method, "PATCH") == 0 || f->body_len > 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, f->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)f->body_len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, FORWARD_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, FORWARD_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, why);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, f->w);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    char *type = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
    bool json = type != NULL && strncmp(type, "application/json", 16) == 0;
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    if (rc == CURLE_OK && status >= 200 && status < 600) {
        resp->status = (int)status;
        resp->content_type = json ? "application/json" : NULL;
        return;
    }
    free(resp->body);
    *resp = (samsa_http_response_t){0};
    if (atomic_load(&f->w->stopping)) {
        samsa_connect_reply_error(
            resp, 503, "The Connect worker is starting or stopping; retry");
        return;
    }
    char msg[CURL_ERROR_SIZE + 200];
    snprintf(msg, sizeof(msg), "IO Error trying to forward REST request: %s",
             why[0] ? why : curl_easy_strerror(rc));
    samsa_log(SAMSA_LOG_WARN, "connect: %s %s: %s", f->method, f->url, msg);
    samsa_connect_reply_error(resp, 500, msg);
}

static void forward_free(forward_t *f)
{
    free(f->method);
    free(f->url);
    free(f->body);
    free(f);
}

/* One forwarded request answered: what samsa_connect_forward_drain
 * waits for. */
static void forward_done(samsa_connect_t *w)
{
    pthread_mutex_lock(&w->lock);
    if (--w->forwards == 0) {
        pthread_cond_broadcast(&w->forwards_done);
    }
    pthread_mutex_unlock(&w->lock);
}

/* Send @p resp on @p f's suspended connection and let @p f go. */
static void forward_answer(forward_t *f, samsa_http_response_t *resp)
{
    samsa_connect_t *w = f->w;
    samsa_http_answer(f->later, resp);
    forward_free(f);
    forward_done(w);
}

static void *forward_main(void *arg)
{
    forward_t *f = arg;
    samsa_http_response_t resp = {.status = 200};
    call_leader(f, &resp);
    forward_answer(f, &resp);
    return NULL;
}

/* ------------------------------------------------------------ entry */

static forward_t *forward_new(samsa_connect_t *w,
                              const samsa_http_request_t *req, const char *url,
                              bool again)
{
    forward_t *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return NULL;
    }
    f->w = w;
    f->method = strdup(req->method);
    f->url = leader_url(url, req, again);
    f->body = malloc(req->body_len + 1);
    if (f->method == NULL || f->url == NULL || f->body == NULL) {
        forward_free(f);
        return NULL;
    }
    memcpy(f->body, req->body, req->body_len);
    f->body[req->body_len] = '\0';
    f->body_len = req->body_len;
    return f;
}

bool samsa_connect_forward(samsa_connect_t *w, const samsa_http_request_t *req,
                           samsa_http_response_t *resp)
{
    char url[400] = "";
    samsa_connect_leader_t who =
        samsa_connect_cluster_leader(w, url, sizeof(url));
    if (who == SAMSA_CONNECT_LEADER_SELF) {
        return false;
    }
    const char *hop = samsa_http_query(req, "forward");
    if (who == SAMSA_CONNECT_LEADER_UNKNOWN ||
        (hop != NULL && strcmp(hop, "false") == 0)) {
        /* No leader yet, or the leader that sent this is no longer
         * one: the group is between two generations. */
        samsa_connect_reply_error(resp, 409, REBALANCE_MSG);
        return true;
    }
    forward_t *f = forward_new(w, req, url, hop == NULL);
    if (f == NULL) {
        samsa_connect_reply_error(resp, 500,
                                  "out of memory forwarding the request");
        return true;
    }
    pthread_mutex_lock(&w->lock);
    bool stopping = atomic_load(&w->stopping);
    if (!stopping) {
        w->forwards++;
    }
    pthread_mutex_unlock(&w->lock);
    if (stopping) {
        forward_free(f);
        samsa_connect_reply_error(
            resp, 503, "The Connect worker is starting or stopping; retry");
        return true;
    }
    f->later = samsa_http_later(req);
    if (f->later == NULL) {
        forward_free(f);
        forward_done(w);
        samsa_connect_reply_error(resp, 500, "cannot suspend the request");
        return true;
    }
    pthread_attr_t attr;
    pthread_t thread;
    bool started = pthread_attr_init(&attr) == 0;
    if (started) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&thread, &attr, forward_main, f) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) {
        samsa_http_response_t err = {0};
        samsa_connect_reply_error(&err, 500,
                                  "cannot start forwarding the request");
        forward_answer(f, &err);
    }
    return true;
}

int samsa_connect_forward_call(samsa_connect_t *w, const char *method,
                               const char *leader, const char *connector,
                               const char *sub, char *errbuf, size_t errlen)
{
    forward_t f = {.w = w, .method = (char *)method, .body = ""};
    url_build_t u = {.esc = curl_easy_init()};
    char *esc = u.esc ? curl_easy_escape(u.esc, connector, 0) : NULL;
    size_t n = strlen(leader);
    if (esc != NULL) {
        samsa_http_printf(&u.text, "%.*s/connectors/%s/%s",
                          (int)(n && leader[n - 1] == '/' ? n - 1 : n), leader,
                          esc, sub);
    }
    curl_free(esc);
    curl_easy_cleanup(u.esc);
    if (esc == NULL || u.text.nomem) {
        free(u.text.body);
        snprintf(errbuf, errlen, "out of memory calling the leader");
        return 0;
    }
    f.url = u.text.body;
    samsa_http_response_t resp = {.status = 200};
    call_leader(&f, &resp);
    json_t *body = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(body, "message"));
    snprintf(errbuf, errlen, "%s %s: HTTP %d%s%s", method, f.url, resp.status,
             msg ? ": " : "", msg ? msg : "");
    json_decref(body);
    free(resp.body);
    free(f.url);
    return resp.status;
}

void samsa_connect_forward_drain(samsa_connect_t *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->forwards > 0) {
        pthread_cond_wait(&w->forwards_done, &w->lock);
    }
    pthread_mutex_unlock(&w->lock);
}
