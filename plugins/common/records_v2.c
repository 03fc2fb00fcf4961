/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/records_v2.c - see records_v2.h. */
#include "records_v2.h"

size_t samsa_put_varlong(uint8_t *p, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (u >= 0x80) {
        p[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u;
    return n;
}

/* Zig-zag of an int32 widened to int64 is the same number: one encoder. */
size_t samsa_put_varint(uint8_t *p, int32_t v)
{
    return samsa_put_varlong(p, v);
}

size_t samsa_varint_size(int32_t v)
{
    uint8_t tmp[SAMSA_VARINT_MAX];
    return samsa_put_varint(tmp, v);
}

size_t samsa_varlong_size(int64_t v)
{
    uint8_t tmp[SAMSA_VARLONG_MAX];
    return samsa_put_varlong(tmp, v);
}

/* Unsigned LEB128 of at most max bytes. */
static size_t get_uvar(const uint8_t *p, size_t len, size_t max, uint64_t *out)
{
    uint64_t u = 0;
    for (size_t i = 0; i < len && i < max; i++) {
        u |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *out = u;
            return i + 1;
        }
    }
    return 0;
}

size_t samsa_get_varint(const uint8_t *p, size_t len, int32_t *out)
{
    uint64_t u;
    size_t n = get_uvar(p, len, SAMSA_VARINT_MAX, &u);
    if (n == 0 || u > UINT32_MAX) {
        return 0;
    }
    uint32_t w = (uint32_t)u;
    *out = (int32_t)((w >> 1) ^ (0u - (w & 1)));
    return n;
}

size_t samsa_get_varlong(const uint8_t *p, size_t len, int64_t *out)
{
    uint64_t u;
    size_t n = get_uvar(p, len, SAMSA_VARLONG_MAX, &u);
    if (n == 0 || (n == SAMSA_VARLONG_MAX && p[9] > 1)) {
        return 0;
    }
    *out = (int64_t)((u >> 1) ^ (0 - (u & 1)));
    return n;
}

/* Read a varint length followed by that many bytes (-1 = null when
 * nullable). */
static bool get_blob(const uint8_t **p, const uint8_t *end, bool nullable,
                     const uint8_t **data, int32_t *len)
{
    size_t n = samsa_get_varint(*p, (size_t)(end - *p), len);
    if (n == 0) {
        return false;
    }
    *p += n;
    if (*len < 0) {
        *data = NULL;
        *len = -1;
        return nullable;
    }
    if (*len > end - *p) {
        return false;
    }
    *data = *p;
    *p += *len;
    return true;
}

samsa_err_t samsa_record_header_next(const uint8_t **p, const uint8_t *end,
                                     samsa_record_header_t *out)
{
    const uint8_t *q = *p;
    if (!get_blob(&q, end, false, &out->key, &out->key_len) ||
        !get_blob(&q, end, true, &out->value, &out->value_len)) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    *p = q;
    return SAMSA_OK;
}

samsa_err_t samsa_record_iter_init(samsa_record_iter_t *it,
                                   const uint8_t *batch, size_t len)
{
    samsa_err_t err = samsa_batch_parse(batch, len, &it->hdr);
    if (err != SAMSA_OK) {
        return err;
    }
    if (samsa_batch_codec(&it->hdr) != 0) {
        return SAMSA_ERR_UNSUPPORTED;
    }
    if (it->hdr.record_count < 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    it->p = batch + SAMSA_BATCH_HEADER_SIZE;
    it->end = batch + samsa_batch_size(&it->hdr);
    it->remaining = it->hdr.record_count;
    return SAMSA_OK;
}

static samsa_err_t parse_record(samsa_record_iter_t *it, const uint8_t *p,
                                const uint8_t *end, samsa_record_t *out)
{
    if (p >= end) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    out->attributes = (int8_t)*p++;
    int64_t ts_delta;
    int32_t off_delta;
    size_t n = samsa_get_varlong(p, (size_t)(end - p), &ts_delta);
    if (n == 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    p += n;
    n = samsa_get_varint(p, (size_t)(end - p), &off_delta);
    if (n == 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    p += n;
    /* Wrapping, as Java's long arithmetic in Kafka: a hostile base near
     * INT64_MAX is no undefined behaviour (the fuzzer found one). */
    out->timestamp =
        (int64_t)((uint64_t)it->hdr.base_timestamp + (uint64_t)ts_delta);
    out->offset =
        (int64_t)((uint64_t)it->hdr.base_offset + (uint64_t)(int64_t)off_delta);
    if (!get_blob(&p, end, true, &out->key, &out->key_len) ||
        !get_blob(&p, end, true, &out->value, &out->value_len)) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    n = samsa_get_varint(p, (size_t)(end - p), &out->header_count);
    if (n == 0 || out->header_count < 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    p += n;
    out->headers = p;
    for (int32_t i = 0; i < out->header_count; i++) {
        samsa_record_header_t h;
        if (samsa_record_header_next(&p, end, &h) != SAMSA_OK) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
    }
    out->headers_len = (size_t)(p - out->headers);
    /* The record's declared length must cover exactly its fields. */
    return p == end ? SAMSA_OK : SAMSA_ERR_CORRUPT_MESSAGE;
}

samsa_err_t samsa_record_iter_next(samsa_record_iter_t *it, samsa_record_t *out)
{
    if (it->remaining == 0) {
        return it->p == it->end ? SAMSA_ERR_NOT_FOUND
                                : SAMSA_ERR_CORRUPT_MESSAGE;
    }
    int32_t rlen;
    size_t n = samsa_get_varint(it->p, (size_t)(it->end - it->p), &rlen);
    if (n == 0 || rlen < 1 || rlen > it->end - it->p - (ptrdiff_t)n) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    const uint8_t *start = it->p + n;
    samsa_err_t err = parse_record(it, start, start + rlen, out);
    if (err != SAMSA_OK) {
        return err;
    }
    out->raw = it->p;
    out->raw_len = n + (size_t)rlen;
    it->p = start + rlen;
    it->remaining--;
    return SAMSA_OK;
}

samsa_err_t samsa_batch_iter_next(samsa_batch_iter_t *it, const uint8_t **batch,
                                  samsa_batch_hdr_t *hdr)
{
    if (it->pos >= it->len) {
        return SAMSA_ERR_NOT_FOUND;
    }
    size_t left = it->len - it->pos;
    const uint8_t *p = it->p + it->pos;
    if (left < SAMSA_BATCH_HEADER_SIZE) {
        return SAMSA_ERR_NOT_FOUND; /* cut-off tail */
    }
    samsa_err_t err = samsa_batch_parse(p, left, hdr);
    if (err == SAMSA_ERR_AGAIN) {
        return SAMSA_ERR_NOT_FOUND;
    }
    if (err != SAMSA_OK) {
        return err;
    }
    *batch = p;
    it->pos += samsa_batch_size(hdr);
    return SAMSA_OK;
}

bool sb_iter_init(sb_iter_t *it, const uint8_t *batch, const sb_info_t *info)
{
    samsa_err_t err =
        samsa_record_iter_init(&it->ri, batch, (size_t)info->size);
    it->log_append_time = (info->attrs & SAMSA_BATCH_ATTR_LOG_APPEND_TIME) != 0;
    it->bad = err != SAMSA_OK;
    if (it->bad) {
        it->ri.p = it->ri.end = batch; /* nothing left to read */
    }
    return err != SAMSA_ERR_UNSUPPORTED;
}

void sb_iter_plain(sb_iter_t *it, const uint8_t *records, size_t len)
{
    it->ri.p = records;
    it->ri.end = records + len;
    it->ri.remaining =
        it->ri.hdr.record_count < 0 ? 0 : it->ri.hdr.record_count;
    it->bad = false;
}

int sb_iter_next(sb_iter_t *it, sb_record_t *rec)
{
    if (it->bad) {
        return -1;
    }
    samsa_record_t r;
    samsa_err_t err = samsa_record_iter_next(&it->ri, &r);
    if (err == SAMSA_ERR_NOT_FOUND) {
        return 0;
    }
    if (err != SAMSA_OK) {
        return -1;
    }
    rec->raw = r.raw;
    rec->raw_len = r.raw_len;
    rec->offset = r.offset;
    rec->ts = it->log_append_time ? it->ri.hdr.max_timestamp : r.timestamp;
    rec->key = r.key_len < 0 ? NULL : r.key;
    rec->key_len = r.key_len;
    rec->tombstone = r.value_len < 0;
    return 1;
}
