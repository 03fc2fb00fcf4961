/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec-zstd: Kafka codec id 4, standard zstd frames (what zstd-jni writes
 * for the Java client). Decompression streams, so frames without a content
 * size (streaming writers such as zstd-jni's ZstdOutputStream) work, and
 * several concatenated frames are read as one stream.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include <samsa/codec.h>

#include "codec_out.h"

/* Static bounds for the option table; init checks them against the
 * linked library's ZSTD_minCLevel()/ZSTD_maxCLevel(). */
#define ZSTD_OPT_LEVEL_MIN (-131072)
#define ZSTD_OPT_LEVEL_MAX 22

typedef struct zstd_state {
    const samsa_services_t *svc;
    int level;
} zstd_state_t;

static const samsa_option_t zstd_options[] = {
    SAMSA_OPTION_INT("level", "3", ZSTD_OPT_LEVEL_MIN, ZSTD_OPT_LEVEL_MAX,
                     "zstd compression level: 1..22 (3 is zstd's and "
                     "Kafka's default), negative levels are faster; 0 means "
                     "the library default."),
    SAMSA_OPTION_END,
};

static samsa_err_t zstd_init(const samsa_services_t *svc,
                             const samsa_instance_t *inst, void **state,
                             char *errbuf, size_t errbuf_size)
{
    int64_t level = 3;
    samsa_err_t err = svc->config_int(inst->config, "level", &level);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "zstd: option level: %s",
                 svc->err_str(err));
        return err;
    }
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
        snprintf(errbuf, errbuf_size,
                 "zstd: level %lld outside this libzstd's %d..%d",
                 (long long)level, ZSTD_minCLevel(), ZSTD_maxCLevel());
        return SAMSA_ERR_CONFIG;
    }
    zstd_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "zstd: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->level = (int)level;
    *state = st;
    return SAMSA_OK;
}

static void zstd_fini(void *state)
{
    zstd_state_t *st = state;
    if (st != NULL) {
        st->svc->free(st);
    }
}

