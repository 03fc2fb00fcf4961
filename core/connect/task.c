/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/task.c - a connector's task thread: a source task polls the
 * plugin, produces through the in-tree client and, once the records are
 * acknowledged (acks=all), stores the source offsets in connect-offsets
 * and calls commit(); a sink task consumes as group connect-NAME, put()s
 * records in offset order, and commits the group's offsets after flush().
 * At-least-once either way, unless the worker has
 * exactly.once.source.support=enabled: a source task then produces its
 * records and their offsets in one transaction per boundary (KIP-618,
 * connect/eos.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "connect/converter.h"
#include "connect/eos.h"
#include "connect/fencing.h"
#include "connect/errors.h"
#include "connect/kafka_service.h"
#include "connect/secrets.h"
#include "connect/transforms.h"
#include "connect/worker_int.h"
#include "records_v2.h"
#include "util/clock.h"
#include "util/log.h"

#define POLL_TIMEOUT_MS 500
/* How often a sink looks for new partitions of its topics. */
#define METADATA_CHECK_MS 3000
/* Headers carried per record (more are dropped, never overrun). */
#define MAX_HEADERS 64

typedef struct task_ctx {
    samsa_connect_t *w;
    connector_t *c;
    connect_task_t *task; /* this one: id, stop flag */
    char *name;
    json_t *config; /* a copy: the table's may be replaced meanwhile */
    const samsa_registry_entry_t *plugin;
    samsa_connect_kv_t *kv;
    size_t nkv;
    samsa_converter_t key_conv, value_conv, header_conv;
    samsa_connect_errors_t errs;
    samsa_connect_chain_t *chain; /* NULL: no transforms */
    json_t *seen;                 /* topics reported active (KIP-558) */
    unsigned seen_gen;            /* c->topics_gen when seen was right */
    samsa_client_t *client;
    struct sink_batch *batch;   /* a sink's batch, during put() */
    struct sent_log *sent;      /* a source's outputs, for commit_record */
    samsa_connect_limits_t lim; /* this task's share of the limits */
    /* Exactly-once sources (eos.h): the task's transactional producer,
     * made and fenced in before the task reads its offsets; NULL when
     * the task runs at-least-once. */
    samsa_producer_t *txp;
    samsa_connect_eos_conf_t eos;
    char offsets_topic[256]; /* where its offsets go */
    bool txn_open;
    int64_t txn_started_ms;
    /* transaction.boundary=connector: the task's last request. */
    enum { TXN_REQ_NONE, TXN_REQ_COMMIT, TXN_REQ_ABORT } txn_req;
    const samsa_connect_record_t *txn_req_rec; /* NULL: after the poll */
    /* Exactly-once with commit_record: the records of the open
     * transaction wait for its commit, as Kafka's
     * ExactlyOnceWorkerSourceTask calls commitRecord only then (never
     * for an aborted one). Those of earlier polls are copies (the plugin
     * had them back at poll_release); the current poll's, cur[cur_done ..
     * cur_upto), are the plugin's own. */
    struct held_rec *held;
    size_t nheld, capheld;
    samsa_connect_record_t *const *cur;
    size_t cur_done, cur_upto;
    char trace[512];
} task_ctx_t;

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The connector's settings as the plugin's task settings. */
static samsa_err_t build_kv(task_ctx_t *t)
{
    t->kv = calloc(json_object_size(t->config) + 1, sizeof(*t->kv));
    if (t->kv == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    const char *k;
    json_t *v;
    json_object_foreach(t->config, k, v)
    {
        if (json_is_string(v)) {
            t->kv[t->nkv].key = k;
            t->kv[t->nkv].value = json_string_value(v);
            t->nkv++;
        }
    }
    return SAMSA_OK;
}

/* ------------------------------------------------------------------ */
/* Sources                                                             */
/* ------------------------------------------------------------------ */

int32_t samsa_connect_source_tasks(const connector_t *c, int32_t max)
{
    const samsa_source_ops_t *ops = c->plugin->ops;
    /* The registry zero-fills what an older plugin's table lacks. */
    if (ops->task_count == NULL) {
        return 1;
    }
    samsa_connect_kv_t *kv =
        calloc(json_object_size(c->config) + 1, sizeof(*kv));
    if (kv == NULL) {
        return 1;
    }
    uint64_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(c->config, k, v)
    {
        if (json_is_string(v)) {
            kv[n++] = (samsa_connect_kv_t){k, json_string_value(v)};
        }
    }
    int32_t count = 1;
    samsa_err_t err = ops->task_count(c->plugin->state, kv, n, max, &count);
    free(kv);
    return err == SAMSA_OK && count >= 1 && count <= max ? count : 1;
}

/* Tell the worker about a topic the task uses, once per task life. */
static void note_topic(task_ctx_t *t, const char *topic)
{
    unsigned gen = atomic_load(&t->c->topics_gen);
    if (gen != t->seen_gen && t->seen != NULL) {
        json_object_clear(t->seen); /* a reset: report them again */
        t->seen_gen = gen;
    }
    if (t->seen != NULL && json_object_get(t->seen, topic) == NULL) {
        json_object_set_new(t->seen, topic, json_true());
        samsa_connect_topic_seen(t->w, t->c, topic);
    }
}

/* Store the latest offset of every source partition in @p latest
 * (partition text -> offset text) in connect-offsets and the worker's
 * table, then tell the plugin. */
static samsa_err_t store_offsets(task_ctx_t *t, const samsa_source_ops_t *ops,
                                 samsa_connect_task_t *task, json_t *latest)
{
    size_t n = json_object_size(latest);
    if (n == 0) {
        return SAMSA_OK;
    }
    samsa_connect_offset_t *offs = calloc(n, sizeof(*offs));
    if (offs == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    size_t i = 0;
    const char *part;
    json_t *off;
    samsa_err_t err = SAMSA_OK;
    json_object_foreach(latest, part, off)
    {
        if (err == SAMSA_OK) {
            err = samsa_connect_put_offset(t->w, t->name, part,
                                           json_string_value(off));
        }
        offs[i].source_partition = part;
        offs[i].source_offset = json_string_value(off);
        i++;
    }
    if (err == SAMSA_OK && ops->commit != NULL) {
        ops->commit(task, offs, n);
    }
    free(offs);
    json_object_clear(latest);
    return err;
}

/* A source record's headers as they go to the topic: each value through
 * the connector's header.converter (as is unless it is JsonConverter). */
typedef struct out_headers {
    samsa_client_header_t h[MAX_HEADERS];
    char *owned[MAX_HEADERS]; /* converted values */
    size_t n;
} out_headers_t;

static void out_headers_free(out_headers_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->owned[i]);
    }
    o->n = 0;
}

static samsa_err_t out_headers_encode(samsa_converter_t hc,
                                      const samsa_connect_record_t *r,
                                      out_headers_t *o)
{
    size_t nh = r->header_count < MAX_HEADERS ? r->header_count : MAX_HEADERS;
    samsa_err_t err = SAMSA_OK;
    for (o->n = 0; o->n < nh && err == SAMSA_OK; o->n++) {
        const samsa_connect_header_t *in = &r->headers[o->n];
        samsa_client_header_t *h = &o->h[o->n];
        *h = (samsa_client_header_t){.key = in->key,
                                     .key_len = strlen(in->key),
                                     .value = in->value,
                                     .value_len = (size_t)in->value_len};
        o->owned[o->n] = NULL;
        if (hc != SAMSA_CONVERTER_STRING && in->value != NULL) {
            err = samsa_converter_encode(hc, in->value, (size_t)in->value_len,
                                         NULL, &o->owned[o->n], &h->value_len);
            h->value = o->owned[o->n];
        }
    }
    return err;
}

/* Produce one record's converted key and value, with its headers. */
static samsa_err_t send_record(samsa_producer_t *p,
                               const samsa_connect_record_t *r,
                               const out_headers_t *hs, const char *k,
                               size_t klen, const char *v, size_t vlen)
{
    return samsa_producer_produce(
        p, r->topic, r->partition, k, k ? (int32_t)klen : -1, v,
        v ? (int32_t)vlen : -1, hs->n ? hs->h : NULL, hs->n,
        r->timestamp == SAMSA_CONNECT_NO_TIMESTAMP ? -1 : r->timestamp);
}

/* JSON text (as a transform sees it) of bytes through converter @p c,
 * and the text of the schema it read (*schema NULL: none; @p schema may
 * be NULL). */
static samsa_err_t to_text(samsa_converter_t c, const void *data, size_t len,
                           char **out, size_t *outlen, char **schema)
{
    json_t *v = NULL, *sch = NULL;
    samsa_err_t err =
        samsa_converter_to_json(c, data, len, &v, schema ? &sch : NULL);
    *out = NULL;
    *outlen = 0;
    if (schema != NULL) {
        *schema = NULL;
    }
    if (err == SAMSA_OK && v != NULL) {
        *out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        err = *out ? SAMSA_OK : SAMSA_ERR_NOMEM;
        *outlen = *out ? strlen(*out) : 0;
    }
    if (err == SAMSA_OK && sch != NULL) {
        *schema = json_dumps(sch, JSON_COMPACT);
        err = *schema ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    if (err != SAMSA_OK) {
        free(*out);
        *out = NULL;
        *outlen = 0;
    }
    json_decref(v);
    json_decref(sch);
    return err;
}

/* A transform's JSON text, with its schema's (may be NULL), -> bytes
 * through converter @p c. */
static samsa_err_t from_text(samsa_converter_t c, const void *text,
                             uint64_t len, const char *schema, char **out,
                             size_t *outlen)
{
    json_t *v = NULL, *sch = NULL;
    *out = NULL;
    *outlen = 0;
    if (text != NULL) {
        v = json_loadb(text, (size_t)len, JSON_DECODE_ANY, NULL);
        if (v == NULL) {
            return SAMSA_ERR_INVAL; /* a transform gave no JSON */
        }
    }
    if (schema != NULL) {
        sch = json_loads(schema, 0, NULL);
        if (sch == NULL) {
            json_decref(v);
            return SAMSA_ERR_INVAL; /* nor a schema */
        }
    }
    samsa_err_t err = samsa_converter_from_json(c, json_is_null(v) ? NULL : v,
                                                sch, out, outlen);
    json_decref(v);
    json_decref(sch);
    return err;
}

/* A source's key or value without a schema is a string, as
 * FileStreamSource's lines are (Kafka's Schema.STRING_SCHEMA). */
static const char source_string_schema[] =
    "{\"type\":\"string\",\"optional\":false}";

/* A record a plugin allocated, copied into the host's layout: only the
 * fields its struct_size holds (an older plugin's record ends before the
 * schemas of minor 7), the rest zero. */
static void record_import(samsa_connect_record_t *dst,
                          const samsa_connect_record_t *src)
{
    size_t n = src->hdr.struct_size < sizeof(*dst) ? src->hdr.struct_size
                                                   : sizeof(*dst);
    memset(dst, 0, sizeof(*dst));
    memcpy(dst, src, n);
    dst->hdr = (samsa_abi_header_t)SAMSA_ABI_HEADER(samsa_connect_record_t);
}

/* Where each record produced from the current poll went (Kafka's
 * commitRecord): pushed in produce order, offsets filled in by the
 * producer's delivery reports, which come per partition in that order. */
typedef struct sent {
    size_t rec; /* index of the polled record it came from */
    char *topic;
    int32_t partition;
    int64_t offset; /* -1 until acknowledged */
} sent_t;

typedef struct sent_log {
    sent_t *v;
    size_t n, cap;
    size_t open; /* v[..open) all acknowledged */
    size_t rec;  /* the polled record being produced */
} sent_log_t;

/* Room for one more of @p n items of @p size in *@p v (capacity *cap). */
static samsa_err_t grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) {
        return SAMSA_OK;
    }
    size_t want = *cap ? *cap * 2 : 64;
    void *nv = realloc(*v, want * size);
    if (nv == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    *v = nv;
    *cap = want;
    return SAMSA_OK;
}

static samsa_err_t sent_push(sent_log_t *l, const char *topic,
                             int32_t partition)
{
    if (l == NULL) {
        return SAMSA_OK; /* the plugin has no commit_record */
    }
    if (grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v)) != SAMSA_OK) {
        return SAMSA_ERR_NOMEM;
    }
    char *copy = strdup(topic);
    if (copy == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    l->v[l->n++] = (sent_t){
        .rec = l->rec, .topic = copy, .partition = partition, .offset = -1};
    return SAMSA_OK;
}

