/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny bounded JSON field extractor for partitioner-compound (there is no
 * JSON library in Samsa's dependency list). It walks only as much of the
 * document as it needs, never allocates, never reads past the given length
 * and gives up beyond JSON_MAX_DEPTH levels of nesting.
 */
#ifndef SAMSA_JSON_FIELD_H
#define SAMSA_JSON_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 64

typedef struct json_value {
    const char *start; /* raw text; for strings, between the quotes */
    size_t len;
    bool is_string; /* start..len still holds JSON escapes */
} json_value_t;

/**
 * Finds the member at @p path (dotted, e.g. "user.id") in the JSON object
 * @p json. Returns true and fills @p out when found and well formed; false
 * when missing, null, or the document is malformed on the way there.
 */
bool json_find(const char *json, size_t len, const char *path,
               json_value_t *out);

/**
 * Writes the value's text to @p dst: strings unescaped (\uXXXX to UTF-8),
 * everything else (numbers, true/false, objects, arrays) verbatim. @p dst
 * needs value->len bytes (unescaping never grows). Returns the bytes
 * written, or (size_t)-1 for a bad escape.
 */
size_t json_value_text(const json_value_t *value, char *dst);

#endif
