/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/batch_v2.h - record batch v2 (magic 2) framing: the one
 * header parser and CRC-32C check (records: records_v2.h), shared by samsad
 * (core/record) and the storage plugins, which link this static library
 * (plugins/common/README.md). Byte layout: ../shared/kafka-protocol/README.md
 * section 6 (61-byte header, records after it).
 *
 * Everything works on wire bytes in place; nothing allocates; every function
 * is safe from any thread.
 */
#ifndef SAMSA_COMMON_BATCH_V2_H
#define SAMSA_COMMON_BATCH_V2_H

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

/* The batch's last offset, baseOffset + lastOffsetDelta, wrapping as Java's
 * long arithmetic does (DefaultRecordBatch.lastOffset): header fields come
 * off the network or a disk, and a hostile base near INT64_MAX must be no
 * undefined behaviour (UBSan in the bounded fuzz run found such sums). */
static inline int64_t samsa_batch_last_offset(const samsa_batch_hdr_t *h)
{
    return (int64_t)((uint64_t)h->base_offset +
                     (uint64_t)(int64_t)h->last_offset_delta);
}

/* True when a log can hold the batch's offsets: base offset and delta not
 * negative, and the offset after the last one (the next fetch position)
 * still an int64. */
static inline bool samsa_batch_offsets_ok(const samsa_batch_hdr_t *h)
{
    return h->base_offset >= 0 && h->last_offset_delta >= 0 &&
           h->base_offset < INT64_MAX - h->last_offset_delta;
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

/*
 * The stored-batch view the storage engines use: the parse above plus what
 * a log on disk must also satisfy (offsets and counts not negative, at most
 * SB_MAX_BATCH bytes), with the sizes a reader of segment files needs.
 */
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

/** Parse the header at @p p (@p avail bytes readable, at least the 61-byte
 *  header when possible). SB_SHORT when the header or the whole batch does
 *  not fit in @p avail; SB_BAD when it cannot be a v2 batch. */
int sb_parse(const uint8_t *p, size_t avail, sb_info_t *out);

/** True when the stored CRC matches bytes 21..end of the whole batch. */
bool sb_crc_ok(const uint8_t *batch, size_t size);

/** Recompute and store the CRC of a whole batch. */
void sb_crc_set(uint8_t *batch, size_t size);

#endif /* SAMSA_COMMON_BATCH_V2_H */
