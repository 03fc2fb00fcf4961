/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-postgres/pgoutput.c - pgoutput protocol version 1
 * (PostgreSQL's "Logical Replication Message Formats"), big-endian.
 * Column values arrive in PostgreSQL's text form; booleans, integers and
 * floats become JSON booleans and numbers, everything else (numeric,
 * dates, json, ...) stays a JSON string, so nothing loses precision.
 */
#include "pgoutput.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from PostgreSQL's pg_type.dat (stable since 7.x). */
#define OID_BOOL   16
#define OID_INT8   20
#define OID_INT2   21
#define OID_INT4   23
#define OID_OID    26
#define OID_FLOAT4 700
#define OID_FLOAT8 701

typedef struct pgo_col {
    char *name;
    uint32_t type;
    int key;
} pgo_col_t;

typedef struct pgo_rel {
    uint32_t oid;
    char *schema, *table;
    pgo_col_t *cols;
    size_t ncols;
    struct pgo_rel *next;
} pgo_rel_t;

struct samsa_pgo {
    pgo_rel_t *rels;
};

typedef struct rd {
    const uint8_t *p, *end;
    int bad;
} rd_t;

static uint64_t get_n(rd_t *r, int n)
{
    if (r->end - r->p < n) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = v << 8 | *r->p++;
    }
    return v;
}

/* A NUL-terminated string in place (the buffer outlives the use). */
static const char *get_str(rd_t *r)
{
    const uint8_t *z = memchr(r->p, 0, (size_t)(r->end - r->p));
    if (z == NULL) {
        r->bad = 1;
        return "";
    }
    const char *s = (const char *)r->p;
    r->p = z + 1;
    return s;
}

samsa_pgo_t *samsa_pgo_new(void)
{
    return calloc(1, sizeof(samsa_pgo_t));
}

static void rel_free(pgo_rel_t *rel)
{
    for (size_t i = 0; i < rel->ncols; i++) {
        free(rel->cols[i].name);
    }
    free(rel->cols);
    free(rel->schema);
    free(rel->table);
    free(rel);
}

void samsa_pgo_free(samsa_pgo_t *d)
{
    if (d == NULL) {
        return;
    }
    while (d->rels) {
        pgo_rel_t *n = d->rels->next;
        rel_free(d->rels);
        d->rels = n;
    }
    free(d);
}

void samsa_pgo_msg_clear(samsa_pgo_msg_t *m)
{
    json_decref(m->key);
    json_decref(m->before);
    json_decref(m->after);
    json_decref(m->old_key);
    memset(m, 0, sizeof(*m));
}

static pgo_rel_t *rel_find(samsa_pgo_t *d, uint32_t oid)
{
    for (pgo_rel_t *r = d->rels; r; r = r->next) {
        if (r->oid == oid) {
            return r;
        }
    }
    return NULL;
}

static int decode_relation(samsa_pgo_t *d, rd_t *r)
{
    pgo_rel_t *rel = calloc(1, sizeof(*rel));
    if (rel == NULL) {
        return -1;
    }
    rel->oid = (uint32_t)get_n(r, 4);
    rel->schema = strdup(get_str(r));
    rel->table = strdup(get_str(r));
    (void)get_n(r, 1); /* replica identity setting */
    size_t n = (size_t)get_n(r, 2);
    rel->cols = calloc(n ? n : 1, sizeof(*rel->cols));
    if (!rel->schema || !rel->table || !rel->cols) {
        rel_free(rel);
        return -1;
    }
    for (size_t i = 0; i < n && !r->bad; i++) {
        rel->cols[i].key = (int)(get_n(r, 1) & 1);
        rel->cols[i].name = strdup(get_str(r));
        rel->cols[i].type = (uint32_t)get_n(r, 4);
        (void)get_n(r, 4); /* type modifier */
        rel->ncols = i + 1;
        if (rel->cols[i].name == NULL) {
            r->bad = 1;
        }
    }
    if (r->bad) {
        rel_free(rel);
        return -1;
    }
    /* A newer definition replaces the cached one. */
    for (pgo_rel_t **pp = &d->rels; *pp; pp = &(*pp)->next) {
        if ((*pp)->oid == rel->oid) {
            pgo_rel_t *old = *pp;
            *pp = old->next;
            rel_free(old);
            break;
        }
    }
    rel->next = d->rels;
    d->rels = rel;
    return 0;
}

