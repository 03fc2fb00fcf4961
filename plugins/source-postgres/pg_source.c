/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-postgres: change data capture from PostgreSQL by logical
 * replication with the pgoutput plugin (built into PostgreSQL >= 10), in
 * the shape of Debezium's PostgreSQL connector: each inserted, updated or
 * deleted row becomes one record in the topic <topic.prefix>.<schema>.<table>,
 * keyed by the row's primary key ({"id":1}), valued
 * {"before":...,"after":...,"op":"c|u|d","ts_ms":...,"source":{...,"lsn":...}}.
 *
 * Positions: a transaction's events are handed to the worker only once its
 * Commit message arrived; the last event of a transaction carries the
 * source offset {"lsn": <end of the commit record>}, the others the
 * previous transaction's, so whatever prefix of a poll the worker stores,
 * a restart resumes at a transaction boundary (START_REPLICATION from the
 * stored LSN skips what committed before it). The replication slot is told
 * an LSN is flushed (standby status update) only in commit(), after the
 * worker stored the offsets, so PostgreSQL keeps the WAL a restart needs.
 * At least once: a kill between produce and offset store replays at most
 * the transactions after the last stored offset.
 *
 * Task settings: connection.url (libpq URI or conninfo, Kafka's "jdbc:"
 * prefix accepted), topic.prefix, slot.name, publication.name,
 * table.include.list, tombstones.on.delete. See README.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include <samsa/connect.h>

#include "connect_setting.h"
#include "pg_snapshot.h"
#include "pgoutput.h"

/* Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define PG_EPOCH_US     946684800000000LL
#define STATUS_EVERY_MS 10000
/* Snapshot rows read per poll. */
#define SNAPSHOT_BATCH 1000

typedef struct pg_source {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
} pg_source_t;

typedef struct ev {
    char *topic, *key, *value; /* value NULL: a tombstone */
    int snap; /* a snapshot row: 1; the snapshot's last: 2; else 0 */
} ev_t;

typedef struct ev_list {
    ev_t *v;
    size_t n, cap;
} ev_list_t;

struct samsa_connect_task {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    PGconn *conn;
    samsa_pgo_t *dec;
    samsa_pgsnap_t *snap; /* the initial snapshot, while it runs */
    int streaming;        /* START_REPLICATION done */
    char *prefix, *partition, *dbname, *slot, *pub;
    int tombstones;
    uint64_t received; /* highest WAL position seen in the stream */
    uint64_t flushed;  /* highest commit end the worker stored */
    uint64_t handed;   /* end LSN of the last transaction poll() handed out */
    uint32_t xid;
    int in_tx; /* between a Begin and its Commit */
    uint64_t tx_lsn;
    int64_t last_status_ms;
    ev_list_t tx;    /* events of the open transaction */
    ev_list_t ready; /* whole transactions, waiting for poll() */
    size_t ready_head;
    /* ready entries [0, tx_last) end transactions whose end LSN is in
     * ends[] (parallel to ready): 0 when not the last of its transaction */
    uint64_t *ends;
    size_t ends_cap;
    /* The last poll's records. */
    samsa_connect_record_t **recs;
    samsa_connect_record_t *rec_store;
    char (*offsets)[64];
    size_t nrecs;
};

static char *lsn_text(uint64_t lsn, char *buf, size_t len)
{
    snprintf(buf, len, "%X/%X", (unsigned)(lsn >> 32), (unsigned)lsn);
    return buf;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ev_push(ev_list_t *l, char *topic, char *key, char *value)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ev_t *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (ev_t){topic, key, value, 0};
    return 0;
}

static void ev_clear(ev_t *e)
{
    free(e->topic);
    free(e->key);
    free(e->value);
}

