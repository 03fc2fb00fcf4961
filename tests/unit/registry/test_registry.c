/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry tests: real fixture .so files (tests/plugins) loaded through
 * manifests written to a fresh temp conf dir. Every failure case checks the
 * exact error text, including manifest file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/metrics.h"
#include "registry/registry.h"

typedef struct fixture {
    char dir[256];
    char errbuf[1024];
    samsa_registry_t *reg;
} fixture_t;

static const char *fixture_dir(void)
{
    const char *d = getenv("SAMSA_TEST_FIXTURE_DIR");
    return d ? d : "tests/plugins";
}

static void write_file(fixture_t *f, const char *name, const char *text)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/samsa-reg-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[300];

    samsa_registry_shutdown(f->reg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) {
        return -1;
    }
    free(f);
    return 0;
}

static samsa_err_t load(fixture_t *f, bool keep_going)
{
    samsa_registry_opts_t opts = {
        .conf_dir = f->dir,
        .plugin_dir = fixture_dir(),
        .data_dir = f->dir,
        .keep_going = keep_going,
    };
    return samsa_registry_load(&opts, &f->reg, f->errbuf, sizeof(f->errbuf));
}

/* Load a one-file conf dir and expect failure with @p want in errbuf,
 * prefixed by "<dir>/m.yaml:<line>: ". */
static void expect_error(fixture_t *f, const char *yaml, samsa_err_t want_rc,
                         unsigned line, const char *want)
{
    char prefix[400];

    write_file(f, "m.yaml", yaml);
    assert_int_equal(load(f, false), want_rc);
    assert_null(f->reg);
    snprintf(prefix, sizeof(prefix), "%s/m.yaml:%u: ", f->dir, line);
    if (strncmp(f->errbuf, prefix, strlen(prefix)) != 0 ||
        strstr(f->errbuf, want) == NULL) {
        fail_msg("got:  %s\nwant: %s...%s", f->errbuf, prefix, want);
    }
}

static void load_ok(fixture_t *f, const char *yaml)
{
    write_file(f, "m.yaml", yaml);
    if (load(f, false) != SAMSA_OK) {
        fail_msg("load failed: %s", f->errbuf);
    }
    if (samsa_registry_init(f->reg, f->errbuf, sizeof(f->errbuf)) != SAMSA_OK) {
        fail_msg("init failed: %s", f->errbuf);
    }
}

static char *read_all(const char *path)
{
    static char buf[4096];
    FILE *fp = fopen(path, "r");
    size_t n = 0;

    buf[0] = '\0';
    if (fp != NULL) {
        n = fread(buf, 1, sizeof(buf) - 1, fp);
        fclose(fp);
    }
    buf[n] = '\0';
    return buf;
}

/* ---------------------------------------------------------------------- */

static void good_plugin_loads_with_every_option_type(void **state)
{
    fixture_t *f = *state;
    const samsa_registry_entry_t *e;
    const samsa_services_t *svc = samsa_services();
    const char *const *tags;
    size_t ntags;
    int64_t count;
    double ratio;
    bool flag;
    const char *label;

    load_ok(f, "plugins:\n"
               "  - name: p1\n"
               "    plugin: fixture-good\n"
               "    config:\n"
               "      flag: yes\n"
               "      count: 42\n"
               "      ratio: 2.5\n"
               "      tags: [x, y, z]\n"
               "      mode: fast\n");
    e = samsa_registry_find(f->reg, SAMSA_KIND_PARTITIONER, "p1");
    assert_non_null(e);
    assert_true(e->inited);
    assert_string_equal(e->desc.name, "fixture-good");
    assert_string_equal(e->desc.version, "1.2.3");
    assert_int_equal(e->line, 2);
    assert_int_equal(svc->config_bool(e->config, "flag", &flag), SAMSA_OK);
    assert_true(flag);
    assert_int_equal(svc->config_int(e->config, "count", &count), SAMSA_OK);
    assert_int_equal(count, 42);
    assert_int_equal(svc->config_double(e->config, "ratio", &ratio), SAMSA_OK);
    assert_true(ratio == 2.5);
    assert_int_equal(svc->config_string(e->config, "label", &label), SAMSA_OK);
    assert_string_equal(label, "hello"); /* default */
    assert_int_equal(svc->config_list(e->config, "tags", &tags, &ntags),
                     SAMSA_OK);
    assert_int_equal(ntags, 3);
    assert_string_equal(tags[2], "z");
    assert_int_equal(svc->config_int(e->config, "label", &count),
                     SAMSA_ERR_INVAL);
    assert_int_equal(svc->config_int(e->config, "nope", &count),
                     SAMSA_ERR_NOT_FOUND);

    /* The ops work and the plugin's metric is registered per instance. */
    samsa_partition_input_t in = {.key_len = 3, .partition_count = 4};
    int32_t part = -1;
    const samsa_partitioner_ops_t *ops = samsa_entry_partitioner_ops(e);
    assert_int_equal(ops->partition(e->state, &in, &part), SAMSA_OK);
    assert_int_equal(part, (3 + 42) % 4);
    assert_int_equal(samsa_metric_get(samsa_metric_find("p1.partition_calls")),
                     1);
    assert_null(samsa_registry_find(f->reg, SAMSA_KIND_CODEC, "p1"));
}

