/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/assignor.c - see assignor.h. */
#include "connect/assignor.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/buf.h"
#include "util/iobuf.h"

#define CONNECT_PROTOCOL_V0 0

/* ------------------------------------------------------------ encoding */

static void put_str(samsa_wbuf_t *w, const char *s)
{
    samsa_wbuf_str(w, false, samsa_str_from_cstr(s ? s : ""));
}

/* Every ConnectProtocol message opens with its int16 version. */
static void begin(samsa_iobuf_t *io, samsa_wbuf_t *w)
{
    samsa_iobuf_init(io);
    samsa_wbuf_init(w, io);
    samsa_wbuf_i16(w, CONNECT_PROTOCOL_V0);
}

static samsa_err_t finish(samsa_iobuf_t *io, samsa_wbuf_t *w, uint8_t **out,
                          size_t *len)
{
    samsa_err_t err = samsa_wbuf_flush(w);
    if (err == SAMSA_OK) {
        err = samsa_iobuf_flatten(io, out, len);
    }
    samsa_iobuf_clear(io);
    return err;
}

samsa_err_t samsa_connect_state_encode(const char *url, int64_t config_offset,
                                       uint8_t **out, size_t *len)
{
    samsa_iobuf_t io;
    samsa_wbuf_t w;
    begin(&io, &w);
    put_str(&w, url);
    samsa_wbuf_i64(&w, config_offset);
    return finish(&io, &w, out, len);
}

samsa_err_t samsa_connect_assignment_encode(const samsa_connect_assignment_t *a,
                                            uint8_t **out, size_t *len)
{
    samsa_iobuf_t io;
    samsa_wbuf_t w;
    begin(&io, &w);
    samsa_wbuf_i16(&w, a->error);
    put_str(&w, a->leader);
    put_str(&w, a->leader_url);
    samsa_wbuf_i64(&w, a->config_offset);
    samsa_wbuf_i32(&w, a->nshares);
    for (int32_t i = 0; i < a->nshares; i++) {
        put_str(&w, a->shares[i].connector);
        samsa_wbuf_i32(&w, a->shares[i].ntasks);
        for (int32_t k = 0; k < a->shares[i].ntasks; k++) {
            samsa_wbuf_i32(&w, a->shares[i].tasks[k]);
        }
    }
    return finish(&io, &w, out, len);
}

/* ------------------------------------------------------------ decoding */

/* A STRING as a malloc'd C string. */
static samsa_err_t get_str(samsa_rbuf_t *rb, char **out)
{
    samsa_str_t s;
    samsa_err_t err = samsa_rbuf_read_str(rb, false, &s);
    if (err != SAMSA_OK) {
        return err;
    }
    *out = malloc(s.len + 1);
    if (*out == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(*out, s.ptr, s.len);
    (*out)[s.len] = '\0';
    return SAMSA_OK;
}

/* Newer versions (1: incremental cooperative, 2: sessioned) only append
 * fields, so v0's fields are read from any version. */
static samsa_err_t get_version(samsa_rbuf_t *rb)
{
    int16_t v = -1;
    samsa_err_t err = samsa_rbuf_read_i16(rb, &v);
    return err == SAMSA_OK && v < 0 ? SAMSA_ERR_PROTOCOL : err;
}

samsa_err_t samsa_connect_state_decode(const uint8_t *p, size_t len, char **url,
                                       int64_t *config_offset)
{
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, p, len);
    *url = NULL;
    samsa_err_t err = get_version(&rb);
    if (err == SAMSA_OK) {
        err = get_str(&rb, url);
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i64(&rb, config_offset);
    }
    if (err != SAMSA_OK) {
        free(*url);
        *url = NULL;
        return err == SAMSA_ERR_NOMEM ? err : SAMSA_ERR_PROTOCOL;
    }
    return SAMSA_OK;
}

static samsa_err_t get_share(samsa_rbuf_t *rb, samsa_connect_share_t *s)
{
    samsa_err_t err = get_str(rb, &s->connector);
    int32_t n = 0;
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_array_len(rb, false, false, 4, &n);
    }
    if (err == SAMSA_OK) {
        s->tasks = calloc((size_t)n + 1, sizeof(*s->tasks));
        err = s->tasks ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int32_t k = 0; err == SAMSA_OK && k < n; k++) {
        err = samsa_rbuf_read_i32(rb, &s->tasks[k]);
        s->ntasks++;
    }
    return err;
}

