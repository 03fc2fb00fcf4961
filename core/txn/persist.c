/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/txn/persist.c - records of the compacted internal topic
 * __transaction_state, and their replay at start.
 *
 * Kafka's layout (big-endian, int16-length strings), so its tools read it:
 *   key   TransactionLogKey v0:   int16 0, string transactional id
 *   value TransactionLogValue v0: int16 0, int64 producer id, int16 epoch,
 *         int32 timeout ms, int8 state, partitions (int32 count of
 *         {string topic, int32 count of int32}), int64 last update ms,
 *         int64 start ms
 * The latest record per id wins; compaction keeps only it.
 */
#include "txn/txn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/builder.h"
#include "record/replay.h"
#include "records_v2.h"
#include "util/clock.h"
#include "util/java_hash.h"

#define KEY_VERSION   0
#define VALUE_VERSION 0

/* Kafka's partitionFor: Utils.abs(String.hashCode) % partitions. */
int32_t samsa_txn_partition_for(const samsa_txn_coordinator_t *tc,
                                const char *txn_id)
{
    return samsa_internal_partition_for(
        txn_id, tc->stopic ? tc->stopic->partition_count
                           : tc->opts.state_topic_partitions);
}

static size_t str_size(const char *s)
{
    return 2 + strlen(s);
}

static uint8_t *put_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    samsa_put_be16(p, (uint16_t)n);
    memcpy(p + 2, s, n);
    return p + 2 + n;
}

/* Partitions grouped by topic, in the order they were added. */
static size_t value_size(const txn_t *t)
{
    size_t n = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
    for (size_t i = 0; i < t->ntps; i++) {
        n += 4 + str_size(t->tps[i].topic) + 4; /* worst case: own topic */
    }
    return n;
}

static uint8_t *put_partitions(uint8_t *p, const txn_t *t)
{
    uint8_t *count_at = p;
    int32_t topics = 0;
    p += 4;
    bool *done = calloc(t->ntps ? t->ntps : 1, sizeof(*done));
    for (size_t i = 0; done && i < t->ntps; i++) {
        if (done[i]) {
            continue;
        }
        topics++;
        p = put_str(p, t->tps[i].topic);
        uint8_t *parts_at = p;
        int32_t parts = 0;
        p += 4;
        for (size_t j = i; j < t->ntps; j++) {
            if (!done[j] && strcmp(t->tps[j].topic, t->tps[i].topic) == 0) {
                samsa_put_be32(p, (uint32_t)t->tps[j].partition);
                p += 4;
                parts++;
                done[j] = true;
            }
        }
        samsa_put_be32(parts_at, (uint32_t)parts);
    }
    free(done);
    samsa_put_be32(count_at, (uint32_t)topics);
    return p;
}

samsa_err_t samsa_txn_persist(samsa_txn_coordinator_t *tc, txn_t *t)
{
    size_t klen = 2 + str_size(t->id);
    uint8_t *key = malloc(klen);
    uint8_t *value = malloc(value_size(t));
    samsa_err_t err = key && value ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t vlen = 0;
    if (err == SAMSA_OK) {
        samsa_put_be16(key, KEY_VERSION);
        put_str(key + 2, t->id);
        uint8_t *p = value;
        samsa_put_be16(p, VALUE_VERSION);
        samsa_put_be64(p + 2, (uint64_t)t->pid);
        samsa_put_be16(p + 10, (uint16_t)t->epoch);
        samsa_put_be32(p + 12, (uint32_t)t->timeout_ms);
        p[16] = (uint8_t)t->state;
        p = put_partitions(p + 17, t);
        samsa_put_be64(p, (uint64_t)t->update_ms);
        samsa_put_be64(p + 8, (uint64_t)t->start_ms);
        vlen = (size_t)(p + 16 - value);
    }
    samsa_batch_builder_t bb;
    samsa_batch_builder_init(&bb);
    uint8_t *batch = NULL;
    size_t blen = 0;
    if (err == SAMSA_OK) {
        err = samsa_batch_builder_add(&bb, samsa_wall_ms(), key, (int32_t)klen,
                                      value, (int32_t)vlen, NULL, 0);
    }
    if (err == SAMSA_OK) {
        err = samsa_batch_builder_finish(&bb, &batch, &blen);
    }
    if (err == SAMSA_OK) {
        samsa_partition_t *part =
            tc->stopic ? samsa_topic_partition(
                             tc->stopic, samsa_txn_partition_for(tc, t->id))
                       : NULL;
        int64_t base;
        err = part ? samsa_partition_append(part, batch, blen, -1, &base, NULL)
                   : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        if (err == SAMSA_OK) {
            t->log_end = base + 1; /* one record */
        }
    }
    samsa_batch_builder_free(&bb);
    free(batch);
    free(key);
    free(value);
    return err;
}

/* ---------------------------------------------------------------------- */
/* Start                                                                  */
/* ---------------------------------------------------------------------- */