static void init_in_order_and_fini_in_reverse(void **state)
{
    fixture_t *f = *state;
    char yaml[1024], trace[300];

    snprintf(trace, sizeof(trace), "%s/trace.txt", f->dir);
    snprintf(yaml, sizeof(yaml),
             "plugins:\n"
             "  - {name: first, plugin: fixture-good,"
             " config: {mode: m, trace_file: '%s'}}\n"
             "  - {name: second, plugin: fixture-good,"
             " config: {mode: m, trace_file: '%s'}}\n",
             trace, trace);
    load_ok(f, yaml);
    samsa_registry_shutdown(f->reg);
    f->reg = NULL;
    assert_string_equal(read_all(trace),
                        "init first\ninit second\nfini second\nfini first\n");
}

static void failed_init_finis_earlier_instances_in_reverse(void **state)
{
    fixture_t *f = *state;
    char yaml[1024], trace[300], want[600];

    snprintf(trace, sizeof(trace), "%s/trace.txt", f->dir);
    snprintf(yaml, sizeof(yaml),
             "plugins:\n"
             "  - {name: a, plugin: fixture-good,"
             " config: {mode: m, trace_file: '%s'}}\n"
             "  - {name: b, plugin: fixture-good,"
             " config: {mode: m, trace_file: '%s'}}\n"
             "  - name: c\n"
             "    plugin: fixture-good\n"
             "    config: {mode: m, fail_init: true}\n",
             trace, trace);
    write_file(f, "m.yaml", yaml);
    assert_int_equal(load(f, false), SAMSA_OK);
    assert_int_equal(samsa_registry_init(f->reg, f->errbuf, sizeof(f->errbuf)),
                     SAMSA_ERR_CONFIG);
    snprintf(want, sizeof(want),
             "%s/m.yaml:4: instance 'c' (plugin fixture-good): init failed: "
             "fail_init is set (CONFIG)",
             f->dir);
    assert_string_equal(f->errbuf, want);
    assert_string_equal(read_all(trace), "init a\ninit b\nfini b\nfini a\n");
    for (size_t i = 0; i < samsa_registry_count(f->reg); i++) {
        assert_false(samsa_registry_at(f->reg, i)->inited);
    }
}

static void newer_minor_with_bigger_structs_is_accepted(void **state)
{
    fixture_t *f = *state;
    const samsa_registry_entry_t *e;

    load_ok(f, "plugins:\n  - name: n\n    plugin: fixture-newer-minor\n");
    e = samsa_registry_find(f->reg, SAMSA_KIND_PARTITIONER, "n");
    assert_non_null(e);
    assert_int_equal(e->plugin_abi_minor, SAMSA_ABI_MINOR + 1);
    assert_string_equal(e->desc.name, "fixture-newer-minor");
    assert_non_null(samsa_entry_partitioner_ops(e)->partition);
    assert_null(samsa_entry_partitioner_ops(e)->batch_done);
}

