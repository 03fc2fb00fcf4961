/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/unit/testkit/test_testkit.c - the connector test kit through its
 * public header and libsamsa-testkit.so: what it refuses, how a failing
 * task is reported, that sinks see records after the worker's converters
 * and transforms, and the JSON lines round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "samsa_testkit.h"

static char errbuf[2048];

static const char *lines_so(void)
{
    const char *so = getenv("SAMSA_TEST_LINES_SO");
    assert_non_null(so);
    return so;
}

static samsa_testkit_t *open_lines(void)
{
    samsa_testkit_t *kit = NULL;
    samsa_testkit_opts_t opts = {.plugin_path = lines_so()};
    samsa_err_t err = samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf));
    if (err != SAMSA_OK) {
        fail_msg("open: %s", errbuf);
    }
    return kit;
}

static void open_refuses_a_plugin_that_is_no_connector(void **state)
{
    (void)state;
    char so[4096];
    snprintf(so, sizeof(so), "%s/partitioner-hash.so",
             getenv("SAMSA_PLUGIN_DIR"));
    samsa_testkit_opts_t opts = {.plugin_path = so};
    samsa_testkit_t *kit = NULL;
    errbuf[0] = '\0';
    assert_int_equal(samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf)),
                     SAMSA_ERR_CONFIG);
    assert_null(kit);
    assert_non_null(strstr(errbuf, "not a source or sink connector"));

    opts.plugin_path = "/nonexistent/sink-x.so";
    assert_int_equal(samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf)),
                     SAMSA_ERR_NOT_FOUND);
    assert_non_null(strstr(errbuf, "/nonexistent/sink-x.so"));
}

static void start_refuses_an_unknown_connector_class(void **state)
{
    (void)state;
    samsa_testkit_t *kit = open_lines();
    samsa_connect_kv_t cfg[] = {{"connector.class", "NoSuchConnector"},
                                {"topics", "t"}};
    errbuf[0] = '\0';
    assert_int_equal(samsa_testkit_start(kit, cfg, 2, errbuf, sizeof(errbuf)),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "NoSuchConnector"));
    samsa_testkit_close(kit);
}

/* sink-lines cannot open its file: the task fails, and the wait says so
 * with the task's trace instead of running into its timeout. */
static void a_failed_task_ends_the_wait_with_its_trace(void **state)
{
    (void)state;
    samsa_testkit_t *kit = open_lines();
    samsa_connect_kv_t cfg[] = {{"topics", "t"},
                                {"file", "/nonexistent/dir/out.txt"}};
    assert_int_equal(samsa_testkit_start(kit, cfg, 2, errbuf, sizeof(errbuf)),
                     SAMSA_OK);
    samsa_testkit_record_t r = {
        .partition = -1, .timestamp = -1, .value = "\"x\"", .value_len = 3};
    assert_int_equal(samsa_testkit_feed(kit, &r, 1, errbuf, sizeof(errbuf)),
                     SAMSA_OK);
    errbuf[0] = '\0';
    assert_int_equal(
        samsa_testkit_wait_sink(kit, 20000, errbuf, sizeof(errbuf)),
        SAMSA_ERR_IO);
    assert_non_null(strstr(errbuf, "cannot open /nonexistent/dir/out.txt"));
    samsa_testkit_close(kit);
}

/* put() is given what the worker made of the record: JSON through the
 * JsonConverter and an InsertField transform. */
static void a_sink_sees_records_after_converters_and_transforms(void **state)
{
    (void)state;
    samsa_testkit_t *kit = open_lines();
    char file[] = "/tmp/test-testkit.XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    close(fd);
    samsa_connect_kv_t cfg[] = {
        {"topics", "t"},
        {"file", file},
        {"key.converter", "org.apache.kafka.connect.storage.StringConverter"},
        {"value.converter", "org.apache.kafka.connect.json.JsonConverter"},
        {"value.converter.schemas.enable", "false"},
        {"transforms", "add"},
        {"transforms.add.type",
         "org.apache.kafka.connect.transforms.InsertField$Value"},
        {"transforms.add.static.field", "src"},
        {"transforms.add.static.value", "kit"},
    };
    assert_int_equal(samsa_testkit_start(kit, cfg, 9, errbuf, sizeof(errbuf)),
                     SAMSA_OK);
    samsa_testkit_header_t h = {.key = "h", .value = "1", .value_len = 1};
    samsa_testkit_record_t r = {.partition = -1,
                                .timestamp = 1700000000000,
                                .key = "k",
                                .key_len = 1,
                                .value = "{\"a\":1}",
                                .value_len = 7,
                                .headers = &h,
                                .header_count = 1};
    assert_int_equal(samsa_testkit_feed(kit, &r, 1, errbuf, sizeof(errbuf)),
                     SAMSA_OK);
    if (samsa_testkit_wait_sink(kit, 20000, errbuf, sizeof(errbuf)) !=
        SAMSA_OK) {
        fail_msg("wait: %s", errbuf);
    }
    const samsa_testkit_record_t *const *got = NULL;
    size_t n = 0;
    samsa_testkit_records(kit, &got, &n);
    assert_int_equal(n, 1);
    assert_string_equal(got[0]->topic, "t");
    assert_int_equal(got[0]->timestamp, 1700000000000);
    assert_string_equal((const char *)got[0]->value,
                        "{\"a\":1,\"src\":\"kit\"}");
    assert_int_equal(got[0]->header_count, 1);
    assert_string_equal(got[0]->headers[0].key, "h");
    samsa_testkit_close(kit);
    unlink(file);
}

