/* SPDX-License-Identifier: Apache-2.0 */
/* The space-saving hot-key sketch (core/metrics/hotkeys.c). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch_builder.h"
#include "metrics/hotkeys.h"

static void add_key(samsa_hotkeys_t *hk, const char *key)
{
    samsa_hotkeys_add_locked(hk, (const uint8_t *)key, (int32_t)strlen(key), 10,
                             1);
}

static void a_key_above_one_in_k_is_counted_exactly_and_ranked_first(void **s)
{
    (void)s;
    samsa_hotkeys_t hk;
    samsa_hotkeys_init(&hk);
    /* 10 000 records: 25 % "hot", 10 % "warm", the rest all distinct, far
     * more distinct keys than the sketch holds. */
    char key[32];
    for (int i = 0; i < 10000; i++) {
        if (i % 4 == 0) {
            add_key(&hk, "hot");
        } else if (i % 10 == 1) {
            add_key(&hk, "warm");
        } else {
            snprintf(key, sizeof(key), "cold-%d", i);
            add_key(&hk, key);
        }
    }
    samsa_hotkeys_add_locked(&hk, NULL, -1, 5, 1); /* null key: totals only */
    samsa_hotkey_t top[3];
    int64_t total, bytes;
    size_t n = samsa_hotkeys_top(&hk, top, 3, &total, &bytes);
    assert_int_equal(n, 3);
    assert_int_equal(total, 10001);
    assert_int_equal(bytes, 100005);
    assert_memory_equal(top[0].key, "hot", 3);
    assert_int_equal(top[0].key_len, 3);
    /* Never evicted: space-saving counts it exactly. */
    assert_int_equal(top[0].records, 2500);
    assert_int_equal(top[0].error, 0);
    assert_memory_equal(top[1].key, "warm", 4);
    assert_int_equal(top[1].records, 1000);
    /* Any estimate exceeds the truth by at most total / K. */
    assert_true(top[2].error <= total / SAMSA_HOTKEYS_K);
    samsa_hotkeys_destroy(&hk);
}

static void long_keys_keep_their_first_bytes(void **s)
{
    (void)s;
    samsa_hotkeys_t hk;
    samsa_hotkeys_init(&hk);
    char key[200];
    memset(key, 'a', sizeof(key) - 1);
    key[sizeof(key) - 1] = 0;
    add_key(&hk, key);
    add_key(&hk, key);
    samsa_hotkey_t top[1];
    int64_t total, bytes;
    assert_int_equal(samsa_hotkeys_top(&hk, top, 1, &total, &bytes), 1);
    assert_int_equal(top[0].records, 2);
    assert_int_equal(top[0].key_len, 199);
    assert_int_equal(top[0].key[SAMSA_HOTKEY_MAX_BYTES - 1], 'a');
    samsa_hotkeys_destroy(&hk);
}

/* Space-saving's guarantees, on a skewed random stream with far more
 * distinct keys than counters: every key above total / K is present, no
 * count is below the truth and none exceeds it by more than its error.
 * Exercises the heap and the hash index through many evictions. */
static void estimates_bound_the_truth_under_many_evictions(void **s)
{
    (void)s;
    enum { KEYS = 2000, RECORDS = 200000 };
    static int64_t truth[KEYS];
    memset(truth, 0, sizeof(truth));
    samsa_hotkeys_t hk;
    samsa_hotkeys_init(&hk);
    uint64_t x = 88172645463325252ull;
    char key[32];
    for (int i = 0; i < RECORDS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Roughly Zipf: small ids are much more frequent. */
        int id =
            (int)((x % KEYS) * (x % KEYS) / KEYS * ((x >> 32) % KEYS) / KEYS);
        truth[id]++;
        snprintf(key, sizeof(key), "k%d", id);
        add_key(&hk, key);
    }
    samsa_hotkey_t top[SAMSA_HOTKEYS_K];
    int64_t total, bytes;
    size_t n = samsa_hotkeys_top(&hk, top, SAMSA_HOTKEYS_K, &total, &bytes);
    assert_int_equal(n, SAMSA_HOTKEYS_K);
    assert_int_equal(total, RECORDS);
    for (size_t i = 0; i < n; i++) {
        char name[32] = {0};
        memcpy(name, top[i].key, (size_t)top[i].key_len);
        int id = atoi(name + 1);
        assert_true(top[i].records >= truth[id]);
        assert_true(top[i].records - top[i].error <= truth[id]);
        assert_true(top[i].error <= total / SAMSA_HOTKEYS_K);
    }
    for (int id = 0; id < KEYS; id++) {
        if (truth[id] <= total / SAMSA_HOTKEYS_K) {
            continue;
        }
        snprintf(key, sizeof(key), "k%d", id);
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            found |= top[i].key_len == (int32_t)strlen(key) &&
                     memcmp(top[i].key, key, strlen(key)) == 0;
        }
        assert_true(found);
    }
    samsa_hotkeys_destroy(&hk);
}

/* Batches as the produce path feeds them: exact while the sketch is young,
 * then one batch in SAMSA_HOTKEYS_SAMPLE, weighted; the hot key's share
 * stays within a point and the total within a few percent. */
static void sampled_batches_keep_shares(void **s)
{
    (void)s;
    enum { PER_BATCH = 50, BATCHES = 8000 };
    samsa_hotkeys_t hk;
    samsa_hotkeys_init(&hk);
    static uint8_t buf[1 << 16];
    static char keys[PER_BATCH][24];
    tb_rec_t recs[PER_BATCH];
    uint64_t x = 0x2545F4914F6CDD1Dull;
    int64_t hot = 0;
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < PER_BATCH; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (x % 100 < 30) {
                snprintf(keys[i], sizeof(keys[i]), "hot");
                hot++;
            } else {
                snprintf(keys[i], sizeof(keys[i]), "k%d-%d", b, i);
            }
            recs[i] = (tb_rec_t){.key = keys[i], .value = "v", .ts = 1};
        }
        size_t len = tb_build(buf, sizeof(buf), 0, recs, PER_BATCH);
        assert_true(len > 0);
        samsa_hotkeys_add_batches(&hk, buf, len, NULL, NULL);
    }
    samsa_hotkey_t top[1];
    int64_t total, bytes;
    assert_int_equal(samsa_hotkeys_top(&hk, top, 1, &total, &bytes), 1);
    assert_memory_equal(top[0].key, "hot", 3);
    double n = (double)PER_BATCH * BATCHES;
    assert_true(total > n * 0.97 && total < n * 1.03);
    double share = (double)top[0].records / (double)total;
    double truth = (double)hot / n;
    assert_true(share > truth - 0.01 && share < truth + 0.01);
    samsa_hotkeys_destroy(&hk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            a_key_above_one_in_k_is_counted_exactly_and_ranked_first),
        cmocka_unit_test(long_keys_keep_their_first_bytes),
        cmocka_unit_test(estimates_bound_the_truth_under_many_evictions),
        cmocka_unit_test(sampled_batches_keep_shares),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
