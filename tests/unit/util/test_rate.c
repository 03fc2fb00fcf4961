/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kafka's sampled rate (core/util/rate.c), which client quotas and
 * replication throttles measure with: a first burst counts over
 * (num - 1) windows (or min_windows), old samples age out, amounts can be
 * taken back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/rate.h"

/* cmocka's assert_float_equal compares floats: not precise enough. */
#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-6)

static void a_burst_is_spread_over_num_minus_one_windows(void **state)
{
    (void)state;
    samsa_rate_sample_t s[11];
    samsa_rate_t r;
    samsa_rate_init(&r, s, 11, 1000, 5000);
    double span = 0;
    /* 10000 bytes at once: 10000 / 10 s. */
    assert_near(samsa_rate_record(&r, 10000, 5000, &span), 1000.0);
    assert_near(span, 10000.0);
    /* Measuring records nothing; 500 ms later the span is 10.5 s (the
     * elapsed time plus the full windows missing from num - 1). */
    assert_near(samsa_rate_record(&r, 0, 5500, NULL), 10000 / 10.5);
    /* Taken back. */
    assert_near(samsa_rate_record(&r, -10000, 5500, NULL), 0.0);
}

/* Client quotas pad a young span to one window only. */
static void min_windows_sets_the_padding(void **state)
{
    (void)state;
    samsa_rate_sample_t s[11];
    samsa_rate_t r;
    samsa_rate_init(&r, s, 11, 1000, 0);
    r.min_windows = 1;
    double span = 0;
    assert_near(samsa_rate_record(&r, 1000, 0, &span), 1000.0);
    assert_near(span, 1000.0);
    /* 500 ms in: 0.5 s elapsed plus one missing window. */
    assert_near(samsa_rate_record(&r, 0, 500, &span), 1000 / 1.5);
    /* Past one window nothing is padded. */
    assert_near(samsa_rate_record(&r, 0, 2500, &span), 1000 / 2.5);
    assert_near(span, 2500.0);
}

static void old_samples_age_out(void **state)
{
    (void)state;
    samsa_rate_sample_t s[3];
    samsa_rate_t r;
    samsa_rate_init(&r, s, 3, 1000, 0);
    samsa_rate_record(&r, 3000, 0, NULL);
    /* Within the windows: 3000 over 1.5 s plus one missing window. */
    assert_near(samsa_rate_record(&r, 0, 1500, NULL), 1200.0);
    /* num windows later the burst is gone. */
    assert_near(samsa_rate_record(&r, 0, 3000, NULL), 0.0);
    /* A steady 100 bytes every 100 ms measures 1000 bytes/s. */
    double rate = 0;
    for (int64_t t = 3100; t <= 9000; t += 100) {
        rate = samsa_rate_record(&r, 100, t, NULL);
    }
    assert_true(rate > 900.0 && rate < 1100.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_burst_is_spread_over_num_minus_one_windows),
        cmocka_unit_test(min_windows_sets_the_padding),
        cmocka_unit_test(old_samples_age_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