static void list_free(ev_list_t *l, size_t from)
{
    for (size_t i = from; i < l->n; i++) {
        ev_clear(&l->v[i]);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Standby status update ('r'): written = everything received, flushed and
 * applied = what the worker stored. */
static int send_status(samsa_connect_task_t *t, int reply)
{
    unsigned char m[34];
    uint64_t vals[4] = {t->received, t->flushed, t->flushed,
                        (uint64_t)(now_ms() * 1000 - PG_EPOCH_US)};
    m[0] = 'r';
    for (int i = 0; i < 4; i++) {
        for (int b = 0; b < 8; b++) {
            m[1 + i * 8 + b] = (unsigned char)(vals[i] >> (56 - 8 * b));
        }
    }
    m[33] = (unsigned char)reply;
    t->last_status_ms = t->svc->monotonic_ms();
    if (PQputCopyData(t->conn, (const char *)m, sizeof(m)) != 1 ||
        PQflush(t->conn) != 0) {
        return -1;
    }
    return 0;
}

static void task_free(samsa_connect_task_t *t)
{
    if (t->conn != NULL) {
        PQfinish(t->conn);
    }
    samsa_pgsnap_end(t->snap);
    samsa_pgo_free(t->dec);
    list_free(&t->tx, 0);
    list_free(&t->ready, t->ready_head);
    free(t->ends);
    free(t->prefix);
    free(t->partition);
    free(t->dbname);
    free(t->slot);
    free(t->pub);
    free(t->recs);
    free(t->rec_store);
    free(t->offsets);
    free(t);
}

/* Run @p sql on the replication connection (simple query protocol: a
 * walsender takes no parameters). Returns the result or NULL. */
static PGresult *run(samsa_connect_task_t *t, const char *sql,
                     ExecStatusType want, char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(t->conn, sql);
    if (PQresultStatus(res) != want) {
        snprintf(errbuf, errlen, "PostgreSQL: %s: %s", sql,
                 PQerrorMessage(t->conn));
        PQclear(res);
        return NULL;
    }
    return res;
}

/* "a.b,c" -> "a.b", "c" as quoted identifiers, comma separated. */
static char *quoted_tables(PGconn *c, const char *list)
{
    size_t cap = strlen(list) * 3 + 16;
    char *out = calloc(1, cap);
    char *copy = strdup(list);
    if (out == NULL || copy == NULL) {
        free(out);
        free(copy);
        return NULL;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') {
            tok++;
        }
        char *dot = strchr(tok, '.');
        if (dot) {
            *dot = '\0';
        }
        char *a = PQescapeIdentifier(c, tok, strlen(tok));
        char *b = dot ? PQescapeIdentifier(c, dot + 1, strlen(dot + 1)) : NULL;
        size_t need =
            strlen(out) + (a ? strlen(a) : 0) + (b ? strlen(b) : 0) + 4;
        if (a == NULL || (dot && b == NULL) || need > cap) {
            PQfreemem(a);
            PQfreemem(b);
            free(out);
            free(copy);
            return NULL;
        }
        if (out[0]) {
            strcat(out, ",");
        }
        strcat(out, a);
        if (b) {
            strcat(out, ".");
            strcat(out, b);
        }
        PQfreemem(a);
        PQfreemem(b);
    }
    free(copy);
    return out;
}

/* The publication and the slot, created when missing (the publication
 * first: pgoutput reads it as of the slot's start). A slot created for a
 * snapshot (@p exported not NULL) exports the snapshot of its consistent
 * point: *exported gets its name (malloc'd) and *at the point, and the
 * snapshot read as of exactly there overlaps the stream in nothing. It
 * stays importable until the next command on this connection. */
static int ensure_slot(samsa_connect_task_t *t, const char *slot,
                       const char *pub, const char *tables, char **exported,
                       uint64_t *at, char *errbuf, size_t errlen)
{
    char sql[1024];
    char *lpub = PQescapeLiteral(t->conn, pub, strlen(pub));
    char *ipub = PQescapeIdentifier(t->conn, pub, strlen(pub));
    char *lslot = PQescapeLiteral(t->conn, slot, strlen(slot));
    char *islot = PQescapeIdentifier(t->conn, slot, strlen(slot));
    char *tl = tables ? quoted_tables(t->conn, tables) : NULL;
    int rc = -1;
    PGresult *res = NULL;
    if (!lpub || !ipub || !lslot || !islot || (tables && !tl) ||
        strlen(ipub) + strlen(islot) + (tl ? strlen(tl) : 0) + 200 >
            sizeof(sql)) {
        snprintf(errbuf, errlen,
                 "bad slot.name, publication.name or "
                 "table.include.list");
        goto out;
    }
    snprintf(sql, sizeof(sql),
             "SELECT 1 FROM pg_publication WHERE pubname = %s", lpub);
    if ((res = run(t, sql, PGRES_TUPLES_OK, errbuf, errlen)) == NULL) {
        goto out;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (tl) {
            snprintf(sql, sizeof(sql), "CREATE PUBLICATION %s FOR TABLE %s",
                     ipub, tl);
        } else {
            snprintf(sql, sizeof(sql), "CREATE PUBLICATION %s FOR ALL TABLES",
                     ipub);
        }
        if ((res = run(t, sql, PGRES_COMMAND_OK, errbuf, errlen)) == NULL) {
            goto out;
        }
    }
    PQclear(res);
    snprintf(sql, sizeof(sql),
             "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", lslot);
    if ((res = run(t, sql, PGRES_TUPLES_OK, errbuf, errlen)) == NULL) {
        goto out;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        snprintf(sql, sizeof(sql),
                 "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput %s", islot,
                 exported ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
        if ((res = run(t, sql, PGRES_TUPLES_OK, errbuf, errlen)) == NULL) {
            goto out;
        }
        /* slot_name, consistent_point, snapshot_name, output_plugin */
        unsigned hi = 0, lo = 0;
        if (exported && PQntuples(res) == 1 && PQnfields(res) >= 3 &&
            !PQgetisnull(res, 0, 2) &&
            sscanf(PQgetvalue(res, 0, 1), "%X/%X", &hi, &lo) == 2) {
            *exported = strdup(PQgetvalue(res, 0, 2));
            *at = (uint64_t)hi << 32 | lo;
        }
    }
    PQclear(res);
    rc = 0;
out:
    PQfreemem(lpub);
    PQfreemem(ipub);
    PQfreemem(lslot);
    PQfreemem(islot);
    free(tl);
    return rc;
}

/* Stream the slot from the stored position (0: the slot's own). */
static int start_stream(samsa_connect_task_t *t, char *errbuf, size_t errlen)
{
    char *lpub = PQescapeLiteral(t->conn, t->pub, strlen(t->pub));
    char *islot = PQescapeIdentifier(t->conn, t->slot, strlen(t->slot));
    int rc = -1;
    size_t len = (lpub ? strlen(lpub) : 0) + (islot ? strlen(islot) : 0) + 128;
    char *sql = lpub && islot ? malloc(len) : NULL;
    if (sql == NULL) {
        snprintf(errbuf, errlen, "bad slot.name or publication.name");
    } else {
        snprintf(sql, len,
                 "START_REPLICATION SLOT %s LOGICAL %X/%X (proto_version "
                 "'1', publication_names %s)",
                 islot, (unsigned)(t->flushed >> 32), (unsigned)t->flushed,
                 lpub);
        PGresult *res = run(t, sql, PGRES_COPY_BOTH, errbuf, errlen);
        rc = res ? 0 : -1;
        PQclear(res);
    }
    free(sql);
    PQfreemem(lpub);
    PQfreemem(islot);
    t->streaming = rc == 0;
    t->last_status_ms = t->svc->monotonic_ms();
    return rc;
}

static samsa_err_t pg_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **out, char *errbuf,
                                 size_t errlen)
{
    const pg_source_t *ps = state;
    const samsa_services_t *svc = ps->svc;
    const char *url = samsa_connect_setting(info, "connection.url", NULL);
    const char *prefix =
        samsa_connect_setting(info, "topic.prefix", "postgres");
    const char *slot = samsa_connect_setting(info, "slot.name", "samsa");
    const char *pub =
        samsa_connect_setting(info, "publication.name", "samsa_publication");
    const char *tables =
        samsa_connect_setting(info, "table.include.list", NULL);
    const char *plugin = samsa_connect_setting(info, "plugin.name", "pgoutput");
    const char *tomb =
        samsa_connect_setting(info, "tombstones.on.delete", "true");
    const char *snapshot_mode =
        samsa_connect_setting(info, "snapshot.mode", "initial");
    if (url == NULL || url[0] == '\0') {
        snprintf(errbuf, errlen, "PostgresSource needs connection.url");
        return SAMSA_ERR_CONFIG;
    }
    if (strcmp(plugin, "pgoutput") != 0) {
        snprintf(errbuf, errlen, "plugin.name: only pgoutput is supported");
        return SAMSA_ERR_CONFIG;
    }
    if (prefix[0] == '\0' || slot[0] == '\0' || pub[0] == '\0' ||
        (strcmp(tomb, "true") != 0 && strcmp(tomb, "false") != 0)) {
        snprintf(errbuf, errlen,
                 "topic.prefix, slot.name and "
                 "publication.name must not be empty, "
                 "tombstones.on.delete is true or false");
        return SAMSA_ERR_CONFIG;
    }
    if (strcmp(snapshot_mode, "initial") != 0 &&
        strcmp(snapshot_mode, "never") != 0 &&
        strcmp(snapshot_mode, "no_data") != 0) {
        snprintf(errbuf, errlen,
                 "snapshot.mode is initial, no_data or never (got '%s')",
                 snapshot_mode);
        return SAMSA_ERR_CONFIG;
    }
    if (tables != NULL && tables[0] == '\0') {
        tables = NULL;
    }
    samsa_connect_task_t *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    t->svc = svc;
    t->inst = ps->inst;
    t->tombstones = strcmp(tomb, "true") == 0;
    t->prefix = strdup(prefix);
    t->slot = strdup(slot);
    t->pub = strdup(pub);
    size_t plen = strlen(slot) * 2 + 16;
    t->partition = malloc(plen);
    t->dec = samsa_pgo_new();
    if (!t->prefix || !t->slot || !t->pub || !t->partition || !t->dec) {
        task_free(t);
        snprintf(errbuf, errlen, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    /* The slot names the position: {"slot":"..."} (compact, as the
     * worker gives it back). */
    json_t *pj = json_pack("{s:s}", "slot", slot);
    char *ptext = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
    json_decref(pj);
    if (ptext == NULL) {
        task_free(t);
        snprintf(errbuf, errlen, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    free(t->partition);
    t->partition = ptext;
    /* No stored position, or one inside the snapshot (a crash cut it
     * short): the snapshot (again), when asked for. */
    int snapshot = strcmp(snapshot_mode, "initial") == 0;
    for (uint64_t i = 0; i < info->offset_count; i++) {
        const samsa_connect_offset_t *o = &info->offsets[i];
        if (o->source_partition == NULL || o->source_offset == NULL ||
            strcmp(o->source_partition, t->partition) != 0) {
            continue;
        }
        json_t *oj = json_loads(o->source_offset, 0, NULL);
        json_t *lsn = json_object_get(oj, "lsn");
        if (json_is_integer(lsn)) {
            t->flushed = (uint64_t)json_integer_value(lsn);
        }
        snapshot &= json_is_true(json_object_get(oj, "snapshot"));
        json_decref(oj);
    }
    t->handed = t->flushed;
    if (strncmp(url, "jdbc:", 5) == 0) {
        url += 5;
    }
    /* Later keywords override what the URI says. */
    const char *keys[] = {"dbname", "replication", "application_name", NULL};
    const char *vals[] = {url, "database", "samsa-source-postgres", NULL};
    t->conn = PQconnectdbParams(keys, vals, 1);
    if (t->conn == NULL || PQstatus(t->conn) != CONNECTION_OK) {
        snprintf(errbuf, errlen, "cannot connect to PostgreSQL: %s",
                 t->conn ? PQerrorMessage(t->conn) : "out of memory");
        task_free(t);
        return SAMSA_ERR_AGAIN;
    }
    t->dbname = strdup(PQdb(t->conn));
    /* The slot first: the snapshot is taken at its consistent point when
     * the slot is new (exported), else after its position, so the stream
     * has every change the snapshot misses. */
    char *exported = NULL;
    uint64_t at = 0;
    int failed =
        t->dbname == NULL ||
        ensure_slot(t, slot, pub, tables, snapshot ? &exported : NULL, &at,
                    errbuf, errlen) != 0 ||
        (snapshot ? (t->snap = samsa_pgsnap_begin(url, pub, exported, at,
                                                  errbuf, errlen)) == NULL
                  : start_stream(t, errbuf, errlen) != 0);
    free(exported);
    if (failed) {
        task_free(t);
        return SAMSA_ERR_AGAIN;
    }
    t->received = t->flushed;
    t->last_status_ms = svc->monotonic_ms();
    *out = t;
    return SAMSA_OK;
}

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return s;
}

/* One event (and a tombstone after a delete) in the open transaction. */
static int push_event(samsa_connect_task_t *t, const samsa_pgo_msg_t *m,
                      const char *op, json_t *key_j, json_t *before,
                      json_t *after)
{
    char lsn[24];
    json_t *source =
        json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "connector", "postgresql",
                  "db", t->dbname, "schema", m->schema, "table", m->table,
                  "txId", (json_int_t)t->xid, "lsn", (json_int_t)t->tx_lsn,
                  "lsn_text", lsn_text(t->tx_lsn, lsn, sizeof(lsn)));
    json_t *value =
        json_pack("{s:O?,s:O?,s:s,s:I,s:o?}", "before", before, "after", after,
                  "op", op, "ts_ms", (json_int_t)now_ms(), "source", source);
    size_t tlen = strlen(t->prefix) + strlen(m->schema) + strlen(m->table) + 3;
    char *topic = malloc(tlen);
    char *key = dump(json_incref(key_j));
    char *val = dump(value);
    if (topic == NULL || key == NULL || val == NULL) {
        free(topic);
        free(key);
        free(val);
        return -1;
    }
    snprintf(topic, tlen, "%s.%s.%s", t->prefix, m->schema, m->table);
    if (ev_push(&t->tx, topic, key, val) != 0) {
        free(topic);
        free(key);
        free(val);
        return -1;
    }
    if (op[0] == 'd' && t->tombstones) {
        char *topic2 = strdup(topic);
        char *key2 = strdup(key);
        if (!topic2 || !key2 || ev_push(&t->tx, topic2, key2, NULL) != 0) {
            free(topic2);
            free(key2);
            return -1;
        }
    }
    return 0;
}

/* One change row -> its events. An update that changes the key is, as in
 * Debezium, a delete of the old key (and its tombstone) and a create of
 * the new one, so a compacted topic keeps no row under the old key. */
static int add_change(samsa_connect_task_t *t, const samsa_pgo_msg_t *m)
{
    switch (m->type) {
    case 'I':
        return push_event(t, m, "c", m->key, NULL, m->after);
    case 'U':
        if (m->old_key != NULL && !json_equal(m->old_key, m->key)) {
            return push_event(t, m, "d", m->old_key, m->before, NULL) == 0 &&
                           push_event(t, m, "c", m->key, NULL, m->after) == 0
                       ? 0
                       : -1;
        }
        return push_event(t, m, "u", m->key, m->before, m->after);
    default:
        return push_event(t, m, "d", m->key, m->before, NULL);
    }
}

/* The open transaction committed at @p end: its events become ready, the
 * last one carrying @p end as its position. */
static int commit_tx(samsa_connect_task_t *t, uint64_t end)
{
    size_t need = t->ready.n + t->tx.n;
    if (need > t->ends_cap) {
        size_t cap = need * 2;
        uint64_t *e = realloc(t->ends, cap * sizeof(*e));
        if (e == NULL) {
            return -1;
        }
        t->ends = e;
        t->ends_cap = cap;
    }
    for (size_t i = 0; i < t->tx.n; i++) {
        ev_t *e = &t->tx.v[i];
        if (ev_push(&t->ready, e->topic, e->key, e->value) != 0) {
            return -1; /* the rest stays in tx and is freed with it */
        }
        t->ends[t->ready.n - 1] = i + 1 == t->tx.n ? end : 0;
        memset(e, 0, sizeof(*e));
    }
    t->tx.n = 0;
    return 0;
}

/* One snapshot row: a read event ("r", Debezium's) ready at once. */
static int snapshot_row(void *arg, const char *schema, const char *table,
                        json_t *key_j, json_t *row)
{
    samsa_connect_task_t *t = arg;
    uint64_t at = samsa_pgsnap_lsn(t->snap);
    char lsn[24];
    json_t *source = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:n,s:I,s:s}", "connector", "postgresql", "db",
        t->dbname, "schema", schema, "table", table, "snapshot", "true", "txId",
        "lsn", (json_int_t)at, "lsn_text", lsn_text(at, lsn, sizeof(lsn)));
    json_t *value =
        json_pack("{s:n,s:O,s:s,s:I,s:o?}", "before", "after", row, "op", "r",
                  "ts_ms", (json_int_t)now_ms(), "source", source);
    size_t tlen = strlen(t->prefix) + strlen(schema) + strlen(table) + 3;
    char *topic = malloc(tlen);
    char *key = dump(json_incref(key_j));
    char *val = dump(value);
    size_t need = t->ready.n + 1;
    if (need > t->ends_cap) {
        size_t cap = need * 2;
        uint64_t *e = realloc(t->ends, cap * sizeof(*e));
        if (e != NULL) {
            t->ends = e;
            t->ends_cap = cap;
        }
    }
    if (topic == NULL || key == NULL || val == NULL || need > t->ends_cap) {
        free(topic);
        free(key);
        free(val);
        return -1;
    }
    snprintf(topic, tlen, "%s.%s.%s", t->prefix, schema, table);
    if (ev_push(&t->ready, topic, key, val) != 0) {
        free(topic);
        free(key);
        free(val);
        return -1;
    }
    t->ready.v[t->ready.n - 1].snap = 1;
    t->ends[t->ready.n - 1] = 0;
    return 0;
}

/* Read the next snapshot rows into ready; once it is complete, mark its
 * last row (the position after it is the stream's) and start streaming. */
static samsa_err_t read_snapshot(samsa_connect_task_t *t)
{
    char err[512];
    int rc = samsa_pgsnap_next(t->snap, SNAPSHOT_BATCH, snapshot_row, t, err,
                               sizeof(err));
    if (rc < 0) {
        t->svc->log(t->inst, SAMSA_LOG_ERROR, "source-postgres: %s", err);
        return SAMSA_ERR_IO;
    }
    if (rc > 0) {
        return SAMSA_OK;
    }
    samsa_pgsnap_end(t->snap);
    t->snap = NULL;
    if (t->ready.n > t->ready_head) {
        t->ready.v[t->ready.n - 1].snap = 2;
    }
    t->svc->log(t->inst, SAMSA_LOG_INFO,
                "source-postgres: initial snapshot complete, streaming "
                "slot %s",
                t->slot);
    if (start_stream(t, err, sizeof(err)) != 0) {
        t->svc->log(t->inst, SAMSA_LOG_ERROR, "source-postgres: %s", err);
        return SAMSA_ERR_IO;
    }
    return SAMSA_OK;
}

/* One CopyData message of the stream. */
static samsa_err_t handle(samsa_connect_task_t *t, const uint8_t *buf,
                          size_t len)
{
    uint64_t start = 0; /* 'w': the data's start; 'k': the WAL sent */
    for (int i = 0; i < 8 && len >= 9; i++) {
        start = start << 8 | buf[1 + i];
    }
    if (len >= 18 && buf[0] == 'k') { /* primary keepalive */
        int reply = buf[17];
        if (start > t->received) {
            t->received = start;
        }
        /* Everything before it was sent; when none of it is an event the
         * worker has not stored (no open transaction, nothing waiting or
         * handed out unstored), the slot may move past it: otherwise
         * changes only to unpublished tables would pin the WAL forever. */
        if (!t->in_tx && t->tx.n == 0 && t->ready.n == t->ready_head &&
            t->handed <= t->flushed && start > t->flushed) {
            t->flushed = start;
            t->handed = start;
            reply = 1;
        }
        if (reply && send_status(t, 0) != 0) {
            return SAMSA_ERR_AGAIN;
        }
        return SAMSA_OK;
    }
    if (len < 25 || buf[0] != 'w') {
        return SAMSA_OK;
    }
    if (start > t->received) {
        t->received = start;
    }
    char err[256];
    samsa_pgo_msg_t m;
    if (samsa_pgo_decode(t->dec, buf + 25, len - 25, &m, err, sizeof(err)) !=
        0) {
        t->svc->log(t->inst, SAMSA_LOG_ERROR, "source-postgres: %s", err);
        return SAMSA_ERR_PROTOCOL;
    }
    int rc = 0;
    switch (m.type) {
    case 'B':
        t->in_tx = 1;
        t->xid = m.xid;
        t->tx_lsn = m.final_lsn;
        break;
    case 'C':
        t->in_tx = 0;
        rc = commit_tx(t, m.end_lsn);
        break;
    case 'I':
    case 'U':
    case 'D':
        rc = add_change(t, &m);
        break;
    default:
        break;
    }
    samsa_pgo_msg_clear(&m);
    return rc == 0 ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* Read what the stream has, waiting up to @p timeout_ms for the first. */
static samsa_err_t read_stream(samsa_connect_task_t *t, int64_t timeout_ms)
{
    int64_t deadline = t->svc->monotonic_ms() + timeout_ms;
    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(t->conn, &buf, 1);
        if (n > 0) {
            samsa_err_t err = handle(t, (const uint8_t *)buf, (size_t)n);
            PQfreemem(buf);
            if (err != SAMSA_OK) {
                return err;
            }
            if (t->ready.n - t->ready_head >= 4096) {
                return SAMSA_OK;
            }
            continue;
        }
        if (n == -1) {
            t->svc->log(t->inst, SAMSA_LOG_ERROR,
                        "source-postgres: replication stream ended: %s",
                        PQerrorMessage(t->conn));
            return SAMSA_ERR_IO;
        }
        if (n == -2) {
            t->svc->log(t->inst, SAMSA_LOG_ERROR, "source-postgres: %s",
                        PQerrorMessage(t->conn));
            return SAMSA_ERR_IO;
        }
        int64_t left = deadline - t->svc->monotonic_ms();
        if (t->ready.n > t->ready_head || left <= 0) {
            return SAMSA_OK;
        }
        struct pollfd pfd = {.fd = PQsocket(t->conn), .events = POLLIN};
        if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
            return SAMSA_ERR_IO;
        }
        if (PQconsumeInput(t->conn) == 0) {
            t->svc->log(t->inst, SAMSA_LOG_ERROR, "source-postgres: %s",
                        PQerrorMessage(t->conn));
            return SAMSA_ERR_IO;
        }
    }
}

