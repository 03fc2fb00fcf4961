/* SPDX-License-Identifier: Apache-2.0 */
/* core/protocol/schema.c - the generic codec that runs the generated
 * descriptor tables; see schema.h. */
#include "protocol/schema.h"

#include <string.h>

#include "util/err.h"

#define FIELD_PTR(s, f)  ((char *)(s) + (f)->offset)
#define FIELD_CPTR(s, f) ((const char *)(s) + (f)->offset)

static size_t type_csize(uint8_t t)
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
        return sizeof(samsa_uuid_t);
    case SAMSA_FT_STRING:
        return sizeof(samsa_str_t);
    case SAMSA_FT_BYTES:
        return sizeof(samsa_bytes_t);
    case SAMSA_FT_RECORDS:
        return sizeof(samsa_records_t);
    default:
        return 0;
    }
}

static size_t elem_csize(const samsa_field_desc_t *f)
{
    return f->elem == SAMSA_FT_STRUCT ? f->sub->size : type_csize(f->elem);
}

/* Fewest bytes one array element can take on the wire. */
static size_t elem_min_wire(const samsa_field_desc_t *f, bool compact)
{
    switch (f->elem) {
    case SAMSA_FT_STRING:
        return compact ? 1 : 2;
    case SAMSA_FT_BYTES:
    case SAMSA_FT_RECORDS:
        return compact ? 1 : 4;
    case SAMSA_FT_STRUCT:
        return f->sub->min_wire ? f->sub->min_wire : 1;
    default:
        return type_csize(f->elem)
                   ? (f->elem == SAMSA_FT_BOOL ? 1 : type_csize(f->elem))
                   : 1;
    }
}

/* ------------------------------------------------------------ init */

static void init_field(const samsa_field_desc_t *f, void *dst)
{
    switch (f->type) {
    case SAMSA_FT_BOOL:
        *(bool *)dst = f->idef != 0;
        break;
    case SAMSA_FT_INT8:
        *(int8_t *)dst = (int8_t)f->idef;
        break;
    case SAMSA_FT_INT16:
        *(int16_t *)dst = (int16_t)f->idef;
        break;
    case SAMSA_FT_UINT16:
        *(uint16_t *)dst = (uint16_t)f->idef;
        break;
    case SAMSA_FT_INT32:
        *(int32_t *)dst = (int32_t)f->idef;
        break;
    case SAMSA_FT_UINT32:
        *(uint32_t *)dst = (uint32_t)f->idef;
        break;
    case SAMSA_FT_INT64:
        *(int64_t *)dst = f->idef;
        break;
    case SAMSA_FT_FLOAT64:
        *(double *)dst = f->fdef;
        break;
    case SAMSA_FT_UUID:
        memset(dst, 0, sizeof(samsa_uuid_t));
        break;
    case SAMSA_FT_STRING: {
        samsa_str_t *s = dst;
        if (f->flags & SAMSA_FF_NULL_DEFAULT) {
            *s = SAMSA_STR_NULL;
        } else {
            s->ptr = f->sdef ? f->sdef : "";
            s->len = f->sdef ? f->sdef_len : 0;
        }
        break;
    }
    case SAMSA_FT_BYTES: {
        samsa_bytes_t *b = dst;
        b->ptr = NULL;
        b->len = (f->flags & SAMSA_FF_NULL_DEFAULT) ? -1 : 0;
        break;
    }
    case SAMSA_FT_RECORDS:
        memset(dst, 0, sizeof(samsa_records_t));
        ((samsa_records_t *)dst)->len =
            (f->flags & SAMSA_FF_NULL_DEFAULT) ? -1 : 0;
        break;
    case SAMSA_FT_STRUCT:
        if (f->flags & SAMSA_FF_PTR) {
            *(void **)dst = NULL;
        } else {
            samsa_struct_init(f->sub, dst);
        }
        break;
    case SAMSA_FT_ARRAY: {
        samsa_array_t *a = dst;
        a->count = (f->flags & SAMSA_FF_NULL_DEFAULT) ? -1 : 0;
        a->items = NULL;
        break;
    }
    }
}

