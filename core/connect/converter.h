/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/converter.h - Kafka Connect's converters between what a
 * connector plugin hands over (bytes, for the file connectors a line of
 * text) and what travels in the topic: StringConverter and
 * ByteArrayConverter (as is) and JsonConverter with schemas.enable true
 * (the {"schema":...,"payload":...} envelope) or false (bare JSON).
 * Chosen per connector by key.converter / value.converter and
 * key.converter.schemas.enable / value.converter.schemas.enable; the
 * default is Kafka's worker default, JsonConverter with schemas. Header
 * values go through header.converter (header.converter.schemas.enable),
 * whose default, Kafka's SimpleHeaderConverter, leaves them as they are.
 */
#ifndef SAMSA_CONNECT_CONVERTER_H
#define SAMSA_CONNECT_CONVERTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

typedef enum samsa_converter {
    SAMSA_CONVERTER_STRING = 1, /* also ByteArrayConverter: as is */
    SAMSA_CONVERTER_JSON = 2,
    SAMSA_CONVERTER_JSON_SCHEMA = 3,
} samsa_converter_t;

/** The converter @p config (a connector's JSON config object) names for
 *  @p which ("key", "value" or "header"). SAMSA_ERR_CONFIG with a message
 * naming the class when it is not one we have. */
samsa_err_t samsa_converter_from_config(const json_t *config, const char *which,
                                        samsa_converter_t *out, char *errbuf,
                                        size_t errlen);

/** Plugin bytes -> topic bytes (source side). @p data NULL: null. *out is
 *  malloc'd (NULL for a null); SAMSA_ERR_INVAL when JSON needs UTF-8 and
 *  the bytes are not. @p schema (the record's, JSON text, may be NULL):
 *  with one, @p data is the JSON text of the value, which the JSON
 *  converters write as JSON (with schemas: in the envelope with
 *  @p schema) and String/ByteArray as is; without one, @p data is a
 *  string. SAMSA_ERR_INVAL when either is not JSON. */
samsa_err_t samsa_converter_encode(samsa_converter_t c, const void *data,
                                   size_t len, const char *schema, char **out,
                                   size_t *outlen);

/** Topic bytes -> plugin bytes (sink side); a JSON string gives its text,
 *  other JSON its compact form. SAMSA_ERR_INVAL for malformed JSON.
 *  @p schema (may be NULL): the envelope's schema, compact and malloc'd
 *  (NULL when it is null or the converter has none). */
samsa_err_t samsa_converter_decode(samsa_converter_t c, const void *data,
                                   size_t len, char **out, size_t *outlen,
                                   char **schema);

/* The Connect data value and schema (JSON) the transforms see. */

/** Bytes -> the Connect value: String/ByteArray converters give a JSON
 *  string (SAMSA_ERR_INVAL unless UTF-8), JSON converters the parsed
 *  document (the envelope's payload with schemas). @p data NULL gives
 *  *out NULL (null). @p schema (may be NULL) receives the schema, or NULL
 *  when there is none: the envelope's with schemas, an optional string
 *  for String/ByteArray (Kafka's StringConverter), none for JSON without
 *  schemas. */
samsa_err_t samsa_converter_to_json(samsa_converter_t c, const void *data,
                                    size_t len, json_t **out, json_t **schema);

/** The Connect value -> bytes (@p v NULL: null, *out NULL). String
 *  converters: a string's text, other values' compact JSON; JSON with
 *  schemas: the envelope with @p schema, or without one (schemaless data)
 *  {"type":"string"} for a string and null for other values. *out is
 *  malloc'd. */
samsa_err_t samsa_converter_from_json(samsa_converter_t c, const json_t *v,
                                      const json_t *schema, char **out,
                                      size_t *outlen);

#endif /* SAMSA_CONNECT_CONVERTER_H */