json_t *samsa_pgo_value(uint32_t type, const char *text, size_t len)
{
    char *end = NULL;
    switch (type) {
    case OID_BOOL:
        return json_boolean(len == 1 && text[0] == 't');
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID: {
        long long v = strtoll(text, &end, 10);
        if (end == text + len) {
            return json_integer(v);
        }
        break;
    }
    case OID_FLOAT4:
    case OID_FLOAT8: {
        double v = strtod(text, &end);
        /* NaN and Infinity are no JSON numbers: keep their text. */
        if (end == text + len && v == v && v - v == 0) {
            return json_real(v);
        }
        break;
    }
    default:
        break;
    }
    return json_stringn(text, len);
}

/* TupleData -> {"col": value, ...}; unchanged TOAST values are left out.
 * @p key gets the key columns when not NULL. */
static json_t *decode_tuple(rd_t *r, const pgo_rel_t *rel, json_t *key)
{
    json_t *row = json_object();
    size_t n = (size_t)get_n(r, 2);
    for (size_t i = 0; i < n && !r->bad && row; i++) {
        int kind = (int)get_n(r, 1);
        const pgo_col_t *col = i < rel->ncols ? &rel->cols[i] : NULL;
        json_t *v = NULL;
        if (kind == 'n') {
            v = json_null();
        } else if (kind == 't') {
            size_t len = (size_t)get_n(r, 4);
            if (r->bad || (size_t)(r->end - r->p) < len) {
                r->bad = 1;
                break;
            }
            char *text = strndup((const char *)r->p, len);
            r->p += len;
            v = text && col ? samsa_pgo_value(col->type, text, len) : NULL;
            free(text);
        } else if (kind != 'u') {
            r->bad = 1; /* 'b' (binary) is only sent when asked for */
        }
        if (v != NULL && col != NULL) {
            if (key != NULL && col->key) {
                json_object_set(key, col->name, v);
            }
            json_object_set_new(row, col->name, v);
        } else {
            json_decref(v);
        }
    }
    if (r->bad) {
        json_decref(row);
        return NULL;
    }
    return row;
}

int samsa_pgo_decode(samsa_pgo_t *d, const uint8_t *buf, size_t len,
                     samsa_pgo_msg_t *out, char *errbuf, size_t errlen)
{
    rd_t r = {.p = buf, .end = buf + len};
    memset(out, 0, sizeof(*out));
    if (len == 0) {
        snprintf(errbuf, errlen, "pgoutput: empty message");
        return -1;
    }
    char type = (char)get_n(&r, 1);
    switch (type) {
    case 'B':
        out->final_lsn = get_n(&r, 8);
        out->commit_ts = (int64_t)get_n(&r, 8);
        out->xid = (uint32_t)get_n(&r, 4);
        break;
    case 'C':
        (void)get_n(&r, 1); /* flags */
        out->final_lsn = get_n(&r, 8);
        out->end_lsn = get_n(&r, 8);
        out->commit_ts = (int64_t)get_n(&r, 8);
        break;
    case 'R':
        if (decode_relation(d, &r) != 0) {
            snprintf(errbuf, errlen, "pgoutput: malformed Relation message");
            return -1;
        }
        return 0; /* type 0: nothing for the caller */
    case 'I':
    case 'U':
    case 'D': {
        uint32_t oid = (uint32_t)get_n(&r, 4);
        const pgo_rel_t *rel = rel_find(d, oid);
        if (rel == NULL) {
            snprintf(errbuf, errlen,
                     "pgoutput: change of relation %u before "
                     "its Relation message",
                     oid);
            return -1;
        }
        out->schema = rel->schema;
        out->table = rel->table;
        out->key = json_object();
        int kind = (int)get_n(&r, 1);
        if (type != 'I' && (kind == 'K' || kind == 'O')) {
            json_t *old_key = json_object();
            out->before = decode_tuple(&r, rel, old_key);
            if (type == 'D') {
                json_decref(out->key);
                out->key = old_key;
            } else {
                out->old_key = old_key;
                kind = (int)get_n(&r, 1);
            }
        } else if (type == 'D') {
            r.bad = 1; /* a delete always names its old key or row */
        }
        if (type != 'D') {
            if (kind != 'N') {
                r.bad = 1;
            } else {
                out->after = decode_tuple(&r, rel, out->key);
            }
        }
        if (r.bad || out->key == NULL || (type != 'D' && out->after == NULL)) {
            samsa_pgo_msg_clear(out);
            snprintf(errbuf, errlen, "pgoutput: malformed %c message", type);
            return -1;
        }
        break;
    }
    default:
        return 0; /* Origin, Type, Truncate, Message: not change rows */
    }
    if (r.bad) {
        snprintf(errbuf, errlen, "pgoutput: short %c message", type);
        return -1;
    }
    out->type = type;
    return 0;
}
