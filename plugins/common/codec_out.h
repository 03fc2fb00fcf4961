/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/codec_out.h - the output side the codec plugins share:
 * a fixed piece buffer their streaming decoders fill and hand to the sink
 * (samsa_codec_ops_t.decompress_stream), and a sink that gathers the
 * pieces into one services-allocated buffer, so decompress is
 * decompress_stream into a buffer: one decoder loop per codec.
 */
#ifndef SAMSA_COMMON_CODEC_OUT_H
#define SAMSA_COMMON_CODEC_OUT_H

#include <stddef.h>

#include <samsa/codec.h>

/* Bytes per piece a streaming decoder hands to the sink. */
#define SAMSA_CODEC_PIECE (64u * 1024u)

typedef samsa_err_t (*samsa_codec_sink_fn)(void *ctx, const void *piece,
                                           size_t len);

/* The pieces gathered whole, at most max bytes. */
typedef struct samsa_codec_collect {
    const samsa_services_t *svc;
    unsigned char *buf; /* services memory */
    size_t len, cap, max, hint;
} samsa_codec_collect_t;

/* hint: the first allocation's size (the caller's guess of the output). */
void samsa_codec_collect_init(samsa_codec_collect_t *c,
                              const samsa_services_t *svc, size_t max,
                              size_t hint);

/* A samsa_codec_sink_fn (ctx: samsa_codec_collect_t): appends the piece;
 * SAMSA_ERR_TOO_LARGE past max, SAMSA_ERR_NOMEM. */
samsa_err_t samsa_codec_collect_piece(void *ctx, const void *piece, size_t len);

/* With err SAMSA_OK hand the buffer over (*out, freed by the caller with
 * services->free; never NULL, even when empty); otherwise free it. Returns
 * err (or SAMSA_ERR_NOMEM). */
samsa_err_t samsa_codec_collect_finish(samsa_codec_collect_t *c,
                                       samsa_err_t err, void **out,
                                       size_t *out_len);

/* A codec's decompress_stream, as samsa_codec_decompress_whole calls it. */
typedef samsa_err_t (*samsa_codec_stream_fn)(void *state, const void *in,
                                             size_t in_len, size_t max_out,
                                             samsa_codec_sink_fn sink,
                                             void *ctx);

/* decompress (samsa_codec_ops_t) built on @p stream: the pieces gathered
 * into one services-allocated buffer, first sized @p hint. */
samsa_err_t samsa_codec_decompress_whole(samsa_codec_stream_fn stream,
                                         void *state,
                                         const samsa_services_t *svc,
                                         const void *in, size_t in_len,
                                         size_t max_out, size_t hint,
                                         void **out, size_t *out_len);

#endif /* SAMSA_COMMON_CODEC_OUT_H */
