/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_txn.c - AddPartitionsToTxn (24), AddOffsetsToTxn (25),
 * EndTxn (26), TxnOffsetCommit (28): thin adapters from the wire structs
 * to core/txn/coordinator.h. In a cluster EndTxn is answered once the
 * transaction's markers are written (samsa_txn_when_complete), as one
 * node answers after writing them. InitProducerId with a transactional id is in
 * handle_init_producer_id.c.
 *
 * Authorization is Kafka's (KafkaApis): WRITE on the transactional id for
 * AddPartitionsToTxn, AddOffsetsToTxn and EndTxn; WRITE on each topic
 * added; READ on the group for AddOffsetsToTxn and TxnOffsetCommit, and
 * READ on each topic whose offsets are committed.
 */
#include <samsa/authorizer.h>

#include <stdlib.h>

#include "broker/commit_wait.h"
#include "broker/handlers.h"
#include "broker/parked.h"
#include "broker/produce_wait.h"
#include "broker/settle.h"
#include "loop/reactor.h"
#include "group/coordinator.h"
#include "txn/coordinator.h"

typedef samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_array_t
    add_topics_t;
typedef samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_array_t
    add_results_t;

/* One transaction's AddPartitionsToTxn (v0-3 body or one v4+ entry). */
static samsa_err_t add_partitions(samsa_req_t *req, samsa_str_t txn_id,
                                  int64_t pid, int16_t epoch, bool verify_only,
                                  const add_topics_t *topics,
                                  add_results_t *results)
{
    int32_t nt = topics->count > 0 ? topics->count : 0;
    size_t total = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t np = topics->items[t].Partitions.count;
        total += np > 0 ? (size_t)np : 0;
    }
    samsa_txn_tp_t *tps =
        samsa_req_alloc(req, (total ? total : 1) * sizeof(*tps));
    size_t n = 0;
    bool denied = false;
    for (int32_t t = 0; t < nt; t++) {
        const char *topic = samsa_req_cstr(req, topics->items[t].Name);
        samsa_err_t terr = samsa_req_authorize(req, SAMSA_ACL_OP_WRITE,
                                               SAMSA_RESOURCE_TOPIC, topic);
        denied |= terr != SAMSA_OK;
        for (int32_t p = 0; p < topics->items[t].Partitions.count; p++) {
            tps[n++] = (samsa_txn_tp_t){
                topic, topics->items[t].Partitions.items[p], terr};
        }
    }
    const char *id = samsa_req_cstr(req, txn_id);
    samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_WRITE,
                                          SAMSA_RESOURCE_TRANSACTIONAL_ID, id);
    if (err == SAMSA_OK && denied) {
        /* Kafka: the denied topics say so, the others were not tried. */
        for (size_t i = 0; i < n; i++) {
            if (tps[i].error == SAMSA_OK) {
                tps[i].error = SAMSA_ERR_OPERATION_NOT_ATTEMPTED;
            }
        }
    } else if (err == SAMSA_OK) {
        err = req->broker->txn
                  ? samsa_txn_add_partitions(req->broker->txn, id, pid, epoch,
                                             tps, n, verify_only)
                  : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    SAMSA_REQ_ARRAY(req, *results, nt);
    n = 0;
    for (int32_t t = 0; t < nt; t++) {
        samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t *tr =
            &results->items[t];
        samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_init(tr);
        tr->Name = topics->items[t].Name;
        int32_t np = topics->items[t].Partitions.count > 0
                         ? topics->items[t].Partitions.count
                         : 0;
        SAMSA_REQ_ARRAY(req, tr->ResultsByPartition, np);
        for (int32_t p = 0; p < np; p++) {
            samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_t
                *pr = &tr->ResultsByPartition.items[p];
            pr->PartitionIndex = topics->items[t].Partitions.items[p];
            pr->PartitionErrorCode =
                (int16_t)(err != SAMSA_OK ? err : tps[n].error);
            n++;
        }
    }
    return err;
}

