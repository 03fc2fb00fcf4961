/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink-postgres: records to PostgreSQL tables with libpq, shaped like
 * Kafka Connect's JDBC sink (its keys where they overlap). Each put() is
 * one transaction: every record becomes an INSERT, an upsert (INSERT ...
 * ON CONFLICT (key) DO UPDATE) or, for a tombstone with delete.enabled, a
 * DELETE by key; the transaction commits before put() returns, so flush()
 * has nothing left and the worker commits the group only after PostgreSQL
 * has the rows. auto.create makes a missing table from the record's
 * fields (Kafka Connect's JSON schema when the value carries one, else
 * the JSON types), auto.evolve adds missing columns. A batch that fails
 * on a record is rolled back and written again record by record, each in
 * its own transaction, and a record PostgreSQL still refuses is reported
 * to the worker (dead-letter topic with errors.tolerance=all). A lost
 * connection is re-opened; put() then answers SAMSA_ERR_AGAIN and the
 * worker puts the same records again.
 *
 * Threads: one connection per task, used by its thread only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <samsa/connect.h>

#include "connect_setting.h"

#include "pg_row.h"

typedef struct pg_sink {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
} pg_sink_t;

struct samsa_connect_task {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    PGconn *conn;
    char *table_format; /* table.name.format, ${topic} replaced */
    bool upsert, auto_create, auto_evolve, delete_enabled;
    pg_row_conf_t rc;
    json_t *tables; /* table -> {column: true}, as PostgreSQL has them */
    samsa_err_t (*report)(void *, const samsa_connect_record_t *, const char *);
    void *report_ctx;
    char why[512]; /* the last failure */
};

/* A growing SQL string. */
typedef struct sql {
    char *s;
    size_t len, cap;
    bool nomem;
} sql_t;

