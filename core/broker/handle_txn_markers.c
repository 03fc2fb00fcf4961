/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_txn_markers.c - WriteTxnMarkers (27): append commit or
 * abort markers to partitions this broker leads. Sent by a transaction
 * coordinator to the partitions' leaders, and by `samsa txn abort` (like
 * kafka-transactions.sh abort) to close a hung transaction the coordinator
 * no longer knows about. Authorization: CLUSTER_ACTION on the cluster, as
 * in Kafka; a request without it gets CLUSTER_AUTHORIZATION_FAILED on every
 * partition.
 */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "broker/txn_verify.h"
#include "txn/coordinator.h"

typedef samsa_WriteTxnMarkersRequest_WritableTxnMarker_t marker_req_t;
typedef samsa_WriteTxnMarkersResponse_WritableTxnMarkerResult_t marker_res_t;

static samsa_err_t write_partition(samsa_req_t *req, const marker_req_t *m,
                                   const char *name, samsa_topic_t *topic,
                                   samsa_err_t terr, int32_t index)
{
    samsa_err_t err = terr;
    if (err == SAMSA_OK) {
        err = samsa_cluster_leader_check(req->broker, name, index);
    }
    samsa_partition_t *part =
        samsa_broker_partition(err ? NULL : topic, err, index, &err);
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_txn_verify_forget(req->broker->txn_verify, m->ProducerId, name,
                            index);
    return samsa_txn_marker_deliver(req->broker->groups, part, m->ProducerId,
                                    m->ProducerEpoch, m->CoordinatorEpoch,
                                    m->TransactionResult);
}

static void write_marker(samsa_req_t *req, const marker_req_t *m,
                         samsa_err_t auth, marker_res_t *mr)
{
    samsa_WriteTxnMarkersResponse_WritableTxnMarkerResult_init(mr);
    mr->ProducerId = m->ProducerId;
    int32_t nt = m->Topics.count > 0 ? m->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, mr->Topics, nt);
    for (int32_t t = 0; t < nt; t++) {
        const samsa_WriteTxnMarkersRequest_WritableTxnMarkerTopic_t *rt =
            &m->Topics.items[t];
        samsa_WriteTxnMarkersResponse_WritableTxnMarkerTopicResult_t *tr =
            &mr->Topics.items[t];
        samsa_WriteTxnMarkersResponse_WritableTxnMarkerTopicResult_init(tr);
        tr->Name = rt->Name;
        const char *name = samsa_req_cstr(req, rt->Name);
        samsa_err_t terr = auth;
        samsa_topic_t *topic =
            terr == SAMSA_OK
                ? samsa_broker_topic(req->broker, name, false, &terr)
                : NULL;
        int32_t np =
            rt->PartitionIndexes.count > 0 ? rt->PartitionIndexes.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        for (int32_t p = 0; p < np; p++) {
            samsa_WriteTxnMarkersResponse_WritableTxnMarkerPartitionResult_t
                *pr = &tr->Partitions.items[p];
            pr->PartitionIndex = rt->PartitionIndexes.items[p];
            pr->ErrorCode = (int16_t)write_partition(req, m, name, topic, terr,
                                                     pr->PartitionIndex);
        }
        samsa_topic_put(topic);
    }
}

void samsa_handle_write_txn_markers(samsa_req_t *req)
{
    samsa_WriteTxnMarkersRequest_t *wreq = req->body;
    samsa_WriteTxnMarkersResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_WriteTxnMarkersResponse_init(resp);
    samsa_err_t auth = samsa_req_authorize(req, SAMSA_ACL_OP_CLUSTER_ACTION,
                                           SAMSA_RESOURCE_CLUSTER,
                                           SAMSA_CLUSTER_RESOURCE) == SAMSA_OK
                           ? SAMSA_OK
                           : SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    int32_t n = wreq->Markers.count > 0 ? wreq->Markers.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Markers, n);
    for (int32_t i = 0; i < n; i++) {
        write_marker(req, &wreq->Markers.items[i], auth,
                     &resp->Markers.items[i]);
    }
    samsa_req_respond(req, resp);
}
