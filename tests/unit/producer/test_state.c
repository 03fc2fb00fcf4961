/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The producer state machine of one partition (core/producer/state.h):
 * duplicates of each of the last five batches, sequence gaps, epoch
 * fencing, new epochs at sequence 0, wrap-around at INT32_MAX, unknown
 * producers, malformed idempotent appends and expiration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "producer/state.h"
#include "record/batch.h"
#include "record/builder.h"

#define PID 42
#define DAY SAMSA_PRODUCER_EXPIRATION_MS_DEFAULT

typedef struct fixture {
    samsa_producer_state_t *st;
    int64_t leo; /* the pretend log's end offset */
} fixture_t;

typedef struct batch {
    uint8_t *p;
    size_t len;
} batch_t;

static batch_t make(int64_t pid, int16_t epoch, int32_t seq, int n)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    b.producer_id = pid;
    b.producer_epoch = epoch;
    b.base_sequence = seq;
    for (int i = 0; i < n; i++) {
        assert_int_equal(
            samsa_batch_builder_add(&b, 1000 + i, NULL, -1, "v", 1, NULL, 0),
            SAMSA_OK);
    }
    batch_t out;
    assert_int_equal(samsa_batch_builder_finish(&b, &out.p, &out.len),
                     SAMSA_OK);
    samsa_batch_builder_free(&b);
    return out;
}

/* What samsa_partition_append does: check; if new, assign and record.
 * Returns the check's error; *base gets the offset answered. */
static samsa_err_t append(fixture_t *f, batch_t b, int64_t now, int64_t *base,
                          bool *dup)
{
    samsa_producer_verdict_t v;
    samsa_err_t err = samsa_producer_check(f->st, b.p, b.len, &v);
    *dup = v.duplicate;
    if (err == SAMSA_OK && v.duplicate) {
        *base = v.base_offset;
    } else if (err == SAMSA_OK) {
        *base = f->leo;
        f->leo = samsa_batches_assign(b.p, b.len, f->leo, 0, -1);
        assert_int_equal(samsa_producer_record(f->st, b.p, b.len, now),
                         SAMSA_OK);
    }
    free(b.p);
    return err;
}

/* Append expecting a fresh write at the current end. */
static void ok(fixture_t *f, int64_t pid, int16_t epoch, int32_t seq, int n)
{
    int64_t expect = f->leo, base;
    bool dup;
    assert_int_equal(append(f, make(pid, epoch, seq, n), 0, &base, &dup),
                     SAMSA_OK);
    assert_false(dup);
    assert_int_equal(base, expect);
}

static samsa_err_t try(fixture_t *f, int64_t pid, int16_t epoch, int32_t seq,
                       int n)
{
    int64_t base, leo = f->leo;
    bool dup;
    samsa_err_t err = append(f, make(pid, epoch, seq, n), 0, &base, &dup);
    if (err != SAMSA_OK) {
        assert_int_equal(f->leo, leo); /* nothing appended */
    }
    return err;
}

