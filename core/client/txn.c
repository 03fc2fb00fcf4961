/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/txn.c - the transaction coordinator's requests a
 * transactional producer makes (KIP-98): InitProducerId with a
 * transactional id, AddPartitionsToTxn (v3 and below: the client's form;
 * v4+ is the brokers' batched one) and EndTxn. Each finds the id's
 * coordinator and retries what Kafka's producer retries: the coordinator
 * moving or loading, and CONCURRENT_TRANSACTIONS while an earlier
 * transaction's markers are still being written.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_int.h"
#include "util/err.h"

/* About 10 s of retries, as Kafka's producer gives max.block.ms. */
#define TXN_ATTEMPTS   100
#define TXN_BACKOFF_MS 100

static bool retriable(int16_t ec)
{
    return ec == SAMSA_ERR_COORDINATOR_NOT_AVAILABLE ||
           ec == SAMSA_ERR_NOT_COORDINATOR ||
           ec == SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           ec == SAMSA_ERR_CONCURRENT_TRANSACTIONS;
}

static void backoff(void)
{
    struct timespec ts = {0, TXN_BACKOFF_MS * 1000000L};
    nanosleep(&ts, NULL);
}

/* One request to @p txn_id's coordinator, retried; *resp's error code is
 * read by @p error_of. */
static samsa_err_t txn_call(samsa_client_t *c, const char *txn_id,
                            int16_t api_key, int16_t at, const void *req,
                            samsa_arena_t *arena, void **resp,
                            int16_t (*error_of)(const void *resp))
{
    samsa_err_t err = SAMSA_OK;
    for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++) {
        int32_t node = -1;
        samsa_arena_reset(arena);
        err = samsa_client_txn_coordinator(c, txn_id, &node);
        if (err == SAMSA_OK) {
            err = samsa_client_call_at(c, node, api_key, at, req, arena, resp,
                                       NULL);
        }
        if (err != SAMSA_OK) {
            return err;
        }
        int16_t ec = error_of(*resp);
        if (ec == 0) {
            return SAMSA_OK;
        }
        err = samsa_client_fail(c, (samsa_err_t)ec, "transaction %s: %s",
                                txn_id, samsa_err_name(ec));
        if (!retriable(ec)) {
            return err;
        }
        backoff();
    }
    return err;
}

static int16_t init_error(const void *resp)
{
    return ((const samsa_InitProducerIdResponse_t *)resp)->ErrorCode;
}

samsa_err_t samsa_client_init_producer_id(samsa_client_t *c, const char *txn_id,
                                          int32_t timeout_ms, int64_t *pid,
                                          int16_t *epoch)
{
    samsa_InitProducerIdRequest_t req;
    samsa_InitProducerIdRequest_init(&req);
    req.TransactionalId = samsa_str_from_cstr(txn_id);
    req.TransactionTimeoutMs = timeout_ms;
    req.ProducerId = -1;
    req.ProducerEpoch = -1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    void *resp = NULL;
    samsa_err_t err = txn_call(c, txn_id, SAMSA_API_INIT_PRODUCER_ID, -1, &req,
                               &arena, &resp, init_error);
    if (err == SAMSA_OK) {
        *pid = ((samsa_InitProducerIdResponse_t *)resp)->ProducerId;
        *epoch = ((samsa_InitProducerIdResponse_t *)resp)->ProducerEpoch;
    }
    samsa_arena_destroy(&arena);
    return err;
}

/* v3 and below answer per partition only: the first error is the
 * transaction's. */
static int16_t add_error(const void *resp)
{
    const samsa_AddPartitionsToTxnResponse_t *r = resp;
    for (int32_t t = 0; t < r->ResultsByTopicV3AndBelow.count; t++) {
        const samsa_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_t
            *tr = &r->ResultsByTopicV3AndBelow.items[t];
        for (int32_t p = 0; p < tr->ResultsByPartition.count; p++) {
            int16_t ec = tr->ResultsByPartition.items[p].PartitionErrorCode;
            if (ec != 0) {
                return ec;
            }
        }
    }
    return r->ErrorCode;
}

samsa_err_t samsa_client_add_partition_to_txn(samsa_client_t *c,
                                              const char *txn_id, int64_t pid,
                                              int16_t epoch, const char *topic,
                                              int32_t partition)
{
    samsa_AddPartitionsToTxnRequest_t req;
    samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_t t;
    samsa_AddPartitionsToTxnRequest_init(&req);
    samsa_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic_init(&t);
    t.Name = samsa_str_from_cstr(topic);
    t.Partitions.count = 1;
    t.Partitions.items = &partition;
    req.V3AndBelowTransactionalId = samsa_str_from_cstr(txn_id);
    req.V3AndBelowProducerId = pid;
    req.V3AndBelowProducerEpoch = epoch;
    req.V3AndBelowTopics.count = 1;
    req.V3AndBelowTopics.items = &t;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    void *resp = NULL;
    samsa_err_t err = txn_call(c, txn_id, SAMSA_API_ADD_PARTITIONS_TO_TXN, 3,
                               &req, &arena, &resp, add_error);
    samsa_arena_destroy(&arena);
    return err;
}

static int16_t end_error(const void *resp)
{
    return ((const samsa_EndTxnResponse_t *)resp)->ErrorCode;
}

samsa_err_t samsa_client_end_txn(samsa_client_t *c, const char *txn_id,
                                 int64_t pid, int16_t epoch, bool commit)
{
    samsa_EndTxnRequest_t req;
    samsa_EndTxnRequest_init(&req);
    req.TransactionalId = samsa_str_from_cstr(txn_id);
    req.ProducerId = pid;
    req.ProducerEpoch = epoch;
    req.Committed = commit;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    void *resp = NULL;
    samsa_err_t err = txn_call(c, txn_id, SAMSA_API_END_TXN, -1, &req, &arena,
                               &resp, end_error);
    samsa_arena_destroy(&arena);
    return err;
}