static samsa_err_t zstd_compress(void *state, const void *in, size_t in_len,
                                 void **out, size_t *out_len)
{
    zstd_state_t *st = state;
    size_t bound = ZSTD_compressBound(in_len);
    if (ZSTD_isError(bound)) {
        return SAMSA_ERR_TOO_LARGE;
    }
    void *buf = st->svc->alloc(bound);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    /* A context per call: compress runs concurrently on several threads. */
    size_t n = ZSTD_compress(buf, bound, in, in_len, st->level);
    if (ZSTD_isError(n)) {
        st->svc->free(buf);
        return ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation
                   ? SAMSA_ERR_NOMEM
                   : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    *out = buf;
    *out_len = n;
    return SAMSA_OK;
}

static samsa_err_t map_zstd_error(size_t rc)
{
    switch (ZSTD_getErrorCode(rc)) {
    case ZSTD_error_memory_allocation:
        return SAMSA_ERR_NOMEM;
    case ZSTD_error_frameParameter_windowTooLarge:
        /* The frame needs a window above the decoder's limit (128 MiB by
         * default): the same class of problem as a bomb. */
        return SAMSA_ERR_TOO_LARGE;
    default:
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
}

/* The largest window a frame may ask for: what max_out needs, at least
 * 8 MiB (zstd-jni's streaming writer declares no content size and a window
 * of up to 2^23 at common levels), at most zstd's 128 MiB default. This
 * bounds the decoder's memory by the output limit. */
static int window_log_max(size_t max_out)
{
    int log = 23;
    while (log < 27 && ((size_t)1 << log) < max_out) {
        log++;
    }
    return log;
}

/* Streams every frame in @p in through @p dctx, a piece at a time. */
static samsa_err_t decode_stream(ZSTD_DCtx *dctx, const void *in, size_t in_len,
                                 size_t max_out, unsigned char *piece,
                                 samsa_codec_sink_fn sink, void *ctx)
{
    ZSTD_inBuffer ib = {in, in_len, 0};
    size_t total = 0;
    size_t hint = 1;
    bool full = true;
    while (ib.pos < ib.size || (hint != 0 && full)) {
        ZSTD_outBuffer ob = {piece, SAMSA_CODEC_PIECE, 0};
        size_t in_before = ib.pos;
        hint = ZSTD_decompressStream(dctx, &ob, &ib);
        if (ZSTD_isError(hint)) {
            return map_zstd_error(hint);
        }
        if (ob.pos > max_out - total) {
            return SAMSA_ERR_TOO_LARGE;
        }
        total += ob.pos;
        full = ob.pos == ob.size;
        if (ob.pos > 0) {
            samsa_err_t err = sink(ctx, piece, ob.pos);
            if (err != SAMSA_OK) {
                return err;
            }
        }
        if (ib.pos == in_before && ob.pos == 0) {
            break; /* no progress: input exhausted */
        }
    }
    return hint != 0 ? SAMSA_ERR_CORRUPT_MESSAGE /* truncated frame */
                     : SAMSA_OK;
}

/* The first frame's declared size, when it has one: refuses a declared
 * bomb before decoding anything. */
static samsa_err_t declared_size(const void *in, size_t in_len, size_t max_out,
                                 size_t *size)
{
    unsigned long long declared = ZSTD_getFrameContentSize(in, in_len);
    if (declared == ZSTD_CONTENTSIZE_ERROR) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    *size = 0;
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN) {
        if (declared > max_out) {
            return SAMSA_ERR_TOO_LARGE;
        }
        *size = (size_t)declared;
    }
    return SAMSA_OK;
}

static samsa_err_t zstd_decompress_stream(void *state, const void *in,
                                          size_t in_len, size_t max_out,
                                          samsa_codec_sink_fn sink, void *ctx)
{
    zstd_state_t *st = state;
    size_t declared;
    samsa_err_t err = in_len == 0
                          ? SAMSA_ERR_CORRUPT_MESSAGE
                          : declared_size(in, in_len, max_out, &declared);
    if (err != SAMSA_OK) {
        return err;
    }
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    unsigned char *piece = st->svc->alloc(SAMSA_CODEC_PIECE);
    err = SAMSA_ERR_NOMEM;
    if (dctx != NULL && piece != NULL &&
        !ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
                                             window_log_max(max_out)))) {
        err = decode_stream(dctx, in, in_len, max_out, piece, sink, ctx);
    }
    st->svc->free(piece);
    ZSTD_freeDCtx(dctx);
    return err;
}

static samsa_err_t zstd_decompress(void *state, const void *in, size_t in_len,
                                   size_t max_out, void **out, size_t *out_len)
{
    zstd_state_t *st = state;
    size_t declared = 0;
    samsa_err_t err = in_len == 0
                          ? SAMSA_ERR_CORRUPT_MESSAGE
                          : declared_size(in, in_len, max_out, &declared);
    if (err != SAMSA_OK) {
        return err;
    }
    size_t guess = in_len > SIZE_MAX / 4 ? SIZE_MAX : in_len * 4;
    return samsa_codec_decompress_whole(
        zstd_decompress_stream, state, st->svc, in, in_len, max_out,
        declared ? declared : guess, out, out_len);
}

static const samsa_codec_ops_t zstd_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t),
    .codec_id = SAMSA_CODEC_ZSTD,
    .compress = zstd_compress,
    .decompress = zstd_decompress,
    .decompress_stream = zstd_decompress_stream,
};

static const samsa_plugin_t zstd_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_CODEC,
    .name = "codec-zstd",
    .version = "1.0.0",
    .summary = "zstd (Kafka codec 4): standard frames, streaming decoder",
    .options = zstd_options,
    .init = zstd_init,
    .fini = zstd_fini,
    .ops = &zstd_ops,
};

SAMSA_PLUGIN_DECLARE(zstd_plugin)
