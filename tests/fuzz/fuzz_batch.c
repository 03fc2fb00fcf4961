/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the produce path's record batch validation (issue 11,
 * items 3, 5, 6). The input is a record batch v2; after mutation the
 * target fixes its magic, batchLength and CRC, so mutations reach record
 * framing, compressed payloads and offset deltas instead of stopping at
 * the CRC. When bit 0x80 of the attributes' high byte is set (a bit Kafka
 * leaves unused), the records section is taken as plain records and
 * compressed first with the batch's codec, so record framing inside
 * compressed batches is fuzzed too; otherwise the section is passed on as
 * it is (garbage compressed payloads). Bit 0x40 of that byte makes keys
 * required (a compacted topic).
 *
 * Checks, on top of ASan/UBSan:
 *   - feeding the records check the section whole, byte by byte or
 *     through the codec plugin's decompress_stream gives one verdict;
 *   - a batch the check accepts is read by core/record's iterator as
 *     exactly recordCount records with offset deltas 0..n-1 that end
 *     exactly at the batch's end (the consumer's view agrees).
 *
 * Codecs are the real plugins, loaded from $SAMSA_TEST_PLUGIN_DIR with the
 * unit tests' plugin harness (tests/fuzz/run.sh sets it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <samsa/codec.h>

#include "plugin_harness.h"
#include "record/batch.h"
#include "records_v2.h"
#include "record/validate.h"

#define MAX_PLAIN     (4u << 20) /* the fuzzer's decompression bound */
#define ATTR_COMPRESS 0x8000     /* fuzzer-only: compress the section */
#define ATTR_KEYS     0x4000     /* fuzzer-only: keys required (compacted) */
#define CODEC_COUNT   5

static harness_plugin_t codecs[CODEC_COUNT];
static bool loaded[CODEC_COUNT];
static bool keys_required; /* this input's ATTR_KEYS */

/* samsa_records_check_all with this input's key rule. */
static samsa_err_t check_whole(int32_t count, const uint8_t *p, size_t n)
{
    samsa_records_check_t chk;
    samsa_records_check_init(&chk, count);
    chk.key_required = keys_required;
    samsa_err_t err = samsa_records_check_feed(&chk, p, n);
    return err != SAMSA_OK ? err : samsa_records_check_end(&chk);
}

static void load_codecs(void)
{
    static bool done;
    static const char *const names[CODEC_COUNT] = {
        NULL, "codec-gzip", "codec-snappy", "codec-lz4", "codec-zstd"};
    if (done) {
        return;
    }
    done = true;
    for (int i = 1; i < CODEC_COUNT; i++) {
        loaded[i] = harness_load(&codecs[i], names[i], NULL) == SAMSA_OK;
        if (!loaded[i]) {
            abort(); /* run.sh builds them: a missing one is a setup error */
        }
    }
}

static const samsa_codec_ops_t *codec(int id)
{
    return codecs[id].desc->ops;
}

static samsa_err_t feed(void *ctx, const void *piece, size_t n)
{
    return samsa_records_check_feed(ctx, piece, n);
}

/* The consumer's view: iterate the plain batch; true when it holds exactly
 * count well-formed records with offset deltas 0..n-1. */
static bool iterates_cleanly(const uint8_t *batch, size_t len, int32_t count)
{
    samsa_record_iter_t it;
    if (samsa_record_iter_init(&it, batch, len) != SAMSA_OK) {
        return false;
    }
    samsa_record_t rec;
    int32_t i = 0;
    samsa_err_t err;
    while ((err = samsa_record_iter_next(&it, &rec)) == SAMSA_OK) {
        if (rec.offset != it.hdr.base_offset + i ||
            (keys_required && rec.key == NULL)) {
            return false;
        }
        const uint8_t *h = rec.headers;
        for (int32_t k = 0; k < rec.header_count; k++) {
            samsa_record_header_t hdr;
            if (samsa_record_header_next(&h, rec.headers + rec.headers_len,
                                         &hdr) != SAMSA_OK) {
                return false;
            }
        }
        i++;
    }
    return err == SAMSA_ERR_NOT_FOUND && i == count;
}

/* A plain copy of the batch at b (header + plain section). */
static uint8_t *plain_batch(const uint8_t *b, const uint8_t *section, size_t n,
                            size_t *len)
{
    *len = SAMSA_BATCH_HEADER_SIZE + n;
    uint8_t *out = malloc(*len);
    if (out == NULL) {
        abort();
    }
    memcpy(out, b, SAMSA_BATCH_HEADER_SIZE);
    if (n > 0) {
        memcpy(out + SAMSA_BATCH_HEADER_SIZE, section, n);
    }
    samsa_put_be32(out + SAMSA_BATCH_OFF_LENGTH,
                   (uint32_t)(*len - SAMSA_BATCH_LOG_OVERHEAD));
    uint16_t attrs = samsa_be16(out + SAMSA_BATCH_OFF_ATTRIBUTES);
    samsa_put_be16(out + SAMSA_BATCH_OFF_ATTRIBUTES,
                   (uint16_t)(attrs & ~SAMSA_BATCH_ATTR_CODEC_MASK));
    return out;
}

