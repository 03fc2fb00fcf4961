/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_elect_leaders.c - ElectLeaders (43, v0-v2) on the
 * controller, as kafka-leader-election.sh sends it: preferred (the first
 * replica leads again, if it is a live ISR member) or unclean (a partition
 * without a live leader gets a live replica, from outside the ISR if need
 * be). One PARTITION_CHANGE per election, answered once committed. All
 * partitions (a null list) answers only for those elected, as Kafka does.
 * ALTER on the cluster; other nodes forward it to the controller
 * (NOT_CONTROLLER when it is unreachable).
 */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/partition_change.h"

typedef samsa_ElectLeadersResponse_ReplicaElectionResult_t topic_result_t;
typedef samsa_ElectLeadersResponse_PartitionResult_t part_result_t;

typedef struct pending {
    samsa_ElectLeadersResponse_t *resp;
    int **proposal; /* [topic][partition]: index of its record, or -1 */
} pending_t;

static void finish(samsa_req_t *req, void *arg, const samsa_err_t *outcomes)
{
    pending_t *pd = arg;
    for (int32_t t = 0; t < pd->resp->ReplicaElectionResults.count; t++) {
        topic_result_t *tr = &pd->resp->ReplicaElectionResults.items[t];
        for (int32_t i = 0; i < tr->PartitionResult.count; i++) {
            int k = pd->proposal[t][i];
            if (k >= 0) {
                /* Raced by another change: the leader to elect may be
                 * gone; the client may ask again. */
                samsa_err_t e = outcomes[k];
                tr->PartitionResult.items[i].ErrorCode =
                    (int16_t)(e == SAMSA_ERR_INVALID_UPDATE_VERSION ||
                                      e == SAMSA_ERR_INELIGIBLE_REPLICA
                                  ? SAMSA_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE
                                  : e);
            }
        }
    }
    samsa_req_respond(req, pd->resp);
}

static samsa_err_t elect(const samsa_meta_image_t *img, bool unclean,
                         const char *topic, int32_t partition,
                         samsa_meta_rec_t *rec)
{
    return unclean ? samsa_meta_elect_unclean(img, topic, partition, rec)
                   : samsa_meta_elect_preferred(img, topic, partition, rec);
}

/* Every partition of every topic; results only for those elected. */
static int elect_all(samsa_req_t *req, const samsa_meta_image_t *img,
                     bool unclean, pending_t *pd, samsa_meta_rec_t **recs)
{
    samsa_ElectLeadersResponse_t *resp = pd->resp;
    size_t total = 0;
    for (size_t t = 0; t < img->topic_count; t++) {
        total += (size_t)img->topics[t].partition_count;
    }
    *recs = samsa_req_alloc(req, sizeof(**recs) * (total + 1));
    pd->proposal = samsa_req_alloc(req, sizeof(int *) * (img->topic_count + 1));
    SAMSA_REQ_ARRAY(req, resp->ReplicaElectionResults, img->topic_count);
    int n = 0;
    int32_t nt = 0;
    for (size_t t = 0; t < img->topic_count; t++) {
        const samsa_meta_topic_t *mt = &img->topics[t];
        topic_result_t *tr = &resp->ReplicaElectionResults.items[nt];
        samsa_ElectLeadersResponse_ReplicaElectionResult_init(tr);
        tr->Topic = samsa_req_str(req, mt->name);
        SAMSA_REQ_ARRAY(req, tr->PartitionResult, mt->partition_count);
        pd->proposal[nt] = samsa_req_alloc(
            req, sizeof(int) * (size_t)(mt->partition_count + 1));
        int32_t np = 0;
        for (int32_t i = 0; i < mt->partition_count; i++) {
            if (elect(img, unclean, mt->name, i, &(*recs)[n]) != SAMSA_OK) {
                continue;
            }
            part_result_t *r = &tr->PartitionResult.items[np];
            samsa_ElectLeadersResponse_PartitionResult_init(r);
            r->PartitionId = i;
            pd->proposal[nt][np++] = n++;
        }
        tr->PartitionResult.count = np;
        nt += np > 0;
    }
    resp->ReplicaElectionResults.count = nt;
    return n;
}

