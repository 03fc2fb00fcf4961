/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_reassignments.c - AlterPartitionReassignments (45)
 * and ListPartitionReassignments (46) on the controller, as
 * kafka-reassign-partitions.sh sends them. A reassignment is Kafka's
 * target/adding/removing model (samsa_meta_reassign): the new replicas
 * join the partition, catch up through replication and enter the ISR by
 * the leader's AlterPartition; then the old ones leave. A null replica
 * list cancels. ALTER (45) or DESCRIBE (46) on the cluster; other nodes
 * forward both to the controller (NOT_CONTROLLER when it is unreachable).
 */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/partition_change.h"

typedef samsa_AlterPartitionReassignmentsResponse_ReassignableTopicResponse_t
    topic_resp_t;
typedef samsa_AlterPartitionReassignmentsResponse_ReassignablePartitionResponse_t
    part_resp_t;

typedef struct pending {
    samsa_AlterPartitionReassignmentsResponse_t *resp;
    int **proposal; /* [topic][partition]: index of its record, or -1 */
} pending_t;

/* The denial for the whole request, or SAMSA_OK. */
static samsa_err_t gate(samsa_req_t *req, uint32_t op)
{
    samsa_broker_t *b = req->broker;
    if (samsa_req_authorize(req, op, SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE) != SAMSA_OK) {
        return SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    }
    if (!b->meta || samsa_meta_controller(b->meta) != b->node_id) {
        return SAMSA_ERR_NOT_CONTROLLER;
    }
    return SAMSA_OK;
}

static void alter_finish(samsa_req_t *req, void *arg,
                         const samsa_err_t *outcomes)
{
    pending_t *pd = arg;
    for (int32_t t = 0; t < pd->resp->Responses.count; t++) {
        topic_resp_t *tr = &pd->resp->Responses.items[t];
        for (int32_t i = 0; i < tr->Partitions.count; i++) {
            int k = pd->proposal[t][i];
            if (k >= 0 && outcomes[k] != SAMSA_OK) {
                part_resp_t *r = &tr->Partitions.items[i];
                r->ErrorCode = (int16_t)outcomes[k];
                r->ErrorMessage =
                    samsa_req_str(req, samsa_err_str(outcomes[k]));
            }
        }
    }
    samsa_req_respond(req, pd->resp);
}

static void alter_here(samsa_req_t *req)
{
    samsa_AlterPartitionReassignmentsRequest_t *areq = req->body;
    samsa_AlterPartitionReassignmentsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_AlterPartitionReassignmentsResponse_init(resp);
    pending_t *pd = samsa_req_alloc(req, sizeof(*pd));
    pd->resp = resp;
    samsa_err_t denied = gate(req, SAMSA_ACL_OP_ALTER);
    int32_t nt = areq->Topics.count > 0 ? areq->Topics.count : 0;
    if (denied) {
        resp->ErrorCode = (int16_t)denied;
        resp->ErrorMessage = samsa_req_str(req, samsa_err_str(denied));
        SAMSA_REQ_ARRAY(req, resp->Responses, 0);
        samsa_req_respond(req, resp);
        return;
    }
    size_t total = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t np = areq->Topics.items[t].Partitions.count;
        total += (size_t)(np > 0 ? np : 0);
    }
    samsa_meta_rec_t *recs = samsa_req_alloc(req, sizeof(*recs) * (total + 1));
    pd->proposal = samsa_req_alloc(req, sizeof(int *) * (size_t)(nt + 1));
    int n = 0;
    samsa_meta_image_t *img = samsa_meta_image_get(req->broker->meta);
    SAMSA_REQ_ARRAY(req, resp->Responses, nt);
    for (int32_t t = 0; t < nt; t++) {
        samsa_AlterPartitionReassignmentsRequest_ReassignableTopic_t *qt =
            &areq->Topics.items[t];
        topic_resp_t *tr = &resp->Responses.items[t];
        samsa_AlterPartitionReassignmentsResponse_ReassignableTopicResponse_init(
            tr);
        tr->Name = qt->Name;
        const char *name = samsa_req_cstr(req, qt->Name);
        int32_t np = qt->Partitions.count > 0 ? qt->Partitions.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        pd->proposal[t] = samsa_req_alloc(req, sizeof(int) * (size_t)(np + 1));
        for (int32_t i = 0; i < np; i++) {
            samsa_AlterPartitionReassignmentsRequest_ReassignablePartition_t
                *qp = &qt->Partitions.items[i];
            part_resp_t *r = &tr->Partitions.items[i];
            samsa_AlterPartitionReassignmentsResponse_ReassignablePartitionResponse_init(
                r);
            r->PartitionIndex = qp->PartitionIndex;
            pd->proposal[t][i] = -1;
            samsa_meta_ids_t target = {qp->Replicas.items, qp->Replicas.count};
            const char *why = NULL;
            samsa_err_t err = samsa_meta_reassign(
                img, name, qp->PartitionIndex,
                qp->Replicas.count >= 0 ? &target : NULL, &recs[n], &why);
            if (err == SAMSA_OK && recs[n].p) {
                pd->proposal[t][i] = n++;
            } else if (err != SAMSA_OK) {
                r->ErrorCode = (int16_t)err;
                r->ErrorMessage =
                    samsa_req_str(req, why ? why : samsa_err_str(err));
            }
        }
    }
    samsa_meta_image_put(img);
    if (n == 0) {
        samsa_err_t none = SAMSA_OK;
        alter_finish(req, pd, &none);
        return;
    }
    samsa_cluster_propose(req, recs, n, pd, alter_finish);
}