static void sent_clear(sent_log_t *l)
{
    for (size_t i = 0; l != NULL && i < l->n; i++) {
        free(l->v[i].topic);
    }
    if (l != NULL) {
        l->n = l->open = l->rec = 0;
    }
}

/* The producer's on_delivery: the oldest unacknowledged output of that
 * partition is the one acknowledged. */
static void on_source_delivery(void *opaque, samsa_err_t err, const char *topic,
                               int32_t partition, int64_t offset,
                               int64_t latency_us)
{
    sent_log_t *l = opaque;
    (void)latency_us;
    if (l == NULL || err != SAMSA_OK) {
        return;
    }
    for (size_t i = l->open; i < l->n; i++) {
        sent_t *s = &l->v[i];
        if (s->offset < 0 && s->partition == partition &&
            strcmp(s->topic, topic) == 0) {
            s->offset = offset;
            break;
        }
    }
    while (l->open < l->n && l->v[l->open].offset >= 0) {
        l->open++;
    }
}

/* Where polled record @p rec's last output landed: -1, -1 when the
 * transforms filtered it out (or it was not acknowledged). */
static void landed(const sent_log_t *l, size_t rec, int32_t *part, int64_t *off)
{
    *part = -1;
    *off = -1;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].rec == rec) {
            *part = l->v[i].partition;
            *off = l->v[i].offset;
        }
    }
    if (*off < 0) {
        *part = -1;
    }
}

/* commit_record() for polled records [@p from, @p to), in poll order. */
static void commit_records(task_ctx_t *t, const samsa_source_ops_t *ops,
                           samsa_connect_task_t *task,
                           samsa_connect_record_t *const *recs, size_t from,
                           size_t to)
{
    for (size_t i = from; i < to; i++) {
        int32_t part;
        int64_t off;
        landed(t->sent, i, &part, &off);
        ops->commit_record(task, recs[i], part, off);
    }
}

/* A record of the open transaction kept past its poll_release. */
typedef struct held_rec {
    samsa_connect_record_t rec; /* every pointer its own allocation */
    int32_t partition;
    int64_t offset;
} held_rec_t;

static void *dup_mem(const void *p, size_t n, bool *nomem)
{
    if (p == NULL) {
        return NULL;
    }
    void *d = malloc(n + 1);
    if (d == NULL) {
        *nomem = true;
        return NULL;
    }
    memcpy(d, p, n);
    ((char *)d)[n] = '\0';
    return d;
}

static void held_free(held_rec_t *h)
{
    samsa_connect_header_t *hs =
        (samsa_connect_header_t *)(uintptr_t)h->rec.headers;
    for (uint64_t i = 0; hs != NULL && i < h->rec.header_count; i++) {
        free((void *)(uintptr_t)hs[i].key);
        free((void *)(uintptr_t)hs[i].value);
    }
    free(hs);
    free((void *)(uintptr_t)h->rec.topic);
    free((void *)(uintptr_t)h->rec.key);
    free((void *)(uintptr_t)h->rec.value);
    free((void *)(uintptr_t)h->rec.source_partition);
    free((void *)(uintptr_t)h->rec.source_offset);
}

static samsa_err_t held_copy(held_rec_t *h, const samsa_connect_record_t *r)
{
    bool nomem = false;
    h->rec = *r;
    h->rec.topic =
        r->topic ? dup_mem(r->topic, strlen(r->topic), &nomem) : NULL;
    h->rec.key = dup_mem(r->key, r->key_len, &nomem);
    h->rec.value = dup_mem(r->value, r->value_len, &nomem);
    h->rec.source_partition =
        r->source_partition
            ? dup_mem(r->source_partition, strlen(r->source_partition), &nomem)
            : NULL;
    h->rec.source_offset =
        r->source_offset
            ? dup_mem(r->source_offset, strlen(r->source_offset), &nomem)
            : NULL;
    samsa_connect_header_t *hs =
        r->header_count > 0 ? calloc(r->header_count, sizeof(*hs)) : NULL;
    nomem = nomem || (r->header_count > 0 && hs == NULL);
    for (uint64_t i = 0; hs != NULL && i < r->header_count; i++) {
        hs[i].key =
            dup_mem(r->headers[i].key, strlen(r->headers[i].key), &nomem);
        hs[i].value =
            dup_mem(r->headers[i].value, r->headers[i].value_len, &nomem);
        hs[i].value_len = r->headers[i].value_len;
    }
    h->rec.headers = hs;
    if (nomem) {
        held_free(h);
        return SAMSA_ERR_NOMEM;
    }
    return SAMSA_OK;
}

/* The end of a poll inside an open transaction: keep copies of its
 * records not yet passed on, with where they landed (flushed). */
static samsa_err_t held_keep(task_ctx_t *t, size_t n)
{
    for (size_t i = t->cur_done; i < n; i++) {
        if (grow((void **)&t->held, &t->capheld, t->nheld, sizeof(*t->held)) !=
            SAMSA_OK) {
            return SAMSA_ERR_NOMEM;
        }
        held_rec_t *h = &t->held[t->nheld];
        if (held_copy(h, t->cur[i]) != SAMSA_OK) {
            return SAMSA_ERR_NOMEM;
        }
        landed(t->sent, i, &h->partition, &h->offset);
        t->nheld++;
    }
    t->cur_done = n;
    return SAMSA_OK;
}

/* The transaction ended: on commit, commit_record() for each of its
 * records in order; on abort, none. */
