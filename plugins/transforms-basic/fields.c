/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/transforms-basic/fields.c - the field transforms, on the key
 * ($Key) or the value ($Value). Without a schema as Kafka's Map path: they
 * need a JSON object (Kafka: "Only Map objects supported in absence of
 * schema"). With one (ABI minor 7) as Kafka's Struct path: the schema
 * must be a struct, and the output's schema is built as Kafka's
 * transform builds it (same fields, order and optionality), with the
 * payload's fields in that order, as the JsonConverter writes a Struct.
 * A null passes through where Kafka lets it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xform.h"

static const char *what(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return "a string";
    case JSON_ARRAY:
        return "an array";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "an object";
    }
}

/* The operating value as an object (NULL with *err OK for null), and its
 * schema into *schema (NULL: none), which must be a struct's when the
 * value is not null. On failure both are NULL. */
static json_t *load_object(xform_t *x, const samsa_connect_record_t *in,
                           const char *purpose, json_t **schema,
                           samsa_err_t *err)
{
    json_t *v = NULL;
    *err = xform_load(x, in, &v, schema);
    if (*err == SAMSA_OK && v != NULL && !json_is_object(v)) {
        xform_fail(x,
                   "only JSON objects are supported for [%s] (Kafka's %s), "
                   "found %s",
                   purpose,
                   *schema ? "Struct objects" : "Map objects without a schema",
                   what(v));
        *err = SAMSA_ERR_INVAL;
    } else if (*err == SAMSA_OK && v != NULL && *schema != NULL &&
               !xs_is_struct(*schema)) {
        xform_fail(x,
                   "only Struct objects are supported for [%s], found a "
                   "value of schema type %s",
                   purpose,
                   json_string_value(json_object_get(*schema, "type")));
        *err = SAMSA_ERR_INVAL;
    }
    if (*err != SAMSA_OK) {
        json_decref(v);
        json_decref(*schema);
        v = NULL;
        *schema = NULL;
    }
    return v;
}

/* Field @p name of a struct being built: into schema @p ns with schema
 * @p fs (taken) and into value @p nv with @p val (taken; NULL: null). */
static samsa_err_t put_field(xform_t *x, json_t *ns, json_t *nv,
                             const char *name, json_t *fs, json_t *val)
{
    samsa_err_t err = fs ? xs_add(ns, name, fs) : SAMSA_ERR_NOMEM;
    if (err == SAMSA_ERR_INVAL) {
        xform_fail(x, "cannot create field %s: field name duplication", name);
    }
    if (err == SAMSA_OK) {
        json_object_set_new(nv, name, val ? val : json_null());
        val = NULL;
    }
    json_decref(fs);
    json_decref(val);
    return err;
}

/* Store a struct built with put_field: value and schema, both taken. */
static samsa_err_t store_struct(xform_t *x, samsa_connect_record_t *out,
                                json_t *nv, json_t *ns, bool key,
                                samsa_err_t err)
{
    if (err != SAMSA_OK) {
        json_decref(nv);
        json_decref(ns);
        return err;
    }
    err = xform_store(x, out, nv, key);
    if (err == SAMSA_OK) {
        return xform_store_schema(x, out, ns, key);
    }
    json_decref(ns);
    return err;
}

/* The fields of struct schema @p schema, in order: a fresh iteration. */
#define EACH_FIELD(schema, i, f)                                               \
    json_array_foreach(json_object_get((schema), "fields"), i, f)

static const char *field_name(const json_t *f)
{
    return json_string_value(json_object_get(f, "field"));
}

/* InsertField ---------------------------------------------------------- */

/* InsertField's optionality: "name!" is a required field, "name?" or
 * plain "name" an optional one (Kafka's InsertionSpec). True: optional. */
static bool required_marker(const xform_t *x, const char *key)
{
    const char *v = xform_get(x, key);
    size_t n = v ? strlen(v) : 0;
    return !(n > 1 && v[n - 1] == '!');
}