static void sql_add(sql_t *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sql_add(sql_t *q, const char *fmt, ...)
{
    va_list ap;
    for (int pass = 0; pass < 2 && !q->nomem; pass++) {
        va_start(ap, fmt);
        int n = vsnprintf(q->s ? q->s + q->len : NULL,
                          q->s ? q->cap - q->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            q->nomem = true;
        } else if (q->s != NULL && q->len + (size_t)n < q->cap) {
            q->len += (size_t)n;
            return;
        } else {
            size_t cap = (q->len + (size_t)n + 1) * 2;
            char *p = realloc(q->s, cap);
            q->nomem = p == NULL;
            q->s = p ? p : q->s;
            q->cap = p ? cap : q->cap;
        }
    }
}

/* "name" quoted by libpq, added to @p q. */
static void sql_ident(sql_t *q, PGconn *c, const char *name)
{
    char *id = PQescapeIdentifier(c, name, strlen(name));
    if (id == NULL) {
        q->nomem = true;
        return;
    }
    sql_add(q, "%s", id);
    PQfreemem(id);
}

static samsa_err_t ps_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    pg_sink_t *ps = calloc(1, sizeof(*ps));
    if (ps == NULL) {
        snprintf(errbuf, errbuf_size, "sink-postgres: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    ps->svc = svc;
    ps->inst = inst;
    *state = ps;
    return SAMSA_OK;
}

static void ps_fini(void *state)
{
    free(state);
}

static bool flag(const samsa_connect_task_info_t *info, const char *key)
{
    return strcmp(samsa_connect_setting(info, key, "false"), "true") == 0;
}

static void task_free(samsa_connect_task_t *t)
{
    if (t->conn != NULL) {
        PQfinish(t->conn);
    }
    for (size_t i = 0; i < t->rc.npk; i++) {
        free(t->rc.pk_fields[i]);
    }
    free(t->rc.pk_fields);
    free(t->table_format);
    json_decref(t->tables);
    free(t);
}

/* pk.fields: a comma-separated list. */
static bool pk_fields(samsa_connect_task_t *t, const char *list)
{
    t->rc.pk_fields = calloc(strlen(list) / 2 + 2, sizeof(char *));
    char *copy = strdup(list);
    bool ok = t->rc.pk_fields != NULL && copy != NULL;
    char *save = NULL;
    for (char *f = ok ? strtok_r(copy, ",", &save) : NULL; ok && f;
         f = strtok_r(NULL, ",", &save)) {
        while (*f == ' ') {
            f++;
        }
        size_t n = strlen(f);
        while (n > 0 && f[n - 1] == ' ') {
            f[--n] = '\0';
        }
        if (n > 0) {
            t->rc.pk_fields[t->rc.npk] = strdup(f);
            ok = t->rc.pk_fields[t->rc.npk++] != NULL;
        }
    }
    free(copy);
    return ok;
}

static samsa_err_t configure(samsa_connect_task_t *t,
                             const samsa_connect_task_info_t *info,
                             char *errbuf, size_t errlen)
{
    const char *mode = samsa_connect_setting(info, "insert.mode", "insert");
    const char *pk = samsa_connect_setting(info, "pk.mode", "none");
    t->upsert = strcmp(mode, "upsert") == 0;
    t->auto_create = flag(info, "auto.create");
    t->auto_evolve = flag(info, "auto.evolve");
    t->delete_enabled = flag(info, "delete.enabled");
    t->rc.pk_mode = strcmp(pk, "record_key") == 0     ? PG_PK_RECORD_KEY
                    : strcmp(pk, "record_value") == 0 ? PG_PK_RECORD_VALUE
                                                      : PG_PK_NONE;
    if (!t->upsert && strcmp(mode, "insert") != 0) {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration insert.mode: insert or "
                 "upsert",
                 mode);
    } else if (t->rc.pk_mode == PG_PK_NONE && strcmp(pk, "none") != 0) {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration pk.mode: none, "
                 "record_key or record_value",
                 pk);
    } else if (!pk_fields(t, samsa_connect_setting(info, "pk.fields", ""))) {
        snprintf(errbuf, errlen, "out of memory");
    } else if (t->upsert && t->rc.pk_mode == PG_PK_NONE) {
        snprintf(errbuf, errlen, "insert.mode=upsert needs a pk.mode");
    } else if (t->delete_enabled && t->rc.pk_mode != PG_PK_RECORD_KEY) {
        snprintf(errbuf, errlen, "delete.enabled needs pk.mode=record_key");
    } else if (t->rc.pk_mode == PG_PK_RECORD_VALUE && t->rc.npk == 0) {
        snprintf(errbuf, errlen, "pk.mode=record_value needs pk.fields");
    } else {
        t->table_format = strdup(
            samsa_connect_setting(info, "table.name.format", "${topic}"));
        return t->table_format ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    return SAMSA_ERR_CONFIG;
}

static samsa_err_t ps_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **out, char *errbuf,
                                 size_t errlen)
{
    pg_sink_t *ps = state;
    const char *url = samsa_connect_setting(info, "connection.url", NULL);
    if (url == NULL || url[0] == '\0') {
        snprintf(errbuf, errlen, "PostgresSink needs connection.url");
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_task_t *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    t->svc = ps->svc;
    t->inst = ps->inst;
    t->tables = json_object();
    samsa_err_t err =
        t->tables ? configure(t, info, errbuf, errlen) : SAMSA_ERR_NOMEM;
    if (err == SAMSA_OK) {
        /* Kafka's JDBC URLs work: libpq reads the rest as a URI. */
        if (strncmp(url, "jdbc:", 5) == 0) {
            url += 5;
        }
        const char *keys[] = {"dbname", "user", "password", "application_name",
                              NULL};
        const char *vals[] = {
            url, samsa_connect_setting(info, "connection.user", NULL),
            samsa_connect_setting(info, "connection.password", NULL),
            "samsa-sink-postgres", NULL};
        t->conn = PQconnectdbParams(keys, vals, 1);
        if (t->conn == NULL || PQstatus(t->conn) != CONNECTION_OK) {
            snprintf(errbuf, errlen, "cannot connect to PostgreSQL: %s",
                     t->conn ? PQerrorMessage(t->conn) : "out of memory");
            err = SAMSA_ERR_IO;
        }
    }
    if (err != SAMSA_OK) {
        task_free(t);
        return err;
    }
    if (SAMSA_ABI_HAS(samsa_connect_task_info_t, info, report_ctx)) {
        t->report = info->report;
        t->report_ctx = info->report_ctx;
    }
    *out = t;
    return SAMSA_OK;
}

/* ------------------------------------------------------------------ */
/* SQL                                                                  */
/* ------------------------------------------------------------------ */

typedef enum outcome {
    OK = 0,
    RECORD_FAILED = 1, /* the record's fault: roll back, report it */
    CONN_FAILED = 2,   /* PostgreSQL's: roll back, put() again later */
    NOMEM = 3,
} outcome_t;

/* Run @p sql with text parameters; the failure's message in t->why. */
static outcome_t run(samsa_connect_task_t *t, const char *sql, int n,
                     const char *const *params)
{
    PGresult *r = PQexecParams(t->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    outcome_t o = OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(t->why, sizeof(t->why), "%s",
                 r ? PQresultErrorMessage(r) : PQerrorMessage(t->conn));
        size_t l = strlen(t->why);
        while (l > 0 && (t->why[l - 1] == '\n' || t->why[l - 1] == ' ')) {
            t->why[--l] = '\0';
        }
        o = PQstatus(t->conn) == CONNECTION_OK ? RECORD_FAILED : CONN_FAILED;
    }
    PQclear(r);
    return o;
}

/* The columns PostgreSQL has for @p table (cached; empty: no table). */
static json_t *columns(samsa_connect_task_t *t, const char *table, outcome_t *o)
{
    json_t *cols = json_object_get(t->tables, table);
    if (cols != NULL) {
        return cols;
    }
    const char *params[] = {table};
    PGresult *r = PQexecParams(t->conn,
                               "SELECT column_name FROM "
                               "information_schema.columns WHERE "
                               "table_schema = current_schema() AND "
                               "table_name = $1",
                               1, NULL, params, NULL, NULL, 0);
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(t->why, sizeof(t->why), "%s", PQerrorMessage(t->conn));
        *o = PQstatus(t->conn) == CONNECTION_OK ? RECORD_FAILED : CONN_FAILED;
        PQclear(r);
        return NULL;
    }
    cols = json_object();
    for (int i = 0; cols && i < PQntuples(r); i++) {
        json_object_set_new(cols, PQgetvalue(r, i, 0), json_true());
    }
    PQclear(r);
    json_object_set_new(t->tables, table, cols);
    return cols;
}

