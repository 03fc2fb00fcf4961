/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_txn_markers.c - WriteTxnMarkers (27): append commit or
 * abort markers to partitions this broker leads. Sent by a transaction
 * coordinator to the partitions' leaders, and by `samsa txn abort` (like
 * kafka-transactions.sh abort) to close a hung transaction the coordinator
 * no longer knows about. Authorization: CLUSTER_ACTION on the cluster, as
 * in Kafka; a request without it gets CLUSTER_AUTHORIZATION_FAILED on every
 * partition.
 *
 * A replicated partition's answer waits until its in-sync replicas have
 * the marker (the high watermark passed it), as Kafka appends markers
 * with acks=-1: the coordinator logs Complete* only then, so a leader
 * lost before its followers copied a marker cannot leave the
 * transaction open on that partition with nobody to close it.
 */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "broker/produce_wait.h"
#include "broker/txn_verify.h"
#include "replica/replica.h"
#include "txn/coordinator.h"

/* The wait for the in-sync replicas: below the marker writer's 5 s call
 * timeout, so its answer says what happened. */
#define REPLICA_WAIT_MS 4000

typedef samsa_WriteTxnMarkersRequest_WritableTxnMarker_t marker_req_t;
typedef samsa_WriteTxnMarkersResponse_WritableTxnMarkerResult_t marker_res_t;

static samsa_err_t write_partition(samsa_req_t *req, const marker_req_t *m,
                                   const char *name, samsa_topic_t *topic,
                                   samsa_err_t terr, int32_t index,
                                   samsa_produce_wait_t **wait,
                                   int16_t *error_code)
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
    /* Before the append, as Produce: a leadership change in between fails
     * the wait. */
    int32_t epoch = samsa_replica_leader_epoch(req->broker->replica, part);
    err = samsa_txn_marker_deliver(req->broker->groups, part, m->ProducerId,
                                   m->ProducerEpoch, m->CoordinatorEpoch,
                                   m->TransactionResult);
    if (err == SAMSA_OK &&
        (epoch >= 0 || samsa_partition_is_replicated(part))) {
        samsa_produce_wait_replicas(
            wait, topic, part, samsa_partition_leo(part), epoch,
            samsa_topic_config_long(topic, "min.insync.replicas"),
            REPLICA_WAIT_MS, error_code);
    }
    return err;
}

static void write_marker(samsa_req_t *req, const marker_req_t *m,
                         samsa_err_t auth, marker_res_t *mr,
                         samsa_produce_wait_t **wait)
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
                                                     pr->PartitionIndex, wait,
                                                     &pr->ErrorCode);
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
    samsa_produce_wait_t *wait = NULL;
    for (int32_t i = 0; i < n; i++) {
        write_marker(req, &wreq->Markers.items[i], auth,
                     &resp->Markers.items[i], &wait);
    }
    samsa_produce_respond(req, resp, wait);
}
