/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Codec plugins (codec-gzip, codec-snappy, codec-lz4, codec-zstd): round
 * trips, what real tools and clients produce, what the plugins write,
 * decompression bombs, garbage and truncated input, concurrent use.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <samsa/codec.h>

#include "plugin_harness.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
/* Allowed overshoot of max_out in the host allocator while decoding. */
#define SLACK (64u * KIB)

typedef struct codec_case {
    const char *name;
    uint32_t id;
    const char *const *fixtures; /* tests/data/codec/<f>, all of plain.txt */
} codec_case_t;

static const char *const gzip_fixtures[] = {
    "plain.gzip-cli.gz", "plain.python-gzip.gz", "plain.python-zlib.gz",
    "plain.concat.gz", NULL};
static const char *const snappy_fixtures[] = {"plain.raw.snappy",
                                              "plain.xerial.snappy", NULL};
static const char *const lz4_fixtures[] = {"plain.kafka.lz4",
                                           "plain.dependent.lz4", NULL};
static const char *const zstd_fixtures[] = {"plain.cli.zst", "plain.stream.zst",
                                            "plain.multi.zst", NULL};

static codec_case_t gzip_case = {"codec-gzip", SAMSA_CODEC_GZIP, gzip_fixtures};
static codec_case_t snappy_case = {"codec-snappy", SAMSA_CODEC_SNAPPY,
                                   snappy_fixtures};
static codec_case_t lz4_case = {"codec-lz4", SAMSA_CODEC_LZ4, lz4_fixtures};
static codec_case_t zstd_case = {"codec-zstd", SAMSA_CODEC_ZSTD, zstd_fixtures};

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static unsigned char *random_bytes(size_t n, uint64_t seed)
{
    unsigned char *b = malloc(n > 0 ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        b[i] = (unsigned char)(rng_next(&seed) >> 24);
    }
    return b;
}

static unsigned char *compressible_bytes(size_t n, uint64_t seed)
{
    static const char *const words[] = {"alpha ", "beta ",    "gamma ",
                                        "delta ", "epsilon ", "\n"};
    unsigned char *b = malloc(n > 0 ? n : 1);
    assert_non_null(b);
    size_t i = 0;
    while (i < n) {
        const char *w = words[rng_next(&seed) % 6];
        for (size_t j = 0; w[j] != '\0' && i < n; j++) {
            b[i++] = (unsigned char)w[j];
        }
    }
    return b;
}

static const samsa_codec_ops_t *ops_of(const harness_plugin_t *hp)
{
    return hp->desc->ops;
}

static const samsa_option_t *find_option(const samsa_plugin_t *desc,
                                         const char *name)
{
    for (const samsa_option_t *o = desc->options; o && o->name; o++) {
        if (strcmp(o->name, name) == 0) {
            return o;
        }
    }
    return NULL;
}

static void load_ok(harness_plugin_t *hp, const char *name,
                    const harness_opt_t *opts)
{
    samsa_err_t err = harness_load(hp, name, opts);
    if (err != SAMSA_OK) {
        fprintf(stderr, "init %s: %s\n", name, hp->errbuf);
    }
    assert_int_equal(err, SAMSA_OK);
}

static void compress_ok(harness_plugin_t *hp, const void *in, size_t len,
                        void **out, size_t *out_len)
{
    assert_int_equal(ops_of(hp)->compress(hp->state, in, len, out, out_len),
                     SAMSA_OK);
    assert_non_null(*out);
}

static samsa_err_t decompress(harness_plugin_t *hp, const void *in, size_t len,
                              size_t max_out, void **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    samsa_err_t err =
        ops_of(hp)->decompress(hp->state, in, len, max_out, out, out_len);
    if (err != SAMSA_OK) {
        assert_null(*out);
    }
    return err;
}

static void round_trip(harness_plugin_t *hp, const unsigned char *data,
                       size_t len)
{
    void *c = NULL;
    size_t clen = 0;
    compress_ok(hp, data, len, &c, &clen);
    void *d = NULL;
    size_t dlen = 0;
    assert_int_equal(decompress(hp, c, clen, len, &d, &dlen), SAMSA_OK);
    assert_int_equal(dlen, len);
    if (len > 0) {
        assert_memory_equal(d, data, len);
    }
    harness_services.free(c);
    harness_services.free(d);
}

