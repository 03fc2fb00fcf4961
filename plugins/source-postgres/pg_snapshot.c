/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/source-postgres/pg_snapshot.c - see pg_snapshot.h. */
#include "pg_snapshot.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "pgoutput.h"

struct samsa_pgsnap {
    PGconn *conn;
    uint64_t lsn;
    PGresult *tables; /* schemaname, tablename of the publication */
    int next_table;   /* the table the cursor reads, or the next to open */
    int cursor_open;
    char **key_cols; /* the current table's replica identity columns */
    int nkeys;
};

static int fail(samsa_pgsnap_t *s, const char *what, char *errbuf,
                size_t errlen)
{
    snprintf(errbuf, errlen, "PostgreSQL snapshot: %s: %s", what,
             PQerrorMessage(s->conn));
    return -1;
}

/* Run a command that returns no rows. */
static int exec_ok(samsa_pgsnap_t *s, const char *sql, char *errbuf,
                   size_t errlen)
{
    PGresult *r = PQexec(s->conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : fail(s, sql, errbuf, errlen);
}

void samsa_pgsnap_end(samsa_pgsnap_t *s)
{
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < s->nkeys; i++) {
        free(s->key_cols[i]);
    }
    free(s->key_cols);
    PQclear(s->tables);
    if (s->conn != NULL) {
        PQclear(PQexec(s->conn, "COMMIT"));
        PQfinish(s->conn);
    }
    free(s);
}

samsa_pgsnap_t *samsa_pgsnap_begin(const char *url, const char *pub,
                                   const char *exported, uint64_t at,
                                   char *errbuf, size_t errlen)
{
    samsa_pgsnap_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *vals[] = {url, "samsa-source-postgres-snapshot", NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
        snprintf(errbuf, errlen, "cannot connect to PostgreSQL: %s",
                 s->conn ? PQerrorMessage(s->conn) : "out of memory");
        samsa_pgsnap_end(s);
        return NULL;
    }
    if (exec_ok(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", errbuf,
                errlen) != 0) {
        samsa_pgsnap_end(s);
        return NULL;
    }
    if (exported != NULL) {
        /* Must come before any query of the transaction. */
        char *lit = PQescapeLiteral(s->conn, exported, strlen(exported));
        char sql[256];
        int ok = lit && strlen(lit) < 200;
        if (ok) {
            snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT %s", lit);
        }
        PQfreemem(lit);
        if (!ok || exec_ok(s, sql, errbuf, errlen) != 0) {
            if (!ok) {
                fail(s, "quoting the snapshot name", errbuf, errlen);
            }
            samsa_pgsnap_end(s);
            return NULL;
        }
        s->lsn = at;
    } else {
        /* The first query takes the transaction's snapshot: the position
         * is read in it, the tables right after. */
        PGresult *r = PQexec(s->conn, "SELECT pg_current_wal_lsn()::text");
        unsigned hi = 0, lo = 0;
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
            sscanf(PQgetvalue(r, 0, 0), "%X/%X", &hi, &lo) != 2) {
            PQclear(r);
            fail(s, "pg_current_wal_lsn()", errbuf, errlen);
            samsa_pgsnap_end(s);
            return NULL;
        }
        PQclear(r);
        s->lsn = (uint64_t)hi << 32 | lo;
    }
    const char *params[] = {pub};
    s->tables = PQexecParams(s->conn,
                             "SELECT schemaname, tablename FROM "
                             "pg_publication_tables WHERE pubname = $1 "
                             "ORDER BY 1, 2",
                             1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(s->tables) != PGRES_TUPLES_OK) {
        fail(s, "the publication's tables", errbuf, errlen);
        samsa_pgsnap_end(s);
        return NULL;
    }
    return s;
}

uint64_t samsa_pgsnap_lsn(const samsa_pgsnap_t *s)
{
    return s->lsn;
}

/* The replica identity columns of @p regclass (the stream's key): its
 * REPLICA IDENTITY USING INDEX index, else the primary key. */