/* Make @p table have the row's columns (auto.create, auto.evolve). */
static outcome_t ensure_table(samsa_connect_task_t *t, const char *table,
                              const pg_row_t *row)
{
    outcome_t o = OK;
    json_t *cols = columns(t, table, &o);
    if (cols == NULL) {
        return o;
    }
    sql_t q = {0};
    if (json_object_size(cols) == 0) {
        if (!t->auto_create) {
            snprintf(t->why, sizeof(t->why),
                     "table %s does not exist (auto.create=false)", table);
            return RECORD_FAILED;
        }
        sql_add(&q, "CREATE TABLE IF NOT EXISTS ");
        sql_ident(&q, t->conn, table);
        sql_add(&q, " (");
        size_t npk = 0;
        for (size_t i = 0; i < row->ncols; i++) {
            sql_add(&q, "%s", i ? ", " : "");
            sql_ident(&q, t->conn, row->cols[i].name);
            sql_add(&q, " %s%s", row->cols[i].type,
                    row->cols[i].pk ? " NOT NULL" : "");
            npk += row->cols[i].pk;
        }
        if (npk > 0) {
            sql_add(&q, ", PRIMARY KEY (");
            for (size_t i = 0, k = 0; i < row->ncols; i++) {
                if (row->cols[i].pk) {
                    sql_add(&q, "%s", k++ ? ", " : "");
                    sql_ident(&q, t->conn, row->cols[i].name);
                }
            }
            sql_add(&q, ")");
        }
        sql_add(&q, ")");
    } else {
        for (size_t i = 0; i < row->ncols; i++) {
            if (json_object_get(cols, row->cols[i].name) != NULL) {
                continue;
            }
            if (!t->auto_evolve) {
                snprintf(t->why, sizeof(t->why),
                         "table %s has no column %s (auto.evolve=false)", table,
                         row->cols[i].name);
                free(q.s);
                return RECORD_FAILED;
            }
            sql_add(&q, "%s", q.len ? ", " : "ALTER TABLE ");
            if (q.len == strlen("ALTER TABLE ")) {
                sql_ident(&q, t->conn, table);
                sql_add(&q, " ");
            }
            sql_add(&q, "ADD COLUMN IF NOT EXISTS ");
            sql_ident(&q, t->conn, row->cols[i].name);
            sql_add(&q, " %s", row->cols[i].type);
        }
    }
    if (q.nomem) {
        free(q.s);
        return NOMEM;
    }
    if (q.s != NULL) {
        o = run(t, q.s, 0, NULL);
        free(q.s);
        if (o == OK) {
            for (size_t i = 0; i < row->ncols; i++) {
                json_object_set_new(cols, row->cols[i].name, json_true());
            }
        }
    }
    return o;
}