/* ---- tests ------------------------------------------------------------- */

static void descriptor_is_a_codec_for_its_kafka_id(void **state)
{
    codec_case_t *cc = *state;
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    assert_int_equal(hp.desc->kind, SAMSA_KIND_CODEC);
    assert_int_equal(ops_of(&hp)->codec_id, cc->id);
    assert_int_equal(ops_of(&hp)->hdr.abi_major, SAMSA_ABI_MAJOR);
    assert_non_null(hp.desc->options);
    /* libsnappy has no compression levels; the others expose theirs. */
    if (cc->id == SAMSA_CODEC_SNAPPY) {
        assert_non_null(find_option(hp.desc, "framing"));
        assert_null(find_option(hp.desc, "level"));
    } else {
        assert_non_null(find_option(hp.desc, "level"));
    }
    harness_unload(&hp);
}

static void round_trips_random_and_compressible_data(void **state)
{
    codec_case_t *cc = *state;
    static const size_t sizes[] = {0, 1, 100 * KIB, 5 * MIB};
    size_t base = harness_live_bytes();
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *r = random_bytes(sizes[i], 7 + i);
        unsigned char *c = compressible_bytes(sizes[i], 11 + i);
        round_trip(&hp, r, sizes[i]);
        round_trip(&hp, c, sizes[i]);
        free(r);
        free(c);
    }
    harness_unload(&hp);
    assert_int_equal(harness_live_bytes(), base);
}

static void round_trips_at_level_bounds(void **state)
{
    codec_case_t *cc = *state;
    const samsa_option_t *level = NULL;
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    level = find_option(hp.desc, "level");
    if (level == NULL) {
        harness_unload(&hp);
        skip(); /* snappy */
    }
    int64_t lo = level->min, hi = level->max;
    harness_unload(&hp);
    /* zstd's and lz4's extreme negative levels are valid but pointless;
     * use the library's real minimum only where it is small. */
    int64_t levels[] = {lo < -5 ? -5 : lo, hi};
    unsigned char *data = compressible_bytes(100 * KIB, 3);
    for (size_t i = 0; i < 2; i++) {
        char text[32];
        snprintf(text, sizeof(text), "%lld", (long long)levels[i]);
        harness_opt_t opts[] = {{"level", text, NULL, 0}, {NULL}};
        load_ok(&hp, cc->name, opts);
        round_trip(&hp, data, 100 * KIB);
        harness_unload(&hp);
    }
    free(data);
}

static void reads_fixtures_made_by_real_tools(void **state)
{
    codec_case_t *cc = *state;
    size_t plain_len = 0;
    unsigned char *plain =
        harness_read_source_file("tests/data/codec/plain.txt", &plain_len);
    assert_non_null(plain);
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    for (const char *const *f = cc->fixtures; *f != NULL; f++) {
        char rel[256];
        snprintf(rel, sizeof(rel), "tests/data/codec/%s", *f);
        size_t len = 0;
        unsigned char *in = harness_read_source_file(rel, &len);
        assert_non_null(in);
        void *out = NULL;
        size_t out_len = 0;
        samsa_err_t err = decompress(&hp, in, len, plain_len, &out, &out_len);
        if (err != SAMSA_OK) {
            fprintf(stderr, "fixture %s: error %d\n", *f, (int)err);
        }
        assert_int_equal(err, SAMSA_OK);
        assert_int_equal(out_len, plain_len);
        assert_memory_equal(out, plain, plain_len);
        harness_services.free(out);
        /* One byte less room than needed is a bomb. */
        assert_int_equal(
            decompress(&hp, in, len, plain_len - 1, &out, &out_len),
            SAMSA_ERR_TOO_LARGE);
        harness_services.free(out);
        free(in);
    }
    harness_unload(&hp);
    free(plain);
}