static void dup_of(fixture_t *f, int64_t pid, int16_t epoch, int32_t seq, int n,
                   int64_t original)
{
    int64_t base, leo = f->leo;
    bool dup;
    assert_int_equal(append(f, make(pid, epoch, seq, n), 0, &base, &dup),
                     SAMSA_OK);
    assert_true(dup);
    assert_int_equal(base, original);
    assert_int_equal(f->leo, leo);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    assert_int_equal(samsa_producer_state_new(0, &f->st), SAMSA_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    samsa_producer_state_free(f->st);
    free(f);
    return 0;
}

static void each_of_the_last_five_batches_is_a_duplicate(void **state)
{
    fixture_t *f = *state;
    /* Six batches of 2 records: seqs 0-1, 2-3, ..., 10-11. */
    for (int i = 0; i < 6; i++) {
        ok(f, PID, 0, 2 * i, 2);
    }
    for (int i = 1; i < 6; i++) {
        dup_of(f, PID, 0, 2 * i, 2, 2 * i);
    }
    /* The first fell out of the cache: now it is out of order. */
    assert_int_equal(try(f, PID, 0, 0, 2),
                     SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    /* Same first sequence but another length is not a duplicate. */
    assert_int_equal(try(f, PID, 0, 10, 1),
                     SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    ok(f, PID, 0, 12, 1);
}

static void a_gap_or_a_step_back_is_out_of_order(void **state)
{
    fixture_t *f = *state;
    ok(f, PID, 0, 0, 3);
    assert_int_equal(try(f, PID, 0, 4, 1),
                     SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_int_equal(try(f, PID, 0, 1, 1),
                     SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    ok(f, PID, 0, 3, 1);
}

static void an_older_epoch_is_fenced(void **state)
{
    fixture_t *f = *state;
    ok(f, PID, 3, 0, 1);
    assert_int_equal(try(f, PID, 2, 1, 1), SAMSA_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(try(f, PID, 2, 0, 1), SAMSA_ERR_INVALID_PRODUCER_EPOCH);
    int16_t epoch;
    samsa_producer_batch_t last;
    assert_true(samsa_producer_lookup(f->st, PID, &epoch, &last));
    assert_int_equal(epoch, 3);
    assert_int_equal(last.last_seq, 0);
}

static void a_new_epoch_starts_at_sequence_zero(void **state)
{
    fixture_t *f = *state;
    ok(f, PID, 0, 0, 5);
    assert_int_equal(try(f, PID, 1, 5, 1),
                     SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    ok(f, PID, 1, 0, 2);
    /* The old epoch's batches are forgotten: no duplicate, fenced. */
    assert_int_equal(try(f, PID, 0, 0, 5), SAMSA_ERR_INVALID_PRODUCER_EPOCH);
    dup_of(f, PID, 1, 0, 2, 5);
    ok(f, PID, 1, 2, 1);
}

static void sequences_wrap_after_int32_max(void **state)
{
    fixture_t *f = *state;
    /* Unknown producer: its first batch may start anywhere. */
    ok(f, PID, 0, INT32_MAX - 1, 1);
    /* INT32_MAX, then 0 and 1 in the same batch. */
    ok(f, PID, 0, INT32_MAX, 3);
    int16_t epoch;
    samsa_producer_batch_t last;
    assert_true(samsa_producer_lookup(f->st, PID, &epoch, &last));
    assert_int_equal(last.first_seq, INT32_MAX);
    assert_int_equal(last.last_seq, 1);
    dup_of(f, PID, 0, INT32_MAX, 3, 1);
    ok(f, PID, 0, 2, 1);
    /* A batch ending exactly at INT32_MAX is followed by 0. */
    ok(f, PID + 1, 0, INT32_MAX - 2, 3);
    ok(f, PID + 1, 0, 0, 1);
}

static void unknown_producers_may_start_at_any_sequence(void **state)
{
    fixture_t *f = *state;
    ok(f, PID, 7, 1234, 2);
    ok(f, PID + 1, 0, 0, 1);
    ok(f, PID, 7, 1236, 1);
    assert_int_equal(samsa_producer_count(f->st), 2);
}

static void producers_are_independent(void **state)
{
    fixture_t *f = *state;
    for (int64_t p = 0; p < 100; p++) {
        ok(f, p, 0, 0, 1);
    }
    for (int64_t p = 0; p < 100; p++) {
        dup_of(f, p, 0, 0, 1, p);
        ok(f, p, 0, 1, 1);
    }
    assert_int_equal(samsa_producer_count(f->st), 100);
}

static void malformed_idempotent_appends_are_invalid(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(try(f, PID, 0, -1, 1), SAMSA_ERR_INVALID_RECORD);
    /* Two batches in one append, one of them idempotent. */
    batch_t a = make(PID, 0, 0, 1), b = make(-1, -1, -1, 1);
    uint8_t *two = malloc(a.len + b.len);
    memcpy(two, a.p, a.len);
    memcpy(two + a.len, b.p, b.len);
    samsa_producer_verdict_t v;
    assert_int_equal(samsa_producer_check(f->st, two, a.len + b.len, &v),
                     SAMSA_ERR_INVALID_RECORD);
    /* Several plain batches stay fine. */
    memcpy(two, b.p, b.len);
    memcpy(two + b.len, b.p, b.len);
    assert_int_equal(samsa_producer_check(f->st, two, 2 * b.len, &v), SAMSA_OK);
    assert_false(v.duplicate);
    free(two);
    free(a.p);
    free(b.p);
    assert_non_null(
        samsa_producer_error_message(SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert_null(samsa_producer_error_message(SAMSA_ERR_KAFKA_STORAGE_ERROR));
}

static void plain_batches_leave_no_state(void **state)
{
    fixture_t *f = *state;
    ok(f, -1, -1, -1, 3);
    ok(f, -1, -1, -1, 3);
    assert_int_equal(samsa_producer_count(f->st), 0);
}

static void expiration_changes_at_runtime(void **state)
{
    fixture_t *f = *state;
    int64_t base;
    bool dup;
    assert_int_equal(append(f, make(1, 0, 0, 1), 1000, &base, &dup), SAMSA_OK);
    assert_int_equal(samsa_producer_expire(f->st, 1000 + 60000), 0);
    /* A dynamic producer.id.expiration.ms of one minute. */
    samsa_producer_state_set_expiration(f->st, 60000);
    assert_int_equal(samsa_producer_expire(f->st, 1000 + 60000), 1);
    assert_int_equal(samsa_producer_count(f->st), 0);
}

static void idle_producers_expire(void **state)
{
    fixture_t *f = *state;
    int64_t base;
    bool dup;
    assert_int_equal(append(f, make(1, 0, 0, 1), 1000, &base, &dup), SAMSA_OK);
    assert_int_equal(append(f, make(2, 0, 0, 1), 1000 + DAY / 2, &base, &dup),
                     SAMSA_OK);
    assert_int_equal(samsa_producer_expire(f->st, 1000 + DAY - 1), 0);
    assert_int_equal(samsa_producer_expire(f->st, 1000 + DAY), 1);
    int16_t epoch;
    samsa_producer_batch_t last;
    assert_false(samsa_producer_lookup(f->st, 1, &epoch, &last));
    assert_true(samsa_producer_lookup(f->st, 2, &epoch, &last));
    /* Forgotten: any sequence is accepted again. */
    ok(f, 1, 0, 9, 1);
    /* Recording sweeps too, at most every ten minutes. */
    assert_int_equal(append(f, make(3, 0, 0, 1), 1000 + 3 * DAY, &base, &dup),
                     SAMSA_OK);
    assert_false(samsa_producer_lookup(f->st, 2, &epoch, &last));
    assert_true(samsa_producer_lookup(f->st, 3, &epoch, &last));
}

/* Recording a batch whose header offsets are near INT64_MAX (a replica or
 * a damaged log tail): its last offset wraps as Java's long arithmetic
 * does instead of overflowing (UBSan aborts this test without the fix). */
static void extreme_offsets_wrap_like_java(void **state)
{
    fixture_t *f = *state;
    batch_t b = make(PID, 0, 0, 3); /* lastOffsetDelta 2 */
    samsa_put_be64(b.p + SAMSA_BATCH_OFF_BASE_OFFSET, (uint64_t)INT64_MAX);
    assert_int_equal(samsa_producer_record(f->st, b.p, b.len, 0), SAMSA_OK);
    free(b.p);
    int16_t epoch;
    samsa_producer_batch_t last;
    assert_true(samsa_producer_lookup(f->st, PID, &epoch, &last));
    assert_true(last.first_offset == INT64_MAX);
    assert_true(last.last_offset == INT64_MIN + 1);
    assert_int_equal(last.last_seq, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            each_of_the_last_five_batches_is_a_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(a_gap_or_a_step_back_is_out_of_order,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(an_older_epoch_is_fenced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_new_epoch_starts_at_sequence_zero,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(sequences_wrap_after_int32_max, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            unknown_producers_may_start_at_any_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(producers_are_independent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            malformed_idempotent_appends_are_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(plain_batches_leave_no_state, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(idle_producers_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(extreme_offsets_wrap_like_java, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(expiration_changes_at_runtime, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