static samsa_err_t insert_configure(xform_t *x, char *eb, size_t el)
{
    samsa_err_t err =
        xform_string(x, "topic.field", NULL, false, &x->topic_field, eb, el);
    if (err == SAMSA_OK) {
        err = xform_string(x, "partition.field", NULL, false,
                           &x->partition_field, eb, el);
    }
    if (err == SAMSA_OK) {
        err = xform_string(x, "offset.field", NULL, false, &x->offset_field, eb,
                           el);
    }
    if (err == SAMSA_OK) {
        err = xform_string(x, "timestamp.field", NULL, false,
                           &x->timestamp_field, eb, el);
    }
    if (err == SAMSA_OK) {
        err = xform_string(x, "static.field", NULL, false, &x->static_field, eb,
                           el);
    }
    if (err == SAMSA_OK) {
        err = xform_string(x, "static.value", NULL, false, &x->static_value, eb,
                           el);
    }
    x->topic_opt = required_marker(x, "topic.field");
    x->partition_opt = required_marker(x, "partition.field");
    x->offset_opt = required_marker(x, "offset.field");
    x->timestamp_opt = required_marker(x, "timestamp.field");
    x->static_opt = required_marker(x, "static.field");
    if (err == SAMSA_OK && !x->topic_field && !x->partition_field &&
        !x->offset_field && !x->timestamp_field && !x->static_field) {
        snprintf(eb, el,
                 "Invalid configuration: at least one of topic.field, "
                 "partition.field, offset.field, timestamp.field or "
                 "static.field must be set");
        err = SAMSA_ERR_CONFIG;
    }
    return err;
}

static bool listed(char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (l[i] != NULL && strcmp(l[i], s) == 0) {
            return true;
        }
    }
    return false;
}

static bool kept(const xform_t *x, const char *name)
{
    return !listed(x->fields, x->nfields, name) &&
           (x->ninclude == 0 || listed(x->include, x->ninclude, name));
}

static const char *renamed(const xform_t *x, const char *name)
{
    const char *to = name; /* the last mapping of a name wins, as in a
                              Java map built from the list */
    for (size_t i = 0; i < x->nrenames; i++) {
        if (x->rename_from[i] && strcmp(x->rename_from[i], name) == 0) {
            to = x->rename_to[i];
        }
    }
    return to;
}

/* A new struct (*ns, *nv) with @p schema's basics and its fields, with
 * their values from @p v: all of them, or (@p replace) those
 * ReplaceField keeps, renamed. */
static samsa_err_t copy_struct(xform_t *x, const json_t *schema,
                               const json_t *v, bool replace, json_t **ns,
                               json_t **nv)
{
    *ns = xs_struct(schema);
    *nv = json_object();
    samsa_err_t err = *ns && *nv ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t i;
    json_t *f;
    EACH_FIELD(schema, i, f)
    {
        const char *name = field_name(f);
        if (err == SAMSA_OK && name != NULL && (!replace || kept(x, name))) {
            err = put_field(x, *ns, *nv, replace ? renamed(x, name) : name,
                            json_incref(f),
                            json_incref(json_object_get(v, name)));
        }
    }
    return err;
}

/* Kafka's InsertField.makeUpdatedSchema: the struct's fields, then
 * topic, partition, offset, timestamp and static, optional unless
 * "name!". */
static samsa_err_t insert_struct(xform_t *x, const samsa_connect_record_t *in,
                                 samsa_connect_record_t *out, json_t *v,
                                 json_t *schema)
{
    json_t *ns = NULL, *nv = NULL;
    samsa_err_t err = copy_struct(x, schema, v, false, &ns, &nv);
    if (err == SAMSA_OK && x->topic_field) {
        err =
            put_field(x, ns, nv, x->topic_field,
                      xs_prim("string", x->topic_opt), json_string(in->topic));
    }
    if (err == SAMSA_OK && x->partition_field) {
        err = put_field(
            x, ns, nv, x->partition_field, xs_prim("int32", x->partition_opt),
            in->partition >= 0 ? json_integer(in->partition) : NULL);
    }
    if (err == SAMSA_OK && x->offset_field) {
        err = put_field(x, ns, nv, x->offset_field,
                        xs_prim("int64", x->offset_opt),
                        in->offset >= 0 ? json_integer(in->offset) : NULL);
    }
    if (err == SAMSA_OK && x->timestamp_field) {
        /* Kafka's Timestamp logical type: int64 milliseconds. */
        err = put_field(
            x, ns, nv, x->timestamp_field,
            json_pack("{s:s,s:b,s:s,s:i}", "type", "int64", "optional",
                      x->timestamp_opt, "name",
                      "org.apache.kafka.connect.data.Timestamp", "version", 1),
            in->timestamp >= 0 ? json_integer(in->timestamp) : NULL);
    }
    if (err == SAMSA_OK && x->static_field) {
        err = put_field(x, ns, nv, x->static_field,
                        xs_prim("string", x->static_opt),
                        x->static_value ? json_string(x->static_value) : NULL);
    }
    json_decref(v);
    json_decref(schema);
    return store_struct(x, out, nv, ns, x->type->key, err);
}