samsa_err_t samsa_txn_persist_init(samsa_txn_coordinator_t *tc, char *errbuf,
                                   size_t errlen)
{
    samsa_logmgr_t *mgr = tc->opts.logmgr;
    tc->stopic = samsa_logmgr_topic_get(mgr, SAMSA_TXN_STATE_TOPIC);
    if (tc->stopic) {
        return SAMSA_OK;
    }
    samsa_tcfg_t cfg = {0};
    samsa_err_t err = samsa_tcfg_set(&cfg, "cleanup.policy", "compact");
    if (err == SAMSA_OK) {
        err = samsa_logmgr_create_topic(mgr, SAMSA_TXN_STATE_TOPIC,
                                        tc->opts.state_topic_partitions, &cfg,
                                        false, errbuf, errlen);
    }
    samsa_tcfg_free(&cfg);
    if (err != SAMSA_OK && err != SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
        return err;
    }
    tc->stopic = samsa_logmgr_topic_get(mgr, SAMSA_TXN_STATE_TOPIC);
    if (!tc->stopic) {
        snprintf(errbuf, errlen, "%s vanished after creation",
                 SAMSA_TXN_STATE_TOPIC);
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Replay                                                                 */
/* ---------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t len, at;
    bool bad;
} rd_t;

static const uint8_t *rd_take(rd_t *r, size_t n)
{
    if (r->bad || r->len - r->at < n) {
        r->bad = true;
        return NULL;
    }
    r->at += n;
    return r->p + r->at - n;
}

static int64_t rd_int(rd_t *r, size_t n)
{
    const uint8_t *p = rd_take(r, n);
    if (!p) {
        return 0;
    }
    switch (n) {
    case 1:
        return (int8_t)p[0];
    case 2:
        return (int16_t)samsa_be16(p);
    case 4:
        return (int32_t)samsa_be32(p);
    default:
        return (int64_t)samsa_be64(p);
    }
}

/* A malloc'd copy of a non-null string, NULL (bad set) otherwise. */
static char *rd_str(rd_t *r)
{
    int64_t n = rd_int(r, 2);
    const uint8_t *s = n >= 0 ? rd_take(r, (size_t)n) : NULL;
    char *out = s ? malloc((size_t)n + 1) : NULL;
    if (!out) {
        r->bad = true;
        return NULL;
    }
    memcpy(out, s, (size_t)n);
    out[n] = '\0';
    return out;
}

static void replay_value(txn_t *t, rd_t *v)
{
    if (rd_int(v, 2) != VALUE_VERSION) {
        return; /* a newer layout than we write: keep what we had */
    }
    t->pid = rd_int(v, 8);
    t->epoch = (int16_t)rd_int(v, 2);
    t->timeout_ms = (int32_t)rd_int(v, 4);
    t->state = (txn_state_t)rd_int(v, 1);
    samsa_txn_clear_parts(t);
    int64_t topics = rd_int(v, 4);
    for (int64_t i = 0; !v->bad && i < topics; i++) {
        char *topic = rd_str(v);
        int64_t parts = rd_int(v, 4);
        for (int64_t j = 0; !v->bad && j < parts; j++) {
            int32_t p = (int32_t)rd_int(v, 4);
            if (!v->bad && samsa_txn_tp_add(t, topic, p) != SAMSA_OK) {
                v->bad = true;
            }
        }
        free(topic);
    }
    t->update_ms = rd_int(v, 8);
    t->start_ms = rd_int(v, 8);
}

static samsa_err_t replay_record(void *arg, const samsa_record_t *rec)
{
    samsa_txn_coordinator_t *tc = arg;
    rd_t k = {rec->key, (size_t)rec->key_len, 0, false};
    if (!rec->key || rd_int(&k, 2) != KEY_VERSION) {
        return SAMSA_OK;
    }
    char *id = rd_str(&k);
    if (!id) {
        return SAMSA_OK;
    }
    txn_t *t = samsa_txn_find(tc, id);
    if (!rec->value) {
        if (t) {
            t->state = TXN_DEAD; /* tombstone: the id expired */
        }
        free(id);
        return SAMSA_OK;
    }
    if (!t) {
        t = samsa_txn_add(tc, id);
    }
    free(id);
    if (!t) {
        return SAMSA_ERR_NOMEM;
    }
    rd_t v = {rec->value, (size_t)rec->value_len, 0, false};
    replay_value(t, &v);
    return SAMSA_OK;
}

static samsa_err_t replay_chunk(void *arg, const uint8_t *buf, size_t len)
{
    samsa_txn_coordinator_t *tc = arg;
    pthread_mutex_lock(&tc->lock);
    samsa_err_t err = samsa_records_replay(buf, len, replay_record, arg);
    pthread_mutex_unlock(&tc->lock);
    return err;
}

samsa_err_t samsa_txn_persist_replay_partition(samsa_txn_coordinator_t *tc,
                                               int32_t p)
{
    samsa_partition_t *part =
        tc->stopic ? samsa_topic_partition(tc->stopic, p) : NULL;
    /* To the log end, as Kafka's coordinator loads: a new leader's high
     * watermark may not cover what the old one acknowledged yet. */
    return part
               ? samsa_partition_read_all(part, samsa_partition_log_start(part),
                                          samsa_partition_leo(part),
                                          replay_chunk, tc)
               : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

samsa_err_t samsa_txn_persist_replay(samsa_txn_coordinator_t *tc, char *errbuf,
                                     size_t errlen)
{
    for (int32_t i = 0; tc->stopic && i < tc->stopic->partition_count; i++) {
        samsa_partition_t *part = samsa_topic_partition(tc->stopic, i);
        samsa_err_t err = part ? samsa_partition_read_all(
                                     part, samsa_partition_log_start(part), -1,
                                     replay_chunk, tc)
                               : SAMSA_OK;
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "cannot load %s-%d: error %d",
                     SAMSA_TXN_STATE_TOPIC, (int)i, (int)err);
            return err;
        }
    }
    return SAMSA_OK;
}
