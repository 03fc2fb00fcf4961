/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/assignor.c - see assignor.h. */
#include "connect/assignor.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/buf.h"
#include "util/iobuf.h"

/* ------------------------------------------------------------ encoding */

static void put_str(samsa_wbuf_t *w, const char *s)
{
    samsa_wbuf_str(w, false, samsa_str_from_cstr(s ? s : ""));
}

/* Every ConnectProtocol message opens with its int16 version. */
static void begin(samsa_iobuf_t *io, samsa_wbuf_t *w, int16_t version)
{
    samsa_iobuf_init(io);
    samsa_wbuf_init(w, io);
    samsa_wbuf_i16(w, version);
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

samsa_err_t samsa_connect_state_encode(
    int16_t version, const char *url, int64_t config_offset,
    const samsa_connect_assignment_t *current, uint8_t **out, size_t *len)
{
    uint8_t *alloc = NULL;
    size_t alloc_len = 0;
    if (version >= SAMSA_CONNECT_PROTOCOL_COMPATIBLE && current != NULL &&
        current->nshares > 0) {
        samsa_connect_assignment_t a = *current;
        a.version = version;
        samsa_err_t err =
            samsa_connect_assignment_encode(&a, &alloc, &alloc_len);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    samsa_iobuf_t io;
    samsa_wbuf_t w;
    begin(&io, &w, version);
    put_str(&w, url);
    samsa_wbuf_i64(&w, config_offset);
    if (version >= SAMSA_CONNECT_PROTOCOL_COMPATIBLE) {
        /* Allocation: NULLABLE_BYTES, null when nothing runs here. */
        samsa_wbuf_bytes(
            &w, false, (samsa_bytes_t){alloc, alloc ? (int32_t)alloc_len : -1});
    }
    free(alloc);
    return finish(&io, &w, out, len);
}

static void put_shares(samsa_wbuf_t *w, const samsa_connect_share_t *shares,
                       int32_t n)
{
    samsa_wbuf_i32(w, n);
    for (int32_t i = 0; i < n; i++) {
        put_str(w, shares[i].connector);
        samsa_wbuf_i32(w, shares[i].ntasks);
        for (int32_t k = 0; k < shares[i].ntasks; k++) {
            samsa_wbuf_i32(w, shares[i].tasks[k]);
        }
    }
}

samsa_err_t samsa_connect_assignment_encode(const samsa_connect_assignment_t *a,
                                            uint8_t **out, size_t *len)
{
    samsa_iobuf_t io;
    samsa_wbuf_t w;
    begin(&io, &w, a->version);
    samsa_wbuf_i16(&w, a->error);
    put_str(&w, a->leader);
    put_str(&w, a->leader_url);
    samsa_wbuf_i64(&w, a->config_offset);
    put_shares(&w, a->shares, a->nshares);
    if (a->version >= SAMSA_CONNECT_PROTOCOL_COMPATIBLE) {
        put_shares(&w, a->revoked, a->nrevoked);
        samsa_wbuf_i32(&w, a->delay);
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
static samsa_err_t get_version(samsa_rbuf_t *rb, int16_t *v)
{
    *v = -1;
    samsa_err_t err = samsa_rbuf_read_i16(rb, v);
    return err == SAMSA_OK && *v < 0 ? SAMSA_ERR_PROTOCOL : err;
}

samsa_err_t samsa_connect_state_decode(const uint8_t *p, size_t len, char **url,
                                       int64_t *config_offset,
                                       samsa_connect_assignment_t *current)
{
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, p, len);
    *url = NULL;
    if (current != NULL) {
        memset(current, 0, sizeof(*current));
        current->config_offset = -1;
    }
    int16_t version = 0;
    samsa_bytes_t alloc = {NULL, -1};
    samsa_err_t err = get_version(&rb, &version);
    if (err == SAMSA_OK) {
        err = get_str(&rb, url);
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i64(&rb, config_offset);
    }
    if (err == SAMSA_OK && version >= SAMSA_CONNECT_PROTOCOL_COMPATIBLE) {
        err = samsa_rbuf_read_bytes(&rb, true, &alloc);
    }
    if (err == SAMSA_OK && alloc.len > 0 && current != NULL) {
        err = samsa_connect_assignment_decode(alloc.ptr, (size_t)alloc.len,
                                              current);
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

/* A nullable ARRAY of connector assignments into (*shares, *n). */
static samsa_err_t get_shares(samsa_rbuf_t *rb, samsa_connect_share_t **shares,
                              int32_t *count)
{
    int32_t n = 0;
    samsa_err_t err = samsa_rbuf_read_array_len(rb, false, true, 6, &n);
    if (err == SAMSA_OK) {
        n = n < 0 ? 0 : n;
        *shares = calloc((size_t)n + 1, sizeof(**shares));
        err = *shares ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; err == SAMSA_OK && i < n; i++) {
        (*count)++;
        err = get_share(rb, &(*shares)[i]);
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
    samsa_err_t err = get_version(&rb, &a->version);
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
        err = get_shares(&rb, &a->shares, &a->nshares);
    }
    if (err == SAMSA_OK && a->version >= SAMSA_CONNECT_PROTOCOL_COMPATIBLE) {
        err = get_shares(&rb, &a->revoked, &a->nrevoked);
        if (err == SAMSA_OK) {
            err = samsa_rbuf_read_i32(&rb, &a->delay);
        }
    }
    if (err != SAMSA_OK) {
        samsa_connect_assignment_free(a);
        return err == SAMSA_ERR_NOMEM ? err : SAMSA_ERR_PROTOCOL;
    }
    return SAMSA_OK;
}

static void shares_free(samsa_connect_share_t *shares, int32_t n)
{
    for (int32_t i = 0; shares != NULL && i < n; i++) {
        free(shares[i].connector);
        free(shares[i].tasks);
    }
    free(shares);
}

void samsa_connect_assignment_free(samsa_connect_assignment_t *a)
{
    shares_free(a->shares, a->nshares);
    shares_free(a->revoked, a->nrevoked);
    free(a->leader);
    free(a->leader_url);
    memset(a, 0, sizeof(*a));
    a->config_offset = -1;
}

static int shares_have(const samsa_connect_share_t *shares, int32_t n,
                       const char *name, int32_t task);

int samsa_connect_assignment_has(const samsa_connect_assignment_t *a,
                                 const char *name, int32_t task)
{
    return shares_have(a->shares, a->nshares, name, task);
}

/* ------------------------------------------------------------ assignor */

void samsa_connect_assignments_clear(samsa_connect_assignment_t *out, int n)
{
    for (int m = 0; m < n; m++) {
        memset(&out[m], 0, sizeof(out[m]));
        out[m].config_offset = -1;
    }
}

int *samsa_connect_sorted_order(int n, const char *const *names)
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

samsa_err_t samsa_connect_share_add(samsa_connect_share_t **shares, int32_t *n,
                                    const char *name, int32_t task)
{
    samsa_connect_share_t *s = NULL;
    for (int32_t i = *n - 1; i >= 0 && s == NULL; i--) {
        s = strcmp((*shares)[i].connector, name) == 0 ? &(*shares)[i] : NULL;
    }
    if (s == NULL) {
        samsa_connect_share_t *v =
            realloc(*shares, sizeof(*v) * (size_t)(*n + 1));
        if (v == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        *shares = v;
        s = &v[*n];
        memset(s, 0, sizeof(*s));
        if ((s->connector = strdup(name)) == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        (*n)++;
    }
    int32_t *t = realloc(s->tasks, sizeof(*t) * (size_t)(s->ntasks + 1));
    if (t == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    s->tasks = t;
    t[s->ntasks++] = task;
    return SAMSA_OK;
}

static int shares_have(const samsa_connect_share_t *shares, int32_t n,
                       const char *name, int32_t task)
{
    for (int32_t i = 0; i < n; i++) {
        if (strcmp(shares[i].connector, name) != 0) {
            continue;
        }
        for (int32_t k = 0; k < shares[i].ntasks; k++) {
            if (shares[i].tasks[k] == task) {
                return 1;
            }
        }
    }
    return 0;
}

samsa_err_t
samsa_connect_assignment_merge(const samsa_connect_assignment_t *current,
                               const samsa_connect_assignment_t *delta,
                               samsa_connect_assignment_t *out)
{
    memset(out, 0, sizeof(*out));
    out->config_offset = -1;
    samsa_err_t err = SAMSA_OK;
    for (int32_t i = 0; current != NULL && i < current->nshares; i++) {
        const samsa_connect_share_t *s = &current->shares[i];
        for (int32_t k = 0; err == SAMSA_OK && k < s->ntasks; k++) {
            if (!shares_have(delta->revoked, delta->nrevoked, s->connector,
                             s->tasks[k]) &&
                !samsa_connect_assignment_has(out, s->connector, s->tasks[k])) {
                err = samsa_connect_share_add(&out->shares, &out->nshares,
                                              s->connector, s->tasks[k]);
            }
        }
    }
    for (int32_t i = 0; i < delta->nshares; i++) {
        const samsa_connect_share_t *s = &delta->shares[i];
        for (int32_t k = 0; err == SAMSA_OK && k < s->ntasks; k++) {
            if (!samsa_connect_assignment_has(out, s->connector, s->tasks[k])) {
                err = samsa_connect_share_add(&out->shares, &out->nshares,
                                              s->connector, s->tasks[k]);
            }
        }
    }
    if (err != SAMSA_OK) {
        samsa_connect_assignment_free(out);
    }
    return err;
}

samsa_err_t samsa_connect_assign_eager(int nmembers,
                                       const char *const *member_ids,
                                       int nconnectors,
                                       const char *const *connectors,
                                       const int32_t *ntasks,
                                       samsa_connect_assignment_t *out)
{
    samsa_connect_assignments_clear(out, nmembers);
    if (nmembers == 0) {
        return SAMSA_OK;
    }
    int *members = samsa_connect_sorted_order(nmembers, member_ids);
    int *conns = samsa_connect_sorted_order(nconnectors, connectors);
    samsa_err_t err = members && conns ? SAMSA_OK : SAMSA_ERR_NOMEM;
    int next = 0; /* the circular walk over the sorted members */
    for (int ci = 0; err == SAMSA_OK && ci < nconnectors; ci++) {
        int c = conns[ci];
        for (int32_t t = SAMSA_CONNECT_CONNECTOR_TASK;
             err == SAMSA_OK && t < ntasks[c]; t++) {
            samsa_connect_assignment_t *a = &out[members[next]];
            err = samsa_connect_share_add(&a->shares, &a->nshares,
                                          connectors[c], t);
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
