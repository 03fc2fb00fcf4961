/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/kafka_service.c - services->kafka_*: the in-tree client
 * (core/client) for connector plugins. Each samsa_kafka_t is one client
 * plus the metadata its fetches route by, refreshed after any error.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/kafka_service.h"
#include "connect/worker_int.h"
#include "records_v2.h"

/* Headers handed per record (more are dropped, never overrun). */
#define MAX_HEADERS 64

static _Atomic(const samsa_connect_t *) published;

void samsa_connect_kafka_publish(const samsa_connect_t *w)
{
    atomic_store(&published, w);
}

const samsa_codec_ops_t *samsa_connect_fetch_codec(void *arg, int codec_id,
                                                   void **state)
{
    const samsa_registry_entry_t *e =
        arg != NULL ? samsa_registry_codec(arg, (uint32_t)codec_id) : NULL;
    if (e == NULL || !e->inited) {
        return NULL;
    }
    *state = e->state;
    return samsa_entry_codec_ops(e);
}

samsa_err_t samsa_connect_kafka_failed(samsa_kafka_t *k, samsa_err_t err)
{
    if (err != SAMSA_OK) {
        snprintf(k->errmsg, sizeof(k->errmsg), "%s",
                 samsa_client_errmsg(k->client));
        if (k->errmsg[0] == '\0') {
            snprintf(k->errmsg, sizeof(k->errmsg), "%s", samsa_err_str(err));
        }
    }
    return err;
}

samsa_err_t samsa_connect_kafka_open(const samsa_instance_t *inst,
                                     const char *bootstrap,
                                     const struct samsa_connect_kv *props,
                                     uint64_t nprops, samsa_kafka_t **out,
                                     char *errbuf, size_t errlen)
{
    const samsa_connect_t *w = atomic_load(&published);
    samsa_client_props_t cp;
    char client_id[300];
    samsa_err_t err = SAMSA_OK;

    *out = NULL;
    if (bootstrap == NULL && w == NULL) {
        snprintf(errbuf, errlen, "no Connect worker runs: name a cluster");
        return SAMSA_ERR_CONFIG;
    }
    memset(&cp, 0, sizeof(cp));
    if (bootstrap == NULL) {
        cp = w->client_props;
    }
    for (uint64_t i = 0; err == SAMSA_OK && i < nprops; i++) {
        err = samsa_client_props_set(&cp, props[i].key, props[i].value, errbuf,
                                     errlen);
    }
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_kafka_t *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    snprintf(client_id, sizeof(client_id), "connector-%s",
             inst != NULL && inst->name != NULL ? inst->name : "plugin");
    samsa_client_conf_t cc = {.bootstrap =
                                  bootstrap != NULL ? bootstrap : w->bootstrap,
                              .client_id = client_id};
    samsa_client_props_apply(&cp, &cc);
    k->reg = w != NULL ? w->reg : NULL;
    err = samsa_client_new(&cc, &k->client);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "client for %s: %s", cc.bootstrap,
                 samsa_err_str(err));
        free(k);
        return err;
    }
    *out = k;
    return SAMSA_OK;
}

void samsa_connect_kafka_close(samsa_kafka_t *k)
{
    if (k != NULL) {
        samsa_producer_free(k->producer);
        samsa_metadata_free(k->md);
        samsa_client_free(k->client);
        free(k);
    }
}

const char *samsa_connect_kafka_errmsg(const samsa_kafka_t *k)
{
    return k != NULL ? k->errmsg : "";
}

samsa_err_t samsa_connect_kafka_refresh(samsa_kafka_t *k)
{
    samsa_metadata_t *md = NULL;
    samsa_err_t err = samsa_client_metadata(k->client, NULL, 0, false, &md);
    if (err == SAMSA_OK) {
        samsa_metadata_free(k->md);
        k->md = md;
    }
    return samsa_connect_kafka_failed(k, err);
}

