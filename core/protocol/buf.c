/* SPDX-License-Identifier: Apache-2.0 */
/* core/protocol/buf.c - see buf.h. */
#include "protocol/buf.h"

#include <string.h>

/* Smallest block the writer reserves at once. */
#define WBUF_BLOCK 2048

samsa_str_t samsa_str_from_cstr(const char *s)
{
    if (!s) {
        return SAMSA_STR_NULL;
    }
    return (samsa_str_t){s, (int32_t)strlen(s)};
}

bool samsa_str_eq(samsa_str_t a, samsa_str_t b)
{
    if (a.len < 0 || b.len < 0) {
        return a.len < 0 && b.len < 0;
    }
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool samsa_str_eq_cstr(samsa_str_t a, const char *s)
{
    return samsa_str_eq(a, samsa_str_from_cstr(s));
}

/* ------------------------------------------------------------ reader */

samsa_err_t samsa_rbuf_skip(samsa_rbuf_t *rb, size_t n)
{
    if (samsa_rbuf_left(rb) < n) {
        return SAMSA_ERR_PROTOCOL;
    }
    rb->p += n;
    return SAMSA_OK;
}

samsa_err_t samsa_rbuf_read_raw(samsa_rbuf_t *rb, size_t n, const uint8_t **p)
{
    if (samsa_rbuf_left(rb) < n) {
        return SAMSA_ERR_PROTOCOL;
    }
    *p = rb->p;
    rb->p += n;
    return SAMSA_OK;
}

samsa_err_t samsa_rbuf_read_f64(samsa_rbuf_t *rb, double *v)
{
    uint64_t u;
    samsa_err_t err = samsa_rbuf_read_u64(rb, &u);
    if (err == SAMSA_OK) {
        memcpy(v, &u, sizeof(*v));
    }
    return err;
}

samsa_err_t samsa_rbuf_read_uuid(samsa_rbuf_t *rb, samsa_uuid_t *v)
{
    if (samsa_rbuf_left(rb) < 16) {
        return SAMSA_ERR_PROTOCOL;
    }
    memcpy(v->b, rb->p, 16);
    rb->p += 16;
    return SAMSA_OK;
}

samsa_err_t samsa_rbuf_read_uvarlong(samsa_rbuf_t *rb, uint64_t *v)
{
    uint64_t r = 0;
    const uint8_t *p = rb->p;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= rb->end) {
            return SAMSA_ERR_PROTOCOL;
        }
        uint8_t b = *p++;
        if (shift == 63 && (b & 0x7e)) {
            return SAMSA_ERR_PROTOCOL; /* more than 64 bits */
        }
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            rb->p = p;
            *v = r;
            return SAMSA_OK;
        }
    }
    return SAMSA_ERR_PROTOCOL; /* > 10 bytes */
}

samsa_err_t samsa_rbuf_read_uvarint(samsa_rbuf_t *rb, uint32_t *v)
{
    /* Fast path: one byte, the common case for lengths and tag counts. */
    if (rb->p < rb->end && !(rb->p[0] & 0x80)) {
        *v = rb->p[0];
        rb->p++;
        return SAMSA_OK;
    }
    uint32_t r = 0;
    const uint8_t *p = rb->p;
    for (int shift = 0; shift < 35; shift += 7) {
        if (p >= rb->end) {
            return SAMSA_ERR_PROTOCOL;
        }
        uint8_t b = *p++;
        if (shift == 28 && (b & 0x70)) {
            return SAMSA_ERR_PROTOCOL; /* more than 32 bits */
        }
        r |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            rb->p = p;
            *v = r;
            return SAMSA_OK;
        }
    }
    return SAMSA_ERR_PROTOCOL; /* Kafka: "varint is too long" */
}

samsa_err_t samsa_rbuf_read_varint(samsa_rbuf_t *rb, int32_t *v)
{
    uint32_t u;
    samsa_err_t err = samsa_rbuf_read_uvarint(rb, &u);
    if (err == SAMSA_OK) {
        *v = (int32_t)((u >> 1) ^ (~(u & 1) + 1));
    }
    return err;
}

samsa_err_t samsa_rbuf_read_varlong(samsa_rbuf_t *rb, int64_t *v)
{
    uint64_t u;
    samsa_err_t err = samsa_rbuf_read_uvarlong(rb, &u);
    if (err == SAMSA_OK) {
        *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    }
    return err;
}