static void held_end(task_ctx_t *t, const samsa_source_ops_t *ops,
                     samsa_connect_task_t *task, bool committed)
{
    if (t->sent == NULL) {
        return;
    }
    for (size_t i = 0; i < t->nheld; i++) {
        if (committed) {
            ops->commit_record(task, &t->held[i].rec, t->held[i].partition,
                               t->held[i].offset);
        }
        held_free(&t->held[i]);
    }
    t->nheld = 0;
    if (committed && t->cur != NULL) {
        commit_records(t, ops, task, t->cur, t->cur_done, t->cur_upto);
    }
    t->cur_done = t->cur_upto;
}

typedef struct source_out {
    task_ctx_t *t;
    samsa_producer_t *p;
    bool send_failed; /* the broker's failure, not the record's */
} source_out_t;

/* What came out of the chain: convert and produce. */
static samsa_err_t send_transformed(void *arg, const samsa_connect_record_t *r)
{
    source_out_t *o = arg;
    char *k = NULL, *v = NULL;
    size_t klen = 0, vlen = 0;
    out_headers_t hs = {.n = 0};
    samsa_err_t err =
        from_text(o->t->key_conv, r->key, r->key_len, r->key_schema, &k, &klen);
    if (err == SAMSA_OK) {
        err = from_text(o->t->value_conv, r->value, r->value_len,
                        r->value_schema, &v, &vlen);
    }
    if (err == SAMSA_OK) {
        err = out_headers_encode(o->t->header_conv, r, &hs);
    }
    if (err == SAMSA_OK) {
        err = send_record(o->p, r, &hs, k, klen, v, vlen);
        o->send_failed = err != SAMSA_OK;
    }
    out_headers_free(&hs);
    if (err == SAMSA_OK) {
        note_topic(o->t, r->topic);
        err = sent_push(o->t->sent, r->topic,
                        samsa_producer_last_partition(o->p));
    }
    free(k);
    free(v);
    return err;
}

/* Produce one polled record, through the transforms when there are some;
 * remember its source offset in @p latest (a skipped or filtered record
 * counts as done). */
static samsa_err_t produce_one(task_ctx_t *t, samsa_producer_t *p,
                               const samsa_connect_record_t *polled,
                               json_t *latest)
{
    char *k = NULL, *v = NULL;
    size_t klen = 0, vlen = 0;
    char why[400] = "";
    source_out_t o = {.t = t, .p = p};
    samsa_err_t err;
    samsa_connect_record_t rec;
    const samsa_connect_record_t *r = &rec;
    record_import(&rec, polled);
    if (t->chain != NULL) {
        /* A source's bytes are a string to the transforms, as
         * FileStreamSource's lines are Strings in Kafka Connect; with a
         * schema (minor 7) they are the value's JSON text. */
        err = to_text(r->key_schema ? SAMSA_CONVERTER_JSON
                                    : SAMSA_CONVERTER_STRING,
                      r->key, r->key_len, &k, &klen, NULL);
        if (err == SAMSA_OK) {
            err = to_text(r->value_schema ? SAMSA_CONVERTER_JSON
                                          : SAMSA_CONVERTER_STRING,
                          r->value, r->value_len, &v, &vlen, NULL);
        }
        if (err == SAMSA_OK) {
            samsa_connect_record_t in = rec;
            in.key = k;
            in.key_len = klen;
            in.value = v;
            in.value_len = vlen;
            if (k != NULL && in.key_schema == NULL) {
                in.key_schema = source_string_schema;
            }
            if (v != NULL && in.value_schema == NULL) {
                in.value_schema = source_string_schema;
            }
            bool dropped = false;
            err = samsa_connect_chain_run(t->chain, &in, send_transformed, &o,
                                          &dropped, why, sizeof(why));
        }
    } else {
        err = samsa_converter_encode(t->key_conv, r->key, r->key_len,
                                     r->key_schema, &k, &klen);
        if (err == SAMSA_OK) {
            err = samsa_converter_encode(t->value_conv, r->value, r->value_len,
                                         r->value_schema, &v, &vlen);
        }
        out_headers_t hs = {.n = 0};
        if (err == SAMSA_OK) {
            err = out_headers_encode(t->header_conv, r, &hs);
        }
        if (err == SAMSA_OK) {
            err = send_record(p, r, &hs, k, klen, v, vlen);
            o.send_failed = err != SAMSA_OK;
        }
        out_headers_free(&hs);
        if (err == SAMSA_OK) {
            note_topic(t, r->topic);
            err =
                sent_push(t->sent, r->topic, samsa_producer_last_partition(p));
        }
    }
    if (why[0] == '\0') {
        snprintf(why, sizeof(why),
                 "the connector's converter refused a record (JSON needs "
                 "UTF-8)");
    }
    if (err != SAMSA_OK && !o.send_failed && err != SAMSA_ERR_NOMEM &&
        t->errs.tolerate_all) {
        /* errors.tolerance=all: skip it (sources have no dead letters in
         * Kafka Connect either); its offset still counts as done. */
        if (t->errs.log) {
            samsa_log(SAMSA_LOG_WARN, "connect: %s: skipped a record: %s",
                      t->name, why);
        }
        err = SAMSA_OK;
    } else if (err != SAMSA_OK && !o.send_failed) {
        snprintf(t->trace, sizeof(t->trace), "%s", why);
    }
    if (err == SAMSA_OK && r->source_partition && r->source_offset) {
        json_object_set_new(latest, r->source_partition,
                            json_string(r->source_offset));
    }
    free(k);
    free(v);
    return err;
}

/* ---- Exactly-once (KIP-618) ---- */

/* The task's transaction_commit / transaction_abort (boundary=connector). */
static void txn_request_commit(void *ctx, const samsa_connect_record_t *rec)
{
    task_ctx_t *t = ctx;
    t->txn_req = TXN_REQ_COMMIT;
    t->txn_req_rec = rec;
}

static void txn_request_abort(void *ctx, const samsa_connect_record_t *rec)
{
    task_ctx_t *t = ctx;
    t->txn_req = TXN_REQ_ABORT;
    t->txn_req_rec = rec;
}

static samsa_err_t txn_begin(task_ctx_t *t)
{
    if (t->txn_open) {
        return SAMSA_OK;
    }
    samsa_err_t err = samsa_producer_begin_transaction(t->txp);
    if (err == SAMSA_OK) {
        t->txn_open = true;
        t->txn_started_ms = samsa_mono_ms();
    }
    return err;
}

/* End the open transaction: on commit, with the offsets in @p latest
 * written to the offsets topic inside it; then tell the worker's table
 * and the plugin. On abort the records and offsets are dropped. */
static samsa_err_t txn_end(task_ctx_t *t, const samsa_source_ops_t *ops,
                           samsa_connect_task_t *task, json_t *latest,
                           bool commit)
{
    if (!t->txn_open) {
        json_object_clear(latest);
        return SAMSA_OK;
    }
    samsa_err_t err = SAMSA_OK;
    const char *part;
    json_t *off;
    if (!commit) {
        err = samsa_producer_abort_transaction(t->txp);
        t->txn_open = false;
        held_end(t, ops, task, false);
        json_object_clear(latest);
        return err;
    }
    json_object_foreach(latest, part, off)
    {
        char *k = NULL, *v = NULL;
        if (err == SAMSA_OK) {
            err = samsa_connect_offset_texts(t->name, part,
                                             json_string_value(off), &k, &v);
        }
        if (err == SAMSA_OK) {
            /* The offsets topics have one partition. */
            err = samsa_producer_produce(
                t->txp, t->offsets_topic, 0, k, (int32_t)strlen(k), v,
                v ? (int32_t)strlen(v) : -1, NULL, 0, -1);
        }
        free(k);
        free(v);
    }
    if (err == SAMSA_OK) {
        err = samsa_producer_commit_transaction(t->txp);
    }
    if (err != SAMSA_OK) {
        snprintf(t->trace, sizeof(t->trace),
                 "exactly-once: the transaction of task %d did not commit: %s",
                 (int)t->task->id, samsa_client_errmsg(t->client));
        return err;
    }
    t->txn_open = false;
    held_end(t, ops, task, true);
    size_t n = json_object_size(latest), i = 0;
    samsa_connect_offset_t *offs = calloc(n + 1, sizeof(*offs));
    json_object_foreach(latest, part, off)
    {
        if (t->eos.offsets_topic != NULL) {
            /* Kafka's secondary store: the worker's offsets topic too,
             * after the commit and best effort (the connector's topic,
             * read first, is the truth), so the worker's view follows. */
            (void)samsa_connect_put_worker_offset(t->w, t->name, part,
                                                  json_string_value(off));
        }
        samsa_connect_offset_note(t->w, t->name, part, json_string_value(off));
        if (offs != NULL) {
            offs[i++] = (samsa_connect_offset_t){part, json_string_value(off)};
        }
    }
    if (offs != NULL && n > 0 && ops->commit != NULL) {
        ops->commit(task, offs, n);
    }
    free(offs);
    json_object_clear(latest);
    return SAMSA_OK;
}