samsa_err_t samsa_connect_kafka_topics(samsa_kafka_t *k,
                                       void (*cb)(void *arg, const char *topic,
                                                  int32_t partitions),
                                       void *arg)
{
    samsa_err_t err = samsa_connect_kafka_refresh(k);
    for (int32_t i = 0; err == SAMSA_OK && i < k->md->ntopics; i++) {
        const samsa_md_topic_t *t = &k->md->topics[i];
        if (t->error == 0) {
            cb(arg, t->name, t->npartitions);
        }
    }
    return err;
}

samsa_err_t samsa_connect_kafka_list_offset(samsa_kafka_t *k, const char *topic,
                                            int32_t partition, int64_t ts,
                                            int64_t *offset)
{
    samsa_err_t err = k->md != NULL ? SAMSA_OK : samsa_connect_kafka_refresh(k);
    int32_t leader = -1;
    const samsa_md_topic_t *t =
        err == SAMSA_OK ? samsa_metadata_topic(k->md, topic) : NULL;
    for (int32_t i = 0; t != NULL && i < t->npartitions; i++) {
        if (t->partitions[i].id == partition) {
            leader = t->partitions[i].leader;
        }
    }
    if (err == SAMSA_OK && leader < 0) {
        /* Unknown here or leaderless: ask again next time. */
        samsa_metadata_free(k->md);
        k->md = NULL;
        snprintf(k->errmsg, sizeof(k->errmsg), "%s/%d: no leader known", topic,
                 partition);
        return SAMSA_ERR_LEADER_NOT_AVAILABLE;
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_kafka_failed(
            k, samsa_client_list_offset(k->client, topic, partition, leader, ts,
                                        offset));
    }
    return err;
}

typedef struct fetch_ctx {
    int (*cb)(void *arg, const struct samsa_connect_record *rec);
    void *arg;
} fetch_ctx_t;

static int on_record(void *opaque, const samsa_client_record_t *cr)
{
    fetch_ctx_t *f = opaque;
    samsa_connect_header_t h[MAX_HEADERS];
    char keys[MAX_HEADERS][256];
    uint64_t nh = 0;
    const uint8_t *p = cr->headers, *end = cr->headers + cr->headers_len;
    for (int32_t i = 0; i < cr->header_count && nh < MAX_HEADERS; i++) {
        samsa_record_header_t rh;
        if (samsa_record_header_next(&p, end, &rh) != SAMSA_OK) {
            break;
        }
        /* Header keys are not NUL-terminated on the wire. */
        snprintf(keys[nh], sizeof(keys[nh]), "%.*s", (int)rh.key_len,
                 (const char *)rh.key);
        h[nh] = (samsa_connect_header_t){
            .key = keys[nh],
            .value = rh.value,
            .value_len = rh.value ? (uint64_t)rh.value_len : 0};
        nh++;
    }
    samsa_connect_record_t rec = {
        .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
        .topic = cr->topic,
        .key = cr->key,
        .key_len = cr->key ? (uint64_t)cr->key_len : 0,
        .value = cr->value,
        .value_len = cr->value ? (uint64_t)cr->value_len : 0,
        .headers = nh ? h : NULL,
        .header_count = nh,
        .offset = cr->offset,
        .timestamp = cr->timestamp,
        .partition = cr->partition,
    };
    return f->cb(f->arg, &rec);
}

