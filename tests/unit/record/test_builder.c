/* SPDX-License-Identifier: Apache-2.0 */
/* Record batch v2 builder and record iterator: round trips, nulls,
 * headers, varint edge cases, and acceptance by samsa_batches_validate. */
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

static void varint_round_trips_edge_values(void **state)
{
    (void)state;
    const int32_t v32[] = {0,   1,    -1,    63,        -64,      64,
                           -65, 8191, -8192, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < sizeof(v32) / sizeof(v32[0]); i++) {
        uint8_t b[SAMSA_VARINT_MAX];
        size_t n = samsa_put_varint(b, v32[i]);
        assert_int_equal(n, samsa_varint_size(v32[i]));
        int32_t back;
        assert_int_equal(samsa_get_varint(b, n, &back), n);
        assert_int_equal(back, v32[i]);
        assert_int_equal(samsa_get_varint(b, n - 1, &back), 0); /* cut */
    }
    const int64_t v64[] = {0,         -1,        1,           INT64_MAX,
                           INT64_MIN, 1LL << 40, -(1LL << 40)};
    for (size_t i = 0; i < sizeof(v64) / sizeof(v64[0]); i++) {
        uint8_t b[SAMSA_VARLONG_MAX];
        size_t n = samsa_put_varlong(b, v64[i]);
        int64_t back;
        assert_int_equal(samsa_get_varlong(b, n, &back), n);
        assert_true(back == v64[i]);
    }
    /* Known encodings (zig-zag): 0 -> 00, -1 -> 01, 1 -> 02, 64 -> 80 01 */
    uint8_t b[5];
    assert_int_equal(samsa_put_varint(b, -1), 1);
    assert_int_equal(b[0], 1);
    assert_int_equal(samsa_put_varint(b, 64), 2);
    assert_int_equal(b[0], 0x80);
    assert_int_equal(b[1], 0x01);
    assert_int_equal(samsa_varint_size(INT32_MIN), 5);
    assert_int_equal(samsa_varlong_size(INT64_MIN), 10);
    /* Six continuation bytes are too long for a varint. */
    const uint8_t too_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    int32_t x;
    assert_int_equal(samsa_get_varint(too_long, sizeof(too_long), &x), 0);
}

static void built_batch_round_trips_records(void **state)
{
    (void)state;
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    samsa_record_header_t hdrs[2] = {
        {(const uint8_t *)"h1", 2, (const uint8_t *)"v1", 2},
        {(const uint8_t *)"nullval", 7, NULL, -1},
    };
    assert_int_equal(
        samsa_batch_builder_add(&b, 1000, "k0", 2, "value0", 6, NULL, 0),
        SAMSA_OK);
    assert_int_equal(
        samsa_batch_builder_add(&b, 990, NULL, -1, "v1", 2, hdrs, 2),
        SAMSA_OK); /* earlier timestamp: negative delta */
    assert_int_equal(
        samsa_batch_builder_add(&b, 5000, "k2", 2, NULL, -1, NULL, 0),
        SAMSA_OK); /* tombstone */
    assert_int_equal(samsa_batch_builder_add(&b, 5000, "", 0, "", 0, NULL, 0),
                     SAMSA_OK); /* empty, not null */
    uint8_t *batch;
    size_t len;
    assert_int_equal(samsa_batch_builder_finish(&b, &batch, &len), SAMSA_OK);

    samsa_batches_info_t info;
    assert_int_equal(samsa_batches_validate(batch, len, 0, &info), SAMSA_OK);
    assert_int_equal(info.record_count, 4);
    assert_int_equal(info.offset_count, 4);
    assert_true(info.max_timestamp == 5000);

    /* Offsets assigned by the log show up in the iterator. */
    samsa_batches_assign(batch, len, 100, 7, -1);
    samsa_record_iter_t it;
    assert_int_equal(samsa_record_iter_init(&it, batch, len), SAMSA_OK);
    samsa_record_t r;
    assert_int_equal(samsa_record_iter_next(&it, &r), SAMSA_OK);
    assert_true(r.offset == 100 && r.timestamp == 1000);
    assert_int_equal(r.key_len, 2);
    assert_memory_equal(r.key, "k0", 2);
    assert_memory_equal(r.value, "value0", 6);
    assert_int_equal(r.header_count, 0);

    assert_int_equal(samsa_record_iter_next(&it, &r), SAMSA_OK);
    assert_true(r.offset == 101 && r.timestamp == 990);
    assert_null(r.key);
    assert_int_equal(r.key_len, -1);
    assert_int_equal(r.header_count, 2);
    const uint8_t *hp = r.headers, *he = r.headers + r.headers_len;
    samsa_record_header_t h;
    assert_int_equal(samsa_record_header_next(&hp, he, &h), SAMSA_OK);
    assert_memory_equal(h.key, "h1", 2);
    assert_memory_equal(h.value, "v1", 2);
    assert_int_equal(samsa_record_header_next(&hp, he, &h), SAMSA_OK);
    assert_int_equal(h.key_len, 7);
    assert_null(h.value);
    assert_int_equal(h.value_len, -1);
    assert_ptr_equal(hp, he);

    assert_int_equal(samsa_record_iter_next(&it, &r), SAMSA_OK);
    assert_null(r.value);
    assert_int_equal(r.value_len, -1);
    assert_int_equal(samsa_record_iter_next(&it, &r), SAMSA_OK);
    assert_int_equal(r.key_len, 0);
    assert_non_null(r.key);
    assert_int_equal(r.value_len, 0);
    assert_int_equal(samsa_record_iter_next(&it, &r), SAMSA_ERR_NOT_FOUND);
    free(batch);
}

