/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/handle_produce.c - Produce (key 0). */
#include <samsa/authorizer.h>

#include "broker/append.h"
#include "broker/cluster.h"
#include "broker/handlers.h"
#include "broker/settle.h"
#include "broker/produce_check.h"
#include "broker/produce_wait.h"
#include "metrics/metrics.h"
#include "record/batch.h"
#include "records_v2.h"
#include "replica/replica.h"
#include "security/quota.h"

typedef samsa_ProduceResponse_PartitionProduceResponse_t part_resp_t;

static bool produce_partition(samsa_req_t *req, samsa_topic_t *topic,
                              samsa_err_t topic_err,
                              samsa_ProduceRequest_PartitionProduceData_t *pd,
                              int16_t acks, size_t *plain_budget,
                              const samsa_records_verdict_t *verdict,
                              part_resp_t *pr, samsa_produce_wait_t **wait)
{
    samsa_ProduceResponse_PartitionProduceResponse_init(pr);
    pr->Index = pd->Index;
    pr->BaseOffset = -1;
    samsa_err_t err;
    samsa_partition_t *part =
        samsa_broker_partition(topic, topic_err, pd->Index, &err);
    if (err == SAMSA_OK && (acks < -1 || acks > 1)) {
        err = SAMSA_ERR_INVALID_REQUIRED_ACKS;
    }
    if (err == SAMSA_OK && pd->Records.len <= 0) {
        err = SAMSA_ERR_INVALID_RECORD;
    }
    if (err == SAMSA_OK) {
        /* The epoch is taken before the append: a leadership change in
         * between fails the wait rather than passing it unnoticed. */
        int32_t epoch = samsa_replica_leader_epoch(req->broker->replica, part);
        samsa_append_result_t res;
        /* The records live in the request frame, which we own: offsets are
         * assigned in place. */
        err = samsa_broker_append(req->broker, part, (uint8_t *)pd->Records.ptr,
                                  (size_t)pd->Records.len, req->api_version,
                                  acks, plain_budget, verdict, &res);
        pr->BaseOffset = res.base_offset;
        pr->LogAppendTimeMs = res.log_append_time;
        pr->LogStartOffset = res.log_start_offset;
        if (err == SAMSA_OK && acks != 0) {
            samsa_produce_wait_add(wait, topic, part, res.flush_ticket,
                                   &pr->ErrorCode);
        }
        if (err == SAMSA_OK && acks == -1 &&
            (epoch >= 0 || samsa_partition_is_replicated(part))) {
            /* acks=all: answered once the ISR has it (the HW passed it). */
            samsa_produce_wait_replicas(
                wait, topic, part, samsa_partition_leo(part), epoch,
                samsa_topic_config_long(topic, "min.insync.replicas"),
                ((samsa_ProduceRequest_t *)req->body)->TimeoutMs,
                &pr->ErrorCode);
        }
        if (res.message) {
            pr->ErrorMessage = samsa_req_str(req, res.message);
        }
    }
    pr->ErrorCode = (int16_t)err;
    if (err != SAMSA_OK) {
        samsa_metrics_error(SAMSA_API_PRODUCE, err);
    }
    samsa_metrics_topic_request(topic ? topic->name : NULL, SAMSA_API_PRODUCE,
                                err != SAMSA_OK);
    SAMSA_REQ_ARRAY(req, pr->RecordErrors, 0);
    return err == SAMSA_OK;
}

/* The handler proper; @p verdicts: what the produce-check worker found
 * (one per partition, in request order), or NULL to check here. */
/* In a cluster: every partition's leader check, into @p lerrs (in request
 * order); false when the request was parked instead, because one of them
 * is led here by an image whose local log the applier is still making (a
 * topic just created: settle.h). */
static bool leader_checks(samsa_req_t *req, samsa_err_t *lerrs)
{
    samsa_ProduceRequest_t *preq = req->body;
    size_t k = 0;
    for (int32_t t = 0; t < preq->TopicData.count; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        const char *name = samsa_req_cstr(req, td->Name);
        for (int32_t p = 0; p < td->PartitionData.count; p++) {
            int32_t index = td->PartitionData.items[p].Index;
            lerrs[k] = samsa_cluster_leader_check(req->broker, name, index);
            if (lerrs[k] == SAMSA_ERR_LEADER_NOT_AVAILABLE &&
                samsa_req_settle_partition(req, name, index)) {
                return false;
            }
            k++;
        }
    }
    return true;
}

/* Kafka's KafkaApis.handleProduceRequest: a request carrying a
 * transactional batch (control batches included) needs a transactional id
 * its principal may write, or every partition is refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED before anything else is looked
 * at. SAMSA_OK otherwise. */