static samsa_err_t insert_apply(xform_t *x, const samsa_connect_record_t *in,
                                samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    samsa_err_t err;
    json_t *schema = NULL;
    json_t *v = load_object(x, in, "field insertion", &schema, &err);
    if (v == NULL) {
        json_decref(schema);
        return err; /* a tombstone passes, as in Kafka */
    }
    if (schema != NULL) {
        return insert_struct(x, in, out, v, schema);
    }
    if (x->topic_field) {
        json_object_set_new(v, x->topic_field, json_string(in->topic));
    }
    /* Kafka's Map path leaves out what the record does not have (a
     * source record's partition, a missing timestamp, no static.value). */
    if (x->partition_field && in->partition >= 0) {
        json_object_set_new(v, x->partition_field, json_integer(in->partition));
    }
    if (x->offset_field) {
        json_object_set_new(v, x->offset_field,
                            in->offset >= 0 ? json_integer(in->offset)
                                            : json_null());
    }
    if (x->timestamp_field && in->timestamp >= 0) {
        json_object_set_new(v, x->timestamp_field, json_integer(in->timestamp));
    }
    if (x->static_field && x->static_value) {
        json_object_set_new(v, x->static_field, json_string(x->static_value));
    }
    return xform_store(x, out, v, x->type->key);
}

/* ReplaceField
 * --------------------------------------------------------- */

static samsa_err_t replace_configure(xform_t *x, char *eb, size_t el)
{
    const char *excl = xform_get(x, "exclude") ? "exclude" : "blacklist";
    const char *incl = xform_get(x, "include") ? "include" : "whitelist";
    samsa_err_t err = xform_list(x, excl, x->fields, &x->nfields, eb, el);
    if (err == SAMSA_OK) {
        err = xform_list(x, incl, x->include, &x->ninclude, eb, el);
    }
    char *pairs[XFORM_MAX_FIELDS];
    size_t n = 0;
    if (err == SAMSA_OK) {
        err = xform_list(x, "renames", pairs, &n, eb, el);
    }
    for (size_t i = 0; i < n; i++) {
        char *colon = strchr(pairs[i], ':');
        if (err == SAMSA_OK &&
            (colon == NULL || colon == pairs[i] || colon[1] == '\0')) {
            snprintf(eb, el,
                     "Invalid value %s for configuration renames: Invalid "
                     "rename mapping",
                     pairs[i]);
            err = SAMSA_ERR_CONFIG;
        }
        if (err == SAMSA_OK) {
            *colon = '\0';
            x->rename_from[x->nrenames] = strdup(pairs[i]);
            x->rename_to[x->nrenames] = strdup(colon + 1);
            x->nrenames++;
        }
        free(pairs[i]);
    }
    return err;
}

/* Kafka's ReplaceField.makeUpdatedSchema: the kept fields in order,
 * renamed, with their schemas; the struct's name and doc kept. */
static samsa_err_t replace_struct(xform_t *x, samsa_connect_record_t *out,
                                  json_t *v, json_t *schema)
{
    json_t *ns = NULL, *nv = NULL;
    samsa_err_t err = copy_struct(x, schema, v, true, &ns, &nv);
    json_decref(v);
    json_decref(schema);
    return store_struct(x, out, nv, ns, x->type->key, err);
}