/* Take n bytes (n >= 0) or mark null (n == -1). */
static samsa_err_t take(samsa_rbuf_t *rb, int64_t n, bool nullable,
                        const uint8_t **ptr, int32_t *len)
{
    if (n < 0) {
        if (n != -1 || !nullable) {
            return SAMSA_ERR_PROTOCOL;
        }
        *ptr = NULL;
        *len = -1;
        return SAMSA_OK;
    }
    if ((uint64_t)n > samsa_rbuf_left(rb) || n > INT32_MAX) {
        return SAMSA_ERR_PROTOCOL;
    }
    *ptr = rb->p;
    *len = (int32_t)n;
    rb->p += n;
    return SAMSA_OK;
}

samsa_err_t samsa_rbuf_read_str(samsa_rbuf_t *rb, bool nullable, samsa_str_t *s)
{
    const uint8_t *save = rb->p;
    int16_t n;
    samsa_err_t err = samsa_rbuf_read_i16(rb, &n);
    if (err == SAMSA_OK) {
        const uint8_t *p = NULL;
        err = take(rb, n, nullable, &p, &s->len);
        s->ptr = (const char *)p;
    }
    if (err != SAMSA_OK) {
        rb->p = save;
    }
    return err;
}

samsa_err_t samsa_rbuf_read_cstr(samsa_rbuf_t *rb, bool nullable,
                                 samsa_str_t *s)
{
    const uint8_t *save = rb->p;
    uint32_t n;
    samsa_err_t err = samsa_rbuf_read_uvarint(rb, &n);
    if (err == SAMSA_OK) {
        const uint8_t *p = NULL;
        err = take(rb, (int64_t)n - 1, nullable, &p, &s->len);
        s->ptr = (const char *)p;
    }
    if (err != SAMSA_OK) {
        rb->p = save;
    }
    return err;
}

samsa_err_t samsa_rbuf_read_bytes(samsa_rbuf_t *rb, bool nullable,
                                  samsa_bytes_t *b)
{
    const uint8_t *save = rb->p;
    int32_t n;
    samsa_err_t err = samsa_rbuf_read_i32(rb, &n);
    if (err == SAMSA_OK) {
        err = take(rb, n, nullable, &b->ptr, &b->len);
    }
    if (err != SAMSA_OK) {
        rb->p = save;
    }
    return err;
}

samsa_err_t samsa_rbuf_read_cbytes(samsa_rbuf_t *rb, bool nullable,
                                   samsa_bytes_t *b)
{
    const uint8_t *save = rb->p;
    uint32_t n;
    samsa_err_t err = samsa_rbuf_read_uvarint(rb, &n);
    if (err == SAMSA_OK) {
        err = take(rb, (int64_t)n - 1, nullable, &b->ptr, &b->len);
    }
    if (err != SAMSA_OK) {
        rb->p = save;
    }
    return err;
}

samsa_err_t samsa_rbuf_read_array_len(samsa_rbuf_t *rb, bool compact,
                                      bool nullable, size_t min_elem_size,
                                      int32_t *count)
{
    const uint8_t *save = rb->p;
    int64_t n;
    samsa_err_t err;
    if (compact) {
        uint32_t u;
        err = samsa_rbuf_read_uvarint(rb, &u);
        n = (int64_t)u - 1;
    } else {
        int32_t i;
        err = samsa_rbuf_read_i32(rb, &i);
        n = i;
    }
    if (err != SAMSA_OK) {
        return err;
    }
    if (min_elem_size == 0) {
        min_elem_size = 1;
    }
    if (n < -1 || (n == -1 && !nullable) || n > INT32_MAX ||
        (n > 0 && (uint64_t)n > samsa_rbuf_left(rb) / min_elem_size)) {
        rb->p = save;
        return SAMSA_ERR_PROTOCOL;
    }
    *count = (int32_t)n;
    return SAMSA_OK;
}

/* ------------------------------------------------------------ writer */

void samsa_wbuf_init(samsa_wbuf_t *w, samsa_iobuf_t *io)
{
    w->io = io;
    w->p = w->end = NULL;
    w->err = SAMSA_OK;
}

/*
 * The writer reserves blocks and hands back what it did not use. iobuf has
 * no "unreserve" call, so this shortens the last MEM chunk directly; it is
 * only done when that chunk provably ends at our reservation.
 */
