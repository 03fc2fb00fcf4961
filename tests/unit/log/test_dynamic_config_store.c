/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dynamic broker config store: values per scope survive a reopen,
 * other brokers' lines are kept, a damaged file is refused with file:line,
 * and a failed write leaves the store as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/dynamic_config_store.h"

typedef struct fixture {
    char dir[256];
    char path[320];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/samsa-dyncfg-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/__samsa_meta/broker_configs",
             f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void write_file(fixture_t *f, const char *text)
{
    char d[300];
    snprintf(d, sizeof(d), "%s/__samsa_meta", f->dir);
    mkdir(d, 0755);
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void scopes_survive_a_reopen_and_other_brokers_are_kept(void **state)
{
    fixture_t *f = *state;
    write_file(f, "broker.7.log.retention.ms=1\n");
    char err[256] = "";
    samsa_dyncfg_t *s;
    assert_int_equal(samsa_dyncfg_open(f->dir, 1, &s, err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_t c = {0};
    assert_int_equal(samsa_tcfg_set(&c, "message.max.bytes", "2000"), SAMSA_OK);
    assert_int_equal(
        samsa_dyncfg_replace(s, SAMSA_DYNCFG_DEFAULT, &c, err, sizeof(err)),
        SAMSA_OK);
    samsa_tcfg_free(&c);
    assert_int_equal(samsa_tcfg_set(&c, "log.retention.ms", "3600000"),
                     SAMSA_OK);
    assert_int_equal(
        samsa_dyncfg_replace(s, SAMSA_DYNCFG_BROKER, &c, err, sizeof(err)),
        SAMSA_OK);
    samsa_tcfg_free(&c);
    samsa_dyncfg_close(s);
    /* No temporary left behind. */
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
    assert_int_not_equal(access(tmp, F_OK), 0);

    assert_int_equal(samsa_dyncfg_open(f->dir, 1, &s, err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_dyncfg_copy(s, SAMSA_DYNCFG_DEFAULT, &c), SAMSA_OK);
    assert_int_equal(c.count, 1);
    assert_string_equal(samsa_tcfg_get(&c, "message.max.bytes"), "2000");
    samsa_tcfg_free(&c);
    assert_int_equal(samsa_dyncfg_copy(s, SAMSA_DYNCFG_BROKER, &c), SAMSA_OK);
    assert_int_equal(c.count, 1);
    assert_string_equal(samsa_tcfg_get(&c, "log.retention.ms"), "3600000");
    samsa_tcfg_free(&c);
    samsa_dyncfg_close(s);

    /* Broker 7's line is still there; broker 7 reads it as its own. */
    assert_int_equal(samsa_dyncfg_open(f->dir, 7, &s, err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_dyncfg_copy(s, SAMSA_DYNCFG_BROKER, &c), SAMSA_OK);
    assert_string_equal(samsa_tcfg_get(&c, "log.retention.ms"), "1");
    samsa_tcfg_free(&c);
    samsa_dyncfg_close(s);
}

static void damaged_file_is_refused_with_file_and_line(void **state)
{
    fixture_t *f = *state;
    write_file(f, "# comment\ndefault.a=1\ngarbage\n");
    char err[512] = "";
    samsa_dyncfg_t *s = NULL;
    assert_int_equal(samsa_dyncfg_open(f->dir, 1, &s, err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_null(s);
    char want[400];
    snprintf(want, sizeof(want), "%s:3:", f->path);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "fix or delete the line"));
}

static void newline_in_a_value_is_refused_and_nothing_changes(void **state)
{
    fixture_t *f = *state;
    char err[256] = "";
    samsa_dyncfg_t *s;
    assert_int_equal(samsa_dyncfg_open(f->dir, 1, &s, err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_t c = {0};
    assert_int_equal(samsa_tcfg_set(&c, "log.retention.ms", "1\ndefault.x=2"),
                     SAMSA_OK);
    assert_int_equal(
        samsa_dyncfg_replace(s, SAMSA_DYNCFG_BROKER, &c, err, sizeof(err)),
        SAMSA_ERR_INVALID_CONFIG);
    samsa_tcfg_free(&c);
    assert_int_equal(samsa_dyncfg_copy(s, SAMSA_DYNCFG_BROKER, &c), SAMSA_OK);
    assert_int_equal(c.count, 0);
    samsa_dyncfg_close(s);
    assert_int_not_equal(access(f->path, F_OK), 0); /* nothing written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            scopes_survive_a_reopen_and_other_brokers_are_kept, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            damaged_file_is_refused_with_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(
            newline_in_a_value_is_refused_and_nothing_changes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