/* table.name.format with ${topic} replaced. */
static char *table_of(const samsa_connect_task_t *t, const char *topic)
{
    sql_t q = {0};
    for (const char *p = t->table_format; *p;) {
        if (strncmp(p, "${topic}", 8) == 0) {
            sql_add(&q, "%s", topic);
            p += 8;
        } else {
            sql_add(&q, "%c", *p++);
        }
    }
    if (q.nomem) {
        free(q.s);
        return NULL;
    }
    return q.s ? q.s : strdup("");
}

/* DELETE FROM table WHERE key = ... */
static outcome_t delete_row(samsa_connect_task_t *t, const char *table,
                            const pg_row_t *row)
{
    outcome_t o = OK;
    json_t *cols = columns(t, table, &o);
    if (cols == NULL || json_object_size(cols) == 0) {
        return o; /* no table: nothing to delete */
    }
    sql_t q = {0};
    const char *params[PG_MAX_COLS];
    int n = 0;
    sql_add(&q, "DELETE FROM ");
    sql_ident(&q, t->conn, table);
    for (size_t i = 0; i < row->ncols; i++) {
        sql_add(&q, n ? " AND " : " WHERE ");
        sql_ident(&q, t->conn, row->cols[i].name);
        sql_add(&q, " = $%d", n + 1);
        params[n++] = row->cols[i].value;
    }
    o = q.nomem ? NOMEM : run(t, q.s, n, params);
    free(q.s);
    return o;
}

/* INSERT, or upsert on the key columns. */
static outcome_t write_row(samsa_connect_task_t *t, const char *table,
                           const pg_row_t *row)
{
    outcome_t o = ensure_table(t, table, row);
    if (o != OK) {
        return o;
    }
    sql_t q = {0};
    const char *params[PG_MAX_COLS];
    sql_add(&q, "INSERT INTO ");
    sql_ident(&q, t->conn, table);
    sql_add(&q, " (");
    for (size_t i = 0; i < row->ncols; i++) {
        sql_add(&q, "%s", i ? ", " : "");
        sql_ident(&q, t->conn, row->cols[i].name);
        params[i] = row->cols[i].value;
    }
    sql_add(&q, ") VALUES (");
    for (size_t i = 0; i < row->ncols; i++) {
        sql_add(&q, "%s$%zu", i ? ", " : "", i + 1);
    }
    sql_add(&q, ")");
    if (t->upsert) {
        sql_add(&q, " ON CONFLICT (");
        for (size_t i = 0, k = 0; i < row->ncols; i++) {
            if (row->cols[i].pk) {
                sql_add(&q, "%s", k++ ? ", " : "");
                sql_ident(&q, t->conn, row->cols[i].name);
            }
        }
        size_t set = 0;
        for (size_t i = 0; i < row->ncols; i++) {
            if (!row->cols[i].pk) {
                sql_add(&q, "%s", set++ ? ", " : ") DO UPDATE SET ");
                sql_ident(&q, t->conn, row->cols[i].name);
                sql_add(&q, " = EXCLUDED.");
                sql_ident(&q, t->conn, row->cols[i].name);
            }
        }
        if (set == 0) {
            sql_add(&q, ") DO NOTHING");
        }
    }
    o = q.nomem ? NOMEM : run(t, q.s, (int)row->ncols, params);
    free(q.s);
    return o;
}

