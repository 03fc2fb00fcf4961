/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/txn_verify.c - see txn_verify.h. */
#include "broker/txn_verify.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker/peer_clients.h"
#include "metadata/quorum.h"
#include "txn/coordinator.h"
#include "util/java_hash.h"
#include "util/log.h"

/* Kafka's request.timeout.ms is 30 s; a produce waits on this call, so a
 * coordinator that does not answer fails it sooner (retriable). */
#define CALL_TIMEOUT 5000
#define BUCKETS      4096
/* Open transactions' partitions led here; past this the oldest entry is
 * dropped, which costs its next batch one more verification. */
#define MAX_ENTRIES 65536

typedef struct entry {
    int64_t pid;
    int16_t epoch;
    int32_t partition;
    bool verified;
    uint64_t token;              /* tells a dropped-and-re-added entry apart */
    struct entry *next;          /* bucket chain */
    struct entry *older, *newer; /* age list, for eviction */
    char topic[];
} entry_t;

struct samsa_txn_verify {
    samsa_broker_t *b;
    pthread_mutex_t lock; /* the table */
    entry_t *buckets[BUCKETS];
    entry_t *oldest, *newest;
    size_t count;
    uint64_t next_token;
    pthread_mutex_t call_lock; /* clients and arena */
    samsa_peer_clients_t *peers;
    samsa_arena_t arena;
};

samsa_err_t samsa_txn_verify_new(samsa_broker_t *b, samsa_txn_verify_t **out)
{
    samsa_txn_verify_t *v = calloc(1, sizeof(*v));
    if (!v) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err =
        samsa_peer_clients_new(b, "txn-verify", CALL_TIMEOUT, &v->peers);
    if (err != SAMSA_OK) {
        free(v);
        return err;
    }
    v->b = b;
    pthread_mutex_init(&v->lock, NULL);
    pthread_mutex_init(&v->call_lock, NULL);
    samsa_arena_init(&v->arena);
    *out = v;
    return SAMSA_OK;
}

void samsa_txn_verify_free(samsa_txn_verify_t *v)
{
    if (!v) {
        return;
    }
    for (entry_t *e = v->oldest, *n; e; e = n) {
        n = e->newer;
        free(e);
    }
    samsa_peer_clients_free(v->peers);
    samsa_arena_destroy(&v->arena);
    pthread_mutex_destroy(&v->lock);
    pthread_mutex_destroy(&v->call_lock);
    free(v);
}

static size_t bucket_of(int64_t pid, const char *topic, int32_t partition)
{
    uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ULL;
    h ^= (uint32_t)samsa_java_string_hash(topic) * 31u + (uint32_t)partition;
    return (size_t)(h ^ (h >> 29)) % BUCKETS;
}

static entry_t **find_slot(samsa_txn_verify_t *v, int64_t pid,
                           const char *topic, int32_t partition)
{
    entry_t **pp = &v->buckets[bucket_of(pid, topic, partition)];
    while (*pp && !((*pp)->pid == pid && (*pp)->partition == partition &&
                    strcmp((*pp)->topic, topic) == 0)) {
        pp = &(*pp)->next;
    }
    return pp;
}

static void unlink_entry(samsa_txn_verify_t *v, entry_t **slot)
{
    entry_t *e = *slot;
    *slot = e->next;
    if (e->older) {
        e->older->newer = e->newer;
    } else {
        v->oldest = e->newer;
    }
    if (e->newer) {
        e->newer->older = e->older;
    } else {
        v->newest = e->older;
    }
    v->count--;
    free(e);
}

/* The entry for the partition at @p epoch (a new, unverified one when
 * absent or of another epoch); its token, 0 when out of memory. */
static uint64_t begin_locked(samsa_txn_verify_t *v, int64_t pid, int16_t epoch,
                             const char *topic, int32_t partition)
{
    entry_t **slot = find_slot(v, pid, topic, partition);
    if (*slot && (*slot)->epoch == epoch) {
        return (*slot)->token;
    }
    if (*slot) {
        unlink_entry(v, slot);
    }
    if (v->count >= MAX_ENTRIES) {
        entry_t *old = v->oldest;
        unlink_entry(v, find_slot(v, old->pid, old->topic, old->partition));
    }
    size_t len = strlen(topic) + 1;
    entry_t *e = calloc(1, sizeof(*e) + len);
    if (!e) {
        return 0;
    }
    memcpy(e->topic, topic, len);
    e->pid = pid;
    e->epoch = epoch;
    e->partition = partition;
    e->token = ++v->next_token;
    slot = find_slot(v, pid, topic, partition); /* eviction may move it */
    e->next = *slot;
    *slot = e;
    e->older = v->newest;
    if (v->newest) {
        v->newest->newer = e;
    } else {
        v->oldest = e;
    }
    v->newest = e;
    v->count++;
    return e->token;
}

