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

#include "batch_v2.h" /* framing, parse, CRC (plugins/common) */

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
 * each with a correct CRC, recordCount >= 1, lastOffsetDelta equal to
 * recordCount - 1 and at most max_batch_bytes bytes (max.message.bytes;
 * <= 0 = no limit). The records inside are checked by record/validate.h.
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
