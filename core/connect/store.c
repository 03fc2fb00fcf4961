/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/store.c - see store.h. */
#include "connect/store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"

struct samsa_connect_store {
    char names[3][256]; /* configured topic of each role in topics[] */
    pthread_mutex_t lock;
    samsa_client_t *client;
    samsa_producer_t *producer;
    samsa_arena_t arena;
    /* Kafka's fencable config writer (store.h): its transactional id,
     * "" when connect-configs is written plainly, and its producer once
     * claimed. */
    char txn_id[300];
    bool claimed; /* this worker leads: its config writes are privileged */
    samsa_producer_t *txp;
};

static const char *const topics[] = {SAMSA_CONNECT_CONFIGS_TOPIC,
                                     SAMSA_CONNECT_OFFSETS_TOPIC,
                                     SAMSA_CONNECT_STATUS_TOPIC};

/* The configured topic of role @p topic (one of topics[]). */
static const char *topic_of(const samsa_connect_store_t *s, const char *topic)
{
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(topic, topics[i]) == 0) {
            return s->names[i];
        }
    }
    return topic;
}

/* Create @p n (at most 3) topics compacted with one partition; "already
 * exists" is fine. */
static samsa_err_t create_topics(samsa_connect_store_t *s,
                                 const char *const *names, size_t n,
                                 char *errbuf, size_t errlen)
{
    samsa_CreateTopicsRequest_t req;
    samsa_CreateTopicsRequest_CreatableTopic_t t[3];
    samsa_CreateTopicsRequest_CreateableTopicConfig_t cfg;
    samsa_CreateTopicsRequest_init(&req);
    samsa_CreateTopicsRequest_CreateableTopicConfig_init(&cfg);
    cfg.Name = samsa_str_from_cstr("cleanup.policy");
    cfg.Value = samsa_str_from_cstr("compact");
    for (size_t i = 0; i < n; i++) {
        samsa_CreateTopicsRequest_CreatableTopic_init(&t[i]);
        t[i].Name = samsa_str_from_cstr(names[i]);
        t[i].NumPartitions = 1;
        t[i].ReplicationFactor = -1;
        t[i].Configs.items = &cfg;
        t[i].Configs.count = 1;
    }
    req.Topics.items = t;
    req.Topics.count = (int32_t)n;
    req.timeoutMs = 10000;
    samsa_metadata_t *md = NULL;
    samsa_err_t err = samsa_client_metadata(s->client, NULL, 0, false, &md);
    samsa_metadata_free(md);
    void *resp = NULL;
    if (err == SAMSA_OK) {
        err = samsa_client_call(s->client, samsa_client_controller(s->client),
                                SAMSA_API_CREATE_TOPICS, &req, &s->arena, &resp,
                                NULL);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "connect: cannot create internal topics: %s",
                 samsa_client_errmsg(s->client));
        return err;
    }
    samsa_CreateTopicsResponse_t *r = resp;
    for (int32_t i = 0; i < r->Topics.count; i++) {
        int16_t code = r->Topics.items[i].ErrorCode;
        if (code != 0 && code != SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
            snprintf(errbuf, errlen, "connect: cannot create %.*s: %s",
                     (int)r->Topics.items[i].Name.len,
                     r->Topics.items[i].Name.ptr,
                     samsa_err_str((samsa_err_t)code));
            samsa_arena_reset(&s->arena);
            return (samsa_err_t)code;
        }
    }
    samsa_arena_reset(&s->arena);
    return SAMSA_OK;
}

