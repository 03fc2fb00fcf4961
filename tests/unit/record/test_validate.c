/* SPDX-License-Identifier: Apache-2.0 */
/* Record framing checks (core/record/validate.h) and the batch header's
 * lastOffsetDelta rule (samsa_batches_validate): well-formed records pass
 * however they are cut into pieces, every framing defect Kafka's
 * LogValidator refuses is CORRUPT_MESSAGE, a lastOffsetDelta that is not
 * recordCount - 1 is INVALID_RECORD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record/batch.h"
#include "record/builder.h"
#include "records_v2.h"
#include "record/validate.h"

/* A records section written field by field, defects included. */
typedef struct section {
    uint8_t b[4096];
    size_t n;
} section_t;

typedef struct rec_spec {
    int32_t off_delta;
    int32_t key_len; /* -1 = null */
    int32_t value_len;
    int32_t header_count; /* as written */
    int32_t headers;      /* actually written */
    int32_t hkey_len;
    int32_t length_adjust; /* added to the true record length */
} rec_spec_t;

static void put_record(section_t *s, const rec_spec_t *r)
{
    uint8_t body[1024];
    size_t n = 0;
    body[n++] = 0;                       /* attributes */
    n += samsa_put_varlong(body + n, 7); /* timestampDelta */
    n += samsa_put_varint(body + n, r->off_delta);
    n += samsa_put_varint(body + n, r->key_len);
    for (int32_t i = 0; i < r->key_len; i++) {
        body[n++] = 'k';
    }
    n += samsa_put_varint(body + n, r->value_len);
    for (int32_t i = 0; i < r->value_len; i++) {
        body[n++] = 'v';
    }
    n += samsa_put_varint(body + n, r->header_count);
    for (int32_t h = 0; h < r->headers; h++) {
        n += samsa_put_varint(body + n, r->hkey_len);
        for (int32_t i = 0; i < r->hkey_len; i++) {
            body[n++] = 'h';
        }
        n += samsa_put_varint(body + n, 1);
        body[n++] = 'x';
    }
    s->n += samsa_put_varint(s->b + s->n, (int32_t)n + r->length_adjust);
    memcpy(s->b + s->n, body, n);
    s->n += n;
}

static rec_spec_t good(int32_t off_delta)
{
    return (rec_spec_t){.off_delta = off_delta,
                        .key_len = 3,
                        .value_len = 5,
                        .header_count = 2,
                        .headers = 2,
                        .hkey_len = 2};
}

static void put_good(section_t *s, int32_t off_delta)
{
    rec_spec_t r = good(off_delta);
    put_record(s, &r);
}

/* Whole, then one byte at a time, then in pieces of 7: same verdict. */
static samsa_err_t check(const section_t *s, int32_t count)
{
    samsa_err_t whole = samsa_records_check_all(count, s->b, s->n);
    samsa_records_check_t chk;
    samsa_records_check_init(&chk, count);
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; i < s->n && err == SAMSA_OK; i++) {
        err = samsa_records_check_feed(&chk, s->b + i, 1);
    }
    if (err == SAMSA_OK) {
        err = samsa_records_check_end(&chk);
    }
    assert_int_equal(err, whole);
    samsa_records_check_init(&chk, count);
    err = SAMSA_OK;
    for (size_t i = 0; i < s->n && err == SAMSA_OK; i += 7) {
        size_t n = s->n - i < 7 ? s->n - i : 7;
        err = samsa_records_check_feed(&chk, s->b + i, n);
    }
    if (err == SAMSA_OK) {
        err = samsa_records_check_end(&chk);
    }
    assert_int_equal(err, whole);
    return whole;
}

static void well_formed_records_pass_in_any_pieces(void **state)
{
    (void)state;
    section_t s = {.n = 0};
    for (int32_t i = 0; i < 3; i++) {
        put_good(&s, i);
    }
    rec_spec_t nulls = {.off_delta = 3, .key_len = -1, .value_len = -1};
    put_record(&s, &nulls);
    assert_int_equal(check(&s, 4), SAMSA_OK);

    /* What the builder writes (the clients' shape) passes too. */
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    samsa_record_header_t hdrs[1] = {{(const uint8_t *)"h", 1, NULL, -1}};
    static const uint8_t value[50 * 37] = {0};
    for (int i = 0; i < 50; i++) {
        assert_int_equal(samsa_batch_builder_add(&b, 1000 - i, "key", 3, value,
                                                 i * 37, hdrs, 1),
                         SAMSA_OK);
    }
    uint8_t *batch;
    size_t len;
    assert_int_equal(samsa_batch_builder_finish(&b, &batch, &len), SAMSA_OK);
    assert_int_equal(samsa_records_check_all(50,
                                             batch + SAMSA_BATCH_HEADER_SIZE,
                                             len - SAMSA_BATCH_HEADER_SIZE),
                     SAMSA_OK);
    free(batch);
    samsa_batch_builder_free(&b);
}

