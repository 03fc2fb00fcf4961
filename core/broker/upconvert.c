/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/upconvert.c - see upconvert.h. Layout: ../shared/
 * kafka-protocol/README.md §7 (MessageSet v0/v1). */
#include "broker/upconvert.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/recompress.h"
#include "record/batch.h"
#include "record/builder.h"

#define MSG_CRC_OFF    12 /* after offset + size */
#define MIN_MESSAGE_V0 14 /* crc magic attrs keylen vallen */
#define MAX_NESTING    1  /* a wrapper's inner set is never compressed */

typedef struct conv {
    samsa_broker_t *broker;
    samsa_batch_builder_t builder;
    int codec; /* the producer's codec, kept for the v2 batch */
    int32_t records;
    size_t *plain_budget; /* what wrappers may still decompress to */
} conv_t;

static samsa_err_t read_bytes(const uint8_t **p, const uint8_t *end,
                              const uint8_t **data, int32_t *len)
{
    if (end - *p < 4) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    *len = (int32_t)samsa_be32(*p);
    *p += 4;
    if (*len < 0) {
        *data = NULL;
        *len = -1;
        return SAMSA_OK;
    }
    if (end - *p < *len) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    *data = *p;
    *p += *len;
    return SAMSA_OK;
}

static samsa_err_t parse_set(conv_t *c, const uint8_t *p, size_t len,
                             int depth);

/* One message: p points at its CRC, n bytes long. */
static samsa_err_t parse_message(conv_t *c, const uint8_t *p, size_t n,
                                 int depth)
{
    if (n < MIN_MESSAGE_V0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    uint32_t crc = samsa_be32(p);
    if ((uint32_t)crc32(0, p + 4, (uInt)(n - 4)) != crc) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    const uint8_t *end = p + n;
    int8_t magic = (int8_t)p[4];
    uint8_t attrs = p[5];
    const uint8_t *q = p + 6;
    int64_t ts = -1;
    if (magic == 1) {
        if (end - q < 8) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        ts = (int64_t)samsa_be64(q);
        q += 8;
    } else if (magic != 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    const uint8_t *key, *value;
    int32_t klen, vlen;
    samsa_err_t err = read_bytes(&q, end, &key, &klen);
    if (err == SAMSA_OK) {
        err = read_bytes(&q, end, &value, &vlen);
    }
    if (err != SAMSA_OK) {
        return err;
    }
    int codec = attrs & 0x07;
    if (codec == 0) {
        c->records++;
        return samsa_batch_builder_add(&c->builder, ts, key, klen, value, vlen,
                                       NULL, 0);
    }
    if (depth >= MAX_NESTING || codec > 3 || vlen < 0) {
        return SAMSA_ERR_INVALID_RECORD;
    }
    uint8_t *inner;
    size_t inner_len;
    err = samsa_batch_decompress(c->broker, codec, value, (size_t)vlen,
                                 *c->plain_budget, &inner, &inner_len);
    if (err == SAMSA_OK) {
        *c->plain_budget -= inner_len;
        c->codec = codec;
        err = parse_set(c, inner, inner_len, depth + 1);
        free(inner);
    }
    return err;
}

static samsa_err_t parse_set(conv_t *c, const uint8_t *p, size_t len, int depth)
{
    size_t at = 0;
    while (at < len) {
        if (len - at < 12) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        int32_t size = (int32_t)samsa_be32(p + at + 8);
        if (size < 0 || (size_t)size > len - at - 12) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        samsa_err_t err =
            parse_message(c, p + at + MSG_CRC_OFF, (size_t)size, depth);
        if (err != SAMSA_OK) {
            return err;
        }
        at += 12 + (size_t)size;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_upconvert_message_set(samsa_broker_t *b, const uint8_t *in,
                                        size_t len, size_t *plain_budget,
                                        uint8_t **out, size_t *out_len)
{
    conv_t c = {.broker = b, .plain_budget = plain_budget};
    samsa_batch_builder_init(&c.builder);
    samsa_err_t err = parse_set(&c, in, len, 0);
    if (err == SAMSA_OK && c.records == 0) {
        err = SAMSA_ERR_INVALID_RECORD;
    }
    uint8_t *batch = NULL;
    size_t batch_len = 0;
    if (err == SAMSA_OK) {
        err = samsa_batch_builder_finish(&c.builder, &batch, &batch_len);
    }
    samsa_batch_builder_free(&c.builder);
    if (err == SAMSA_OK && c.codec != 0) {
        uint8_t *packed;
        size_t packed_len;
        /* batch is the builder's plain output: nothing to decompress. */
        err = samsa_recompress_batches(b, batch, batch_len, c.codec, 0, &packed,
                                       &packed_len);
        free(batch);
        batch = err == SAMSA_OK ? packed : NULL;
        batch_len = packed_len;
    }
    if (err != SAMSA_OK) {
        free(batch);
        return err;
    }
    *out = batch;
    *out_len = batch_len;
    return SAMSA_OK;
}
