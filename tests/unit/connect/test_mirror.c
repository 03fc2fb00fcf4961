/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-mirror's pure parts: offset-sync translation (never ahead of what
 * was copied, exact inside a run, gaps and resets), runs rebuilt from the
 * syncs MM2 stores, MM2's record formats byte for byte, and the
 * replication policy and filters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mirror_format.h"
#include "mirror_policy.h"
#include "mirror_store.h"
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
    samsa_mirror_syncs_free(s);
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
    samsa_mirror_syncs_free(s);
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
    samsa_mirror_syncs_free(s);
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
    samsa_mirror_syncs_free(s);
    free(s);
}

static void stored_syncs_rebuild_the_runs(void **state)
{
    (void)state;
    samsa_mirror_syncs_t *s = syncs_new();
    /* What a writer stores for upstream 0..9 -> 5..14, a gap, 20..29 ->
     * 15..24: each run's first record and the last of each batch. */
    samsa_mirror_sync_load(s, 0, 5);
    samsa_mirror_sync_load(s, 4, 9);
    samsa_mirror_sync_load(s, 9, 14);
    samsa_mirror_sync_load(s, 20, 15);
    samsa_mirror_sync_load(s, 29, 24);
    assert_int_equal(s->n, 2);
    assert_int_equal(samsa_mirror_translate(s, 7), 12);  /* as if live */
    assert_int_equal(samsa_mirror_translate(s, 10), 15); /* read 0..9 */
    assert_int_equal(samsa_mirror_translate(s, 20), 15); /* in the gap */
    assert_int_equal(samsa_mirror_translate(s, 25), 20);
    assert_int_equal(samsa_mirror_translate(s, 30), 25);
    /* Copied again from further back after a crash: start over. */
    samsa_mirror_sync_load(s, 25, 30);
    assert_int_equal(s->n, 1);
    assert_int_equal(samsa_mirror_translate(s, 24), -1);
    samsa_mirror_syncs_free(s);
    free(s);
}

/* Bytes as Kafka's Struct.write lays them out (checked against MM2's
 * OffsetSync, Checkpoint and Heartbeat schemas). */
