/* SPDX-License-Identifier: Apache-2.0 */
/* Kafka Connect's converters (core/connect/converter.c): which class a
 * connector config picks, and the bytes each one puts in and takes out of
 * a topic, as Kafka Connect's own converters do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connect/converter.h"

static samsa_converter_t pick(const char *json, const char *which,
                              samsa_err_t *err)
{
    json_t *cfg = json_loads(json, 0, NULL);
    samsa_converter_t c = 0;
    char errbuf[256] = "";
    *err = samsa_converter_from_config(cfg, which, &c, errbuf, sizeof(errbuf));
    if (*err != SAMSA_OK) {
        assert_non_null(strstr(errbuf, "unknown converter class"));
    }
    json_decref(cfg);
    return c;
}

static void config_picks_the_converter(void **state)
{
    (void)state;
    samsa_err_t err;
    /* Kafka's worker default: JsonConverter with schemas. */
    assert_int_equal(pick("{}", "value", &err), SAMSA_CONVERTER_JSON_SCHEMA);
    assert_int_equal(
        pick("{\"value.converter\":\"org.apache.kafka.connect.json."
             "JsonConverter\",\"value.converter.schemas.enable\":\"false\"}",
             "value", &err),
        SAMSA_CONVERTER_JSON);
    assert_int_equal(
        pick("{\"key.converter\":\"org.apache.kafka.connect.storage."
             "StringConverter\"}",
             "key", &err),
        SAMSA_CONVERTER_STRING);
    /* The key's setting says nothing about the value's. */
    assert_int_equal(
        pick("{\"key.converter\":\"org.apache.kafka.connect.storage."
             "StringConverter\"}",
             "value", &err),
        SAMSA_CONVERTER_JSON_SCHEMA);
    pick("{\"value.converter\":\"Nope\"}", "value", &err);
    assert_int_equal(err, SAMSA_ERR_CONFIG);
    /* header.converter: Kafka's default SimpleHeaderConverter, as is. */
    assert_int_equal(pick("{}", "header", &err), SAMSA_CONVERTER_STRING);
    assert_int_equal(
        pick("{\"header.converter\":\"org.apache.kafka.connect.storage."
             "SimpleHeaderConverter\"}",
             "header", &err),
        SAMSA_CONVERTER_STRING);
    assert_int_equal(pick("{\"header.converter\":\"JsonConverter\","
                          "\"header.converter.schemas.enable\":\"false\"}",
                          "header", &err),
                     SAMSA_CONVERTER_JSON);
    /* SimpleHeaderConverter is for headers only. */
    pick("{\"value.converter\":\"SimpleHeaderConverter\"}", "value", &err);
    assert_int_equal(err, SAMSA_ERR_CONFIG);
    pick("{\"header.converter\":\"Nope\"}", "header", &err);
    assert_int_equal(err, SAMSA_ERR_CONFIG);
}

static void encode(samsa_converter_t c, const char *in, const char *want)
{
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(
        samsa_converter_encode(c, in, in ? strlen(in) : 0, NULL, &out, &len),
        SAMSA_OK);
    if (want == NULL) {
        assert_null(out);
        return;
    }
    assert_non_null(out);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
}

static void decode(samsa_converter_t c, const char *in, const char *want,
                   samsa_err_t want_err)
{
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(
        samsa_converter_decode(c, in, in ? strlen(in) : 0, &out, &len, NULL),
        want_err);
    if (want == NULL) {
        assert_null(out);
        return;
    }
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
}

static void encode_is_what_kafka_connect_writes(void **state)
{
    (void)state;
    encode(SAMSA_CONVERTER_STRING, "a \"line\"", "a \"line\"");
    encode(SAMSA_CONVERTER_JSON, "a \"line\"", "\"a \\\"line\\\"\"");
    encode(SAMSA_CONVERTER_JSON_SCHEMA, "foo",
           "{\"schema\":{\"type\":\"string\",\"optional\":false},"
           "\"payload\":\"foo\"}");
    encode(SAMSA_CONVERTER_JSON_SCHEMA, NULL, NULL); /* null stays null */
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(samsa_converter_encode(SAMSA_CONVERTER_JSON, "\xff", 1,
                                            NULL, &out, &len),
                     SAMSA_ERR_INVAL); /* JSON needs UTF-8 */
    assert_null(out);
}

static void decode_takes_back_the_payload(void **state)
{
    (void)state;
    decode(SAMSA_CONVERTER_STRING, "x y", "x y", SAMSA_OK);
    decode(SAMSA_CONVERTER_JSON, "\"foo\"", "foo", SAMSA_OK);
    decode(SAMSA_CONVERTER_JSON, "{\"a\": 1}", "{\"a\":1}", SAMSA_OK);
    decode(SAMSA_CONVERTER_JSON, "null", NULL, SAMSA_OK);
    decode(SAMSA_CONVERTER_JSON_SCHEMA,
           "{\"schema\":{\"type\":\"string\",\"optional\":false},"
           "\"payload\":\"bar\"}",
           "bar", SAMSA_OK);
    decode(SAMSA_CONVERTER_JSON_SCHEMA, "\"no envelope\"", NULL,
           SAMSA_ERR_INVAL);
    decode(SAMSA_CONVERTER_JSON, "{broken", NULL, SAMSA_ERR_INVAL);
    decode(SAMSA_CONVERTER_JSON, NULL, NULL, SAMSA_OK);
}

