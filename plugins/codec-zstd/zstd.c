/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec-zstd: Kafka codec id 4, standard zstd frames (what zstd-jni writes
 * for the Java client). Decompression streams, so frames without a content
 * size (streaming writers such as zstd-jni's ZstdOutputStream) work, and
 * several concatenated frames are read as one stream.
 */
#include <stdio.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include <samsa/codec.h>

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

typedef struct zstd_out {
    unsigned char *buf;
    size_t size;
    size_t cap; /* max_out + 1 */
} zstd_out_t;

static samsa_err_t out_grow(const samsa_services_t *svc, zstd_out_t *o)
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

/* Streams every frame in @p in through @p dctx into @p o. */
static samsa_err_t decode_stream(const samsa_services_t *svc, ZSTD_DCtx *dctx,
                                 const void *in, size_t in_len, size_t max_out,
                                 zstd_out_t *o, size_t *used)
{
    ZSTD_inBuffer ib = {in, in_len, 0};
    ZSTD_outBuffer ob = {o->buf, o->size, 0};
    size_t hint = 1;
    while (ib.pos < ib.size || (hint != 0 && ob.pos == ob.size)) {
        if (ob.pos == ob.size) {
            samsa_err_t err = out_grow(svc, o);
            if (err != SAMSA_OK) {
                return err;
            }
            ob.dst = o->buf;
            ob.size = o->size;
        }
        size_t in_before = ib.pos;
        size_t out_before = ob.pos;
        hint = ZSTD_decompressStream(dctx, &ob, &ib);
        if (ZSTD_isError(hint)) {
            return map_zstd_error(hint);
        }
        if (ob.pos > max_out) {
            return SAMSA_ERR_TOO_LARGE;
        }
        if (ib.pos == in_before && ob.pos == out_before && ob.pos < ob.size) {
            break; /* no progress with room left: input exhausted */
        }
    }
    if (hint != 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE; /* truncated frame */
    }
    *used = ob.pos;
    return SAMSA_OK;
}

/* Initial output size: the first frame's declared size when it has one
 * (refusing a declared bomb before allocating), else a guess. */
static samsa_err_t first_size(const void *in, size_t in_len, size_t max_out,
                              size_t *size)
{
    unsigned long long declared = ZSTD_getFrameContentSize(in, in_len);
    if (declared == ZSTD_CONTENTSIZE_ERROR) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_out) {
        return SAMSA_ERR_TOO_LARGE;
    }
    size_t guess = in_len > SIZE_MAX / 4 ? SIZE_MAX : in_len * 4;
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN) {
        guess = (size_t)declared + 1; /* +1: detects trailing frames */
    }
    guess = guess < 4096 ? 4096 : guess;
    if (max_out < SIZE_MAX && guess > max_out + 1) {
        guess = max_out + 1;
    }
    *size = guess;
    return SAMSA_OK;
}

static samsa_err_t zstd_decompress(void *state, const void *in, size_t in_len,
                                   size_t max_out, void **out, size_t *out_len)
{
    zstd_state_t *st = state;
    const samsa_services_t *svc = st->svc;
    zstd_out_t o = {NULL, 0, max_out == SIZE_MAX ? SIZE_MAX : max_out + 1};
    if (in_len == 0) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    samsa_err_t err = first_size(in, in_len, max_out, &o.size);
    if (err != SAMSA_OK) {
        return err;
    }
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (dctx == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    size_t used = 0;
    o.buf = svc->alloc(o.size);
    err = SAMSA_ERR_NOMEM;
    if (o.buf != NULL) {
        err = decode_stream(svc, dctx, in, in_len, max_out, &o, &used);
    }
    ZSTD_freeDCtx(dctx);
    if (err != SAMSA_OK) {
        svc->free(o.buf);
        return err;
    }
    *out = o.buf;
    *out_len = used;
    return SAMSA_OK;
}

static const samsa_codec_ops_t zstd_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t),
    .codec_id = SAMSA_CODEC_ZSTD,
    .compress = zstd_compress,
    .decompress = zstd_decompress,
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
