/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/produce_check.c - see produce_check.h. */
#include "broker/produce_check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/admin_worker.h"
#include "broker/append.h"
#include "broker/cluster.h"
#include "broker/parked.h"
#include "broker/records_check.h"
#include "broker/txn_verify.h"
#include "protocol/generated/messages.h"
#include "record/batch.h"
#include "records_v2.h"
#include "util/clock.h"

/* The longest a Produce waits for a leadership takeover (samsa_cluster_
 * takeover_pending): it takes milliseconds (the applier follows the image
 * handlers read); past this the leader check answers as before. Bounds
 * how long the worker, and the compressed produces queued behind it on
 * this reactor, wait. */
#define TAKEOVER_WAIT_MS 2000

typedef struct pending {
    /* On the connection's parked list while with the worker: that is how
     * later produce requests from the connection know to queue behind. */
    samsa_parked_t parked;
    samsa_records_verdict_t *verdicts;
    samsa_produce_finish_fn finish;
    /* A partition's leadership was being taken over when the request
     * came: the worker waits for it (names: each topic's, in the
     * request's arena, read on the reactor). */
    bool takeover;
    const char **names;
    int64_t takeover_deadline_ms;
} pending_t;

/* The connection closed: the worker still holds the request; done()
 * completes it (the answer is dropped). */
static void cancel(samsa_parked_t *p)
{
    (void)p;
}

static bool compressed(const samsa_records_t *records)
{
    samsa_batch_iter_t it;
    samsa_batch_iter_init(&it, records->ptr,
                          records->len > 0 ? (size_t)records->len : 0);
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    while (samsa_batch_iter_next(&it, &batch, &h) == SAMSA_OK) {
        if (samsa_batch_codec(&h) != 0) {
            return true;
        }
    }
    return false;
}

/* The first batch's producer, when it is a transactional (not control)
 * v2 batch. */
static bool txn_batch(const samsa_records_t *records, int64_t *pid,
                      int16_t *epoch)
{
    samsa_batch_iter_t it;
    samsa_batch_iter_init(&it, records->ptr,
                          records->len > 0 ? (size_t)records->len : 0);
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    if (samsa_batch_iter_next(&it, &batch, &h) != SAMSA_OK || h.magic != 2 ||
        !(h.attributes & SAMSA_BATCH_ATTR_TRANSACTIONAL) ||
        (h.attributes & SAMSA_BATCH_ATTR_CONTROL)) {
        return false;
    }
    *pid = h.producer_id;
    *epoch = h.producer_epoch;
    return true;
}

/* Worker thread: KIP-890 verification of the request's transactional
 * partitions that need it, in one question to the coordinator (a Produce
 * carries one producer's batches). Answers go into the verdicts. */
static void verify_txn(samsa_req_t *req, pending_t *pd)
{
    samsa_ProduceRequest_t *preq = req->body;
    samsa_broker_t *b = req->broker;
    if (!b->txn_verify || preq->TransactionalId.len <= 0) {
        return;
    }
    size_t total = 0;
    for (int32_t t = 0; t < preq->TopicData.count; t++) {
        total += (size_t)preq->TopicData.items[t].PartitionData.count;
    }
    const char **topics = calloc(total ? total : 1, sizeof(*topics));
    int32_t *parts = calloc(total ? total : 1, sizeof(*parts));
    size_t *at = calloc(total ? total : 1, sizeof(*at));
    samsa_err_t *results = calloc(total ? total : 1, sizeof(*results));
    int64_t pid = -1;
    int16_t epoch = -1;
    size_t n = 0, k = 0;
    for (int32_t t = 0;
         topics && parts && at && results && t < preq->TopicData.count; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        const char *name = samsa_req_cstr(req, td->Name);
        for (int32_t p = 0; p < td->PartitionData.count; p++, k++) {
            samsa_ProduceRequest_PartitionProduceData_t *pd_ =
                &td->PartitionData.items[p];
            int64_t bpid;
            int16_t bepoch;
            if (!txn_batch(&pd_->Records, &bpid, &bepoch) ||
                (n > 0 && (bpid != pid || bepoch != epoch)) ||
                !samsa_txn_verify_needed(b, bpid, bepoch, name, pd_->Index)) {
                continue; /* the append checks it (one producer only) */
            }
            pid = bpid;
            epoch = bepoch;
            topics[n] = name;
            parts[n] = pd_->Index;
            at[n++] = k;
        }
    }
    if (n > 0) {
        samsa_txn_verify_run(b->txn_verify,
                             samsa_req_cstr(req, preq->TransactionalId), pid,
                             epoch, topics, parts, n, results);
        for (size_t i = 0; i < n; i++) {
            pd->verdicts[at[i]].txn_err = results[i];
        }
    }
    free(topics);
    free(parts);
    free(at);
    free(results);
}

/* Worker thread: the records of every partition, one budget for all. */
static void check_all(samsa_req_t *req, void *arg)
{
    pending_t *pd = arg;
    samsa_ProduceRequest_t *preq = req->body;
    size_t budget = (size_t)req->broker->cfg->message_max_decompressed_bytes;
    size_t k = 0;
    for (int32_t t = 0; t < preq->TopicData.count; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        for (int32_t p = 0; p < td->PartitionData.count; p++, k++) {
            const samsa_records_t *r = &td->PartitionData.items[p].Records;
            samsa_records_verdict_t *v = &pd->verdicts[k];
            size_t len = r->len > 0 ? (size_t)r->len : 0;
            samsa_batches_info_t info;
            if (len <= SAMSA_BATCH_OFF_MAGIC ||
                r->ptr[SAMSA_BATCH_OFF_MAGIC] != 2 ||
                samsa_batches_validate(r->ptr, len, 0, &info) != SAMSA_OK) {
                continue; /* the handler answers these itself */
            }
            v->checked = true;
            v->err =
                samsa_broker_check_records(req->broker, r->ptr, len, budget,
                                           v->key_required, &v->plain, &v->why);
            budget -= v->plain < budget ? v->plain : budget;
        }
    }
    verify_txn(req, pd);
}

