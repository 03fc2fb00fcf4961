/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/util/test_log_limit.c - client-triggered log lines are
 * rate-limited, with a count of what was suppressed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log_limit.h"

static char *read_all(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *buf = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fseek(f, 0, SEEK_END);
    return buf;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void test_a_flood_is_cut_to_the_burst_then_counted(void **s)
{
    (void)s;
    FILE *f = tmpfile();
    assert_non_null(f);
    samsa_log_set_fd(fileno(f));
    samsa_log_limit_t lim = SAMSA_LOG_LIMIT_INIT(3, 1000);
    for (int i = 0; i < 1000; i++) {
        samsa_log_limited(&lim, SAMSA_LOG_WARN, "bad request %d", i);
    }
    char *text = read_all(f);
    assert_int_equal(count(text, "bad request"), 3);
    assert_non_null(strstr(text, "bad request 2\n"));
    assert_null(strstr(text, "suppressed"));
    free(text);
    /* The window is over: the next line is written, with the count. */
    usleep(1100 * 1000);
    samsa_log_limited(&lim, SAMSA_LOG_WARN, "bad request %d", 1000);
    text = read_all(f);
    assert_int_equal(count(text, "bad request"), 4);
    assert_non_null(strstr(text, "bad request 1000 (997 more like it "
                                 "suppressed since the last one)"));
    free(text);
    samsa_log_set_fd(-1);
    fclose(f);
}

static void test_lines_below_the_level_are_not_counted(void **s)
{
    (void)s;
    FILE *f = tmpfile();
    samsa_log_set_fd(fileno(f));
    samsa_log_set_level(SAMSA_LOG_WARN);
    samsa_log_limit_t lim = SAMSA_LOG_LIMIT_INIT(1, 60000);
    samsa_log_limited(&lim, SAMSA_LOG_DEBUG, "quiet");
    samsa_log_limited(&lim, SAMSA_LOG_WARN, "loud");
    char *text = read_all(f);
    assert_null(strstr(text, "quiet"));
    assert_non_null(strstr(text, "loud"));
    assert_null(strstr(text, "suppressed"));
    free(text);
    samsa_log_set_level(SAMSA_LOG_INFO);
    samsa_log_set_fd(-1);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_flood_is_cut_to_the_burst_then_counted),
        cmocka_unit_test(test_lines_below_the_level_are_not_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