static samsa_err_t replace_apply(xform_t *x, const samsa_connect_record_t *in,
                                 samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    samsa_err_t err;
    json_t *schema = NULL;
    json_t *v = load_object(x, in, "field replacement", &schema, &err);
    if (v == NULL) {
        json_decref(schema);
        return err;
    }
    if (schema != NULL) {
        return replace_struct(x, out, v, schema);
    }
    json_t *r = json_object();
    const char *k;
    json_t *f;
    json_object_foreach(v, k, f)
    {
        if (kept(x, k)) {
            json_object_set(r, renamed(x, k), f);
        }
    }
    json_decref(v);
    return xform_store(x, out, r, x->type->key);
}

/* MaskField ------------------------------------------------------------ */

/* The required, non-empty "fields" list (MaskField, ValueToKey). */
static samsa_err_t fields_configure(xform_t *x, char *eb, size_t el)
{
    samsa_err_t err = xform_list(x, "fields", x->fields, &x->nfields, eb, el);
    if (err == SAMSA_OK && x->nfields == 0) {
        snprintf(eb, el,
                 "Missing required configuration \"fields\" which has no "
                 "default value.");
        err = SAMSA_ERR_CONFIG;
    }
    return err;
}

static samsa_err_t mask_configure(xform_t *x, char *eb, size_t el)
{
    samsa_err_t err = fields_configure(x, eb, el);
    if (err == SAMSA_OK) {
        err = xform_string(x, "replacement", NULL, false, &x->replacement, eb,
                           el);
    }
    return err;
}

/* The masked form of @p f: Kafka's type-specific "empty" value, or the
 * replacement read as the field's type; NULL if it cannot be. */
static json_t *masked(const xform_t *x, const json_t *f)
{
    const char *r = x->replacement;
    char *end = NULL;
    switch (json_typeof(f)) {
    case JSON_STRING:
        return json_string(r ? r : "");
    case JSON_INTEGER: {
        long long n = r ? strtoll(r, &end, 10) : 0;
        return r && (*end != '\0' || end == r) ? NULL : json_integer(n);
    }
    case JSON_REAL: {
        double d = r ? strtod(r, &end) : 0.0;
        return r && (*end != '\0' || end == r) ? NULL : json_real(d);
    }
    case JSON_TRUE:
    case JSON_FALSE:
        return json_boolean(r && strcmp(r, "true") == 0);
    case JSON_OBJECT:
        return r ? NULL : json_object();
    case JSON_ARRAY:
        return r ? NULL : json_array();
    default:
        return json_null();
    }
}

static samsa_err_t mask_apply(xform_t *x, const samsa_connect_record_t *in,
                              samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    samsa_err_t err;
    json_t *schema = NULL; /* unchanged, as in Kafka: *out keeps in's */
    json_t *v = load_object(x, in, "masking fields", &schema, &err);
    json_decref(schema);
    if (v == NULL) {
        return err;
    }
    for (size_t i = 0; i < x->nfields; i++) {
        json_t *f = json_object_get(v, x->fields[i]);
        if (f == NULL) {
            continue;
        }
        json_t *m = masked(x, f);
        if (m == NULL) {
            xform_fail(x, "cannot mask field %s of %s with replacement %s",
                       x->fields[i], what(f), x->replacement);
            json_decref(v);
            return SAMSA_ERR_INVAL;
        }
        json_object_set_new(v, x->fields[i], m);
    }
    return xform_store(x, out, v, x->type->key);
}

/* ValueToKey ----------------------------------------------------------- */

