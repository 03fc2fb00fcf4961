/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/records_check.c - see records_check.h. */
#include "broker/records_check.h"

#include "broker/recompress.h"
#include "record/batch.h"
#include "records_v2.h"
#include "record/validate.h"

static samsa_err_t feed(void *ctx, const void *piece, size_t n)
{
    return samsa_records_check_feed(ctx, piece, n);
}

static samsa_err_t check_batch(samsa_broker_t *b, const uint8_t *batch,
                               const samsa_batch_hdr_t *h, size_t max_plain,
                               bool key_required, size_t *plain,
                               const char **why)
{
    const uint8_t *section = batch + SAMSA_BATCH_HEADER_SIZE;
    size_t section_len = samsa_batch_size(h) - SAMSA_BATCH_HEADER_SIZE;
    int codec = samsa_batch_codec(h);
    samsa_records_check_t chk;
    samsa_records_check_init(&chk, h->record_count);
    chk.key_required = key_required;
    samsa_err_t err =
        codec == 0 ? samsa_records_check_feed(&chk, section, section_len)
                   : samsa_batch_decompress_stream(
                         b, codec, section, section_len, max_plain, feed, &chk);
    if (err == SAMSA_OK) {
        err = samsa_records_check_end(&chk);
    }
    *plain = codec == 0 ? 0 : (size_t)chk.total;
    if (chk.null_key) {
        *why = "a record without a key on a compacted topic";
        return SAMSA_ERR_INVALID_RECORD;
    }
    switch (err) {
    case SAMSA_OK:
        break;
    case SAMSA_ERR_MESSAGE_TOO_LARGE:
        *why = "compressed records decompress to more than "
               "message_max_decompressed_bytes (all batches of one produce "
               "request together), or to more than max.message.bytes on a "
               "topic storing them uncompressed";
        break;
    case SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE:
        *why = "no codec plugin loaded for this compression type";
        break;
    case SAMSA_ERR_NOMEM:
        *why = "out of memory while decompressing";
        break;
    default:
        *why = codec == 0 ? "a record in the batch is malformed"
                          : "a compressed batch does not decompress to "
                            "well-formed records";
        err = SAMSA_ERR_CORRUPT_MESSAGE;
        break;
    }
    return err;
}

samsa_err_t samsa_broker_check_records(samsa_broker_t *b,
                                       const uint8_t *records, size_t len,
                                       size_t max_plain, bool key_required,
                                       size_t *plain_total, const char **why)
{
    *plain_total = 0;
    samsa_batch_iter_t it;
    samsa_batch_iter_init(&it, records, len);
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    samsa_err_t err;
    while ((err = samsa_batch_iter_next(&it, &batch, &h)) == SAMSA_OK) {
        size_t plain = 0;
        err = check_batch(b, batch, &h, max_plain - *plain_total, key_required,
                          &plain, why);
        *plain_total += plain;
        if (err != SAMSA_OK) {
            return err;
        }
    }
    return err == SAMSA_ERR_NOT_FOUND ? SAMSA_OK : err;
}
