/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/converter.c - see converter.h. */
#include "connect/converter.h"

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
             "%s.converter: unknown converter class %s (StringConverter, "
             "ByteArrayConverter and JsonConverter are available)",
             which, cls);
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

samsa_err_t samsa_converter_encode(samsa_converter_t c, const void *data,
                                   size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (data == NULL) {
        return SAMSA_OK; /* null stays null, as JsonConverter does */
    }
    if (c == SAMSA_CONVERTER_STRING) {
        return copy_out(data, len, out, outlen);
    }
    json_t *v = json_stringn(data, len);
    if (v == NULL) {
        return SAMSA_ERR_INVAL; /* not UTF-8 */
    }
    if (c == SAMSA_CONVERTER_JSON_SCHEMA) {
        v = json_pack("{s:{s:s,s:b},s:o}", "schema", "type", "string",
                      "optional", 0, "payload", v);
        if (v == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    *out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (*out == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    *outlen = strlen(*out);
    return SAMSA_OK;
}

samsa_err_t samsa_converter_decode(samsa_converter_t c, const void *data,
                                   size_t len, char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (data == NULL) {
        return SAMSA_OK;
    }
    if (c == SAMSA_CONVERTER_STRING) {
        return copy_out(data, len, out, outlen);
    }
    json_t *root = json_loadb(data, len, JSON_DECODE_ANY, NULL);
    if (root == NULL) {
        return SAMSA_ERR_INVAL;
    }
    json_t *v = root;
    if (c == SAMSA_CONVERTER_JSON_SCHEMA) {
        v = json_object_get(root, "payload");
        if (!json_is_object(root) || v == NULL) {
            json_decref(root);
            return SAMSA_ERR_INVAL; /* no envelope */
        }
    }
    samsa_err_t err = SAMSA_OK;
    if (json_is_string(v)) {
        err =
            copy_out(json_string_value(v), json_string_length(v), out, outlen);
    } else if (!json_is_null(v)) {
        *out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        err = *out ? SAMSA_OK : SAMSA_ERR_NOMEM;
        *outlen = *out ? strlen(*out) : 0;
    }
    json_decref(root);
    return err;
}

samsa_err_t samsa_converter_to_json(samsa_converter_t c, const void *data,
                                    size_t len, json_t **out)
{
    *out = NULL;
    if (data == NULL) {
        return SAMSA_OK;
    }
    if (c == SAMSA_CONVERTER_STRING) {
        *out = json_stringn(data, len);
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
    if (!json_is_object(root) || v == NULL) {
        json_decref(root);
        return SAMSA_ERR_INVAL; /* no envelope */
    }
    *out = json_is_null(v) ? NULL : json_incref(v);
    json_decref(root);
    return SAMSA_OK;
}

samsa_err_t samsa_converter_from_json(samsa_converter_t c, const json_t *v,
                                      char **out, size_t *outlen)
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
        doc = json_is_string(v)
                  ? json_pack("{s:{s:s,s:b},s:O}", "schema", "type", "string",
                              "optional", 0, "payload", v)
                  : json_pack("{s:n,s:O}", "schema", "payload", v);
        if (doc == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    *out = json_dumps(doc ? doc : v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(doc);
    if (*out == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    *outlen = strlen(*out);
    return SAMSA_OK;
}
