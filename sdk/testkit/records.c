/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdk/testkit/records.c - the test kit's records: owned copies of what a
 * sink was given or a source produced, and their JSON lines (written for
 * the report, read for a sink's input).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "records_v2.h"
#include "testkit_int.h"

/* One block: the record, its header array, then the bytes. */
static size_t block_size(const samsa_testkit_record_t *r)
{
    size_t n = sizeof(*r) + r->header_count * sizeof(*r->headers) +
               strlen(r->topic ? r->topic : "") + 1 + r->key_len + 1 +
               r->value_len + 1;
    for (size_t i = 0; i < r->header_count; i++) {
        n += strlen(r->headers[i].key) + 1 + r->headers[i].value_len + 1;
    }
    return n;
}

static char *put_bytes(char **at, const void *p, size_t len)
{
    char *start = *at;
    if (len > 0) {
        memcpy(start, p, len);
    }
    start[len] = '\0'; /* text stays printable as a C string too */
    *at += len + 1;
    return start;
}

samsa_err_t kit_records_add(kit_records_t *l, const samsa_testkit_record_t *r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *v = realloc(l->v, cap * sizeof(*l->v));
        if (v == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        l->v = v;
        l->cap = cap;
    }
    samsa_testkit_record_t *c = malloc(block_size(r));
    if (c == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    *c = *r;
    samsa_testkit_header_t *hs = (samsa_testkit_header_t *)(c + 1);
    char *at = (char *)(hs + r->header_count);
    c->headers = r->header_count ? hs : NULL;
    for (size_t i = 0; i < r->header_count; i++) {
        const samsa_testkit_header_t *h = &r->headers[i];
        hs[i].key = put_bytes(&at, h->key, strlen(h->key));
        hs[i].value = h->value ? put_bytes(&at, h->value, h->value_len) : NULL;
        hs[i].value_len = h->value ? h->value_len : 0;
    }
    c->topic = r->topic ? put_bytes(&at, r->topic, strlen(r->topic)) : NULL;
    c->key = r->key ? put_bytes(&at, r->key, r->key_len) : NULL;
    c->key_len = r->key ? r->key_len : 0;
    c->value = r->value ? put_bytes(&at, r->value, r->value_len) : NULL;
    c->value_len = r->value ? r->value_len : 0;
    l->v[l->n++] = c;
    return SAMSA_OK;
}

samsa_err_t kit_records_add_connect(kit_records_t *l,
                                    const samsa_connect_record_t *r)
{
    samsa_testkit_header_t hs[64];
    size_t nh = r->header_count < 64 ? (size_t)r->header_count : 64;
    for (size_t i = 0; i < nh; i++) {
        hs[i] = (samsa_testkit_header_t){.key = r->headers[i].key,
                                         .value = r->headers[i].value,
                                         .value_len =
                                             (size_t)r->headers[i].value_len};
    }
    samsa_testkit_record_t t = {
        .topic = r->topic,
        .partition = r->partition,
        .offset = r->offset,
        .timestamp = r->timestamp,
        .key = r->key,
        .key_len = (size_t)r->key_len,
        .value = r->value,
        .value_len = (size_t)r->value_len,
        .headers = hs,
        .header_count = nh,
    };
    return kit_records_add(l, &t);
}

samsa_err_t kit_records_add_client(kit_records_t *l,
                                   const samsa_client_record_t *r)
{
    samsa_testkit_header_t hs[64];
    size_t nh = 0;
    const uint8_t *p = r->headers, *end = r->headers + r->headers_len;
    char *keys = NULL; /* header keys are not NUL-terminated on the wire */
    samsa_err_t err = SAMSA_OK;
    if (r->header_count > 0) {
        keys = malloc(r->headers_len + (size_t)r->header_count);
        err = keys ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    char *k = keys;
    while (err == SAMSA_OK && nh < 64 && nh < (size_t)r->header_count) {
        samsa_record_header_t h;
        err = samsa_record_header_next(&p, end, &h);
        if (err == SAMSA_OK) {
            memcpy(k, h.key, (size_t)h.key_len);
            k[h.key_len] = '\0';
            hs[nh++] = (samsa_testkit_header_t){
                .key = k,
                .value = h.value_len >= 0 ? h.value : NULL,
                .value_len = h.value_len >= 0 ? (size_t)h.value_len : 0};
            k += h.key_len + 1;
        }
    }
    samsa_testkit_record_t t = {
        .topic = r->topic,
        .partition = r->partition,
        .offset = r->offset,
        .timestamp = r->timestamp,
        .key = r->key,
        .key_len = r->key ? (size_t)r->key_len : 0,
        .value = r->value,
        .value_len = r->value ? (size_t)r->value_len : 0,
        .headers = hs,
        .header_count = nh,
    };
    if (err == SAMSA_OK) {
        err = kit_records_add(l, &t);
    }
    free(keys);
    return err;
}

samsa_err_t kit_records_take(kit_records_t *dst, kit_records_t *src)
{
    if (dst->n + src->n > dst->cap) {
        size_t cap = (dst->n + src->n) * 2 + 1;
        void *v = realloc(dst->v, cap * sizeof(*dst->v));
        if (v == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        dst->v = v;
        dst->cap = cap;
    }
    memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
    dst->n += src->n;
    src->n = 0; /* the blocks are dst's now; src's array stays to free */
    return SAMSA_OK;
}

void kit_records_clear(kit_records_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    *l = (kit_records_t){0};
}

/* ------------------------------------------------------------------ */
/* JSON lines                                                          */
/* ------------------------------------------------------------------ */

/* Bytes as a JSON string when they are UTF-8, else {"base64": ...}. */
static json_t *bytes_json(const void *p, size_t len)
{
    if (p == NULL) {
        return json_null();
    }
    json_t *s = json_stringn(p, len);
    if (s != NULL) {
        return s;
    }
    char *b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (b64 == NULL) {
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)b64, p, (int)len);
    json_t *o = json_pack("{s:s}", "base64", b64);
    free(b64);
    return o;
}

int samsa_testkit_write_json(FILE *out, const samsa_testkit_record_t *r)
{
    json_t *hs = json_array();
    for (size_t i = 0; hs && i < r->header_count; i++) {
        json_array_append_new(
            hs, json_pack(
                    "{s:s,s:o}", "key", r->headers[i].key, "value",
                    bytes_json(r->headers[i].value, r->headers[i].value_len)));
    }
    json_t *o = json_pack("{s:s,s:i,s:I,s:I,s:o,s:o,s:o}", "topic",
                          r->topic ? r->topic : "", "partition",
                          (int)r->partition, "offset", (json_int_t)r->offset,
                          "timestamp", (json_int_t)r->timestamp, "key",
                          bytes_json(r->key, r->key_len), "value",
                          bytes_json(r->value, r->value_len), "headers", hs);
    int rc = -1;
    if (o != NULL &&
        json_dumpf(o, out, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 &&
        fputc('\n', out) != EOF) {
        rc = 0;
    }
    json_decref(o);
    return rc;
}

/* A key, value or header value of an input record: a string, null, or
 * {"base64": ...}. The bytes go to @p buf (allocated, kept by the
 * caller) when decoded. */
static samsa_err_t json_bytes(json_t *v, const void **p, size_t *len,
                              char **buf)
{
    *buf = NULL;
    if (v == NULL || json_is_null(v)) {
        *p = NULL;
        *len = 0;
        return SAMSA_OK;
    }
    if (json_is_string(v)) {
        *p = json_string_value(v);
        *len = json_string_length(v);
        return SAMSA_OK;
    }
    const char *b64 = json_string_value(json_object_get(v, "base64"));
    if (b64 == NULL) {
        return SAMSA_ERR_INVAL;
    }
    size_t n = strlen(b64);
    *buf = malloc(n / 4 * 3 + 3);
    int got = *buf ? EVP_DecodeBlock((unsigned char *)*buf,
                                     (const unsigned char *)b64, (int)n)
                   : -1;
    if (got < 0) {
        return SAMSA_ERR_INVAL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    while (n > 0 && b64[n - 1] == '=' && got > 0) {
        n--;
        got--;
    }
    *p = *buf;
    *len = (size_t)got;
    return SAMSA_OK;
}

/* One input line as a record, added to @p l. */
static samsa_err_t add_json_line(kit_records_t *l, const char *line, char *why,
                                 size_t whylen)
{
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (!json_is_object(o)) {
        snprintf(why, whylen, "%s", o ? "not a JSON object" : jerr.text);
        json_decref(o);
        return SAMSA_ERR_INVAL;
    }
    samsa_testkit_record_t r = {.partition = -1, .timestamp = -1};
    samsa_testkit_header_t hs[64];
    char *bufs[2 + 64] = {0};
    samsa_err_t err = SAMSA_OK;
    json_t *t = json_object_get(o, "topic");
    json_t *part = json_object_get(o, "partition");
    json_t *ts = json_object_get(o, "timestamp");
    r.topic = json_string_value(t);
    r.partition =
        json_is_integer(part) ? (int32_t)json_integer_value(part) : -1;
    r.timestamp = json_is_integer(ts) ? (int64_t)json_integer_value(ts) : -1;
    if ((t && !json_is_string(t)) || (part && !json_is_integer(part)) ||
        (ts && !json_is_integer(ts))) {
        snprintf(why, whylen,
                 "topic is a string, partition and timestamp integers");
        err = SAMSA_ERR_INVAL;
    }
    if (err == SAMSA_OK &&
        (json_bytes(json_object_get(o, "key"), &r.key, &r.key_len, &bufs[0]) ||
         json_bytes(json_object_get(o, "value"), &r.value, &r.value_len,
                    &bufs[1]))) {
        snprintf(why, whylen,
                 "a key or value is a string, null or {\"base64\": ...}");
        err = SAMSA_ERR_INVAL;
    }
    json_t *jh = json_object_get(o, "headers");
    size_t i;
    json_t *h;
    json_array_foreach(jh, i, h)
    {
        const char *hk = json_string_value(json_object_get(h, "key"));
        if (err != SAMSA_OK || i >= 64) {
            break;
        }
        if (hk == NULL ||
            json_bytes(json_object_get(h, "value"), &hs[i].value,
                       &hs[i].value_len, &bufs[2 + i]) != SAMSA_OK) {
            snprintf(why, whylen,
                     "headers is an array of {\"key\": ..., \"value\": ...}");
            err = SAMSA_ERR_INVAL;
            break;
        }
        hs[i].key = hk;
        r.header_count = i + 1;
    }
    r.headers = hs;
    if (err == SAMSA_OK) {
        err = kit_records_add(l, &r);
    }
    for (i = 0; i < 2 + 64; i++) {
        free(bufs[i]);
    }
    json_decref(o);
    return err;
}

samsa_err_t kit_records_read(kit_records_t *l, FILE *in, int lines,
                             char *errbuf, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned no = 0;
    samsa_err_t err = SAMSA_OK;
    while (err == SAMSA_OK && (len = getline(&line, &cap, in)) >= 0) {
        no++;
        if (len > 0 && line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        if (lines) {
            samsa_testkit_record_t r = {.partition = -1,
                                        .timestamp = -1,
                                        .value = line,
                                        .value_len = (size_t)len};
            err = kit_records_add(l, &r);
        } else if (len > 0) {
            char why[200] = "";
            err = add_json_line(l, line, why, sizeof(why));
            if (err != SAMSA_OK && why[0] != '\0') {
                snprintf(errbuf, errlen, "line %u: %s", no, why);
            }
        }
    }
    free(line);
    if (err == SAMSA_ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    return err;
}