static void wrong_major_is_refused_naming_both_abis(void **state)
{
    fixture_t *f = *state;
    char want[600];

    snprintf(want, sizeof(want),
             "instance 'w' (plugin fixture-wrong-major): "
             "%s/fixture-wrong-major.so was built for plugin ABI 99.0, but "
             "this samsad provides ABI %d.%d (accepts 1.x); rebuild the "
             "plugin against the installed Samsa SDK",
             fixture_dir(), SAMSA_ABI_MAJOR, SAMSA_ABI_MINOR);
    expect_error(f,
                 "# comment\nplugins:\n  - name: w\n"
                 "    plugin: fixture-wrong-major\n",
                 SAMSA_ERR_ABI, 3, want);
}

static void missing_entry_symbol_is_an_error(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: x\n    plugin: fixture-no-entry\n",
                 SAMSA_ERR_ABI, 2,
                 "fixture-no-entry.so does not export the entry point "
                 "samsa_plugin_descriptor(); declare it with "
                 "SAMSA_PLUGIN_DECLARE(descriptor)");
}

static void missing_mandatory_op_is_named(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: x\n    plugin: fixture-missing-op\n",
                 SAMSA_ERR_ABI, 2,
                 "fixture-missing-op.so: missing mandatory op 'partition' in "
                 "samsa_partitioner_ops_t");
}

static void small_descriptor_is_refused(void **state)
{
    expect_error(
        *state, "plugins:\n  - name: x\n    plugin: fixture-small-descriptor\n",
        SAMSA_ERR_ABI, 2,
        "descriptor struct_size 16 is smaller than the 72 bytes of "
        "samsa_plugin_t in ABI 1.0");
}

static void unknown_kind_is_refused(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: x\n    plugin: fixture-bad-kind\n",
                 SAMSA_ERR_ABI, 2, "declares unknown plugin kind 42");
}

static void option_table_with_unknown_type_is_refused(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: x\n    plugin: fixture-bad-option-type\n",
                 SAMSA_ERR_ABI, 2,
                 "option 'weird' has unknown type 42 (expected 1..5: bool, "
                 "int, double, string, list)");
}

static void missing_plugin_file_is_an_error(void **state)
{
    char want[600];

    snprintf(want, sizeof(want),
             "instance 'x' (plugin nope): plugin file %s/nope.so not found "
             "(plugin_dir is %s)",
             fixture_dir(), fixture_dir());
    expect_error(*state, "plugins:\n  - name: x\n    plugin: nope\n",
                 SAMSA_ERR_CONFIG, 2, want);
}

static void unknown_option_lists_allowed_ones(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: a\n    plugin: fixture-good\n"
                 "    config:\n      mode: m\n      bogus: 1\n",
                 SAMSA_ERR_CONFIG, 6,
                 "instance 'a' (plugin fixture-good): unknown option 'bogus'; "
                 "allowed: flag, count, ratio, label, tags, mode, trace_file, "
                 "fail_init");
}

static void wrong_option_type_says_what_was_expected(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: a\n    plugin: fixture-good\n"
                 "    config:\n      mode: m\n      count: abc\n",
                 SAMSA_ERR_CONFIG, 6,
                 "option 'count' expects an int in [1, 100], got 'abc'");
}

static void bool_option_rejects_a_quoted_string(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: a\n    plugin: fixture-good\n"
                 "    config:\n      mode: m\n      flag: \"true\"\n",
                 SAMSA_ERR_CONFIG, 6,
                 "option 'flag' expects a bool (true/false), got 'true'");
}

static void option_out_of_bounds_is_an_error(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: a\n    plugin: fixture-good\n"
                 "    config:\n      mode: m\n      count: 1000\n",
                 SAMSA_ERR_CONFIG, 6,
                 "option 'count' expects an int in [1, 100], got '1000'");
}

static void missing_required_option_is_an_error(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: a\n    plugin: fixture-good\n"
                 "    config:\n      count: 5\n",
                 SAMSA_ERR_CONFIG, 5,
                 "instance 'a' (plugin fixture-good): required option 'mode' "
                 "(string) is not set");
}