static int load_keys(samsa_pgsnap_t *s, const char *regclass, char *errbuf,
                     size_t errlen)
{
    for (int i = 0; i < s->nkeys; i++) {
        free(s->key_cols[i]);
    }
    free(s->key_cols);
    s->key_cols = NULL;
    s->nkeys = 0;
    const char *params[] = {regclass};
    PGresult *r = PQexecParams(
        s->conn,
        "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = "
        "i.indrelid JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
        "a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND "
        "((c.relreplident = 'i' AND i.indisreplident) OR "
        "(c.relreplident = 'd' AND i.indisprimary))",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return fail(s, "the table's key columns", errbuf, errlen);
    }
    int n = PQntuples(r);
    s->key_cols = calloc(n ? (size_t)n : 1, sizeof(*s->key_cols));
    for (int i = 0; s->key_cols && i < n; i++) {
        s->key_cols[i] = strdup(PQgetvalue(r, i, 0));
        s->nkeys += s->key_cols[i] != NULL;
    }
    PQclear(r);
    if (!s->key_cols || s->nkeys != n) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Declare the cursor over the next table. 0, or 1 when none is left. */
static int open_table(samsa_pgsnap_t *s, char *errbuf, size_t errlen)
{
    if (s->next_table >= PQntuples(s->tables)) {
        return 1;
    }
    const char *schema = PQgetvalue(s->tables, s->next_table, 0);
    const char *table = PQgetvalue(s->tables, s->next_table, 1);
    char *is = PQescapeIdentifier(s->conn, schema, strlen(schema));
    char *it = PQescapeIdentifier(s->conn, table, strlen(table));
    int rc = -1;
    if (is && it) {
        size_t len = strlen(is) + strlen(it) + 80;
        char *sql = malloc(len);
        char *rel = malloc(len);
        if (sql && rel) {
            snprintf(rel, len, "%s.%s", is, it);
            snprintf(sql, len,
                     "DECLARE samsa_snapshot NO SCROLL CURSOR FOR "
                     "SELECT * FROM %s",
                     rel);
            rc = load_keys(s, rel, errbuf, errlen);
            rc = rc == 0 ? exec_ok(s, sql, errbuf, errlen) : rc;
        } else {
            snprintf(errbuf, errlen, "out of memory");
        }
        free(sql);
        free(rel);
    } else {
        fail(s, "quoting a table name", errbuf, errlen);
    }
    PQfreemem(is);
    PQfreemem(it);
    s->cursor_open = rc == 0;
    return rc;
}

/* One fetched row -> key and row objects, handed to @p fn. */
static int row_out(samsa_pgsnap_t *s, PGresult *r, int row,
                   samsa_pgsnap_row_fn fn, void *arg)
{
    json_t *obj = json_object();
    json_t *key = json_object();
    int rc = obj && key ? 0 : -1;
    for (int c = 0; rc == 0 && c < PQnfields(r); c++) {
        const char *name = PQfname(r, c);
        json_t *v = PQgetisnull(r, row, c)
                        ? json_null()
                        : samsa_pgo_value((uint32_t)PQftype(r, c),
                                          PQgetvalue(r, row, c),
                                          (size_t)PQgetlength(r, row, c));
        if (v == NULL || json_object_set_new(obj, name, v) != 0) {
            rc = -1;
            break;
        }
        for (int k = 0; k < s->nkeys; k++) {
            if (strcmp(s->key_cols[k], name) == 0) {
                json_object_set(key, name, v);
            }
        }
    }
    if (rc == 0) {
        rc = fn(arg, PQgetvalue(s->tables, s->next_table, 0),
                PQgetvalue(s->tables, s->next_table, 1), key, obj);
    }
    json_decref(obj);
    json_decref(key);
    return rc;
}

int samsa_pgsnap_next(samsa_pgsnap_t *s, size_t max, samsa_pgsnap_row_fn fn,
                      void *arg, char *errbuf, size_t errlen)
{
    size_t given = 0;
    while (given < max) {
        if (!s->cursor_open) {
            int rc = open_table(s, errbuf, errlen);
            if (rc != 0) {
                return rc == 1 ? 0 : -1;
            }
        }
        size_t asked = max - given;
        char sql[64];
        snprintf(sql, sizeof(sql), "FETCH FORWARD %zu FROM samsa_snapshot",
                 asked);
        PGresult *r = PQexec(s->conn, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            PQclear(r);
            return fail(s, "FETCH", errbuf, errlen);
        }
        int n = PQntuples(r);
        for (int i = 0; i < n; i++) {
            if (row_out(s, r, i, fn, arg) != 0) {
                PQclear(r);
                snprintf(errbuf, errlen, "out of memory");
                return -1;
            }
        }
        PQclear(r);
        given += (size_t)n;
        if ((size_t)n < asked) {
            /* The table is done: on to the next one. */
            if (exec_ok(s, "CLOSE samsa_snapshot", errbuf, errlen) != 0) {
                return -1;
            }
            s->cursor_open = 0;
            s->next_table++;
        }
    }
    return s->next_table < PQntuples(s->tables) || s->cursor_open ? 1 : 0;
}
