/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-mirror's pure parts: offset-sync translation (never ahead of what
 * was copied, exact inside a run, gaps and resets) and the replication
 * policy and filters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mirror_policy.h"
#include "mirror_sync.h"

static samsa_mirror_syncs_t *syncs_new(void)
{
    samsa_mirror_syncs_t *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    return s;
}

static void translation_is_exact_inside_a_run(void **state)
{
    (void)state;
    samsa_mirror_syncs_t *s = syncs_new();
    /* Upstream 10..19 copied to downstream 105..114. */
    for (int64_t i = 10; i < 20; i++) {
        samsa_mirror_sync_add(s, i, i + 95);
    }
    assert_int_equal(s->n, 1);
    assert_int_equal(samsa_mirror_translate(s, 10), 105);
    assert_int_equal(samsa_mirror_translate(s, 11), 106);
    assert_int_equal(samsa_mirror_translate(s, 20), 115);
    /* Before the oldest sync: unknown, not guessed. */
    assert_int_equal(samsa_mirror_translate(s, 9), -1);
    /* Past what was copied: the end of the copy, never further. */
    assert_int_equal(samsa_mirror_translate(s, 500), 115);
    free(s);
}

static void gaps_never_move_a_group_ahead(void **state)
{
    (void)state;
    samsa_mirror_syncs_t *s = syncs_new();
    /* Upstream 0..4, then a gap (a transaction marker at 5), 6..7. */
    for (int64_t i = 0; i < 5; i++) {
        samsa_mirror_sync_add(s, i, i);
    }
    samsa_mirror_sync_add(s, 6, 5);
    samsa_mirror_sync_add(s, 7, 6);
    assert_int_equal(s->n, 2);
    assert_int_equal(samsa_mirror_translate(s, 5), 5); /* read 0..4 */
    /* Read through the marker (6 is next): downstream 5 is upstream 6,
     * not read yet, so the answer stays 5. */
    assert_int_equal(samsa_mirror_translate(s, 6), 5);
    assert_int_equal(samsa_mirror_translate(s, 7), 6);
    assert_int_equal(samsa_mirror_translate(s, 8), 7);
    free(s);
}

static void copying_again_from_further_back_starts_over(void **state)
{
    (void)state;
    samsa_mirror_syncs_t *s = syncs_new();
    samsa_mirror_sync_add(s, 50, 50);
    samsa_mirror_sync_add(s, 51, 51);
    samsa_mirror_sync_add(s, 40, 60);
    assert_int_equal(s->n, 1);
    assert_int_equal(samsa_mirror_translate(s, 41), 61);
    assert_int_equal(samsa_mirror_translate(s, 39), -1);
    free(s);
}

static void the_oldest_runs_go_when_full(void **state)
{
    (void)state;
    samsa_mirror_syncs_t *s = syncs_new();
    /* Every other upstream offset: one run per record. */
    for (int64_t i = 0; i < SAMSA_MIRROR_MAX_RUNS + 1; i++) {
        samsa_mirror_sync_add(s, 2 * i, i);
    }
    assert_int_equal(s->n, SAMSA_MIRROR_MAX_RUNS / 2 + 1);
    assert_int_equal(samsa_mirror_translate(s, 0), -1);
    int64_t last = SAMSA_MIRROR_MAX_RUNS;
    assert_int_equal(samsa_mirror_translate(s, 2 * last + 1), last + 1);
    free(s);
}

static void policies_name_remote_topics(void **state)
{
    (void)state;
    samsa_mirror_policy_t p;
    char out[64], err[256];
    assert_int_equal(samsa_mirror_policy_init(&p, "DefaultReplicationPolicy",
                                              "east", "west", ".", err,
                                              sizeof(err)),
                     0);
    assert_true(samsa_mirror_remote_topic(&p, "orders", out, sizeof(out)));
    assert_string_equal(out, "east.orders");
    /* The target's own topics coming back would loop. */
    assert_false(
        samsa_mirror_remote_topic(&p, "west.orders", out, sizeof(out)));
    assert_int_equal(
        samsa_mirror_policy_init(
            &p, "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
            "east", "", ".", err, sizeof(err)),
        0);
    assert_true(samsa_mirror_remote_topic(&p, "orders", out, sizeof(out)));
    assert_string_equal(out, "orders");
    assert_int_equal(samsa_mirror_policy_init(&p, "MyPolicy", "east", "", ".",
                                              err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "MyPolicy"));
}

static void filters_match_whole_names(void **state)
{
    (void)state;
    samsa_mirror_filter_t f;
    char err[256];
    assert_int_equal(samsa_mirror_filter_init(&f, "topics", "orders, pay-.*",
                                              ".*[-.]internal", err,
                                              sizeof(err)),
                     0);
    assert_true(samsa_mirror_filter_match(&f, "orders"));
    assert_false(samsa_mirror_filter_match(&f, "orders2"));
    assert_true(samsa_mirror_filter_match(&f, "pay-eu"));
    assert_false(samsa_mirror_filter_match(&f, "pay-eu.internal"));
    samsa_mirror_filter_free(&f);
    assert_int_equal(
        samsa_mirror_filter_init(&f, "topics", "a(", "", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "topics: a("));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(translation_is_exact_inside_a_run),
        cmocka_unit_test(gaps_never_move_a_group_ahead),
        cmocka_unit_test(copying_again_from_further_back_starts_over),
        cmocka_unit_test(the_oldest_runs_go_when_full),
        cmocka_unit_test(policies_name_remote_topics),
        cmocka_unit_test(filters_match_whole_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
