/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec-gzip: Kafka codec id 1. Writes one RFC 1952 gzip member (what the
 * Java client's GZIPOutputStream writes); reads any gzip stream, including
 * several concatenated members, as the JDK's GZIPInputStream does.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include <samsa/codec.h>

#include "codec_out.h"

/* zlib: 15-bit window, +16 selects the gzip wrapper instead of zlib's. */
#define GZIP_WINDOW_BITS (15 + 16)

typedef struct gzip_state {
    const samsa_services_t *svc;
    int level;
} gzip_state_t;

static const samsa_option_t gzip_options[] = {
    SAMSA_OPTION_INT("level", "-1", -1, 9,
                     "zlib compression level: 0 (store) to 9 (smallest); "
                     "-1 is zlib's default (6), which Kafka also uses."),
    SAMSA_OPTION_END,
};

static samsa_err_t gzip_init(const samsa_services_t *svc,
                             const samsa_instance_t *inst, void **state,
                             char *errbuf, size_t errbuf_size)
{
    int64_t level = -1;
    samsa_err_t err = svc->config_int(inst->config, "level", &level);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "gzip: option level: %s",
                 svc->err_str(err));
        return err;
    }
    gzip_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "gzip: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->level = (int)level;
    *state = st;
    return SAMSA_OK;
}

static void gzip_fini(void *state)
{
    gzip_state_t *st = state;
    if (st != NULL) {
        st->svc->free(st);
    }
}

static samsa_err_t gzip_compress(void *state, const void *in, size_t in_len,
                                 void **out, size_t *out_len)
{
    gzip_state_t *st = state;
    const samsa_services_t *svc = st->svc;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (in_len > UINT_MAX) {
        return SAMSA_ERR_TOO_LARGE;
    }
    if (deflateInit2(&zs, st->level, Z_DEFLATED, GZIP_WINDOW_BITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = SAMSA_OK;
    uLong bound = deflateBound(&zs, (uLong)in_len);
    unsigned char *buf = svc->alloc(bound);
    if (buf == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto done;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)in_len;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        /* deflateBound() guarantees room; anything else is a zlib fault. */
        svc->free(buf);
        err = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        goto done;
    }
    *out = buf;
    *out_len = zs.total_out;
done:
    deflateEnd(&zs);
    return err;
}

/* True when the bytes left after a member start another gzip member. */
static bool next_member_follows(const z_stream *zs)
{
    return zs->avail_in >= 2 && zs->next_in[0] == 0x1f &&
           zs->next_in[1] == 0x8b;
}

/* Inflates every member, a piece at a time, into the sink. */
static samsa_err_t inflate_all(z_stream *zs, size_t max_out,
                               unsigned char *piece, samsa_codec_sink_fn sink,
                               void *ctx)
{
    size_t total = 0;
    for (;;) {
        zs->next_out = piece;
        zs->avail_out = SAMSA_CODEC_PIECE;
        int rc = inflate(zs, Z_NO_FLUSH);
        size_t n = SAMSA_CODEC_PIECE - zs->avail_out;
        if (n > max_out - total) {
            return SAMSA_ERR_TOO_LARGE;
        }
        total += n;
        if (n > 0) {
            samsa_err_t err = sink(ctx, piece, n);
            if (err != SAMSA_OK) {
                return err;
            }
        }
        if (rc == Z_STREAM_END) {
            if (zs->avail_in == 0) {
                return SAMSA_OK;
            }
            if (!next_member_follows(zs) || inflateReset(zs) != Z_OK) {
                return SAMSA_ERR_CORRUPT_MESSAGE;
            }
            continue;
        }
        if (rc == Z_MEM_ERROR) {
            return SAMSA_ERR_NOMEM;
        }
        if (rc != Z_OK && !(rc == Z_BUF_ERROR && zs->avail_out == 0)) {
            /* Z_DATA_ERROR, or Z_BUF_ERROR with room left: the input
             * ended before the member did (truncated). */
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        if (zs->avail_in == 0 && zs->avail_out != 0) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
    }
}

static samsa_err_t gzip_decompress_stream(void *state, const void *in,
                                          size_t in_len, size_t max_out,
                                          samsa_codec_sink_fn sink, void *ctx)
{
    gzip_state_t *st = state;
    if (in_len == 0 || in_len > UINT_MAX) {
        return in_len == 0 ? SAMSA_ERR_CORRUPT_MESSAGE : SAMSA_ERR_TOO_LARGE;
    }
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, GZIP_WINDOW_BITS) != Z_OK) {
        return SAMSA_ERR_NOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)in_len;
    unsigned char *piece = st->svc->alloc(SAMSA_CODEC_PIECE);
    samsa_err_t err = SAMSA_ERR_NOMEM;
    if (piece != NULL) {
        err = inflate_all(&zs, max_out, piece, sink, ctx);
    }
    st->svc->free(piece);
    inflateEnd(&zs);
    return err;
}

static samsa_err_t gzip_decompress(void *state, const void *in, size_t in_len,
                                   size_t max_out, void **out, size_t *out_len)
{
    gzip_state_t *st = state;
    return samsa_codec_decompress_whole(
        gzip_decompress_stream, state, st->svc, in, in_len, max_out,
        in_len * 4 /* a first guess */, out, out_len);
}

static const samsa_codec_ops_t gzip_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t),
    .codec_id = SAMSA_CODEC_GZIP,
    .compress = gzip_compress,
    .decompress = gzip_decompress,
    .decompress_stream = gzip_decompress_stream,
};

static const samsa_plugin_t gzip_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_CODEC,
    .name = "codec-gzip",
    .version = "1.0.0",
    .summary = "gzip (Kafka codec 1) via zlib; reads concatenated members",
    .options = gzip_options,
    .init = gzip_init,
    .fini = gzip_fini,
    .ops = &gzip_ops,
};

SAMSA_PLUGIN_DECLARE(gzip_plugin)
