/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Replication rules, as Kafka has them: a follower's caught-up time, the
 * high watermark over the (maximal) ISR and caught-up eligible followers,
 * ISR shrink and expansion decisions, and truncation after a diverging
 * epoch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "replica/rules.h"

#define LAG 1000

static void test_caught_up_tracking(void **state)
{
    (void)state;
    samsa_follower_t f;
    samsa_follower_reset(&f, 2, false, 100);
    assert_int_equal(f.leo, -1);
    assert_false(samsa_follower_caught_up(&f, 50, 200, LAG) && f.leo == 50);
    /* Behind the leader's log end, never caught up before: not caught
     * up once the lag time passed. */
    samsa_follower_fetched(&f, 10, 50, 1000);
    assert_false(samsa_follower_caught_up(&f, 50, 2500, LAG));
    /* Fetching what the leader had at its previous fetch: caught up as
     * of that previous fetch (1000), not of now. */
    samsa_follower_fetched(&f, 50, 80, 3000);
    assert_int_equal(f.last_caught_up_ms, 1000);
    assert_false(samsa_follower_caught_up(&f, 80, 3000, LAG));
    /* At the leader's log end: caught up now. */
    samsa_follower_fetched(&f, 80, 80, 3100);
    assert_int_equal(f.last_caught_up_ms, 3100);
    assert_true(samsa_follower_caught_up(&f, 90, 3500, LAG));
    assert_false(samsa_follower_caught_up(&f, 90, 4200, LAG));
    /* At the log end counts whatever the time. */
    assert_true(samsa_follower_caught_up(&f, 80, 99999, LAG));
}

static void test_isr_member_gets_lag_time_after_leader_change(void **state)
{
    (void)state;
    samsa_follower_t f;
    samsa_follower_reset(&f, 2, true, 5000);
    assert_true(samsa_follower_caught_up(&f, 100, 5500, LAG));
    assert_false(samsa_follower_caught_up(&f, 100, 6500, LAG));
    samsa_follower_reset(&f, 3, false, 5000);
    assert_false(samsa_follower_caught_up(&f, 100, 5500, LAG));
}

static void test_hw_is_min_over_isr(void **state)
{
    (void)state;
    samsa_follower_t fs[2];
    int32_t isr[] = {1, 2, 3};
    samsa_follower_reset(&fs[0], 2, true, 0);
    samsa_follower_reset(&fs[1], 3, true, 0);
    /* Nobody fetched yet in this leadership: the HW stays. */
    assert_int_equal(samsa_replica_hw(100, 40, fs, 2, isr, 3, NULL, 10, LAG),
                     40);
    samsa_follower_fetched(&fs[0], 90, 100, 10);
    assert_int_equal(samsa_replica_hw(100, 40, fs, 2, isr, 3, NULL, 10, LAG),
                     40);
    samsa_follower_fetched(&fs[1], 70, 100, 10);
    assert_int_equal(samsa_replica_hw(100, 40, fs, 2, isr, 3, NULL, 10, LAG),
                     70);
    /* Never lowered. */
    assert_int_equal(samsa_replica_hw(100, 80, fs, 2, isr, 3, NULL, 10, LAG),
                     80);
    /* A follower outside the ISR does not hold it back... */
    int32_t isr2[] = {1, 2};
    assert_int_equal(samsa_replica_hw(100, 40, fs, 2, isr2, 2, NULL, 10, LAG),
                     90);
    /* ...unless it is caught up and eligible: about to join, so the HW
     * waits for it (Kafka's shouldWaitForReplicaToJoinIsr). */
    samsa_follower_fetched(&fs[1], 100, 100, 20);
    samsa_follower_fetched(&fs[1], 95, 120, 30);
    bool eligible[] = {true, true};
    assert_int_equal(
        samsa_replica_hw(120, 40, fs, 2, isr2, 2, eligible, 40, LAG), 90);
    fs[0].leo = 120;
    assert_int_equal(
        samsa_replica_hw(120, 40, fs, 2, isr2, 2, eligible, 40, LAG), 95);
    /* Leader alone in the ISR: its own log end. */
    int32_t alone[] = {1};
    assert_int_equal(samsa_replica_hw(120, 40, fs, 2, alone, 1, NULL, 40, LAG),
                     120);
}