static samsa_err_t pg_poll(samsa_connect_task_t *t, int64_t timeout_ms,
                           samsa_connect_record_t *const **records,
                           size_t *count)
{
    *records = NULL;
    *count = 0;
    if (t->streaming &&
        t->svc->monotonic_ms() - t->last_status_ms >= STATUS_EVERY_MS &&
        send_status(t, 0) != 0) {
        return SAMSA_ERR_IO;
    }
    samsa_err_t err = t->snap ? read_snapshot(t) : read_stream(t, timeout_ms);
    if (err != SAMSA_OK) {
        return err;
    }
    size_t n = t->ready.n - t->ready_head;
    /* While the snapshot runs its newest row waits: it is the last one
     * (marked so) only if nothing follows. */
    if (t->snap && n > 0) {
        n--;
    }
    if (n == 0) {
        return SAMSA_OK;
    }
    free(t->recs);
    free(t->rec_store);
    free(t->offsets);
    t->recs = calloc(n, sizeof(*t->recs));
    t->rec_store = calloc(n, sizeof(*t->rec_store));
    t->offsets = calloc(n, sizeof(*t->offsets));
    if (!t->recs || !t->rec_store || !t->offsets) {
        return SAMSA_ERR_AGAIN;
    }
    /* Each event's position: the end of the last transaction whose every
     * event is at or before it (t->handed: the last transaction end handed
     * out by earlier polls). */
    uint64_t prev = t->handed;
    for (size_t i = 0; i < n; i++) {
        size_t k = t->ready_head + i;
        ev_t *e = &t->ready.v[k];
        if (t->ends[k] != 0) {
            prev = t->ends[k];
        }
        /* A snapshot row before the last says so: a restart from it
         * takes the snapshot again. */
        snprintf(t->offsets[i], sizeof(t->offsets[i]),
                 e->snap == 1 ? "{\"lsn\":%" PRIu64 ",\"snapshot\":true}"
                              : "{\"lsn\":%" PRIu64 "}",
                 prev);
        samsa_connect_record_t *r = &t->rec_store[i];
        *r = (samsa_connect_record_t){
            .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
            .topic = e->topic,
            .key = e->key,
            .key_len = strlen(e->key),
            .value = e->value,
            .value_len = e->value ? strlen(e->value) : 0,
            .timestamp = SAMSA_CONNECT_NO_TIMESTAMP,
            .partition = SAMSA_CONNECT_ANY_PARTITION,
            .source_partition = t->partition,
            .source_offset = t->offsets[i],
        };
        t->recs[i] = r;
    }
    t->handed = prev;
    t->nrecs = n;
    *records = t->recs;
    *count = n;
    return SAMSA_OK;
}

