/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/recompress.c - see recompress.h. */
#include "broker/recompress.h"

#include <stdlib.h>
#include <string.h>

#include "record/batch.h"

/* Codec output is allocated with the services allocator; move it to a
 * plain malloc'd buffer the caller can free(). */
static samsa_err_t take(void *buf, size_t n, uint8_t **out, size_t *out_len)
{
    uint8_t *copy = malloc(n ? n : 1);
    if (copy && n) {
        memcpy(copy, buf, n);
    }
    samsa_services()->free(buf);
    if (!copy) {
        return SAMSA_ERR_NOMEM;
    }
    *out = copy;
    *out_len = n;
    return SAMSA_OK;
}

/* A codec's error as the produce path answers it. */
static samsa_err_t codec_error(samsa_err_t err)
{
    switch (err) {
    case SAMSA_OK:
    case SAMSA_ERR_NOMEM:
        return err;
    case SAMSA_ERR_TOO_LARGE:
        return SAMSA_ERR_MESSAGE_TOO_LARGE;
    default:
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
}

samsa_err_t samsa_batch_decompress(samsa_broker_t *b, int codec,
                                   const uint8_t *in, size_t len,
                                   size_t max_out, uint8_t **out,
                                   size_t *out_len)
{
    void *state;
    const samsa_codec_ops_t *ops = samsa_broker_codec(b, codec, &state);
    if (!ops) {
        return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    void *buf;
    size_t n;
    samsa_err_t err =
        codec_error(ops->decompress(state, in, len, max_out, &buf, &n));
    if (err != SAMSA_OK) {
        return err;
    }
    return take(buf, n, out, out_len);
}

/* Keeps the sink's own error apart from the codec's. */
typedef struct relay {
    samsa_err_t (*sink)(void *ctx, const void *piece, size_t n);
    void *ctx;
    samsa_err_t err;
} relay_t;

static samsa_err_t relay(void *ctx, const void *piece, size_t n)
{
    relay_t *r = ctx;
    r->err = r->sink(r->ctx, piece, n);
    return r->err;
}

samsa_err_t samsa_batch_decompress_stream(
    samsa_broker_t *b, int codec, const uint8_t *in, size_t len, size_t max_out,
    samsa_err_t (*sink)(void *ctx, const void *piece, size_t n), void *ctx)
{
    void *state;
    const samsa_codec_ops_t *ops = samsa_broker_codec(b, codec, &state);
    if (!ops) {
        return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    if (SAMSA_ABI_HAS(samsa_codec_ops_t, ops, decompress_stream) &&
        ops->decompress_stream != NULL) {
        relay_t r = {sink, ctx, SAMSA_OK};
        samsa_err_t err =
            ops->decompress_stream(state, in, len, max_out, relay, &r);
        return r.err != SAMSA_OK ? r.err : codec_error(err);
    }
    void *buf;
    size_t n;
    samsa_err_t err =
        codec_error(ops->decompress(state, in, len, max_out, &buf, &n));
    if (err == SAMSA_OK) {
        err = sink(ctx, buf, n);
        samsa_services()->free(buf);
    }
    return err;
}

static samsa_err_t compress(samsa_broker_t *b, int codec, const uint8_t *in,
                            size_t len, uint8_t **out, size_t *out_len)
{
    void *state;
    const samsa_codec_ops_t *ops = samsa_broker_codec(b, codec, &state);
    if (!ops) {
        return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    void *buf;
    size_t n;
    samsa_err_t err = ops->compress(state, in, len, &buf, &n);
    if (err != SAMSA_OK) {
        return err;
    }
    return take(buf, n, out, out_len);
}

/* Re-encode one batch's records section; *body is malloc'd. */
static samsa_err_t recode(samsa_broker_t *b, int from, int to,
                          const uint8_t *in, size_t len, size_t max_plain,
                          uint8_t **body, size_t *body_len)
{
    uint8_t *plain = NULL;
    size_t plain_len = len;
    samsa_err_t err = SAMSA_OK;
    if (from != 0) {
        err = samsa_batch_decompress(b, from, in, len, max_plain, &plain,
                                     &plain_len);
        if (err != SAMSA_OK) {
            return err;
        }
        in = plain;
    }
    if (to != 0) {
        err = compress(b, to, in, plain_len, body, body_len);
    } else {
        *body = malloc(plain_len ? plain_len : 1);
        err = *body ? SAMSA_OK : SAMSA_ERR_NOMEM;
        if (err == SAMSA_OK) {
            memcpy(*body, in, plain_len);
            *body_len = plain_len;
        }
    }
    free(plain);
    return err;
}

samsa_err_t samsa_recompress_batches(samsa_broker_t *b, const uint8_t *in,
                                     size_t len, int target, size_t max_plain,
                                     uint8_t **out, size_t *out_len)
{
    size_t cap = len + 1024, used = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = SAMSA_OK;
    size_t at = 0;
    while (err == SAMSA_OK && at < len) {
        samsa_batch_hdr_t h;
        err = samsa_batch_parse(in + at, len - at, &h);
        if (err != SAMSA_OK) {
            break;
        }
        size_t size = samsa_batch_size(&h);
        const uint8_t *records = in + at + SAMSA_BATCH_HEADER_SIZE;
        size_t records_len = size - SAMSA_BATCH_HEADER_SIZE;
        uint8_t *body = NULL;
        size_t body_len = 0;
        err = recode(b, samsa_batch_codec(&h), target, records, records_len,
                     max_plain, &body, &body_len);
        if (err != SAMSA_OK) {
            break;
        }
        size_t need = used + SAMSA_BATCH_HEADER_SIZE + body_len;
        if (need > cap) {
            cap = need * 2;
            uint8_t *n = realloc(buf, cap);
            if (!n) {
                free(body);
                err = SAMSA_ERR_NOMEM;
                break;
            }
            buf = n;
        }
        uint8_t *dst = buf + used;
        memcpy(dst, in + at, SAMSA_BATCH_HEADER_SIZE);
        memcpy(dst + SAMSA_BATCH_HEADER_SIZE, body, body_len);
        free(body);
        uint16_t attrs =
            (uint16_t)((h.attributes & ~SAMSA_BATCH_ATTR_CODEC_MASK) | target);
        samsa_put_be16(dst + SAMSA_BATCH_OFF_ATTRIBUTES, attrs);
        h.batch_length = (int32_t)(SAMSA_BATCH_HEADER_SIZE + body_len -
                                   SAMSA_BATCH_LOG_OVERHEAD);
        samsa_put_be32(dst + SAMSA_BATCH_OFF_LENGTH, (uint32_t)h.batch_length);
        samsa_batch_crc_update(dst, &h);
        used = need;
        at += size;
    }
    if (err != SAMSA_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = used;
    return SAMSA_OK;
}