samsa_err_t samsa_connect_kafka_fetch(
    samsa_kafka_t *k, samsa_kafka_pos_t *pos, size_t n, int32_t max_wait_ms,
    int (*cb)(void *arg, const struct samsa_connect_record *rec), void *arg)
{
    if (n == 0) {
        return SAMSA_OK;
    }
    samsa_fetch_pos_t *fp = calloc(n, sizeof(*fp));
    if (fp == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = k->md != NULL ? SAMSA_OK : samsa_connect_kafka_refresh(k);
    for (size_t i = 0; i < n; i++) {
        fp[i] = (samsa_fetch_pos_t){.topic = pos[i].topic,
                                    .partition = pos[i].partition,
                                    .offset = pos[i].offset,
                                    .high_watermark = -1};
    }
    samsa_fetch_conf_t fc;
    samsa_fetch_conf_init(&fc);
    fc.max_wait_ms = max_wait_ms;
    fc.codec = samsa_connect_fetch_codec;
    fc.codec_arg = (void *)k->reg;
    fetch_ctx_t f = {.cb = cb, .arg = arg};
    if (err == SAMSA_OK) {
        err = samsa_connect_kafka_failed(k, samsa_client_fetch(k->client, k->md,
                                                               &fc, fp, (int)n,
                                                               on_record, &f));
    }
    bool stale = err != SAMSA_OK;
    for (size_t i = 0; i < n; i++) {
        pos[i].offset = fp[i].offset;
        pos[i].high_watermark = fp[i].high_watermark;
        pos[i].error = fp[i].error;
        stale = stale || fp[i].error != 0;
    }
    if (stale) {
        /* A moved leader or a new topic: route by fresh metadata. */
        samsa_metadata_free(k->md);
        k->md = NULL;
    }
    free(fp);
    return err;
}

samsa_err_t samsa_connect_kafka_groups(samsa_kafka_t *k,
                                       void (*cb)(void *arg, const char *group),
                                       void *arg)
{
    samsa_arena_t arena;
    char name[512];
    samsa_err_t err = samsa_connect_kafka_refresh(k);

    samsa_arena_init(&arena);
    for (int32_t b = 0; err == SAMSA_OK && b < k->md->nbrokers; b++) {
        samsa_ListGroupsRequest_t req;
        samsa_ListGroupsResponse_t *resp = NULL;
        samsa_ListGroupsRequest_init(&req);
        samsa_arena_reset(&arena);
        err = samsa_connect_kafka_failed(
            k, samsa_client_call(k->client, k->md->brokers[b].id,
                                 SAMSA_API_LIST_GROUPS, &req, &arena,
                                 (void **)&resp, NULL));
        if (err == SAMSA_OK && resp->ErrorCode != 0) {
            err = resp->ErrorCode;
            snprintf(k->errmsg, sizeof(k->errmsg), "ListGroups: %s",
                     samsa_err_str(err));
        }
        for (int32_t i = 0; err == SAMSA_OK && i < resp->Groups.count; i++) {
            samsa_str_t g = resp->Groups.items[i].GroupId;
            snprintf(name, sizeof(name), "%.*s", (int)g.len, g.ptr);
            cb(arg, name);
        }
    }
    samsa_arena_destroy(&arena);
    return err;
}

/* @p pos as the client's partitions (topic strings borrowed). */
static samsa_tp_t *tps_of(const samsa_kafka_pos_t *pos, size_t n)
{
    samsa_tp_t *tps = calloc(n + 1, sizeof(*tps));
    for (size_t i = 0; tps != NULL && i < n; i++) {
        tps[i].topic = (char *)pos[i].topic;
        tps[i].partition = pos[i].partition;
    }
    return tps;
}

static bool coordinator_moved(samsa_err_t err)
{
    return err == SAMSA_ERR_NOT_COORDINATOR ||
           err == SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
}

typedef struct meta_cb {
    void (*cb)(void *arg, size_t i, const char *metadata);
    void *arg;
} meta_cb_t;

static void on_metadata(void *arg, int i, samsa_str_t metadata)
{
    meta_cb_t *m = arg;
    char *text =
        metadata.len > 0 ? strndup(metadata.ptr, (size_t)metadata.len) : NULL;
    if (metadata.len <= 0 || text != NULL) {
        m->cb(m->arg, (size_t)i, text != NULL ? text : "");
    }
    free(text);
}

samsa_err_t samsa_connect_kafka_committed_metadata(
    samsa_kafka_t *k, const char *group, samsa_kafka_pos_t *pos, size_t n,
    void (*cb)(void *arg, size_t i, const char *metadata), void *arg)
{
    samsa_tp_t *tps = tps_of(pos, n);
    int64_t *offs = calloc(n + 1, sizeof(*offs));
    meta_cb_t m = {cb, arg};
    samsa_err_t err = tps && offs ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (int attempt = 0; err == SAMSA_OK && attempt < 2; attempt++) {
        err = samsa_client_committed_meta(k->client, group, tps, offs,
                                          cb != NULL ? on_metadata : NULL, &m,
                                          (int)n);
        if (!coordinator_moved(err)) {
            break;
        }
        samsa_client_forget_coordinator(k->client);
    }
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        pos[i].offset = offs[i];
    }
    free(tps);
    free(offs);
    return samsa_connect_kafka_failed(k, err);
}

