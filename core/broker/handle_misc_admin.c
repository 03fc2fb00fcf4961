/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/handle_misc_admin.c - DeleteRecords (21), DescribeCluster (60).
 */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"

void samsa_handle_delete_records(samsa_req_t *req)
{
    samsa_DeleteRecordsRequest_t *dreq = req->body;
    samsa_DeleteRecordsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DeleteRecordsResponse_init(resp);
    int32_t nt = dreq->Topics.count > 0 ? dreq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Topics, nt);
    for (int32_t t = 0; t < nt; t++) {
        samsa_DeleteRecordsRequest_DeleteRecordsTopic_t *rt =
            &dreq->Topics.items[t];
        samsa_DeleteRecordsResponse_DeleteRecordsTopicResult_t *tr =
            &resp->Topics.items[t];
        samsa_DeleteRecordsResponse_DeleteRecordsTopicResult_init(tr);
        tr->Name = rt->Name;
        const char *tname = samsa_req_cstr(req, rt->Name);
        samsa_err_t terr = samsa_req_authorize(req, SAMSA_ACL_OP_DELETE,
                                               SAMSA_RESOURCE_TOPIC, tname);
        samsa_topic_t *topic =
            terr ? NULL : samsa_broker_topic(req->broker, tname, false, &terr);
        int32_t np = rt->Partitions.count > 0 ? rt->Partitions.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        for (int32_t p = 0; p < np; p++) {
            samsa_DeleteRecordsRequest_DeleteRecordsPartition_t *rp =
                &rt->Partitions.items[p];
            samsa_DeleteRecordsResponse_DeleteRecordsPartitionResult_t *pr =
                &tr->Partitions.items[p];
            samsa_DeleteRecordsResponse_DeleteRecordsPartitionResult_init(pr);
            pr->PartitionIndex = rp->PartitionIndex;
            pr->LowWatermark = -1;
            samsa_err_t err;
            samsa_partition_t *part =
                samsa_broker_partition(topic, terr, rp->PartitionIndex, &err);
            if (err == SAMSA_OK) {
                err = samsa_partition_delete_records(part, rp->Offset,
                                                     &pr->LowWatermark);
            }
            pr->ErrorCode = (int16_t)(SAMSA_ERR_IS_KAFKA(err)
                                          ? err
                                          : SAMSA_ERR_KAFKA_STORAGE_ERROR);
        }
        samsa_topic_put(topic);
    }
    samsa_req_respond(req, resp);
}

void samsa_handle_describe_cluster(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_DescribeClusterResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeClusterResponse_init(resp);
    samsa_DescribeClusterRequest_t *dreq = req->body;
    /* EndpointType 1 = brokers; 2 = controllers (KIP-919), same node here. */
    if (req->api_version >= 1 && dreq->EndpointType != 1 &&
        dreq->EndpointType != 2) {
        resp->ErrorCode = SAMSA_ERR_UNSUPPORTED_ENDPOINT_TYPE;
    }
    resp->EndpointType = dreq->EndpointType;
    resp->ClusterId = samsa_req_str(req, b->cluster_id);
    resp->ControllerId = b->node_id;
    SAMSA_REQ_ARRAY(req, resp->Brokers, 1);
    samsa_DescribeClusterResponse_DescribeClusterBroker_init(
        &resp->Brokers.items[0]);
    resp->Brokers.items[0].BrokerId = b->node_id;
    resp->Brokers.items[0].Host =
        samsa_req_str(req, samsa_broker_endpoint(b, req->conn)->host);
    resp->Brokers.items[0].Port = samsa_broker_endpoint(b, req->conn)->port;
    if (b->meta) {
        samsa_cluster_describe_cluster(req, resp);
    }
    samsa_req_respond(req, resp);
}
