/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_init_producer_id.c - InitProducerId (22): producer
 * ids for idempotent producers (core/producer/pid_alloc.h).
 *
 * Without a transactional id:
 *   - v0-v2, or v3+ with ProducerId/ProducerEpoch -1/-1: a new id, epoch 0;
 *   - v3+ with an id this broker issued and its epoch (KIP-360: the
 *     producer asks to bump after an error): the same id with epoch + 1,
 *     or a new id at epoch 0 when the epoch would reach Short.MAX - 1
 *     (Kafka leaves that last value unused); an id we never issued gets a
 *     new id. Kafka's coordinator always hands a non-transactional
 *     producer a new id here; bumping is equivalent for clients (every
 *     partition then expects sequence 0 of the new epoch) and keeps ids.
 *   - only one of ProducerId/ProducerEpoch set: INVALID_REQUEST (Kafka).
 * With a transactional id: the transaction coordinator
 * (core/txn/coordinator.h, samsa_txn_init_producer).
 */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/commit_wait.h"
#include "broker/handlers.h"
#include "broker/settle.h"
#include "producer/pid_alloc.h"
#include "txn/coordinator.h"

#define EPOCH_EXHAUSTED (INT16_MAX - 1)

/* Ids come from this broker's allocator, or in a cluster from the block
 * the controller gave it (cluster.h), so no two brokers hand out one. */
static samsa_err_t bump_or_allocate(samsa_broker_t *b, int64_t pid,
                                    int16_t epoch, int64_t *out_pid,
                                    int16_t *out_epoch)
{
    samsa_pid_alloc_t *pids = samsa_logmgr_producer_ids(b->logs);
    bool issued = b->meta ? samsa_cluster_pid_issued(b, pid)
                          : samsa_pid_alloc_issued(pids, pid);
    if (pid >= 0 && epoch >= 0 && epoch + 1 < EPOCH_EXHAUSTED && issued) {
        *out_pid = pid;
        *out_epoch = (int16_t)(epoch + 1);
        return SAMSA_OK;
    }
    *out_epoch = 0;
    return b->meta ? samsa_cluster_producer_id(b, out_pid)
                   : samsa_pid_alloc_next(pids, out_pid);
}

/* WRITE on some existing topic (Kafka asks it of any topic pattern). */
static bool may_write_some_topic(samsa_req_t *req)
{
    samsa_topic_t **topics;
    size_t count;
    bool ok = false;
    if (samsa_logmgr_list(req->broker->logs, &topics, &count) != SAMSA_OK) {
        return false;
    }
    for (size_t i = 0; i < count && !ok; i++) {
        ok = samsa_req_authorize(req, SAMSA_ACL_OP_WRITE, SAMSA_RESOURCE_TOPIC,
                                 topics[i]->name) == SAMSA_OK;
    }
    samsa_logmgr_list_free(topics, count);
    return ok;
}

void samsa_handle_init_producer_id(samsa_req_t *req)
{
    samsa_InitProducerIdRequest_t *ireq = req->body;
    if (samsa_req_settle_coordinator(req, true, ireq->TransactionalId)) {
        return;
    }
    samsa_InitProducerIdResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_InitProducerIdResponse_init(resp);
    resp->ProducerId = -1;
    resp->ProducerEpoch = -1;
    int64_t pid = req->api_version >= 3 ? ireq->ProducerId : -1;
    int16_t epoch = req->api_version >= 3 ? ireq->ProducerEpoch : -1;
    samsa_err_t err = SAMSA_OK;
    if (ireq->TransactionalId.len >= 0) { /* not null */
        const char *txn_id = samsa_req_cstr(req, ireq->TransactionalId);
        err = samsa_req_authorize(req, SAMSA_ACL_OP_WRITE,
                                  SAMSA_RESOURCE_TRANSACTIONAL_ID, txn_id);
        if (err == SAMSA_OK) {
            err = req->broker->txn
                      ? samsa_txn_init_producer(req->broker->txn, txn_id,
                                                ireq->TransactionTimeoutMs, pid,
                                                epoch, &resp->ProducerId,
                                                &resp->ProducerEpoch)
                      : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
        }
        if (err == SAMSA_ERR_PRODUCER_FENCED && req->api_version < 4) {
            err = SAMSA_ERR_INVALID_PRODUCER_EPOCH; /* Kafka, before v4 */
        }
        if (err == SAMSA_OK) {
            /* The new epoch is on every in-sync replica of the id's
             * transaction log before the producer uses it. */
            resp->ErrorCode = SAMSA_OK;
            int16_t *code = &resp->ErrorCode;
            samsa_produce_wait_t *wait = NULL;
            samsa_txn_log_wait(req, txn_id, &code, 1, &wait);
            samsa_produce_respond(req, resp, wait);
            return;
        }
    } else if (samsa_req_authorize(req, SAMSA_ACL_OP_IDEMPOTENT_WRITE,
                                   SAMSA_RESOURCE_CLUSTER,
                                   SAMSA_CLUSTER_RESOURCE) != SAMSA_OK &&
               !may_write_some_topic(req)) {
        /* Kafka 3: IDEMPOTENT_WRITE on the cluster, or WRITE on any
         * topic. */
        err = SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    } else if ((pid == -1) != (epoch == -1)) {
        err = SAMSA_ERR_INVALID_REQUEST;
    } else {
        int64_t new_pid = -1;
        int16_t new_epoch = -1;
        err = bump_or_allocate(req->broker, pid, epoch, &new_pid, &new_epoch);
        /* The first block of ids (or the next) is on its way from the
         * controller: a few ms with one voter. */
        if (err == SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS &&
            samsa_req_settle(req)) {
            return;
        }
        if (err == SAMSA_OK) {
            resp->ProducerId = new_pid;
            resp->ProducerEpoch = new_epoch;
        }
    }
    resp->ErrorCode = (int16_t)err;
    samsa_req_respond(req, resp);
}