static void missing_required_option_without_config_points_at_entry(void **state)
{
    expect_error(*state, "plugins:\n\n  - name: a\n    plugin: fixture-good\n",
                 SAMSA_ERR_CONFIG, 3, "required option 'mode'");
}

static void duplicate_yaml_key_is_an_error(void **state)
{
    expect_error(*state,
                 "plugins:\n  - name: a\n    plugin: fixture-good\n"
                 "    config:\n      mode: m\n      mode: n\n",
                 SAMSA_ERR_CONFIG, 6,
                 "duplicate key 'mode' (first set at line 5)");
}

static void unknown_entry_key_lists_allowed_ones(void **state)
{
    expect_error(*state, "plugins:\n  - name: a\n    plugn: fixture-good\n",
                 SAMSA_ERR_CONFIG, 3,
                 "unknown key 'plugn' in plugin entry; allowed: name, plugin, "
                 "enabled, config");
}

static void unknown_top_level_key_is_an_error(void **state)
{
    expect_error(*state, "plugin:\n  - name: a\n", SAMSA_ERR_CONFIG, 1,
                 "unknown key 'plugin' in manifest; allowed: plugins");
}

static void yaml_syntax_error_has_a_line(void **state)
{
    expect_error(*state, "plugins:\n  - name: a\n   bad: [\n", SAMSA_ERR_CONFIG,
                 3, "YAML syntax error");
}

static void duplicate_instance_names_across_files_are_an_error(void **state)
{
    fixture_t *f = *state;
    char want[600];

    write_file(f, "10-a.yaml",
               "plugins:\n  - {name: a, plugin: fixture-good,"
               " config: {mode: m}}\n");
    write_file(f, "20-b.yaml",
               "plugins:\n  - name: z\n    plugin: fixture-codec\n"
               "  - name: a\n    plugin: fixture-codec\n");
    assert_int_equal(load(f, false), SAMSA_ERR_CONFIG);
    snprintf(want, sizeof(want),
             "%s/20-b.yaml:4: duplicate instance name 'a' (first defined at "
             "%s/10-a.yaml:2)",
             f->dir, f->dir);
    assert_string_equal(f->errbuf, want);
}

static void manifests_are_read_in_name_order_skipping_samsa_yaml(void **state)
{
    fixture_t *f = *state;

    write_file(f, "20-codec.yaml",
               "plugins:\n  - {name: c, plugin: fixture-codec}\n");
    write_file(f, "10-good.yaml",
               "plugins:\n  - {name: g, plugin: fixture-good,"
               " config: {mode: m}}\n");
    write_file(f, "samsa.yaml", "listeners: [\"127.0.0.1:1\"]\n");
    write_file(f, "notes.txt", "not a manifest\n");
    write_file(f, "30-empty.yaml", "");
    assert_int_equal(load(f, false), SAMSA_OK);
    assert_int_equal(samsa_registry_count(f->reg), 2);
    assert_string_equal(samsa_registry_at(f->reg, 0)->name, "g");
    assert_string_equal(samsa_registry_at(f->reg, 1)->name, "c");
}

static void disabled_instance_is_not_loaded(void **state)
{
    fixture_t *f = *state;
    const samsa_registry_entry_t *e;

    load_ok(f, "plugins:\n  - name: off\n    plugin: does-not-exist\n"
               "    enabled: false\n");
    e = samsa_registry_at(f->reg, 0);
    assert_non_null(e);
    assert_false(e->enabled);
    assert_false(e->loaded);
    assert_null(samsa_registry_find(f->reg, SAMSA_KIND_PARTITIONER, "off"));
}