samsa_err_t samsa_connect_kafka_committed(samsa_kafka_t *k, const char *group,
                                          samsa_kafka_pos_t *pos, size_t n)
{
    return samsa_connect_kafka_committed_metadata(k, group, pos, n, NULL, NULL);
}

samsa_err_t samsa_connect_kafka_commit_metadata(samsa_kafka_t *k,
                                                const char *group,
                                                const samsa_kafka_pos_t *pos,
                                                const char *const *metadata,
                                                size_t n)
{
    samsa_tp_t *tps = tps_of(pos, n);
    int64_t *offs = calloc(n + 1, sizeof(*offs));
    samsa_err_t err = tps && offs ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        offs[i] = pos[i].offset;
    }
    for (int attempt = 0; err == SAMSA_OK && attempt < 2; attempt++) {
        err = samsa_client_commit_meta(k->client, group, NULL, tps, offs,
                                       metadata, (int)n);
        if (!coordinator_moved(err)) {
            break;
        }
        samsa_client_forget_coordinator(k->client);
    }
    free(tps);
    free(offs);
    return samsa_connect_kafka_failed(k, err);
}

samsa_err_t samsa_connect_kafka_commit(samsa_kafka_t *k, const char *group,
                                       const samsa_kafka_pos_t *pos, size_t n)
{
    return samsa_connect_kafka_commit_metadata(k, group, pos, NULL, n);
}

samsa_err_t samsa_connect_kafka_produce(
    samsa_kafka_t *k, const struct samsa_connect_record *const *recs, size_t n)
{
    samsa_client_header_t h[MAX_HEADERS];
    samsa_err_t err = SAMSA_OK;

    if (k->producer == NULL) {
        samsa_producer_conf_t pc;
        samsa_producer_conf_init(&pc);
        pc.linger_ms = 0;
        pc.auto_create = false;
        err = samsa_connect_kafka_failed(
            k, samsa_producer_new(k->client, &pc, &k->producer));
    }
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        const samsa_connect_record_t *r = recs[i];
        uint64_t nh =
            r->header_count < MAX_HEADERS ? r->header_count : MAX_HEADERS;
        for (uint64_t j = 0; j < nh; j++) {
            h[j] = (samsa_client_header_t){.key = r->headers[j].key,
                                           .key_len = strlen(r->headers[j].key),
                                           .value = r->headers[j].value,
                                           .value_len =
                                               (size_t)r->headers[j].value_len};
        }
        if (r->partition < 0) {
            snprintf(k->errmsg, sizeof(k->errmsg),
                     "produce to %s: no partition given", r->topic);
            return SAMSA_ERR_INVAL;
        }
        err = samsa_connect_kafka_failed(
            k, samsa_producer_produce(
                   k->producer, r->topic, r->partition, r->key,
                   r->key != NULL ? (int32_t)r->key_len : -1, r->value,
                   r->value != NULL ? (int32_t)r->value_len : -1, nh ? h : NULL,
                   (size_t)nh, r->timestamp));
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_kafka_failed(k, samsa_producer_flush(k->producer));
    }
    if (err != SAMSA_OK && k->producer != NULL) {
        /* Its error is sticky and its partitions may be stale: the next
         * call starts a fresh one. */
        samsa_producer_free(k->producer);
        k->producer = NULL;
    }
    return err;
}