samsa_err_t samsa_connect_assignment_decode(const uint8_t *p, size_t len,
                                            samsa_connect_assignment_t *a)
{
    samsa_rbuf_t rb;
    memset(a, 0, sizeof(*a));
    a->config_offset = -1;
    if (len == 0) {
        return SAMSA_OK;
    }
    samsa_rbuf_init(&rb, p, len);
    int32_t n = 0;
    samsa_err_t err = get_version(&rb);
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i16(&rb, &a->error);
    }
    if (err == SAMSA_OK) {
        err = get_str(&rb, &a->leader);
    }
    if (err == SAMSA_OK) {
        err = get_str(&rb, &a->leader_url);
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i64(&rb, &a->config_offset);
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_array_len(&rb, false, false, 6, &n);
    }
    if (err == SAMSA_OK) {
        a->shares = calloc((size_t)n + 1, sizeof(*a->shares));
        err = a->shares ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; err == SAMSA_OK && i < n; i++) {
        a->nshares++;
        err = get_share(&rb, &a->shares[i]);
    }
    if (err != SAMSA_OK) {
        samsa_connect_assignment_free(a);
        return err == SAMSA_ERR_NOMEM ? err : SAMSA_ERR_PROTOCOL;
    }
    return SAMSA_OK;
}

void samsa_connect_assignment_free(samsa_connect_assignment_t *a)
{
    for (int32_t i = 0; a->shares != NULL && i < a->nshares; i++) {
        free(a->shares[i].connector);
        free(a->shares[i].tasks);
    }
    free(a->shares);
    free(a->leader);
    free(a->leader_url);
    memset(a, 0, sizeof(*a));
    a->config_offset = -1;
}

int samsa_connect_assignment_has(const samsa_connect_assignment_t *a,
                                 const char *name, int32_t task)
{
    for (int32_t i = 0; i < a->nshares; i++) {
        if (strcmp(a->shares[i].connector, name) != 0) {
            continue;
        }
        for (int32_t k = 0; k < a->shares[i].ntasks; k++) {
            if (a->shares[i].tasks[k] == task) {
                return 1;
            }
        }
    }
    return 0;
}

/* ------------------------------------------------------------ assignor */

/* Indexes 0..n-1 sorted by names[i] (an insertion sort: a group has a
 * handful of members and connectors). */
static int *sorted_order(int n, const char *const *names)
{
    int *order = calloc((size_t)n + 1, sizeof(int));
    if (order == NULL) {
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        int k = i;
        for (; k > 0 && strcmp(names[order[k - 1]], names[i]) > 0; k--) {
            order[k] = order[k - 1];
        }
        order[k] = i;
    }
    return order;
}

/* Add task @p task of @p name to @p a (a new share when the last one is
 * another connector's: the walk hands out one connector at a time). */
static samsa_err_t add_task(samsa_connect_assignment_t *a, const char *name,
                            int32_t task)
{
    samsa_connect_share_t *s =
        a->nshares > 0 ? &a->shares[a->nshares - 1] : NULL;
    if (s == NULL || strcmp(s->connector, name) != 0) {
        samsa_connect_share_t *v =
            realloc(a->shares, sizeof(*v) * (size_t)(a->nshares + 1));
        if (v == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        a->shares = v;
        s = &v[a->nshares];
        memset(s, 0, sizeof(*s));
        if ((s->connector = strdup(name)) == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        a->nshares++;
    }
    int32_t *t = realloc(s->tasks, sizeof(*t) * (size_t)(s->ntasks + 1));
    if (t == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    s->tasks = t;
    t[s->ntasks++] = task;
    return SAMSA_OK;
}

samsa_err_t samsa_connect_assign_eager(int nmembers,
                                       const char *const *member_ids,
                                       int nconnectors,
                                       const char *const *connectors,
                                       const int32_t *ntasks,
                                       samsa_connect_assignment_t *out)
{
    for (int m = 0; m < nmembers; m++) {
        memset(&out[m], 0, sizeof(out[m]));
        out[m].config_offset = -1;
    }
    if (nmembers == 0) {
        return SAMSA_OK;
    }
    int *members = sorted_order(nmembers, member_ids);
    int *conns = sorted_order(nconnectors, connectors);
    samsa_err_t err = members && conns ? SAMSA_OK : SAMSA_ERR_NOMEM;
    int next = 0; /* the circular walk over the sorted members */
    for (int ci = 0; err == SAMSA_OK && ci < nconnectors; ci++) {
        int c = conns[ci];
        for (int32_t t = SAMSA_CONNECT_CONNECTOR_TASK;
             err == SAMSA_OK && t < ntasks[c]; t++) {
            err = add_task(&out[members[next]], connectors[c], t);
            next = (next + 1) % nmembers;
        }
    }
    free(members);
    free(conns);
    if (err != SAMSA_OK) {
        for (int m = 0; m < nmembers; m++) {
            samsa_connect_assignment_free(&out[m]);
        }
    }
    return err;
}
