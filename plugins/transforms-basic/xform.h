/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/transforms-basic/xform.h - what the files of transforms-basic
 * share: one configured use (xform_t, made by create(), used by one task
 * thread at a time), the type table, and the JSON helpers. Records carry
 * JSON text (samsa/connect.h); jansson parses and writes it.
 */
#ifndef TRANSFORMS_BASIC_XFORM_H
#define TRANSFORMS_BASIC_XFORM_H

#include <regex.h>
#include <stdbool.h>

#include <jansson.h>
#include <samsa/connect.h>

typedef struct xform xform_t;

/* One transform or predicate class. */
typedef struct xform_type {
    const char *name; /* Kafka's simple class name, e.g. InsertField$Value */
    bool key;         /* the $Key variant: works on the key */
    bool predicate;
    /* Read the use's config into x; a one-line reason on failure. */
    samsa_err_t (*configure)(xform_t *x, char *errbuf, size_t errlen);
    samsa_err_t (*apply)(xform_t *x, const samsa_connect_record_t *in,
                         samsa_connect_record_t *out, bool *drop);
    samsa_err_t (*test)(xform_t *x, const samsa_connect_record_t *in,
                        bool *match);
} xform_type_t;

#define XFORM_MAX_FIELDS 64
#define XFORM_SCRATCH    6

struct xform {
    const samsa_services_t *svc;
    const xform_type_t *type;
    const samsa_connect_kv_t *config; /* only during configure() */
    uint64_t config_count;
    bool warned; /* the first failure is logged, not every one */
    /* Settings (which are used depends on the type). */
    char *field;
    char *topic_field, *partition_field, *offset_field, *timestamp_field;
    char *static_field, *static_value;
    /* InsertField's "name!" marks a required field in the schema. */
    bool topic_opt, partition_opt, offset_opt, timestamp_opt, static_opt;
    char *fields[XFORM_MAX_FIELDS]; /* fields / exclude */
    size_t nfields;
    char *include[XFORM_MAX_FIELDS];
    size_t ninclude;
    char *rename_from[XFORM_MAX_FIELDS], *rename_to[XFORM_MAX_FIELDS];
    size_t nrenames;
    char *replacement;
    char *format;    /* topic.format */
    char *ts_format; /* timestamp.format as strftime, %L for millis */
    regex_t re;
    bool has_re;
    /* What the last apply() allocated; freed by release(). */
    char *scratch[XFORM_SCRATCH];
};

extern const xform_type_t xform_field_types[];
extern const xform_type_t xform_router_types[];
extern const xform_type_t xform_filter_types[];

/* A setting of the use, or NULL. */
const char *xform_get(const xform_t *x, const char *key);
/* A copy of setting @p key (or @p def), into *out; a missing required
 * one is an error naming it. Kafka's "field!"/"field?" suffixes go. */
samsa_err_t xform_string(xform_t *x, const char *key, const char *def,
                         bool required, char **out, char *errbuf,
                         size_t errlen);
/* A comma-separated list setting into @p out (trimmed copies). */
samsa_err_t xform_list(xform_t *x, const char *key, char **out, size_t *n,
                       char *errbuf, size_t errlen);
/* Log why a record failed, once per use. */
void xform_fail(xform_t *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The operating value (key or value) of @p in, parsed; *out NULL for
 * null. SAMSA_ERR_INVAL if it is not JSON. @p schema (may be NULL): its
 * schema, parsed, or NULL for none (also from a host older than minor 7). */
samsa_err_t xform_load(xform_t *x, const samsa_connect_record_t *in,
                       json_t **out, json_t **schema);
/* Set the operating value of @p out to @p v (NULL: null); takes @p v. */
samsa_err_t xform_store(xform_t *x, samsa_connect_record_t *out, json_t *v,
                        bool key);
/* Set the key's or value's schema of @p out to @p s (NULL: none); takes
 * @p s. Nothing on a host older than minor 7 (it has no schemas). */
samsa_err_t xform_store_schema(xform_t *x, samsa_connect_record_t *out,
                               json_t *s, bool key);

/* Connect schemas (schema.c), as JSON in the JsonConverter's form. */
bool xs_is_struct(const json_t *s);
/* {"type":T,"optional":b} */
json_t *xs_prim(const char *type, bool optional);
/* A new required struct schema with the name, version, doc and
 * parameters of @p basics (may be NULL), no fields yet. */
json_t *xs_struct(const json_t *basics);
/* The entry of field @p name in struct schema @p st, or NULL. */
const json_t *xs_find(const json_t *st, const char *name);
/* A copy of a field entry without its "field" name: the field's schema. */
json_t *xs_field_schema(const json_t *entry);
/* Append field @p name with schema @p fschema (copied; a "field" key in
 * it is replaced); SAMSA_ERR_INVAL if the struct has that name already. */
samsa_err_t xs_add(json_t *st, const char *name, const json_t *fschema);
/* Keep @p s until release(); NULL when the scratch is full. */
char *xform_keep(xform_t *x, char *s);
/* Compile @p pattern to match whole strings (Java's matches()). */
samsa_err_t xform_regex(xform_t *x, const char *pattern, char *errbuf,
                        size_t errlen);

#endif /* TRANSFORMS_BASIC_XFORM_H */
