/* SPDX-License-Identifier: Apache-2.0 */
/* core/record/builder.c - see builder.h. */
#include "record/builder.h"

#include <stdlib.h>
#include <string.h>

#include "crc32c.h"

void samsa_batch_builder_init(samsa_batch_builder_t *b)
{
    memset(b, 0, sizeof(*b));
    b->producer_id = -1;
    b->producer_epoch = -1;
    b->base_sequence = -1;
    b->len = SAMSA_BATCH_HEADER_SIZE;
}

void samsa_batch_builder_free(samsa_batch_builder_t *b)
{
    free(b->buf);
    samsa_batch_builder_init(b);
}

static bool reserve(samsa_batch_builder_t *b, size_t more)
{
    if (b->len + more <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) {
        cap *= 2;
    }
    uint8_t *nb = realloc(b->buf, cap);
    if (!nb) {
        b->err = SAMSA_ERR_NOMEM;
        return false;
    }
    b->buf = nb;
    b->cap = cap;
    return true;
}

static size_t blob_size(int32_t len)
{
    return samsa_varint_size(len < 0 ? -1 : len) + (len > 0 ? (size_t)len : 0);
}

static uint8_t *put_blob(uint8_t *p, const void *data, int32_t len)
{
    p += samsa_put_varint(p, len < 0 ? -1 : len);
    if (len > 0) {
        memcpy(p, data, (size_t)len);
        p += len;
    }
    return p;
}

samsa_err_t samsa_batch_builder_add(samsa_batch_builder_t *b, int64_t timestamp,
                                    const void *key, int32_t key_len,
                                    const void *value, int32_t value_len,
                                    const samsa_record_header_t *headers,
                                    size_t nheaders)
{
    if (b->err != SAMSA_OK) {
        return b->err;
    }
    if ((!key && key_len > 0) || (!value && value_len > 0) ||
        nheaders > INT32_MAX || (nheaders && !headers)) {
        return SAMSA_ERR_INVAL;
    }
    if (b->count == 0) {
        b->base_timestamp = timestamp;
        b->max_timestamp = timestamp;
    } else if (timestamp > b->max_timestamp) {
        b->max_timestamp = timestamp;
    }
    int64_t ts_delta = timestamp - b->base_timestamp;
    size_t body = 1 + samsa_varlong_size(ts_delta) +
                  samsa_varint_size(b->count) + blob_size(key_len) +
                  blob_size(value_len) + samsa_varint_size((int32_t)nheaders);
    for (size_t i = 0; i < nheaders; i++) {
        if (!headers[i].key || headers[i].key_len < 0) {
            return SAMSA_ERR_INVAL;
        }
        body += blob_size(headers[i].key_len) + blob_size(headers[i].value_len);
    }
    if (body > INT32_MAX || !reserve(b, body + SAMSA_VARINT_MAX)) {
        return body > INT32_MAX ? SAMSA_ERR_TOO_LARGE : SAMSA_ERR_NOMEM;
    }
    uint8_t *p = b->buf + b->len;
    p += samsa_put_varint(p, (int32_t)body);
    *p++ = 0; /* attributes */
    p += samsa_put_varlong(p, ts_delta);
    p += samsa_put_varint(p, b->count);
    p = put_blob(p, key, key_len);
    p = put_blob(p, value, value_len);
    p += samsa_put_varint(p, (int32_t)nheaders);
    for (size_t i = 0; i < nheaders; i++) {
        p = put_blob(p, headers[i].key, headers[i].key_len);
        p = put_blob(p, headers[i].value, headers[i].value_len);
    }
    b->len = (size_t)(p - b->buf);
    b->count++;
    return SAMSA_OK;
}

samsa_err_t samsa_batch_builder_finish(samsa_batch_builder_t *b, uint8_t **out,
                                       size_t *len)
{
    if (b->err != SAMSA_OK) {
        return b->err;
    }
    if (b->count == 0) {
        return SAMSA_ERR_INVAL;
    }
    uint8_t *p = b->buf;
    samsa_put_be64(p + SAMSA_BATCH_OFF_BASE_OFFSET, 0);
    samsa_put_be32(p + SAMSA_BATCH_OFF_LENGTH,
                   (uint32_t)(b->len - SAMSA_BATCH_LOG_OVERHEAD));
    samsa_put_be32(p + SAMSA_BATCH_OFF_LEADER_EPOCH, (uint32_t)-1);
    p[SAMSA_BATCH_OFF_MAGIC] = 2;
    samsa_put_be16(p + SAMSA_BATCH_OFF_ATTRIBUTES, (uint16_t)b->attributes);
    samsa_put_be32(p + SAMSA_BATCH_OFF_LAST_OFFSET_DELTA,
                   (uint32_t)(b->count - 1));
    samsa_put_be64(p + SAMSA_BATCH_OFF_BASE_TIMESTAMP,
                   (uint64_t)b->base_timestamp);
    samsa_put_be64(p + SAMSA_BATCH_OFF_MAX_TIMESTAMP,
                   (uint64_t)b->max_timestamp);
    samsa_put_be64(p + SAMSA_BATCH_OFF_PRODUCER_ID, (uint64_t)b->producer_id);
    samsa_put_be16(p + SAMSA_BATCH_OFF_PRODUCER_EPOCH,
                   (uint16_t)b->producer_epoch);
    samsa_put_be32(p + SAMSA_BATCH_OFF_BASE_SEQUENCE,
                   (uint32_t)b->base_sequence);
    samsa_put_be32(p + SAMSA_BATCH_OFF_RECORD_COUNT, (uint32_t)b->count);
    samsa_put_be32(p + SAMSA_BATCH_OFF_CRC,
                   samsa_crc32c(0, p + SAMSA_BATCH_CRC_START,
                                b->len - SAMSA_BATCH_CRC_START));
    *out = b->buf;
    *len = b->len;
    b->buf = NULL;
    samsa_batch_builder_free(b);
    return SAMSA_OK;
}
