/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_txn_admin.c - KIP-664's transaction admin APIs:
 * DescribeTransactions (65) and ListTransactions (66) from the transaction
 * coordinator, DescribeProducers (61) from the partitions' producer state.
 * Authorization: DESCRIBE on each transactional id (ListTransactions
 * leaves out the others), READ on each topic for DescribeProducers.
 */
#include <stdlib.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "txn/coordinator.h"

typedef samsa_DescribeTransactionsResponse_TransactionState_t txn_state_resp_t;

static void describe_one(samsa_req_t *req, samsa_str_t id, txn_state_resp_t *ts)
{
    samsa_DescribeTransactionsResponse_TransactionState_init(ts);
    ts->TransactionalId = id;
    ts->TransactionState = SAMSA_STR("");
    ts->ProducerId = -1;
    ts->ProducerEpoch = -1;
    ts->TransactionStartTimeMs = -1;
    SAMSA_REQ_ARRAY(req, ts->Topics, 0);
    const char *cid = samsa_req_cstr(req, id);
    samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                          SAMSA_RESOURCE_TRANSACTIONAL_ID, cid);
    samsa_txn_desc_t d = {0};
    if (err == SAMSA_OK) {
        err = req->broker->txn ? samsa_txn_describe(req->broker->txn, cid, &d)
                               : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    ts->ErrorCode = (int16_t)err;
    if (err != SAMSA_OK) {
        return;
    }
    ts->TransactionState = samsa_req_str(req, d.state);
    ts->TransactionTimeoutMs = d.timeout_ms;
    ts->TransactionStartTimeMs = d.start_ms;
    ts->ProducerId = d.pid;
    ts->ProducerEpoch = d.epoch;
    /* One TopicData per partition keeps this simple; clients merge them
     * by topic. */
    SAMSA_REQ_ARRAY(req, ts->Topics, (int32_t)d.count);
    for (size_t i = 0; i < d.count; i++) {
        samsa_DescribeTransactionsResponse_TopicData_t *td =
            &ts->Topics.items[i];
        samsa_DescribeTransactionsResponse_TopicData_init(td);
        td->Topic = samsa_req_str(req, d.topics[i]);
        SAMSA_REQ_ARRAY(req, td->Partitions, 1);
        td->Partitions.items[0] = d.partitions[i];
    }
    samsa_txn_desc_free(&d);
}

void samsa_handle_describe_transactions(samsa_req_t *req)
{
    samsa_DescribeTransactionsRequest_t *dreq = req->body;
    samsa_DescribeTransactionsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeTransactionsResponse_init(resp);
    int32_t n =
        dreq->TransactionalIds.count > 0 ? dreq->TransactionalIds.count : 0;
    SAMSA_REQ_ARRAY(req, resp->TransactionStates, n);
    for (int32_t i = 0; i < n; i++) {
        describe_one(req, dreq->TransactionalIds.items[i],
                     &resp->TransactionStates.items[i]);
    }
    samsa_req_respond(req, resp);
}

void samsa_handle_list_transactions(samsa_req_t *req)
{
    samsa_ListTransactionsRequest_t *lreq = req->body;
    samsa_ListTransactionsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_ListTransactionsResponse_init(resp);
    int32_t ns = lreq->StateFilters.count > 0 ? lreq->StateFilters.count : 0;
    int32_t np =
        lreq->ProducerIdFilters.count > 0 ? lreq->ProducerIdFilters.count : 0;
    const char **states =
        samsa_req_alloc(req, (size_t)(ns ? ns : 1) * sizeof(*states));
    int32_t unknown = 0;
    SAMSA_REQ_ARRAY(req, resp->UnknownStateFilters, ns);
    for (int32_t i = 0; i < ns; i++) {
        states[i] = samsa_req_cstr(req, lreq->StateFilters.items[i]);
        if (!samsa_txn_state_known(states[i])) {
            resp->UnknownStateFilters.items[unknown++] =
                lreq->StateFilters.items[i];
        }
    }
    resp->UnknownStateFilters.count = unknown;
    samsa_txn_listing_t *list = NULL;
    size_t count = 0;
    samsa_err_t err =
        req->broker->txn
            ? samsa_txn_list(req->broker->txn, states, (size_t)ns,
                             np ? lreq->ProducerIdFilters.items : NULL,
                             (size_t)np,
                             req->api_version >= 1 ? lreq->DurationFilter : -1,
                             &list, &count)
            : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    resp->ErrorCode = (int16_t)err;
    SAMSA_REQ_ARRAY(req, resp->TransactionStates, (int32_t)count);
    int32_t shown = 0;
    for (size_t i = 0; i < count; i++) {
        if (samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                SAMSA_RESOURCE_TRANSACTIONAL_ID,
                                list[i].txn_id) != SAMSA_OK) {
            continue;
        }
        samsa_ListTransactionsResponse_TransactionState_t *ts =
            &resp->TransactionStates.items[shown++];
        samsa_ListTransactionsResponse_TransactionState_init(ts);
        ts->TransactionalId = samsa_req_str(req, list[i].txn_id);
        ts->ProducerId = list[i].pid;
        ts->TransactionState = samsa_req_str(req, list[i].state);
    }
    resp->TransactionStates.count = shown;
    samsa_txn_listings_free(list, count);
    samsa_req_respond(req, resp);
}

