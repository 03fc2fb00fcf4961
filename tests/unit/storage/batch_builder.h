/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch_builder.h - builds valid RecordBatch v2 bytes for storage tests
 * (its own CRC-32C, independent of the engines' copies).
 */
#ifndef TB_BATCH_BUILDER_H
#define TB_BATCH_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tb_rec {
    const char *key;   /* NULL: null key */
    const char *value; /* NULL: tombstone */
    int64_t ts;
} tb_rec_t;

/** Encode @p n records at @p base into @p out; returns the batch size
 *  (0 if @p cap is too small). */
size_t tb_build(uint8_t *out, size_t cap, int64_t base, const tb_rec_t *recs,
                int n);

/** A batch of @p n records whose values are @p value_size deterministic
 *  bytes derived from (base, i); all timestamps are @p ts. */
size_t tb_build_fill(uint8_t *out, size_t cap, int64_t base, int n,
                     size_t value_size, int64_t ts);

/** Like tb_build, but the records section is gzip-compressed (Kafka codec
 *  1, attributes bits 0-2 = 1) with @p producer_id in the header (-1:
 *  none). */
size_t tb_build_gzip(uint8_t *out, size_t cap, int64_t base,
                     const tb_rec_t *recs, int n, int64_t producer_id);

/** gzip compress / decompress with zlib (the test's codec services).
 *  *out is malloc'd; false on failure or when output exceeds @p max_out. */
bool tb_gzip(const void *in, size_t in_len, void **out, size_t *out_len);
bool tb_gunzip(const void *in, size_t in_len, size_t max_out, void **out,
               size_t *out_len);

/** Copy of a whole batch with its records decompressed (gzip) into a
 *  malloc'd uncompressed batch that tb_record can walk; an uncompressed
 *  batch is copied as is. NULL on failure. */
uint8_t *tb_plain(const uint8_t *batch, size_t size);

/** CRC-32C, bitwise. */
uint32_t tb_crc32c(const uint8_t *p, size_t len);

/** True when @p p holds a whole v2 batch with a correct CRC; fills what
 *  its header says. */
bool tb_check(const uint8_t *p, size_t avail, int64_t *base, int64_t *last,
              size_t *size);

/** Walk a record of an uncompressed batch: the i-th record's key/value. */
bool tb_record(const uint8_t *batch, int index, const uint8_t **key, int *klen,
               const uint8_t **value, int *vlen, int64_t *offset);

#endif