static void check_plain(const uint8_t *batch, const samsa_batch_hdr_t *h,
                        const uint8_t *section, size_t n, samsa_err_t verdict)
{
    /* The same bytes fed one at a time: the same verdict. */
    samsa_records_check_t chk;
    samsa_records_check_init(&chk, h->record_count);
    chk.key_required = keys_required;
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; i < n && err == SAMSA_OK; i++) {
        err = samsa_records_check_feed(&chk, section + i, 1);
    }
    if (err == SAMSA_OK) {
        err = samsa_records_check_end(&chk);
    }
    if (err != verdict) {
        abort();
    }
    if (verdict == SAMSA_OK) {
        size_t len;
        uint8_t *plain = plain_batch(batch, section, n, &len);
        if (!iterates_cleanly(plain, len, h->record_count)) {
            abort(); /* accepted, but a consumer could not read it */
        }
        free(plain);
    }
}

static void check_compressed(const uint8_t *batch, const samsa_batch_hdr_t *h,
                             const uint8_t *section, size_t n)
{
    int id = samsa_batch_codec(h);
    samsa_records_check_t chk;
    samsa_records_check_init(&chk, h->record_count);
    chk.key_required = keys_required;
    samsa_err_t err = codec(id)->decompress_stream(codecs[id].state, section, n,
                                                   MAX_PLAIN, feed, &chk);
    if (err == SAMSA_OK) {
        err = samsa_records_check_end(&chk);
    }
    void *plain = NULL;
    size_t plain_len = 0;
    samsa_err_t derr = codec(id)->decompress(codecs[id].state, section, n,
                                             MAX_PLAIN, &plain, &plain_len);
    if (derr == SAMSA_OK) {
        /* Decompressed whole, the plain check must agree with the
         * streamed one. */
        samsa_err_t whole = check_whole(h->record_count, plain, plain_len);
        if (whole != err) {
            abort();
        }
        check_plain(batch, h, plain, plain_len, whole);
        harness_services.free(plain);
    } else if (err == SAMSA_OK) {
        abort(); /* streamed fine, yet decompress refuses it */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < SAMSA_BATCH_HEADER_SIZE || size > (1u << 20)) {
        return 0;
    }
    load_codecs();
    uint8_t *b = malloc(size);
    if (b == NULL) {
        abort();
    }
    memcpy(b, data, size);
    uint16_t attrs = samsa_be16(b + SAMSA_BATCH_OFF_ATTRIBUTES);
    int id = attrs & SAMSA_BATCH_ATTR_CODEC_MASK;
    size_t len = size;
    if ((attrs & ATTR_COMPRESS) && id >= 1 && id < CODEC_COUNT) {
        void *packed;
        size_t packed_len;
        const uint8_t *section = b + SAMSA_BATCH_HEADER_SIZE;
        if (codec(id)->compress(codecs[id].state, section,
                                size - SAMSA_BATCH_HEADER_SIZE, &packed,
                                &packed_len) != SAMSA_OK) {
            abort();
        }
        len = SAMSA_BATCH_HEADER_SIZE + packed_len;
        uint8_t *nb = realloc(b, len);
        if (nb == NULL) {
            abort();
        }
        b = nb;
        memcpy(b + SAMSA_BATCH_HEADER_SIZE, packed, packed_len);
        harness_services.free(packed);
    }
    keys_required = (attrs & ATTR_KEYS) != 0;
    samsa_put_be16(b + SAMSA_BATCH_OFF_ATTRIBUTES,
                   (uint16_t)(attrs & ~(ATTR_COMPRESS | ATTR_KEYS)));
    b[SAMSA_BATCH_OFF_MAGIC] = 2;
    samsa_put_be32(b + SAMSA_BATCH_OFF_LENGTH,
                   (uint32_t)(len - SAMSA_BATCH_LOG_OVERHEAD));
    samsa_batch_hdr_t h;
    if (samsa_batch_parse(b, len, &h) != SAMSA_OK) {
        abort(); /* the fix-ups above make any header parse */
    }
    samsa_batch_crc_update(b, &h);

    samsa_batches_info_t info;
    samsa_err_t err = samsa_batches_validate(b, len, 0, &info);
    if (err == SAMSA_OK) {
        if (info.offset_count != h.record_count) {
            abort(); /* lastOffsetDelta must follow the record count */
        }
        const uint8_t *section = b + SAMSA_BATCH_HEADER_SIZE;
        size_t n = len - SAMSA_BATCH_HEADER_SIZE;
        if (samsa_batch_codec(&h) == 0) {
            check_plain(b, &h, section, n,
                        check_whole(h.record_count, section, n));
        } else {
            check_compressed(b, &h, section, n);
        }
    }
    free(b);
    return 0;
}
