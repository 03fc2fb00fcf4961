/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink-http: records to an HTTP endpoint with libcurl. put() sends the
 * records in batches (batch.max.size values joined by batch.separator
 * between batch.prefix and batch.suffix: a JSON array by default) and
 * returns once every batch was answered 2xx, so flush() has nothing left
 * to do. A batch answered 408, 429 or 5xx, or not answered, is sent again
 * after retry.backoff.ms, doubling up to retry.backoff.max.ms, at most
 * max.retries times; then put() fails (the task fails, and the worker
 * restarts it from the last commit). A batch answered with another 4xx
 * is sent again record by record, and each record the server still
 * refuses is reported to the worker (samsa_connect_task_info_t.report):
 * to the dead-letter topic with errors.tolerance=all, a task failure
 * otherwise.
 *
 * Threads: a task is used by one worker thread; tasks share nothing but
 * curl_global_init, done once in init().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <samsa/connect.h>

#include "connect_setting.h"

typedef struct http_sink {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
} http_sink_t;

struct samsa_connect_task {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    CURL *curl;
    struct curl_slist *headers;
    char *url, *method, *prefix, *suffix, *separator;
    long batch, retries, backoff_ms, backoff_max_ms, timeout_ms;
    samsa_err_t (*report)(void *, const samsa_connect_record_t *, const char *);
    void *report_ctx;
    char *body; /* the request being built */
    size_t len, cap;
    char answer[256]; /* the start of the last response body */
    size_t answer_len;
};

static samsa_err_t hs_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        snprintf(errbuf, errbuf_size, "sink-http: curl_global_init failed");
        return SAMSA_ERR_IO;
    }
    http_sink_t *hs = calloc(1, sizeof(*hs));
    if (hs == NULL) {
        snprintf(errbuf, errbuf_size, "sink-http: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    hs->svc = svc;
    hs->inst = inst;
    *state = hs;
    return SAMSA_OK;
}

static void hs_fini(void *state)
{
    free(state);
    curl_global_cleanup();
}

/* A numeric setting within [lo, hi]; false (with errbuf) if it is not. */
static bool number(const samsa_connect_task_info_t *info, const char *key,
                   const char *def, long lo, long hi, long *out, char *errbuf,
                   size_t errlen)
{
    const char *v = samsa_connect_setting(info, key, def);
    char *end = NULL;
    *out = strtol(v, &end, 10);
    if (end == v || *end != '\0' || *out < lo || *out > hi) {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration %s: a number from %ld "
                 "to %ld",
                 v, key, lo, hi);
        return false;
    }
    return true;
}

static void task_free(samsa_connect_task_t *t)
{
    if (t->curl != NULL) {
        curl_easy_cleanup(t->curl);
    }
    curl_slist_free_all(t->headers);
    free(t->url);
    free(t->method);
    free(t->prefix);
    free(t->suffix);
    free(t->separator);
    free(t->body);
    free(t);
}

/* headers: "Name: value|Name2: value2" (header.separator, default |). */
static bool add_headers(samsa_connect_task_t *t, const char *list,
                        const char *sep)
{
    char *copy = strdup(list);
    bool json = strstr(list, "Content-Type") || strstr(list, "content-type");
    bool ok = copy != NULL;
    char *save = NULL;
    for (char *h = copy ? strtok_r(copy, sep, &save) : NULL; ok && h;
         h = strtok_r(NULL, sep, &save)) {
        struct curl_slist *n = curl_slist_append(t->headers, h);
        ok = n != NULL;
        t->headers = n ? n : t->headers;
    }
    free(copy);
    if (ok && !json) {
        struct curl_slist *n =
            curl_slist_append(t->headers, "Content-Type: application/json");
        ok = n != NULL;
        t->headers = n ? n : t->headers;
    }
    return ok;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    samsa_connect_task_t *t = arg;
    size_t len = size * n;
    size_t room = sizeof(t->answer) - 1 - t->answer_len;
    size_t take = len < room ? len : room;
    memcpy(t->answer + t->answer_len, data, take);
    t->answer_len += take;
    t->answer[t->answer_len] = '\0';
    return len;
}

static samsa_err_t hs_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **out, char *errbuf,
                                 size_t errlen)
{
    http_sink_t *hs = state;
    const char *url = samsa_connect_setting(info, "http.api.url", NULL);
    if (url == NULL || url[0] == '\0') {
        snprintf(errbuf, errlen, "HttpSink needs http.api.url");
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_task_t *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    t->svc = hs->svc;
    t->inst = hs->inst;
    bool ok = number(info, "batch.max.size", "100", 1, 100000, &t->batch,
                     errbuf, errlen) &&
              number(info, "max.retries", "10", 0, 1000000, &t->retries, errbuf,
                     errlen) &&
              number(info, "retry.backoff.ms", "300", 0, 3600000,
                     &t->backoff_ms, errbuf, errlen) &&
              number(info, "retry.backoff.max.ms", "10000", 0, 3600000,
                     &t->backoff_max_ms, errbuf, errlen) &&
              number(info, "request.timeout.ms", "30000", 1, 3600000,
                     &t->timeout_ms, errbuf, errlen);
    const char *method = samsa_connect_setting(info, "request.method", "POST");
    if (ok && strcmp(method, "POST") != 0 && strcmp(method, "PUT") != 0) {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration request.method: POST "
                 "or PUT",
                 method);
        ok = false;
    }
    if (ok) {
        t->url = strdup(url);
        t->method = strdup(method);
        t->prefix = strdup(samsa_connect_setting(info, "batch.prefix", "["));
        t->suffix = strdup(samsa_connect_setting(info, "batch.suffix", "]"));
        t->separator =
            strdup(samsa_connect_setting(info, "batch.separator", ","));
        t->curl = curl_easy_init();
        ok = t->url && t->method && t->prefix && t->suffix && t->separator &&
             t->curl &&
             add_headers(t, samsa_connect_setting(info, "headers", ""),
                         samsa_connect_setting(info, "header.separator", "|"));
        if (!ok) {
            snprintf(errbuf, errlen, "HttpSink: out of memory");
        }
    }
    if (!ok) {
        task_free(t);
        return SAMSA_ERR_CONFIG;
    }
    if (SAMSA_ABI_HAS(samsa_connect_task_info_t, info, report_ctx)) {
        t->report = info->report;
        t->report_ctx = info->report_ctx;
    }
    curl_easy_setopt(t->curl, CURLOPT_URL, t->url);
    curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, t->method);
    curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, t->timeout_ms);
    curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
    *out = t;
    return SAMSA_OK;
}

