/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec-snappy: Kafka codec id 2. Reads both framings clients write (see
 * shared/kafka-protocol README §8, CLIENTS.md §6.3): raw snappy (one block,
 * librdkafka, franz-go) and snappy-java's "xerial" stream framing (Java,
 * kafka-python, sarama >= 1.47):
 *
 *   82 'S' 'N' 'A' 'P' 'P' 'Y' 00 | int32 BE version | int32 BE min compat
 *   then repeated: int32 BE compressed length | one raw snappy block
 *
 * Writes xerial framing by default (what the Java client writes), or raw.
 */
#include <stdio.h>
#include <string.h>

#include <snappy-c.h>

#include <samsa/codec.h>

#include "codec_out.h"

#define XERIAL_HEADER_LEN 16
#define XERIAL_VERSION    1
#define XERIAL_MIN_COMPAT 1

static const unsigned char xerial_magic[8] = {0x82, 'S', 'N', 'A',
                                              'P',  'P', 'Y', 0};

typedef struct snappy_state {
    const samsa_services_t *svc;
    bool xerial;       /* framing: xerial (true) or raw */
    size_t block_size; /* xerial: input bytes per block */
} snappy_state_t;

static const samsa_option_t snappy_options[] = {
    SAMSA_OPTION_STRING("framing", "xerial",
                        "What compress writes: xerial (snappy-java stream "
                        "framing, as the Java client) or raw (one block, as "
                        "librdkafka). Decompress always reads both."),
    SAMSA_OPTION_INT("block_size", "32768", 1024, 16777216,
                     "xerial framing: uncompressed bytes per block "
                     "(snappy-java's default is 32 KiB)."),
    SAMSA_OPTION_END,
};

static samsa_err_t snappy_init(const samsa_services_t *svc,
                               const samsa_instance_t *inst, void **state,
                               char *errbuf, size_t errbuf_size)
{
    const char *framing = NULL;
    int64_t block = 0;
    samsa_err_t err = svc->config_string(inst->config, "framing", &framing);
    if (err == SAMSA_OK) {
        err = svc->config_int(inst->config, "block_size", &block);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "snappy: options: %s", svc->err_str(err));
        return err;
    }
    if (strcmp(framing, "xerial") != 0 && strcmp(framing, "raw") != 0) {
        snprintf(errbuf, errbuf_size,
                 "snappy: framing is \"%s\", expected xerial or raw", framing);
        return SAMSA_ERR_CONFIG;
    }
    if (block < 1024 || block > 16777216) {
        snprintf(errbuf, errbuf_size,
                 "snappy: block_size %lld outside 1024..16777216",
                 (long long)block);
        return SAMSA_ERR_CONFIG;
    }
    snappy_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "snappy: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->xerial = strcmp(framing, "xerial") == 0;
    st->block_size = (size_t)block;
    *state = st;
    return SAMSA_OK;
}

