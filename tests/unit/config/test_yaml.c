/* SPDX-License-Identifier: Apache-2.0 */
/* The YAML tree reader and option-table validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/options.h"
#include "config/yaml.h"

static samsa_ydoc_t *parse_ok(const char *text)
{
    samsa_ydoc_t *doc = NULL;
    char err[256];

    if (samsa_yaml_load_string("t.yaml", text, strlen(text), &doc, err,
                               sizeof(err)) != SAMSA_OK) {
        fail_msg("parse failed: %s", err);
    }
    return doc;
}

static void parse_err(const char *text, const char *want)
{
    samsa_ydoc_t *doc = NULL;
    char err[256] = "";

    assert_int_equal(samsa_yaml_load_string("t.yaml", text, strlen(text), &doc,
                                            err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_null(doc);
    if (strstr(err, want) == NULL) {
        fail_msg("got '%s', want '%s'", err, want);
    }
}

static void nodes_carry_file_line_and_column(void **state)
{
    samsa_ydoc_t *doc = parse_ok("a: 1\n"
                                 "b:\n"
                                 "  - x\n"
                                 "  - 'y'\n"
                                 "c: {d: true}\n");
    const samsa_ynode_t *b, *c;

    (void)state;
    assert_int_equal(doc->root->type, SAMSA_YNODE_MAP);
    assert_int_equal(doc->root->count, 3);
    b = samsa_ynode_get(doc->root, "b");
    assert_int_equal(b->type, SAMSA_YNODE_SEQ);
    assert_int_equal(b->count, 2);
    assert_int_equal(b->items[1]->line, 4);
    assert_int_equal(b->items[1]->column, 5);
    assert_true(b->items[1]->quoted);
    assert_false(b->items[0]->quoted);
    assert_string_equal(b->items[1]->file, "t.yaml");
    c = samsa_ynode_get(doc->root, "c");
    assert_int_equal(c->line, 5);
    assert_string_equal(samsa_ynode_get(c, "d")->value, "true");
    assert_null(samsa_ynode_get(doc->root, "zz"));
    samsa_yaml_free(doc);
}

static void empty_document_has_no_root(void **state)
{
    samsa_ydoc_t *doc = parse_ok("# only a comment\n");

    (void)state;
    assert_null(doc->root);
    samsa_yaml_free(doc);
}

static void duplicate_keys_aliases_and_two_documents_are_rejected(void **s)
{
    (void)s;
    parse_err("a: 1\nb: 2\na: 3\n",
              "t.yaml:3: duplicate key 'a' (first set at line 1)");
    parse_err("a: &x 1\nb: *x\n", "t.yaml:2: aliases (*name) are not "
                                  "supported");
    parse_err("a: 1\n---\nb: 2\n", "t.yaml:2: only one YAML document");
    parse_err("a: [1, 2\n", "t.yaml:");
    parse_err("? [a]\n: 1\n", "mapping keys must be scalars");
}

static void scalar_conversions_follow_yaml(void **state)
{
    samsa_ydoc_t *doc = parse_ok("[true, No, 'true', 42, -0x10, 010, 1.5e3,"
                                 " ~, '', abc]");
    samsa_ynode_t **it = doc->root->items;
    bool b;
    int64_t i;
    double d;

    (void)state;
    assert_true(samsa_ynode_bool(it[0], &b) && b);
    assert_true(samsa_ynode_bool(it[1], &b) && !b);
    assert_false(samsa_ynode_bool(it[2], &b)); /* quoted: a string */
    assert_true(samsa_ynode_int(it[3], &i) && i == 42);
    assert_true(samsa_ynode_int(it[4], &i) && i == -16);
    assert_false(samsa_ynode_int(it[5], &i)); /* no silent octal */
    assert_true(samsa_ynode_double(it[6], &d) && d == 1500.0);
    assert_false(samsa_ynode_int(it[6], &i));
    assert_true(samsa_ynode_is_null(it[7]));
    assert_false(samsa_ynode_is_null(it[8])); /* '' is an empty string */
    assert_false(samsa_ynode_int(it[9], &i));
    samsa_yaml_free(doc);
}

