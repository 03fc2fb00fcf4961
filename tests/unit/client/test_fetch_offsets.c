/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's delivery of fetched batches (core/client/fetch.c) on
 * offsets a hostile or broken broker may send: a batch whose offsets run
 * past INT64_MAX is refused as corrupt (no signed overflow, no wrapped
 * position), the last batch that fits is delivered and the position ends
 * at INT64_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch_v2.h"
#include "client/client_int.h"
#include "record/builder.h"

static uint8_t *batch_of(int n, size_t *len)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    for (int i = 0; i < n; i++) {
        assert_int_equal(
            samsa_batch_builder_add(&b, 1000 + i, "k", 1, "v", 1, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *p;
    assert_int_equal(samsa_batch_builder_finish(&b, &p, len), SAMSA_OK);
    samsa_batch_builder_free(&b);
    return p;
}

static int count_cb(void *opaque, const samsa_client_record_t *rec)
{
    (void)rec;
    (*(int *)opaque)++;
    return 0;
}

static void batches_past_int64_max_are_corrupt(void **state)
{
    (void)state;
    samsa_client_conf_t conf = {.bootstrap = "127.0.0.1:1"};
    samsa_client_t *c;
    assert_int_equal(samsa_client_new(&conf, &c), SAMSA_OK);
    samsa_fetch_conf_t fc;
    samsa_fetch_conf_init(&fc);
    size_t len;
    uint8_t *b = batch_of(3, &len); /* lastOffsetDelta 2 */
    samsa_records_t recs = {.ptr = b, .len = (int32_t)len};
    samsa_fetch_pos_t pos = {.topic = "t", .partition = 0, .offset = 0};
    samsa_err_t err = SAMSA_OK;
    int n = 0;

    samsa_put_be64(b, (uint64_t)INT64_MAX);
    assert_int_equal(
        samsa_client_deliver_records(c, &fc, &pos, &recs, count_cb, &n, &err),
        -1);
    assert_int_equal(err, SAMSA_ERR_CORRUPT_MESSAGE);
    assert_int_equal(n, 0);
    assert_int_equal(pos.offset, 0);
    assert_non_null(strstr(samsa_client_errmsg(c), "out of range"));

    samsa_put_be64(b, (uint64_t)(INT64_MAX - 2)); /* last = MAX: no next */
    err = SAMSA_OK;
    assert_int_equal(
        samsa_client_deliver_records(c, &fc, &pos, &recs, count_cb, &n, &err),
        -1);
    assert_int_equal(n, 0);

    samsa_put_be64(b, (uint64_t)(INT64_MAX - 3));
    err = SAMSA_OK;
    assert_int_equal(
        samsa_client_deliver_records(c, &fc, &pos, &recs, count_cb, &n, &err),
        0);
    assert_int_equal(err, SAMSA_OK);
    assert_int_equal(n, 3);
    assert_true(pos.offset == INT64_MAX);
    free(b);
    samsa_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batches_past_int64_max_are_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