static void large_values_use_multibyte_lengths(void **state)
{
    (void)state;
    size_t big = 100000;
    char *v = malloc(big);
    memset(v, 'x', big);
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    for (int i = 0; i < 300; i++) { /* offset deltas > 127 */
        assert_int_equal(samsa_batch_builder_add(&b, i, "k", 1, v,
                                                 i == 299 ? (int32_t)big : 1,
                                                 NULL, 0),
                         SAMSA_OK);
    }
    uint8_t *batch;
    size_t len;
    assert_int_equal(samsa_batch_builder_finish(&b, &batch, &len), SAMSA_OK);
    samsa_batches_info_t info;
    assert_int_equal(samsa_batches_validate(batch, len, 0, &info), SAMSA_OK);
    samsa_record_iter_t it;
    samsa_record_t r;
    assert_int_equal(samsa_record_iter_init(&it, batch, len), SAMSA_OK);
    int n = 0;
    while (samsa_record_iter_next(&it, &r) == SAMSA_OK) {
        assert_true(r.offset == n && r.timestamp == n);
        n++;
    }
    assert_int_equal(n, 300);
    assert_int_equal(r.value_len, (int32_t)big);
    free(batch);
    free(v);
}

static void batch_iterator_walks_concatenated_batches(void **state)
{
    (void)state;
    uint8_t *all = NULL;
    size_t all_len = 0;
    for (int i = 0; i < 3; i++) {
        samsa_batch_builder_t b;
        samsa_batch_builder_init(&b);
        samsa_batch_builder_add(&b, i, "k", 1, "v", 1, NULL, 0);
        uint8_t *batch;
        size_t len;
        assert_int_equal(samsa_batch_builder_finish(&b, &batch, &len),
                         SAMSA_OK);
        all = realloc(all, all_len + len);
        memcpy(all + all_len, batch, len);
        all_len += len;
        free(batch);
    }
    samsa_batches_info_t info;
    assert_int_equal(samsa_batches_validate(all, all_len, 0, &info), SAMSA_OK);
    assert_int_equal(info.batch_count, 3);
    /* A cut-off tail ends iteration after the whole batches. */
    samsa_batch_iter_t bi;
    samsa_batch_iter_init(&bi, all, all_len - 5);
    const uint8_t *p;
    samsa_batch_hdr_t h;
    int n = 0;
    while (samsa_batch_iter_next(&bi, &p, &h) == SAMSA_OK) {
        n++;
    }
    assert_int_equal(n, 2);
    free(all);
}

static void corrupt_records_are_rejected(void **state)
{
    (void)state;
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    uint8_t *batch;
    size_t len;
    assert_int_equal(samsa_batch_builder_finish(&b, &batch, &len),
                     SAMSA_ERR_INVAL); /* no records */
    samsa_batch_builder_add(&b, 1, "key", 3, "value", 5, NULL, 0);
    assert_int_equal(samsa_batch_builder_finish(&b, &batch, &len), SAMSA_OK);
    /* Claim two records where there is one. */
    samsa_put_be32(batch + SAMSA_BATCH_OFF_RECORD_COUNT, 2);
    samsa_record_iter_t it;
    samsa_record_t r;
    assert_int_equal(samsa_record_iter_init(&it, batch, len), SAMSA_OK);
    assert_int_equal(samsa_record_iter_next(&it, &r), SAMSA_OK);
    assert_int_equal(samsa_record_iter_next(&it, &r),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    /* A key length running past the record. */
    samsa_put_be32(batch + SAMSA_BATCH_OFF_RECORD_COUNT, 1);
    batch[SAMSA_BATCH_HEADER_SIZE + 4] = 0x7e; /* key length 63 */
    assert_int_equal(samsa_record_iter_init(&it, batch, len), SAMSA_OK);
    assert_int_equal(samsa_record_iter_next(&it, &r),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    /* Compressed batches are not iterated here. */
    samsa_put_be16(batch + SAMSA_BATCH_OFF_ATTRIBUTES, 1);
    assert_int_equal(samsa_record_iter_init(&it, batch, len),
                     SAMSA_ERR_UNSUPPORTED);
    free(batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varint_round_trips_edge_values),
        cmocka_unit_test(built_batch_round_trips_records),
        cmocka_unit_test(large_values_use_multibyte_lengths),
        cmocka_unit_test(batch_iterator_walks_concatenated_batches),
        cmocka_unit_test(corrupt_records_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
