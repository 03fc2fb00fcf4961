/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/sink-postgres/pg_row.h - one record as a table row: its columns
 * (name, SQL type, text value or NULL) from the value's JSON (Kafka
 * Connect's {"schema","payload"} envelope when it has one: the schema's
 * field types; otherwise types from the JSON values) and its key columns
 * per pk.mode. Used by one task thread; no shared state.
 */
#ifndef SINK_POSTGRES_PG_ROW_H
#define SINK_POSTGRES_PG_ROW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <samsa/connect.h>

#define PG_MAX_COLS 256

typedef enum pg_pk_mode {
    PG_PK_NONE = 0,
    PG_PK_RECORD_KEY = 1,
    PG_PK_RECORD_VALUE = 2,
} pg_pk_mode_t;

typedef struct pg_col {
    const char *name; /* borrowed from the row's JSON */
    const char *type; /* SQL type, static */
    char *value;      /* text for the parameter, NULL for SQL NULL */
    bool pk;
} pg_col_t;

typedef struct pg_row {
    json_t *key, *value; /* parsed (owned) */
    /* The record's schemas (ABI minor 7: the converter's, as the
     * transforms left them), parsed (owned); NULL without. */
    json_t *key_schema, *value_schema;
    bool tombstone; /* null value: a delete with delete.enabled */
    size_t ncols;
    pg_col_t cols[PG_MAX_COLS];
} pg_row_t;

typedef struct pg_row_conf {
    pg_pk_mode_t pk_mode;
    char **pk_fields; /* pk.fields; for a primitive key its column name */
    size_t npk;
} pg_row_conf_t;

/** Read @p rec into @p row (zeroed by the call). SAMSA_ERR_INVAL with a
 *  reason in errbuf when the record cannot be a row (not a JSON object,
 *  a key field missing, ...). */
samsa_err_t pg_row_read(const pg_row_conf_t *conf,
                        const samsa_connect_record_t *rec, pg_row_t *row,
                        char *errbuf, size_t errlen);
void pg_row_free(pg_row_t *row);

#endif /* SINK_POSTGRES_PG_ROW_H */