static void snappy_fini(void *state)
{
    snappy_state_t *st = state;
    if (st != NULL) {
        st->svc->free(st);
    }
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static samsa_err_t compress_raw(const snappy_state_t *st, const char *in,
                                size_t in_len, void **out, size_t *out_len)
{
    size_t len = snappy_max_compressed_length(in_len);
    char *buf = st->svc->alloc(len);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    if (snappy_compress(in, in_len, buf, &len) != SNAPPY_OK) {
        st->svc->free(buf);
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    *out = buf;
    *out_len = len;
    return SAMSA_OK;
}

static samsa_err_t compress_xerial(const snappy_state_t *st, const char *in,
                                   size_t in_len, void **out, size_t *out_len)
{
    size_t blocks = (in_len + st->block_size - 1) / st->block_size;
    size_t per_block = 4 + snappy_max_compressed_length(st->block_size);
    if (blocks > (SIZE_MAX - XERIAL_HEADER_LEN) / per_block) {
        return SAMSA_ERR_TOO_LARGE;
    }
    size_t cap = XERIAL_HEADER_LEN + blocks * per_block;
    unsigned char *buf = st->svc->alloc(cap);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(buf, xerial_magic, sizeof(xerial_magic));
    put_be32(buf + 8, XERIAL_VERSION);
    put_be32(buf + 12, XERIAL_MIN_COMPAT);
    size_t pos = XERIAL_HEADER_LEN;
    for (size_t off = 0; off < in_len; off += st->block_size) {
        size_t n =
            in_len - off < st->block_size ? in_len - off : st->block_size;
        size_t clen = cap - pos - 4;
        if (snappy_compress(in + off, n, (char *)buf + pos + 4, &clen) !=
                SNAPPY_OK ||
            clen > INT32_MAX) {
            st->svc->free(buf);
            return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        }
        put_be32(buf + pos, (uint32_t)clen);
        pos += 4 + clen;
    }
    *out = buf;
    *out_len = pos;
    return SAMSA_OK;
}

static samsa_err_t snappy_codec_compress(void *state, const void *in,
                                         size_t in_len, void **out,
                                         size_t *out_len)
{
    const snappy_state_t *st = state;
    if (st->xerial) {
        return compress_xerial(st, in, in_len, out, out_len);
    }
    return compress_raw(st, in, in_len, out, out_len);
}

/* Output of one raw block, checked against what is left of the limit. */
static samsa_err_t block_length(const char *blk, size_t blk_len, size_t room,
                                size_t *ulen)
{
    if (blk_len == 0 ||
        snappy_uncompressed_length(blk, blk_len, ulen) != SNAPPY_OK) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    return *ulen > room ? SAMSA_ERR_TOO_LARGE : SAMSA_OK;
}

/* First pass over the xerial blocks: checks the framing and sums the
 * uncompressed sizes, so the output is allocated once and a bomb is
 * refused before any large allocation. */
static samsa_err_t xerial_total(const unsigned char *in, size_t in_len,
                                size_t max_out, size_t *total)
{
    size_t pos = XERIAL_HEADER_LEN;
    size_t sum = 0;
    while (pos < in_len) {
        if (in_len - pos < 4) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        uint32_t blen = get_be32(in + pos);
        pos += 4;
        if (blen > in_len - pos) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        size_t ulen = 0;
        samsa_err_t err =
            block_length((const char *)in + pos, blen, max_out - sum, &ulen);
        if (err != SAMSA_OK) {
            return err;
        }
        sum += ulen;
        pos += blen;
    }
    *total = sum;
    return SAMSA_OK;
}

static bool is_xerial(const unsigned char *in, size_t in_len)
{
    return in_len >= XERIAL_HEADER_LEN &&
           memcmp(in, xerial_magic, sizeof(xerial_magic)) == 0;
}

/* One raw block into a buffer of at most its own size, then the sink:
 * snappy has no streaming decoder, so memory is one block (raw framing:
 * the whole output, still within max_out). */
static samsa_err_t stream_block(const snappy_state_t *st, const char *blk,
                                size_t blk_len, size_t room,
                                samsa_codec_sink_fn sink, void *ctx,
                                size_t *used)
{
    size_t ulen = 0;
    samsa_err_t err = block_length(blk, blk_len, room, &ulen);
    if (err != SAMSA_OK) {
        return err;
    }
    char *buf = st->svc->alloc(ulen > 0 ? ulen : 1);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    size_t n = ulen;
    err = snappy_uncompress(blk, blk_len, buf, &n) == SNAPPY_OK && n == ulen
              ? sink(ctx, buf, n)
              : SAMSA_ERR_CORRUPT_MESSAGE;
    st->svc->free(buf);
    *used += n;
    return err;
}

static samsa_err_t snappy_codec_decompress_stream(void *state, const void *in,
                                                  size_t in_len, size_t max_out,
                                                  samsa_codec_sink_fn sink,
                                                  void *ctx)
{
    const snappy_state_t *st = state;
    size_t used = 0;
    if (!is_xerial(in, in_len)) {
        return stream_block(st, in, in_len, max_out, sink, ctx, &used);
    }
    /* The framing and the total are checked before any output. */
    size_t total = 0;
    samsa_err_t err = xerial_total(in, in_len, max_out, &total);
    const unsigned char *p = in;
    size_t pos = XERIAL_HEADER_LEN;
    while (err == SAMSA_OK && pos < in_len) {
        uint32_t blen = get_be32(p + pos);
        pos += 4;
        err = stream_block(st, (const char *)p + pos, blen, total - used, sink,
                           ctx, &used);
        pos += blen;
    }
    return err;
}

static samsa_err_t snappy_codec_decompress(void *state, const void *in,
                                           size_t in_len, size_t max_out,
                                           void **out, size_t *out_len)
{
    const snappy_state_t *st = state;
    size_t ulen = 0;
    /* Raw framing declares the whole size: allocate it once. */
    if (!is_xerial(in, in_len) && in_len > 0 &&
        snappy_uncompressed_length(in, in_len, &ulen) != SNAPPY_OK) {
        ulen = 0;
    }
    return samsa_codec_decompress_whole(snappy_codec_decompress_stream, state,
                                        st->svc, in, in_len, max_out,
                                        ulen ? ulen : in_len * 4, out, out_len);
}

static const samsa_codec_ops_t snappy_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t),
    .codec_id = SAMSA_CODEC_SNAPPY,
    .compress = snappy_codec_compress,
    .decompress = snappy_codec_decompress,
    .decompress_stream = snappy_codec_decompress_stream,
};

static const samsa_plugin_t snappy_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_CODEC,
    .name = "codec-snappy",
    .version = "1.0.0",
    .summary = "snappy (Kafka codec 2): reads raw and xerial framing",
    .options = snappy_options,
    .init = snappy_init,
    .fini = snappy_fini,
    .ops = &snappy_ops,
};

SAMSA_PLUGIN_DECLARE(snappy_plugin)