void samsa_struct_init(const samsa_struct_desc_t *sd, void *s)
{
    memset(s, 0, sd->size);
    for (uint16_t i = 0; i < sd->nfields; i++) {
        const samsa_field_desc_t *f = &sd->fields[i];
        init_field(f, FIELD_PTR(s, f));
    }
}

void samsa_msg_init(const samsa_msg_desc_t *d, void *msg)
{
    samsa_struct_init(d->body, msg);
}

/* ------------------------------------------------------------ defaults */

static bool struct_is_default(const samsa_struct_desc_t *sd, const void *s)
{
    for (uint16_t i = 0; i < sd->nfields; i++) {
        if (!samsa_field_is_default(&sd->fields[i], s)) {
            return false;
        }
    }
    return true;
}

bool samsa_field_is_default(const samsa_field_desc_t *f, const void *s)
{
    const void *src = FIELD_CPTR(s, f);
    bool null_def = (f->flags & SAMSA_FF_NULL_DEFAULT) != 0;
    switch (f->type) {
    case SAMSA_FT_BOOL:
        return *(const bool *)src == (f->idef != 0);
    case SAMSA_FT_INT8:
        return *(const int8_t *)src == (int8_t)f->idef;
    case SAMSA_FT_INT16:
        return *(const int16_t *)src == (int16_t)f->idef;
    case SAMSA_FT_UINT16:
        return *(const uint16_t *)src == (uint16_t)f->idef;
    case SAMSA_FT_INT32:
        return *(const int32_t *)src == (int32_t)f->idef;
    case SAMSA_FT_UINT32:
        return *(const uint32_t *)src == (uint32_t)f->idef;
    case SAMSA_FT_INT64:
        return *(const int64_t *)src == f->idef;
    case SAMSA_FT_FLOAT64:
        return *(const double *)src == f->fdef;
    case SAMSA_FT_UUID: {
        static const samsa_uuid_t zero;
        return memcmp(src, &zero, sizeof(zero)) == 0;
    }
    case SAMSA_FT_STRING: {
        const samsa_str_t *str = src;
        if (null_def) {
            return str->len < 0;
        }
        return str->len == (f->sdef ? f->sdef_len : 0) &&
               (str->len == 0 || memcmp(str->ptr, f->sdef, str->len) == 0);
    }
    case SAMSA_FT_BYTES:
        return null_def ? ((const samsa_bytes_t *)src)->len < 0
                        : ((const samsa_bytes_t *)src)->len == 0;
    case SAMSA_FT_RECORDS:
        return null_def ? ((const samsa_records_t *)src)->len < 0
                        : ((const samsa_records_t *)src)->len == 0;
    case SAMSA_FT_ARRAY:
        return null_def ? ((const samsa_array_t *)src)->count < 0
                        : ((const samsa_array_t *)src)->count == 0;
    case SAMSA_FT_STRUCT:
        if (f->flags & SAMSA_FF_PTR) {
            return *(void *const *)src == NULL;
        }
        return struct_is_default(f->sub, src);
    }
    return true;
}

/* ------------------------------------------------------------ decode */

typedef struct dctx {
    samsa_arena_t *arena;
    int16_t v;
    bool flex;
} dctx_t;

static samsa_err_t dec_struct(const samsa_struct_desc_t *sd, samsa_rbuf_t *rb,
                              const dctx_t *c, void *s);

