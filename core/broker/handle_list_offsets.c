/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/handle_list_offsets.c - ListOffsets (key 2). */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/settle.h"
#include "broker/handlers.h"
#include "replica/replica.h"

#define LATEST_TIMESTAMP   (-1)
#define EARLIEST_TIMESTAMP (-2)

typedef samsa_ListOffsetsResponse_ListOffsetsPartitionResponse_t part_resp_t;

static samsa_err_t lookup(samsa_partition_t *part, int64_t ts, bool committed,
                          part_resp_t *pr)
{
    if (ts == LATEST_TIMESTAMP) {
        /* read_committed ends at the last stable offset. */
        pr->Offset =
            committed ? samsa_partition_lso(part) : samsa_partition_hw(part);
        return SAMSA_OK;
    }
    if (ts == EARLIEST_TIMESTAMP) {
        samsa_log_offsets_t off;
        samsa_partition_offsets(part, &off);
        pr->Offset = off.log_start_offset;
        return SAMSA_OK;
    }
    if (ts < 0) {
        return SAMSA_ERR_UNSUPPORTED_VERSION;
    }
    int64_t offset, found_ts;
    samsa_err_t err =
        samsa_partition_offset_for_time(part, ts, &offset, &found_ts);
    if (err == SAMSA_ERR_NOT_FOUND || err == SAMSA_ERR_OFFSET_OUT_OF_RANGE) {
        return SAMSA_OK; /* -1/-1: no record at or after ts */
    }
    if (err != SAMSA_OK) {
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    pr->Offset = offset;
    pr->Timestamp = found_ts;
    return SAMSA_OK;
}

void samsa_handle_list_offsets(samsa_req_t *req)
{
    samsa_ListOffsetsRequest_t *lreq = req->body;
    /* A partition of a topic just created waits for its log (settle.h). */
    for (int32_t t = 0; t < lreq->Topics.count; t++) {
        const char *name = samsa_req_cstr(req, lreq->Topics.items[t].Name);
        for (int32_t p = 0; p < lreq->Topics.items[t].Partitions.count; p++) {
            if (samsa_req_settle_partition(
                    req, name,
                    lreq->Topics.items[t].Partitions.items[p].PartitionIndex)) {
                return;
            }
        }
    }
    samsa_ListOffsetsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_ListOffsetsResponse_init(resp);
    int32_t ntopics = lreq->Topics.count > 0 ? lreq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Topics, ntopics);
    for (int32_t t = 0; t < ntopics; t++) {
        samsa_ListOffsetsRequest_ListOffsetsTopic_t *rt =
            &lreq->Topics.items[t];
        samsa_ListOffsetsResponse_ListOffsetsTopicResponse_t *tr =
            &resp->Topics.items[t];
        samsa_ListOffsetsResponse_ListOffsetsTopicResponse_init(tr);
        tr->Name = rt->Name;
        const char *tname = samsa_req_cstr(req, rt->Name);
        samsa_err_t terr = samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                               SAMSA_RESOURCE_TOPIC, tname);
        samsa_topic_t *topic =
            terr ? NULL : samsa_broker_topic(req->broker, tname, false, &terr);
        int32_t nparts = rt->Partitions.count > 0 ? rt->Partitions.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, nparts);
        for (int32_t p = 0; p < nparts; p++) {
            samsa_ListOffsetsRequest_ListOffsetsPartition_t *rp =
                &rt->Partitions.items[p];
            part_resp_t *pr = &tr->Partitions.items[p];
            samsa_ListOffsetsResponse_ListOffsetsPartitionResponse_init(pr);
            pr->PartitionIndex = rp->PartitionIndex;
            pr->Offset = -1;
            pr->Timestamp = -1;
            SAMSA_REQ_ARRAY(req, pr->OldStyleOffsets, 0);
            samsa_err_t err;
            samsa_err_t lerr = samsa_cluster_leader_check(
                req->broker, samsa_req_cstr(req, rt->Name), rp->PartitionIndex);
            samsa_partition_t *part =
                samsa_broker_partition(lerr ? NULL : topic, lerr ? lerr : terr,
                                       rp->PartitionIndex, &err);
            if (err == SAMSA_OK && rp->Timestamp == LATEST_TIMESTAMP &&
                req->api_version >= 2 &&
                samsa_replica_hw_lagging(req->broker->replica, part)) {
                /* Kafka's Partition.fetchOffsetForTimestamp: a leader
                 * elected a moment ago whose high watermark is still below
                 * the start of its epoch does not know the end of what is
                 * committed; a client (v2+) asks again rather than taking
                 * an end behind records already acknowledged. */
                err = SAMSA_ERR_OFFSET_NOT_AVAILABLE;
            } else if (err == SAMSA_OK) {
                err = lookup(part, rp->Timestamp,
                             req->api_version >= 2 && lreq->IsolationLevel == 1,
                             pr);
                pr->LeaderEpoch = samsa_partition_leader_epoch(part);
            }
            pr->ErrorCode = (int16_t)err;
        }
        samsa_topic_put(topic);
    }
    samsa_req_respond(req, resp);
}
