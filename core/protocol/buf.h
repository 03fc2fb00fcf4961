/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/protocol/buf.h - bounds-checked Kafka primitive reader and an
 * iobuf-backed writer.
 *
 * Reader: samsa_rbuf_t is a cursor over one received frame. Every read
 * checks the bytes left first and returns SAMSA_ERR_PROTOCOL (cursor
 * unchanged) if the input is too short or malformed. Strings and bytes are
 * returned as pointers INTO the frame (zero copy): the frame must outlive
 * whatever was decoded from it.
 *
 * Writer: samsa_wbuf_t appends to a samsa_iobuf_t. It reserves memory in
 * blocks (not per field) and gives the unused tail back in
 * samsa_wbuf_flush(), so a message costs a handful of iobuf_reserve calls.
 * Errors are sticky: after a failed reservation every write is a no-op and
 * samsa_wbuf_flush() returns SAMSA_ERR_NOMEM.
 *
 * Owner: one thread at a time; no global state.
 */
#ifndef SAMSA_PROTOCOL_BUF_H
#define SAMSA_PROTOCOL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <samsa/errors.h>

#include "util/iobuf.h"

/* A string as it is on the wire: not NUL-terminated; len -1 = null. */
typedef struct samsa_str {
    const char *ptr;
    int32_t len;
} samsa_str_t;

/* Opaque bytes; len -1 = null. */
typedef struct samsa_bytes {
    const uint8_t *ptr;
    int32_t len;
} samsa_bytes_t;

/*
 * A record set (RECORDS / COMPACT_RECORDS); len -1 = null. On encode, if
 * encode_ext is set, the length prefix is written from len and then
 * encode_ext(out, ext_arg) must append exactly len bytes (e.g. a file slice
 * via samsa_iobuf_append_file); otherwise ptr/len are copied.
 */
typedef struct samsa_records {
    const uint8_t *ptr;
    int32_t len;
    void (*encode_ext)(samsa_iobuf_t *out, void *arg);
    void *ext_arg;
} samsa_records_t;

/* 16 bytes in wire order (most significant byte first). */
typedef struct samsa_uuid {
    uint8_t b[16];
} samsa_uuid_t;

/* Literal helper: SAMSA_STR("abc"). */
#define SAMSA_STR(lit) ((samsa_str_t){(lit), (int32_t)(sizeof(lit) - 1)})
#define SAMSA_STR_NULL ((samsa_str_t){NULL, -1})
samsa_str_t samsa_str_from_cstr(const char *s);  /* NULL -> null string */
bool samsa_str_eq(samsa_str_t a, samsa_str_t b); /* null == null only */
bool samsa_str_eq_cstr(samsa_str_t a, const char *s);

/* ------------------------------------------------------------ reader */

typedef struct samsa_rbuf {
    const uint8_t *p;
    const uint8_t *end;
} samsa_rbuf_t;

static inline void samsa_rbuf_init(samsa_rbuf_t *rb, const void *p, size_t n)
{
    rb->p = (const uint8_t *)p;
    rb->end = rb->p + n;
}

static inline size_t samsa_rbuf_left(const samsa_rbuf_t *rb)
{
    return (size_t)(rb->end - rb->p);
}

samsa_err_t samsa_rbuf_skip(samsa_rbuf_t *rb, size_t n);
samsa_err_t samsa_rbuf_read_raw(samsa_rbuf_t *rb, size_t n, const uint8_t **p);

static inline samsa_err_t samsa_rbuf_read_i8(samsa_rbuf_t *rb, int8_t *v)
{
    if (rb->end - rb->p < 1) {
        return SAMSA_ERR_PROTOCOL;
    }
    *v = (int8_t)rb->p[0];
    rb->p += 1;
    return SAMSA_OK;
}

static inline samsa_err_t samsa_rbuf_read_u16(samsa_rbuf_t *rb, uint16_t *v)
{
    if (rb->end - rb->p < 2) {
        return SAMSA_ERR_PROTOCOL;
    }
    *v = (uint16_t)((uint16_t)rb->p[0] << 8 | rb->p[1]);
    rb->p += 2;
    return SAMSA_OK;
}