static bool any_takeover_pending(samsa_req_t *req, const char *const *names)
{
    samsa_ProduceRequest_t *preq = req->body;
    for (int32_t t = 0; t < preq->TopicData.count; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        for (int32_t p = 0; names[t] && p < td->PartitionData.count; p++) {
            if (samsa_cluster_takeover_pending(
                    req->broker, names[t], td->PartitionData.items[p].Index)) {
                return true;
            }
        }
    }
    return false;
}

/* Worker thread: the checks, then (a takeover pending) the wait for it. */
static void check_then_wait(samsa_req_t *req, void *arg)
{
    pending_t *pd = arg;
    check_all(req, pd);
    while (pd->takeover) {
        uint64_t seen = samsa_cluster_applied(req->broker);
        if (!any_takeover_pending(req, pd->names) ||
            !samsa_cluster_applied_wait(req->broker, seen,
                                        pd->takeover_deadline_ms)) {
            break;
        }
    }
}

/* Reactor: append and answer with what the worker found. */
static void done(samsa_req_t *req, void *arg)
{
    pending_t *pd = arg;
    samsa_parked_remove(&pd->parked);
    pd->finish(req, pd->verdicts); /* frees req and pd (its arena) */
}

bool samsa_produce_check_defer(samsa_req_t *req, samsa_produce_finish_fn finish)
{
    samsa_ProduceRequest_t *preq = req->body;
    samsa_broker_t *b = req->broker;
    if (!req->conn || b->produce_check_count == 0) {
        return false;
    }
    bool defer = samsa_parked_has(req->conn, cancel);
    bool takeover = false;
    size_t n = 0;
    int32_t ntopics = preq->TopicData.count > 0 ? preq->TopicData.count : 0;
    const char **names =
        samsa_req_alloc(req, sizeof(*names) * (ntopics ? (size_t)ntopics : 1));
    for (int32_t t = 0; t < ntopics; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        names[t] = samsa_req_cstr(req, td->Name);
        for (int32_t p = 0; p < td->PartitionData.count; p++, n++) {
            const samsa_records_t *r = &td->PartitionData.items[p].Records;
            int64_t pid;
            int16_t epoch;
            defer = defer || compressed(r) ||
                    (b->txn_verify && preq->TransactionalId.len > 0 &&
                     txn_batch(r, &pid, &epoch) &&
                     samsa_txn_verify_needed(b, pid, epoch, names[t],
                                             td->PartitionData.items[p].Index));
            takeover = takeover ||
                       (names[t] &&
                        samsa_cluster_takeover_pending(
                            b, names[t], td->PartitionData.items[p].Index));
        }
    }
    if (!defer && !takeover) {
        return false;
    }
    pending_t *pd = samsa_req_alloc(req, sizeof(*pd));
    pd->verdicts = samsa_req_alloc(req, sizeof(*pd->verdicts) * (n ? n : 1));
    memset(pd->verdicts, 0, sizeof(*pd->verdicts) * (n ? n : 1));
    /* Topic settings are read here, on the reactor. */
    size_t k = 0;
    for (int32_t t = 0; t < preq->TopicData.count; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        samsa_err_t terr;
        samsa_topic_t *topic =
            names[t] ? samsa_broker_topic(req->broker, names[t], false, &terr)
                     : NULL;
        bool keys = topic && samsa_topic_keys_required(topic);
        for (int32_t p = 0; p < td->PartitionData.count; p++, k++) {
            pd->verdicts[k].key_required = keys;
        }
        samsa_topic_put(topic);
    }
    pd->finish = finish;
    pd->takeover = takeover;
    pd->names = names;
    int64_t wait_ms = preq->TimeoutMs > 0 && preq->TimeoutMs < TAKEOVER_WAIT_MS
                          ? preq->TimeoutMs
                          : TAKEOVER_WAIT_MS;
    pd->takeover_deadline_ms = samsa_mono_ms() + wait_ms;
    pd->parked = (samsa_parked_t){.cancel = cancel};
    samsa_parked_add(req->conn, &pd->parked);
    samsa_admin_worker_t *w =
        b->produce_checks[samsa_conn_id(req->conn) % b->produce_check_count];
    samsa_admin_run_then(w, req, check_then_wait, done, pd);
    return true;
}

samsa_err_t samsa_produce_checks_start(samsa_broker_t *b)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = b->cfg->reactors > 0 ? (size_t)b->cfg->reactors
                                    : (size_t)(cpus > 0 ? cpus : 1);
    b->produce_checks = calloc(n, sizeof(*b->produce_checks));
    if (!b->produce_checks) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        samsa_err_t err =
            samsa_admin_worker_start(&b->produce_checks[i], "samsa-produce");
        if (err != SAMSA_OK) {
            return err; /* samsa_produce_checks_free releases the rest */
        }
        b->produce_check_count = i + 1;
    }
    return SAMSA_OK;
}

void samsa_produce_checks_stop(samsa_broker_t *b)
{
    for (size_t i = 0; i < b->produce_check_count; i++) {
        samsa_admin_worker_stop(b->produce_checks[i]);
    }
}

void samsa_produce_checks_free(samsa_broker_t *b)
{
    for (size_t i = 0; i < b->produce_check_count; i++) {
        samsa_admin_worker_free(b->produce_checks[i]);
    }
    free(b->produce_checks);
    b->produce_checks = NULL;
    b->produce_check_count = 0;
}