static void refuses_a_bomb_without_allocating_it(void **state)
{
    codec_case_t *cc = *state;
    const size_t big = 8 * MIB;
    const size_t limit = 1 * MIB;
    unsigned char *zeros = calloc(1, big);
    assert_non_null(zeros);
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    void *c = NULL;
    size_t clen = 0;
    compress_ok(&hp, zeros, big, &c, &clen);
    size_t before = harness_live_bytes();
    harness_reset_peak();
    void *out = NULL;
    size_t out_len = 0;
    assert_int_equal(decompress(&hp, c, clen, limit, &out, &out_len),
                     SAMSA_ERR_TOO_LARGE);
    assert_true(harness_peak_bytes() - before <= limit + SLACK);
    assert_int_equal(harness_live_bytes(), before);
    /* The exact size is allowed. */
    assert_int_equal(decompress(&hp, c, clen, big, &out, &out_len), SAMSA_OK);
    assert_int_equal(out_len, big);
    harness_services.free(out);
    harness_services.free(c);
    harness_unload(&hp);
    free(zeros);
}

/* What a decompress_stream sink saw. */
typedef struct pieces {
    unsigned char *buf; /* test memory, not the plugin's allocator */
    size_t len, cap, largest;
    size_t fail_after; /* answer SAMSA_ERR_INVAL once this much came */
} pieces_t;

static samsa_err_t gather(void *ctx, const void *piece, size_t len)
{
    pieces_t *p = ctx;
    assert_true(len > 0);
    if (p->len + len > p->cap) {
        p->cap = (p->len + len) * 2;
        p->buf = realloc(p->buf, p->cap);
        assert_non_null(p->buf);
    }
    memcpy(p->buf + p->len, piece, len);
    p->len += len;
    p->largest = len > p->largest ? len : p->largest;
    return p->fail_after && p->len >= p->fail_after ? SAMSA_ERR_INVAL
                                                    : SAMSA_OK;
}

/* decompress_stream (ABI minor 2) gives decompress's bytes in pieces of at
 * most 64 KiB, holding only a piece (or a snappy block) in the plugin,
 * stops at max_out and passes the sink's error on. */