static inline samsa_err_t samsa_rbuf_read_i16(samsa_rbuf_t *rb, int16_t *v)
{
    uint16_t u = 0;
    samsa_err_t err = samsa_rbuf_read_u16(rb, &u);
    *v = (int16_t)u;
    return err;
}

static inline samsa_err_t samsa_rbuf_read_u32(samsa_rbuf_t *rb, uint32_t *v)
{
    if (rb->end - rb->p < 4) {
        return SAMSA_ERR_PROTOCOL;
    }
    *v = (uint32_t)rb->p[0] << 24 | (uint32_t)rb->p[1] << 16 |
         (uint32_t)rb->p[2] << 8 | rb->p[3];
    rb->p += 4;
    return SAMSA_OK;
}

static inline samsa_err_t samsa_rbuf_read_i32(samsa_rbuf_t *rb, int32_t *v)
{
    uint32_t u = 0;
    samsa_err_t err = samsa_rbuf_read_u32(rb, &u);
    *v = (int32_t)u;
    return err;
}

static inline samsa_err_t samsa_rbuf_read_u64(samsa_rbuf_t *rb, uint64_t *v)
{
    if (rb->end - rb->p < 8) {
        return SAMSA_ERR_PROTOCOL;
    }
    uint64_t r = 0;
    for (int i = 0; i < 8; i++) {
        r = r << 8 | rb->p[i];
    }
    *v = r;
    rb->p += 8;
    return SAMSA_OK;
}

static inline samsa_err_t samsa_rbuf_read_i64(samsa_rbuf_t *rb, int64_t *v)
{
    uint64_t u = 0;
    samsa_err_t err = samsa_rbuf_read_u64(rb, &u);
    *v = (int64_t)u;
    return err;
}

samsa_err_t samsa_rbuf_read_f64(samsa_rbuf_t *rb, double *v);
samsa_err_t samsa_rbuf_read_uuid(samsa_rbuf_t *rb, samsa_uuid_t *v);
samsa_err_t samsa_rbuf_read_uvarint(samsa_rbuf_t *rb, uint32_t *v);
samsa_err_t samsa_rbuf_read_varint(samsa_rbuf_t *rb, int32_t *v);
samsa_err_t samsa_rbuf_read_uvarlong(samsa_rbuf_t *rb, uint64_t *v);
samsa_err_t samsa_rbuf_read_varlong(samsa_rbuf_t *rb, int64_t *v);

/* STRING / NULLABLE_STRING (int16 length). A null is an error unless
 * nullable. */
samsa_err_t samsa_rbuf_read_str(samsa_rbuf_t *rb, bool nullable,
                                samsa_str_t *s);
/* COMPACT_STRING / COMPACT_NULLABLE_STRING (uvarint length + 1). */
samsa_err_t samsa_rbuf_read_cstr(samsa_rbuf_t *rb, bool nullable,
                                 samsa_str_t *s);
/* BYTES / NULLABLE_BYTES (int32 length). */
samsa_err_t samsa_rbuf_read_bytes(samsa_rbuf_t *rb, bool nullable,
                                  samsa_bytes_t *b);
/* COMPACT_BYTES / COMPACT_NULLABLE_BYTES. */
samsa_err_t samsa_rbuf_read_cbytes(samsa_rbuf_t *rb, bool nullable,
                                   samsa_bytes_t *b);
/*
 * ARRAY (int32 count) / COMPACT_ARRAY (uvarint count + 1); -1 = null.
 * The count is rejected unless count * min_elem_size bytes are left (an
 * element takes at least min_elem_size >= 1 bytes), so a garbage count can
 * never cause a huge allocation.
 */
samsa_err_t samsa_rbuf_read_array_len(samsa_rbuf_t *rb, bool compact,
                                      bool nullable, size_t min_elem_size,
                                      int32_t *count);

/* ------------------------------------------------------------ writer */

typedef struct samsa_wbuf {
    samsa_iobuf_t *io;
    uint8_t *p;   /* next byte to write in the current reservation */
    uint8_t *end; /* end of the current reservation */
    samsa_err_t err;
} samsa_wbuf_t;

