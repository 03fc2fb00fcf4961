/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/record/builder.h - build an uncompressed record batch v2.
 *
 * Records are encoded as they are added; finish() writes the 61-byte header
 * (baseOffset 0, leader epoch -1, no producer id unless set) and the CRC-32C.
 * The result passes samsa_batches_validate and goes to
 * samsa_partition_append, which assigns the real offsets.
 *
 * The first record's timestamp becomes baseTimestamp; later records store
 * their difference to it (negative differences are fine).
 */
#ifndef SAMSA_RECORD_BUILDER_H
#define SAMSA_RECORD_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "records_v2.h"

typedef struct samsa_batch_builder {
    uint8_t *buf; /* header space + records */
    size_t len, cap;
    int32_t count;
    int64_t base_timestamp, max_timestamp;
    int16_t attributes;  /* only the timestamp-type/transactional bits */
    int64_t producer_id; /* -1 */
    int16_t producer_epoch;
    int32_t base_sequence;
    samsa_err_t err; /* sticky: first allocation failure */
} samsa_batch_builder_t;

void samsa_batch_builder_init(samsa_batch_builder_t *b);
void samsa_batch_builder_free(samsa_batch_builder_t *b);

/* Append one record. key/value NULL with length -1 mean null; lengths are
 * otherwise >= 0. headers may be NULL when nheaders is 0 (header keys must
 * not be NULL). SAMSA_ERR_NOMEM, SAMSA_ERR_INVAL. */
samsa_err_t samsa_batch_builder_add(samsa_batch_builder_t *b, int64_t timestamp,
                                    const void *key, int32_t key_len,
                                    const void *value, int32_t value_len,
                                    const samsa_record_header_t *headers,
                                    size_t nheaders);

/* Finish the batch: *out (malloc'd, caller frees) holds *len bytes. The
 * builder is reset and may be reused. SAMSA_ERR_INVAL without records. */
samsa_err_t samsa_batch_builder_finish(samsa_batch_builder_t *b, uint8_t **out,
                                       size_t *len);

#endif /* SAMSA_RECORD_BUILDER_H */