static bool append(samsa_connect_task_t *t, const void *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *b = realloc(t->body, cap);
        if (b == NULL) {
            return false;
        }
        t->body = b;
        t->cap = cap;
    }
    memcpy(t->body + t->len, p, n);
    t->len += n;
    t->body[t->len] = '\0';
    return true;
}

/* The body for records [from, to). */
static bool build(samsa_connect_task_t *t,
                  const samsa_connect_record_t *const *recs, size_t from,
                  size_t to)
{
    t->len = 0;
    bool ok = append(t, t->prefix, strlen(t->prefix));
    for (size_t i = from; ok && i < to; i++) {
        if (i > from) {
            ok = append(t, t->separator, strlen(t->separator));
        }
        const void *v = recs[i]->value ? recs[i]->value : "null";
        size_t len = recs[i]->value ? (size_t)recs[i]->value_len : 4;
        ok = ok && append(t, v, len);
    }
    return ok && append(t, t->suffix, strlen(t->suffix));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One request with retries. *status: the final HTTP status (0: none). */
static samsa_err_t send_body(samsa_connect_task_t *t, long *status)
{
    long backoff = t->backoff_ms;
    for (long attempt = 0;; attempt++) {
        t->answer_len = 0;
        t->answer[0] = '\0';
        curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, t->body);
        curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)t->len);
        CURLcode rc = curl_easy_perform(t->curl);
        *status = 0;
        if (rc == CURLE_OK) {
            curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, status);
        }
        if (*status >= 200 && *status < 300) {
            return SAMSA_OK;
        }
        bool retriable = rc != CURLE_OK || *status == 408 || *status == 429 ||
                         *status >= 500;
        if (!retriable) {
            return SAMSA_ERR_INVAL; /* refused: the records' fault */
        }
        if (attempt >= t->retries) {
            t->svc->log(t->inst, SAMSA_LOG_WARN,
                        "%s: gave up after %ld retries: %s", t->url, t->retries,
                        rc != CURLE_OK ? curl_easy_strerror(rc)
                                       : "server error");
            return SAMSA_ERR_IO;
        }
        sleep_ms(backoff);
        backoff =
            backoff * 2 < t->backoff_max_ms ? backoff * 2 : t->backoff_max_ms;
    }
}

/* Records [from, to) refused as a batch: one by one, reporting each the
 * server still refuses. */
static samsa_err_t send_singly(samsa_connect_task_t *t,
                               const samsa_connect_record_t *const *recs,
                               size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        long status = 0;
        if (!build(t, recs, i, i + 1)) {
            return SAMSA_ERR_NOMEM;
        }
        samsa_err_t err = send_body(t, &status);
        if (err == SAMSA_ERR_INVAL) {
            char reason[400];
            snprintf(reason, sizeof(reason), "HTTP %ld from %s: %s", status,
                     t->url, t->answer);
            err = t->report ? t->report(t->report_ctx, recs[i], reason)
                            : SAMSA_ERR_INVAL;
        }
        if (err != SAMSA_OK) {
            return err;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t hs_put(samsa_connect_task_t *t,
                          const samsa_connect_record_t *const *recs,
                          size_t count)
{
    for (size_t from = 0; from < count; from += (size_t)t->batch) {
        size_t to =
            from + (size_t)t->batch < count ? from + (size_t)t->batch : count;
        long status = 0;
        if (!build(t, recs, from, to)) {
            return SAMSA_ERR_NOMEM;
        }
        samsa_err_t err = send_body(t, &status);
        if (err == SAMSA_ERR_INVAL) {
            err = send_singly(t, recs, from, to);
        }
        if (err != SAMSA_OK) {
            return err;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t hs_flush(samsa_connect_task_t *t)
{
    (void)t; /* put() returns only once everything was answered 2xx */
    return SAMSA_OK;
}

static void hs_task_stop(samsa_connect_task_t *t)
{
    task_free(t);
}

static const samsa_option_t hs_options[] = {
    SAMSA_OPTION_LIST("connector_classes",
                      "[HttpSink, io.confluent.connect.http.HttpSinkConnector]",
                      "connector.class values this plugin answers to."),
    SAMSA_OPTION_END,
};

static const samsa_sink_ops_t hs_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_sink_ops_t),
    .task_start = hs_task_start,
    .put = hs_put,
    .flush = hs_flush,
    .task_stop = hs_task_stop,
};

static const samsa_plugin_t hs_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SINK,
    .name = "sink-http",
    .version = "0.1.0",
    .summary = "records to an HTTP endpoint (libcurl): batches, retries, DLQ",
    .options = hs_options,
    .init = hs_init,
    .fini = hs_fini,
    .ops = &hs_ops,
};

SAMSA_PLUGIN_DECLARE(hs_desc)
