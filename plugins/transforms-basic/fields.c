/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/transforms-basic/fields.c - the field transforms, on the key
 * ($Key) or the value ($Value), schemaless as Kafka's Map path: they need
 * a JSON object (Kafka: "Only Map objects supported in absence of
 * schema"); a null passes through where Kafka lets it.
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

/* The operating value as an object (NULL with *err OK for null). */
static json_t *load_object(xform_t *x, const samsa_connect_record_t *in,
                           const char *purpose, samsa_err_t *err)
{
    json_t *v = NULL;
    *err = xform_load(x, in, &v);
    if (*err == SAMSA_OK && v != NULL && !json_is_object(v)) {
        xform_fail(x,
                   "only JSON objects are supported for [%s] (Kafka's Map "
                   "objects without a schema), found %s",
                   purpose, what(v));
        json_decref(v);
        v = NULL;
        *err = SAMSA_ERR_INVAL;
    }
    return v;
}

/* InsertField ---------------------------------------------------------- */

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

static samsa_err_t insert_apply(xform_t *x, const samsa_connect_record_t *in,
                                samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    samsa_err_t err;
    json_t *v = load_object(x, in, "field insertion", &err);
    if (v == NULL) {
        return err; /* a tombstone passes, as in Kafka */
    }
    if (x->topic_field) {
        json_object_set_new(v, x->topic_field, json_string(in->topic));
    }
    if (x->partition_field) {
        json_object_set_new(v, x->partition_field,
                            in->partition >= 0 ? json_integer(in->partition)
                                               : json_null());
    }
    if (x->offset_field) {
        json_object_set_new(v, x->offset_field,
                            in->offset >= 0 ? json_integer(in->offset)
                                            : json_null());
    }
    if (x->timestamp_field) {
        json_object_set_new(v, x->timestamp_field,
                            in->timestamp >= 0 ? json_integer(in->timestamp)
                                               : json_null());
    }
    if (x->static_field) {
        json_object_set_new(v, x->static_field,
                            x->static_value ? json_string(x->static_value)
                                            : json_null());
    }
    return xform_store(x, out, v, x->type->key);
}

/* ReplaceField --------------------------------------------------------- */

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

static bool listed(char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (l[i] != NULL && strcmp(l[i], s) == 0) {
            return true;
        }
    }
    return false;
}

static samsa_err_t replace_apply(xform_t *x, const samsa_connect_record_t *in,
                                 samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    samsa_err_t err;
    json_t *v = load_object(x, in, "field replacement", &err);
    if (v == NULL) {
        return err;
    }
    json_t *r = json_object();
    const char *k;
    json_t *f;
    json_object_foreach(v, k, f)
    {
        if (listed(x->fields, x->nfields, k) ||
            (x->ninclude > 0 && !listed(x->include, x->ninclude, k))) {
            continue;
        }
        const char *name = k;
        for (size_t i = 0; i < x->nrenames; i++) {
            if (x->rename_from[i] && strcmp(x->rename_from[i], k) == 0) {
                name = x->rename_to[i];
            }
        }
        json_object_set(r, name, f);
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
    json_t *v = load_object(x, in, "masking fields", &err);
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
    json_t *v = load_object(x, in, "copying fields from value to key", &err);
    if (v == NULL) {
        if (err == SAMSA_OK) {
            xform_fail(x, "a null value has no fields to copy to the key");
        }
        return SAMSA_ERR_INVAL;
    }
    json_t *k = json_object();
    for (size_t i = 0; i < x->nfields; i++) {
        json_t *f = json_object_get(v, x->fields[i]);
        json_object_set(k, x->fields[i], f ? f : json_null());
    }
    json_decref(v);
    return xform_store(x, out, k, true);
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
    json_t *v = load_object(x, in, "field extraction", &err);
    if (v == NULL) {
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
    json_t *v = NULL;
    samsa_err_t err = xform_load(x, in, &v);
    if (err != SAMSA_OK) {
        return err;
    }
    return xform_store(x, out,
                       json_pack("{s:o}", x->field, v ? v : json_null()),
                       x->type->key);
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
