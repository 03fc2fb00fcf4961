/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/record/batch.h - record batch v2 (magic 2) headers: parse, validate,
 * assign offsets. Byte layout: ../shared/kafka-protocol/README.md §6.
 *
 * Everything here works on the wire bytes in place; nothing allocates.
 */
#ifndef SAMSA_RECORD_BATCH_H
#define SAMSA_RECORD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#define SAMSA_BATCH_HEADER_SIZE  61
#define SAMSA_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define SAMSA_BATCH_CRC_START    21 /* CRC covers attributes..end */

/* Offsets of header fields. */
#define SAMSA_BATCH_OFF_BASE_OFFSET       0
#define SAMSA_BATCH_OFF_LENGTH            8
#define SAMSA_BATCH_OFF_LEADER_EPOCH      12
#define SAMSA_BATCH_OFF_MAGIC             16
#define SAMSA_BATCH_OFF_CRC               17
#define SAMSA_BATCH_OFF_ATTRIBUTES        21
#define SAMSA_BATCH_OFF_LAST_OFFSET_DELTA 23
#define SAMSA_BATCH_OFF_BASE_TIMESTAMP    27
#define SAMSA_BATCH_OFF_MAX_TIMESTAMP     35
#define SAMSA_BATCH_OFF_PRODUCER_ID       43
#define SAMSA_BATCH_OFF_PRODUCER_EPOCH    51
#define SAMSA_BATCH_OFF_BASE_SEQUENCE     53
#define SAMSA_BATCH_OFF_RECORD_COUNT      57

/* Attribute bits. */
#define SAMSA_BATCH_ATTR_CODEC_MASK      0x07
#define SAMSA_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define SAMSA_BATCH_ATTR_TRANSACTIONAL   0x10
#define SAMSA_BATCH_ATTR_CONTROL         0x20
#define SAMSA_BATCH_ATTR_DELETE_HORIZON  0x40

typedef struct samsa_batch_hdr {
    int64_t base_offset;
    int32_t batch_length; /* bytes after the length field */
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} samsa_batch_hdr_t;

/* Total size of the batch at p (header + records). */
static inline size_t samsa_batch_size(const samsa_batch_hdr_t *h)
{
    return (size_t)h->batch_length + SAMSA_BATCH_LOG_OVERHEAD;
}

static inline int samsa_batch_codec(const samsa_batch_hdr_t *h)
{
    return h->attributes & SAMSA_BATCH_ATTR_CODEC_MASK;
}

/* Big-endian helpers used by record code and plugins' tests. */
static inline uint16_t samsa_be16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t samsa_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}
static inline uint64_t samsa_be64(const uint8_t *p)
{
    return (uint64_t)samsa_be32(p) << 32 | samsa_be32(p + 4);
}
static inline void samsa_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void samsa_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void samsa_put_be64(uint8_t *p, uint64_t v)
{
    samsa_put_be32(p, (uint32_t)(v >> 32));
    samsa_put_be32(p + 4, (uint32_t)v);
}

/*
 * Parse the header of the batch at p. Fails with SAMSA_ERR_CORRUPT_MESSAGE if
 * fewer than 61 bytes are present, the magic is not 2, or the declared
 * length is inconsistent with the header; SAMSA_ERR_AGAIN when the header
 * is complete but the batch body extends past len (a cut-off fetch tail).
 */
samsa_err_t samsa_batch_parse(const uint8_t *p, size_t len,
                              samsa_batch_hdr_t *out);

/* Recompute and compare the CRC-32C of a parsed batch. */
bool samsa_batch_crc_ok(const uint8_t *p, const samsa_batch_hdr_t *h);

/* Recompute the CRC after header fields covered by it changed. */
void samsa_batch_crc_update(uint8_t *p, const samsa_batch_hdr_t *h);

/* What validation found, for offset assignment and statistics. */
typedef struct samsa_batches_info {
    int32_t batch_count;
    int64_t record_count; /* sum of recordCount */
    int64_t offset_count; /* sum of lastOffsetDelta + 1 */
    int64_t max_timestamp;
    int64_t bytes;
    int codecs_seen; /* bit i set when codec i was seen */
    bool has_transactional;
    bool has_control;
    int64_t producer_id; /* of the first batch; -1 when not idempotent */
    int16_t producer_epoch;
    int32_t base_sequence;
} samsa_batches_info_t;

/*
 * Validate a produce request's records: one or more whole magic-2 batches,
 * each with a correct CRC, recordCount >= 1, a consistent lastOffsetDelta,
 * and at most max_batch_bytes bytes (max.message.bytes; <= 0 = no limit).
 * Errors: SAMSA_ERR_CORRUPT_MESSAGE (framing, CRC), SAMSA_ERR_INVALID_RECORD,
 * SAMSA_ERR_MESSAGE_TOO_LARGE, SAMSA_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT
 * (magic < 2).
 */
samsa_err_t samsa_batches_validate(const uint8_t *p, size_t len,
                                   int64_t max_batch_bytes,
                                   samsa_batches_info_t *info);

/*
 * Assign offsets to validated batches in place, starting at base_offset,
 * and stamp the partition leader epoch. With log_append_time >= 0 every
 * batch becomes LogAppendTime with that max timestamp (CRC recomputed).
 * Returns the next offset after the last batch.
 */
int64_t samsa_batches_assign(uint8_t *p, size_t len, int64_t base_offset,
                             int32_t leader_epoch, int64_t log_append_time);

#endif /* SAMSA_RECORD_BATCH_H */
