/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/recompress.h - rewrite record batches with another codec,
 * for topics whose compression.type is not "producer".
 */
#ifndef SAMSA_BROKER_RECOMPRESS_H
#define SAMSA_BROKER_RECOMPRESS_H

#include "broker/broker.h"

/* Largest decompressed records section accepted (a bomb guard). */
#define SAMSA_MAX_DECOMPRESSED_BYTES (256u << 20)

/*
 * Copy validated batches into a new malloc'd buffer (*out, *out_len), each
 * batch's records section decompressed with its codec and compressed with
 * @p target (0 = none), header fields kept, length and CRC recomputed.
 */
samsa_err_t samsa_recompress_batches(samsa_broker_t *b, const uint8_t *in,
                                     size_t len, int target, uint8_t **out,
                                     size_t *out_len);

/* Decompress one batch's records section into a malloc'd buffer. */
samsa_err_t samsa_batch_decompress(samsa_broker_t *b, int codec,
                                   const uint8_t *in, size_t len, uint8_t **out,
                                   size_t *out_len);

#endif /* SAMSA_BROKER_RECOMPRESS_H */