/* The partitions asked for; a result for each. */
static int elect_listed(samsa_req_t *req, const samsa_meta_image_t *img,
                        bool unclean, samsa_err_t denied, pending_t *pd,
                        samsa_meta_rec_t **recs)
{
    samsa_ElectLeadersRequest_t *ereq = req->body;
    samsa_ElectLeadersResponse_t *resp = pd->resp;
    int32_t nt = ereq->TopicPartitions.count;
    size_t total = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t np = ereq->TopicPartitions.items[t].Partitions.count;
        total += (size_t)(np > 0 ? np : 0);
    }
    *recs = samsa_req_alloc(req, sizeof(**recs) * (total + 1));
    pd->proposal = samsa_req_alloc(req, sizeof(int *) * (size_t)(nt + 1));
    SAMSA_REQ_ARRAY(req, resp->ReplicaElectionResults, nt);
    int n = 0;
    for (int32_t t = 0; t < nt; t++) {
        samsa_ElectLeadersRequest_TopicPartitions_t *qt =
            &ereq->TopicPartitions.items[t];
        topic_result_t *tr = &resp->ReplicaElectionResults.items[t];
        samsa_ElectLeadersResponse_ReplicaElectionResult_init(tr);
        tr->Topic = qt->Topic;
        int32_t np = qt->Partitions.count > 0 ? qt->Partitions.count : 0;
        const char *name = samsa_req_cstr(req, qt->Topic);
        SAMSA_REQ_ARRAY(req, tr->PartitionResult, np);
        pd->proposal[t] = samsa_req_alloc(req, sizeof(int) * (size_t)(np + 1));
        for (int32_t i = 0; i < np; i++) {
            part_result_t *r = &tr->PartitionResult.items[i];
            samsa_ElectLeadersResponse_PartitionResult_init(r);
            r->PartitionId = qt->Partitions.items[i];
            pd->proposal[t][i] = -1;
            samsa_err_t err =
                denied ? denied
                       : elect(img, unclean, name, r->PartitionId, &(*recs)[n]);
            if (err == SAMSA_OK) {
                pd->proposal[t][i] = n++;
            } else {
                r->ErrorCode = (int16_t)err;
                r->ErrorMessage = samsa_req_str(req, samsa_err_str(err));
            }
        }
    }
    return n;
}

static void elect_here(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_ElectLeadersRequest_t *ereq = req->body;
    samsa_ElectLeadersResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_ElectLeadersResponse_init(resp);
    pending_t *pd = samsa_req_alloc(req, sizeof(*pd));
    pd->resp = resp;
    samsa_err_t denied = SAMSA_OK;
    if (samsa_req_authorize(req, SAMSA_ACL_OP_ALTER, SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE) != SAMSA_OK) {
        denied = SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    } else if (!b->meta || samsa_meta_controller(b->meta) != b->node_id) {
        denied = SAMSA_ERR_NOT_CONTROLLER;
    } else if (req->api_version >= 1 && ereq->ElectionType != 0 &&
               ereq->ElectionType != 1) {
        denied = SAMSA_ERR_INVALID_REQUEST;
    }
    resp->ErrorCode = (int16_t)denied;
    bool unclean = req->api_version >= 1 && ereq->ElectionType == 1;
    samsa_meta_rec_t *recs = NULL;
    int n = 0;
    if (ereq->TopicPartitions.count >= 0) {
        samsa_meta_image_t *img = denied ? NULL : samsa_meta_image_get(b->meta);
        n = elect_listed(req, img, unclean, denied, pd, &recs);
        samsa_meta_image_put(img);
    } else if (denied) {
        SAMSA_REQ_ARRAY(req, resp->ReplicaElectionResults, 0);
    } else {
        samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
        n = elect_all(req, img, unclean, pd, &recs);
        samsa_meta_image_put(img);
    }
    if (n == 0) {
        samsa_err_t none = SAMSA_OK;
        finish(req, pd, &none);
        return;
    }
    samsa_cluster_propose(req, recs, n, pd, finish);
}

/* Other nodes forward it to the controller (KIP-590), once authorized
 * here (the controller sees this broker's principal). */
void samsa_handle_elect_leaders(samsa_req_t *req)
{
    if (samsa_req_authorize(req, SAMSA_ACL_OP_ALTER, SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE) != SAMSA_OK ||
        !samsa_cluster_forward_async(req, elect_here)) {
        elect_here(req);
    }
}