static samsa_err_t txn_id_check(samsa_req_t *req)
{
    samsa_ProduceRequest_t *preq = req->body;
    bool transactional = false;
    for (int32_t t = 0; !transactional && t < preq->TopicData.count; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        for (int32_t p = 0; !transactional && p < td->PartitionData.count;
             p++) {
            const samsa_records_t *r = &td->PartitionData.items[p].Records;
            samsa_batch_iter_t it;
            samsa_batch_iter_init(&it, r->ptr, r->len > 0 ? (size_t)r->len : 0);
            const uint8_t *batch;
            samsa_batch_hdr_t h;
            while (!transactional &&
                   samsa_batch_iter_next(&it, &batch, &h) == SAMSA_OK) {
                transactional = h.magic == 2 &&
                                (h.attributes & SAMSA_BATCH_ATTR_TRANSACTIONAL);
            }
        }
    }
    if (!transactional) {
        return SAMSA_OK;
    }
    if (preq->TransactionalId.len < 0 ||
        samsa_req_authorize(
            req, SAMSA_ACL_OP_WRITE, SAMSA_RESOURCE_TRANSACTIONAL_ID,
            samsa_req_cstr(req, preq->TransactionalId)) != SAMSA_OK) {
        return SAMSA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    }
    return SAMSA_OK;
}

static void produce(samsa_req_t *req, const samsa_records_verdict_t *verdicts)
{
    samsa_ProduceRequest_t *preq = req->body;
    size_t total = 0;
    for (int32_t t = 0; t < preq->TopicData.count; t++) {
        int32_t np = preq->TopicData.items[t].PartitionData.count;
        total += np > 0 ? (size_t)np : 0;
    }
    samsa_err_t *lerrs = samsa_req_alloc(req, sizeof(*lerrs) * (total + 1));
    samsa_err_t refused = txn_id_check(req);
    if (refused != SAMSA_OK) {
        for (size_t i = 0; i < total; i++) {
            lerrs[i] = refused;
        }
    } else if (!leader_checks(req, lerrs)) {
        return;
    }
    samsa_ProduceResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_ProduceResponse_init(resp);
    int32_t ntopics = preq->TopicData.count > 0 ? preq->TopicData.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Responses, ntopics);
    bool all_ok = true;
    samsa_produce_wait_t *wait = NULL; /* flushes the answer waits for */
    /* Decompression work is bounded per request. */
    size_t k = 0; /* partition index across topics, for verdicts */
    size_t plain_budget =
        (size_t)req->broker->cfg->message_max_decompressed_bytes;
    for (int32_t t = 0; t < ntopics; t++) {
        samsa_ProduceRequest_TopicProduceData_t *td = &preq->TopicData.items[t];
        samsa_ProduceResponse_TopicProduceResponse_t *tr =
            &resp->Responses.items[t];
        samsa_ProduceResponse_TopicProduceResponse_init(tr);
        tr->Name = td->Name;
        samsa_err_t terr = SAMSA_OK;
        /* Produce never auto-creates: Metadata does, as in Kafka. */
        const char *name = samsa_req_cstr(req, td->Name);
        terr = samsa_req_authorize(req, SAMSA_ACL_OP_WRITE,
                                   SAMSA_RESOURCE_TOPIC, name);
        samsa_topic_t *topic =
            terr ? NULL : samsa_broker_topic(req->broker, name, false, &terr);
        int32_t nparts =
            td->PartitionData.count > 0 ? td->PartitionData.count : 0;
        SAMSA_REQ_ARRAY(req, tr->PartitionResponses, nparts);
        for (int32_t p = 0; p < nparts; p++) {
            samsa_ProduceRequest_PartitionProduceData_t *pd =
                &td->PartitionData.items[p];
            /* In a cluster only the partition's leader appends. */
            samsa_err_t lerr = lerrs[k];
            all_ok &= produce_partition(
                req, lerr ? NULL : topic, lerr ? lerr : terr, pd, preq->Acks,
                &plain_budget, verdicts ? &verdicts[k] : NULL,
                &tr->PartitionResponses.items[p], &wait);
            k++;
        }
        samsa_topic_put(topic);
    }
    /* Kafka records the request's size against producer_byte_rate. */
    resp->ThrottleTimeMs =
        samsa_req_quota(req, SAMSA_QUOTA_PRODUCE, (double)req->frame_len);
    if (preq->Acks == 0) {
        /* No response; on failure Kafka closes the connection so the
         * client notices something went wrong. */
        if (all_ok) {
            samsa_req_respond_none(req);
        } else {
            samsa_req_close(req);
        }
        return;
    }
    samsa_produce_respond(req, resp, wait);
}

void samsa_handle_produce(samsa_req_t *req)
{
    /* Compressed records are decompressed and checked off the reactor;
     * produce() then runs back here with the verdicts. */
    if (txn_id_check(req) != SAMSA_OK ||
        !samsa_produce_check_defer(req, produce)) {
        produce(req, NULL);
    }
}