static void record_count_must_match_the_records(void **state)
{
    (void)state;
    section_t s = {.n = 0};
    put_good(&s, 0);
    put_good(&s, 1);
    assert_int_equal(check(&s, 3), SAMSA_ERR_CORRUPT_MESSAGE); /* missing */
    assert_int_equal(check(&s, 1), SAMSA_ERR_CORRUPT_MESSAGE); /* extra */
    s.b[s.n++] = 0;                                            /* trailer */
    assert_int_equal(check(&s, 2), SAMSA_ERR_CORRUPT_MESSAGE);
    section_t empty = {.n = 0};
    assert_int_equal(check(&empty, 1), SAMSA_ERR_CORRUPT_MESSAGE);
}

static void record_length_must_cover_exactly_its_fields(void **state)
{
    (void)state;
    const int32_t adjust[] = {-1, +1, -20, +200};
    for (size_t i = 0; i < sizeof(adjust) / sizeof(adjust[0]); i++) {
        section_t s = {.n = 0};
        rec_spec_t r = good(0);
        r.length_adjust = adjust[i];
        put_record(&s, &r);
        put_good(&s, 1);
        assert_int_equal(check(&s, 2), SAMSA_ERR_CORRUPT_MESSAGE);
    }
    /* A record length below the six one-byte fields, and a negative one. */
    section_t s = {.n = 0};
    s.n += samsa_put_varint(s.b, 5);
    memset(s.b + s.n, 0, 5);
    s.n += 5;
    assert_int_equal(check(&s, 1), SAMSA_ERR_CORRUPT_MESSAGE);
    s.n = samsa_put_varint(s.b, -3);
    assert_int_equal(check(&s, 1), SAMSA_ERR_CORRUPT_MESSAGE);
}

static void lengths_and_counts_must_be_sane(void **state)
{
    (void)state;
    rec_spec_t bad[6];
    for (int i = 0; i < 6; i++) {
        bad[i] = good(0);
    }
    bad[0].key_len = -2; /* only -1 means null */
    bad[1].value_len = -7;
    bad[2].header_count = -1; /* negative header count */
    bad[3].header_count = 3;  /* more headers than the record holds */
    bad[4].hkey_len = -1;     /* header keys are never null */
    bad[5].header_count = 1;  /* fewer headers than written */
    for (int i = 0; i < 6; i++) {
        section_t s = {.n = 0};
        put_record(&s, &bad[i]);
        assert_int_equal(check(&s, 1), SAMSA_ERR_CORRUPT_MESSAGE);
    }
}

static void offset_deltas_must_count_from_zero(void **state)
{
    (void)state;
    section_t s = {.n = 0};
    put_good(&s, 0);
    put_good(&s, 0x7ffffff0);
    assert_int_equal(check(&s, 2), SAMSA_ERR_CORRUPT_MESSAGE);
    s.n = 0;
    put_good(&s, 1);
    assert_int_equal(check(&s, 1), SAMSA_ERR_CORRUPT_MESSAGE);
}

static void overlong_varints_are_refused(void **state)
{
    (void)state;
    /* A record length of six continuation bytes. */
    section_t s = {.n = 0};
    memset(s.b, 0x80, 6);
    s.b[6] = 0;
    s.n = 7;
    assert_int_equal(check(&s, 1), SAMSA_ERR_CORRUPT_MESSAGE);
    /* A 10-byte timestamp delta whose last byte overflows 64 bits. */
    s.n = 0;
    uint8_t body[32];
    size_t n = 0;
    body[n++] = 0;
    memset(body + n, 0xff, 9);
    n += 9;
    body[n++] = 0x02;
    n += samsa_put_varint(body + n, 0);
    n += samsa_put_varint(body + n, -1);
    n += samsa_put_varint(body + n, -1);
    n += samsa_put_varint(body + n, 0);
    s.n += samsa_put_varint(s.b, (int32_t)n);
    memcpy(s.b + s.n, body, n);
    s.n += n;
    assert_int_equal(check(&s, 1), SAMSA_ERR_CORRUPT_MESSAGE);
    body[10] = 0x01; /* the largest legal 10-byte varlong */
    memcpy(s.b + 1, body, n);
    assert_int_equal(check(&s, 1), SAMSA_OK);
}