static void pg_poll_release(samsa_connect_task_t *t,
                            samsa_connect_record_t *const *records,
                            size_t count)
{
    (void)records;
    if (count == 0) {
        return;
    }
    /* Produced: the events are done with. */
    for (size_t i = 0; i < count; i++) {
        ev_clear(&t->ready.v[t->ready_head + i]);
    }
    t->ready_head += count;
    if (t->ready_head == t->ready.n) {
        t->ready.n = 0;
        t->ready_head = 0;
    } else if (t->ready_head >= 4096 && t->ready_head * 2 >= t->ready.n) {
        /* A snapshot keeps one row back, so the list never empties while
         * it runs: move what is left to the front. */
        size_t left = t->ready.n - t->ready_head;
        memmove(t->ready.v, t->ready.v + t->ready_head,
                left * sizeof(*t->ready.v));
        memmove(t->ends, t->ends + t->ready_head, left * sizeof(*t->ends));
        t->ready.n = left;
        t->ready_head = 0;
    }
    t->nrecs = 0;
}

static samsa_err_t pg_commit(samsa_connect_task_t *t,
                             const samsa_connect_offset_t *offsets,
                             size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (offsets[i].source_partition == NULL ||
            offsets[i].source_offset == NULL ||
            strcmp(offsets[i].source_partition, t->partition) != 0) {
            continue;
        }
        json_t *oj = json_loads(offsets[i].source_offset, 0, NULL);
        json_t *lsn = json_object_get(oj, "lsn");
        if (json_is_integer(lsn) &&
            (uint64_t)json_integer_value(lsn) > t->flushed) {
            t->flushed = (uint64_t)json_integer_value(lsn);
        }
        json_decref(oj);
    }
    return !t->streaming || send_status(t, 0) == 0 ? SAMSA_OK : SAMSA_ERR_AGAIN;
}