static samsa_testkit_t *open_sequence(const char *max, int32_t partitions)
{
    const char *so = getenv("SAMSA_TEST_SEQUENCE_SO");
    assert_non_null(so);
    samsa_connect_kv_t options[] = {{"topic", "numbers"},
                                    {"records_per_poll", "10"},
                                    {"interval_ms", "0"},
                                    {"max_records", max}};
    samsa_testkit_opts_t opts = {.plugin_path = so,
                                 .plugin_options = options,
                                 .plugin_option_count = 4,
                                 .partitions = partitions};
    samsa_testkit_t *kit = NULL;
    if (samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf)) != SAMSA_OK) {
        fail_msg("open: %s", errbuf);
    }
    samsa_connect_kv_t cfg[] = {
        {"key.converter", "org.apache.kafka.connect.storage.StringConverter"},
        {"value.converter", "org.apache.kafka.connect.storage.StringConverter"},
    };
    if (samsa_testkit_start(kit, cfg, 2, errbuf, sizeof(errbuf)) != SAMSA_OK) {
        fail_msg("start: %s", errbuf);
    }
    return kit;
}

/* Two kits in one process, each its own broker; a source's records over
 * three partitions (the hash partitioner spreads the keys) are reported
 * by partition and offset. */
static void two_kits_side_by_side_and_partitions_in_order(void **state)
{
    (void)state;
    samsa_testkit_t *a = open_sequence("30", 3);
    samsa_testkit_t *b = open_sequence("5", 1);
    if (samsa_testkit_wait_source(a, 30, 20000, errbuf, sizeof(errbuf)) !=
            SAMSA_OK ||
        samsa_testkit_wait_source(b, 5, 20000, errbuf, sizeof(errbuf)) !=
            SAMSA_OK) {
        fail_msg("wait: %s", errbuf);
    }
    const samsa_testkit_record_t *const *got = NULL;
    size_t n = 0;
    samsa_testkit_records(b, &got, &n);
    assert_int_equal(n, 5);
    samsa_testkit_records(a, &got, &n);
    assert_int_equal(n, 30);
    int used[3] = {0};
    for (size_t i = 0; i < n; i++) {
        assert_true(got[i]->partition >= 0 && got[i]->partition < 3);
        used[got[i]->partition] = 1;
        if (i > 0) {
            assert_true(got[i - 1]->partition < got[i]->partition ||
                        (got[i - 1]->partition == got[i]->partition &&
                         got[i - 1]->offset + 1 == got[i]->offset));
        }
    }
    assert_int_equal(used[0] + used[1] + used[2], 3);
    samsa_testkit_close(b);
    samsa_testkit_close(a);
}

/* write_json() and read_records() agree, bytes that are not UTF-8
 * included (as {"base64": ...}). */
static void json_lines_round_trip(void **state)
{
    (void)state;
    samsa_testkit_t *kit = open_lines();
    const unsigned char bin[] = {0xff, 0x00, 0x80, 'a'};
    samsa_testkit_header_t h = {.key = "bin", .value = bin, .value_len = 4};
    samsa_testkit_record_t r = {.topic = "t",
                                .partition = 2,
                                .offset = 7,
                                .timestamp = 5,
                                .key = NULL,
                                .value = bin,
                                .value_len = 4,
                                .headers = &h,
                                .header_count = 1};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(samsa_testkit_write_json(f, &r), 0);
    fprintf(f, "{\"value\":\"plain\"}\n");
    fclose(f);
    assert_non_null(strstr(text, "\"value\":{\"base64\":\"/wCAYQ==\"}"));
    assert_non_null(strstr(text, "\"key\":null"));

    f = fmemopen(text, len, "r");
    const samsa_testkit_record_t *in = NULL;
    size_t n = 0;
    assert_int_equal(
        samsa_testkit_read_records(kit, f, 0, &in, &n, errbuf, sizeof(errbuf)),
        SAMSA_OK);
    fclose(f);
    assert_int_equal(n, 2);
    assert_string_equal(in[0].topic, "t");
    assert_int_equal(in[0].partition, 2);
    assert_null(in[0].key);
    assert_int_equal(in[0].value_len, 4);
    assert_memory_equal(in[0].value, bin, 4);
    assert_int_equal(in[0].header_count, 1);
    assert_memory_equal(in[0].headers[0].value, bin, 4);
    assert_null(in[1].topic);
    assert_int_equal(in[1].partition, -1);
    assert_string_equal((const char *)in[1].value, "plain");

    f = fmemopen("{\"value\": 3}\n", 13, "r");
    assert_int_equal(
        samsa_testkit_read_records(kit, f, 0, &in, &n, errbuf, sizeof(errbuf)),
        SAMSA_ERR_INVAL);
    fclose(f);
    assert_non_null(strstr(errbuf, "line 1"));
    free(text);
    samsa_testkit_close(kit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_refuses_a_plugin_that_is_no_connector),
        cmocka_unit_test(start_refuses_an_unknown_connector_class),
        cmocka_unit_test(a_failed_task_ends_the_wait_with_its_trace),
        cmocka_unit_test(a_sink_sees_records_after_converters_and_transforms),
        cmocka_unit_test(two_kits_side_by_side_and_partitions_in_order),
        cmocka_unit_test(json_lines_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
