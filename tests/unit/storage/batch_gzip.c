/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch_gzip.c - gzip record batches for the storage tests (zlib): the
 * conformance table's codec services and its compressed batches. Kept out
 * of batch_builder.c so the storage benchmark does not need zlib.
 */
#include "batch_builder.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

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

bool tb_gzip(const void *in, size_t in_len, void **out, size_t *out_len)
{
    z_stream zs = {0};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return false;
    }
    size_t cap = deflateBound(&zs, (uLong)in_len) + 32;
    uint8_t *buf = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    int rc = buf ? deflate(&zs, Z_FINISH) : Z_MEM_ERROR;
    *out_len = zs.total_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return false;
    }
    *out = buf;
    return true;
}

bool tb_gunzip(const void *in, size_t in_len, size_t max_out, void **out,
               size_t *out_len)
{
    z_stream zs = {0};
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        return false;
    }
    size_t cap = 4096;
    uint8_t *buf = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    int rc = Z_OK;
    while (buf != NULL && rc == Z_OK) {
        if (zs.total_out == cap) {
            uint8_t *nb = cap >= max_out ? NULL : realloc(buf, cap * 2);
            if (nb == NULL) {
                break;
            }
            buf = nb;
            cap *= 2;
        }
        zs.next_out = buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        rc = inflate(&zs, Z_NO_FLUSH);
    }
    *out_len = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || *out_len > max_out) {
        free(buf);
        return false;
    }
    *out = buf;
    return true;
}

size_t tb_build_gzip(uint8_t *out, size_t cap, int64_t base,
                     const tb_rec_t *recs, int n, int64_t producer_id)
{
    static __thread uint8_t plain[1 << 16];
    size_t len = tb_build(plain, sizeof(plain), base, recs, n);
    void *z;
    size_t zlen;
    if (len == 0 || !tb_gzip(plain + 61, len - 61, &z, &zlen) ||
        61 + zlen > cap) {
        return 0;
    }
    memcpy(out, plain, 61);
    memcpy(out + 61, z, zlen);
    free(z);
    len = 61 + zlen;
    put32(out + 8, (uint32_t)(len - 12));
    out[22] = 1; /* gzip */
    put64(out + 43, (uint64_t)producer_id);
    if (producer_id >= 0) {
        out[51] = 0;
        out[52] = 0;
        put32(out + 53, (uint32_t)base);
    }
    put32(out + 17, tb_crc32c(out + 21, len - 21));
    return len;
}

uint8_t *tb_plain(const uint8_t *batch, size_t size)
{
    void *recs = NULL;
    size_t rlen = size - 61;
    if ((batch[22] & 7) == 0) {
        recs = malloc(rlen ? rlen : 1);
        memcpy(recs, batch + 61, rlen);
    } else if ((batch[22] & 7) != 1 ||
               !tb_gunzip(batch + 61, size - 61, 1 << 24, &recs, &rlen)) {
        return NULL;
    }
    uint8_t *out = malloc(61 + rlen);
    memcpy(out, batch, 61);
    memcpy(out + 61, recs, rlen);
    free(recs);
    out[22] &= (uint8_t)~7;
    put32(out + 8, (uint32_t)(61 + rlen - 12));
    return out;
}