static void pg_task_stop(samsa_connect_task_t *t)
{
    task_free(t);
}

static samsa_err_t pg_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    pg_source_t *ps = calloc(1, sizeof(*ps));
    if (ps == NULL) {
        snprintf(errbuf, errbuf_size, "source-postgres: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    ps->svc = svc;
    ps->inst = inst;
    *state = ps;
    return SAMSA_OK;
}

static void pg_fini(void *state)
{
    free(state);
}

static const samsa_option_t pg_options[] = {
    SAMSA_OPTION_LIST("connector_classes",
                      "[PostgresSource, PostgresConnector, "
                      "io.debezium.connector.postgresql.PostgresConnector]",
                      "connector.class values this plugin answers to."),
    SAMSA_OPTION_END,
};

static const samsa_source_ops_t pg_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_source_ops_t),
    .task_start = pg_task_start,
    .poll = pg_poll,
    .poll_release = pg_poll_release,
    .commit = pg_commit,
    .task_stop = pg_task_stop,
};

static const samsa_plugin_t pg_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SOURCE,
    .name = "source-postgres",
    .version = "0.1.0",
    .summary = "PostgreSQL change data capture (logical replication, "
               "pgoutput) to topics",
    .options = pg_options,
    .init = pg_init,
    .fini = pg_fini,
    .ops = &pg_ops,
};

SAMSA_PLUGIN_DECLARE(pg_desc)