void samsa_handle_add_partitions_to_txn(samsa_req_t *req)
{
    samsa_AddPartitionsToTxnRequest_t *areq = req->body;
    if (req->api_version <= 3 &&
        samsa_req_settle_coordinator(req, true,
                                     areq->V3AndBelowTransactionalId)) {
        return;
    }
    samsa_AddPartitionsToTxnResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_AddPartitionsToTxnResponse_init(resp);
    if (req->api_version <= 3) {
        samsa_err_t err = add_partitions(
            req, areq->V3AndBelowTransactionalId, areq->V3AndBelowProducerId,
            areq->V3AndBelowProducerEpoch, false, &areq->V3AndBelowTopics,
            &resp->ResultsByTopicV3AndBelow);
        /* Answered once the transaction's record is on every in-sync
         * replica; a failure shows on each partition. */
        add_results_t *rs = &resp->ResultsByTopicV3AndBelow;
        size_t total = 0, n = 0;
        for (int32_t t = 0; t < rs->count; t++) {
            total += (size_t)rs->items[t].ResultsByPartition.count;
        }
        int16_t **codes = samsa_req_alloc(req, sizeof(*codes) * (total + 1));
        for (int32_t t = 0; err == SAMSA_OK && t < rs->count; t++) {
            for (int32_t p = 0; p < rs->items[t].ResultsByPartition.count;
                 p++) {
                codes[n++] = &rs->items[t]
                                  .ResultsByPartition.items[p]
                                  .PartitionErrorCode;
            }
        }
        samsa_produce_wait_t *wait = NULL;
        samsa_txn_log_wait(req,
                           samsa_req_cstr(req, areq->V3AndBelowTransactionalId),
                           codes, n, &wait);
        samsa_produce_respond(req, resp, wait);
        return;
    }
    /* v4+: a batch of transactions (sent by brokers verifying produces). */
    int32_t n = areq->Transactions.count > 0 ? areq->Transactions.count : 0;
    SAMSA_REQ_ARRAY(req, resp->ResultsByTransaction, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction_t *tx =
            &areq->Transactions.items[i];
        samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnResult_t *r =
            &resp->ResultsByTransaction.items[i];
        samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnResult_init(r);
        r->TransactionalId = tx->TransactionalId;
        (void)add_partitions(req, tx->TransactionalId, tx->ProducerId,
                             tx->ProducerEpoch, tx->VerifyOnly, &tx->Topics,
                             &r->TopicResults);
    }
    samsa_req_respond(req, resp);
}

void samsa_handle_add_offsets_to_txn(samsa_req_t *req)
{
    samsa_AddOffsetsToTxnRequest_t *areq = req->body;
    if (samsa_req_settle_coordinator(req, true, areq->TransactionalId) ||
        samsa_req_settle_coordinator(req, false, areq->GroupId)) {
        return;
    }
    samsa_AddOffsetsToTxnResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_AddOffsetsToTxnResponse_init(resp);
    const char *id = samsa_req_cstr(req, areq->TransactionalId);
    const char *group = samsa_req_cstr(req, areq->GroupId);
    samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_WRITE,
                                          SAMSA_RESOURCE_TRANSACTIONAL_ID, id);
    if (err == SAMSA_OK) {
        err = samsa_req_authorize(req, SAMSA_ACL_OP_READ, SAMSA_RESOURCE_GROUP,
                                  group);
    }
    if (err == SAMSA_OK) {
        err =
            req->broker->txn
                ? samsa_txn_add_offsets(req->broker->txn, id, areq->ProducerId,
                                        areq->ProducerEpoch, group)
                : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    resp->ErrorCode = (int16_t)err;
    int16_t *code = &resp->ErrorCode;
    samsa_produce_wait_t *wait = NULL;
    samsa_txn_log_wait(req, id, &code, 1, &wait);
    samsa_produce_respond(req, resp, wait);
}

/* EndTxn waits this long for the markers before it answers anyway (the
 * coordinators' write timeout, offsets.commit.timeout.ms). */
#define END_WAIT_MS 5000

/* An EndTxn answer waiting for its transaction's markers. */
typedef struct end_wait {
    samsa_handoff_t h; /* first */
    samsa_EndTxnResponse_t *resp;
    const char *id; /* in the request's arena */
    bool completed;
} end_wait_t;

/* Answered once Prepare* is on every in-sync replica: a coordinator
 * taking over then finishes the transaction as decided. A transaction
 * complete here is past that (its markers waited for it). */
static void end_respond(samsa_req_t *req, samsa_EndTxnResponse_t *resp,
                        const char *id, bool completed)
{
    int16_t *code = &resp->ErrorCode;
    samsa_produce_wait_t *wait = NULL;
    if (!completed) {
        samsa_txn_log_wait(req, id, &code, 1, &wait);
    }
    samsa_produce_respond(req, resp, wait);
}

static void end_resume(samsa_handoff_t *h)
{
    end_wait_t *w = (end_wait_t *)h;
    end_respond(h->req, w->resp, w->id, w->completed);
}

static void end_free(samsa_handoff_t *h)
{
    free(h);
}

/* The coordinator's callback (any thread). */
static void end_done(void *arg, bool completed)
{
    end_wait_t *w = arg;
    w->completed = completed;
    samsa_handoff_done(&w->h);
}

void samsa_handle_end_txn(samsa_req_t *req)
{
    samsa_EndTxnRequest_t *ereq = req->body;
    if (samsa_req_settle_coordinator(req, true, ereq->TransactionalId)) {
        return;
    }
    samsa_EndTxnResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_EndTxnResponse_init(resp);
    const char *id = samsa_req_cstr(req, ereq->TransactionalId);
    samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_WRITE,
                                          SAMSA_RESOURCE_TRANSACTIONAL_ID, id);
    if (err == SAMSA_OK) {
        err = req->broker->txn
                  ? samsa_txn_end(req->broker->txn, id, ereq->ProducerId,
                                  ereq->ProducerEpoch, ereq->Committed)
                  : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    /* Kafka answers EndTxn before v2 with INVALID_PRODUCER_EPOCH. */
    if (err == SAMSA_ERR_PRODUCER_FENCED && req->api_version < 2) {
        err = SAMSA_ERR_INVALID_PRODUCER_EPOCH;
    }
    resp->ErrorCode = (int16_t)err;
    end_wait_t *w = err == SAMSA_OK && req->broker->meta && req->conn
                        ? calloc(1, sizeof(*w))
                        : NULL;
    if (!w) {
        end_respond(req, resp, id, false);
        return;
    }
    /* In a cluster the marker thread writes the markers: answered once
     * they are (see samsa_txn_when_complete). */
    w->resp = resp;
    w->id = id;
    samsa_handoff_park(&w->h, req, end_resume, end_free);
    samsa_txn_when_complete(req->broker->txn, id, ereq->ProducerId,
                            ereq->ProducerEpoch, END_WAIT_MS, end_done, w);
}

