/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec-lz4: Kafka codec id 3, the LZ4 frame format of KIP-57 as the Java
 * client's Lz4BlockOutputStream writes it: independent blocks, 64 KiB
 * maximum block size, no block or content checksum, no content size.
 *
 * Reading uses liblz4's frame decoder, which also decodes frames Kafka's
 * reader refuses (dependent blocks, content checksums, content size,
 * concatenated frames). Accepting them is harmless: the output is the same
 * bytes a stricter reader would have produced had it supported them.
 */
#include <stdio.h>
#include <string.h>

#include <lz4frame.h>
#include <lz4hc.h>

#include <samsa/codec.h>

#include "codec_out.h"

typedef struct lz4_state {
    const samsa_services_t *svc;
    int level;
} lz4_state_t;

static const samsa_option_t lz4_options[] = {
    SAMSA_OPTION_INT("level", "0", -65536, 12,
                     "LZ4F compression level: 0 is the fast default (as "
                     "Kafka), 3..12 use LZ4-HC, negative values trade ratio "
                     "for speed."),
    SAMSA_OPTION_END,
};

static samsa_err_t lz4_init(const samsa_services_t *svc,
                            const samsa_instance_t *inst, void **state,
                            char *errbuf, size_t errbuf_size)
{
    int64_t level = 0;
    samsa_err_t err = svc->config_int(inst->config, "level", &level);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "lz4: option level: %s",
                 svc->err_str(err));
        return err;
    }
    if (level > LZ4HC_CLEVEL_MAX || level < -65536) {
        snprintf(errbuf, errbuf_size, "lz4: level %lld outside -65536..%d",
                 (long long)level, LZ4HC_CLEVEL_MAX);
        return SAMSA_ERR_CONFIG;
    }
    lz4_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "lz4: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->level = (int)level;
    *state = st;
    return SAMSA_OK;
}

static void lz4_fini(void *state)
{
    lz4_state_t *st = state;
    if (st != NULL) {
        st->svc->free(st);
    }
}

/* Kafka's frame settings (KIP-57, Lz4BlockOutputStream). */
static void kafka_prefs(LZ4F_preferences_t *prefs, int level)
{
    memset(prefs, 0, sizeof(*prefs));
    prefs->frameInfo.blockSizeID = LZ4F_max64KB;
    prefs->frameInfo.blockMode = LZ4F_blockIndependent;
    prefs->frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs->frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    prefs->frameInfo.frameType = LZ4F_frame;
    prefs->frameInfo.contentSize = 0;
    prefs->compressionLevel = level;
}

static samsa_err_t lz4_compress(void *state, const void *in, size_t in_len,
                                void **out, size_t *out_len)
{
    lz4_state_t *st = state;
    LZ4F_preferences_t prefs;
    kafka_prefs(&prefs, st->level);
    size_t bound = LZ4F_compressFrameBound(in_len, &prefs);
    void *buf = st->svc->alloc(bound);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    size_t n = LZ4F_compressFrame(buf, bound, in, in_len, &prefs);
    if (LZ4F_isError(n)) {
        st->svc->free(buf);
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    *out = buf;
    *out_len = n;
    return SAMSA_OK;
}

/* LZ4F_getErrorCode() is not exported by the shared liblz4, so every
 * decoder error (allocation failure is practically the only non-data one)
 * is reported as corrupt input. */
static samsa_err_t map_lz4_error(size_t rc)
{
    (void)rc;
    return SAMSA_ERR_CORRUPT_MESSAGE;
}

/* One LZ4F_decompress step into @p piece, handed to the sink. */
static samsa_err_t step(LZ4F_dctx *dctx, const unsigned char *in, size_t *src,
                        unsigned char *piece, size_t *dst, size_t *hint,
                        size_t max_out, size_t *total, samsa_codec_sink_fn sink,
                        void *ctx)
{
    *dst = SAMSA_CODEC_PIECE;
    *hint = LZ4F_decompress(dctx, piece, dst, in, src, NULL);
    if (LZ4F_isError(*hint)) {
        return map_lz4_error(*hint);
    }
    if (*dst > max_out - *total) {
        return SAMSA_ERR_TOO_LARGE;
    }
    *total += *dst;
    return *dst > 0 ? sink(ctx, piece, *dst) : SAMSA_OK;
}

/* Runs the frame decoder over all input (one or more frames). */
static samsa_err_t decode_frames(LZ4F_dctx *dctx, const unsigned char *in,
                                 size_t in_len, size_t max_out,
                                 unsigned char *piece, samsa_codec_sink_fn sink,
                                 void *ctx)
{
    size_t pos = 0, total = 0, hint = 1;
    while (pos < in_len) {
        size_t src = in_len - pos, dst;
        samsa_err_t err = step(dctx, in + pos, &src, piece, &dst, &hint,
                               max_out, &total, sink, ctx);
        if (err != SAMSA_OK) {
            return err;
        }
        pos += src;
        if (src == 0 && dst == 0) {
            /* No progress with room and input left: cannot happen with a
             * sane decoder, but never loop forever on it. */
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
    }
    /* Input used up: the decoder may still hold decoded bytes to flush. */
    while (hint != 0) {
        size_t src = 0, dst;
        samsa_err_t err = step(dctx, NULL, &src, piece, &dst, &hint, max_out,
                               &total, sink, ctx);
        if (err != SAMSA_OK) {
            return err;
        }
        if (dst == 0 && hint != 0) {
            return SAMSA_ERR_CORRUPT_MESSAGE; /* truncated frame */
        }
    }
    return SAMSA_OK;
}

static samsa_err_t lz4_decompress_stream(void *state, const void *in,
                                         size_t in_len, size_t max_out,
                                         samsa_codec_sink_fn sink, void *ctx)
{
    lz4_state_t *st = state;
    if (in_len == 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    LZ4F_dctx *dctx = NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
        return SAMSA_ERR_NOMEM;
    }
    unsigned char *piece = st->svc->alloc(SAMSA_CODEC_PIECE);
    samsa_err_t err = SAMSA_ERR_NOMEM;
    if (piece != NULL) {
        err = decode_frames(dctx, in, in_len, max_out, piece, sink, ctx);
    }
    st->svc->free(piece);
    LZ4F_freeDecompressionContext(dctx);
    return err;
}

static samsa_err_t lz4_decompress(void *state, const void *in, size_t in_len,
                                  size_t max_out, void **out, size_t *out_len)
{
    lz4_state_t *st = state;
    return samsa_codec_decompress_whole(
        lz4_decompress_stream, state, st->svc, in, in_len, max_out,
        in_len * 4 /* a first guess */, out, out_len);
}

static const samsa_codec_ops_t lz4_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t),
    .codec_id = SAMSA_CODEC_LZ4,
    .compress = lz4_compress,
    .decompress = lz4_decompress,
    .decompress_stream = lz4_decompress_stream,
};

static const samsa_plugin_t lz4_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_CODEC,
    .name = "codec-lz4",
    .version = "1.0.0",
    .summary = "lz4 (Kafka codec 3): LZ4 frame, 64 KiB independent blocks",
    .options = lz4_options,
    .init = lz4_init,
    .fini = lz4_fini,
    .ops = &lz4_ops,
};

SAMSA_PLUGIN_DECLARE(lz4_plugin)