static void wbuf_giveback(samsa_wbuf_t *w)
{
    size_t unused = (size_t)(w->end - w->p);
    samsa_iobuf_t *io = w->io;
    if (unused > 0 && io->count > io->head) {
        samsa_iobuf_chunk_t *c = &io->chunks[io->count - 1];
        if (c->kind == SAMSA_IOBUF_MEM && c->data + c->len == w->end &&
            c->len >= unused) {
            c->len -= unused;
            io->len -= unused;
        } else if (w->err == SAMSA_OK) {
            w->err = SAMSA_ERR_INVAL; /* someone appended behind our back */
        }
    }
    w->p = w->end = NULL;
}

samsa_err_t samsa_wbuf_flush(samsa_wbuf_t *w)
{
    wbuf_giveback(w);
    return w->err;
}

/* Free bytes at the end of the iobuf's last MEM chunk (reusable space). */
static size_t tail_room(const samsa_iobuf_t *io)
{
    if (io->count <= io->head) {
        return 0;
    }
    const samsa_iobuf_chunk_t *c = &io->chunks[io->count - 1];
    return c->kind == SAMSA_IOBUF_MEM ? c->cap - c->len : 0;
}

uint8_t *samsa_wbuf_grow(samsa_wbuf_t *w, size_t n)
{
    if (w->err != SAMSA_OK) {
        return NULL;
    }
    wbuf_giveback(w);
    size_t want = tail_room(w->io);
    if (want < n) {
        want = n > WBUF_BLOCK ? n : WBUF_BLOCK;
    }
    uint8_t *p = samsa_iobuf_reserve(w->io, want);
    if (!p) {
        w->err = SAMSA_ERR_NOMEM;
        return NULL;
    }
    w->p = p + n;
    w->end = p + want;
    return p;
}

void samsa_wbuf_raw(samsa_wbuf_t *w, const void *src, size_t n)
{
    if (n == 0) {
        return;
    }
    uint8_t *p = samsa_wbuf_need(w, n);
    if (p) {
        memcpy(p, src, n);
    }
}

void samsa_wbuf_f64(samsa_wbuf_t *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    samsa_wbuf_u64(w, u);
}

void samsa_wbuf_uuid(samsa_wbuf_t *w, const samsa_uuid_t *v)
{
    samsa_wbuf_raw(w, v->b, 16);
}

void samsa_wbuf_uvarlong(samsa_wbuf_t *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    samsa_wbuf_raw(w, tmp, n);
}

void samsa_wbuf_varint(samsa_wbuf_t *w, int32_t v)
{
    samsa_wbuf_uvarint(w, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void samsa_wbuf_varlong(samsa_wbuf_t *w, int64_t v)
{
    samsa_wbuf_uvarlong(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void wbuf_len(samsa_wbuf_t *w, bool compact, bool wide, int32_t len)
{
    if (compact) {
        samsa_wbuf_uvarint(w, len < 0 ? 0 : (uint32_t)len + 1);
    } else if (wide) {
        samsa_wbuf_i32(w, len < 0 ? -1 : len);
    } else {
        samsa_wbuf_i16(w, (int16_t)(len < 0 ? -1 : len));
    }
}

void samsa_wbuf_str(samsa_wbuf_t *w, bool compact, samsa_str_t s)
{
    wbuf_len(w, compact, false, s.len);
    if (s.len > 0) {
        samsa_wbuf_raw(w, s.ptr, (size_t)s.len);
    }
}

void samsa_wbuf_bytes(samsa_wbuf_t *w, bool compact, samsa_bytes_t b)
{
    wbuf_len(w, compact, true, b.len);
    if (b.len > 0) {
        samsa_wbuf_raw(w, b.ptr, (size_t)b.len);
    }
}

void samsa_wbuf_array_len(samsa_wbuf_t *w, bool compact, int32_t count)
{
    wbuf_len(w, compact, true, count);
}

void samsa_wbuf_records(samsa_wbuf_t *w, bool compact, const samsa_records_t *r)
{
    wbuf_len(w, compact, true, r->len);
    if (r->len <= 0) {
        return;
    }
    if (!r->encode_ext) {
        samsa_wbuf_raw(w, r->ptr, (size_t)r->len);
        return;
    }
    /* The callback appends its own chunks: close our reservation first. */
    wbuf_giveback(w);
    if (w->err != SAMSA_OK) {
        return;
    }
    size_t before = samsa_iobuf_len(w->io);
    r->encode_ext(w->io, r->ext_arg);
    if (samsa_iobuf_len(w->io) != before + (size_t)r->len) {
        w->err = SAMSA_ERR_INVAL;
    }
}

size_t samsa_uvarint_size(uint32_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t samsa_uvarlong_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}