static const samsa_option_t opts[] = {
    SAMSA_OPTION_INT("n", "5", 0, 10, "n"),
    SAMSA_OPTION_LIST("l", "[a, 'b c']", "l"),
    SAMSA_OPTION_LIST("empty", NULL, "e"),
    SAMSA_OPTION_STRING("s", "x: y", "s"),
    SAMSA_OPTION_DOUBLE("d", "3", "d"),
    SAMSA_OPTION_END,
};

static void defaults_apply_when_the_yaml_is_silent(void **state)
{
    samsa_config_t *cfg = NULL;
    char err[256];
    const char *const *items;
    size_t count;
    const char *s;
    int64_t n;
    double d;
    uint32_t line;

    (void)state;
    assert_int_equal(samsa_options_check_table(opts, "t", err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(
        samsa_config_build(opts, NULL, "t", "f", 1, &cfg, err, sizeof(err)),
        SAMSA_OK);
    assert_int_equal(samsa_config_int(cfg, "n", &n), SAMSA_OK);
    assert_int_equal(n, 5);
    assert_int_equal(samsa_config_list(cfg, "l", &items, &count), SAMSA_OK);
    assert_int_equal(count, 2);
    assert_string_equal(items[1], "b c");
    assert_int_equal(samsa_config_list(cfg, "empty", &items, &count), SAMSA_OK);
    assert_int_equal(count, 0);
    assert_int_equal(samsa_config_string(cfg, "s", &s), SAMSA_OK);
    assert_string_equal(s, "x: y"); /* string defaults are literal */
    assert_int_equal(samsa_config_double(cfg, "d", &d), SAMSA_OK);
    assert_true(d == 3.0);
    assert_false(samsa_config_is_set(cfg, "n"));
    assert_null(samsa_config_where(cfg, "n", &line));
    samsa_config_free(cfg);
}

static void values_set_in_yaml_remember_where(void **state)
{
    samsa_ydoc_t *doc = parse_ok("n: 7\nl: []\n");
    samsa_config_t *cfg = NULL;
    char err[256];
    uint32_t line;
    int64_t n;

    (void)state;
    assert_int_equal(samsa_config_build(opts, doc->root, "t", "f", 1, &cfg, err,
                                        sizeof(err)),
                     SAMSA_OK);
    samsa_yaml_free(doc); /* the config keeps its own copies */
    assert_int_equal(samsa_config_int(cfg, "n", &n), SAMSA_OK);
    assert_int_equal(n, 7);
    assert_true(samsa_config_is_set(cfg, "n"));
    assert_string_equal(samsa_config_where(cfg, "n", &line), "t.yaml");
    assert_int_equal(line, 1);
    samsa_config_free(cfg);
}

static void bad_option_tables_are_caught(void **state)
{
    static const samsa_option_t dup[] = {
        SAMSA_OPTION_INT("a", "1", 0, 0, ""),
        SAMSA_OPTION_BOOL("a", "true", ""),
        SAMSA_OPTION_END,
    };
    static const samsa_option_t bad_default[] = {
        SAMSA_OPTION_INT("a", "20", 0, 10, ""),
        SAMSA_OPTION_END,
    };
    char err[256];

    (void)state;
    assert_int_equal(samsa_options_check_table(dup, "p", err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_string_equal(err, "p: option 'a' is declared twice");
    assert_int_equal(
        samsa_options_check_table(bad_default, "p", err, sizeof(err)),
        SAMSA_ERR_CONFIG);
    assert_string_equal(err, "p: option 'a' has default '20', expected an "
                             "int in [0, 10]");
}

static void config_must_be_a_mapping(void **state)
{
    samsa_ydoc_t *doc = parse_ok("[1, 2]\n");
    samsa_config_t *cfg = NULL;
    char err[256];

    (void)state;
    assert_int_equal(samsa_config_build(opts, doc->root, "t", "f", 1, &cfg, err,
                                        sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_string_equal(err, "t.yaml:1: t: config must be a mapping of "
                             "option: value, found a sequence");
    samsa_yaml_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nodes_carry_file_line_and_column),
        cmocka_unit_test(empty_document_has_no_root),
        cmocka_unit_test(duplicate_keys_aliases_and_two_documents_are_rejected),
        cmocka_unit_test(scalar_conversions_follow_yaml),
        cmocka_unit_test(defaults_apply_when_the_yaml_is_silent),
        cmocka_unit_test(values_set_in_yaml_remember_where),
        cmocka_unit_test(bad_option_tables_are_caught),
        cmocka_unit_test(config_must_be_a_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
