/* SPDX-License-Identifier: Apache-2.0 */
/* Consumer group helpers of the client: Kafka's range assignor and the
 * consumer protocol encodings (int16 version prefix + body). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/client.h"

static void range_assignor_matches_kafkas_example(void **state)
{
    (void)state;
    /* RangeAssignor javadoc: C0, C1 subscribe t0 and t1 (3 partitions
     * each): C0 gets t0p0 t0p1 t1p0 t1p1, C1 gets t0p2 t1p2. */
    const char *members[] = {"C1", "C0"}; /* unsorted on purpose */
    const char *topics[] = {"t1", "t0"};
    const bool subs[] = {true, true, true, true};
    const int32_t counts[] = {3, 3};
    samsa_tp_t *out[2];
    int nout[2];

    assert_int_equal(
        samsa_range_assign(2, members, subs, 2, topics, counts, out, nout),
        SAMSA_OK);
    assert_int_equal(nout[1], 4); /* C0 */
    assert_int_equal(nout[0], 2); /* C1 */
    assert_string_equal(out[1][0].topic, "t0");
    assert_int_equal(out[1][0].partition, 0);
    assert_int_equal(out[1][1].partition, 1);
    assert_string_equal(out[1][2].topic, "t1");
    assert_int_equal(out[0][0].partition, 2);
    assert_string_equal(out[0][1].topic, "t1");
    assert_int_equal(out[0][1].partition, 2);
    free(out[0]);
    free(out[1]);
}

static void range_assignor_skips_unsubscribed_members(void **state)
{
    (void)state;
    const char *members[] = {"a", "b"};
    const char *topics[] = {"x"};
    const bool subs[] = {false, true};
    const int32_t counts[] = {4};
    samsa_tp_t *out[2];
    int nout[2];

    assert_int_equal(
        samsa_range_assign(2, members, subs, 1, topics, counts, out, nout),
        SAMSA_OK);
    assert_int_equal(nout[0], 0);
    assert_int_equal(nout[1], 4);
    free(out[0]);
    free(out[1]);
}

static void subscription_encodes_kafka_v0_bytes(void **state)
{
    (void)state;
    const char *topics[] = {"ab"};
    uint8_t *buf = NULL;
    size_t len = 0;
    /* version 0, array of 1 string "ab", null user data */
    const uint8_t want[] = {0, 0,   0,   0,    0,    1,    0,
                            2, 'a', 'b', 0xff, 0xff, 0xff, 0xff};

    assert_int_equal(samsa_consumer_subscription_encode(topics, 1, &buf, &len),
                     SAMSA_OK);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    samsa_arena_t arena;
    samsa_ConsumerProtocolSubscription_t s;
    samsa_arena_init(&arena);
    assert_int_equal(samsa_consumer_subscription_decode(buf, len, &arena, &s),
                     SAMSA_OK);
    assert_int_equal(s.Topics.count, 1);
    assert_true(samsa_str_eq_cstr(s.Topics.items[0], "ab"));
    samsa_arena_destroy(&arena);
    free(buf);
}

static void assignment_round_trips_grouped_by_topic(void **state)
{
    (void)state;
    samsa_tp_t tps[] = {{"t", 0}, {"u", 3}, {"t", 2}};
    uint8_t *buf = NULL;
    size_t len = 0;
    samsa_arena_t arena;
    samsa_ConsumerProtocolAssignment_t a;

    assert_int_equal(samsa_consumer_assignment_encode(tps, 3, &buf, &len),
                     SAMSA_OK);
    samsa_arena_init(&arena);
    assert_int_equal(samsa_consumer_assignment_decode(buf, len, &arena, &a),
                     SAMSA_OK);
    assert_int_equal(a.AssignedPartitions.count, 2);
    assert_true(samsa_str_eq_cstr(a.AssignedPartitions.items[0].Topic, "t"));
    assert_int_equal(a.AssignedPartitions.items[0].Partitions.count, 2);
    assert_int_equal(a.AssignedPartitions.items[0].Partitions.items[1], 2);
    assert_int_equal(a.AssignedPartitions.items[1].Partitions.items[0], 3);
    /* an empty assignment (a member with nothing) decodes as empty */
    assert_int_equal(samsa_consumer_assignment_decode(buf, 0, &arena, &a),
                     SAMSA_OK);
    assert_int_equal(a.AssignedPartitions.count, 0);
    /* a newer version with extra trailing fields still decodes */
    buf[1] = 9;
    assert_int_equal(samsa_consumer_assignment_decode(buf, len, &arena, &a),
                     SAMSA_OK);
    samsa_arena_destroy(&arena);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(range_assignor_matches_kafkas_example),
        cmocka_unit_test(range_assignor_skips_unsubscribed_members),
        cmocka_unit_test(subscription_encodes_kafka_v0_bytes),
        cmocka_unit_test(assignment_round_trips_grouped_by_topic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