static void test_out_of_sync(void **state)
{
    (void)state;
    samsa_follower_t fs[2];
    int32_t isr[] = {1, 2, 3};
    int32_t out[2];
    samsa_follower_reset(&fs[0], 2, true, 0);
    samsa_follower_reset(&fs[1], 3, true, 0);
    assert_int_equal(
        samsa_replica_out_of_sync(100, fs, 2, isr, 3, 500, LAG, out), 0);
    samsa_follower_fetched(&fs[0], 100, 100, 900);
    /* 3 never fetched: out once the lag time passed; 2 is at the end. */
    assert_int_equal(
        samsa_replica_out_of_sync(100, fs, 2, isr, 3, 1500, LAG, out), 1);
    assert_int_equal(out[0], 3);
    /* 2 falls behind and stays behind. */
    assert_int_equal(
        samsa_replica_out_of_sync(200, fs, 2, isr, 3, 2000, LAG, out), 2);
    /* Not in the ISR: nothing to shrink. */
    int32_t alone[] = {1};
    assert_int_equal(
        samsa_replica_out_of_sync(200, fs, 2, alone, 1, 2000, LAG, out), 0);
}

static void test_in_sync_for_expansion(void **state)
{
    (void)state;
    samsa_follower_t f;
    samsa_follower_reset(&f, 2, false, 0);
    assert_false(samsa_follower_in_sync(&f, 0, 0)); /* never fetched */
    samsa_follower_fetched(&f, 50, 100, 10);
    assert_true(samsa_follower_in_sync(&f, 50, 40));
    assert_false(samsa_follower_in_sync(&f, 60, 40)); /* below the HW */
    /* Below the start of the leader's epoch: not yet, even at the HW. */
    assert_false(samsa_follower_in_sync(&f, 50, 55));
}

static void test_truncation(void **state)
{
    (void)state;
    bool done = false;
    /* Same epoch on both sides: the smaller end. */
    assert_int_equal(
        samsa_replica_truncation_offset(3, 100, 3, 120, 130, &done), 100);
    assert_true(done);
    assert_int_equal(samsa_replica_truncation_offset(3, 100, 3, 90, 130, &done),
                     90);
    assert_true(done);
    /* Our largest epoch below the leader's is another one: cut to its end
     * and ask again. */
    assert_int_equal(samsa_replica_truncation_offset(3, 100, 2, 80, 130, &done),
                     80);
    assert_false(done);
    /* We know no epoch that old: the leader's end bounds it. */
    assert_int_equal(
        samsa_replica_truncation_offset(3, 100, -1, -1, 130, &done), 100);
    assert_true(done);
    assert_int_equal(samsa_replica_truncation_offset(3, 100, -1, -1, 60, &done),
                     60);
}

/* Kafka's throttled-replica lists: "*" or partition:broker pairs. */
static void test_throttle_lists(void **state)
{
    (void)state;
    assert_true(samsa_replica_throttle_listed("*", 7, 3));
    assert_true(samsa_replica_throttle_listed(" * ", 0, 1));
    assert_false(samsa_replica_throttle_listed("", 0, 1));
    assert_false(samsa_replica_throttle_listed(NULL, 0, 1));
    const char *l = "0:1,0:2, 1:3 ,12:14";
    assert_true(samsa_replica_throttle_listed(l, 0, 1));
    assert_true(samsa_replica_throttle_listed(l, 0, 2));
    assert_true(samsa_replica_throttle_listed(l, 1, 3));
    assert_true(samsa_replica_throttle_listed(l, 12, 14));
    assert_false(samsa_replica_throttle_listed(l, 0, 3));
    assert_false(samsa_replica_throttle_listed(l, 2, 1));
    assert_false(samsa_replica_throttle_listed(l, 1, 4));
    assert_false(samsa_replica_throttle_listed(l, 2, 14)); /* not "12" */
    assert_false(samsa_replica_throttle_listed("0:1", 0, 11));
    assert_false(samsa_replica_throttle_listed("x:1,0", 0, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caught_up_tracking),
        cmocka_unit_test(test_isr_member_gets_lag_time_after_leader_change),
        cmocka_unit_test(test_hw_is_min_over_isr),
        cmocka_unit_test(test_out_of_sync),
        cmocka_unit_test(test_in_sync_for_expansion),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_throttle_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
