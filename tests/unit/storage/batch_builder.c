/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch_builder.c - RecordBatch v2 encoder for storage tests.
 */
#include "batch_builder.h"

#include <string.h>

uint32_t tb_crc32c(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static size_t varint(uint8_t *p, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (z >= 0x80) {
        p[n++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    p[n++] = (uint8_t)z;
    return n;
}

static size_t read_varint(const uint8_t *p, int64_t *v)
{
    uint64_t z = 0;
    size_t n = 0;
    int shift = 0;
    do {
        z |= (uint64_t)(p[n] & 0x7f) << shift;
        shift += 7;
    } while (p[n++] & 0x80);
    *v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    return n;
}

static size_t encode_record(uint8_t *out, int64_t ts_delta, int index,
                            const uint8_t *key, int klen, const uint8_t *val,
                            int vlen)
{
    uint8_t body[1 << 16];
    size_t n = 0;
    body[n++] = 0;
    n += varint(body + n, ts_delta);
    n += varint(body + n, index);
    n += varint(body + n, klen);
    if (klen > 0) {
        memcpy(body + n, key, (size_t)klen);
        n += (size_t)klen;
    }
    n += varint(body + n, vlen);
    if (vlen > 0) {
        memcpy(body + n, val, (size_t)vlen);
        n += (size_t)vlen;
    }
    n += varint(body + n, 0);
    size_t h = varint(out, (int64_t)n);
    memcpy(out + h, body, n);
    return h + n;
}

static size_t finish(uint8_t *out, size_t len, int64_t base, int n,
                     int64_t base_ts, int64_t max_ts)
{
    put64(out, (uint64_t)base);
    put32(out + 8, (uint32_t)(len - 12));
    put32(out + 12, 0xffffffffu);
    out[16] = 2;
    out[21] = 0;
    out[22] = 0;
    put32(out + 23, (uint32_t)(n - 1));
    put64(out + 27, (uint64_t)base_ts);
    put64(out + 35, (uint64_t)max_ts);
    put64(out + 43, (uint64_t)-1);
    out[51] = 0xff;
    out[52] = 0xff;
    put32(out + 53, 0xffffffffu);
    put32(out + 57, (uint32_t)n);
    put32(out + 17, tb_crc32c(out + 21, len - 21));
    return len;
}

size_t tb_build(uint8_t *out, size_t cap, int64_t base, const tb_rec_t *recs,
                int n)
{
    uint8_t tmp[1 << 16];
    size_t len = 61;
    int64_t max_ts = recs[0].ts;
    for (int i = 0; i < n; i++) {
        const tb_rec_t *r = &recs[i];
        int klen = r->key ? (int)strlen(r->key) : -1;
        int vlen = r->value ? (int)strlen(r->value) : -1;
        size_t rl =
            encode_record(tmp, r->ts - recs[0].ts, i, (const uint8_t *)r->key,
                          klen, (const uint8_t *)r->value, vlen);
        if (len + rl > cap) {
            return 0;
        }
        memcpy(out + len, tmp, rl);
        len += rl;
        if (r->ts > max_ts) {
            max_ts = r->ts;
        }
    }
    return finish(out, len, base, n, recs[0].ts, max_ts);
}

size_t tb_build_fill(uint8_t *out, size_t cap, int64_t base, int n,
                     size_t value_size, int64_t ts)
{
    uint8_t val[1 << 15];
    size_t len = 61;
    if (value_size > sizeof(val)) {
        return 0;
    }
    for (int i = 0; i < n; i++) {
        uint64_t x = (uint64_t)(base + i) * 0x9e3779b97f4a7c15ull;
        for (size_t k = 0; k < value_size; k++) {
            x ^= x >> 13;
            x *= 0xff51afd7ed558ccdull;
            val[k] = (uint8_t)(x >> 56);
        }
        if (len + value_size + 32 > cap) {
            return 0;
        }
        len += encode_record(out + len, 0, i, NULL, -1, val, (int)value_size);
    }
    return finish(out, len, base, n, ts, ts);
}

bool tb_check(const uint8_t *p, size_t avail, int64_t *base, int64_t *last,
              size_t *size)
{
    if (avail < 61 || p[16] != 2) {
        return false;
    }
    size_t len = (size_t)get32(p + 8) + 12;
    if (len > avail || tb_crc32c(p + 21, len - 21) != get32(p + 17)) {
        return false;
    }
    *base = (int64_t)((uint64_t)get32(p) << 32 | get32(p + 4));
    *last = *base + (int32_t)get32(p + 23);
    *size = len;
    return true;
}

bool tb_record(const uint8_t *batch, int index, const uint8_t **key, int *klen,
               const uint8_t **value, int *vlen, int64_t *offset)
{
    int count = (int)get32(batch + 57);
    const uint8_t *p = batch + 61;
    int64_t base = (int64_t)((uint64_t)get32(batch) << 32 | get32(batch + 4));
    for (int i = 0; i < count; i++) {
        int64_t len, v, od, kl, vl;
        p += read_varint(p, &len);
        const uint8_t *next = p + len;
        p++;
        p += read_varint(p, &v);
        p += read_varint(p, &od);
        p += read_varint(p, &kl);
        const uint8_t *k = p;
        p += kl > 0 ? kl : 0;
        p += read_varint(p, &vl);
        if (i == index) {
            *key = kl < 0 ? NULL : k;
            *klen = (int)kl;
            *value = vl < 0 ? NULL : p;
            *vlen = (int)vl;
            *offset = base + od;
            return true;
        }
        p = next;
    }
    return false;
}
