/* SPDX-License-Identifier: Apache-2.0 */
/* Kafka Connect's group protocol and eager assignor
 * (core/connect/assignor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connect/assignor.h"

/* Bytes of ConnectProtocol v0 as Kafka's ConnectProtocol serialises them. */
static void test_worker_state_matches_kafkas_layout(void **state)
{
    (void)state;
    uint8_t *p = NULL;
    size_t len = 0;
    assert_int_equal(samsa_connect_state_encode("http://w1:8083/", 7, &p, &len),
                     SAMSA_OK);
    static const uint8_t want[] = {0,   0,   0,   15,  'h', 't', 't', 'p', ':',
                                   '/', '/', 'w', '1', ':', '8', '0', '8', '3',
                                   '/', 0,   0,   0,   0,   0,   0,   0,   7};
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(p, want, sizeof(want));
    char *url = NULL;
    int64_t off = 0;
    assert_int_equal(samsa_connect_state_decode(p, len, &url, &off), SAMSA_OK);
    assert_string_equal(url, "http://w1:8083/");
    assert_int_equal(off, 7);
    free(url);
    /* Truncated: a clean protocol error. */
    assert_int_equal(samsa_connect_state_decode(p, len - 3, &url, &off),
                     SAMSA_ERR_PROTOCOL);
    assert_null(url);
    free(p);
}

static void test_assignment_round_trips(void **state)
{
    (void)state;
    int32_t t1[] = {-1, 0, 2};
    int32_t t2[] = {1};
    samsa_connect_share_t shares[] = {{"src", t1, 3}, {"sink", t2, 1}};
    samsa_connect_assignment_t a = {.error = 0,
                                    .leader = "m-1",
                                    .leader_url = "http://l:1/",
                                    .config_offset = 42,
                                    .nshares = 2,
                                    .shares = shares};
    uint8_t *p = NULL;
    size_t len = 0;
    assert_int_equal(samsa_connect_assignment_encode(&a, &p, &len), SAMSA_OK);
    samsa_connect_assignment_t b;
    assert_int_equal(samsa_connect_assignment_decode(p, len, &b), SAMSA_OK);
    assert_string_equal(b.leader, "m-1");
    assert_string_equal(b.leader_url, "http://l:1/");
    assert_int_equal(b.config_offset, 42);
    assert_int_equal(b.nshares, 2);
    assert_string_equal(b.shares[0].connector, "src");
    assert_int_equal(b.shares[0].ntasks, 3);
    assert_int_equal(b.shares[0].tasks[2], 2);
    assert_true(samsa_connect_assignment_has(&b, "src", -1));
    assert_true(samsa_connect_assignment_has(&b, "sink", 1));
    assert_false(samsa_connect_assignment_has(&b, "sink", 0));
    samsa_connect_assignment_free(&b);
    /* Every truncation is refused, none crashes. */
    for (size_t cut = 1; cut < len; cut++) {
        assert_int_not_equal(samsa_connect_assignment_decode(p, cut, &b),
                             SAMSA_OK);
    }
    /* An empty buffer is an empty assignment. */
    assert_int_equal(samsa_connect_assignment_decode(p, 0, &b), SAMSA_OK);
    assert_int_equal(b.nshares, 0);
    free(p);
}

/* A garbage array count cannot make a huge allocation. */
static void test_assignment_with_huge_count_is_refused(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0, 0, 0, 0, 0, 0, 0, 0,    0,    0,    0,
                                  0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff};
    samsa_connect_assignment_t a;
    assert_int_equal(samsa_connect_assignment_decode(bad, sizeof(bad), &a),
                     SAMSA_ERR_PROTOCOL);
}

static int count(const samsa_connect_assignment_t *a)
{
    int n = 0;
    for (int32_t i = 0; i < a->nshares; i++) {
        n += a->shares[i].ntasks;
    }
    return n;
}

/* Kafka's EagerAssignor: one circular walk over members sorted by id. */
static void test_eager_walks_members_in_order(void **state)
{
    (void)state;
    const char *members[] = {"w-b", "w-a"};
    const char *conns[] = {"sink", "src"};
    int32_t ntasks[] = {3, 1};
    samsa_connect_assignment_t out[2];
    assert_int_equal(
        samsa_connect_assign_eager(2, members, 2, conns, ntasks, out),
        SAMSA_OK);
    /* sorted: w-a, w-b; connectors: sink (-1,0,1,2), src (-1,0) */
    samsa_connect_assignment_t *a = &out[1], *b = &out[0];
    assert_true(samsa_connect_assignment_has(a, "sink", -1));
    assert_true(samsa_connect_assignment_has(b, "sink", 0));
    assert_true(samsa_connect_assignment_has(a, "sink", 1));
    assert_true(samsa_connect_assignment_has(b, "sink", 2));
    assert_true(samsa_connect_assignment_has(a, "src", -1));
    assert_true(samsa_connect_assignment_has(b, "src", 0));
    assert_int_equal(count(a), 3);
    assert_int_equal(count(b), 3);
    assert_int_equal(a->nshares, 2);
    samsa_connect_assignment_free(&out[0]);
    samsa_connect_assignment_free(&out[1]);
}

/* One member left: it gets everything; every task is handed out once. */
static void test_eager_one_member_gets_all(void **state)
{
    (void)state;
    const char *members[] = {"only"};
    const char *conns[] = {"a", "b", "c"};
    int32_t ntasks[] = {2, 0, 4};
    samsa_connect_assignment_t out[1];
    assert_int_equal(
        samsa_connect_assign_eager(1, members, 3, conns, ntasks, out),
        SAMSA_OK);
    assert_int_equal(count(&out[0]), 3 + 1 + 5);
    assert_int_equal(out[0].nshares, 3);
    assert_true(samsa_connect_assignment_has(&out[0], "c", 3));
    samsa_connect_assignment_free(&out[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_state_matches_kafkas_layout),
        cmocka_unit_test(test_assignment_round_trips),
        cmocka_unit_test(test_assignment_with_huge_count_is_refused),
        cmocka_unit_test(test_eager_walks_members_in_order),
        cmocka_unit_test(test_eager_one_member_gets_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
