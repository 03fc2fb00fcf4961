/* SPDX-License-Identifier: Apache-2.0 */
/* Kafka Connect's group protocol and its assignors
 * (core/connect/assignor.c, assignor_coop.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connect/assignor.h"
#include "connect/cluster.h"

/* Bytes of ConnectProtocol v0 as Kafka's ConnectProtocol serialises them. */
static void test_worker_state_matches_kafkas_layout(void **state)
{
    (void)state;
    uint8_t *p = NULL;
    size_t len = 0;
    assert_int_equal(
        samsa_connect_state_encode(0, "http://w1:8083/", 7, NULL, &p, &len),
        SAMSA_OK);
    static const uint8_t want[] = {0,   0,   0,   15,  'h', 't', 't', 'p', ':',
                                   '/', '/', 'w', '1', ':', '8', '0', '8', '3',
                                   '/', 0,   0,   0,   0,   0,   0,   0,   7};
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(p, want, sizeof(want));
    char *url = NULL;
    int64_t off = 0;
    assert_int_equal(samsa_connect_state_decode(p, len, &url, &off, NULL),
                     SAMSA_OK);
    assert_string_equal(url, "http://w1:8083/");
    assert_int_equal(off, 7);
    free(url);
    /* Truncated: a clean protocol error. */
    assert_int_equal(samsa_connect_state_decode(p, len - 3, &url, &off, NULL),
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

static int ids_in(const samsa_connect_share_t *shares, int32_t nshares)
{
    int n = 0;
    for (int32_t i = 0; i < nshares; i++) {
        n += shares[i].ntasks;
    }
    return n;
}

static int count(const samsa_connect_assignment_t *a)
{
    return ids_in(a->shares, a->nshares);
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

/* ExtendedWorkerState v1 (IncrementalCooperativeConnectProtocol): the v0
 * fields, then the worker's current assignment as NULLABLE_BYTES holding
 * a whole v1 assignment (its own version, revoked list and delay). */
static void test_v1_worker_state_matches_kafkas_layout(void **state)
{
    (void)state;
    int32_t tasks[] = {-1, 0};
    samsa_connect_share_t share = {"src", tasks, 2};
    samsa_connect_assignment_t cur = {.leader = "L",
                                      .leader_url = "u",
                                      .config_offset = 3,
                                      .nshares = 1,
                                      .shares = &share};
    uint8_t *p = NULL;
    size_t len = 0;
    assert_int_equal(samsa_connect_state_encode(1, "w", 7, &cur, &p, &len),
                     SAMSA_OK);
    static const uint8_t want[] = {
        0,    1,                              /* version 1 */
        0,    1,    'w',                      /* url */
        0,    0,    0,    0,    0,   0, 0, 7, /* config offset */
        0,    0,    0,    47,                 /* allocation: 47 bytes */
        0,    1,                              /* its version */
        0,    0,                              /* error */
        0,    1,    'L',                      /* leader */
        0,    1,    'u',                      /* leader url */
        0,    0,    0,    0,    0,   0, 0, 3, /* config offset */
        0,    0,    0,    1,                  /* assignment: one connector */
        0,    3,    's',  'r',  'c',          /* connector */
        0,    0,    0,    2,                  /* two ids */
        0xff, 0xff, 0xff, 0xff,               /* -1: the connector itself */
        0,    0,    0,    0,                  /* task 0 */
        0,    0,    0,    0,                  /* revoked: none */
        0,    0,    0,    0,                  /* delay */
    };
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(p, want, sizeof(want));
    char *url = NULL;
    int64_t off = 0;
    samsa_connect_assignment_t got;
    assert_int_equal(samsa_connect_state_decode(p, len, &url, &off, &got),
                     SAMSA_OK);
    assert_string_equal(url, "w");
    assert_int_equal(off, 7);
    assert_int_equal(got.version, 1);
    assert_true(samsa_connect_assignment_has(&got, "src", -1));
    assert_true(samsa_connect_assignment_has(&got, "src", 0));
    free(url);
    samsa_connect_assignment_free(&got);
    for (size_t cut = 1; cut < len; cut++) {
        assert_int_equal(samsa_connect_state_decode(p, cut, &url, &off, &got),
                         SAMSA_ERR_PROTOCOL);
    }
    free(p);
    /* Nothing running: a null allocation. */
    assert_int_equal(samsa_connect_state_encode(2, "w", 7, NULL, &p, &len),
                     SAMSA_OK);
    static const uint8_t empty[] = {0, 2, 0, 1, 'w',  0,    0,    0,   0,
                                    0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(len, sizeof(empty));
    assert_memory_equal(p, empty, sizeof(empty));
    assert_int_equal(samsa_connect_state_decode(p, len, &url, &off, &got),
                     SAMSA_OK);
    assert_int_equal(got.nshares, 0);
    free(url);
    free(p);
}

/* ExtendedAssignment v2 (sessioned: v1's layout): new shares, revoked
 * ones, the scheduled delay. */
static void test_v2_assignment_carries_revoked_and_delay(void **state)
{
    (void)state;
    int32_t t1[] = {1};
    int32_t t0[] = {0};
    samsa_connect_share_t shares = {"k", t1, 1}, revoked = {"k", t0, 1};
    samsa_connect_assignment_t a = {.version = 2,
                                    .leader = "L",
                                    .leader_url = "u",
                                    .config_offset = 1,
                                    .nshares = 1,
                                    .shares = &shares,
                                    .nrevoked = 1,
                                    .revoked = &revoked,
                                    .delay = 1500};
    uint8_t *p = NULL;
    size_t len = 0;
    assert_int_equal(samsa_connect_assignment_encode(&a, &p, &len), SAMSA_OK);
    static const uint8_t want[] = {
        0, 2, 0,    0,    0, 1, 'L', 0,   1, 'u', 0, 0, 0, 0, 0, 0, 0,
        1, 0, 0,    0,    1, 0, 1,   'k', 0, 0,   0, 1, 0, 0, 0, 1, /* assigned
                                                                       k-1 */
        0, 0, 0,    1,    0, 1, 'k', 0,   0, 0,   1, 0, 0, 0, 0, /* revoked k-0
                                                                  */
        0, 0, 0x05, 0xdc, /* delay 1500 */
    };
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(p, want, sizeof(want));
    samsa_connect_assignment_t b;
    assert_int_equal(samsa_connect_assignment_decode(p, len, &b), SAMSA_OK);
    assert_int_equal(b.version, 2);
    assert_int_equal(b.nrevoked, 1);
    assert_int_equal(b.revoked[0].tasks[0], 0);
    assert_int_equal(b.delay, 1500);
    /* What a worker running k-0 and the connector runs afterwards. */
    int32_t run[] = {-1, 0};
    samsa_connect_share_t rs = {"k", run, 2};
    samsa_connect_assignment_t cur = {.nshares = 1, .shares = &rs}, merged;
    assert_int_equal(samsa_connect_assignment_merge(&cur, &b, &merged),
                     SAMSA_OK);
    assert_true(samsa_connect_assignment_has(&merged, "k", -1));
    assert_false(samsa_connect_assignment_has(&merged, "k", 0));
    assert_true(samsa_connect_assignment_has(&merged, "k", 1));
    samsa_connect_assignment_free(&merged);
    samsa_connect_assignment_free(&b);
    free(p);
}

static void free_all(samsa_connect_assignment_t *out, int n)
{
    for (int m = 0; m < n; m++) {
        samsa_connect_assignment_free(&out[m]);
    }
}

static int nrevoked(const samsa_connect_assignment_t *a)
{
    return ids_in(a->revoked, a->nrevoked);
}

/* A round of w-a and w-c (running @p still) at @p now_ms, max delay 5 s:
 * the delay sent (the same to both). */
static int32_t survivors_at(const samsa_connect_assignment_t *still,
                            int64_t now_ms, samsa_connect_coop_memory_t *mem,
                            samsa_connect_assignment_t *held)
{
    const char *left[] = {"w-a", "w-c"};
    const char *conns[] = {"sink"};
    int32_t ntasks[] = {3};
    assert_int_equal(samsa_connect_assign_cooperative(2, left, still, 1, conns,
                                                      ntasks, now_ms, 5000, mem,
                                                      held),
                     SAMSA_OK);
    assert_int_equal(held[0].delay, held[1].delay);
    return held[0].delay;
}

/* KIP-415: a worker joining takes work only from the most loaded, in two
 * rounds (revoke, then hand out); a worker leaving leaves its tasks held
 * for the scheduled delay, then the survivors get them. What stays is
 * never revoked or handed out again. */
static void test_cooperative_moves_only_what_must_move(void **state)
{
    (void)state;
    const char *conns[] = {"sink"};
    int32_t ntasks[] = {3};
    samsa_connect_coop_memory_t mem = {0};
    samsa_connect_assignment_t out[3];
    samsa_connect_assignment_t run[3];
    memset(run, 0, sizeof(run));

    /* Two workers start: everything is new. */
    const char *two[] = {"w-b", "w-a"};
    assert_int_equal(samsa_connect_assign_cooperative(
                         2, two, run, 1, conns, ntasks, 0, 5000, &mem, out),
                     SAMSA_OK);
    samsa_connect_assignment_t *a = &out[1], *b = &out[0];
    assert_true(samsa_connect_assignment_has(a, "sink", -1));
    assert_true(samsa_connect_assignment_has(a, "sink", 0));
    assert_true(samsa_connect_assignment_has(b, "sink", 1));
    assert_true(samsa_connect_assignment_has(a, "sink", 2));
    assert_int_equal(nrevoked(a) + nrevoked(b), 0);
    assert_int_equal(a->delay, 0);

    /* A third joins: w-a gives up its last task, nothing else moves. */
    const char *three[] = {"w-a", "w-b", "w-c"};
    samsa_connect_assignment_t now[3] = {out[1], out[0], {0}};
    assert_int_equal(samsa_connect_assign_cooperative(
                         3, three, now, 1, conns, ntasks, 10, 5000, &mem, run),
                     SAMSA_OK);
    assert_int_equal(nrevoked(&run[0]), 1);
    assert_int_equal(run[0].revoked[0].tasks[0], 2);
    assert_int_equal(nrevoked(&run[1]) + nrevoked(&run[2]), 0);
    assert_int_equal(count(&run[0]) + count(&run[1]) + count(&run[2]), 0);

    /* Next round: the revoked task goes to the newcomer, alone. */
    samsa_connect_assignment_t after[3];
    assert_int_equal(
        samsa_connect_assignment_merge(&now[0], &run[0], &after[0]), SAMSA_OK);
    assert_int_equal(
        samsa_connect_assignment_merge(&now[1], &run[1], &after[1]), SAMSA_OK);
    memset(&after[2], 0, sizeof(after[2]));
    free_all(run, 3);
    free_all(out, 2);
    assert_int_equal(samsa_connect_assign_cooperative(3, three, after, 1, conns,
                                                      ntasks, 20, 5000, &mem,
                                                      out),
                     SAMSA_OK);
    assert_int_equal(count(&out[0]) + count(&out[1]), 0);
    assert_int_equal(count(&out[2]), 1);
    assert_true(samsa_connect_assignment_has(&out[2], "sink", 2));
    assert_int_equal(nrevoked(&out[0]) + nrevoked(&out[1]) + nrevoked(&out[2]),
                     0);

    /* w-b (task 1) leaves: held for the delay, nothing moves. */
    samsa_connect_assignment_t still[2] = {after[0], out[2]};
    samsa_connect_assignment_t held[2];
    assert_int_equal(survivors_at(still, 1000, &mem, held), 5000);
    assert_int_equal(held[1].delay, 5000);
    assert_int_equal(count(&held[0]) + count(&held[1]), 0);
    free_all(held, 2);
    /* Still within the delay: the rest of it. */
    assert_int_equal(survivors_at(still, 3000, &mem, held), 3000);
    assert_int_equal(count(&held[0]) + count(&held[1]), 0);
    free_all(held, 2);
    /* Due: the survivors get it (the least loaded, w-a first). */
    assert_int_equal(survivors_at(still, 6000, &mem, held), 0);
    assert_true(samsa_connect_assignment_has(&held[0], "sink", 1));
    assert_int_equal(count(&held[1]), 0);
    free_all(held, 2);
    free_all(out, 3);
    free_all(after, 2);
    samsa_connect_coop_memory_clear(&mem);
}

/* A deleted connector's work is revoked from whoever runs it; a task
 * reported by two workers is kept by the first only. */
static void test_cooperative_revokes_deleted_and_duplicated(void **state)
{
    (void)state;
    const char *members[] = {"w-a", "w-b"};
    int32_t ta[] = {-1, 0}, tb[] = {0};
    samsa_connect_share_t sa[] = {{"gone", ta, 2}, {"kept", tb, 1}};
    samsa_connect_share_t sb[] = {{"kept", tb, 1}};
    samsa_connect_assignment_t run[2] = {{.nshares = 2, .shares = sa},
                                         {.nshares = 1, .shares = sb}};
    const char *conns[] = {"kept"};
    int32_t ntasks[] = {1};
    samsa_connect_coop_memory_t mem = {0};
    samsa_connect_assignment_t out[2];
    assert_int_equal(samsa_connect_assign_cooperative(2, members, run, 1, conns,
                                                      ntasks, 0, 0, &mem, out),
                     SAMSA_OK);
    assert_int_equal(nrevoked(&out[0]), 2); /* gone -1 and 0 */
    assert_int_equal(nrevoked(&out[1]), 1); /* kept 0, w-a's */
    assert_true(samsa_connect_assignment_has(&out[0], "kept", -1));
    free_all(out, 2);
    samsa_connect_coop_memory_clear(&mem);
}

/* connect.protocol and scheduled.rebalance.max.delay.ms, with Kafka's
 * names; a bad value names the key and what it takes. */
static void test_protocol_keys(void **state)
{
    (void)state;
    samsa_connect_dist_conf_t d = {0};
    char err[256] = "";
    assert_int_equal(samsa_connect_dist_set(&d, "connect.protocol", "eager",
                                            err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(d.protocol, SAMSA_CONNECT_PROTOCOL_EAGER);
    assert_int_equal(samsa_connect_dist_set(&d, "connect.protocol", "sessioned",
                                            err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(d.protocol, SAMSA_CONNECT_PROTOCOL_SESSIONED);
    assert_int_equal(samsa_connect_dist_set(&d, "connect.protocol", "coop", err,
                                            sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(err, "connect.protocol coop: expected eager"));
    assert_int_equal(samsa_connect_dist_set(&d,
                                            "scheduled.rebalance.max.delay.ms",
                                            "0", err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(d.max_delay_ms, 0);
    assert_int_equal(samsa_connect_dist_set(&d,
                                            "scheduled.rebalance.max.delay.ms",
                                            "-1", err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(err, "scheduled.rebalance.max.delay.ms -1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_state_matches_kafkas_layout),
        cmocka_unit_test(test_assignment_round_trips),
        cmocka_unit_test(test_assignment_with_huge_count_is_refused),
        cmocka_unit_test(test_eager_walks_members_in_order),
        cmocka_unit_test(test_eager_one_member_gets_all),
        cmocka_unit_test(test_v1_worker_state_matches_kafkas_layout),
        cmocka_unit_test(test_v2_assignment_carries_revoked_and_delay),
        cmocka_unit_test(test_cooperative_moves_only_what_must_move),
        cmocka_unit_test(test_cooperative_revokes_deleted_and_duplicated),
        cmocka_unit_test(test_protocol_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