samsa_err_t samsa_connect_store_open(const samsa_client_conf_t *client,
                                     const samsa_connect_store_names_t *names,
                                     samsa_connect_store_t **out, char *errbuf,
                                     size_t errlen)
{
    samsa_connect_store_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(errbuf, errlen, "connect: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    const char *given[3] = {names ? names->configs : NULL,
                            names ? names->offsets : NULL,
                            names ? names->status : NULL};
    for (size_t i = 0; i < 3; i++) {
        snprintf(s->names[i], sizeof(s->names[i]), "%s",
                 given[i] && given[i][0] ? given[i] : topics[i]);
    }
    pthread_mutex_init(&s->lock, NULL);
    samsa_arena_init(&s->arena);
    samsa_client_conf_t cc = *client;
    cc.client_id = "samsa-connect-store";
    samsa_err_t err = samsa_client_new(&cc, &s->client);
    if (err == SAMSA_OK) {
        const char *names3[] = {s->names[0], s->names[1], s->names[2]};
        err = create_topics(s, names3, 3, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        samsa_producer_conf_t pc;
        samsa_producer_conf_init(&pc);
        pc.acks = -1;
        pc.linger_ms = 0;
        err = samsa_producer_new(s->client, &pc, &s->producer);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "connect: producer: %s",
                     samsa_client_errmsg(s->client));
        }
    }
    if (err != SAMSA_OK) {
        if (errbuf[0] == '\0') {
            snprintf(errbuf, errlen, "connect: %s",
                     s->client ? samsa_client_errmsg(s->client)
                               : samsa_err_str(err));
        }
        samsa_connect_store_close(s);
        return err;
    }
    *out = s;
    return SAMSA_OK;
}

void samsa_connect_store_close(samsa_connect_store_t *s)
{
    if (s == NULL) {
        return;
    }
    samsa_producer_free(s->txp);
    samsa_producer_free(s->producer);
    samsa_client_free(s->client);
    samsa_arena_destroy(&s->arena);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void samsa_connect_store_config_writer(samsa_connect_store_t *s,
                                       const char *txn_id)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->txn_id, sizeof(s->txn_id), "%s", txn_id ? txn_id : "");
    pthread_mutex_unlock(&s->lock);
}

/* Make the fencable writer (its InitProducerId fences an older one of
 * the same id). s->lock held. */
static samsa_err_t claim_locked(samsa_connect_store_t *s)
{
    if (s->txp != NULL || s->txn_id[0] == '\0') {
        return SAMSA_OK;
    }
    samsa_producer_conf_t pc;
    samsa_producer_conf_init(&pc);
    pc.acks = -1;
    pc.linger_ms = 0;
    pc.transactional_id = s->txn_id;
    samsa_err_t err = samsa_producer_new(s->client, &pc, &s->txp);
    if (err == SAMSA_OK) {
        err = samsa_producer_init_transactions(s->txp);
    }
    if (err != SAMSA_OK) {
        samsa_producer_free(s->txp);
        s->txp = NULL;
    }
    return err;
}

samsa_err_t samsa_connect_store_claim(samsa_connect_store_t *s, bool lead)
{
    pthread_mutex_lock(&s->lock);
    samsa_producer_free(s->txp); /* a new leadership: claim anew */
    s->txp = NULL;
    s->claimed = lead && s->txn_id[0] != '\0';
    samsa_err_t err = s->claimed ? claim_locked(s) : SAMSA_OK;
    pthread_mutex_unlock(&s->lock);
    return err;
}

/* One write to connect-configs in a transaction of the fencable writer;
 * on failure (fenced by a newer leader, or else) it is let go, and the
 * next write claims again. s->lock held. */
static samsa_err_t put_privileged(samsa_connect_store_t *s, const char *topic,
                                  const char *key, const char *value)
{
    samsa_err_t err = claim_locked(s);
    if (err == SAMSA_OK) {
        err = samsa_producer_begin_transaction(s->txp);
    }
    if (err == SAMSA_OK) {
        err = samsa_producer_produce(
            s->txp, topic, 0, key, (int32_t)strlen(key), value,
            value ? (int32_t)strlen(value) : -1, NULL, 0, -1);
        samsa_err_t end = err == SAMSA_OK
                              ? samsa_producer_commit_transaction(s->txp)
                              : samsa_producer_abort_transaction(s->txp);
        err = err != SAMSA_OK ? err : end;
    }
    if (err != SAMSA_OK) {
        samsa_producer_free(s->txp);
        s->txp = NULL;
    }
    return err;
}

