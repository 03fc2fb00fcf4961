/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch.c - RecordBatch v2 framing, CRC-32C and record iteration.
 */
#include "batch.h"

#include <string.h>

#include "util/crc32c.h"

/* The broker's CRC-32C (hardware when the CPU has it), compiled into this
 * plugin from core/util/crc32c.c: plugins share source, never symbols. */
uint32_t sb_crc32c(uint32_t crc, const void *data, size_t len)
{
    return samsa_crc32c(crc, data, len);
}

int sb_parse(const uint8_t *p, size_t avail, sb_info_t *out)
{
    if (avail < SB_HDR_SIZE) {
        return SB_SHORT;
    }
    int32_t blen = (int32_t)sb_get32(p + SB_OFF_LENGTH);
    int32_t delta = (int32_t)sb_get32(p + SB_OFF_LAST_DELTA);
    int32_t count = (int32_t)sb_get32(p + SB_OFF_COUNT);
    if (p[SB_OFF_MAGIC] != 2 || blen < SB_HDR_SIZE - SB_LOG_OVERHEAD ||
        blen > SB_MAX_BATCH || delta < 0 || count < 0) {
        return SB_BAD;
    }
    out->base = (int64_t)sb_get64(p);
    out->last = out->base + delta;
    out->base_ts = (int64_t)sb_get64(p + SB_OFF_BASE_TS);
    out->max_ts = (int64_t)sb_get64(p + SB_OFF_MAX_TS);
    out->size = (int64_t)blen + SB_LOG_OVERHEAD;
    out->count = count;
    out->attrs = (uint16_t)((p[SB_OFF_ATTRS] << 8) | p[SB_OFF_ATTRS + 1]);
    if (out->base < 0) {
        return SB_BAD;
    }
    if ((uint64_t)out->size > avail) {
        return SB_SHORT;
    }
    return SB_OK;
}

bool sb_crc_ok(const uint8_t *batch, size_t size)
{
    uint32_t want = sb_get32(batch + SB_OFF_CRC);
    return sb_crc32c(0, batch + SB_OFF_ATTRS, size - SB_OFF_ATTRS) == want;
}

void sb_crc_set(uint8_t *batch, size_t size)
{
    sb_put32(batch + SB_OFF_CRC,
             sb_crc32c(0, batch + SB_OFF_ATTRS, size - SB_OFF_ATTRS));
}

/* Zig-zag varint of at most @p max_bytes; false on overrun. */
static bool read_varlong(const uint8_t **pp, const uint8_t *end, int64_t *out,
                         int max_bytes)
{
    uint64_t v = 0;
    const uint8_t *p = *pp;
    for (int shift = 0, i = 0; i < max_bytes; i++, shift += 7) {
        if (p >= end) {
            return false;
        }
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            *pp = p;
            return true;
        }
    }
    return false;
}

bool sb_iter_init(sb_iter_t *it, const uint8_t *batch, const sb_info_t *info)
{
    it->info = *info;
    it->p = batch + SB_HDR_SIZE;
    it->end = batch + info->size;
    it->left = info->count;
    return (info->attrs & SB_ATTR_CODEC_MASK) == 0;
}

int sb_iter_next(sb_iter_t *it, sb_record_t *rec)
{
    if (it->left == 0) {
        return 0;
    }
    const uint8_t *start = it->p;
    const uint8_t *p = start;
    int64_t len, ts_delta, off_delta, klen, vlen;
    if (!read_varlong(&p, it->end, &len, 5) || len < 0 || len > it->end - p) {
        return -1;
    }
    const uint8_t *rend = p + len;
    p++; /* record attributes */
    if (p > rend || !read_varlong(&p, rend, &ts_delta, 10) ||
        !read_varlong(&p, rend, &off_delta, 5) ||
        !read_varlong(&p, rend, &klen, 5) || klen < -1 || klen > rend - p) {
        return -1;
    }
    rec->key = klen < 0 ? NULL : p;
    rec->key_len = (int32_t)klen;
    if (klen > 0) {
        p += klen;
    }
    if (!read_varlong(&p, rend, &vlen, 5) || vlen < -1 || vlen > rend - p) {
        return -1;
    }
    rec->tombstone = vlen < 0;
    rec->raw = start;
    rec->raw_len = (size_t)(rend - start);
    rec->offset = it->info.base + off_delta;
    rec->ts = (it->info.attrs & SB_ATTR_LOG_APPEND_TIME)
                  ? it->info.max_ts
                  : it->info.base_ts + ts_delta;
    it->p = rend;
    it->left--;
    return 1;
}
