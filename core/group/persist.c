/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/persist.c - records of the internal compacted topic
 * __consumer_offsets, and their replay at start.
 *
 * Keys follow Kafka's layout (big-endian, int16-length strings):
 *   offset: int16 1, group, topic, int32 partition
 *   group:  int16 2, group
 * Offset values are Kafka's OffsetCommitValue v3: int16 3, int64 offset,
 * int32 leader epoch, string metadata, int64 commit timestamp.
 * Group values are Samsa's own (members are not kept: after a restart
 * members rejoin): int16 100, nullable string protocol type, int32
 * generation, int8 was-empty, int64 state timestamp.
 * A null value is a tombstone; compaction keeps the latest per key.
 */
#include "group/group_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/builder.h"
#include "record/replay.h"
#include "records_v2.h"
#include "util/clock.h"

#define KEY_OFFSET   1
#define KEY_GROUP    2
#define VALUE_OFFSET 3
#define VALUE_GROUP  100
#define READ_CHUNK   (1 << 20)

/* ---------------------------------------------------------------------- */
/* Encoding                                                               */
/* ---------------------------------------------------------------------- */

typedef struct wbuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wbuf_t;

static uint8_t *wb_room(wbuf_t *b, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n) {
            cap *= 2;
        }
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return NULL;
        }
        b->p = np;
        b->cap = cap;
    }
    uint8_t *at = b->p + b->len;
    b->len += n;
    return at;
}

static void wb_i16(wbuf_t *b, int16_t v)
{
    uint8_t *p = wb_room(b, 2);
    if (p) {
        samsa_put_be16(p, (uint16_t)v);
    }
}

static void wb_i32(wbuf_t *b, int32_t v)
{
    uint8_t *p = wb_room(b, 4);
    if (p) {
        samsa_put_be32(p, (uint32_t)v);
    }
}

static void wb_i64(wbuf_t *b, int64_t v)
{
    uint8_t *p = wb_room(b, 8);
    if (p) {
        samsa_put_be64(p, (uint64_t)v);
    }
}

static void wb_str(wbuf_t *b, const char *s)
{
    if (!s) {
        wb_i16(b, -1);
        return;
    }
    size_t n = strlen(s);
    if (n > INT16_MAX) {
        n = INT16_MAX; /* ids and metadata are bounded well below this */
    }
    wb_i16(b, (int16_t)n);
    uint8_t *p = wb_room(b, n);
    if (p) {
        memcpy(p, s, n);
    }
}

/* Reader over one key or value. */
typedef struct rbuf {
    const uint8_t *p;
    size_t len, at;
    bool bad;
} rbuf_t;

