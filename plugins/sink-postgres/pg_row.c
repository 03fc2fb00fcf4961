/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/sink-postgres/pg_row.c - see pg_row.h. */
#include "pg_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQL type of a Kafka Connect schema type. */
static const char *schema_type(const char *t)
{
    static const struct {
        const char *connect, *sql;
    } map[] = {
        {"int8", "SMALLINT"},   {"int16", "SMALLINT"},
        {"int32", "INTEGER"},   {"int64", "BIGINT"},
        {"float32", "REAL"},    {"float64", "DOUBLE PRECISION"},
        {"boolean", "BOOLEAN"}, {"string", "TEXT"},
        {"bytes", "BYTEA"},     {"struct", "JSONB"},
        {"array", "JSONB"},     {"map", "JSONB"},
    };
    for (size_t i = 0; t && i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].connect, t) == 0) {
            return map[i].sql;
        }
    }
    return "TEXT";
}

/* SQL type of a JSON value with no schema. */
static const char *value_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return "BIGINT";
    case JSON_REAL:
        return "DOUBLE PRECISION";
    case JSON_TRUE:
    case JSON_FALSE:
        return "BOOLEAN";
    case JSON_OBJECT:
    case JSON_ARRAY:
        return "JSONB";
    default:
        return "TEXT";
    }
}

/* A JSON value as a text parameter (NULL for null). */
static char *text_of(const json_t *v)
{
    if (v == NULL || json_is_null(v)) {
        return NULL;
    }
    if (json_is_string(v)) {
        return strdup(json_string_value(v));
    }
    if (json_is_true(v)) {
        return strdup("true");
    }
    if (json_is_false(v)) {
        return strdup("false");
    }
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The payload of Kafka Connect's envelope, and its schema's fields. */
static json_t *unwrap(json_t *doc, json_t **fields)
{
    *fields = NULL;
    json_t *schema = json_object_get(doc, "schema");
    json_t *payload = json_object_get(doc, "payload");
    if (json_is_object(doc) && json_object_size(doc) == 2 && payload != NULL &&
        (json_is_object(schema) || json_is_null(schema))) {
        *fields = json_object_get(schema, "fields");
        return payload;
    }
    return doc;
}

static const char *field_type(const json_t *fields, const char *name,
                              const json_t *v)
{
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        const char *n = json_string_value(json_object_get(f, "field"));
        if (n != NULL && strcmp(n, name) == 0) {
            return schema_type(json_string_value(json_object_get(f, "type")));
        }
    }
    return value_type(v);
}