static samsa_err_t dec_value(uint8_t type, const samsa_field_desc_t *f,
                             bool nullable, samsa_rbuf_t *rb, const dctx_t *c,
                             void *dst)
{
    bool compact = c->v >= f->fmin;
    samsa_err_t err;
    switch (type) {
    case SAMSA_FT_BOOL: {
        int8_t b = 0;
        err = samsa_rbuf_read_i8(rb, &b);
        *(bool *)dst = b != 0;
        return err;
    }
    case SAMSA_FT_INT8:
        return samsa_rbuf_read_i8(rb, dst);
    case SAMSA_FT_INT16:
        return samsa_rbuf_read_i16(rb, dst);
    case SAMSA_FT_UINT16:
        return samsa_rbuf_read_u16(rb, dst);
    case SAMSA_FT_INT32:
        return samsa_rbuf_read_i32(rb, dst);
    case SAMSA_FT_UINT32:
        return samsa_rbuf_read_u32(rb, dst);
    case SAMSA_FT_INT64:
        return samsa_rbuf_read_i64(rb, dst);
    case SAMSA_FT_FLOAT64:
        return samsa_rbuf_read_f64(rb, dst);
    case SAMSA_FT_UUID:
        return samsa_rbuf_read_uuid(rb, dst);
    case SAMSA_FT_STRING:
        return compact ? samsa_rbuf_read_cstr(rb, nullable, dst)
                       : samsa_rbuf_read_str(rb, nullable, dst);
    case SAMSA_FT_BYTES:
        return compact ? samsa_rbuf_read_cbytes(rb, nullable, dst)
                       : samsa_rbuf_read_bytes(rb, nullable, dst);
    case SAMSA_FT_RECORDS: {
        samsa_bytes_t b;
        err = compact ? samsa_rbuf_read_cbytes(rb, nullable, &b)
                      : samsa_rbuf_read_bytes(rb, nullable, &b);
        if (err == SAMSA_OK) {
            samsa_records_t *r = dst;
            r->ptr = b.ptr;
            r->len = b.len;
            r->encode_ext = NULL;
            r->ext_arg = NULL;
        }
        return err;
    }
    case SAMSA_FT_STRUCT:
        samsa_struct_init(f->sub, dst);
        return dec_struct(f->sub, rb, c, dst);
    }
    return SAMSA_ERR_PROTOCOL;
}

static samsa_err_t dec_field(const samsa_field_desc_t *f, samsa_rbuf_t *rb,
                             const dctx_t *c, void *dst)
{
    bool nullable = samsa_ver_in(c->v, f->nmin, f->nmax);
    samsa_err_t err;
    if (f->type == SAMSA_FT_ARRAY) {
        bool compact = c->v >= f->fmin;
        int32_t n;
        err = samsa_rbuf_read_array_len(rb, compact, nullable,
                                        elem_min_wire(f, compact), &n);
        if (err != SAMSA_OK) {
            return err;
        }
        samsa_array_t *a = dst;
        a->count = n;
        a->items = NULL;
        if (n <= 0) {
            return SAMSA_OK;
        }
        size_t es = elem_csize(f);
        char *items = samsa_arena_alloc(c->arena, (size_t)n * es);
        if (!items) {
            return SAMSA_ERR_NOMEM;
        }
        a->items = items;
        for (int32_t i = 0; i < n; i++) {
            err = dec_value(f->elem, f, false, rb, c, items + (size_t)i * es);
            if (err != SAMSA_OK) {
                a->count = i; /* keep the struct consistent */
                return err;
            }
        }
        return SAMSA_OK;
    }
    if (f->type == SAMSA_FT_STRUCT && (f->flags & SAMSA_FF_PTR)) {
        if (nullable) {
            int8_t marker;
            err = samsa_rbuf_read_i8(rb, &marker);
            if (err != SAMSA_OK) {
                return err;
            }
            if (marker < 0) {
                *(void **)dst = NULL;
                return SAMSA_OK;
            }
        }
        void *p = samsa_arena_alloc(c->arena, f->sub->size);
        if (!p) {
            return SAMSA_ERR_NOMEM;
        }
        samsa_struct_init(f->sub, p);
        *(void **)dst = p;
        return dec_struct(f->sub, rb, c, p);
    }
    return dec_value(f->type, f, nullable, rb, c, dst);
}

static samsa_err_t dec_tags(const samsa_struct_desc_t *sd, samsa_rbuf_t *rb,
                            const dctx_t *c, void *s)
{
    uint32_t n;
    samsa_err_t err = samsa_rbuf_read_uvarint(rb, &n);
    int64_t prev = -1;
    for (uint32_t i = 0; err == SAMSA_OK && i < n; i++) {
        uint32_t tag, size;
        err = samsa_rbuf_read_uvarint(rb, &tag);
        if (err == SAMSA_OK) {
            err = samsa_rbuf_read_uvarint(rb, &size);
        }
        if (err != SAMSA_OK) {
            break;
        }
        /* Kafka rejects tags out of order or repeated. */
        if ((int64_t)tag <= prev || size > samsa_rbuf_left(rb)) {
            return SAMSA_ERR_PROTOCOL;
        }
        prev = tag;
        samsa_rbuf_t val = {rb->p, rb->p + size};
        rb->p += size;
        if (tag >= sd->ntagged) {
            continue; /* unknown tag: skipped */
        }
        const samsa_field_desc_t *f = &sd->fields[sd->tag_order[tag]];
        if (!samsa_ver_in(c->v, f->vmin, f->vmax) || c->v < f->tmin) {
            continue;
        }
        err = dec_field(f, &val, c, FIELD_PTR(s, f));
    }
    return err;
}

