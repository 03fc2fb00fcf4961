/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/codec.h - compression codec plugins (kind SAMSA_KIND_CODEC).
 *
 * A codec compresses and decompresses the records section of a record
 * batch (everything after recordCount), in the framing Kafka clients use on
 * the wire for that codec id (see ../shared/kafka-protocol/README.md §8:
 * gzip stream, snappy raw or xerial-framed, LZ4 frame, zstd frame).
 * The broker looks a codec up by its Kafka id (attributes bits 0-2).
 *
 * Threads: compress/decompress may run on any thread, concurrently, for one
 * instance; they must not keep per-call state in the instance without
 * locking. They only burn CPU, never wait: the broker runs them on
 * reactors and worker threads (produce checks run on a worker), always
 * with an output bound (max_out) so one call's CPU time stays bounded.
 */
#ifndef SAMSA_CODEC_H
#define SAMSA_CODEC_H

#include <samsa/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Kafka compression ids (record batch attributes bits 0-2). */
typedef enum samsa_codec_id {
    SAMSA_CODEC_NONE = 0,
    SAMSA_CODEC_GZIP = 1,
    SAMSA_CODEC_SNAPPY = 2,
    SAMSA_CODEC_LZ4 = 3,
    SAMSA_CODEC_ZSTD = 4,
} samsa_codec_id_t;

typedef struct samsa_codec_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_codec_ops_t) */
    uint32_t codec_id;      /**< samsa_codec_id_t this codec implements */
    uint32_t reserved0;     /**< zero */

    /**
     * Compress @p in_len bytes at @p in (borrowed). On SAMSA_OK, *out is a
     * buffer allocated with services->alloc holding *out_len bytes; the
     * caller frees it with services->free. Any thread.
     */
    samsa_err_t (*compress)(void *state, const void *in, size_t in_len,
                            void **out, size_t *out_len);

    /**
     * Decompress @p in_len bytes at @p in (borrowed). Output larger than
     * @p max_out bytes fails with SAMSA_ERR_TOO_LARGE (a decompression bomb
     * must not exhaust memory); malformed input with SAMSA_ERR_CORRUPT_MESSAGE.
     * On SAMSA_OK, *out is allocated with services->alloc and freed by the
     * caller with services->free. Any thread.
     */
    samsa_err_t (*decompress)(void *state, const void *in, size_t in_len,
                              size_t max_out, void **out, size_t *out_len);

    /**
     * Optional, added in ABI minor 2 (check with SAMSA_ABI_HAS first).
     * Decompress @p in_len bytes at @p in (borrowed) in pieces: @p sink is
     * called with each piece of output in order (the piece is borrowed for
     * that call only), so the output is never held whole. The codec keeps
     * at most its format's window or block (zstd window, LZ4 block, snappy
     * chunk, 32 KiB for gzip) plus one piece, whatever the output size.
     * Output larger than @p max_out bytes fails with SAMSA_ERR_TOO_LARGE,
     * at the latest once max_out + 1 bytes came out; malformed input with
     * SAMSA_ERR_CORRUPT_MESSAGE; a sink's non-OK result stops the call and
     * is returned as is. Pieces may come out before an error is found.
     * Any thread; @p sink runs on the calling thread.
     */
    samsa_err_t (*decompress_stream)(
        void *state, const void *in, size_t in_len, size_t max_out,
        samsa_err_t (*sink)(void *ctx, const void *piece, size_t len),
        void *ctx);
} samsa_codec_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_CODEC_H */
