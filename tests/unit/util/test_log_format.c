/* SPDX-License-Identifier: Apache-2.0 */
/* The three log line formats (core/util/log.c): text, journald, json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/log.h"

/* Log one line in @p fmt and return what was written. */
static char *capture(samsa_log_format_t fmt, samsa_log_level_t lvl,
                     const char *msg)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    samsa_log_set_fd(fds[1]);
    samsa_log_set_format(fmt);
    samsa_log_set_level(SAMSA_LOG_DEBUG);
    samsa_log(lvl, "%s", msg);
    samsa_log_set_fd(-1);
    samsa_log_set_format(SAMSA_LOG_TEXT);
    close(fds[1]);
    char *buf = calloc(1, 8192);
    ssize_t n = read(fds[0], buf, 8191);
    assert_true(n > 0);
    close(fds[0]);
    return buf;
}

static void journald_lines_carry_the_syslog_priority(void **state)
{
    (void)state;
    char *s = capture(SAMSA_LOG_JOURNALD, SAMSA_LOG_WARN, "disk slow");
    assert_string_equal(s, "<4>disk slow\n");
    free(s);
    s = capture(SAMSA_LOG_JOURNALD, SAMSA_LOG_ERROR, "boom");
    assert_string_equal(s, "<3>boom\n");
    free(s);
    s = capture(SAMSA_LOG_JOURNALD, SAMSA_LOG_INFO, "hi");
    assert_string_equal(s, "<6>hi\n");
    free(s);
}

static void json_lines_are_one_object_with_escaped_message(void **state)
{
    (void)state;
    char *s = capture(SAMSA_LOG_JSON, SAMSA_LOG_INFO, "say \"hi\"\tnow");
    size_t n = strlen(s);
    assert_true(n > 1 && s[n - 1] == '\n');
    assert_ptr_equal(strchr(s, '\n'), s + n - 1);
    json_error_t e;
    json_t *o = json_loads(s, 0, &e);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(o, "msg")),
                        "say \"hi\"\tnow");
    const char *ts = json_string_value(json_object_get(o, "ts"));
    assert_non_null(ts);
    assert_int_equal(strlen(ts), strlen("2026-11-25T14:00:00.123Z"));
    json_decref(o);
    free(s);
}

static void text_lines_keep_time_and_level(void **state)
{
    (void)state;
    char *s = capture(SAMSA_LOG_TEXT, SAMSA_LOG_ERROR, "x");
    assert_non_null(strstr(s, "Z ERROR x\n"));
    free(s);
}

static void format_names_parse(void **state)
{
    (void)state;
    samsa_log_format_t f;
    assert_true(samsa_log_format_parse("json", &f));
    assert_int_equal(f, SAMSA_LOG_JSON);
    assert_true(samsa_log_format_parse("journald", &f));
    assert_int_equal(f, SAMSA_LOG_JOURNALD);
    setenv("JOURNAL_STREAM", "8:1234", 1);
    assert_true(samsa_log_format_parse("auto", &f));
    assert_int_equal(f, SAMSA_LOG_JOURNALD);
    unsetenv("JOURNAL_STREAM");
    assert_true(samsa_log_format_parse("auto", &f));
    assert_int_equal(f, SAMSA_LOG_TEXT);
    assert_false(samsa_log_format_parse("xml", &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(journald_lines_carry_the_syslog_priority),
        cmocka_unit_test(json_lines_are_one_object_with_escaped_message),
        cmocka_unit_test(text_lines_keep_time_and_level),
        cmocka_unit_test(format_names_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