bool samsa_txn_verify_passed(samsa_txn_verify_t *v, int64_t pid, int16_t epoch,
                             const char *topic, int32_t partition)
{
    if (!v) {
        return false;
    }
    pthread_mutex_lock(&v->lock);
    entry_t *e = *find_slot(v, pid, topic, partition);
    bool ok = e && e->epoch == epoch && e->verified;
    pthread_mutex_unlock(&v->lock);
    return ok;
}

bool samsa_txn_verify_needed(samsa_broker_t *b, int64_t pid, int16_t epoch,
                             const char *topic, int32_t partition)
{
    if (!b->txn_verify || !b->txn) {
        return false;
    }
    return samsa_txn_verify_produce(b->txn, pid, epoch, topic, partition) ==
               SAMSA_ERR_NOT_FOUND &&
           !samsa_txn_verify_passed(b->txn_verify, pid, epoch, topic,
                                    partition);
}

void samsa_txn_verify_forget(samsa_txn_verify_t *v, int64_t pid,
                             const char *topic, int32_t partition)
{
    if (!v) {
        return;
    }
    pthread_mutex_lock(&v->lock);
    entry_t **slot = find_slot(v, pid, topic, partition);
    if (*slot) {
        unlink_entry(v, slot);
    }
    pthread_mutex_unlock(&v->lock);
}

/* Kafka's translation of a verification error for the produce answer. */
static samsa_err_t produce_error(samsa_err_t err)
{
    switch (err) {
    case SAMSA_ERR_NETWORK_EXCEPTION:
    case SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case SAMSA_ERR_COORDINATOR_NOT_AVAILABLE:
    case SAMSA_ERR_NOT_COORDINATOR:
    case SAMSA_ERR_CONCURRENT_TRANSACTIONS:
        return SAMSA_ERR_NOT_ENOUGH_REPLICAS;
    default:
        return SAMSA_ERR_IS_KAFKA(err) ? err : SAMSA_ERR_NOT_ENOUGH_REPLICAS;
    }
}

/* The coordinator of @p txn_id in @p img (the leader of its
 * __transaction_state partition); NULL when there is none now. */
static const samsa_meta_broker_t *coordinator_of(const samsa_meta_image_t *img,
                                                 const char *txn_id)
{
    const samsa_meta_topic_t *t = samsa_meta_topic(img, SAMSA_TXN_STATE_TOPIC);
    const samsa_meta_broker_t *mb = NULL;
    if (t && t->partition_count > 0) {
        int32_t p = samsa_internal_partition_for(txn_id, t->partition_count);
        mb = samsa_meta_broker(img, t->partitions[p].leader);
    }
    return mb && !mb->fenced ? mb : NULL;
}

/* One AddPartitionsToTxn v4+ (VerifyOnly) to @p mb; per-partition
 * answers into @p results. Caller holds call_lock. */
