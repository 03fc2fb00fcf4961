/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/unit/connect/test_transforms_schema.c - the shipped transforms
 * (transforms-basic.so, loaded by the registry) through the worker's
 * chain with schema'd records (ABI minor 7): each output schema and
 * payload is what Kafka Connect's transform gives for the same input, as
 * the JsonConverter writes them (field order, optionality, names; see
 * apache/kafka connect/transforms InsertField, ReplaceField, MaskField,
 * ValueToKey, ExtractField, HoistField and SchemaUtil.copySchemaBasics).
 * A transform built against minor 6 loses the schema of what it changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect/transforms.h"
#include "registry/registry.h"

static samsa_registry_t *reg;
static char dir[64];

/* A struct value schema, as a JsonConverter envelope carries it. */
#define ID   "{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}"
#define NAME "{\"type\":\"string\",\"optional\":true,\"field\":\"name\"}"
#define PW   "{\"type\":\"string\",\"optional\":true,\"field\":\"pw\"}"
static const char user_schema[] =
    "{\"type\":\"struct\",\"fields\":[" ID "," NAME "," PW "],"
    "\"optional\":true,\"name\":\"user\",\"version\":2,\"doc\":\"a user\"}";
static const char user_value[] = "{\"id\":7,\"name\":\"ann\",\"pw\":\"pw1\"}";

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/samsa-xs-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    char path[128], yaml[1024];
    snprintf(path, sizeof(path), "%s/m.yaml", dir);
    snprintf(yaml, sizeof(yaml),
             "plugins:\n"
             "  - name: transforms-basic\n"
             "    plugin: transforms-basic\n"
             "    config: {}\n"
             "  - name: fixture-transform-minor6\n"
             "    plugin: %s/fixture-transform-minor6.so\n",
             getenv("SAMSA_TEST_FIXTURE_DIR"));
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        return -1;
    }
    fputs(yaml, fp);
    fclose(fp);
    samsa_registry_opts_t opts = {.conf_dir = dir,
                                  .plugin_dir = getenv("SAMSA_TEST_PLUGIN_DIR"),
                                  .data_dir = dir};
    char err[1024];
    if (samsa_registry_load(&opts, &reg, err, sizeof(err)) != SAMSA_OK ||
        samsa_registry_init(reg, err, sizeof(err)) != SAMSA_OK) {
        fprintf(stderr, "registry: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    samsa_registry_shutdown(reg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* What came out of the chain, copied. */
typedef struct got {
    char *key, *value, *key_schema, *value_schema;
} got_t;

static char *dup_or_null(const void *p, uint64_t n)
{
    return p ? strndup(p, (size_t)n) : NULL;
}

static samsa_err_t keep(void *arg, const samsa_connect_record_t *r)
{
    got_t *g = arg;
    g->key = dup_or_null(r->key, r->key_len);
    g->value = dup_or_null(r->value, r->value_len);
    g->key_schema = r->key_schema ? strdup(r->key_schema) : NULL;
    g->value_schema = r->value_schema ? strdup(r->value_schema) : NULL;
    return SAMSA_OK;
}

static void got_free(got_t *g)
{
    free(g->key);
    free(g->value);
    free(g->key_schema);
    free(g->value_schema);
}

/* Run @p value / @p schema through the chain @p config (JSON) describes;
 * the run's code. */
static samsa_err_t run(const char *config, const char *value,
                       const char *schema, got_t *g)
{
    json_t *cfg = json_loads(config, 0, NULL);
    assert_non_null(cfg);
    samsa_connect_chain_t *ch = NULL;
    char err[512] = "";
    samsa_err_t rc =
        samsa_connect_chain_new(reg, cfg, &ch, err, sizeof(err), NULL, 0);
    if (rc != SAMSA_OK) {
        fail_msg("chain: %s", err);
    }
    samsa_connect_record_t in = {
        .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
        .topic = "users",
        .value = value,
        .value_len = value ? strlen(value) : 0,
        .value_schema = schema,
        .offset = 41,
        .timestamp = 1700000000123,
        .partition = 2,
    };
    memset(g, 0, sizeof(*g));
    bool dropped = false;
    rc = samsa_connect_chain_run(ch, &in, keep, g, &dropped, err, sizeof(err));
    samsa_connect_chain_free(ch);
    json_decref(cfg);
    return rc;
}

#define T "org.apache.kafka.connect.transforms."

/* InsertField: the struct's fields, then topic, partition, offset,
 * timestamp (Kafka's Timestamp logical type) and static, optional unless
 * "name!"; name, version and doc kept, optionality not. */
static void insert_field_adds_fields_to_the_struct_schema(void **state)
{
    (void)state;
    got_t g;
    assert_int_equal(
        run("{\"transforms\":\"i\",\"transforms.i.type\":\"" T
            "InsertField$Value\",\"transforms.i.topic.field\":\"topic\","
            "\"transforms.i.partition.field\":\"part!\","
            "\"transforms.i.offset.field\":\"off\","
            "\"transforms.i.timestamp.field\":\"ts\","
            "\"transforms.i.static.field\":\"src\","
            "\"transforms.i.static.value\":\"pg\"}",
            user_value, user_schema, &g),
        SAMSA_OK);
    assert_string_equal(
        g.value_schema,
        "{\"type\":\"struct\",\"fields\":[" ID "," NAME "," PW
        ",{\"type\":\"string\",\"optional\":true,\"field\":\"topic\"},"
        "{\"type\":\"int32\",\"optional\":false,\"field\":\"part\"},"
        "{\"type\":\"int64\",\"optional\":true,\"field\":\"off\"},"
        "{\"type\":\"int64\",\"optional\":true,\"name\":"
        "\"org.apache.kafka.connect.data.Timestamp\",\"version\":1,"
        "\"field\":\"ts\"},"
        "{\"type\":\"string\",\"optional\":true,\"field\":\"src\"}],"
        "\"optional\":false,\"name\":\"user\",\"version\":2,\"doc\":\"a "
        "user\"}");
    assert_string_equal(g.value,
                        "{\"id\":7,\"name\":\"ann\",\"pw\":\"pw1\",\"topic\":"
                        "\"users\",\"part\":2,\"off\":41,\"ts\":"
                        "1700000000123,\"src\":\"pg\"}");
    assert_null(g.key_schema);
    got_free(&g);

    /* A field the struct has already: Kafka's duplicate field error. */
    assert_int_equal(run("{\"transforms\":\"i\",\"transforms.i.type\":"
                         "\"InsertField$Value\",\"transforms.i.static.field\":"
                         "\"name\"}",
                         user_value, user_schema, &g),
                     SAMSA_ERR_INVAL);
    got_free(&g);
    /* A schema that is no struct's: Kafka's "Only Struct objects". */
    assert_int_equal(
        run("{\"transforms\":\"i\",\"transforms.i.type\":"
            "\"InsertField$Value\",\"transforms.i.topic.field\":\"t\"}",
            "{\"a\":1}",
            "{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":"
            "false},\"values\":{\"type\":\"int32\",\"optional\":false},"
            "\"optional\":false}",
            &g),
        SAMSA_ERR_INVAL);
    got_free(&g);
}

/* ReplaceField: kept fields in the struct's order, renamed, each with its
 * own schema. */
static void replace_field_drops_and_renames_schema_fields(void **state)
{
    (void)state;
    got_t g;
    assert_int_equal(run("{\"transforms\":\"r\",\"transforms.r.type\":\"" T
                         "ReplaceField$Value\",\"transforms.r.exclude\":\"pw\","
                         "\"transforms.r.renames\":\"name:full_name\"}",
                         user_value, user_schema, &g),
                     SAMSA_OK);
    assert_string_equal(
        g.value_schema,
        "{\"type\":\"struct\",\"fields\":[" ID
        ",{\"type\":\"string\",\"optional\":true,\"field\":\"full_name\"}],"
        "\"optional\":false,\"name\":\"user\",\"version\":2,\"doc\":\"a "
        "user\"}");
    assert_string_equal(g.value, "{\"id\":7,\"full_name\":\"ann\"}");
    got_free(&g);
    /* include keeps only what it lists, in the struct's order. */
    assert_int_equal(run("{\"transforms\":\"r\",\"transforms.r.type\":"
                         "\"ReplaceField$Value\",\"transforms.r.include\":"
                         "\"pw,id\"}",
                         user_value, user_schema, &g),
                     SAMSA_OK);
    assert_string_equal(g.value_schema,
                        "{\"type\":\"struct\",\"fields\":[" ID "," PW "],"
                        "\"optional\":false,\"name\":\"user\",\"version\":2,"
                        "\"doc\":\"a user\"}");
    assert_string_equal(g.value, "{\"id\":7,\"pw\":\"pw1\"}");
    got_free(&g);
}

/* MaskField: the schema is the input's. */
static void mask_field_keeps_the_schema(void **state)
{
    (void)state;
    got_t g;
    assert_int_equal(run("{\"transforms\":\"m\",\"transforms.m.type\":"
                         "\"MaskField$Value\",\"transforms.m.fields\":\"pw\"}",
                         user_value, user_schema, &g),
                     SAMSA_OK);
    assert_string_equal(g.value_schema, user_schema);
    assert_string_equal(g.value, "{\"id\":7,\"name\":\"ann\",\"pw\":\"\"}");
    got_free(&g);
}

/* ValueToKey: a plain struct key schema of the listed fields, in the
 * listed order; the value and its schema unchanged. */
static void value_to_key_builds_a_key_schema(void **state)
{
    (void)state;
    got_t g;
    assert_int_equal(run("{\"transforms\":\"k\",\"transforms.k.type\":\"" T
                         "ValueToKey\",\"transforms.k.fields\":\"name,id\"}",
                         user_value, user_schema, &g),
                     SAMSA_OK);
    assert_string_equal(g.key_schema, "{\"type\":\"struct\",\"fields\":[" NAME
                                      "," ID "],\"optional\":false}");
    assert_string_equal(g.key, "{\"name\":\"ann\",\"id\":7}");
    assert_string_equal(g.value_schema, user_schema);
    assert_string_equal(g.value, user_value);
    got_free(&g);
    /* Kafka: "Field does not exist". */
    assert_int_equal(run("{\"transforms\":\"k\",\"transforms.k.type\":"
                         "\"ValueToKey\",\"transforms.k.fields\":\"nope\"}",
                         user_value, user_schema, &g),
                     SAMSA_ERR_INVAL);
    got_free(&g);
}

/* ExtractField: the field's schema (without its name); a null value
 * still takes it. */
static void extract_field_takes_the_fields_schema(void **state)
{
    (void)state;
    got_t g;
    const char *cfg = "{\"transforms\":\"e\",\"transforms.e.type\":\"" T
                      "ExtractField$Value\",\"transforms.e.field\":\"name\"}";
    assert_int_equal(run(cfg, user_value, user_schema, &g), SAMSA_OK);
    assert_string_equal(g.value_schema,
                        "{\"type\":\"string\",\"optional\":true}");
    assert_string_equal(g.value, "\"ann\"");
    got_free(&g);
    assert_int_equal(run(cfg, NULL, user_schema, &g), SAMSA_OK);
    assert_null(g.value);
    assert_string_equal(g.value_schema,
                        "{\"type\":\"string\",\"optional\":true}");
    got_free(&g);
    /* Kafka: "Unknown field". */
    assert_int_equal(run("{\"transforms\":\"e\",\"transforms.e.type\":"
                         "\"ExtractField$Value\",\"transforms.e.field\":\"x\"}",
                         user_value, user_schema, &g),
                     SAMSA_ERR_INVAL);
    got_free(&g);
}

/* HoistField: a plain struct of one field with the input's schema. */
static void hoist_field_wraps_the_schema(void **state)
{
    (void)state;
    got_t g;
    assert_int_equal(run("{\"transforms\":\"h\",\"transforms.h.type\":\"" T
                         "HoistField$Value\",\"transforms.h.field\":\"line\"}",
                         "\"a line\"",
                         "{\"type\":\"string\",\"optional\":false}", &g),
                     SAMSA_OK);
    assert_string_equal(g.value_schema,
                        "{\"type\":\"struct\",\"fields\":[{\"type\":\"string\","
                        "\"optional\":false,\"field\":\"line\"}],"
                        "\"optional\":false}");
    assert_string_equal(g.value, "{\"line\":\"a line\"}");
    got_free(&g);
}

/* Without a schema the transforms stay schemaless (Kafka's Map path). */
static void schemaless_records_stay_schemaless(void **state)
{
    (void)state;
    got_t g;
    assert_int_equal(
        run("{\"transforms\":\"i,k\",\"transforms.i.type\":"
            "\"InsertField$Value\",\"transforms.i.static.field\":\"s\","
            "\"transforms.i.static.value\":\"v\",\"transforms.k.type\":"
            "\"ValueToKey\",\"transforms.k.fields\":\"id\"}",
            user_value, NULL, &g),
        SAMSA_OK);
    assert_null(g.value_schema);
    assert_null(g.key_schema);
    assert_string_equal(g.key, "{\"id\":7}");
    got_free(&g);
    /* Kafka's Map path leaves out a static field without static.value,
     * and a partition or timestamp the record lacks. */
    assert_int_equal(run("{\"transforms\":\"i\",\"transforms.i.type\":"
                         "\"InsertField$Value\",\"transforms.i.static.field\":"
                         "\"s\",\"transforms.i.topic.field\":\"t\"}",
                         "{}", NULL, &g),
                     SAMSA_OK);
    assert_string_equal(g.value, "{\"t\":\"users\"}");
    got_free(&g);
}

/* A transform built against minor 6 changes the value without knowing of
 * schemas: the value's schema goes (the envelope then says null), a
 * router-like change elsewhere would keep it. */
static void a_minor6_transform_loses_the_schema_of_what_it_changed(void **state)
{
    (void)state;
    got_t g;
    assert_int_equal(
        run("{\"transforms\":\"h,old\",\"transforms.h.type\":"
            "\"HoistField$Value\",\"transforms.h.field\":\"f\","
            "\"transforms.old.type\":\"fixture-transform-minor6\"}",
            "\"x\"", "{\"type\":\"string\",\"optional\":false}", &g),
        SAMSA_OK);
    assert_string_equal(g.value, "\"changed\"");
    assert_null(g.value_schema);
    got_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(insert_field_adds_fields_to_the_struct_schema),
        cmocka_unit_test(replace_field_drops_and_renames_schema_fields),
        cmocka_unit_test(mask_field_keeps_the_schema),
        cmocka_unit_test(value_to_key_builds_a_key_schema),
        cmocka_unit_test(extract_field_takes_the_fields_schema),
        cmocka_unit_test(hoist_field_wraps_the_schema),
        cmocka_unit_test(schemaless_records_stay_schemaless),
        cmocka_unit_test(
            a_minor6_transform_loses_the_schema_of_what_it_changed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