/* Compacted topics: a null key is INVALID_RECORD, whole or in pieces,
 * and only where keys are required. */
static void null_keys_are_refused_where_keys_are_required(void **state)
{
    (void)state;
    section_t s = {.n = 0};
    put_good(&s, 0);
    rec_spec_t nokey = good(1);
    nokey.key_len = -1;
    put_record(&s, &nokey);
    assert_int_equal(check(&s, 2), SAMSA_OK);
    for (size_t piece = 1; piece <= s.n; piece++) {
        samsa_records_check_t chk;
        samsa_records_check_init(&chk, 2);
        chk.key_required = true;
        samsa_err_t err = SAMSA_OK;
        for (size_t i = 0; i < s.n && err == SAMSA_OK; i += piece) {
            size_t n = s.n - i < piece ? s.n - i : piece;
            err = samsa_records_check_feed(&chk, s.b + i, n);
        }
        if (err == SAMSA_OK) {
            err = samsa_records_check_end(&chk);
        }
        assert_int_equal(err, SAMSA_ERR_INVALID_RECORD);
        assert_true(chk.null_key);
    }
    /* An empty key is a key. */
    section_t e = {.n = 0};
    rec_spec_t empty = good(0);
    empty.key_len = 0;
    put_record(&e, &empty);
    samsa_records_check_t chk;
    samsa_records_check_init(&chk, 1);
    chk.key_required = true;
    assert_int_equal(samsa_records_check_feed(&chk, e.b, e.n), SAMSA_OK);
    assert_int_equal(samsa_records_check_end(&chk), SAMSA_OK);
}

/* A built batch with its header patched and the CRC recomputed. */
static uint8_t *batch_with(int32_t records, int32_t last_offset_delta,
                           size_t *len)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    for (int32_t i = 0; i < records; i++) {
        assert_int_equal(
            samsa_batch_builder_add(&b, 1, NULL, -1, "v", 1, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *batch;
    assert_int_equal(samsa_batch_builder_finish(&b, &batch, len), SAMSA_OK);
    samsa_batch_builder_free(&b);
    samsa_put_be32(batch + SAMSA_BATCH_OFF_LAST_OFFSET_DELTA,
                   (uint32_t)last_offset_delta);
    samsa_batch_hdr_t h;
    assert_int_equal(samsa_batch_parse(batch, *len, &h), SAMSA_OK);
    samsa_batch_crc_update(batch, &h);
    return batch;
}

static void last_offset_delta_must_follow_the_record_count(void **state)
{
    (void)state;
    samsa_batches_info_t info;
    size_t len;
    uint8_t *batch = batch_with(1, 0x7ffffff0, &len);
    assert_int_equal(samsa_batches_validate(batch, len, 0, &info),
                     SAMSA_ERR_INVALID_RECORD);
    free(batch);
    batch = batch_with(3, 3, &len);
    assert_int_equal(samsa_batches_validate(batch, len, 0, &info),
                     SAMSA_ERR_INVALID_RECORD);
    free(batch);
    batch = batch_with(3, 2, &len);
    assert_int_equal(samsa_batches_validate(batch, len, 0, &info), SAMSA_OK);
    assert_int_equal(info.offset_count, 3);
    free(batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed_records_pass_in_any_pieces),
        cmocka_unit_test(record_count_must_match_the_records),
        cmocka_unit_test(record_length_must_cover_exactly_its_fields),
        cmocka_unit_test(lengths_and_counts_must_be_sane),
        cmocka_unit_test(offset_deltas_must_count_from_zero),
        cmocka_unit_test(overlong_varints_are_refused),
        cmocka_unit_test(last_offset_delta_must_follow_the_record_count),
        cmocka_unit_test(null_keys_are_refused_where_keys_are_required),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
