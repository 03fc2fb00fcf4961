/* SPDX-License-Identifier: Apache-2.0 */
/* tools/cli/http_json.c - see http_json.h. */
#include "http_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

typedef struct body {
    char *p;
    size_t len;
} body_t;

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
    body_t *b = arg;
    size_t add = size * n;
    char *p = realloc(b->p, b->len + add + 1);
    if (!p) {
        return 0;
    }
    memcpy(p + b->len, ptr, add);
    b->p = p;
    b->len += add;
    b->p[b->len] = 0;
    return add;
}

json_t *samsa_cli_http_json(const char *who, const char *method,
                            const char *url, const json_t *body, long *status)
{
    *status = 0;
    CURL *curl = curl_easy_init();
    if (!curl) {
        fprintf(stderr, "%s: cannot start libcurl\n", who);
        return NULL;
    }
    body_t resp = {0};
    json_t *doc = NULL;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct curl_slist *hdrs =
        curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    if (text) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        fprintf(stderr, "%s: %s: %s\n", who, url, curl_easy_strerror(rc));
    } else if (resp.len > 0) {
        json_error_t err;
        doc = json_loadb(resp.p, resp.len, JSON_DECODE_ANY, &err);
        if (!doc) {
            fprintf(stderr, "%s: %s: not JSON (%s)\n", who, url, err.text);
        } else {
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
        }
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    }
    free(text);
    free(resp.p);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(curl);
    return doc;
}

void samsa_cli_http_base(const char *http, const char *bootstrap, char *out,
                         size_t len)
{
    if (!http) {
        http = getenv("SAMSA_HTTP");
    }
    if (http) {
        snprintf(out, len, "%s%s", strncmp(http, "http", 4) ? "http://" : "",
                 http);
        return;
    }
    if (!bootstrap) {
        bootstrap = getenv("SAMSA_BOOTSTRAP");
    }
    char host[256] = "127.0.0.1";
    if (bootstrap) {
        size_t n = strcspn(bootstrap, ",");
        snprintf(host, sizeof(host), "%.*s", (int)n, bootstrap);
        char *colon = strrchr(host, ':');
        if (colon && host[0] != '[') {
            *colon = 0;
        } else if (host[0] == '[' && strchr(host, ']')) {
            strchr(host, ']')[1] = 0;
        }
    }
    snprintf(out, len, "http://%s:8083", host);
}