static bool is_pk(const pg_row_conf_t *c, const char *name)
{
    for (size_t i = 0; i < c->npk; i++) {
        if (strcmp(c->pk_fields[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static samsa_err_t add_col(pg_row_t *row, const char *name, const char *type,
                           const json_t *v, bool pk, char *errbuf,
                           size_t errlen)
{
    for (size_t i = 0; i < row->ncols; i++) {
        if (strcmp(row->cols[i].name, name) == 0) {
            row->cols[i].pk = row->cols[i].pk || pk;
            return SAMSA_OK; /* key and value share it: the value's */
        }
    }
    if (row->ncols == PG_MAX_COLS) {
        snprintf(errbuf, errlen, "more than %d columns", PG_MAX_COLS);
        return SAMSA_ERR_INVAL;
    }
    pg_col_t *c = &row->cols[row->ncols++];
    c->name = name;
    c->type = type;
    c->value = text_of(v);
    c->pk = pk;
    return SAMSA_OK;
}

static json_t *parse(const void *p, uint64_t len)
{
    if (p == NULL) {
        return NULL;
    }
    json_t *v = json_loadb(p, (size_t)len, JSON_DECODE_ANY, NULL);
    return v ? v : json_stringn(p, (size_t)len); /* a plain string key */
}

samsa_err_t pg_row_read(const pg_row_conf_t *conf,
                        const samsa_connect_record_t *rec, pg_row_t *row,
                        char *errbuf, size_t errlen)
{
    memset(row, 0, sizeof(*row));
    row->key = parse(rec->key, rec->key_len);
    row->value = parse(rec->value, rec->value_len);
    json_t *vfields = NULL, *kfields = NULL;
    json_t *value = row->value ? unwrap(row->value, &vfields) : NULL;
    json_t *key = row->key ? unwrap(row->key, &kfields) : NULL;
    /* JsonConverter with schemas: the worker hands over the payload and
     * the envelope's schema (after the transforms) beside it. */
    if (SAMSA_ABI_HAS(samsa_connect_record_t, rec, value_schema)) {
        if (vfields == NULL && rec->value_schema != NULL) {
            row->value_schema = json_loads(rec->value_schema, 0, NULL);
            vfields = json_object_get(row->value_schema, "fields");
        }
        if (kfields == NULL && rec->key_schema != NULL) {
            row->key_schema = json_loads(rec->key_schema, 0, NULL);
            kfields = json_object_get(row->key_schema, "fields");
        }
    }
    row->tombstone = value == NULL || json_is_null(value);
    if (!row->tombstone && !json_is_object(value)) {
        snprintf(errbuf, errlen,
                 "the value is not a JSON object (a row needs fields)");
        return SAMSA_ERR_INVAL;
    }
    samsa_err_t err = SAMSA_OK;
    /* The value first: its schema types win over a bare key's. */
    const char *k;
    json_t *v;
    json_object_foreach(row->tombstone ? NULL : value, k, v)
    {
        if (err == SAMSA_OK) {
            err = add_col(row, k, field_type(vfields, k, v), v,
                          conf->pk_mode == PG_PK_RECORD_VALUE && is_pk(conf, k),
                          errbuf, errlen);
        }
    }
    if (conf->pk_mode == PG_PK_RECORD_KEY) {
        if (key == NULL || json_is_null(key)) {
            snprintf(errbuf, errlen, "pk.mode=record_key needs a key");
            return SAMSA_ERR_INVAL;
        }
        if (json_is_object(key) && conf->npk == 0) {
            /* No pk.fields: every field of the key. */
            const char *kk;
            json_t *kv;
            json_object_foreach(key, kk, kv)
            {
                if (err == SAMSA_OK) {
                    err = add_col(row, kk, field_type(kfields, kk, kv), kv,
                                  true, errbuf, errlen);
                }
            }
        } else if (json_is_object(key)) {
            for (size_t i = 0; err == SAMSA_OK && i < conf->npk; i++) {
                json_t *f = json_object_get(key, conf->pk_fields[i]);
                if (f == NULL) {
                    snprintf(errbuf, errlen, "the key has no field %s",
                             conf->pk_fields[i]);
                    return SAMSA_ERR_INVAL;
                }
                err = add_col(row, conf->pk_fields[i],
                              field_type(kfields, conf->pk_fields[i], f), f,
                              true, errbuf, errlen);
            }
        } else if (conf->npk != 1) {
            snprintf(errbuf, errlen,
                     "a primitive key needs pk.fields to name its one "
                     "column");
            return SAMSA_ERR_INVAL;
        } else {
            /* A primitive key: one column, named by pk.fields. */
            err = add_col(row, conf->pk_fields[0], value_type(key), key, true,
                          errbuf, errlen);
        }
    }
    if (err == SAMSA_OK && conf->pk_mode == PG_PK_RECORD_VALUE &&
        !row->tombstone) {
        for (size_t i = 0; i < conf->npk; i++) {
            if (json_object_get(value, conf->pk_fields[i]) == NULL) {
                snprintf(errbuf, errlen, "the value has no field %s",
                         conf->pk_fields[i]);
                return SAMSA_ERR_INVAL;
            }
        }
    }
    return err;
}

void pg_row_free(pg_row_t *row)
{
    for (size_t i = 0; i < row->ncols; i++) {
        free(row->cols[i].value);
    }
    json_decref(row->key);
    json_decref(row->value);
    json_decref(row->key_schema);
    json_decref(row->value_schema);
    memset(row, 0, sizeof(*row));
}
