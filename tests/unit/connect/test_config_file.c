/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/unit/connect/test_config_file.c - samsa_connect_config_load(): a
 * connector config from a Kafka .properties file, a REST create body or
 * a bare JSON config, and the errors for the files it cannot use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect/config_file.h"

static char path[64];

static const char *write_tmp(const char *suffix, const char *text)
{
    snprintf(path, sizeof(path), "/tmp/test-config-file.XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char *get(json_t *cfg, const char *key)
{
    return json_string_value(json_object_get(cfg, key));
}

static void properties_as_kafka_ships_them(void **state)
{
    (void)state;
    char errbuf[256];
    json_t *cfg = NULL;
    write_tmp(".properties", "# Kafka's connect-file-source.properties\n"
                             "name=local-file-source\n"
                             "connector.class = FileStreamSource\n"
                             "! another comment\n"
                             "tasks.max: 1\n"
                             "file=/tmp/a=b\n");
    assert_int_equal(
        samsa_connect_config_load(path, &cfg, errbuf, sizeof(errbuf)),
        SAMSA_OK);
    assert_string_equal(get(cfg, "name"), "local-file-source");
    assert_string_equal(get(cfg, "connector.class"), "FileStreamSource");
    assert_string_equal(get(cfg, "tasks.max"), "1");
    assert_string_equal(get(cfg, "file"), "/tmp/a=b");
    assert_int_equal(json_object_size(cfg), 4);
    json_decref(cfg);
    unlink(path);
}

static void json_create_body_and_bare_config(void **state)
{
    (void)state;
    char errbuf[256];
    json_t *cfg = NULL;
    write_tmp(".json", "{\"name\": \"s\", \"config\": {\"tasks.max\": 2, "
                       "\"errors.log.enable\": true, \"topics\": \"t\"}}");
    assert_int_equal(
        samsa_connect_config_load(path, &cfg, errbuf, sizeof(errbuf)),
        SAMSA_OK);
    /* The body's name joins the config; numbers and booleans become
     * strings, as Kafka Connect reads them. */
    assert_string_equal(get(cfg, "name"), "s");
    assert_string_equal(get(cfg, "tasks.max"), "2");
    assert_string_equal(get(cfg, "errors.log.enable"), "true");
    json_decref(cfg);
    unlink(path);

    write_tmp(".json", "{\"topics\": \"t\"}");
    assert_int_equal(
        samsa_connect_config_load(path, &cfg, errbuf, sizeof(errbuf)),
        SAMSA_OK);
    assert_string_equal(get(cfg, "topics"), "t");
    assert_null(json_object_get(cfg, "name"));
    json_decref(cfg);
    unlink(path);
}

static void files_it_cannot_use_are_named_with_the_reason(void **state)
{
    (void)state;
    char errbuf[256];
    json_t *cfg = NULL;
    write_tmp(".json", "{\"topics\": \"t\",\n  oops}");
    assert_int_equal(
        samsa_connect_config_load(path, &cfg, errbuf, sizeof(errbuf)),
        SAMSA_ERR_CONFIG);
    assert_non_null(strstr(errbuf, path));
    assert_non_null(strstr(errbuf, ":2:"));
    assert_null(cfg);
    unlink(path);

    write_tmp(".json", "{\"topics\": [\"a\", \"b\"]}");
    assert_int_equal(
        samsa_connect_config_load(path, &cfg, errbuf, sizeof(errbuf)),
        SAMSA_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "\"topics\""));
    unlink(path);

    assert_int_equal(samsa_connect_config_load("/nonexistent/c.properties",
                                               &cfg, errbuf, sizeof(errbuf)),
                     SAMSA_ERR_IO);
    assert_non_null(strstr(errbuf, "/nonexistent/c.properties"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(properties_as_kafka_ships_them),
        cmocka_unit_test(json_create_body_and_bare_config),
        cmocka_unit_test(files_it_cannot_use_are_named_with_the_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