static samsa_err_t v2k_apply(xform_t *x, const samsa_connect_record_t *in,
                             samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    samsa_err_t err;
    json_t *schema = NULL;
    json_t *v =
        load_object(x, in, "copying fields from value to key", &schema, &err);
    if (v == NULL) {
        if (err == SAMSA_OK) {
            xform_fail(x, "a null value has no fields to copy to the key");
        }
        json_decref(schema);
        return SAMSA_ERR_INVAL;
    }
    /* Kafka's key schema: a plain struct of the value's fields, in the
     * order listed, with their schemas; none without a value schema. */
    json_t *ks = schema ? xs_struct(NULL) : NULL;
    json_t *k = json_object();
    err = k && (ks || !schema) ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (size_t i = 0; err == SAMSA_OK && i < x->nfields; i++) {
        json_t *f = json_object_get(v, x->fields[i]);
        const json_t *fs = schema ? xs_find(schema, x->fields[i]) : NULL;
        if (schema && fs == NULL) {
            xform_fail(x, "Field does not exist: %s", x->fields[i]);
            err = SAMSA_ERR_INVAL;
        } else if (schema) {
            err = put_field(x, ks, k, x->fields[i], json_incref((json_t *)fs),
                            json_incref(f));
        } else {
            json_object_set(k, x->fields[i], f ? f : json_null());
        }
    }
    json_decref(v);
    json_decref(schema);
    return store_struct(x, out, k, ks, true, err);
}

/* ExtractField, HoistField --------------------------------------------- */

static samsa_err_t field_configure(xform_t *x, char *eb, size_t el)
{
    return xform_string(x, "field", NULL, true, &x->field, eb, el);
}

static samsa_err_t extract_apply(xform_t *x, const samsa_connect_record_t *in,
                                 samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    samsa_err_t err;
    json_t *schema = NULL;
    json_t *v = load_object(x, in, "field extraction", &schema, &err);
    if (err != SAMSA_OK) {
        return err;
    }
    json_t *fs = NULL; /* the field's schema: the output's */
    if (schema != NULL) {
        const json_t *e =
            xs_is_struct(schema) ? xs_find(schema, x->field) : NULL;
        fs = e ? xs_field_schema(e) : NULL;
        json_decref(schema);
        if (fs == NULL) {
            xform_fail(x, "Unknown field: %s", x->field);
            json_decref(v);
            return SAMSA_ERR_INVAL;
        }
        err = xform_store_schema(x, out, fs, x->type->key);
    }
    if (v == NULL || err != SAMSA_OK) {
        json_decref(v);
        return err; /* null gives null */
    }
    json_t *f = json_incref(json_object_get(v, x->field));
    json_decref(v);
    return xform_store(x, out, json_is_null(f) ? (json_decref(f), NULL) : f,
                       x->type->key);
}

static samsa_err_t hoist_apply(xform_t *x, const samsa_connect_record_t *in,
                               samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    json_t *v = NULL, *schema = NULL;
    samsa_err_t err = xform_load(x, in, &v, &schema);
    if (err != SAMSA_OK) {
        return err;
    }
    if (schema == NULL) {
        return xform_store(x, out,
                           json_pack("{s:o}", x->field, v ? v : json_null()),
                           x->type->key);
    }
    /* Kafka: SchemaBuilder.struct().field(field, schema). */
    json_t *ns = xs_struct(NULL), *nv = json_object();
    err = ns && nv ? put_field(x, ns, nv, x->field, schema, v)
                   : (json_decref(schema), json_decref(v), SAMSA_ERR_NOMEM);
    return store_struct(x, out, nv, ns, x->type->key, err);
}

/* clang-format off */
const xform_type_t xform_field_types[] = {
    {"InsertField$Key", true, false, insert_configure, insert_apply, NULL},
    {"InsertField$Value", false, false, insert_configure, insert_apply, NULL},
    {"ReplaceField$Key", true, false, replace_configure, replace_apply, NULL},
    {"ReplaceField$Value", false, false, replace_configure, replace_apply, NULL},
    {"MaskField$Key", true, false, mask_configure, mask_apply, NULL},
    {"MaskField$Value", false, false, mask_configure, mask_apply, NULL},
    {"ValueToKey", false, false, fields_configure, v2k_apply, NULL},
    {"ExtractField$Key", true, false, field_configure, extract_apply, NULL},
    {"ExtractField$Value", false, false, field_configure, extract_apply, NULL},
    {"HoistField$Key", true, false, field_configure, hoist_apply, NULL},
    {"HoistField$Value", false, false, field_configure, hoist_apply, NULL},
    {NULL, false, false, NULL, NULL, NULL},
};
/* clang-format on */