typedef samsa_ListPartitionReassignmentsResponse_OngoingTopicReassignment_t
    ongoing_topic_t;
typedef samsa_ListPartitionReassignmentsResponse_OngoingPartitionReassignment_t
    ongoing_t;

static samsa_int32_array_t ids_array(samsa_req_t *req, const int32_t *ids,
                                     int32_t n)
{
    samsa_int32_array_t a;
    SAMSA_REQ_ARRAY(req, a, n);
    for (int32_t i = 0; i < n; i++) {
        a.items[i] = ids[i];
    }
    return a;
}

/* Topic @p t's partitions under reassignment (all, or @p only) into
 * @p out; returns whether there was any. */
static bool list_topic(samsa_req_t *req, const samsa_meta_topic_t *t,
                       const samsa_int32_array_t *only, ongoing_topic_t *out)
{
    samsa_ListPartitionReassignmentsResponse_OngoingTopicReassignment_init(out);
    out->Name = samsa_req_str(req, t->name);
    SAMSA_REQ_ARRAY(req, out->Partitions, t->partition_count);
    int32_t n = 0;
    for (int32_t i = 0; i < t->partition_count; i++) {
        const samsa_meta_partition_t *p = &t->partitions[i];
        if ((p->adding_count == 0 && p->removing_count == 0) ||
            (only && !samsa_meta_ids_has(only->items, only->count, i))) {
            continue;
        }
        ongoing_t *o = &out->Partitions.items[n++];
        samsa_ListPartitionReassignmentsResponse_OngoingPartitionReassignment_init(
            o);
        o->PartitionIndex = i;
        o->Replicas = ids_array(req, p->replicas, p->replica_count);
        o->AddingReplicas = ids_array(req, p->adding, p->adding_count);
        o->RemovingReplicas = ids_array(req, p->removing, p->removing_count);
    }
    out->Partitions.count = n;
    return n > 0;
}

static void list_here(samsa_req_t *req)
{
    samsa_ListPartitionReassignmentsRequest_t *lreq = req->body;
    samsa_ListPartitionReassignmentsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_ListPartitionReassignmentsResponse_init(resp);
    samsa_err_t denied = gate(req, SAMSA_ACL_OP_DESCRIBE);
    resp->ErrorCode = (int16_t)denied;
    if (denied) {
        resp->ErrorMessage = samsa_req_str(req, samsa_err_str(denied));
        SAMSA_REQ_ARRAY(req, resp->Topics, 0);
        samsa_req_respond(req, resp);
        return;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(req->broker->meta);
    bool all = lreq->Topics.count < 0;
    size_t nt = all ? img->topic_count : (size_t)lreq->Topics.count;
    SAMSA_REQ_ARRAY(req, resp->Topics, nt);
    int32_t n = 0;
    for (size_t t = 0; t < nt; t++) {
        const samsa_meta_topic_t *mt =
            all ? &img->topics[t]
                : samsa_meta_topic(
                      img, samsa_req_cstr(req, lreq->Topics.items[t].Name));
        const samsa_int32_array_t *only =
            all ? NULL : &lreq->Topics.items[t].PartitionIndexes;
        n += mt && list_topic(req, mt, only, &resp->Topics.items[n]);
    }
    resp->Topics.count = n;
    samsa_meta_image_put(img);
    samsa_req_respond(req, resp);
}

/* Other nodes forward both to the controller (KIP-590), once the request
 * is authorized here (the controller sees this broker's principal). */
static bool forward(samsa_req_t *req, uint32_t op, void (*here)(samsa_req_t *))
{
    return samsa_req_authorize(req, op, SAMSA_RESOURCE_CLUSTER,
                               SAMSA_CLUSTER_RESOURCE) == SAMSA_OK &&
           samsa_cluster_forward_async(req, here);
}

void samsa_handle_alter_partition_reassignments(samsa_req_t *req)
{
    if (!forward(req, SAMSA_ACL_OP_ALTER, alter_here)) {
        alter_here(req);
    }
}

void samsa_handle_list_partition_reassignments(samsa_req_t *req)
{
    if (!forward(req, SAMSA_ACL_OP_DESCRIBE, list_here)) {
        list_here(req);
    }
}
