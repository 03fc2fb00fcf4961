/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/records_check.h - check every record of produced batches
 * (core/record/validate.h) before they are stored, as Kafka's LogValidator
 * does; compressed batches are checked as their codec streams them out, so
 * a batch never has to be held decompressed.
 */
#ifndef SAMSA_BROKER_RECORDS_CHECK_H
#define SAMSA_BROKER_RECORDS_CHECK_H

#include <stdbool.h>

#include "broker/broker.h"

/*
 * Check the records of @p len bytes of batches that passed
 * samsa_batches_validate. Compressed batches may decompress to at most
 * @p max_plain bytes, all together; *plain_total gets what they did.
 * SAMSA_ERR_CORRUPT_MESSAGE (framing, or a compressed section its codec
 * cannot read), SAMSA_ERR_INVALID_RECORD (a null key while
 * @p key_required: a compacted topic), SAMSA_ERR_MESSAGE_TOO_LARGE (above
 * max_plain),
 * SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE, SAMSA_ERR_NOMEM; *why gets a
 * static explanation.
 */
samsa_err_t samsa_broker_check_records(samsa_broker_t *b,
                                       const uint8_t *records, size_t len,
                                       size_t max_plain, bool key_required,
                                       size_t *plain_total, const char **why);

#endif /* SAMSA_BROKER_RECORDS_CHECK_H */