typedef samsa_DescribeProducersResponse_PartitionResponse_t prod_part_t;

static void producers_of(samsa_req_t *req, samsa_partition_t *part,
                         prod_part_t *pr)
{
    size_t n = samsa_partition_producers(part, NULL, 0);
    samsa_producer_info_t *info = calloc(n ? n : 1, sizeof(*info));
    if (!info) {
        pr->ErrorCode = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        return;
    }
    n = samsa_partition_producers(part, info, n);
    SAMSA_REQ_ARRAY(req, pr->ActiveProducers, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        samsa_DescribeProducersResponse_ProducerState_t *ps =
            &pr->ActiveProducers.items[i];
        samsa_DescribeProducersResponse_ProducerState_init(ps);
        ps->ProducerId = info[i].producer_id;
        ps->ProducerEpoch = info[i].epoch;
        ps->LastSequence = info[i].last_seq;
        ps->LastTimestamp = info[i].last_timestamp;
        ps->CoordinatorEpoch = info[i].coordinator_epoch;
        ps->CurrentTxnStartOffset = info[i].txn_first_offset;
    }
    free(info);
}

void samsa_handle_describe_producers(samsa_req_t *req)
{
    samsa_DescribeProducersRequest_t *dreq = req->body;
    samsa_DescribeProducersResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeProducersResponse_init(resp);
    int32_t nt = dreq->Topics.count > 0 ? dreq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Topics, nt);
    for (int32_t t = 0; t < nt; t++) {
        samsa_DescribeProducersRequest_TopicRequest_t *rt =
            &dreq->Topics.items[t];
        samsa_DescribeProducersResponse_TopicResponse_t *tr =
            &resp->Topics.items[t];
        samsa_DescribeProducersResponse_TopicResponse_init(tr);
        tr->Name = rt->Name;
        const char *name = samsa_req_cstr(req, rt->Name);
        samsa_err_t terr = samsa_req_authorize(req, SAMSA_ACL_OP_READ,
                                               SAMSA_RESOURCE_TOPIC, name);
        samsa_topic_t *topic =
            terr == SAMSA_OK
                ? samsa_broker_topic(req->broker, name, false, &terr)
                : NULL;
        int32_t np =
            rt->PartitionIndexes.count > 0 ? rt->PartitionIndexes.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        for (int32_t p = 0; p < np; p++) {
            prod_part_t *pr = &tr->Partitions.items[p];
            samsa_DescribeProducersResponse_PartitionResponse_init(pr);
            pr->PartitionIndex = rt->PartitionIndexes.items[p];
            pr->ErrorMessage = SAMSA_STR_NULL;
            SAMSA_REQ_ARRAY(req, pr->ActiveProducers, 0);
            samsa_err_t err = samsa_cluster_leader_check(req->broker, name,
                                                         pr->PartitionIndex);
            samsa_partition_t *part = samsa_broker_partition(
                err ? NULL : topic, err ? err : terr, pr->PartitionIndex, &err);
            pr->ErrorCode = (int16_t)err;
            if (err == SAMSA_OK) {
                producers_of(req, part, pr);
            }
        }
        samsa_topic_put(topic);
    }
    samsa_req_respond(req, resp);
}
