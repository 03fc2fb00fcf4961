/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_alter_partition.c - AlterPartition (56, v0-v3) on the
 * controller: a partition leader asks for a new ISR. Validated as Kafka's
 * ReplicationControlManager.alterPartition does (the sender's broker epoch,
 * then per partition: epochs current, the sender leads, the ISR a set of
 * replicas holding the leader, every member registered, unfenced and of
 * the epoch given), then committed as a PARTITION_CHANGE computed on the
 * partition epoch the leader saw; the request stays parked meanwhile
 * (samsa_cluster_propose) and the answer is the committed state. Needs
 * CLUSTER_ACTION on the cluster; NOT_CONTROLLER anywhere but on the
 * controller.
 */
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/partition_change.h"

typedef samsa_AlterPartitionRequest_PartitionData_t preq_t;
typedef samsa_AlterPartitionResponse_PartitionData_t presp_t;

/* Per response partition, the index of its proposal (-1: answered). */
typedef struct pending {
    samsa_AlterPartitionResponse_t *resp;
    int **proposal;     /* [topic][partition] */
    const char **names; /* [topic]: the topic's name, NULL when unknown */
} pending_t;

/* The new ISR's ids, whatever the version (v3 carries broker epochs). */
static int32_t isr_ids(samsa_req_t *req, const preq_t *pd, int32_t **ids,
                       int64_t **epochs)
{
    bool v3 = req->api_version >= 3;
    int32_t n = v3 ? pd->NewIsrWithEpochs.count : pd->NewIsr.count;
    n = n > 0 ? n : 0;
    *ids = samsa_req_alloc(req, sizeof(int32_t) * (size_t)(n + 1));
    *epochs = samsa_req_alloc(req, sizeof(int64_t) * (size_t)(n + 1));
    for (int32_t i = 0; i < n; i++) {
        (*ids)[i] =
            v3 ? pd->NewIsrWithEpochs.items[i].BrokerId : pd->NewIsr.items[i];
        (*epochs)[i] = v3 ? pd->NewIsrWithEpochs.items[i].BrokerEpoch : -1;
    }
    return n;
}

