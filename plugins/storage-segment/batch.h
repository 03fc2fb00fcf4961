/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch.h - RecordBatch v2 framing, CRC-32C and record iteration.
 *
 * Plugin-internal: storage-segment and storage-memory each carry a copy,
 * because plugins link nothing from samsad. Layout: README section 6 of the
 * Kafka protocol notes (61-byte header, records after it).
 */
#ifndef SB_BATCH_H
#define SB_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_HDR_SIZE             61
#define SB_LOG_OVERHEAD         12
#define SB_OFF_LENGTH           8
#define SB_OFF_MAGIC            16
#define SB_OFF_CRC              17
#define SB_OFF_ATTRS            21
#define SB_OFF_LAST_DELTA       23
#define SB_OFF_BASE_TS          27
#define SB_OFF_MAX_TS           35
#define SB_OFF_COUNT            57
#define SB_ATTR_CODEC_MASK      0x7
#define SB_ATTR_LOG_APPEND_TIME 0x8
#define SB_ATTR_CONTROL         0x20
/* Refuse batches claiming more than this: a torn length field would
 * otherwise ask recovery to read gigabytes. */
#define SB_MAX_BATCH (256 * 1024 * 1024)

/** What the header of one batch says. */
typedef struct sb_info {
    int64_t base;    /* baseOffset */
    int64_t last;    /* baseOffset + lastOffsetDelta */
    int64_t base_ts; /* baseTimestamp */
    int64_t max_ts;  /* maxTimestamp */
    int64_t size;    /* whole batch, batchLength + 12 */
    int32_t count;   /* recordCount */
    uint16_t attrs;  /* attributes */
} sb_info_t;

/** Header parse results. */
#define SB_OK    0
#define SB_SHORT (-1) /* fewer bytes than the header or batch needs */
#define SB_BAD   (-2) /* framing impossible for a v2 batch */

static inline uint32_t sb_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t sb_get64(const uint8_t *p)
{
    return ((uint64_t)sb_get32(p) << 32) | sb_get32(p + 4);
}

static inline void sb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void sb_put64(uint8_t *p, uint64_t v)
{
    sb_put32(p, (uint32_t)(v >> 32));
    sb_put32(p + 4, (uint32_t)v);
}

/** CRC-32C of @p len bytes continuing @p crc (start with 0). */
uint32_t sb_crc32c(uint32_t crc, const void *data, size_t len);

/** Parse the header at @p p (@p avail bytes readable, at least the 61-byte
 *  header when possible). SB_SHORT when the header or the whole batch does
 *  not fit in @p avail; SB_BAD when it cannot be a v2 batch. */
int sb_parse(const uint8_t *p, size_t avail, sb_info_t *out);

/** True when the stored CRC matches bytes 21..end of the whole batch. */
bool sb_crc_ok(const uint8_t *batch, size_t size);

/** Recompute and store the CRC of a whole batch. */
void sb_crc_set(uint8_t *batch, size_t size);

/** One record inside an uncompressed batch. */
typedef struct sb_record {
    const uint8_t *raw; /* whole record, including its length varint */
    size_t raw_len;
    int64_t offset;
    int64_t ts;
    const uint8_t *key; /* NULL for a null key */
    int32_t key_len;
    bool tombstone; /* null value */
} sb_record_t;

/** Iterator over the records of an uncompressed batch. */
typedef struct sb_iter {
    const uint8_t *p;
    const uint8_t *end;
    sb_info_t info;
    int32_t left;
} sb_iter_t;

/** Start iterating @p batch; false when compressed (records opaque). */
bool sb_iter_init(sb_iter_t *it, const uint8_t *batch, const sb_info_t *info);

/** Next record: 1 = got one, 0 = done, -1 = malformed. */
int sb_iter_next(sb_iter_t *it, sb_record_t *rec);

#endif /* SB_BATCH_H */