/* After record @p r was produced: end the transaction there when the
 * task asked for it after @p r. */
static samsa_err_t txn_after_record(task_ctx_t *t,
                                    const samsa_source_ops_t *ops,
                                    samsa_connect_task_t *task,
                                    const samsa_connect_record_t *r,
                                    json_t *latest)
{
    if (t->txn_req == TXN_REQ_NONE || t->txn_req_rec != r) {
        return SAMSA_OK;
    }
    bool commit = t->txn_req == TXN_REQ_COMMIT;
    t->txn_req = TXN_REQ_NONE;
    return txn_end(t, ops, task, latest, commit);
}

/* After a poll's records: the boundary of the connector's
 * transaction.boundary. */
static samsa_err_t txn_after_poll(task_ctx_t *t, const samsa_source_ops_t *ops,
                                  samsa_connect_task_t *task, json_t *latest,
                                  size_t n)
{
    switch (t->eos.boundary) {
    case SAMSA_CONNECT_BOUNDARY_POLL:
        return n > 0 ? txn_end(t, ops, task, latest, true) : SAMSA_OK;
    case SAMSA_CONNECT_BOUNDARY_INTERVAL:
        return t->txn_open &&
                       samsa_mono_ms() - t->txn_started_ms >= t->eos.interval_ms
                   ? txn_end(t, ops, task, latest, true)
                   : SAMSA_OK;
    case SAMSA_CONNECT_BOUNDARY_CONNECTOR:
        /* A request naming no record (or one not of this poll). */
        if (t->txn_req != TXN_REQ_NONE) {
            bool commit = t->txn_req == TXN_REQ_COMMIT;
            t->txn_req = TXN_REQ_NONE;
            return txn_end(t, ops, task, latest, commit);
        }
        return SAMSA_OK;
    }
    return SAMSA_OK;
}

static samsa_err_t run_source(task_ctx_t *t, const samsa_source_ops_t *ops,
                              samsa_connect_task_t *task)
{
    sent_log_t sent = {0};
    samsa_producer_t *p = t->txp;
    samsa_err_t err =
        p != NULL ? SAMSA_OK
                  : samsa_connect_producer_new(t->w->reg, t->client, &p);
    if (err == SAMSA_OK && ops->commit_record != NULL) {
        t->sent = &sent;
        samsa_producer_on_delivery(p, on_source_delivery, &sent);
    }
    json_t *latest = json_object();
    while (err == SAMSA_OK && !atomic_load(&t->task->stop)) {
        samsa_connect_record_t *const *recs = NULL;
        size_t n = 0;
        samsa_err_t perr = ops->poll(task, POLL_TIMEOUT_MS, &recs, &n);
        int64_t buffered = 0;
        t->cur = recs;
        t->cur_done = t->cur_upto = 0;
        for (size_t i = 0; perr == SAMSA_OK && err == SAMSA_OK && i < n; i++) {
            int64_t size = (int64_t)(recs[i]->key_len + recs[i]->value_len);
            if (samsa_connect_limits_full(&t->lim, size)) {
                /* Over the memory limit: wait for the acknowledgements
                 * before taking more. */
                err = samsa_producer_flush(p);
                buffered = 0;
                samsa_connect_limits_buffered(&t->lim, 0);
            }
            samsa_connect_limits_take(&t->lim, 1, size, &t->task->stop);
            sent.rec = i;
            if (err == SAMSA_OK && t->txp != NULL) {
                err = txn_begin(t);
            }
            if (err == SAMSA_OK) {
                err = produce_one(t, p, recs[i], latest);
                t->cur_upto = i + 1;
            }
            if (err == SAMSA_OK && t->txp != NULL) {
                err = txn_after_record(t, ops, task, recs[i], latest);
            }
            buffered += size;
            samsa_connect_limits_buffered(&t->lim, buffered);
        }
        if (err == SAMSA_OK && perr == SAMSA_OK && t->txp != NULL) {
            /* Exactly-once: the offsets go in the transaction, which
             * ends at the boundary; commit_record once it commits. */
            err = txn_after_poll(t, ops, task, latest, n);
            if (err == SAMSA_OK && t->sent != NULL && t->cur_done < n) {
                err = samsa_producer_flush(p);
                if (err == SAMSA_OK) {
                    err = held_keep(t, n);
                }
            }
        } else if (err == SAMSA_OK && perr == SAMSA_OK && n > 0) {
            /* Offsets only once the records are acknowledged: at least
             * once, never a stored position past what is durable. */
            err = samsa_producer_flush(p);
            if (err == SAMSA_OK) {
                err = store_offsets(t, ops, task, latest);
            }
            if (err == SAMSA_OK && t->sent != NULL) {
                commit_records(t, ops, task, recs, 0, n);
            }
        }
        samsa_connect_limits_buffered(&t->lim, 0);
        ops->poll_release(task, recs, n);
        t->cur = NULL;
        t->cur_done = t->cur_upto = 0;
        sent_clear(t->sent);
        if (perr == SAMSA_ERR_AGAIN) {
            sleep_ms(POLL_TIMEOUT_MS);
        } else if (perr != SAMSA_OK) {
            snprintf(t->trace, sizeof(t->trace), "poll failed: %s",
                     samsa_err_str(perr));
            err = perr;
        }
        if (err != SAMSA_OK && t->trace[0] == '\0') {
            snprintf(t->trace, sizeof(t->trace), "produce failed: %s",
                     samsa_client_errmsg(t->client));
        }
    }
    if (t->txp != NULL && t->txn_open) {
        /* Stopped: the open transaction commits (Kafka commits what an
         * interval or the connector left open); failed: it aborts, and
         * the next attempt resumes from the committed offsets. */
        bool commit = err == SAMSA_OK;
        samsa_err_t end = txn_end(t, ops, task, latest, commit);
        if (commit) {
            err = end;
        }
    }
    held_end(t, ops, task, false);
    free(t->held);
    t->held = NULL;
    t->capheld = 0;
    json_decref(latest);
    if (p != t->txp) {
        samsa_producer_free(p);
    }
    sent_clear(t->sent);
    free(sent.v);
    t->sent = NULL;
    return err;
}

/* ------------------------------------------------------------------ */
/* Sinks                                                               */
/* ------------------------------------------------------------------ */

/* A record the converter refused, as consumed, for the dead-letter
 * topic. */
typedef struct dead {
    struct dead *next;
    char *key, *value; /* NULL for null */
    int32_t key_len, value_len;
    char *topic;
    int32_t partition;
    int64_t offset;
    const char *stage;
    char *message;                   /* what failed */
    samsa_connect_header_t *headers; /* the record's own */
    uint64_t header_count;
} dead_t;

typedef struct sink_batch {
    task_ctx_t *t;
    samsa_connect_record_t **recs;
    size_t n, cap;
    /* With a dead-letter topic: recs[i] as consumed, for a record the
     * plugin reports during put(); NULL otherwise. */
    dead_t **raw;
    const samsa_client_record_t *cur; /* the record being added */
    int64_t bytes; /* key+value bytes fetched into this batch */
    dead_t *dead, **dead_tail;
    samsa_err_t err;
} sink_batch_t;

static void headers_free(samsa_connect_header_t *h, uint64_t n)
{
    for (uint64_t i = 0; h != NULL && i < n; i++) {
        free((void *)h[i].key);
        free((void *)h[i].value);
    }
    free(h);
}

/* The consumed record's headers as the plugin sees them (copies; each
 * value read through header converter @p hc, STRING: as is). */
static samsa_err_t headers_copy(const samsa_client_record_t *cr,
                                samsa_converter_t hc,
                                samsa_connect_header_t **out, uint64_t *n)
{
    *out = NULL;
    *n = 0;
    if (cr->header_count <= 0) {
        return SAMSA_OK;
    }
    samsa_connect_header_t *h = calloc((size_t)cr->header_count, sizeof(*h));
    if (h == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    const uint8_t *p = cr->headers, *end = cr->headers + cr->headers_len;
    samsa_err_t err = SAMSA_OK;
    uint64_t i = 0;
    for (; err == SAMSA_OK && i < (uint64_t)cr->header_count; i++) {
        samsa_record_header_t rh;
        err = samsa_record_header_next(&p, end, &rh);
        if (err != SAMSA_OK) {
            break;
        }
        char *k = malloc((size_t)rh.key_len + 1);
        char *v = NULL;
        size_t vlen = 0;
        if (rh.value != NULL && hc != SAMSA_CONVERTER_STRING) {
            err = samsa_converter_decode(hc, rh.value, (size_t)rh.value_len, &v,
                                         &vlen, NULL);
        } else if (rh.value != NULL) {
            v = malloc((size_t)rh.value_len + 1);
            vlen = (size_t)rh.value_len;
            if (v != NULL) {
                memcpy(v, rh.value, vlen);
            }
        }
        if (err == SAMSA_OK && (k == NULL || (rh.value && v == NULL))) {
            err = SAMSA_ERR_NOMEM;
        }
        if (err != SAMSA_OK) {
            free(k);
            free(v);
            break;
        }
        memcpy(k, rh.key, (size_t)rh.key_len);
        k[rh.key_len] = '\0';
        h[i] = (samsa_connect_header_t){
            .key = k, .value = v, .value_len = (uint64_t)vlen};
    }
    if (err != SAMSA_OK) {
        headers_free(h, i);
        return err;
    }
    *out = h;
    *n = i;
    return SAMSA_OK;
}

static void dead_free(dead_t *d)
{
    if (d != NULL) {
        free(d->key);
        free(d->value);
        free(d->topic);
        free(d->message);
        headers_free(d->headers, d->header_count);
        free(d);
    }
}

static void batch_clear(sink_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->raw != NULL) {
            dead_free(b->raw[i]);
            b->raw[i] = NULL;
        }
        free((void *)b->recs[i]->key);
        free((void *)b->recs[i]->value);
        free((void *)b->recs[i]->key_schema);
        free((void *)b->recs[i]->value_schema);
        free((void *)b->recs[i]->topic);
        headers_free((samsa_connect_header_t *)b->recs[i]->headers,
                     b->recs[i]->header_count);
        free(b->recs[i]);
    }
    b->n = 0;
    while (b->dead != NULL) {
        dead_t *d = b->dead;
        b->dead = d->next;
        dead_free(d);
    }
    b->dead_tail = &b->dead;
}

