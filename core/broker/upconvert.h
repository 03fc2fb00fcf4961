/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/upconvert.h - legacy message sets (magic 0 and 1, sent with
 * Produce v0-v2) converted to one record batch v2 before they are stored.
 *
 * Why Samsa accepts Produce v0-v2 at all: librdkafka 2.0.2 only compresses
 * with gzip, snappy or lz4 when the broker's Produce range reaches down to
 * v0 (rd_kafka_msgset_writer_select_caps), so the range starts at 0 and
 * old-format requests are converted the way Kafka does on append.
 */
#ifndef SAMSA_BROKER_UPCONVERT_H
#define SAMSA_BROKER_UPCONVERT_H

#include "broker/broker.h"

/*
 * Parse a legacy message set (CRC-32 checked; compressed wrapper messages
 * are opened with the codec plugins, decompressing to at most
 * *plain_budget bytes in all, which is reduced by what they did) and build
 * one v2 batch holding every record, compressed again with the wrapper's
 * codec if there was one. *out is malloc'd. Errors:
 * SAMSA_ERR_CORRUPT_MESSAGE, SAMSA_ERR_INVALID_RECORD,
 * SAMSA_ERR_MESSAGE_TOO_LARGE, SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE.
 */
samsa_err_t samsa_upconvert_message_set(samsa_broker_t *b, const uint8_t *in,
                                        size_t len, size_t *plain_budget,
                                        uint8_t **out, size_t *out_len);

#endif /* SAMSA_BROKER_UPCONVERT_H */
