/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/protocol/proto_testutil.c - see proto_testutil.h. */
#include "proto_testutil.h"

#include <stdlib.h>
#include <string.h>

#define FPTR(s, f)  ((char *)(s) + (f)->offset)
#define FCPTR(s, f) ((const char *)(s) + (f)->offset)

static uint32_t rnd(uint32_t *s)
{
    /* xorshift32: deterministic across runs and platforms */
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static const char *const STRINGS[] = {
    "",
    "a",
    "topic-1",
    "group.\xc3\xbcml\xc3\xa4ut",
    "__consumer_offsets",
    "a-rather-long-string-that-needs-more-than-one-varint-byte-for-its-"
    "length-when-encoded-compactly-0123456789-0123456789-0123456789-"
    "0123456789-end",
};
static uint8_t BYTES_POOL[300];

typedef struct fill_ctx {
    samsa_arena_t *arena;
    uint32_t seed;
    int16_t v;
    int depth;
} fill_ctx_t;

static void fill_struct(const samsa_struct_desc_t *sd, fill_ctx_t *c, void *s);

static size_t csize(uint8_t t, const samsa_field_desc_t *f)
{
    switch (t) {
    case SAMSA_FT_BOOL:
        return sizeof(bool);
    case SAMSA_FT_INT8:
        return 1;
    case SAMSA_FT_INT16:
    case SAMSA_FT_UINT16:
        return 2;
    case SAMSA_FT_INT32:
    case SAMSA_FT_UINT32:
        return 4;
    case SAMSA_FT_INT64:
    case SAMSA_FT_FLOAT64:
        return 8;
    case SAMSA_FT_UUID:
        return 16;
    case SAMSA_FT_STRING:
        return sizeof(samsa_str_t);
    case SAMSA_FT_BYTES:
        return sizeof(samsa_bytes_t);
    case SAMSA_FT_RECORDS:
        return sizeof(samsa_records_t);
    case SAMSA_FT_STRUCT:
        return f->sub->size;
    }
    return 0;
}

bool proto_is_error_code(const samsa_field_desc_t *f)
{
    size_t n = strlen(f->name);
    return n >= 9 && strcmp(f->name + n - 9, "ErrorCode") == 0;
}

static void fill_value(uint8_t t, const samsa_field_desc_t *f, fill_ctx_t *c,
                       void *dst)
{
    uint32_t r = rnd(&c->seed);
    switch (t) {
    case SAMSA_FT_BOOL:
        *(bool *)dst = r & 1;
        break;
    case SAMSA_FT_INT8:
        *(int8_t *)dst = (int8_t)r;
        break;
    case SAMSA_FT_INT16:
        /* Error codes stay in Kafka's range: the encoder maps internal
         * codes (test_error_codes.c), which would break the round trip. */
        *(int16_t *)dst =
            proto_is_error_code(f) ? (int16_t)(r % 121) - 1 : (int16_t)r;
        break;
    case SAMSA_FT_UINT16:
        *(uint16_t *)dst = (uint16_t)r;
        break;
    case SAMSA_FT_INT32:
        *(int32_t *)dst = (int32_t)r;
        break;
    case SAMSA_FT_UINT32:
        *(uint32_t *)dst = r;
        break;
    case SAMSA_FT_INT64:
        *(int64_t *)dst = (int64_t)((uint64_t)r << 32 | rnd(&c->seed));
        break;
    case SAMSA_FT_FLOAT64:
        *(double *)dst = (double)(int32_t)r / 64.0;
        break;
    case SAMSA_FT_UUID:
        for (int i = 0; i < 16; i++) {
            ((uint8_t *)dst)[i] = (uint8_t)rnd(&c->seed);
        }
        break;
    case SAMSA_FT_STRING: {
        const char *s = STRINGS[r % (sizeof(STRINGS) / sizeof(STRINGS[0]))];
        *(samsa_str_t *)dst = samsa_str_from_cstr(s);
        break;
    }
    case SAMSA_FT_BYTES: {
        samsa_bytes_t *b = dst;
        b->len = (int32_t)(r % 5 == 0 ? 200 : r % 9);
        b->ptr = BYTES_POOL + (r >> 8) % 50;
        break;
    }
    case SAMSA_FT_RECORDS: {
        samsa_records_t *rec = dst;
        memset(rec, 0, sizeof(*rec));
        rec->len = (int32_t)(r % 40);
        rec->ptr = BYTES_POOL + (r >> 8) % 50;
        break;
    }
    case SAMSA_FT_STRUCT:
        samsa_struct_init(f->sub, dst);
        fill_struct(f->sub, c, dst);
        break;
    }
}

static void fill_field(const samsa_field_desc_t *f, fill_ctx_t *c, void *dst)
{
    bool nullable = samsa_ver_in(c->v, f->nmin, f->nmax);
    bool make_null = nullable && rnd(&c->seed) % 4 == 0;
    if (f->type == SAMSA_FT_ARRAY) {
        samsa_array_t *a = dst;
        if (make_null) {
            a->count = -1;
            a->items = NULL;
            return;
        }
        int32_t n = (int32_t)(rnd(&c->seed) % (c->depth > 3 ? 2 : 4));
        size_t es = csize(f->elem, f);
        char *items = samsa_arena_calloc(c->arena, (size_t)n, es);
        c->depth++;
        for (int32_t i = 0; i < n; i++) {
            fill_value(f->elem, f, c, items + (size_t)i * es);
        }
        c->depth--;
        a->count = n;
        a->items = n ? items : NULL;
        return;
    }
    if (make_null) {
        switch (f->type) {
        case SAMSA_FT_STRING:
            *(samsa_str_t *)dst = SAMSA_STR_NULL;
            return;
        case SAMSA_FT_BYTES:
            ((samsa_bytes_t *)dst)->ptr = NULL;
            ((samsa_bytes_t *)dst)->len = -1;
            return;
        case SAMSA_FT_RECORDS:
            memset(dst, 0, sizeof(samsa_records_t));
            ((samsa_records_t *)dst)->len = -1;
            return;
        case SAMSA_FT_STRUCT:
            if (f->flags & SAMSA_FF_PTR) {
                *(void **)dst = NULL;
                return;
            }
            break;
        }
    }
    if (f->type == SAMSA_FT_STRUCT && (f->flags & SAMSA_FF_PTR)) {
        void *p = samsa_arena_alloc(c->arena, f->sub->size);
        samsa_struct_init(f->sub, p);
        c->depth++;
        fill_struct(f->sub, c, p);
        c->depth--;
        *(void **)dst = p;
        return;
    }
    c->depth++;
    fill_value(f->type, f, c, dst);
    c->depth--;
}

static void fill_struct(const samsa_struct_desc_t *sd, fill_ctx_t *c, void *s)
{
    for (uint16_t i = 0; i < sd->nfields; i++) {
        const samsa_field_desc_t *f = &sd->fields[i];
        if (!samsa_ver_in(c->v, f->vmin, f->vmax)) {
            continue;
        }
        /* Leave some fields at their default so tagged fields are also
         * tested in the "not written" state. */
        if (rnd(&c->seed) % 8 == 0) {
            continue;
        }
        fill_field(f, c, FPTR(s, f));
    }
}

void proto_testfill(const samsa_msg_desc_t *d, int16_t version,
                    samsa_arena_t *arena, uint32_t seed, void *msg)
{
    for (size_t i = 0; i < sizeof(BYTES_POOL); i++) {
        BYTES_POOL[i] = (uint8_t)(i * 7 + 3);
    }
    samsa_msg_init(d, msg);
    fill_ctx_t c = {arena, seed * 2654435761u + 1, version, 0};
    fill_struct(d->body, &c, msg);
}

/* ------------------------------------------------------------ compare */

static bool eq_struct(const samsa_struct_desc_t *sd, int16_t v, const void *a,
                      const void *b, const char **where);

static bool eq_value(uint8_t t, const samsa_field_desc_t *f, int16_t v,
                     const void *a, const void *b, const char **where)
{
    switch (t) {
    case SAMSA_FT_BOOL:
        return *(const bool *)a == *(const bool *)b;
    case SAMSA_FT_STRING:
        return samsa_str_eq(*(const samsa_str_t *)a, *(const samsa_str_t *)b);
    case SAMSA_FT_BYTES: {
        const samsa_bytes_t *x = a, *y = b;
        return x->len == y->len &&
               (x->len <= 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
    }
    case SAMSA_FT_RECORDS: {
        const samsa_records_t *x = a, *y = b;
        return x->len == y->len &&
               (x->len <= 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
    }
    case SAMSA_FT_STRUCT:
        return eq_struct(f->sub, v, a, b, where);
    default:
        return memcmp(a, b, csize(t, f)) == 0;
    }
}

static bool eq_field(const samsa_field_desc_t *f, int16_t v, const void *a,
                     const void *b, const char **where)
{
    if (f->type == SAMSA_FT_ARRAY) {
        const samsa_array_t *x = a, *y = b;
        if (x->count != y->count) {
            return false;
        }
        size_t es = csize(f->elem, f);
        for (int32_t i = 0; i < x->count; i++) {
            if (!eq_value(f->elem, f, v, (const char *)x->items + i * es,
                          (const char *)y->items + i * es, where)) {
                return false;
            }
        }
        return true;
    }
    if (f->type == SAMSA_FT_STRUCT && (f->flags & SAMSA_FF_PTR)) {
        const void *x = *(void *const *)a, *y = *(void *const *)b;
        if (!x || !y) {
            return x == y;
        }
        return eq_struct(f->sub, v, x, y, where);
    }
    return eq_value(f->type, f, v, a, b, where);
}

static bool eq_struct(const samsa_struct_desc_t *sd, int16_t v, const void *a,
                      const void *b, const char **where)
{
    for (uint16_t i = 0; i < sd->nfields; i++) {
        const samsa_field_desc_t *f = &sd->fields[i];
        if (!samsa_ver_in(v, f->vmin, f->vmax)) {
            continue;
        }
        if (!eq_field(f, v, FCPTR(a, f), FCPTR(b, f), where)) {
            if (!*where) {
                *where = f->name;
            }
            return false;
        }
    }
    return true;
}

bool proto_equal(const samsa_msg_desc_t *d, int16_t version, const void *a,
                 const void *b, const char **where)
{
    *where = NULL;
    return eq_struct(d->body, version, a, b, where);
}

uint8_t *proto_encode_flat(const samsa_msg_desc_t *d, int16_t version,
                           const void *msg, size_t *len, samsa_err_t *err)
{
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    uint8_t *out = NULL;
    *err = samsa_msg_encode(d, &io, version, msg);
    if (*err == SAMSA_OK) {
        *err = samsa_iobuf_flatten(&io, &out, len);
    }
    samsa_iobuf_clear(&io);
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

uint8_t *proto_unhex(const char *hex, size_t hexlen, size_t *len)
{
    if (hexlen % 2) {
        return NULL;
    }
    uint8_t *out = malloc(hexlen / 2 + 1);
    for (size_t i = 0; i < hexlen / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = hexlen / 2;
    return out;
}
