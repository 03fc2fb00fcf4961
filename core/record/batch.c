/* SPDX-License-Identifier: Apache-2.0 */
/* core/record/batch.c - see batch.h. */
#include "record/batch.h"

samsa_err_t samsa_batches_validate(const uint8_t *p, size_t len,
                                   int64_t max_batch_bytes,
                                   samsa_batches_info_t *info)
{
    *info = (samsa_batches_info_t){.max_timestamp = -1,
                                   .producer_id = -1,
                                   .producer_epoch = -1,
                                   .base_sequence = -1};
    if (len == 0) {
        return SAMSA_ERR_INVALID_RECORD;
    }
    size_t at = 0;
    while (at < len) {
        samsa_batch_hdr_t h;
        samsa_err_t err = samsa_batch_parse(p + at, len - at, &h);
        if (err == SAMSA_ERR_AGAIN) {
            return SAMSA_ERR_CORRUPT_MESSAGE; /* produce must not cut */
        }
        if (err != SAMSA_OK) {
            return err;
        }
        size_t size = samsa_batch_size(&h);
        if (max_batch_bytes > 0 && (int64_t)size > max_batch_bytes) {
            return SAMSA_ERR_MESSAGE_TOO_LARGE;
        }
        if (!samsa_batch_crc_ok(p + at, &h)) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        /* Kafka derives the offsets a batch takes from its record count
         * (LogValidator.validateBatch): a larger lastOffsetDelta would
         * move the log end offset past records that do not exist. */
        if (h.record_count < 1 || h.last_offset_delta != h.record_count - 1 ||
            samsa_batch_codec(&h) > 4) {
            return SAMSA_ERR_INVALID_RECORD;
        }
        if (info->batch_count == 0) {
            info->producer_id = h.producer_id;
            info->producer_epoch = h.producer_epoch;
            info->base_sequence = h.base_sequence;
        }
        info->batch_count++;
        info->record_count += h.record_count;
        info->offset_count += (int64_t)h.last_offset_delta + 1;
        if (h.max_timestamp > info->max_timestamp) {
            info->max_timestamp = h.max_timestamp;
        }
        info->codecs_seen |= 1 << samsa_batch_codec(&h);
        info->has_transactional |=
            (h.attributes & SAMSA_BATCH_ATTR_TRANSACTIONAL) != 0;
        info->has_control |= (h.attributes & SAMSA_BATCH_ATTR_CONTROL) != 0;
        at += size;
    }
    info->bytes = (int64_t)len;
    return SAMSA_OK;
}

int64_t samsa_batches_assign(uint8_t *p, size_t len, int64_t base_offset,
                             int32_t leader_epoch, int64_t log_append_time)
{
    size_t at = 0;
    int64_t next = base_offset;
    while (at + SAMSA_BATCH_HEADER_SIZE <= len) {
        uint8_t *b = p + at;
        samsa_batch_hdr_t h;
        if (samsa_batch_parse(b, len - at, &h) != SAMSA_OK) {
            break; /* callers validate first; stop rather than run off */
        }
        samsa_put_be64(b + SAMSA_BATCH_OFF_BASE_OFFSET, (uint64_t)next);
        samsa_put_be32(b + SAMSA_BATCH_OFF_LEADER_EPOCH,
                       (uint32_t)leader_epoch);
        if (log_append_time >= 0) {
            uint16_t attrs = (uint16_t)h.attributes;
            attrs |= SAMSA_BATCH_ATTR_LOG_APPEND_TIME;
            samsa_put_be16(b + SAMSA_BATCH_OFF_ATTRIBUTES, attrs);
            samsa_put_be64(b + SAMSA_BATCH_OFF_MAX_TIMESTAMP,
                           (uint64_t)log_append_time);
            samsa_batch_crc_update(b, &h);
        }
        next += (int64_t)h.last_offset_delta + 1;
        at += samsa_batch_size(&h);
    }
    return next;
}