static void streams_output_in_bounded_pieces(void **state)
{
    codec_case_t *cc = *state;
    const size_t len = 8 * MIB;
    unsigned char *plain = compressible_bytes(len, 42);
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    const samsa_codec_ops_t *ops = ops_of(&hp);
    assert_true(SAMSA_ABI_HAS(samsa_codec_ops_t, ops, decompress_stream));
    assert_non_null(ops->decompress_stream);
    void *c = NULL;
    size_t clen = 0;
    compress_ok(&hp, plain, len, &c, &clen);

    size_t before = harness_live_bytes();
    harness_reset_peak();
    pieces_t p = {0};
    assert_int_equal(ops->decompress_stream(hp.state, c, clen, len, gather, &p),
                     SAMSA_OK);
    assert_int_equal(p.len, len);
    assert_memory_equal(p.buf, plain, len);
    assert_true(p.largest <= 64 * KIB);
    assert_true(harness_peak_bytes() - before <= 2 * SLACK);
    assert_int_equal(harness_live_bytes(), before);

    /* One byte short of the output: TOO_LARGE, never more than max_out
     * handed over. */
    p.len = 0;
    assert_int_equal(
        ops->decompress_stream(hp.state, c, clen, len - 1, gather, &p),
        SAMSA_ERR_TOO_LARGE);
    assert_true(p.len <= len - 1);
    /* The sink's own error stops decoding and comes back as is. */
    p.len = 0;
    p.fail_after = 100 * KIB;
    assert_int_equal(ops->decompress_stream(hp.state, c, clen, len, gather, &p),
                     SAMSA_ERR_INVAL);
    assert_true(p.len < len);
    assert_int_equal(harness_live_bytes(), before);
    /* Garbage is CORRUPT_MESSAGE, as for decompress. */
    static const char text[] = "this is definitely not compressed data!!";
    assert_int_equal(ops->decompress_stream(hp.state, text, sizeof(text) - 1,
                                            MIB, gather, &p),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    free(p.buf);
    harness_services.free(c);
    harness_unload(&hp);
    free(plain);
}

static void rejects_garbage_as_corrupt(void **state)
{
    codec_case_t *cc = *state;
    static const char text[] = "this is definitely not compressed data!!";
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    void *out = NULL;
    size_t out_len = 0;
    assert_int_equal(
        decompress(&hp, text, sizeof(text) - 1, MIB, &out, &out_len),
        SAMSA_ERR_CORRUPT_MESSAGE);
    assert_int_equal(decompress(&hp, text, 0, MIB, &out, &out_len),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    for (uint64_t seed = 1; seed <= 50; seed++) {
        unsigned char *junk = random_bytes(64 + seed * 13, seed);
        samsa_err_t err =
            decompress(&hp, junk, 64 + seed * 13, MIB, &out, &out_len);
        if (cc->id == SAMSA_CODEC_SNAPPY) {
            /* Raw snappy has no magic: a random length prefix may claim
             * more than the limit before the data fails to decode. */
            assert_true(err == SAMSA_ERR_CORRUPT_MESSAGE ||
                        err == SAMSA_ERR_TOO_LARGE);
        } else {
            assert_int_equal(err, SAMSA_ERR_CORRUPT_MESSAGE);
        }
        free(junk);
    }
    harness_unload(&hp);
}

static void rejects_truncated_input(void **state)
{
    codec_case_t *cc = *state;
    const size_t len = 100 * KIB;
    unsigned char *data = compressible_bytes(len, 5);
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    void *c = NULL;
    size_t clen = 0;
    compress_ok(&hp, data, len, &c, &clen);
    size_t cuts[] = {1, 7, clen / 3, clen / 2, clen - 1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        void *out = NULL;
        size_t out_len = 0;
        samsa_err_t err = decompress(&hp, c, cuts[i], len, &out, &out_len);
        if (err != SAMSA_ERR_CORRUPT_MESSAGE) {
            fprintf(stderr, "cut at %zu of %zu: %d\n", cuts[i], clen, (int)err);
        }
        assert_int_equal(err, SAMSA_ERR_CORRUPT_MESSAGE);
    }
    harness_services.free(c);
    harness_unload(&hp);
    free(data);
}

typedef struct thread_arg {
    harness_plugin_t *hp;
    uint64_t seed;
    int failures;
} thread_arg_t;

static void *hammer(void *p)
{
    thread_arg_t *ta = p;
    for (int i = 0; i < 20; i++) {
        size_t len = 1000 + (size_t)(rng_next(&ta->seed) % (64 * KIB));
        unsigned char *data = compressible_bytes(len, ta->seed);
        void *c = NULL, *d = NULL;
        size_t clen = 0, dlen = 0;
        const samsa_codec_ops_t *ops = ops_of(ta->hp);
        if (ops->compress(ta->hp->state, data, len, &c, &clen) != SAMSA_OK ||
            ops->decompress(ta->hp->state, c, clen, len, &d, &dlen) !=
                SAMSA_OK ||
            dlen != len || memcmp(d, data, len) != 0) {
            ta->failures++;
        }
        harness_services.free(c);
        harness_services.free(d);
        free(data);
    }
    return NULL;
}

static void one_instance_serves_threads_concurrently(void **state)
{
    codec_case_t *cc = *state;
    harness_plugin_t hp;
    load_ok(&hp, cc->name, NULL);
    pthread_t th[4];
    thread_arg_t args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg_t){&hp, 100 + (uint64_t)i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    harness_unload(&hp);
}

/* ---- codec-specific ---------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void gzip_writes_a_gzip_member_zlib_reads(void **state)
{
    (void)state;
    unsigned char *data = compressible_bytes(100 * KIB, 9);
    harness_plugin_t hp;
    load_ok(&hp, "codec-gzip", NULL);
    void *c = NULL;
    size_t clen = 0;
    compress_ok(&hp, data, 100 * KIB, &c, &clen);
    const unsigned char *b = c;
    assert_true(b[0] == 0x1f && b[1] == 0x8b && b[2] == 8);
    unsigned char *plain = malloc(100 * KIB);
    z_stream zs = {0};
    assert_int_equal(inflateInit2(&zs, 31), Z_OK);
    zs.next_in = (Bytef *)c;
    zs.avail_in = (uInt)clen;
    zs.next_out = plain;
    zs.avail_out = 100 * KIB;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, 100 * KIB);
    assert_memory_equal(plain, data, 100 * KIB);
    inflateEnd(&zs);

    /* Trailing bytes that are not a member, and a broken CRC. */
    unsigned char *bad = malloc(clen + 4);
    memcpy(bad, c, clen);
    memcpy(bad + clen, "junk", 4);
    void *out = NULL;
    size_t out_len = 0;
    assert_int_equal(decompress(&hp, bad, clen + 4, MIB, &out, &out_len),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    bad[clen - 6] ^= 0x55; /* inside the CRC32 of the trailer */
    assert_int_equal(decompress(&hp, bad, clen, MIB, &out, &out_len),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    free(bad);
    free(plain);
    harness_services.free(c);
    harness_unload(&hp);
    free(data);
}

/* Every level writes a member zlib reads back exactly: igzip's (-1, 1-3)
 * and zlib's (0, 4-9), on data igzip compresses and on data it cannot
 * (random bytes: its output outgrows the first buffer guess). */
static void gzip_every_level_writes_what_zlib_reads(void **state)
{
    (void)state;
    static const char *const levels[] = {"-1", "0", "1", "2", "3", "4", "9"};
    const size_t len = 300 * KIB;
    unsigned char *inputs[2] = {compressible_bytes(len, 5),
                                random_bytes(len, 6)};
    unsigned char *plain = malloc(len);
    for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
        harness_opt_t opts[] = {{"level", levels[l], NULL, 0}, {NULL}};
        harness_plugin_t hp;
        load_ok(&hp, "codec-gzip", opts);
        for (size_t i = 0; i < 2; i++) {
            void *c = NULL;
            size_t clen = 0;
            compress_ok(&hp, inputs[i], len, &c, &clen);
            z_stream zs = {0};
            assert_int_equal(inflateInit2(&zs, 31), Z_OK);
            zs.next_in = (Bytef *)c;
            zs.avail_in = (uInt)clen;
            zs.next_out = plain;
            zs.avail_out = (uInt)len;
            assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
            assert_int_equal(zs.total_out, len);
            assert_int_equal(zs.avail_in, 0);
            assert_memory_equal(plain, inputs[i], len);
            inflateEnd(&zs);
            if (i == 0 && strcmp(levels[l], "0") != 0) {
                assert_true(clen < len / 2); /* it did compress */
            }
            harness_services.free(c);
        }
        harness_unload(&hp);
    }
    free(plain);
    free(inputs[0]);
    free(inputs[1]);
}

static void snappy_writes_xerial_with_32k_blocks(void **state)
{
    (void)state;
    const size_t len = 100 * KIB;
    unsigned char *data = random_bytes(len, 21);
    harness_plugin_t hp;
    load_ok(&hp, "codec-snappy", NULL);
    void *c = NULL;
    size_t clen = 0;
    compress_ok(&hp, data, len, &c, &clen);
    const unsigned char *b = c;
    assert_memory_equal(b, "\x82SNAPPY\0", 8);
    assert_int_equal(be32(b + 8), 1);
    assert_int_equal(be32(b + 12), 1);
    size_t pos = 16, total = 0, blocks = 0;
    while (pos < clen) {
        uint32_t blen = be32(b + pos);
        size_t ulen = 0;
        assert_true(pos + 4 + blen <= clen);
        assert_int_equal(
            snappy_uncompressed_length((const char *)b + pos + 4, blen, &ulen),
            SNAPPY_OK);
        assert_true(ulen <= 32 * KIB);
        total += ulen;
        blocks++;
        pos += 4 + blen;
    }
    assert_int_equal(total, len);
    assert_int_equal(blocks, 4); /* 100 KiB in 32 KiB blocks */
    harness_services.free(c);
    harness_unload(&hp);
    free(data);
}

static void snappy_raw_framing_option_writes_one_raw_block(void **state)
{
    (void)state;
    const size_t len = 100 * KIB;
    unsigned char *data = compressible_bytes(len, 22);
    harness_opt_t opts[] = {{"framing", "raw", NULL, 0}, {NULL}};
    harness_plugin_t raw, xerial;
    load_ok(&raw, "codec-snappy", opts);
    load_ok(&xerial, "codec-snappy", NULL); /* two instances coexist */
    void *c = NULL;
    size_t clen = 0;
    compress_ok(&raw, data, len, &c, &clen);
    char *plain = malloc(len);
    size_t plen = len;
    assert_int_equal(snappy_uncompress(c, clen, plain, &plen), SNAPPY_OK);
    assert_int_equal(plen, len);
    assert_memory_equal(plain, data, len);
    /* The other instance reads raw too. */
    void *d = NULL;
    size_t dlen = 0;
    assert_int_equal(decompress(&xerial, c, clen, len, &d, &dlen), SAMSA_OK);
    assert_int_equal(dlen, len);
    harness_services.free(d);
    harness_services.free(c);
    free(plain);
    harness_unload(&raw);
    harness_unload(&xerial);
    free(data);

    harness_opt_t bad[] = {{"framing", "hadoop", NULL, 0}, {NULL}};
    assert_int_equal(harness_load(&raw, "codec-snappy", bad), SAMSA_ERR_CONFIG);
    harness_unload(&raw);
}

/* Builds snappy-java framing by hand from libsnappy blocks. */
static unsigned char *make_xerial(const unsigned char *data, size_t len,
                                  size_t block, size_t *out_len)
{
    size_t nblk = (len + block - 1) / block;
    size_t cap = 16 + nblk * (4 + snappy_max_compressed_length(block));
    unsigned char *x = malloc(cap);
    memcpy(x, "\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);
    size_t pos = 16;
    for (size_t off = 0; off < len; off += block) {
        size_t n = len - off < block ? len - off : block;
        size_t clen = cap - pos - 4;
        assert_int_equal(snappy_compress((const char *)data + off, n,
                                         (char *)x + pos + 4, &clen),
                         SNAPPY_OK);
        x[pos] = (unsigned char)(clen >> 24);
        x[pos + 1] = (unsigned char)(clen >> 16);
        x[pos + 2] = (unsigned char)(clen >> 8);
        x[pos + 3] = (unsigned char)clen;
        pos += 4 + clen;
    }
    *out_len = pos;
    return x;
}

static void snappy_reads_hand_built_xerial_and_refuses_lies(void **state)
{
    (void)state;
    const size_t len = 200 * KIB + 17;
    unsigned char *data = compressible_bytes(len, 23);
    harness_plugin_t hp;
    load_ok(&hp, "codec-snappy", NULL);
    static const size_t blocks[] = {1000, 32 * KIB, 64 * KIB, len};
    for (size_t i = 0; i < 4; i++) {
        size_t xlen = 0;
        unsigned char *x = make_xerial(data, len, blocks[i], &xlen);
        void *d = NULL;
        size_t dlen = 0;
        assert_int_equal(decompress(&hp, x, xlen, len, &d, &dlen), SAMSA_OK);
        assert_int_equal(dlen, len);
        assert_memory_equal(d, data, len);
        harness_services.free(d);
        /* A block length pointing past the end. */
        x[19] = (unsigned char)(x[19] + 1);
        assert_int_equal(decompress(&hp, x, xlen, len, &d, &dlen),
                         SAMSA_ERR_CORRUPT_MESSAGE);
        free(x);
    }
    /* Header only: a valid, empty xerial stream. */
    void *d = NULL;
    size_t dlen = 0;
    assert_int_equal(
        decompress(&hp, "\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16, 10, &d, &dlen),
        SAMSA_OK);
    assert_int_equal(dlen, 0);
    harness_services.free(d);
    /* A raw block whose varint header claims 4 GiB: refused up front. */
    static const unsigned char liar[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    size_t before = harness_live_bytes();
    harness_reset_peak();
    assert_int_equal(decompress(&hp, liar, sizeof(liar), MIB, &d, &dlen),
                     SAMSA_ERR_TOO_LARGE);
    assert_true(harness_peak_bytes() - before < KIB);
    harness_unload(&hp);
    free(data);
}

static void lz4_writes_the_kafka_frame(void **state)
{
    (void)state;
    const size_t len = 200 * KIB;
    unsigned char *data = compressible_bytes(len, 31);
    harness_plugin_t hp;
    load_ok(&hp, "codec-lz4", NULL);
    void *c = NULL;
    size_t clen = 0;
    compress_ok(&hp, data, len, &c, &clen);
    const unsigned char *b = c;
    /* magic 184D2204 LE; FLG 0x60: version 01, independent blocks, no
     * checksums, no content size; BD 0x40: 64 KiB blocks. */
    static const unsigned char head[] = {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40};
    assert_memory_equal(b, head, sizeof(head));
    assert_memory_equal(b + clen - 4, "\0\0\0\0", 4); /* end mark */
    /* liblz4 itself agrees it is one well-formed frame. */
    LZ4F_dctx *dctx = NULL;
    assert_false(
        LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)));
    LZ4F_frameInfo_t info;
    size_t consumed = clen;
    assert_false(LZ4F_isError(LZ4F_getFrameInfo(dctx, &info, c, &consumed)));
    assert_int_equal(info.blockMode, LZ4F_blockIndependent);
    assert_int_equal(info.blockSizeID, LZ4F_max64KB);
    assert_int_equal(info.contentChecksumFlag, LZ4F_noContentChecksum);
    LZ4F_freeDecompressionContext(dctx);
    harness_services.free(c);
    harness_unload(&hp);
    free(data);
}

static void zstd_reads_streamed_frames_without_content_size(void **state)
{
    (void)state;
    const size_t len = 3 * MIB;
    unsigned char *data = compressible_bytes(len, 41);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
    size_t cap = ZSTD_compressBound(len);
    unsigned char *c = malloc(cap);
    ZSTD_outBuffer ob = {c, cap, 0};
    ZSTD_inBuffer ib = {data, len, 0};
    assert_int_equal(ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end), 0);
    ZSTD_freeCCtx(cctx);
    assert_int_equal(ZSTD_getFrameContentSize(c, ob.pos),
                     ZSTD_CONTENTSIZE_UNKNOWN);
    harness_plugin_t hp;
    load_ok(&hp, "codec-zstd", NULL);
    void *d = NULL;
    size_t dlen = 0;
    assert_int_equal(decompress(&hp, c, ob.pos, len, &d, &dlen), SAMSA_OK);
    assert_int_equal(dlen, len);
    assert_memory_equal(d, data, len);
    harness_services.free(d);
    /* Same stream as a bomb: the limit holds without a declared size. */
    size_t before = harness_live_bytes();
    harness_reset_peak();
    assert_int_equal(decompress(&hp, c, ob.pos, 256 * KIB, &d, &dlen),
                     SAMSA_ERR_TOO_LARGE);
    assert_true(harness_peak_bytes() - before <= 256 * KIB + SLACK);
    harness_unload(&hp);
    free(c);
    free(data);
}

#define CODEC_TESTS(cc)                                                        \
    cmocka_unit_test_prestate(descriptor_is_a_codec_for_its_kafka_id, cc),     \
        cmocka_unit_test_prestate(round_trips_random_and_compressible_data,    \
                                  cc),                                         \
        cmocka_unit_test_prestate(round_trips_at_level_bounds, cc),            \
        cmocka_unit_test_prestate(reads_fixtures_made_by_real_tools, cc),      \
        cmocka_unit_test_prestate(refuses_a_bomb_without_allocating_it, cc),   \
        cmocka_unit_test_prestate(rejects_garbage_as_corrupt, cc),             \
        cmocka_unit_test_prestate(streams_output_in_bounded_pieces, cc),       \
        cmocka_unit_test_prestate(rejects_truncated_input, cc),                \
        cmocka_unit_test_prestate(one_instance_serves_threads_concurrently,    \
                                  cc)

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TESTS(&gzip_case),
        CODEC_TESTS(&snappy_case),
        CODEC_TESTS(&lz4_case),
        CODEC_TESTS(&zstd_case),
        cmocka_unit_test(gzip_writes_a_gzip_member_zlib_reads),
        cmocka_unit_test(gzip_every_level_writes_what_zlib_reads),
        cmocka_unit_test(snappy_writes_xerial_with_32k_blocks),
        cmocka_unit_test(snappy_raw_framing_option_writes_one_raw_block),
        cmocka_unit_test(snappy_reads_hand_built_xerial_and_refuses_lies),
        cmocka_unit_test(lz4_writes_the_kafka_frame),
        cmocka_unit_test(zstd_reads_streamed_frames_without_content_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