static outcome_t write_one(samsa_connect_task_t *t,
                           const samsa_connect_record_t *rec)
{
    pg_row_t row;
    if (pg_row_read(&t->rc, rec, &row, t->why, sizeof(t->why)) != SAMSA_OK) {
        pg_row_free(&row);
        return RECORD_FAILED;
    }
    char *table = table_of(t, rec->topic);
    outcome_t o = table == NULL ? NOMEM : OK;
    if (o == OK && row.tombstone) {
        if (t->delete_enabled) {
            o = delete_row(t, table, &row);
        } /* else: Kafka's JDBC sink ignores tombstones */
    } else if (o == OK) {
        o = write_row(t, table, &row);
    }
    free(table);
    pg_row_free(&row);
    return o;
}

/* Records [from, to) in one transaction. */
static outcome_t write_tx(samsa_connect_task_t *t,
                          const samsa_connect_record_t *const *recs,
                          size_t from, size_t to, size_t *failed_at)
{
    outcome_t o = run(t, "BEGIN", 0, NULL);
    size_t i = from;
    for (; o == OK && i < to; i++) {
        o = write_one(t, recs[i]);
    }
    if (o == OK) {
        o = run(t, "COMMIT", 0, NULL);
        return o == RECORD_FAILED ? CONN_FAILED : o; /* commit lost */
    }
    *failed_at = i - 1;
    if (PQstatus(t->conn) == CONNECTION_OK) {
        PGresult *r = PQexec(t->conn, "ROLLBACK");
        PQclear(r);
    }
    /* What DDL the transaction made is gone with it: forget the cache. */
    json_object_clear(t->tables);
    return o;
}

static samsa_err_t ps_put(samsa_connect_task_t *t,
                          const samsa_connect_record_t *const *recs,
                          size_t count)
{
    if (PQstatus(t->conn) != CONNECTION_OK) {
        PQreset(t->conn);
        if (PQstatus(t->conn) != CONNECTION_OK) {
            t->svc->log(t->inst, SAMSA_LOG_WARN,
                        "PostgreSQL connection lost: %s",
                        PQerrorMessage(t->conn));
            return SAMSA_ERR_AGAIN;
        }
    }
    size_t failed_at = 0;
    outcome_t o = write_tx(t, recs, 0, count, &failed_at);
    if (o == RECORD_FAILED) {
        /* Again one record per transaction; report what still fails. */
        for (size_t i = 0; i < count; i++) {
            o = write_tx(t, recs, i, i + 1, &failed_at);
            if (o == RECORD_FAILED) {
                samsa_err_t err =
                    t->report ? t->report(t->report_ctx, recs[i], t->why)
                              : SAMSA_ERR_INVAL;
                if (err != SAMSA_OK) {
                    return err;
                }
                o = OK;
            }
            if (o != OK) {
                break;
            }
        }
    }
    if (o == CONN_FAILED) {
        t->svc->log(t->inst, SAMSA_LOG_WARN, "PostgreSQL: %s", t->why);
        return SAMSA_ERR_AGAIN;
    }
    return o == NOMEM ? SAMSA_ERR_NOMEM : SAMSA_OK;
}

static samsa_err_t ps_flush(samsa_connect_task_t *t)
{
    (void)t; /* put() commits before it returns */
    return SAMSA_OK;
}

static void ps_task_stop(samsa_connect_task_t *t)
{
    task_free(t);
}

static const samsa_option_t ps_options[] = {
    SAMSA_OPTION_LIST("connector_classes",
                      "[PostgresSink, JdbcSinkConnector, "
                      "io.confluent.connect.jdbc.JdbcSinkConnector]",
                      "connector.class values this plugin answers to."),
    SAMSA_OPTION_END,
};

static const samsa_sink_ops_t ps_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_sink_ops_t),
    .task_start = ps_task_start,
    .put = ps_put,
    .flush = ps_flush,
    .task_stop = ps_task_stop,
};

static const samsa_plugin_t ps_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SINK,
    .name = "sink-postgres",
    .version = "0.1.0",
    .summary = "records to PostgreSQL tables (libpq): insert, upsert, delete",
    .options = ps_options,
    .init = ps_init,
    .fini = ps_fini,
    .ops = &ps_ops,
};

SAMSA_PLUGIN_DECLARE(ps_desc)
