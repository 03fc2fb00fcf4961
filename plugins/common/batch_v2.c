/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/batch_v2.c - see batch_v2.h. */
#include "batch_v2.h"

#include "crc32c.h"

samsa_err_t samsa_batch_parse(const uint8_t *p, size_t len,
                              samsa_batch_hdr_t *out)
{
    if (len < SAMSA_BATCH_LOG_OVERHEAD + 5) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    out->base_offset = (int64_t)samsa_be64(p + SAMSA_BATCH_OFF_BASE_OFFSET);
    out->batch_length = (int32_t)samsa_be32(p + SAMSA_BATCH_OFF_LENGTH);
    out->leader_epoch = (int32_t)samsa_be32(p + SAMSA_BATCH_OFF_LEADER_EPOCH);
    out->magic = (int8_t)p[SAMSA_BATCH_OFF_MAGIC];
    if (out->magic != 2) {
        return out->magic >= 0 && out->magic < 2
                   ? SAMSA_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT
                   : SAMSA_ERR_CORRUPT_MESSAGE;
    }
    if (len < SAMSA_BATCH_HEADER_SIZE ||
        out->batch_length <
            SAMSA_BATCH_HEADER_SIZE - SAMSA_BATCH_LOG_OVERHEAD) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    out->crc = samsa_be32(p + SAMSA_BATCH_OFF_CRC);
    out->attributes = (int16_t)samsa_be16(p + SAMSA_BATCH_OFF_ATTRIBUTES);
    out->last_offset_delta =
        (int32_t)samsa_be32(p + SAMSA_BATCH_OFF_LAST_OFFSET_DELTA);
    out->base_timestamp =
        (int64_t)samsa_be64(p + SAMSA_BATCH_OFF_BASE_TIMESTAMP);
    out->max_timestamp = (int64_t)samsa_be64(p + SAMSA_BATCH_OFF_MAX_TIMESTAMP);
    out->producer_id = (int64_t)samsa_be64(p + SAMSA_BATCH_OFF_PRODUCER_ID);
    out->producer_epoch =
        (int16_t)samsa_be16(p + SAMSA_BATCH_OFF_PRODUCER_EPOCH);
    out->base_sequence = (int32_t)samsa_be32(p + SAMSA_BATCH_OFF_BASE_SEQUENCE);
    out->record_count = (int32_t)samsa_be32(p + SAMSA_BATCH_OFF_RECORD_COUNT);
    if (samsa_batch_size(out) > len) {
        return SAMSA_ERR_AGAIN;
    }
    return SAMSA_OK;
}

bool samsa_batch_crc_ok(const uint8_t *p, const samsa_batch_hdr_t *h)
{
    return sb_crc_ok(p, samsa_batch_size(h));
}

void samsa_batch_crc_update(uint8_t *p, const samsa_batch_hdr_t *h)
{
    sb_crc_set(p, samsa_batch_size(h));
}

int sb_parse(const uint8_t *p, size_t avail, sb_info_t *out)
{
    if (avail < SAMSA_BATCH_HEADER_SIZE) {
        return SB_SHORT;
    }
    samsa_batch_hdr_t h;
    samsa_err_t err = samsa_batch_parse(p, avail, &h);
    if ((err != SAMSA_OK && err != SAMSA_ERR_AGAIN) ||
        !samsa_batch_offsets_ok(&h) || h.batch_length > SB_MAX_BATCH ||
        h.record_count < 0) {
        return SB_BAD;
    }
    out->base = h.base_offset;
    out->last = samsa_batch_last_offset(&h);
    out->base_ts = h.base_timestamp;
    out->max_ts = h.max_timestamp;
    out->size = (int64_t)samsa_batch_size(&h);
    out->count = h.record_count;
    out->attrs = (uint16_t)h.attributes;
    return err == SAMSA_ERR_AGAIN ? SB_SHORT : SB_OK;
}

bool sb_crc_ok(const uint8_t *batch, size_t size)
{
    uint32_t want = samsa_be32(batch + SAMSA_BATCH_OFF_CRC);
    return samsa_crc32c(0, batch + SAMSA_BATCH_CRC_START,
                        size - SAMSA_BATCH_CRC_START) == want;
}

void sb_crc_set(uint8_t *batch, size_t size)
{
    samsa_put_be32(batch + SAMSA_BATCH_OFF_CRC,
                   samsa_crc32c(0, batch + SAMSA_BATCH_CRC_START,
                                size - SAMSA_BATCH_CRC_START));
}
