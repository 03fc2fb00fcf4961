/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/records_v2.h - zig-zag varints and iteration over the
 * records of uncompressed record batches v2 (../shared/kafka-protocol/
 * README.md §6.2): the one record parser of samsad (core/record, groups,
 * producer state, client) and the storage engines (time lookup,
 * compaction), part of the samsa_common static library.
 *
 * Everything reads the wire bytes in place: record fields point into the
 * batch and stay valid as long as the batch bytes do. Nothing allocates.
 */
#ifndef SAMSA_COMMON_RECORDS_V2_H
#define SAMSA_COMMON_RECORDS_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "batch_v2.h"

#define SAMSA_VARINT_MAX  5
#define SAMSA_VARLONG_MAX 10

/* Encode into p (room for SAMSA_VARINT_MAX / SAMSA_VARLONG_MAX bytes);
 * return the bytes written. */
size_t samsa_put_varint(uint8_t *p, int32_t v);
size_t samsa_put_varlong(uint8_t *p, int64_t v);
/* Encoded sizes without writing. */
size_t samsa_varint_size(int32_t v);
size_t samsa_varlong_size(int64_t v);
/* Decode from at most len bytes; return the bytes consumed, or 0 when the
 * input is truncated or longer than the type allows. */
size_t samsa_get_varint(const uint8_t *p, size_t len, int32_t *out);
size_t samsa_get_varlong(const uint8_t *p, size_t len, int64_t *out);

/* A record header; key is never null, value_len -1 means a null value. */
typedef struct samsa_record_header {
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
} samsa_record_header_t;

/* One record. key/value are NULL with length -1 when null. headers holds
 * header_count raw headers; walk them with samsa_record_header_next. */
typedef struct samsa_record {
    int64_t offset;    /* batch baseOffset + offsetDelta */
    int64_t timestamp; /* baseTimestamp + timestampDelta */
    int8_t attributes;
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
    int32_t header_count;
    const uint8_t *headers;
    size_t headers_len;
    const uint8_t *raw; /* the whole record, from its length varint */
    size_t raw_len;
} samsa_record_t;

/* Decode the next header from *p (advanced) up to end. */
samsa_err_t samsa_record_header_next(const uint8_t **p, const uint8_t *end,
                                     samsa_record_header_t *out);

/* Iterator over the records of one batch. */
typedef struct samsa_record_iter {
    samsa_batch_hdr_t hdr;
    const uint8_t *p, *end;
    int32_t remaining;
} samsa_record_iter_t;

/* Start iterating the batch at batch (len bytes, at least the whole batch).
 * SAMSA_ERR_UNSUPPORTED for a compressed batch (decompress first),
 * errors of samsa_batch_parse otherwise. */
samsa_err_t samsa_record_iter_init(samsa_record_iter_t *it,
                                   const uint8_t *batch, size_t len);
/* SAMSA_OK with *out filled, SAMSA_ERR_NOT_FOUND after the last record,
 * SAMSA_ERR_CORRUPT_MESSAGE on malformed records (also when the record
 * count and the bytes disagree). */
samsa_err_t samsa_record_iter_next(samsa_record_iter_t *it,
                                   samsa_record_t *out);

/* Iterator over back-to-back batches (a read or fetch result). A cut-off
 * tail (incomplete last batch) ends the iteration like the end does. */
typedef struct samsa_batch_iter {
    const uint8_t *p;
    size_t len, pos;
} samsa_batch_iter_t;

static inline void samsa_batch_iter_init(samsa_batch_iter_t *it,
                                         const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->pos = 0;
}
/* SAMSA_OK with the batch's start, its header and total size;
 * SAMSA_ERR_NOT_FOUND at the end; CORRUPT_MESSAGE / the parse error when
 * the bytes are not a batch. */
samsa_err_t samsa_batch_iter_next(samsa_batch_iter_t *it, const uint8_t **batch,
                                  samsa_batch_hdr_t *hdr);

/*
 * The storage engines' view of a stored batch's records (time lookup,
 * compaction): samsa_record_iter underneath, with the timestamp Kafka
 * reports (LogAppendTime batches: the batch's max timestamp).
 */
typedef struct sb_record {
    const uint8_t *raw; /* whole record, including its length varint */
    size_t raw_len;
    int64_t offset;
    int64_t ts;
    const uint8_t *key; /* NULL for a null key */
    int32_t key_len;
    bool tombstone; /* null value */
} sb_record_t;

typedef struct sb_iter {
    samsa_record_iter_t ri;
    bool log_append_time;
    bool bad; /* the header did not parse */
} sb_iter_t;

/** Start iterating @p batch; false when compressed (records opaque). */
bool sb_iter_init(sb_iter_t *it, const uint8_t *batch, const sb_info_t *info);

/** After sb_iter_init refused a compressed batch: iterate its records
 *  from @p records (@p len bytes, decompressed by the caller, kept alive
 *  while iterating). */
void sb_iter_plain(sb_iter_t *it, const uint8_t *records, size_t len);

/** Next record: 1 = got one, 0 = done, -1 = malformed. */
int sb_iter_next(sb_iter_t *it, sb_record_t *rec);

/** Bytes of records the iterator has not returned yet. */
static inline size_t sb_iter_left(const sb_iter_t *it)
{
    return (size_t)(it->ri.end - it->ri.p);
}

#endif /* SAMSA_COMMON_RECORDS_V2_H */