static samsa_err_t dec_struct(const samsa_struct_desc_t *sd, samsa_rbuf_t *rb,
                              const dctx_t *c, void *s)
{
    for (uint16_t i = 0; i < sd->nfields; i++) {
        const samsa_field_desc_t *f = &sd->fields[i];
        if (!samsa_ver_in(c->v, f->vmin, f->vmax) ||
            (c->flex && c->v >= f->tmin)) {
            continue;
        }
        samsa_err_t err = dec_field(f, rb, c, FIELD_PTR(s, f));
        if (err != SAMSA_OK) {
            return err;
        }
    }
    return c->flex ? dec_tags(sd, rb, c, s) : SAMSA_OK;
}

samsa_err_t samsa_msg_decode(const samsa_msg_desc_t *d, samsa_rbuf_t *rb,
                             int16_t version, samsa_arena_t *arena, void *msg)
{
    samsa_struct_init(d->body, msg);
    if (!samsa_ver_in(version, d->vmin, d->vmax)) {
        return SAMSA_ERR_UNSUPPORTED_VERSION;
    }
    dctx_t c = {arena, version, version >= d->flex_min};
    return dec_struct(d->body, rb, &c, msg);
}

/* ------------------------------------------------------------ encode */

/*
 * One walker serves encoding and sizing (counting mode), so the size used
 * for tagged-field prefixes can never disagree with what is written.
 */
typedef struct ectx {
    samsa_wbuf_t *w; /* NULL: only count */
    size_t n;
    int16_t v;
    bool flex;
    samsa_err_t err;
} ectx_t;

static void e_raw(ectx_t *c, const void *p, size_t n)
{
    if (c->w) {
        samsa_wbuf_raw(c->w, p, n);
    } else {
        c->n += n;
    }
}

static void e_uvarint(ectx_t *c, uint32_t v)
{
    if (c->w) {
        samsa_wbuf_uvarint(c->w, v);
    } else {
        c->n += samsa_uvarint_size(v);
    }
}

static void e_be(ectx_t *c, uint64_t v, size_t width)
{
    if (!c->w) {
        c->n += width;
        return;
    }
    switch (width) {
    case 1:
        samsa_wbuf_i8(c->w, (int8_t)v);
        break;
    case 2:
        samsa_wbuf_u16(c->w, (uint16_t)v);
        break;
    case 4:
        samsa_wbuf_u32(c->w, (uint32_t)v);
        break;
    default:
        samsa_wbuf_u64(c->w, v);
        break;
    }
}

/* Length prefix; len < 0 = null. wide: int32 (else int16). */
static void e_len(ectx_t *c, bool compact, bool wide, int32_t len)
{
    if (compact) {
        e_uvarint(c, len < 0 ? 0 : (uint32_t)len + 1);
    } else if (wide) {
        e_be(c, (uint32_t)(len < 0 ? -1 : len), 4);
    } else {
        e_be(c, (uint16_t)(len < 0 ? -1 : len), 2);
    }
}

static void e_fail(ectx_t *c, samsa_err_t err)
{
    if (c->err == SAMSA_OK) {
        c->err = err;
    }
}

static void enc_struct(const samsa_struct_desc_t *sd, ectx_t *c, const void *s);

/* Every "...ErrorCode" field of every message is encoded here: the one place
 * that keeps Samsa-internal codes (errors.h, <= -1000) off the wire,
 * whatever path a handler took to fill the field. */
static bool is_error_code(const samsa_field_desc_t *f)
{
    static const char suffix[] = "ErrorCode";
    size_t n = strlen(f->name), k = sizeof(suffix) - 1;
    return n >= k && memcmp(f->name + n - k, suffix, k) == 0;
}