samsa_err_t samsa_connect_store_put(samsa_connect_store_t *s, const char *topic,
                                    const char *key, const char *value)
{
    topic = topic_of(s, topic);
    pthread_mutex_lock(&s->lock);
    if (s->claimed && strcmp(topic, s->names[0]) == 0) {
        samsa_err_t err = put_privileged(s, topic, key, value);
        pthread_mutex_unlock(&s->lock);
        return err;
    }
    samsa_err_t err = samsa_producer_produce(
        s->producer, topic, 0, key, (int32_t)strlen(key), value,
        value ? (int32_t)strlen(value) : -1, NULL, 0, -1);
    if (err == SAMSA_OK) {
        err = samsa_producer_flush(s->producer);
    }
    if (err != SAMSA_OK) {
        /* The producer's error is sticky: start over with a new one so one
         * broker hiccup does not fail every later write. */
        samsa_producer_t *p = NULL;
        samsa_producer_conf_t pc;
        samsa_producer_conf_init(&pc);
        pc.acks = -1;
        pc.linger_ms = 0;
        if (samsa_producer_new(s->client, &pc, &p) == SAMSA_OK) {
            samsa_producer_free(s->producer);
            s->producer = p;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}

/* Records read under the lock, handed to the callback after it: a
 * callback may write (a task's status when a target state arrives) or
 * wait for a task thread that writes, and both take the lock. */
typedef struct read_rec {
    int64_t offset;
    char *key, *value;
} read_rec_t;

typedef struct read_buf {
    read_rec_t *recs;
    size_t n, cap;
    samsa_err_t err;
} read_buf_t;

static char *dup_bytes(const void *p, int32_t len)
{
    char *s = malloc((size_t)len + 1);
    if (s != NULL) {
        memcpy(s, p, (size_t)len);
        s[len] = '\0';
    }
    return s;
}

static int on_record(void *opaque, const samsa_client_record_t *rec)
{
    read_buf_t *b = opaque;
    if (rec->key == NULL || b->err != SAMSA_OK) {
        return 0; /* not ours: every record we write has a key */
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        read_rec_t *v = realloc(b->recs, cap * sizeof(*v));
        if (v == NULL) {
            b->err = SAMSA_ERR_NOMEM;
            return 0;
        }
        b->recs = v;
        b->cap = cap;
    }
    read_rec_t *r = &b->recs[b->n];
    r->offset = rec->offset;
    r->key = dup_bytes(rec->key, rec->key_len);
    r->value = rec->value ? dup_bytes(rec->value, rec->value_len) : NULL;
    if (r->key == NULL || (rec->value != NULL && r->value == NULL)) {
        free(r->key);
        free(r->value);
        b->err = SAMSA_ERR_NOMEM;
        return 0;
    }
    b->n++;
    return 0;
}

/* Records of @p topic from *from to its end into @p buf, with @p client:
 * read_committed, up to the last stable offset, or with @p stable up to
 * the high watermark at the call, waiting (up to @p max_idle fetches that
 * bring nothing) for the transactions open below it to end. *from moves
 * past what was read. */
static samsa_err_t read_range(samsa_client_t *client, const char *topic,
                              int64_t *from, bool stable, int max_idle,
                              read_buf_t *buf)
{
    samsa_metadata_t *md = NULL;
    const char *names[] = {topic};
    samsa_err_t err = samsa_client_metadata(client, names, 1, false, &md);
    const samsa_md_topic_t *t =
        err == SAMSA_OK ? samsa_metadata_topic(md, topic) : NULL;
    int64_t end = 0;
    if (err == SAMSA_OK && (t == NULL || t->npartitions < 1)) {
        err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (err == SAMSA_OK && stable) {
        err = samsa_client_list_offset(
            client, topic, 0, t->partitions[0].leader, SAMSA_OFFSET_END, &end);
    } else if (err == SAMSA_OK) {
        /* read_committed up to the last stable offset: an exactly-once
         * source task's offsets count once its transaction commits, and
         * never when it aborts (KIP-618). */
        err = samsa_client_last_stable_offset(client, topic, 0,
                                              t->partitions[0].leader, &end);
    }
    samsa_fetch_pos_t pos = {
        .topic = topic, .partition = 0, .offset = *from, .high_watermark = -1};
    samsa_fetch_conf_t fc;
    samsa_fetch_conf_init(&fc);
    fc.max_wait_ms = 100;
    fc.read_committed = true;
    int idle = 0;
    while (err == SAMSA_OK && pos.offset < end && idle < max_idle) {
        int64_t before = pos.offset;
        err = samsa_client_fetch(client, md, &fc, &pos, 1, on_record, buf);
        if (err == SAMSA_OK && pos.error == SAMSA_ERR_OFFSET_OUT_OF_RANGE) {
            /* Compaction or retention moved the start: begin there. */
            err = samsa_client_list_offset(client, topic, 0,
                                           t->partitions[0].leader,
                                           SAMSA_OFFSET_BEGINNING, &pos.offset);
        } else if (err == SAMSA_OK && pos.error != 0) {
            err = (samsa_err_t)pos.error;
        }
        idle = pos.offset == before ? idle + 1 : 0;
    }
    if (err == SAMSA_OK && pos.offset < end) {
        err = SAMSA_ERR_TIMEOUT;
    }
    if (buf->err != SAMSA_OK) {
        err = buf->err; /* read again from *from next time */
    } else {
        *from = pos.offset > *from ? pos.offset : *from;
    }
    samsa_metadata_free(md);
    return err;
}

/* Hand @p buf's records to @p fn (unless reading failed) and free them. */
static void deliver(read_buf_t *buf, samsa_connect_read_fn fn, void *arg)
{
    for (size_t i = 0; i < buf->n; i++) {
        if (buf->err == SAMSA_OK) {
            fn(arg, buf->recs[i].offset, buf->recs[i].key, buf->recs[i].value);
        }
        free(buf->recs[i].key);
        free(buf->recs[i].value);
    }
    free(buf->recs);
}

samsa_err_t samsa_connect_store_read(samsa_connect_store_t *s,
                                     const char *topic, int64_t *from,
                                     samsa_connect_read_fn fn, void *arg)
{
    topic = topic_of(s, topic);
    read_buf_t buf = {.err = SAMSA_OK};
    pthread_mutex_lock(&s->lock);
    samsa_err_t err = read_range(s->client, topic, from, false, 50, &buf);
    pthread_mutex_unlock(&s->lock);
    deliver(&buf, fn, arg);
    return err;
}

samsa_err_t samsa_connect_store_read_stable(samsa_connect_store_t *s,
                                            samsa_client_t *client,
                                            const char *topic, int64_t *from,
                                            samsa_connect_read_fn fn, void *arg)
{
    topic = topic_of(s, topic);
    read_buf_t buf = {.err = SAMSA_OK};
    /* 100 ms fetches: the transaction timeout of the tasks' producers
     * and 10 s more. */
    samsa_err_t err =
        read_range(client, topic, from, true,
                   (SAMSA_CONNECT_STORE_STABLE_WAIT_MS + 99) / 100, &buf);
    deliver(&buf, fn, arg);
    return err;
}

typedef struct replay_arg {
    samsa_connect_replay_fn fn;
    void *arg;
} replay_arg_t;

static void replay_one(void *arg, int64_t offset, const char *key,
                       const char *value)
{
    (void)offset;
    replay_arg_t *r = arg;
    r->fn(r->arg, key, value);
}

samsa_err_t samsa_connect_store_replay(samsa_connect_store_t *s,
                                       const char *topic,
                                       samsa_connect_replay_fn fn, void *arg)
{
    int64_t from = 0;
    replay_arg_t r = {fn, arg};
    return samsa_connect_store_read(s, topic, &from, replay_one, &r);
}

samsa_err_t samsa_connect_store_create(samsa_connect_store_t *s,
                                       const char *topic, char *errbuf,
                                       size_t errlen)
{
    pthread_mutex_lock(&s->lock);
    samsa_err_t err = create_topics(s, &topic, 1, errbuf, errlen);
    pthread_mutex_unlock(&s->lock);
    return err;
}
