/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec-gzip: Kafka codec id 1. Writes one RFC 1952 gzip member (what the
 * Java client's GZIPOutputStream writes); reads any gzip stream, including
 * several concatenated members, as the JDK's GZIPInputStream does.
 * Reads with ISA-L's igzip (1.1-4.8x zlib's inflate on record batches,
 * tests/bench/gzip). Writes with igzip at the levels it has (1-3, and the
 * default, which is its level 3: 3-11x zlib's level 6 for output 1-2
 * points larger); zlib writes only what igzip cannot: level 0 (stored
 * blocks) and levels 4-9, asked for when a smaller output matters more
 * than the CPU.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <samsa/codec.h>

#include "codec_out.h"

/* zlib: 15-bit window, +16 selects the gzip wrapper instead of zlib's. */
#define GZIP_WINDOW_BITS (15 + 16)

/* The level -1 (zlib's and Kafka's "default") maps to; igzip's best. */
#define IGZIP_DEFAULT_LEVEL ISAL_DEF_MAX_LEVEL

typedef struct gzip_state {
    const samsa_services_t *svc;
    int level;
} gzip_state_t;

static const samsa_option_t gzip_options[] = {
    SAMSA_OPTION_INT("level", "-1", -1, 9,
                     "compression level: -1 (default) and 1-3 compress "
                     "with ISA-L's igzip (-1 is its level 3, close to "
                     "zlib's 6 in size, several times faster); 0 stores, "
                     "4-9 compress with zlib (9 is smallest)."),
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

static samsa_err_t zlib_compress(const gzip_state_t *st, const void *in,
                                 size_t in_len, void **out, size_t *out_len)
{
    const samsa_services_t *svc = st->svc;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
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

/* Room for igzip's output: incompressible input is written as stored
 * blocks (5 bytes per 64 KiB), plus the gzip header and trailer. igzip
 * has no deflateBound(); when the guess is short, the buffer doubles. */
static size_t igzip_first_guess(size_t in_len)
{
    return in_len + (in_len >> 10) + 5 * (in_len / 65535 + 1) + 64;
}

static samsa_err_t igzip_compress(const gzip_state_t *st, const void *in,
                                  size_t in_len, void **out, size_t *out_len)
{
    const samsa_services_t *svc = st->svc;
    /* The level's hash tables (~0.4 MiB at level 3): one per thread,
     * reused for every batch, as the inflate state below is. */
    static __thread uint8_t level_buf[ISAL_DEF_LVL3_DEFAULT];
    size_t cap = igzip_first_guess(in_len);
    for (;;) {
        if (cap > UINT32_MAX) {
            return SAMSA_ERR_TOO_LARGE;
        }
        unsigned char *buf = svc->alloc(cap);
        if (buf == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        struct isal_zstream zs;
        isal_deflate_init(&zs);
        zs.gzip_flag = IGZIP_GZIP;
        zs.level = (uint32_t)(st->level < 0 ? IGZIP_DEFAULT_LEVEL : st->level);
        zs.level_buf = level_buf;
        zs.level_buf_size = sizeof(level_buf);
        zs.end_of_stream = 1;
        zs.flush = NO_FLUSH;
        zs.next_in = (uint8_t *)(uintptr_t)in;
        zs.avail_in = (uint32_t)in_len;
        zs.next_out = buf;
        zs.avail_out = (uint32_t)cap;
        int rc = isal_deflate(&zs);
        if (rc == COMP_OK && zs.internal_state.state == ZSTATE_END) {
            *out = buf;
            *out_len = zs.total_out;
            return SAMSA_OK;
        }
        svc->free(buf);
        if (rc != COMP_OK || zs.avail_out != 0) {
            /* Not a full output buffer: an igzip fault, not ours to retry. */
            return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        }
        cap *= 2;
    }
}

static samsa_err_t gzip_compress(void *state, const void *in, size_t in_len,
                                 void **out, size_t *out_len)
{
    gzip_state_t *st = state;
    if (in_len > UINT_MAX) {
        return SAMSA_ERR_TOO_LARGE;
    }
    if (st->level < 0 || (st->level >= 1 && st->level <= ISAL_DEF_MAX_LEVEL)) {
        return igzip_compress(st, in, in_len, out, out_len);
    }
    return zlib_compress(st, in, in_len, out, out_len);
}

/* True when the bytes left after a member start another gzip member. */
static bool next_member_follows(const struct inflate_state *is)
{
    return is->avail_in >= 2 && is->next_in[0] == 0x1f &&
           is->next_in[1] == 0x8b;
}

/* Starts a member at the input left (ISA-L parses the gzip header and
 * checks the CRC32/ISIZE trailer itself with ISAL_GZIP). */
static void member_start(struct inflate_state *is)
{
    uint8_t *next_in = is->next_in;
    uint32_t avail_in = is->avail_in;
    isal_inflate_init(is);
    is->crc_flag = ISAL_GZIP;
    is->next_in = next_in;
    is->avail_in = avail_in;
}

/* Inflates every member, a piece at a time, into the sink. */
static samsa_err_t inflate_all(struct inflate_state *is, size_t max_out,
                               unsigned char *piece, samsa_codec_sink_fn sink,
                               void *ctx)
{
    size_t total = 0;
    for (;;) {
        is->next_out = piece;
        is->avail_out = SAMSA_CODEC_PIECE;
        if (isal_inflate(is) != ISAL_DECOMP_OK) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        size_t n = SAMSA_CODEC_PIECE - is->avail_out;
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
        if (is->block_state == ISAL_BLOCK_FINISH) {
            if (is->avail_in == 0) {
                return SAMSA_OK;
            }
            if (!next_member_follows(is)) {
                return SAMSA_ERR_CORRUPT_MESSAGE;
            }
            member_start(is);
            continue;
        }
        if (n == 0 && is->avail_in == 0) {
            /* The input ended before the member did (truncated). */
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
    }
}

static samsa_err_t gzip_decompress_stream(void *state, const void *in,
                                          size_t in_len, size_t max_out,
                                          samsa_codec_sink_fn sink, void *ctx)
{
    gzip_state_t *st = state;
    if (in_len == 0 || in_len > UINT32_MAX) {
        return in_len == 0 ? SAMSA_ERR_CORRUPT_MESSAGE : SAMSA_ERR_TOO_LARGE;
    }
    /* ISA-L's inflate state is ~85 KiB (window and tables): one per thread,
     * reused for every batch rather than allocated per call (glibc frees
     * it when the thread exits). Sinks never inflate gzip themselves. */
    static __thread struct inflate_state is;
    unsigned char *piece = st->svc->alloc(SAMSA_CODEC_PIECE);
    if (piece == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    is.next_in = (uint8_t *)(uintptr_t)in;
    is.avail_in = (uint32_t)in_len;
    member_start(&is);
    samsa_err_t err = inflate_all(&is, max_out, piece, sink, ctx);
    st->svc->free(piece);
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
    .version = "1.1.0",
    .summary = "gzip (Kafka codec 1): ISA-L's igzip reads and writes "
               "(zlib writes levels 0 and 4-9); reads concatenated members",
    .options = gzip_options,
    .init = gzip_init,
    .fini = gzip_fini,
    .ops = &gzip_ops,
};

SAMSA_PLUGIN_DECLARE(gzip_plugin)