static void
codec_is_found_by_kafka_id_and_allocates_through_services(void **state)
{
    fixture_t *f = *state;
    const samsa_registry_entry_t *e;
    const samsa_codec_ops_t *ops;
    const samsa_services_t *svc = samsa_services();
    int64_t allocs0, bytes0, allocs, bytes;
    void *out = NULL;
    size_t out_len = 0;

    load_ok(f, "plugins:\n  - {name: gz, plugin: fixture-codec}\n");
    e = samsa_registry_codec(f->reg, SAMSA_CODEC_GZIP);
    assert_non_null(e);
    assert_string_equal(e->name, "gz");
    assert_null(samsa_registry_codec(f->reg, SAMSA_CODEC_ZSTD));
    assert_null(samsa_registry_default_storage(f->reg));
    ops = samsa_entry_codec_ops(e);
    samsa_services_mem_stats(&allocs0, &bytes0);
    assert_int_equal(ops->compress(e->state, "hello", 5, &out, &out_len),
                     SAMSA_OK);
    samsa_services_mem_stats(&allocs, &bytes);
    assert_int_equal(allocs - allocs0, 1);
    assert_int_equal(bytes - bytes0, 5);
    assert_memory_equal(out, "hello", 5);
    svc->free(out);
    samsa_services_mem_stats(&allocs, &bytes);
    assert_int_equal(allocs, allocs0);
    assert_int_equal(bytes, bytes0);
}

static void two_codecs_with_one_id_are_an_error(void **state)
{
    expect_error(
        *state,
        "plugins:\n  - {name: a, plugin: fixture-codec}\n"
        "  - {name: b, plugin: fixture-codec}\n",
        SAMSA_ERR_CONFIG, 3,
        "instance 'b': codec id 1 is already provided by instance 'a'");
}

static void keep_going_records_errors_per_entry(void **state)
{
    fixture_t *f = *state;
    const samsa_registry_entry_t *bad, *good;

    write_file(f, "m.yaml",
               "plugins:\n  - {name: bad, plugin: fixture-wrong-major}\n"
               "  - {name: good, plugin: fixture-good, config: {mode: m}}\n");
    assert_int_equal(load(f, true), SAMSA_OK);
    bad = samsa_registry_at(f->reg, 0);
    good = samsa_registry_at(f->reg, 1);
    assert_false(bad->loaded);
    assert_non_null(bad->error);
    assert_non_null(strstr(bad->error, "ABI 99.0"));
    assert_true(good->loaded);
    assert_null(good->error);
}

static void missing_conf_dir_is_an_io_error(void **state)
{
    fixture_t *f = *state;
    samsa_registry_opts_t opts = {.conf_dir = "/nonexistent/samsa-conf.d"};

    assert_int_equal(
        samsa_registry_load(&opts, &f->reg, f->errbuf, sizeof(f->errbuf)),
        SAMSA_ERR_IO);
    assert_string_equal(f->errbuf, "/nonexistent/samsa-conf.d: cannot open "
                                   "conf dir: No such file or directory");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(good_plugin_loads_with_every_option_type),
        T(init_in_order_and_fini_in_reverse),
        T(failed_init_finis_earlier_instances_in_reverse),
        T(newer_minor_with_bigger_structs_is_accepted),
        T(wrong_major_is_refused_naming_both_abis),
        T(missing_entry_symbol_is_an_error),
        T(missing_mandatory_op_is_named),
        T(small_descriptor_is_refused),
        T(unknown_kind_is_refused),
        T(option_table_with_unknown_type_is_refused),
        T(missing_plugin_file_is_an_error),
        T(unknown_option_lists_allowed_ones),
        T(wrong_option_type_says_what_was_expected),
        T(bool_option_rejects_a_quoted_string),
        T(option_out_of_bounds_is_an_error),
        T(missing_required_option_is_an_error),
        T(missing_required_option_without_config_points_at_entry),
        T(duplicate_yaml_key_is_an_error),
        T(unknown_entry_key_lists_allowed_ones),
        T(unknown_top_level_key_is_an_error),
        T(yaml_syntax_error_has_a_line),
        T(duplicate_instance_names_across_files_are_an_error),
        T(manifests_are_read_in_name_order_skipping_samsa_yaml),
        T(disabled_instance_is_not_loaded),
        T(codec_is_found_by_kafka_id_and_allocates_through_services),
        T(two_codecs_with_one_id_are_an_error),
        T(keep_going_records_errors_per_entry),
        T(missing_conf_dir_is_an_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