void samsa_wbuf_init(samsa_wbuf_t *w, samsa_iobuf_t *io);
/* Give back the unused reservation; returns the sticky error. Must be
 * called before anyone else appends to the iobuf. */
samsa_err_t samsa_wbuf_flush(samsa_wbuf_t *w);
/* Slow path: make room for n contiguous bytes. Returns NULL on error. */
uint8_t *samsa_wbuf_grow(samsa_wbuf_t *w, size_t n);

static inline uint8_t *samsa_wbuf_need(samsa_wbuf_t *w, size_t n)
{
    if ((size_t)(w->end - w->p) >= n) {
        uint8_t *p = w->p;
        w->p += n;
        return p;
    }
    return samsa_wbuf_grow(w, n);
}

static inline void samsa_wbuf_i8(samsa_wbuf_t *w, int8_t v)
{
    uint8_t *p = samsa_wbuf_need(w, 1);
    if (p) {
        p[0] = (uint8_t)v;
    }
}

static inline void samsa_wbuf_u16(samsa_wbuf_t *w, uint16_t v)
{
    uint8_t *p = samsa_wbuf_need(w, 2);
    if (p) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    }
}

static inline void samsa_wbuf_i16(samsa_wbuf_t *w, int16_t v)
{
    samsa_wbuf_u16(w, (uint16_t)v);
}

static inline void samsa_wbuf_u32(samsa_wbuf_t *w, uint32_t v)
{
    uint8_t *p = samsa_wbuf_need(w, 4);
    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static inline void samsa_wbuf_i32(samsa_wbuf_t *w, int32_t v)
{
    samsa_wbuf_u32(w, (uint32_t)v);
}

static inline void samsa_wbuf_u64(samsa_wbuf_t *w, uint64_t v)
{
    uint8_t *p = samsa_wbuf_need(w, 8);
    if (p) {
        for (int i = 7; i >= 0; i--) {
            p[i] = (uint8_t)v;
            v >>= 8;
        }
    }
}

static inline void samsa_wbuf_i64(samsa_wbuf_t *w, int64_t v)
{
    samsa_wbuf_u64(w, (uint64_t)v);
}

static inline void samsa_wbuf_uvarint(samsa_wbuf_t *w, uint32_t v)
{
    if (v < 0x80) {
        uint8_t *p = samsa_wbuf_need(w, 1);
        if (p) {
            p[0] = (uint8_t)v;
        }
        return;
    }
    uint8_t tmp[5];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    uint8_t *p = samsa_wbuf_need(w, n);
    if (p) {
        memcpy(p, tmp, n);
    }
}

void samsa_wbuf_raw(samsa_wbuf_t *w, const void *src, size_t n);
void samsa_wbuf_f64(samsa_wbuf_t *w, double v);
void samsa_wbuf_uuid(samsa_wbuf_t *w, const samsa_uuid_t *v);
void samsa_wbuf_varint(samsa_wbuf_t *w, int32_t v);
void samsa_wbuf_uvarlong(samsa_wbuf_t *w, uint64_t v);
void samsa_wbuf_varlong(samsa_wbuf_t *w, int64_t v);
/* Strings/bytes in either form. A null value in a non-nullable position is
 * the caller's business (the codec checks it). */
void samsa_wbuf_str(samsa_wbuf_t *w, bool compact, samsa_str_t s);
void samsa_wbuf_bytes(samsa_wbuf_t *w, bool compact, samsa_bytes_t b);
void samsa_wbuf_array_len(samsa_wbuf_t *w, bool compact, int32_t count);
/* Records: prefix, then bytes or the encode_ext callback. */
void samsa_wbuf_records(samsa_wbuf_t *w, bool compact,
                        const samsa_records_t *r);

/* Encoded sizes (for tagged-field length prefixes). */
size_t samsa_uvarint_size(uint32_t v);
size_t samsa_uvarlong_size(uint64_t v);

#endif /* SAMSA_PROTOCOL_BUF_H */