static void records_have_mm2s_bytes(void **state)
{
    (void)state;
    uint8_t b[128];
    static const uint8_t sync_key[] = {0, 2, 'o', 'r', 0, 0, 0, 7};
    static const uint8_t sync_val[] = {0, 0, 0, 0, 0, 0, 1, 2,
                                       0, 0, 0, 0, 0, 0, 0, 3};
    assert_int_equal(samsa_mirror_offset_sync_key(b, sizeof(b), "or", 7), 8);
    assert_memory_equal(b, sync_key, 8);
    assert_int_equal(samsa_mirror_offset_sync_value(b, sizeof(b), 258, 3), 16);
    assert_memory_equal(b, sync_val, 16);
    char topic[8];
    int32_t part;
    int64_t up, down;
    assert_true(samsa_mirror_offset_sync_decode(
        sync_key, 8, sync_val, 16, topic, sizeof(topic), &part, &up, &down));
    assert_string_equal(topic, "or");
    assert_int_equal(part, 7);
    assert_int_equal(up, 258);
    assert_int_equal(down, 3);
    /* Anything else is not a sync. */
    assert_false(samsa_mirror_offset_sync_decode(
        sync_key, 7, sync_val, 16, topic, sizeof(topic), &part, &up, &down));
    assert_false(samsa_mirror_offset_sync_decode(
        sync_key, 8, sync_val, 15, topic, sizeof(topic), &part, &up, &down));
    assert_false(samsa_mirror_offset_sync_decode(sync_key, 8, sync_val, 16,
                                                 topic, 2, &part, &up, &down));

    static const uint8_t ckpt_key[] = {0,   1,   'g', 0, 3, 'A',
                                       '.', 'o', 0,   0, 0, 1};
    static const uint8_t ckpt_val[] = {0, 0,                     /* v0 */
                                       0, 0, 0,  0, 0, 0, 0, 7,  /* up */
                                       0, 0, 0,  0, 0, 0, 0, 12, /* down */
                                       0, 1, 'm'};
    assert_int_equal(samsa_mirror_checkpoint_key(b, sizeof(b), "g", "A.o", 1),
                     sizeof(ckpt_key));
    assert_memory_equal(b, ckpt_key, sizeof(ckpt_key));
    assert_int_equal(samsa_mirror_checkpoint_value(b, sizeof(b), 7, 12, "m"),
                     sizeof(ckpt_val));
    assert_memory_equal(b, ckpt_val, sizeof(ckpt_val));

    static const uint8_t hb_key[] = {0, 1, 'A', 0, 1, 'B'};
    static const uint8_t hb_val[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    assert_int_equal(samsa_mirror_heartbeat_key(b, sizeof(b), "A", "B"), 6);
    assert_memory_equal(b, hb_key, 6);
    assert_int_equal(samsa_mirror_heartbeat_value(b, sizeof(b), 256), 10);
    assert_memory_equal(b, hb_val, 10);
    /* Too small a buffer: 0, never an overrun. */
    assert_int_equal(samsa_mirror_checkpoint_key(b, 5, "g", "A.o", 1), 0);
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

static void policies_skip_cycles_and_internal_topics(void **state)
{
    (void)state;
    samsa_mirror_policy_t p;
    char out[64], err[256];
    assert_int_equal(samsa_mirror_policy_init(&p, "DefaultReplicationPolicy",
                                              "east", "west", "_", err,
                                              sizeof(err)),
                     0);
    /* replication.policy.separator names remote topics. */
    assert_true(samsa_mirror_remote_topic(&p, "orders", out, sizeof(out)));
    assert_string_equal(out, "east_orders");
    assert_true(
        samsa_mirror_remote_topic(&p, "north_orders", out, sizeof(out)));
    assert_string_equal(out, "east_north_orders");
    /* From the target, one hop or more away: a cycle (MM2's isCycle). */
    assert_false(
        samsa_mirror_remote_topic(&p, "west_orders", out, sizeof(out)));
    assert_false(
        samsa_mirror_remote_topic(&p, "north_west_orders", out, sizeof(out)));
    assert_true(
        samsa_mirror_remote_topic(&p, "western_orders", out, sizeof(out)));
    /* Internal topics, whatever topics says (and with either policy). */
    assert_false(
        samsa_mirror_remote_topic(&p, "__consumer_offsets", out, sizeof(out)));
    assert_false(samsa_mirror_remote_topic(&p, "mm2-offset-syncs.x.internal",
                                           out, sizeof(out)));
    assert_false(
        samsa_mirror_remote_topic(&p, "connect-internal", out, sizeof(out)));
    assert_false(samsa_mirror_remote_topic(&p, ".hidden", out, sizeof(out)));
    /* Heartbeats topics, however many hops away. */
    assert_true(samsa_mirror_heartbeats_topic(&p, "heartbeats"));
    assert_true(samsa_mirror_heartbeats_topic(&p, "north_heartbeats"));
    assert_true(samsa_mirror_heartbeats_topic(&p, "a_b_heartbeats"));
    assert_false(samsa_mirror_heartbeats_topic(&p, "heartbeats2"));
    assert_int_equal(samsa_mirror_policy_init(&p, "IdentityReplicationPolicy",
                                              "east", "west", ".", err,
                                              sizeof(err)),
                     0);
    assert_false(
        samsa_mirror_remote_topic(&p, "__consumer_offsets", out, sizeof(out)));
    assert_true(samsa_mirror_remote_topic(&p, "west.orders", out, sizeof(out)));
    assert_string_equal(out, "west.orders");
}

static void checkpoints_are_emitted_when_they_move(void **state)
{
    (void)state;
    samsa_mirror_store_t st = {0};
    samsa_mirror_entry_t *e = samsa_mirror_store_get(&st, "orders", 0);
    assert_non_null(e);
    assert_true(samsa_mirror_checkpoint_new(e, "app", 7, 12));
    /* The same again, or a group that moved upstream without a new
     * downstream position: nothing new. */
    assert_false(samsa_mirror_checkpoint_new(e, "app", 7, 12));
    assert_false(samsa_mirror_checkpoint_new(e, "app", 8, 12));
    /* Another group has its own. */
    assert_true(samsa_mirror_checkpoint_new(e, "other", 7, 12));
    /* Forward downstream, or back upstream (a rewind): emitted. */
    assert_true(samsa_mirror_checkpoint_new(e, "app", 9, 14));
    assert_true(samsa_mirror_checkpoint_new(e, "app", 2, 5));
    assert_false(samsa_mirror_checkpoint_new(e, "app", 2, 5));
    samsa_mirror_store_free(&st);
}

static void checkpoints_read_back(void **state)
{
    (void)state;
    uint8_t key[64], val[64];
    char group[16], topic[16];
    int32_t partition;
    int64_t up, down;
    size_t kl =
        samsa_mirror_checkpoint_key(key, sizeof(key), "app", "east.orders", 3);
    size_t vl = samsa_mirror_checkpoint_value(val, sizeof(val), 7, 12, "m");
    assert_true(samsa_mirror_checkpoint_decode(
        key, kl, val, vl, group, sizeof(group), topic, sizeof(topic),
        &partition, &up, &down));
    assert_string_equal(group, "app");
    assert_string_equal(topic, "east.orders");
    assert_int_equal(partition, 3);
    assert_int_equal(up, 7);
    assert_int_equal(down, 12);
    /* Truncated or too long for the buffers: refused. */
    assert_false(samsa_mirror_checkpoint_decode(
        key, kl - 1, val, vl, group, sizeof(group), topic, sizeof(topic),
        &partition, &up, &down));
    assert_false(samsa_mirror_checkpoint_decode(key, kl, val, vl, group, 3,
                                                topic, sizeof(topic),
                                                &partition, &up, &down));
    /* The remote topic leads back to its source topic. */
    samsa_mirror_policy_t p;
    char err[128];
    assert_int_equal(samsa_mirror_policy_init(&p, "DefaultReplicationPolicy",
                                              "east", "west", ".", err,
                                              sizeof(err)),
                     0);
    assert_true(
        samsa_mirror_upstream_topic(&p, "east.orders", topic, sizeof(topic)));
    assert_string_equal(topic, "orders");
    assert_false(
        samsa_mirror_upstream_topic(&p, "north.orders", topic, sizeof(topic)));
    /* Seeded from the topic: the same checkpoint is not written again. */
    samsa_mirror_store_t st = {0};
    samsa_mirror_entry_t *e = samsa_mirror_store_get(&st, "orders", 3);
    samsa_mirror_checkpoint_seed(e, "app", 7, 12);
    assert_false(samsa_mirror_checkpoint_new(e, "app", 7, 12));
    assert_true(samsa_mirror_checkpoint_new(e, "app", 8, 13));
    samsa_mirror_store_free(&st);
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
        cmocka_unit_test(stored_syncs_rebuild_the_runs),
        cmocka_unit_test(records_have_mm2s_bytes),
        cmocka_unit_test(policies_name_remote_topics),
        cmocka_unit_test(policies_skip_cycles_and_internal_topics),
        cmocka_unit_test(checkpoints_are_emitted_when_they_move),
        cmocka_unit_test(checkpoints_read_back),
        cmocka_unit_test(filters_match_whole_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