static char *copy_bytes(const void *p, int32_t len)
{
    if (p == NULL) {
        return NULL;
    }
    char *c = malloc((size_t)len + 1);
    if (c != NULL) {
        memcpy(c, p, (size_t)len);
    }
    return c;
}

/* errors.tolerance=all: skip the record; keep a copy for the dead-letter
 * topic when there is one. */
/* A copy of the record as consumed, for the dead-letter topic. */
static dead_t *dead_copy(const samsa_client_record_t *cr)
{
    dead_t *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    d->key = copy_bytes(cr->key, cr->key_len);
    d->value = copy_bytes(cr->value, cr->value_len);
    d->key_len = cr->key ? cr->key_len : -1;
    d->value_len = cr->value ? cr->value_len : -1;
    d->topic = strdup(cr->topic);
    d->partition = cr->partition;
    d->offset = cr->offset;
    if (d->topic == NULL ||
        headers_copy(cr, SAMSA_CONVERTER_STRING, &d->headers,
                     &d->header_count) != SAMSA_OK) {
        dead_free(d);
        return NULL;
    }
    return d;
}

/* Queue @p d (taken) for the dead-letter topic. */
static samsa_err_t dead_queue(sink_batch_t *b, dead_t *d, const char *stage,
                              const char *message)
{
    d->stage = stage;
    d->message = strdup(message);
    *b->dead_tail = d;
    b->dead_tail = &d->next;
    return d->message ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* errors.tolerance=all: skip the record; keep a copy for the dead-letter
 * topic when there is one. */
static samsa_err_t tolerate(sink_batch_t *b, const samsa_client_record_t *cr,
                            const char *stage, const char *message)
{
    task_ctx_t *t = b->t;
    if (t->errs.log) {
        samsa_log(SAMSA_LOG_WARN,
                  "connect: %s: %s refused the record at %s-%d offset %lld: "
                  "%s",
                  t->name, stage, cr->topic, (int)cr->partition,
                  (long long)cr->offset, message);
    }
    if (t->errs.dlq_topic == NULL) {
        return SAMSA_OK;
    }
    dead_t *d = dead_copy(cr);
    return d ? dead_queue(b, d, stage, message) : SAMSA_ERR_NOMEM;
}

/* samsa_connect_task_info_t.report: a record put() could not deliver. */
static samsa_err_t report_record(void *ctx, const samsa_connect_record_t *rec,
                                 const char *reason)
{
    task_ctx_t *t = ctx;
    sink_batch_t *b = t->batch;
    size_t i = 0;
    while (b != NULL && i < b->n && b->recs[i] != rec) {
        i++;
    }
    if (b == NULL || i == b->n) {
        return SAMSA_ERR_INVAL; /* not a record of this put() */
    }
    if (!t->errs.tolerate_all) {
        snprintf(t->trace, sizeof(t->trace),
                 "the connector could not deliver the record at %s-%d "
                 "offset %lld: %s",
                 rec->topic, (int)rec->partition, (long long)rec->offset,
                 reason ? reason : "");
        return SAMSA_ERR_INVAL;
    }
    if (t->errs.log) {
        samsa_log(SAMSA_LOG_WARN,
                  "connect: %s: TASK_PUT refused the record at %s-%d offset "
                  "%lld: %s",
                  t->name, rec->topic, (int)rec->partition,
                  (long long)rec->offset, reason ? reason : "");
    }
    if (b->raw == NULL || b->raw[i] == NULL) {
        return SAMSA_OK; /* no dead-letter topic: skipped */
    }
    dead_t *d = b->raw[i];
    b->raw[i] = NULL;
    return dead_queue(b, d, "TASK_PUT", reason ? reason : "");
}

/* Append a record to the batch; takes @p k, @p v and @p hs. */
static samsa_err_t batch_push(sink_batch_t *b, const char *topic,
                              int32_t partition, int64_t offset, int64_t ts,
                              char *k, size_t klen, char *v, size_t vlen,
                              samsa_connect_header_t *hs, uint64_t nh, char *ks,
                              char *vs)
{
    samsa_connect_record_t *r = NULL;
    bool keep_raw = b->t->errs.dlq_topic != NULL;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        void *p = realloc(b->recs, cap * sizeof(*b->recs));
        if (p != NULL) {
            b->recs = p;
        }
        void *q = keep_raw && p ? realloc(b->raw, cap * sizeof(*b->raw)) : p;
        if (keep_raw && q != NULL) {
            b->raw = q;
        }
        if (p != NULL && q != NULL) {
            b->cap = cap;
        }
    }
    char *tcopy = strdup(topic);
    dead_t *raw = keep_raw && b->cur ? dead_copy(b->cur) : NULL;
    if (b->n < b->cap && tcopy != NULL && (raw || !keep_raw)) {
        r = calloc(1, sizeof(*r));
    }
    if (r == NULL) {
        dead_free(raw);
        free(tcopy);
        free(k);
        free(v);
        free(ks);
        free(vs);
        headers_free(hs, nh);
        return SAMSA_ERR_NOMEM;
    }
    *r = (samsa_connect_record_t){
        .key_schema = ks,
        .value_schema = vs,
        .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
        .topic = tcopy,
        .headers = hs,
        .header_count = nh,
        .key = k,
        .value = v,
        .key_len = klen,
        .value_len = vlen,
        .offset = offset,
        .timestamp = ts,
        .partition = partition,
    };
    if (b->raw != NULL) {
        b->raw[b->n] = raw;
    }
    b->recs[b->n++] = r;
    return SAMSA_OK;
}

