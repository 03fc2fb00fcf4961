/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/converter.c - see converter.h. */
#include "connect/converter.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const json_t *config, const char *key)
{
    const json_t *v = json_object_get(config, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

samsa_err_t samsa_converter_from_config(const json_t *config, const char *which,
                                        samsa_converter_t *out, char *errbuf,
                                        size_t errlen)
{
    char key[64];
    snprintf(key, sizeof(key), "%s.converter", which);
    const char *cls = str_of(config, key);
    bool header = strcmp(which, "header") == 0;
    if (header && (cls == NULL ||
                   strcmp(cls, "org.apache.kafka.connect.storage."
                               "SimpleHeaderConverter") == 0 ||
                   strcmp(cls, "SimpleHeaderConverter") == 0)) {
        /* Kafka's default header converter writes a string header as its
         * UTF-8 and reads it back as such: as is, for bytes. */
        *out = SAMSA_CONVERTER_STRING;
        return SAMSA_OK;
    }
    if (cls == NULL ||
        strcmp(cls, "org.apache.kafka.connect.json."
                    "JsonConverter") == 0 ||
        strcmp(cls, "JsonConverter") == 0) {
        snprintf(key, sizeof(key), "%s.converter.schemas.enable", which);
        const char *schemas = str_of(config, key);
        *out = schemas && strcmp(schemas, "false") == 0
                   ? SAMSA_CONVERTER_JSON
                   : SAMSA_CONVERTER_JSON_SCHEMA;
        return SAMSA_OK;
    }
    if (strcmp(cls, "org.apache.kafka.connect.storage.StringConverter") == 0 ||
        strcmp(cls, "StringConverter") == 0 ||
        strcmp(cls, "org.apache.kafka.connect.converters."
                    "ByteArrayConverter") == 0 ||
        strcmp(cls, "ByteArrayConverter") == 0) {
        *out = SAMSA_CONVERTER_STRING;
        return SAMSA_OK;
    }
    snprintf(errbuf, errlen,
             "%s.converter: unknown converter class %s (%sStringConverter, "
             "ByteArrayConverter and JsonConverter are available)",
             which, cls, header ? "SimpleHeaderConverter, " : "");
    return SAMSA_ERR_CONFIG;
}

static samsa_err_t copy_out(const void *data, size_t len, char **out,
                            size_t *outlen)
{
    *out = malloc(len + 1);
    if (*out == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(*out, data, len);
    (*out)[len] = '\0';
    *outlen = len;
    return SAMSA_OK;
}

/* Kafka's StringConverter reads any bytes as an optional string; a
 * source's bytes without a schema are a string (FileStreamSource's
 * Schema.STRING_SCHEMA). */
static json_t *string_schema(bool optional)
{
    return json_pack("{s:s,s:b}", "type", "string", "optional", optional);
}

/* Compact JSON of @p v (JSON_ENCODE_ANY) into *out, *outlen. */
static samsa_err_t dump(const json_t *v, char **out, size_t *outlen)
{
    *out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    *outlen = *out ? strlen(*out) : 0;
    return *out ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

samsa_err_t samsa_converter_encode(samsa_converter_t c, const void *data,
                                   size_t len, const char *schema, char **out,
                                   size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (data == NULL) {
        return SAMSA_OK; /* null stays null, as JsonConverter does */
    }
    if (c == SAMSA_CONVERTER_STRING) {
        return copy_out(data, len, out, outlen);
    }
    json_t *v = schema ? json_loadb(data, len, JSON_DECODE_ANY, NULL)
                       : json_stringn(data, len);
    if (v == NULL) {
        return SAMSA_ERR_INVAL; /* not UTF-8, or not JSON */
    }
    json_t *s = NULL;
    if (c == SAMSA_CONVERTER_JSON_SCHEMA) {
        s = schema ? json_loads(schema, JSON_DECODE_ANY, NULL)
                   : string_schema(false);
        if (s == NULL) {
            json_decref(v);
            return SAMSA_ERR_INVAL;
        }
    }
    samsa_err_t err = samsa_converter_from_json(c, v, s, out, outlen);
    json_decref(v);
    json_decref(s);
    return err;
}

samsa_err_t samsa_converter_decode(samsa_converter_t c, const void *data,
                                   size_t len, char **out, size_t *outlen,
                                   char **schema)
{
    *out = NULL;
    *outlen = 0;
    if (schema != NULL) {
        *schema = NULL;
    }
    if (data == NULL) {
        return SAMSA_OK;
    }
    if (c == SAMSA_CONVERTER_STRING) {
        return copy_out(data, len, out, outlen);
    }
    json_t *v = NULL, *s = NULL;
    samsa_err_t err = samsa_converter_to_json(c, data, len, &v, &s);
    if (err == SAMSA_OK && json_is_string(v)) {
        err =
            copy_out(json_string_value(v), json_string_length(v), out, outlen);
    } else if (err == SAMSA_OK && v != NULL) {
        err = dump(v, out, outlen);
    }
    size_t slen = 0;
    if (err == SAMSA_OK && s != NULL && schema != NULL) {
        err = dump(s, schema, &slen);
    }
    if (err != SAMSA_OK) {
        free(*out);
        *out = NULL;
        *outlen = 0;
    }
    json_decref(v);
    json_decref(s);
    return err;
}

samsa_err_t samsa_converter_to_json(samsa_converter_t c, const void *data,
                                    size_t len, json_t **out, json_t **schema)
{
    *out = NULL;
    if (schema != NULL) {
        *schema = NULL;
    }
    if (data == NULL) {
        return SAMSA_OK;
    }
    if (c == SAMSA_CONVERTER_STRING) {
        *out = json_stringn(data, len);
        if (*out != NULL && schema != NULL) {
            *schema = string_schema(true);
        }
        return *out ? SAMSA_OK : SAMSA_ERR_INVAL;
    }
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY, NULL);
    if (root == NULL) {
        return SAMSA_ERR_INVAL;
    }
    if (c == SAMSA_CONVERTER_JSON) {
        *out = json_is_null(root) ? NULL : root;
        if (*out == NULL) {
            json_decref(root);
        }
        return SAMSA_OK;
    }
    json_t *v = json_object_get(root, "payload");
    json_t *s = json_object_get(root, "schema");
    if (!json_is_object(root) || v == NULL ||
        (s != NULL && !json_is_null(s) && !json_is_object(s))) {
        json_decref(root);
        return SAMSA_ERR_INVAL; /* no envelope */
    }
    *out = json_is_null(v) ? NULL : json_incref(v);
    if (schema != NULL && json_is_object(s)) {
        *schema = json_incref(s);
    }
    json_decref(root);
    return SAMSA_OK;
}

samsa_err_t samsa_converter_from_json(samsa_converter_t c, const json_t *v,
                                      const json_t *schema, char **out,
                                      size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (v == NULL) {
        return SAMSA_OK;
    }
    if (c == SAMSA_CONVERTER_STRING && json_is_string(v)) {
        return copy_out(json_string_value(v), json_string_length(v), out,
                        outlen);
    }
    json_t *doc = NULL;
    if (c == SAMSA_CONVERTER_JSON_SCHEMA) {
        /* Schemaless data: a string is still a string to JsonConverter's
         * readers; anything else has no schema to give. */
        json_t *s = schema              ? json_incref((json_t *)schema)
                    : json_is_string(v) ? string_schema(false)
                                        : json_null();
        doc = s ? json_pack("{s:o,s:O}", "schema", s, "payload", v) : NULL;
        if (doc == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    samsa_err_t err = dump(doc ? doc : v, out, outlen);
    json_decref(doc);
    return err;
}