void samsa_handle_txn_offset_commit(samsa_req_t *req)
{
    samsa_TxnOffsetCommitRequest_t *creq = req->body;
    if (samsa_req_settle_coordinator(req, false, creq->GroupId)) {
        return;
    }
    samsa_TxnOffsetCommitResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_TxnOffsetCommitResponse_init(resp);
    int32_t nt = creq->Topics.count > 0 ? creq->Topics.count : 0;
    size_t total = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t np = creq->Topics.items[t].Partitions.count;
        total += np > 0 ? (size_t)np : 0;
    }
    samsa_offset_commit_part_t *offs =
        samsa_req_alloc(req, (total ? total : 1) * sizeof(*offs));
    samsa_err_t *terrs =
        samsa_req_alloc(req, (size_t)(nt ? nt : 1) * sizeof(*terrs));
    size_t n = 0; /* offsets of the topics the principal may read */
    for (int32_t t = 0; t < nt; t++) {
        samsa_TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic_t *rt =
            &creq->Topics.items[t];
        const char *topic = samsa_req_cstr(req, rt->Name);
        terrs[t] = samsa_req_authorize(req, SAMSA_ACL_OP_READ,
                                       SAMSA_RESOURCE_TOPIC, topic);
        for (int32_t p = 0; terrs[t] == SAMSA_OK && p < rt->Partitions.count;
             p++) {
            samsa_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition_t *rp =
                &rt->Partitions.items[p];
            offs[n++] = (samsa_offset_commit_part_t){
                .topic = topic,
                .partition = rp->PartitionIndex,
                .offset = rp->CommittedOffset,
                .leader_epoch =
                    req->api_version >= 2 ? rp->CommittedLeaderEpoch : -1,
                .metadata = rp->CommittedMetadata.len >= 0
                                ? samsa_req_cstr(req, rp->CommittedMetadata)
                                : NULL,
            };
        }
    }
    const char *group = samsa_req_cstr(req, creq->GroupId);
    samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_READ,
                                          SAMSA_RESOURCE_GROUP, group);
    if (err == SAMSA_OK && n > 0) {
        /* Sent to the group's coordinator, as in Kafka: the offsets go to
         * the group's partition, pending until the transaction's marker. */
        samsa_txn_offset_commit_req_t tr = {
            .group_id = group,
            .producer_id = creq->ProducerId,
            .producer_epoch = creq->ProducerEpoch,
            .generation_id = req->api_version >= 3 ? creq->GenerationId : -1,
            .member_id = req->api_version >= 3
                             ? samsa_req_cstr(req, creq->MemberId)
                             : "",
            .group_instance_id =
                req->api_version >= 3 && creq->GroupInstanceId.len >= 0
                    ? samsa_req_cstr(req, creq->GroupInstanceId)
                    : NULL,
        };
        err = req->broker->groups ? samsa_group_txn_offset_commit(
                                        req->broker->groups, &tr, offs, n)
                                  : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    SAMSA_REQ_ARRAY(req, resp->Topics, nt);
    int16_t **codes = samsa_req_alloc(req, sizeof(*codes) * (n + 1));
    size_t ncodes = 0;
    n = 0;
    for (int32_t t = 0; t < nt; t++) {
        samsa_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_t *tr =
            &resp->Topics.items[t];
        samsa_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_init(tr);
        tr->Name = creq->Topics.items[t].Name;
        int32_t np = creq->Topics.items[t].Partitions.count > 0
                         ? creq->Topics.items[t].Partitions.count
                         : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        for (int32_t p = 0; p < np; p++) {
            tr->Partitions.items[p].PartitionIndex =
                creq->Topics.items[t].Partitions.items[p].PartitionIndex;
            samsa_err_t perr = terrs[t];
            if (perr == SAMSA_OK) {
                perr = err != SAMSA_OK ? err : offs[n++].error;
            }
            tr->Partitions.items[p].ErrorCode = (int16_t)perr;
            if (perr == SAMSA_OK) {
                codes[ncodes++] = &tr->Partitions.items[p].ErrorCode;
            }
        }
    }
    samsa_produce_wait_t *wait = NULL;
    samsa_commit_wait(req, group, codes, ncodes, &wait);
    samsa_produce_respond(req, resp, wait);
}