static samsa_err_t validate(samsa_req_t *req, const samsa_meta_image_t *img,
                            int32_t sender, const samsa_meta_partition_t *p,
                            const preq_t *pd, const int32_t *isr,
                            const int64_t *epochs, int32_t n)
{
    int16_t v = req->api_version;
    if (!p) {
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    /* Newer epochs than ours: this controller is behind (or no longer
     * the controller); the leader looks for the current one. */
    if (pd->LeaderEpoch > p->leader_epoch ||
        pd->PartitionEpoch > p->partition_epoch) {
        return SAMSA_ERR_NOT_CONTROLLER;
    }
    if (pd->LeaderEpoch < p->leader_epoch) {
        return SAMSA_ERR_FENCED_LEADER_EPOCH;
    }
    if (sender != p->leader) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    if (pd->PartitionEpoch < p->partition_epoch) {
        return SAMSA_ERR_INVALID_UPDATE_VERSION;
    }
    for (int32_t i = 0; i < n; i++) {
        if (!samsa_meta_ids_has(p->replicas, p->replica_count, isr[i]) ||
            samsa_meta_ids_has(isr, i, isr[i])) {
            return SAMSA_ERR_INVALID_REQUEST;
        }
    }
    if (!samsa_meta_ids_has(isr, n, p->leader) ||
        pd->LeaderRecoveryState != 0) {
        /* Samsa never elects a leader that must recover (RECOVERING is
         * for the ISR of one an unclean election made, which is
         * RECOVERED here at once). */
        return SAMSA_ERR_INVALID_REQUEST;
    }
    for (int32_t i = 0; i < n; i++) {
        const samsa_meta_broker_t *mb = samsa_meta_broker(img, isr[i]);
        if (!mb || mb->fenced || (epochs[i] != -1 && epochs[i] != mb->epoch)) {
            return v > 1 ? SAMSA_ERR_INELIGIBLE_REPLICA
                         : SAMSA_ERR_OPERATION_NOT_ATTEMPTED;
        }
    }
    return SAMSA_OK;
}

static void fill_state(samsa_req_t *req, presp_t *r,
                       const samsa_meta_partition_t *p)
{
    r->LeaderId = p->leader;
    r->LeaderEpoch = p->leader_epoch;
    r->PartitionEpoch = p->partition_epoch;
    SAMSA_REQ_ARRAY(req, r->Isr, p->isr_count);
    for (int32_t i = 0; i < p->isr_count; i++) {
        r->Isr.items[i] = p->isr[i];
    }
}

static void finish(samsa_req_t *req, void *arg, const samsa_err_t *outcomes)
{
    pending_t *pd = arg;
    samsa_AlterPartitionRequest_t *areq = req->body;
    int16_t v = req->api_version;
    samsa_meta_image_t *img = samsa_meta_image_get(req->broker->meta);
    for (int32_t t = 0; t < pd->resp->Topics.count; t++) {
        samsa_AlterPartitionResponse_TopicData_t *rt =
            &pd->resp->Topics.items[t];
        for (int32_t i = 0; i < rt->Partitions.count; i++) {
            int k = pd->proposal[t][i];
            presp_t *r = &rt->Partitions.items[i];
            if (k < 0) {
                continue;
            }
            samsa_err_t err = outcomes[k];
            if (err == SAMSA_ERR_INELIGIBLE_REPLICA && v <= 1) {
                err = SAMSA_ERR_OPERATION_NOT_ATTEMPTED;
            }
            const samsa_meta_partition_t *p =
                samsa_meta_partition(img, pd->names[t], r->PartitionIndex);
            if (err == SAMSA_OK && !p) {
                err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (err == SAMSA_OK && p->leader != areq->BrokerId) {
                /* The change completed a reassignment that moved the
                 * leadership: the sender must refresh its metadata. */
                err = v > 1 ? SAMSA_ERR_NEW_LEADER_ELECTED
                            : SAMSA_ERR_FENCED_LEADER_EPOCH;
            }
            r->ErrorCode = (int16_t)err;
            if (err == SAMSA_OK) {
                fill_state(req, r, p);
            }
        }
    }
    samsa_meta_image_put(img);
    samsa_req_respond(req, pd->resp);
}

/* One partition: answered now (*rec->p NULL) or a record to commit. */
static void one_partition(samsa_req_t *req, const samsa_meta_image_t *img,
                          const char *name, const preq_t *pd, presp_t *r,
                          samsa_meta_rec_t *rec)
{
    samsa_AlterPartitionRequest_t *areq = req->body;
    const samsa_meta_partition_t *p =
        name ? samsa_meta_partition(img, name, pd->PartitionIndex) : NULL;
    int32_t *isr;
    int64_t *epochs;
    int32_t n = isr_ids(req, pd, &isr, &epochs);
    rec->p = NULL;
    samsa_err_t err = validate(req, img, areq->BrokerId, p, pd, isr, epochs, n);
    if (err == SAMSA_OK && (n != p->isr_count ||
                            memcmp(isr, p->isr, sizeof(int32_t) * (size_t)n))) {
        samsa_meta_ids_t ids = {isr, n};
        samsa_meta_partition_change_t c = {.topic = name,
                                           .partition = pd->PartitionIndex,
                                           .expect_epoch = p->partition_epoch,
                                           .leader = SAMSA_META_LEADER_KEEP,
                                           .isr = &ids};
        err = samsa_mdrec_partition_change(&c, rec);
        if (err == SAMSA_OK) {
            return;
        }
    }
    r->ErrorCode = (int16_t)err;
    if (err == SAMSA_OK) {
        fill_state(req, r, p); /* the ISR it asks for already */
    }
}

void samsa_handle_alter_partition(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_AlterPartitionRequest_t *areq = req->body;
    samsa_AlterPartitionResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_AlterPartitionResponse_init(resp);
    int32_t nt = areq->Topics.count > 0 ? areq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Topics, 0);
    if (samsa_req_authorize(req, SAMSA_ACL_OP_CLUSTER_ACTION,
                            SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE) != SAMSA_OK) {
        resp->ErrorCode = SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        samsa_req_respond(req, resp);
        return;
    }
    if (!b->meta || samsa_meta_controller(b->meta) != b->node_id) {
        resp->ErrorCode = SAMSA_ERR_NOT_CONTROLLER;
        samsa_req_respond(req, resp);
        return;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_broker_t *sender = samsa_meta_broker(img, areq->BrokerId);
    if (!sender ||
        (areq->BrokerEpoch != -1 && sender->epoch != areq->BrokerEpoch)) {
        samsa_meta_image_put(img);
        resp->ErrorCode = SAMSA_ERR_STALE_BROKER_EPOCH;
        samsa_req_respond(req, resp);
        return;
    }
    pending_t *pd = samsa_req_alloc(req, sizeof(*pd));
    pd->resp = resp;
    pd->proposal = samsa_req_alloc(req, sizeof(int *) * (size_t)(nt + 1));
    pd->names = samsa_req_alloc(req, sizeof(char *) * (size_t)(nt + 1));
    int total = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t np = areq->Topics.items[t].Partitions.count;
        total += np > 0 ? np : 0;
    }
    samsa_meta_rec_t *recs =
        samsa_req_alloc(req, sizeof(*recs) * (size_t)(total + 1));
    int nrecs = 0;
    SAMSA_REQ_ARRAY(req, resp->Topics, nt);
    for (int32_t t = 0; t < nt; t++) {
        samsa_AlterPartitionRequest_TopicData_t *qt = &areq->Topics.items[t];
        samsa_AlterPartitionResponse_TopicData_t *rt = &resp->Topics.items[t];
        samsa_AlterPartitionResponse_TopicData_init(rt);
        rt->TopicName = qt->TopicName;
        rt->TopicId = qt->TopicId;
        const samsa_meta_topic_t *mt =
            req->api_version >= 2
                ? samsa_meta_topic_by_id(img, qt->TopicId.b)
                : samsa_meta_topic(img, samsa_req_cstr(req, qt->TopicName));
        pd->names[t] =
            mt ? samsa_req_cstr(req, samsa_str_from_cstr(mt->name)) : NULL;
        int32_t np = qt->Partitions.count > 0 ? qt->Partitions.count : 0;
        pd->proposal[t] = samsa_req_alloc(req, sizeof(int) * (size_t)(np + 1));
        SAMSA_REQ_ARRAY(req, rt->Partitions, np);
        for (int32_t i = 0; i < np; i++) {
            presp_t *r = &rt->Partitions.items[i];
            samsa_AlterPartitionResponse_PartitionData_init(r);
            r->PartitionIndex = qt->Partitions.items[i].PartitionIndex;
            pd->proposal[t][i] = -1;
            if (!mt) {
                r->ErrorCode = req->api_version >= 2
                                   ? SAMSA_ERR_UNKNOWN_TOPIC_ID
                                   : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            one_partition(req, img, pd->names[t], &qt->Partitions.items[i], r,
                          &recs[nrecs]);
            if (recs[nrecs].p) {
                pd->proposal[t][i] = nrecs++;
            }
        }
    }
    samsa_meta_image_put(img);
    samsa_cluster_propose(req, recs, nrecs, pd, finish);
}