/* Copies of a transformed record's headers. */
static samsa_err_t headers_dup(const samsa_connect_header_t *in, uint64_t n,
                               samsa_connect_header_t **out)
{
    *out = n ? calloc((size_t)n, sizeof(**out)) : NULL;
    if (n && *out == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (uint64_t i = 0; i < n; i++) {
        (*out)[i].key = strdup(in[i].key);
        (*out)[i].value = copy_bytes(in[i].value, (int32_t)in[i].value_len);
        (*out)[i].value_len = in[i].value_len;
        if ((*out)[i].key == NULL || (in[i].value && !(*out)[i].value)) {
            headers_free(*out, i + 1);
            *out = NULL;
            return SAMSA_ERR_NOMEM;
        }
    }
    return SAMSA_OK;
}

/* What came out of a sink's chain: the plugin's bytes into the batch. */
static samsa_err_t push_transformed(void *arg, const samsa_connect_record_t *r)
{
    sink_batch_t *b = arg;
    char *k = NULL, *v = NULL;
    size_t klen = 0, vlen = 0;
    char *ks = NULL, *vs = NULL;
    samsa_connect_header_t *hs = NULL;
    samsa_err_t err =
        from_text(SAMSA_CONVERTER_STRING, r->key, r->key_len, NULL, &k, &klen);
    if (err == SAMSA_OK) {
        err = from_text(SAMSA_CONVERTER_STRING, r->value, r->value_len, NULL,
                        &v, &vlen);
    }
    if (err == SAMSA_OK && r->key_schema != NULL) {
        ks = strdup(r->key_schema);
        err = ks ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    if (err == SAMSA_OK && r->value_schema != NULL) {
        vs = strdup(r->value_schema);
        err = vs ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    if (err == SAMSA_OK) {
        err = headers_dup(r->headers, r->header_count, &hs);
    }
    if (err != SAMSA_OK) {
        free(k);
        free(v);
        free(ks);
        free(vs);
        return err;
    }
    return batch_push(b, r->topic, r->partition, r->offset, r->timestamp, k,
                      klen, v, vlen, hs, r->header_count, ks, vs);
}

/* A consumed record through the converters and transforms. */
static samsa_err_t sink_transform(sink_batch_t *b,
                                  const samsa_client_record_t *cr,
                                  samsa_connect_header_t *hs, uint64_t nh,
                                  char *why, size_t whylen)
{
    char *k = NULL, *v = NULL, *ks = NULL, *vs = NULL;
    size_t klen = 0, vlen = 0;
    samsa_err_t err =
        to_text(b->t->key_conv, cr->key, (size_t)cr->key_len, &k, &klen, &ks);
    if (err == SAMSA_OK) {
        err = to_text(b->t->value_conv, cr->value, (size_t)cr->value_len, &v,
                      &vlen, &vs);
    }
    if (err == SAMSA_OK) {
        samsa_connect_record_t in = {
            .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
            .key_schema = ks,
            .value_schema = vs,
            .topic = cr->topic,
            .key = k,
            .key_len = klen,
            .value = v,
            .value_len = vlen,
            .headers = hs,
            .header_count = nh,
            .offset = cr->offset,
            .timestamp = cr->timestamp,
            .partition = cr->partition,
        };
        bool dropped = false;
        err = samsa_connect_chain_run(b->t->chain, &in, push_transformed, b,
                                      &dropped, why, whylen);
    } else {
        snprintf(why, whylen, "the converter cannot read the record");
    }
    free(k);
    free(v);
    free(ks);
    free(vs);
    return err;
}

static int sink_record(sink_batch_t *b, const samsa_client_record_t *cr)
{
    char *k = NULL, *v = NULL;
    size_t klen = 0, vlen = 0;
    samsa_connect_header_t *hs = NULL;
    uint64_t nh = 0;
    char why[400] = "";
    const char *stage = "HEADER_CONVERTER";
    note_topic(b->t, cr->topic);
    b->cur = cr;
    samsa_err_t err = headers_copy(cr, b->t->header_conv, &hs, &nh);
    if (err != SAMSA_OK) {
        snprintf(why, sizeof(why), "the header converter cannot read a header");
    } else {
        stage = b->t->chain ? "TRANSFORMATION" : "KEY_CONVERTER";
    }
    if (err == SAMSA_OK && b->t->chain != NULL) {
        err = sink_transform(b, cr, hs, nh, why, sizeof(why));
        headers_free(hs, nh);
        hs = NULL;
    } else if (err == SAMSA_OK) {
        char *ks = NULL, *vs = NULL;
        err = samsa_converter_decode(b->t->key_conv, cr->key,
                                     (size_t)cr->key_len, &k, &klen, &ks);
        if (err == SAMSA_OK) {
            stage = "VALUE_CONVERTER";
            err = samsa_converter_decode(b->t->value_conv, cr->value,
                                         (size_t)cr->value_len, &v, &vlen, &vs);
        }
        if (err == SAMSA_OK) {
            err = batch_push(b, cr->topic, cr->partition, cr->offset,
                             cr->timestamp, k, klen, v, vlen, hs, nh, ks, vs);
            k = v = ks = vs = NULL;
            hs = NULL;
        } else {
            snprintf(why, sizeof(why), "the converter cannot read the record");
        }
        free(ks);
        free(vs);
    }
    free(k);
    free(v);
    headers_free(hs, nh);
    if (err == SAMSA_ERR_NOMEM || err == SAMSA_OK) {
        b->err = err;
        return err != SAMSA_OK;
    }
    if (b->t->errs.tolerate_all) {
        b->err = tolerate(b, cr, stage, why);
        return b->err != SAMSA_OK;
    }
    snprintf(b->t->trace, sizeof(b->t->trace),
             "cannot process the record at %s-%d offset %lld: %s", cr->topic,
             (int)cr->partition, (long long)cr->offset, why);
    b->err = err;
    return 1;
}

/* The fetch's callback: one record into the batch, and stop taking more
 * once the batch holds the connector's memory limit. */
static int on_sink_record(void *opaque, const samsa_client_record_t *cr)
{
    sink_batch_t *b = opaque;
    int stop = sink_record(b, cr);
    b->bytes += (cr->key ? cr->key_len : 0) + (cr->value ? cr->value_len : 0);
    samsa_connect_limits_buffered(&b->t->lim, b->bytes);
    return stop || samsa_connect_limits_full(&b->t->lim, 1);
}

/* Partitions of the topics @p md describes (those that exist). */
static int64_t partitions_of(const samsa_metadata_t *md)
{
    int64_t n = 0;
    for (int i = 0; md != NULL && i < md->ntopics; i++) {
        n += md->topics[i].error == 0 ? md->topics[i].npartitions : 0;
    }
    return n;
}

/* Positions of the member's assignment: committed, else the beginning
 * (Kafka Connect sinks default to auto.offset.reset=earliest). */
static samsa_err_t sink_positions(task_ctx_t *t, samsa_client_member_t *m,
                                  const char *group, samsa_metadata_t *md,
                                  samsa_fetch_pos_t *pos)
{
    int64_t *committed = calloc((size_t)m->nassigned + 1, sizeof(int64_t));
    if (committed == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = samsa_client_committed(t->client, group, m->assigned,
                                             committed, m->nassigned);
    for (int i = 0; err == SAMSA_OK && i < m->nassigned; i++) {
        pos[i] = (samsa_fetch_pos_t){.topic = m->assigned[i].topic,
                                     .partition = m->assigned[i].partition,
                                     .offset = committed[i],
                                     .high_watermark = -1};
        if (committed[i] < 0) {
            const samsa_md_topic_t *mt =
                samsa_metadata_topic(md, m->assigned[i].topic);
            int32_t leader = SAMSA_NODE_ANY;
            for (int j = 0; mt && j < mt->npartitions; j++) {
                if (mt->partitions[j].id == m->assigned[i].partition) {
                    leader = mt->partitions[j].leader;
                }
            }
            err = samsa_client_list_offset(
                t->client, m->assigned[i].topic, m->assigned[i].partition,
                leader, SAMSA_OFFSET_BEGINNING, &pos[i].offset);
        }
    }
    free(committed);
    return err;
}

/* Send the batch's refused records to the dead-letter topic and wait for
 * them, so the group's commit never passes a record not kept anywhere. */
static samsa_err_t dead_letters(task_ctx_t *t, sink_batch_t *b,
                                samsa_producer_t **dlq)
{
    samsa_err_t err = SAMSA_OK;
    if (*dlq == NULL) {
        err = samsa_connect_producer_new(t->w->reg, t->client, dlq);
    }
    for (dead_t *d = b->dead; err == SAMSA_OK && d != NULL; d = d->next) {
        samsa_connect_failure_t f = {
            .connector = t->name,
            .task_id = t->task->id,
            .stage = d->stage,
            .message = d->message ? d->message : "the record was refused",
            .topic = d->topic,
            .partition = d->partition,
            .offset = d->offset,
        };
        samsa_client_header_t h[MAX_HEADERS];
        size_t nh =
            d->header_count < MAX_HEADERS ? d->header_count : MAX_HEADERS;
        for (size_t i = 0; i < nh; i++) {
            h[i] = (samsa_client_header_t){.key = d->headers[i].key,
                                           .key_len = strlen(d->headers[i].key),
                                           .value = d->headers[i].value,
                                           .value_len =
                                               (size_t)d->headers[i].value_len};
        }
        err = samsa_connect_dead_letter(&t->errs, *dlq, &f, d->key, d->key_len,
                                        d->value, d->value_len, h, nh);
    }
    if (err == SAMSA_OK) {
        err = samsa_producer_flush(*dlq);
    }
    if (err != SAMSA_OK) {
        snprintf(t->trace, sizeof(t->trace),
                 "cannot write to the dead letter queue %s: %s",
                 t->errs.dlq_topic, samsa_client_errmsg(t->client));
        samsa_producer_free(*dlq); /* its error is sticky */
        *dlq = NULL;
    }
    return err;
}

static samsa_err_t run_sink(task_ctx_t *t, const samsa_sink_ops_t *ops,
                            samsa_connect_task_t *task)
{
    const char *list = json_string_value(json_object_get(t->config, "topics"));
    char *copy = strdup(list ? list : "");
    char *topics[64];
    int ntopics = copy ? samsa_connect_split_topics(copy, topics, 64) : 0;
    char group[600];
    snprintf(group, sizeof(group), SAMSA_CONNECT_GROUP_FMT, t->name);
    if (ntopics == 0) {
        snprintf(t->trace, sizeof(t->trace),
                 "a sink connector needs topics (a comma-separated list)");
        free(copy);
        return SAMSA_ERR_CONFIG;
    }
    /* As Kafka Connect's sink consumers: read_uncommitted (the consumer's
     * default; Connect sets no isolation.level for sinks) unless the
     * worker's consumer.isolation.level or the connector's override
     * (KIP-458) says otherwise. */
    const char *iso = json_string_value(
        json_object_get(t->config, "consumer.override.isolation.level"));
    if (iso != NULL && strcmp(iso, "read_committed") != 0 &&
        strcmp(iso, "read_uncommitted") != 0) {
        snprintf(t->trace, sizeof(t->trace),
                 "Invalid value %.200s for configuration isolation.level: "
                 "String must be one of: read_committed, read_uncommitted",
                 iso);
        free(copy);
        return SAMSA_ERR_CONFIG;
    }
    samsa_client_member_t m;
    memset(&m, 0, sizeof(m));
    /* Kafka's per-connector client override (KIP-458): how long a dead
     * worker's task keeps its partitions before the group moves them. */
    const char *session = json_string_value(
        json_object_get(t->config, "consumer.override.session.timeout.ms"));
    m.session_timeout_ms = session ? atoi(session) : 0;
    samsa_metadata_t *md = NULL;
    samsa_fetch_pos_t *pos = NULL;
    sink_batch_t b = {.t = t};
    b.dead_tail = &b.dead;
    samsa_producer_t *dlq = NULL;
    samsa_fetch_conf_t fc;
    samsa_fetch_conf_init(&fc);
    fc.max_wait_ms = POLL_TIMEOUT_MS;
    fc.read_committed = iso != NULL ? strcmp(iso, "read_committed") == 0
                                    : t->w->sink_read_committed;
    /* Compressed batches through the codec plugins (most producers
     * compress). */
    fc.codec = samsa_connect_fetch_codec;
    fc.codec_arg = (void *)t->w->reg;
    if (t->lim.max_buffered > 0 && t->lim.max_buffered < fc.max_bytes) {
        /* Fetch no more than the memory limit lets the task hold (the
         * broker still sends one batch whatever its size). */
        fc.max_bytes = (int32_t)t->lim.max_buffered;
        if (fc.partition_max_bytes > fc.max_bytes) {
            fc.partition_max_bytes = fc.max_bytes;
        }
    }
    bool joined = false;
    int64_t checked_ms = 0;
    samsa_err_t err = SAMSA_OK;
    while (err == SAMSA_OK && !atomic_load(&t->task->stop)) {
        if (!joined) {
            samsa_metadata_free(md);
            md = NULL;
            free(pos);
            pos = NULL;
            /* Metadata first: it creates missing topics (auto-create), so
             * the assignment made in the join sees their partitions. */
            err = samsa_client_metadata(t->client, (const char *const *)topics,
                                        ntopics, true, &md);
            if (err == SAMSA_OK) {
                err = samsa_client_join(t->client, &m, group,
                                        (const char *const *)topics, ntopics);
            }
            if (err == SAMSA_OK) {
                pos = calloc((size_t)m.nassigned + 1, sizeof(*pos));
                err = pos ? sink_positions(t, &m, group, md, pos)
                          : SAMSA_ERR_NOMEM;
            }
            joined = err == SAMSA_OK;
            checked_ms = samsa_mono_ms();
            continue;
        }
        samsa_err_t herr = samsa_client_heartbeat(&m, false);
        if (herr == SAMSA_ERR_REBALANCE_IN_PROGRESS) {
            joined = false;
            continue;
        }
        /* A topic created or grown since the join: join again so the
         * group's assignment covers it (a Kafka consumer's metadata
         * refresh does the same). */
        if (samsa_mono_ms() - checked_ms >= METADATA_CHECK_MS) {
            checked_ms = samsa_mono_ms();
            samsa_metadata_t *now = NULL;
            if (samsa_client_metadata(t->client, (const char *const *)topics,
                                      ntopics, false, &now) == SAMSA_OK &&
                partitions_of(now) != partitions_of(md)) {
                joined = false;
            }
            samsa_metadata_free(now);
            if (!joined) {
                continue;
            }
        }
        if (m.nassigned == 0) {
            sleep_ms(POLL_TIMEOUT_MS);
            continue;
        }
        err = samsa_client_fetch(t->client, md, &fc, pos, m.nassigned,
                                 on_sink_record, &b);
        if (err == SAMSA_OK) {
            err = b.err;
        }
        if (err == SAMSA_OK && b.bytes > 0) {
            samsa_connect_limits_take(&t->lim, (int64_t)b.n, b.bytes,
                                      &t->task->stop);
        }
        if (err == SAMSA_OK && b.n > 0) {
            samsa_err_t perr;
            t->batch = &b; /* for report() */
            while ((perr = ops->put(
                        task, (const samsa_connect_record_t *const *)b.recs,
                        b.n)) == SAMSA_ERR_AGAIN &&
                   !atomic_load(&t->task->stop)) {
                sleep_ms(POLL_TIMEOUT_MS);
            }
            t->batch = NULL;
            if (perr == SAMSA_OK && t->w->put_observer != NULL) {
                t->w->put_observer(
                    t->w->put_observer_ctx, t->name, t->task->id,
                    (const samsa_connect_record_t *const *)b.recs, b.n);
            }
            if (perr == SAMSA_OK) {
                perr = ops->flush(task);
            }
            if (perr != SAMSA_OK && t->trace[0] == '\0') {
                snprintf(t->trace, sizeof(t->trace), "put/flush failed: %s",
                         samsa_err_str(perr));
            }
            err = perr;
        }
        /* The refused records (converters, transforms, put's reports)
         * are kept before the group commits past them. */
        if (err == SAMSA_OK && b.dead != NULL) {
            err = dead_letters(t, &b, &dlq);
        }
        batch_clear(&b);
        b.bytes = 0;
        samsa_connect_limits_buffered(&t->lim, 0);
        if (err == SAMSA_OK) {
            /* Commit only what flush() made durable. */
            int64_t *offs = calloc((size_t)m.nassigned, sizeof(*offs));
            for (int i = 0; offs && i < m.nassigned; i++) {
                offs[i] = pos[i].offset;
            }
            samsa_err_t cerr =
                offs ? samsa_client_commit(t->client, group, &m, m.assigned,
                                           offs, m.nassigned)
                     : SAMSA_ERR_NOMEM;
            free(offs);
            if (cerr != SAMSA_OK) {
                joined = false; /* a rebalance took the partitions */
            }
        }
    }
    if (err != SAMSA_OK && t->trace[0] == '\0') {
        snprintf(t->trace, sizeof(t->trace), "sink failed: %s",
                 samsa_client_errmsg(t->client));
    }
    batch_clear(&b);
    free(b.recs);
    free(b.raw);
    samsa_producer_free(dlq);
    if (joined || m.member_id != NULL) {
        samsa_client_leave(&m);
    }
    samsa_metadata_free(md);
    free(pos);
    free(copy);
    return err;
}

/* ------------------------------------------------------------------ */
/* The thread                                                          */
/* ------------------------------------------------------------------ */

/* Offsets of this connector for task_start (strings borrowed from the
 * copy @p per, which outlives the call). */
static samsa_connect_offset_t *offsets_for(json_t *per, size_t *n)
{
    *n = json_object_size(per);
    samsa_connect_offset_t *o = calloc(*n + 1, sizeof(*o));
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(per, k, v)
    {
        if (o != NULL) {
            o[i].source_partition = k;
            o[i].source_offset = json_string_value(v);
            i++;
        }
    }
    return o;
}

typedef struct eos_read {
    const char *name;
    json_t *offsets; /* name -> {partition -> offset}, as w->offsets */
} eos_read_t;

static void eos_offset_record(void *arg, int64_t offset, const char *key,
                              const char *value)
{
    eos_read_t *r = arg;
    (void)offset;
    samsa_connect_offsets_apply(r->offsets, key, value);
}

/* Exactly-once: make the task's transactional producer, fence the
 * previous generation's (InitProducerId bumps the epoch of
 * "<group>-<connector>-<task>" and aborts its open transaction), then read
 * the committed offsets (read_committed) of the worker's offsets topic and
 * of the connector's own offsets.storage.topic, the latter winning, as
 * Kafka's ConnectorOffsetBackingStore does. *per: the connector's. */
static samsa_err_t eos_start(task_ctx_t *t, json_t **per)
{
    samsa_err_t err = samsa_connect_eos_from_config(t->config, &t->eos,
                                                    t->trace, sizeof(t->trace));
    if (err != SAMSA_OK) {
        return err;
    }
    char txn_id[800];
    samsa_connect_eos_txn_id(t->w->dist.group_id, t->name, t->task->id, txn_id,
                             sizeof(txn_id));
    snprintf(t->offsets_topic, sizeof(t->offsets_topic), "%s",
             t->eos.offsets_topic          ? t->eos.offsets_topic
             : t->w->dist.offsets_topic[0] ? t->w->dist.offsets_topic
                                           : SAMSA_CONNECT_OFFSETS_TOPIC);
    /* Kafka's barrier: the previous generation's tasks are fenced (on
     * the leader) before this one makes its producer, and the generation
     * is still the latest once it did (fencing.h). */
    int64_t gen = 0;
    err = samsa_connect_fencing_before_task(t->w, t->name, &t->task->stop, &gen,
                                            t->trace, sizeof(t->trace));
    if (err != SAMSA_OK) {
        return err;
    }
    err = samsa_connect_txn_producer_new(t->w->reg, t->client, txn_id, &t->txp);
    if (err == SAMSA_OK) {
        err = samsa_producer_init_transactions(t->txp);
    }
    if (err != SAMSA_OK) {
        snprintf(t->trace, sizeof(t->trace),
                 "exactly-once: cannot start the transactional producer "
                 "%.200s: %.200s",
                 txn_id, samsa_client_errmsg(t->client));
        return err;
    }
    err = samsa_connect_fencing_check(t->w, t->name, t->task->id, gen, t->trace,
                                      sizeof(t->trace));
    if (err != SAMSA_OK) {
        return err;
    }
    if (t->eos.offsets_topic != NULL) {
        err = samsa_connect_store_create(t->w->store, t->eos.offsets_topic,
                                         t->trace, sizeof(t->trace));
        if (err != SAMSA_OK) {
            return err;
        }
    }
    eos_read_t r = {.name = t->name, .offsets = json_object()};
    int64_t from = 0;
    /* To the high watermark, waiting out a transaction a dead worker
     * left open there (its task, restarted, fences it at once), so no
     * offset committed after it is missed. */
    err = r.offsets
              ? samsa_connect_store_read_stable(t->w->store, t->client,
                                                SAMSA_CONNECT_OFFSETS_TOPIC,
                                                &from, eos_offset_record, &r)
              : SAMSA_ERR_NOMEM;
    from = 0;
    if (err == SAMSA_OK && t->eos.offsets_topic != NULL) {
        err = samsa_connect_store_read_stable(t->w->store, t->client,
                                              t->eos.offsets_topic, &from,
                                              eos_offset_record, &r);
    }
    if (err != SAMSA_OK) {
        snprintf(t->trace, sizeof(t->trace),
                 "exactly-once: cannot read the committed offsets: %s",
                 samsa_err_str(err));
        json_decref(r.offsets);
        return err;
    }
    json_decref(*per);
    *per = json_incref(json_object_get(r.offsets, t->name));
    /* The worker's table shows what the task resumes from. */
    const char *part;
    json_t *off;
    json_object_foreach(*per, part, off)
    {
        samsa_connect_offset_note(t->w, t->name, part, json_string_value(off));
    }
    json_decref(r.offsets);
    return SAMSA_OK;
}

/* One life of the task: start it, run until asked to stop or failed.
 * SAMSA_OK when stopped on request. */
static samsa_err_t task_attempt(connect_task_t *tk)
{
    connector_t *c = tk->c;
    task_ctx_t t = {.w = c->w, .c = c, .task = tk, .seen = json_object()};
    pthread_mutex_lock(&t.w->lock);
    t.name = strdup(c->name);
    t.config = json_deep_copy(c->config);
    t.plugin = c->plugin;
    int32_t ntasks = c->ntasks;
    json_t *per = json_deep_copy(json_object_get(t.w->offsets, c->name));
    pthread_mutex_unlock(&t.w->lock);

    bool source = t.plugin->kind == SAMSA_KIND_SOURCE;
    samsa_err_t err = t.name && t.config ? SAMSA_OK : SAMSA_ERR_NOMEM;
    /* Config providers: resolved here only, into the task's copy. */
    json_t *secrets = NULL, *resolved = NULL;
    if (err == SAMSA_OK) {
        err = samsa_connect_resolve(&t.w->providers, t.config, &resolved,
                                    &secrets, t.trace, sizeof(t.trace));
    }
    if (err == SAMSA_OK) {
        json_decref(t.config);
        t.config = resolved;
        err = build_kv(&t);
    }
    if (err == SAMSA_OK) {
        err = samsa_converter_from_config(t.config, "key", &t.key_conv, t.trace,
                                          sizeof(t.trace));
    }
    if (err == SAMSA_OK) {
        err = samsa_converter_from_config(t.config, "value", &t.value_conv,
                                          t.trace, sizeof(t.trace));
    }
    if (err == SAMSA_OK) {
        err = samsa_converter_from_config(t.config, "header", &t.header_conv,
                                          t.trace, sizeof(t.trace));
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_errors_from_config(t.config, &t.errs, t.trace,
                                               sizeof(t.trace));
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_limits_from_config(
            t.config, ntasks, &tk->usage, &t.lim, t.trace, sizeof(t.trace));
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_chain_new(t.w->reg, t.config, &t.chain, t.trace,
                                      sizeof(t.trace), NULL, 0);
    }
    char client_id[600];
    snprintf(client_id, sizeof(client_id), "connector-%s-%s-%d",
             source ? "producer" : "consumer", t.name ? t.name : "", tk->id);
    if (err == SAMSA_OK) {
        err = samsa_connect_client_new(t.w, client_id, &t.client);
    }
    if (err == SAMSA_OK && source && t.w->eos == SAMSA_CONNECT_EOS_ENABLED) {
        err = eos_start(&t, &per);
    }
    size_t noffs = 0;
    samsa_connect_offset_t *offs =
        source && per ? offsets_for(per, &noffs) : NULL;
    samsa_connect_task_info_t info = {
        .hdr = SAMSA_ABI_HEADER(samsa_connect_task_info_t),
        .config = t.kv,
        .config_count = t.nkv,
        .offsets = offs,
        .offset_count = offs ? noffs : 0,
        .task_id = tk->id,
        .task_count = ntasks,
        .report = source ? NULL : report_record,
        .report_ctx = source ? NULL : &t,
    };
    if (t.txp != NULL && t.eos.boundary == SAMSA_CONNECT_BOUNDARY_CONNECTOR) {
        info.transaction_commit = txn_request_commit;
        info.transaction_abort = txn_request_abort;
        info.txn_ctx = &t;
    }
    samsa_connect_task_t *task = NULL;
    if (err == SAMSA_OK) {
        err = source ? ((const samsa_source_ops_t *)t.plugin->ops)
                           ->task_start(t.plugin->state, &info, &task, t.trace,
                                        sizeof(t.trace))
                     : ((const samsa_sink_ops_t *)t.plugin->ops)
                           ->task_start(t.plugin->state, &info, &task, t.trace,
                                        sizeof(t.trace));
    }
    free(offs);
    if (err == SAMSA_OK) {
        samsa_connect_task_status(t.w, tk, "RUNNING", NULL);
        samsa_log(SAMSA_LOG_INFO, "connect: %s task %d running", t.name,
                  tk->id);
        if (source) {
            const samsa_source_ops_t *ops = t.plugin->ops;
            err = run_source(&t, ops, task);
            ops->task_stop(task);
        } else {
            const samsa_sink_ops_t *ops = t.plugin->ops;
            err = run_sink(&t, ops, task);
            ops->flush(task);
            ops->task_stop(task);
        }
    }
    if (err != SAMSA_OK && !atomic_load(&tk->stop)) {
        if (t.trace[0] == '\0') {
            snprintf(t.trace, sizeof(t.trace), "%s", samsa_err_str(err));
        }
        /* A plugin may quote a setting; a resolved secret never leaves. */
        samsa_connect_scrub(t.trace, sizeof(t.trace), secrets);
        samsa_log(SAMSA_LOG_ERROR, "connect: %s task %d failed: %s",
                  t.name ? t.name : "?", tk->id, t.trace);
        samsa_connect_task_status(t.w, tk, "FAILED", t.trace);
    }
    samsa_producer_free(t.txp);
    samsa_client_free(t.client);
    samsa_connect_chain_free(t.chain);
    json_decref(t.seen);
    json_decref(secrets);
    free(t.kv);
    json_decref(t.config);
    json_decref(per);
    free(t.name);
    return atomic_load(&tk->stop) ? SAMSA_OK : err;
}

/* Beyond Kafka Connect: a failed task restarts by itself, after 1 s, then
 * twice as long each time up to a minute (back to 1 s once it ran a
 * minute), so a passing outage heals without a REST call and a lasting
 * one costs one attempt a minute. */
#define RESTART_MIN_MS 1000
#define RESTART_MAX_MS 60000

void *samsa_connect_task_main(void *arg)
{
    connect_task_t *tk = arg;
    long backoff = RESTART_MIN_MS;
    while (!atomic_load(&tk->stop)) {
        int64_t started_ms = samsa_mono_ms();
        samsa_err_t err = task_attempt(tk);
        if (err == SAMSA_OK || err == SAMSA_ERR_PRODUCER_FENCED ||
            err == SAMSA_ERR_INVALID_PRODUCER_EPOCH) {
            /* Fenced: a newer generation of this task runs elsewhere
             * (exactly-once); restarting would fence it in turn. */
            break;
        }
        if (samsa_mono_ms() - started_ms >= RESTART_MAX_MS) {
            backoff = RESTART_MIN_MS;
        }
        for (long waited = 0; waited < backoff && !atomic_load(&tk->stop);
             waited += 100) {
            sleep_ms(100);
        }
        backoff = backoff * 2 < RESTART_MAX_MS ? backoff * 2 : RESTART_MAX_MS;
    }
    return NULL;
}
