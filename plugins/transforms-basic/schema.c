/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/transforms-basic/schema.c - Connect schemas as the JsonConverter
 * writes them ({"type":"struct","fields":[{...,"field":"a"}],
 * "optional":false,"name":...}), read from and written to the records'
 * key_schema / value_schema (ABI minor 7), and built in the key order
 * Kafka's JsonConverter.asJsonSchema uses, so an envelope reads the same.
 */
#include <stdlib.h>
#include <string.h>

#include "xform.h"

bool xs_is_struct(const json_t *s)
{
    const json_t *t = json_object_get(s, "type");
    return json_is_string(t) && strcmp(json_string_value(t), "struct") == 0 &&
           json_is_array(json_object_get(s, "fields"));
}

json_t *xs_prim(const char *type, bool optional)
{
    return json_pack("{s:s,s:b}", "type", type, "optional", optional);
}

json_t *xs_struct(const json_t *basics)
{
    /* Kafka's SchemaUtil.copySchemaBasics: name, version, doc and
     * parameters; not optionality (the new struct is required). */
    json_t *s =
        json_pack("{s:s,s:[],s:b}", "type", "struct", "fields", "optional", 0);
    static const char *const keep[] = {"name", "version", "doc", "parameters"};
    for (size_t i = 0; s != NULL && basics != NULL && i < 4; i++) {
        json_t *v = json_object_get(basics, keep[i]);
        if (v != NULL && !json_is_null(v)) {
            json_object_set_new(s, keep[i], json_deep_copy(v));
        }
    }
    return s;
}

const json_t *xs_find(const json_t *st, const char *name)
{
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(st, "fields"), i, f)
    {
        const json_t *n = json_object_get(f, "field");
        if (json_is_string(n) && strcmp(json_string_value(n), name) == 0) {
            return f;
        }
    }
    return NULL;
}

json_t *xs_field_schema(const json_t *entry)
{
    json_t *s = json_deep_copy(entry);
    if (s != NULL) {
        json_object_del(s, "field");
    }
    return s;
}

samsa_err_t xs_add(json_t *st, const char *name, const json_t *fschema)
{
    if (xs_find(st, name) != NULL) {
        return SAMSA_ERR_INVAL; /* Kafka: field name duplication */
    }
    json_t *f = xs_field_schema(fschema);
    if (f == NULL || json_object_set_new(f, "field", json_string(name)) != 0 ||
        json_array_append_new(json_object_get(st, "fields"), f) != 0) {
        return SAMSA_ERR_NOMEM;
    }
    return SAMSA_OK;
}