static void enc_value(uint8_t type, const samsa_field_desc_t *f, bool nullable,
                      ectx_t *c, const void *src)
{
    bool compact = c->v >= f->fmin;
    switch (type) {
    case SAMSA_FT_BOOL:
        e_be(c, *(const bool *)src ? 1 : 0, 1);
        break;
    case SAMSA_FT_INT8:
        e_be(c, (uint8_t) * (const int8_t *)src, 1);
        break;
    case SAMSA_FT_INT16: {
        int16_t v = *(const int16_t *)src;
        if (v < SAMSA_ERR_KAFKA_MIN && is_error_code(f)) {
            v = (int16_t)samsa_err_to_wire((samsa_err_t)v);
        }
        e_be(c, (uint16_t)v, 2);
        break;
    }
    case SAMSA_FT_UINT16:
        e_be(c, *(const uint16_t *)src, 2);
        break;
    case SAMSA_FT_INT32:
        e_be(c, (uint32_t) * (const int32_t *)src, 4);
        break;
    case SAMSA_FT_UINT32:
        e_be(c, *(const uint32_t *)src, 4);
        break;
    case SAMSA_FT_INT64:
        e_be(c, (uint64_t) * (const int64_t *)src, 8);
        break;
    case SAMSA_FT_FLOAT64: {
        uint64_t u;
        memcpy(&u, src, 8);
        e_be(c, u, 8);
        break;
    }
    case SAMSA_FT_UUID:
        e_raw(c, src, 16);
        break;
    case SAMSA_FT_STRING: {
        const samsa_str_t *s = src;
        if (s->len < 0 && !nullable) {
            e_fail(c, SAMSA_ERR_INVAL);
        }
        e_len(c, compact, false, s->len);
        if (s->len > 0) {
            e_raw(c, s->ptr, (size_t)s->len);
        }
        break;
    }
    case SAMSA_FT_BYTES: {
        const samsa_bytes_t *b = src;
        if (b->len < 0 && !nullable) {
            e_fail(c, SAMSA_ERR_INVAL);
        }
        e_len(c, compact, true, b->len);
        if (b->len > 0) {
            e_raw(c, b->ptr, (size_t)b->len);
        }
        break;
    }
    case SAMSA_FT_RECORDS: {
        const samsa_records_t *r = src;
        if (r->len < 0 && !nullable) {
            e_fail(c, SAMSA_ERR_INVAL);
        }
        if (c->w) {
            samsa_wbuf_records(c->w, compact, r);
        } else {
            e_len(c, compact, true, r->len);
            c->n += r->len > 0 ? (size_t)r->len : 0;
        }
        break;
    }
    case SAMSA_FT_STRUCT:
        enc_struct(f->sub, c, src);
        break;
    }
}

static void enc_field(const samsa_field_desc_t *f, ectx_t *c, const void *src)
{
    bool nullable = samsa_ver_in(c->v, f->nmin, f->nmax);
    if (f->type == SAMSA_FT_ARRAY) {
        const samsa_array_t *a = src;
        if (a->count < 0 && !nullable) {
            e_fail(c, SAMSA_ERR_INVAL);
        }
        if (a->count > 0 && !a->items) {
            e_fail(c, SAMSA_ERR_INVAL);
            return;
        }
        e_len(c, c->v >= f->fmin, true, a->count);
        size_t es = elem_csize(f);
        for (int32_t i = 0; i < a->count; i++) {
            enc_value(f->elem, f, false, c,
                      (const char *)a->items + (size_t)i * es);
        }
        return;
    }
    if (f->type == SAMSA_FT_STRUCT && (f->flags & SAMSA_FF_PTR)) {
        const void *p = *(void *const *)src;
        if (nullable) {
            e_be(c, p ? 1 : (uint8_t)-1, 1);
        } else if (!p) {
            e_fail(c, SAMSA_ERR_INVAL);
            return;
        }
        if (p) {
            enc_struct(f->sub, c, p);
        }
        return;
    }
    enc_value(f->type, f, nullable, c, src);
}

static bool tagged_in(const samsa_field_desc_t *f, int16_t v)
{
    return samsa_ver_in(v, f->vmin, f->vmax) && v >= f->tmin;
}