/* The Connect value (JSON) the transforms see, both ways. */
static void json_value_round_trips(void **state)
{
    (void)state;
    json_t *v = NULL;
    assert_int_equal(
        samsa_converter_to_json(SAMSA_CONVERTER_STRING, "a line", 6, &v, NULL),
        SAMSA_OK);
    assert_string_equal(json_string_value(v), "a line");
    json_decref(v);
    assert_int_equal(
        samsa_converter_to_json(SAMSA_CONVERTER_STRING, "\xff", 1, &v, NULL),
        SAMSA_ERR_INVAL);
    const char *env = "{\"schema\":null,\"payload\":{\"a\":1}}";
    assert_int_equal(samsa_converter_to_json(SAMSA_CONVERTER_JSON_SCHEMA, env,
                                             strlen(env), &v, NULL),
                     SAMSA_OK);
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);

    char *out = NULL;
    size_t len = 0;
    /* Schemaless data: JsonConverter's envelope has schema null. */
    assert_int_equal(samsa_converter_from_json(SAMSA_CONVERTER_JSON_SCHEMA, v,
                                               NULL, &out, &len),
                     SAMSA_OK);
    assert_string_equal(out, env);
    free(out);
    assert_int_equal(
        samsa_converter_from_json(SAMSA_CONVERTER_STRING, v, NULL, &out, &len),
        SAMSA_OK);
    assert_string_equal(out, "{\"a\":1}");
    free(out);
    json_decref(v);
    v = json_string("s");
    assert_int_equal(samsa_converter_from_json(SAMSA_CONVERTER_JSON_SCHEMA, v,
                                               NULL, &out, &len),
                     SAMSA_OK);
    assert_string_equal(out,
                        "{\"schema\":{\"type\":\"string\",\"optional\":false},"
                        "\"payload\":\"s\"}");
    free(out);
    assert_int_equal(
        samsa_converter_from_json(SAMSA_CONVERTER_STRING, v, NULL, &out, &len),
        SAMSA_OK);
    assert_string_equal(out, "s");
    free(out);
    json_decref(v);
    assert_int_equal(
        samsa_converter_from_json(SAMSA_CONVERTER_JSON, NULL, NULL, &out, &len),
        SAMSA_OK);
    assert_null(out);
}

/* With schemas (ABI minor 7): the envelope's schema is read with its
 * payload and written back beside the payload it describes; a source's
 * schema'd value is JSON text. */
static void the_envelope_schema_round_trips(void **state)
{
    (void)state;
    const char *env = "{\"schema\":{\"type\":\"struct\",\"fields\":[{"
                      "\"type\":\"int32\",\"optional\":false,\"field\":"
                      "\"id\"}],\"optional\":false,\"name\":\"r\"},"
                      "\"payload\":{\"id\":7}}";
    json_t *v = NULL, *schema = NULL;
    assert_int_equal(samsa_converter_to_json(SAMSA_CONVERTER_JSON_SCHEMA, env,
                                             strlen(env), &v, &schema),
                     SAMSA_OK);
    assert_string_equal(json_string_value(json_object_get(schema, "name")),
                        "r");
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(samsa_converter_from_json(SAMSA_CONVERTER_JSON_SCHEMA, v,
                                               schema, &out, &len),
                     SAMSA_OK);
    assert_string_equal(out, env); /* Kafka's key order kept */
    free(out);
    json_decref(v);
    json_decref(schema);

    /* decode gives the payload and the schema's text. */
    char *stext = NULL;
    assert_int_equal(samsa_converter_decode(SAMSA_CONVERTER_JSON_SCHEMA, env,
                                            strlen(env), &out, &len, &stext),
                     SAMSA_OK);
    assert_string_equal(out, "{\"id\":7}");
    assert_non_null(strstr(stext, "\"type\":\"struct\""));
    free(out);

    /* A source's value with a schema is JSON: enveloped with it, bare
     * JSON without schemas, as is for the String converter. */
    assert_int_equal(samsa_converter_encode(SAMSA_CONVERTER_JSON_SCHEMA,
                                            "{\"id\": 7}", 9, stext, &out,
                                            &len),
                     SAMSA_OK);
    assert_string_equal(out, env);
    free(out);
    assert_int_equal(samsa_converter_encode(SAMSA_CONVERTER_JSON, "{\"id\": 7}",
                                            9, stext, &out, &len),
                     SAMSA_OK);
    assert_string_equal(out, "{\"id\":7}");
    free(out);
    assert_int_equal(samsa_converter_encode(SAMSA_CONVERTER_JSON_SCHEMA,
                                            "not json", 8, stext, &out, &len),
                     SAMSA_ERR_INVAL);
    free(stext);

    /* StringConverter reads an optional string; JSON without schemas
     * reads none. */
    assert_int_equal(
        samsa_converter_to_json(SAMSA_CONVERTER_STRING, "x", 1, &v, &schema),
        SAMSA_OK);
    assert_true(json_is_true(json_object_get(schema, "optional")));
    json_decref(v);
    json_decref(schema);
    assert_int_equal(
        samsa_converter_to_json(SAMSA_CONVERTER_JSON, "{}", 2, &v, &schema),
        SAMSA_OK);
    assert_null(schema);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_picks_the_converter),
        cmocka_unit_test(encode_is_what_kafka_connect_writes),
        cmocka_unit_test(decode_takes_back_the_payload),
        cmocka_unit_test(json_value_round_trips),
        cmocka_unit_test(the_envelope_schema_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
