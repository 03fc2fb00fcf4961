/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/recompress.h - rewrite record batches with another codec,
 * for topics whose compression.type is not "producer".
 */
#ifndef SAMSA_BROKER_RECOMPRESS_H
#define SAMSA_BROKER_RECOMPRESS_H

#include "broker/broker.h"

/*
 * Copy validated batches into a new malloc'd buffer (*out, *out_len), each
 * batch's records section decompressed with its codec (at most @p max_plain
 * bytes each) and compressed with @p target (0 = none), header fields kept,
 * length and CRC recomputed.
 */
samsa_err_t samsa_recompress_batches(samsa_broker_t *b, const uint8_t *in,
                                     size_t len, int target, size_t max_plain,
                                     uint8_t **out, size_t *out_len);

/*
 * Decompress one batch's records section into a malloc'd buffer of at most
 * @p max_out bytes. SAMSA_ERR_MESSAGE_TOO_LARGE beyond it,
 * SAMSA_ERR_CORRUPT_MESSAGE for malformed input, SAMSA_ERR_NOMEM,
 * SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE without a codec plugin.
 */
samsa_err_t samsa_batch_decompress(samsa_broker_t *b, int codec,
                                   const uint8_t *in, size_t len,
                                   size_t max_out, uint8_t **out,
                                   size_t *out_len);

/*
 * The same, handing the output to @p sink piece by piece (the codec's
 * decompress_stream; a codec built before ABI minor 2 decompresses whole,
 * still bounded by @p max_out, and hands over one piece). Errors as above,
 * or the sink's own.
 */
samsa_err_t samsa_batch_decompress_stream(
    samsa_broker_t *b, int codec, const uint8_t *in, size_t len, size_t max_out,
    samsa_err_t (*sink)(void *ctx, const void *piece, size_t n), void *ctx);

#endif /* SAMSA_BROKER_RECOMPRESS_H */