static bool rb_need(rbuf_t *r, size_t n)
{
    if (r->bad || r->len - r->at < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static int16_t rb_i16(rbuf_t *r)
{
    if (!rb_need(r, 2)) {
        return 0;
    }
    r->at += 2;
    return (int16_t)samsa_be16(r->p + r->at - 2);
}

static int32_t rb_i32(rbuf_t *r)
{
    if (!rb_need(r, 4)) {
        return 0;
    }
    r->at += 4;
    return (int32_t)samsa_be32(r->p + r->at - 4);
}

static int64_t rb_i64(rbuf_t *r)
{
    if (!rb_need(r, 8)) {
        return 0;
    }
    r->at += 8;
    return (int64_t)samsa_be64(r->p + r->at - 8);
}

/* malloc'd string, or NULL for a null string (bad set on errors). */
static char *rb_str(rbuf_t *r)
{
    int16_t n = rb_i16(r);
    if (r->bad || n < 0 || !rb_need(r, (size_t)n)) {
        if (n < -1) {
            r->bad = true;
        }
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = true;
        return NULL;
    }
    memcpy(s, r->p + r->at, (size_t)n);
    s[n] = '\0';
    r->at += (size_t)n;
    return s;
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                */
/* ---------------------------------------------------------------------- */

/* The sequence a transactional batch of @p pid / @p epoch continues with
 * on @p part (the coordinator lock serializes our appends of it there):
 * Kafka's coordinator appends skip the check, ours go through it. */
static int32_t next_sequence(samsa_partition_t *part, int64_t pid,
                             int16_t epoch)
{
    size_t n = samsa_partition_producers(part, NULL, 0);
    samsa_producer_info_t *all = n ? calloc(n, sizeof(*all)) : NULL;
    int32_t seq = 0;
    n = all ? samsa_partition_producers(part, all, n) : 0;
    for (size_t i = 0; i < n; i++) {
        if (all[i].producer_id == pid && all[i].epoch == epoch &&
            all[i].last_seq >= 0) {
            seq = all[i].last_seq == INT32_MAX ? 0 : all[i].last_seq + 1;
        }
    }
    free(all);
    return seq;
}

static samsa_err_t append_batch(samsa_group_coordinator_t *gc,
                                const char *group_id, samsa_batch_builder_t *bb)
{
    uint8_t *batch;
    size_t len;
    samsa_partition_t *part = samsa_topic_partition(
        gc->otopic, samsa_group_partition_for(gc, group_id));
    if (part && bb->producer_id >= 0) {
        bb->base_sequence =
            next_sequence(part, bb->producer_id, bb->producer_epoch);
    }
    samsa_err_t err = samsa_batch_builder_finish(bb, &batch, &len);
    if (err != SAMSA_OK) {
        return err;
    }
    int64_t base;
    err = part ? samsa_partition_append(part, batch, len, -1, &base, NULL)
               : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    free(batch);
    return err;
}

static void offset_key(wbuf_t *k, const char *group, const char *topic,
                       int32_t partition)
{
    k->len = 0;
    wb_i16(k, KEY_OFFSET);
    wb_str(k, group);
    wb_str(k, topic);
    wb_i32(k, partition);
}

samsa_err_t samsa_gc_persist_offsets(samsa_group_coordinator_t *gc,
                                     const group_t *g,
                                     const offset_ent_t *const *ents,
                                     const char *const *tomb_topics,
                                     const int32_t *tomb_parts, size_t nents,
                                     size_t ntombs, int64_t pid, int16_t epoch)
{
    if (!gc->otopic || nents + ntombs == 0) {
        return SAMSA_OK;
    }
    samsa_batch_builder_t bb;
    samsa_batch_builder_init(&bb);
    if (pid >= 0) {
        /* TxnOffsetCommit: Kafka's transactional offset commit records,
         * pending until the transaction's marker on this partition. */
        bb.attributes = SAMSA_BATCH_ATTR_TRANSACTIONAL;
        bb.producer_id = pid;
        bb.producer_epoch = epoch;
    }
    wbuf_t k = {0}, v = {0};
    int64_t now = samsa_wall_ms();
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; err == SAMSA_OK && i < nents; i++) {
        const offset_ent_t *o = ents[i];
        offset_key(&k, g->id, o->topic, o->partition);
        v.len = 0;
        wb_i16(&v, VALUE_OFFSET);
        wb_i64(&v, o->offset);
        wb_i32(&v, o->leader_epoch);
        wb_str(&v, o->metadata);
        wb_i64(&v, o->commit_ts);
        err = k.oom || v.oom
                  ? SAMSA_ERR_NOMEM
                  : samsa_batch_builder_add(&bb, now, k.p, (int32_t)k.len, v.p,
                                            (int32_t)v.len, NULL, 0);
    }
    for (size_t i = 0; err == SAMSA_OK && i < ntombs; i++) {
        offset_key(&k, g->id, tomb_topics[i], tomb_parts[i]);
        err = k.oom ? SAMSA_ERR_NOMEM
                    : samsa_batch_builder_add(&bb, now, k.p, (int32_t)k.len,
                                              NULL, -1, NULL, 0);
    }
    if (err == SAMSA_OK) {
        err = append_batch(gc, g->id, &bb);
    }
    samsa_batch_builder_free(&bb);
    free(k.p);
    free(v.p);
    return err;
}

samsa_err_t samsa_gc_persist_group(samsa_group_coordinator_t *gc,
                                   const group_t *g, bool tombstone)
{
    if (!gc->otopic) {
        return SAMSA_OK;
    }
    wbuf_t k = {0}, v = {0};
    wb_i16(&k, KEY_GROUP);
    wb_str(&k, g->id);
    if (!tombstone) {
        wb_i16(&v, VALUE_GROUP);
        wb_str(&v, g->protocol_type);
        wb_i32(&v, g->generation);
        uint8_t *e = wb_room(&v, 1);
        if (e) {
            *e = g->state == GS_EMPTY;
        }
        wb_i64(&v, g->state_ts);
    }
    samsa_batch_builder_t bb;
    samsa_batch_builder_init(&bb);
    samsa_err_t err = k.oom || v.oom ? SAMSA_ERR_NOMEM : SAMSA_OK;
    if (err == SAMSA_OK) {
        err = samsa_batch_builder_add(&bb, samsa_wall_ms(), k.p, (int32_t)k.len,
                                      tombstone ? NULL : v.p,
                                      tombstone ? -1 : (int32_t)v.len, NULL, 0);
    }
    if (err == SAMSA_OK) {
        err = append_batch(gc, g->id, &bb);
    }
    samsa_batch_builder_free(&bb);
    free(k.p);
    free(v.p);
    return err;
}

/* ---------------------------------------------------------------------- */
/* Start: create the topic                                                */
/* ---------------------------------------------------------------------- */

samsa_err_t samsa_gc_persist_init(samsa_group_coordinator_t *gc, char *errbuf,
                                  size_t errlen)
{
    samsa_logmgr_t *mgr = gc->opts.logmgr;
    if (!mgr) {
        return SAMSA_OK;
    }
    gc->otopic = samsa_logmgr_topic_get(mgr, SAMSA_OFFSETS_TOPIC);
    if (!gc->otopic) {
        samsa_tcfg_t cfg = {0};
        samsa_err_t err = samsa_tcfg_set(&cfg, "cleanup.policy", "compact");
        if (err == SAMSA_OK && gc->opts.offsets_topic_engine) {
            err = samsa_tcfg_set(&cfg, "samsa.storage.engine",
                                 gc->opts.offsets_topic_engine);
        }
        if (err == SAMSA_OK) {
            err = samsa_logmgr_create_topic(mgr, SAMSA_OFFSETS_TOPIC,
                                            gc->opts.offsets_topic_partitions,
                                            &cfg, false, errbuf, errlen);
        }
        samsa_tcfg_free(&cfg);
        if (err != SAMSA_OK && err != SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
            return err;
        }
        gc->otopic = samsa_logmgr_topic_get(mgr, SAMSA_OFFSETS_TOPIC);
        if (!gc->otopic) {
            snprintf(errbuf, errlen, "%s vanished after creation",
                     SAMSA_OFFSETS_TOPIC);
            return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
        }
    }
    /* An existing topic decides the partition count: groups must map to
     * the partitions their records are in. */
    gc->opts.offsets_topic_partitions = gc->otopic->partition_count;
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Replay                                                                 */
/* ---------------------------------------------------------------------- */

static group_t *replay_group(samsa_group_coordinator_t *gc, const char *id)
{
    group_t *g = samsa_gc_group_find(gc, id);
    return g ? g : samsa_gc_group_create(gc, id);
}

static samsa_err_t replay_offset(samsa_group_coordinator_t *gc, rbuf_t *k,
                                 const samsa_replay_batch_t *b,
                                 const samsa_record_t *rec)
{
    char *group = rb_str(k), *topic = rb_str(k);
    int32_t partition = rb_i32(k);
    samsa_err_t err = SAMSA_OK;
    if (k->bad || !group || !topic) {
        goto out; /* not ours to understand: skip */
    }
    group_t *g = samsa_gc_group_find(gc, group);
    if (!rec->value) {
        offset_ent_t *o = g ? samsa_gc_offset_find(g, topic, partition) : NULL;
        if (o) {
            samsa_gc_offset_remove(g, o);
        }
        goto out;
    }
    rbuf_t v = {rec->value, (size_t)rec->value_len, 0, false};
    int16_t ver = rb_i16(&v);
    samsa_offset_commit_part_t p = {.topic = topic, .partition = partition};
    p.offset = rb_i64(&v);
    p.leader_epoch = ver >= 3 ? rb_i32(&v) : -1;
    char *md = rb_str(&v);
    int64_t ts = rb_i64(&v);
    p.metadata = md;
    if (!v.bad && ver >= 1 && ver <= 3 && (g = replay_group(gc, group))) {
        /* A transaction's offset is pending until its marker. */
        err = b->transactional
                  ? samsa_gc_txn_pending_add(g, b->producer_id, &p, ts)
                  : samsa_gc_offset_set(g, topic, partition, p.offset,
                                        p.leader_epoch, md, ts);
    }
    free(md);
out:
    free(group);
    free(topic);
    return err;
}

static void replay_group_record(samsa_group_coordinator_t *gc, rbuf_t *k,
                                const samsa_record_t *rec)
{
    char *id = rb_str(k);
    if (k->bad || !id) {
        free(id);
        return;
    }
    group_t *g = samsa_gc_group_find(gc, id);
    if (!rec->value) {
        if (g) {
            samsa_gc_group_remove(gc, g);
        }
        free(id);
        return;
    }
    rbuf_t v = {rec->value, (size_t)rec->value_len, 0, false};
    int16_t ver = rb_i16(&v);
    char *ptype = rb_str(&v);
    int32_t gen = rb_i32(&v);
    bool was_empty = rb_need(&v, 1) && v.p[v.at++] != 0;
    int64_t ts = rb_i64(&v);
    if (!v.bad && ver == VALUE_GROUP && (g = replay_group(gc, id))) {
        free(g->protocol_type);
        g->protocol_type = ptype;
        ptype = NULL;
        g->generation = gen;
        /* Members are gone after a restart: the group is Empty from now,
         * or from when it really became empty. */
        g->state_ts = was_empty ? ts : samsa_wall_ms();
    }
    free(ptype);
    free(id);
}

typedef struct replay_ctx {
    samsa_group_coordinator_t *gc;
    int32_t partition;
} replay_ctx_t;

static samsa_err_t replay_record(void *arg, const samsa_replay_batch_t *b,
                                 const samsa_record_t *rec)
{
    replay_ctx_t *ctx = arg;
    samsa_group_coordinator_t *gc = ctx->gc;
    if (b->control) {
        /* A transaction's marker: its pending offsets in this partition
         * become committed, or are dropped. */
        samsa_gc_txn_complete(gc, ctx->partition, b->producer_id, b->commit);
        return SAMSA_OK;
    }
    if (!rec->key) {
        return SAMSA_OK;
    }
    rbuf_t k = {rec->key, (size_t)rec->key_len, 0, false};
    int16_t kv = rb_i16(&k);
    if (kv == 0 || kv == KEY_OFFSET) {
        return replay_offset(gc, &k, b, rec);
    }
    if (kv == KEY_GROUP) {
        replay_group_record(gc, &k, rec);
    }
    return SAMSA_OK;
}

/* The lock is taken per chunk: a partition loading in a cluster must not
 * hold up the groups of the others for its whole replay. */
static samsa_err_t replay_chunk(void *arg, const uint8_t *buf, size_t len)
{
    replay_ctx_t *ctx = arg;
    pthread_mutex_lock(&ctx->gc->lock);
    samsa_err_t err =
        samsa_records_replay_batches(buf, len, replay_record, arg);
    pthread_mutex_unlock(&ctx->gc->lock);
    return err;
}

static samsa_err_t replay_partition(samsa_group_coordinator_t *gc,
                                    samsa_partition_t *part)
{
    replay_ctx_t ctx = {gc, samsa_partition_index(part)};
    /* To the log end, as Kafka's loadGroupsAndOffsets: a new leader's
     * high watermark may not cover what the old one acknowledged yet. */
    return samsa_partition_read_all(part, samsa_partition_log_start(part),
                                    samsa_partition_leo(part), replay_chunk,
                                    &ctx);
}

samsa_err_t samsa_gc_persist_replay_partition(samsa_group_coordinator_t *gc,
                                              int32_t p)
{
    samsa_partition_t *part =
        gc->otopic ? samsa_topic_partition(gc->otopic, p) : NULL;
    return part ? replay_partition(gc, part)
                : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

samsa_err_t samsa_gc_persist_replay(samsa_group_coordinator_t *gc, char *errbuf,
                                    size_t errlen)
{
    if (!gc->otopic) {
        return SAMSA_OK;
    }
    for (int32_t i = 0; i < gc->otopic->partition_count; i++) {
        samsa_partition_t *part = samsa_topic_partition(gc->otopic, i);
        samsa_err_t err = part ? replay_partition(gc, part) : SAMSA_OK;
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "cannot load %s-%d: error %d",
                     SAMSA_OFFSETS_TOPIC, (int)i, (int)err);
            return err;
        }
    }
    /* Groups only holding a tombstoned history are gone; groups holding
     * just a metadata record stay (Empty), like Kafka's. */
    return SAMSA_OK;
}
