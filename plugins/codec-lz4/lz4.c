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

typedef struct lz4_out {
    unsigned char *buf;
    size_t size; /* allocated */
    size_t used;
    size_t cap; /* max_out + 1: one byte past the limit proves a bomb */
} lz4_out_t;

static samsa_err_t out_grow(const samsa_services_t *svc, lz4_out_t *o)
{
    if (o->size >= o->cap) {
        return SAMSA_ERR_TOO_LARGE;
    }
    size_t next = o->size * 2;
    if (next < o->size || next > o->cap) {
        next = o->cap;
    }
    unsigned char *nb = svc->realloc(o->buf, next);
    if (nb == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    o->buf = nb;
    o->size = next;
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

/* Runs the frame decoder over all input (one or more frames). */
static samsa_err_t decode_frames(const samsa_services_t *svc, LZ4F_dctx *dctx,
                                 const unsigned char *in, size_t in_len,
                                 size_t max_out, lz4_out_t *o)
{
    size_t pos = 0;
    size_t hint = 1;
    while (pos < in_len) {
        if (o->used == o->size) {
            samsa_err_t err = out_grow(svc, o);
            if (err != SAMSA_OK) {
                return err;
            }
        }
        size_t src = in_len - pos;
        size_t dst = o->size - o->used;
        hint =
            LZ4F_decompress(dctx, o->buf + o->used, &dst, in + pos, &src, NULL);
        if (LZ4F_isError(hint)) {
            return map_lz4_error(hint);
        }
        pos += src;
        o->used += dst;
        if (o->used > max_out) {
            return SAMSA_ERR_TOO_LARGE;
        }
        if (src == 0 && dst == 0 && o->used < o->size) {
            /* No progress with room and input left: cannot happen with a
             * sane decoder, but never loop forever on it. */
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
    }
    /* Input used up: the decoder may still hold decoded bytes to flush. */
    while (hint != 0) {
        if (o->used == o->size) {
            samsa_err_t err = out_grow(svc, o);
            if (err != SAMSA_OK) {
                return err;
            }
        }
        size_t src = 0;
        size_t dst = o->size - o->used;
        hint = LZ4F_decompress(dctx, o->buf + o->used, &dst, NULL, &src, NULL);
        if (LZ4F_isError(hint)) {
            return map_lz4_error(hint);
        }
        o->used += dst;
        if (o->used > max_out) {
            return SAMSA_ERR_TOO_LARGE;
        }
        if (dst == 0 && hint != 0) {
            return SAMSA_ERR_CORRUPT_MESSAGE; /* truncated frame */
        }
    }
    return SAMSA_OK;
}

static samsa_err_t lz4_decompress(void *state, const void *in, size_t in_len,
                                  size_t max_out, void **out, size_t *out_len)
{
    lz4_state_t *st = state;
    const samsa_services_t *svc = st->svc;
    if (in_len == 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    LZ4F_dctx *dctx = NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
        return SAMSA_ERR_NOMEM;
    }
    lz4_out_t o = {NULL, 0, 0, max_out == SIZE_MAX ? SIZE_MAX : max_out + 1};
    o.size = in_len > SIZE_MAX / 4 ? SIZE_MAX : in_len * 4;
    o.size = o.size < 4096 ? 4096 : o.size;
    o.size = o.size > o.cap ? o.cap : o.size;
    o.buf = svc->alloc(o.size);
    samsa_err_t err = SAMSA_ERR_NOMEM;
    if (o.buf != NULL) {
        err = decode_frames(svc, dctx, in, in_len, max_out, &o);
    }
    LZ4F_freeDecompressionContext(dctx);
    if (err != SAMSA_OK) {
        svc->free(o.buf);
        return err;
    }
    *out = o.buf;
    *out_len = o.used;
    return SAMSA_OK;
}

static const samsa_codec_ops_t lz4_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t),
    .codec_id = SAMSA_CODEC_LZ4,
    .compress = lz4_compress,
    .decompress = lz4_decompress,
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