static void ask(samsa_txn_verify_t *v, const samsa_meta_broker_t *mb,
                const char *txn_id, int64_t pid, int16_t epoch,
                const char *const *topics, const int32_t *partitions, size_t n,
                samsa_err_t *results)
{
    samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_t *ts =
        calloc(n ? n : 1, sizeof(*ts));
    samsa_client_t *c = ts ? samsa_peer_clients_get(v->peers, mb) : NULL;
    samsa_err_t err = c ? SAMSA_OK : SAMSA_ERR_NETWORK_EXCEPTION;
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_init(&ts[i]);
        ts[i].Name = samsa_str_from_cstr(topics[i]);
        ts[i].Partitions.items = (int32_t *)&partitions[i];
        ts[i].Partitions.count = 1;
    }
    samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction_t tx;
    samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction_init(&tx);
    tx.TransactionalId = samsa_str_from_cstr(txn_id);
    tx.ProducerId = pid;
    tx.ProducerEpoch = epoch;
    tx.VerifyOnly = true;
    tx.Topics.items = ts;
    tx.Topics.count = (int32_t)n;
    samsa_AddPartitionsToTxnRequest_t req;
    samsa_AddPartitionsToTxnRequest_init(&req);
    req.Transactions.items = &tx;
    req.Transactions.count = 1;
    void *resp = NULL;
    int16_t version = -1;
    if (err == SAMSA_OK) {
        err = samsa_client_call(c, SAMSA_NODE_ANY,
                                SAMSA_API_ADD_PARTITIONS_TO_TXN, &req,
                                &v->arena, &resp, &version);
    }
    samsa_AddPartitionsToTxnResponse_t *r = resp;
    if (err == SAMSA_OK && version < 4) {
        err = SAMSA_ERR_UNSUPPORTED_VERSION; /* not a broker of ours */
    }
    if (err == SAMSA_OK && r->ErrorCode != 0) {
        err = (samsa_err_t)r->ErrorCode;
    }
    const samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnResult_t *tr =
        err == SAMSA_OK && r->ResultsByTransaction.count == 1
            ? &r->ResultsByTransaction.items[0]
            : NULL;
    for (size_t i = 0; i < n; i++) {
        samsa_err_t perr =
            err == SAMSA_OK ? SAMSA_ERR_UNKNOWN_SERVER_ERROR : err;
        for (int32_t t = 0; tr && t < tr->TopicResults.count; t++) {
            const samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t
                *top = &tr->TopicResults.items[t];
            if (samsa_str_eq_cstr(top->Name, topics[i])) {
                for (int32_t p = 0; p < top->ResultsByPartition.count; p++) {
                    if (top->ResultsByPartition.items[p].PartitionIndex ==
                        partitions[i]) {
                        perr = (samsa_err_t)top->ResultsByPartition.items[p]
                                   .PartitionErrorCode;
                    }
                }
            }
        }
        results[i] = perr;
    }
    if (err != SAMSA_OK && !resp) { /* no answer: reconnect next time */
        samsa_log(SAMSA_LOG_DEBUG, "txn: verifying with coordinator %d: %s",
                  mb->id, c ? samsa_client_errmsg(c) : samsa_err_str(err));
        samsa_peer_clients_drop(v->peers, mb->id);
    }
    samsa_arena_reset(&v->arena);
    free(ts);
}

void samsa_txn_verify_run(samsa_txn_verify_t *v, const char *txn_id,
                          int64_t pid, int16_t epoch, const char *const *topics,
                          const int32_t *partitions, size_t n,
                          samsa_err_t *results)
{
    uint64_t *tokens = calloc(n ? n : 1, sizeof(*tokens));
    if (!tokens) {
        for (size_t i = 0; i < n; i++) {
            results[i] = SAMSA_ERR_NOT_ENOUGH_REPLICAS;
        }
        return;
    }
    /* Entries first: a marker written while the question is out drops
     * them, and the answer is then not taken. */
    pthread_mutex_lock(&v->lock);
    for (size_t i = 0; i < n; i++) {
        tokens[i] = begin_locked(v, pid, epoch, topics[i], partitions[i]);
    }
    pthread_mutex_unlock(&v->lock);

    samsa_meta_image_t *img = samsa_meta_image_get(v->b->meta);
    const samsa_meta_broker_t *mb = img ? coordinator_of(img, txn_id) : NULL;
    if (!mb) {
        for (size_t i = 0; i < n; i++) {
            results[i] = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
        }
    } else {
        pthread_mutex_lock(&v->call_lock);
        ask(v, mb, txn_id, pid, epoch, topics, partitions, n, results);
        pthread_mutex_unlock(&v->call_lock);
    }
    samsa_meta_image_put(img);

    pthread_mutex_lock(&v->lock);
    for (size_t i = 0; i < n; i++) {
        entry_t **slot = find_slot(v, pid, topics[i], partitions[i]);
        bool ours = *slot && tokens[i] != 0 && (*slot)->token == tokens[i];
        if (results[i] == SAMSA_OK && ours) {
            (*slot)->verified = true;
        } else if (results[i] == SAMSA_OK) {
            /* A marker ended the transaction here meanwhile. */
            results[i] = SAMSA_ERR_INVALID_TXN_STATE;
        }
        results[i] = produce_error(results[i]);
    }
    pthread_mutex_unlock(&v->lock);
    free(tokens);
}