static void enc_struct(const samsa_struct_desc_t *sd, ectx_t *c, const void *s)
{
    for (uint16_t i = 0; i < sd->nfields; i++) {
        const samsa_field_desc_t *f = &sd->fields[i];
        if (!samsa_ver_in(c->v, f->vmin, f->vmax) ||
            (c->flex && c->v >= f->tmin)) {
            continue;
        }
        enc_field(f, c, FIELD_CPTR(s, f));
    }
    if (!c->flex) {
        return;
    }
    uint32_t count = 0;
    for (uint16_t t = 0; t < sd->ntagged; t++) {
        const samsa_field_desc_t *f = &sd->fields[sd->tag_order[t]];
        count += tagged_in(f, c->v) && !samsa_field_is_default(f, s);
    }
    e_uvarint(c, count);
    for (uint16_t t = 0; count > 0 && t < sd->ntagged; t++) {
        const samsa_field_desc_t *f = &sd->fields[sd->tag_order[t]];
        if (!tagged_in(f, c->v) || samsa_field_is_default(f, s)) {
            continue;
        }
        ectx_t sizer = {NULL, 0, c->v, c->flex, SAMSA_OK};
        enc_field(f, &sizer, FIELD_CPTR(s, f));
        e_uvarint(c, (uint32_t)f->tag);
        e_uvarint(c, (uint32_t)sizer.n);
        enc_field(f, c, FIELD_CPTR(s, f));
    }
}

samsa_err_t samsa_msg_write(const samsa_msg_desc_t *d, samsa_wbuf_t *w,
                            int16_t version, const void *msg)
{
    if (!samsa_ver_in(version, d->vmin, d->vmax)) {
        return SAMSA_ERR_UNSUPPORTED_VERSION;
    }
    ectx_t c = {w, 0, version, version >= d->flex_min, SAMSA_OK};
    enc_struct(d->body, &c, msg);
    return c.err != SAMSA_OK ? c.err : w->err;
}

samsa_err_t samsa_msg_encode(const samsa_msg_desc_t *d, samsa_iobuf_t *out,
                             int16_t version, const void *msg)
{
    samsa_wbuf_t w;
    samsa_wbuf_init(&w, out);
    samsa_err_t err = samsa_msg_write(d, &w, version, msg);
    samsa_err_t ferr = samsa_wbuf_flush(&w);
    return err != SAMSA_OK ? err : ferr;
}

size_t samsa_msg_size(const samsa_msg_desc_t *d, int16_t version,
                      const void *msg)
{
    ectx_t c = {NULL, 0, version, version >= d->flex_min, SAMSA_OK};
    enc_struct(d->body, &c, msg);
    return c.n;
}

/* ------------------------------------------------------------ checks */

static const samsa_field_desc_t *check_struct(const samsa_struct_desc_t *sd,
                                              int16_t v, const void *s)
{
    for (uint16_t i = 0; i < sd->nfields; i++) {
        const samsa_field_desc_t *f = &sd->fields[i];
        const void *src = FIELD_CPTR(s, f);
        if (!samsa_ver_in(v, f->vmin, f->vmax)) {
            if (!(f->flags & SAMSA_FF_IGNORABLE) &&
                !samsa_field_is_default(f, s)) {
                return f;
            }
            continue;
        }
        const samsa_field_desc_t *bad = NULL;
        if (f->type == SAMSA_FT_STRUCT) {
            const void *p =
                (f->flags & SAMSA_FF_PTR) ? *(void *const *)src : src;
            bad = p ? check_struct(f->sub, v, p) : NULL;
        } else if (f->type == SAMSA_FT_ARRAY && f->elem == SAMSA_FT_STRUCT) {
            const samsa_array_t *a = src;
            for (int32_t j = 0; !bad && j < a->count; j++) {
                bad = check_struct(f->sub, v,
                                   (const char *)a->items +
                                       (size_t)j * f->sub->size);
            }
        }
        if (bad) {
            return bad;
        }
    }
    return NULL;
}

samsa_err_t samsa_msg_check_version(const samsa_msg_desc_t *d, int16_t version,
                                    const void *msg, const char **field)
{
    const samsa_field_desc_t *bad = check_struct(d->body, version, msg);
    if (field) {
        *field = bad ? bad->name : NULL;
    }
    return bad ? SAMSA_ERR_UNSUPPORTED_VERSION : SAMSA_OK;
}
