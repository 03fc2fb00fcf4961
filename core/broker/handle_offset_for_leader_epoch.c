/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_offset_for_leader_epoch.c - OffsetForLeaderEpoch
 * (key 23, v0-v4): where a leader epoch ends in this leader's log.
 *
 * Asked by followers before they fetch (ReplicaId = their node id; they
 * truncate what the leader does not have) and by consumers (ReplicaId -1,
 * KIP-320) validating their position after a leader change. As in Kafka
 * (ReplicaManager.lastOffsetForLeaderEpoch, fetchOnlyFromLeader = true),
 * only the leader answers, whoever asks: NOT_LEADER_OR_FOLLOWER elsewhere.
 * CurrentLeaderEpoch (v2+; -1, Kafka's NO_PARTITION_LEADER_EPOCH, is not
 * checked, any other value is) older than the partition's:
 * FENCED_LEADER_EPOCH; newer (this broker has not seen it yet):
 * UNKNOWN_LEADER_EPOCH. The answer is the log's leader-epoch cache
 * (samsa_partition_epoch_end); -1/-1 when it knows nothing of the epoch.
 * Authorization: DESCRIBE on the topic, or CLUSTER_ACTION (brokers).
 */
#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/settle.h"
#include "broker/handlers.h"
#include "metadata/quorum.h"

typedef samsa_OffsetForLeaderEpochResponse_EpochEndOffset_t part_resp_t;

/* The partition's leader epoch: the one its replica role was given
 * (core/replica's become_leader), as Kafka compares with the local
 * Partition's; standalone the log's; in a cluster before core/replica
 * took the partition over, the metadata image's (what Metadata answers). */
static int32_t current_epoch(samsa_req_t *req, const char *topic, int32_t index,
                             samsa_partition_t *part)
{
    samsa_broker_t *b = req->broker;
    if (!b->meta || samsa_partition_is_replicated(part)) {
        return samsa_partition_leader_epoch(part);
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, topic);
    int32_t epoch = t && index < t->partition_count
                        ? t->partitions[index].leader_epoch
                        : samsa_partition_leader_epoch(part);
    samsa_meta_image_put(img);
    return epoch;
}

static void
answer(samsa_req_t *req, const char *topic, samsa_topic_t *t, samsa_err_t terr,
       const samsa_OffsetForLeaderEpochRequest_OffsetForLeaderPartition_t *rp,
       part_resp_t *pr)
{
    samsa_err_t err = terr;
    if (err == SAMSA_OK) {
        err = samsa_cluster_leader_check(req->broker, topic, rp->Partition);
    }
    samsa_partition_t *part =
        samsa_broker_partition(err ? NULL : t, err, rp->Partition, &err);
    if (err == SAMSA_OK && samsa_partition_is_follower(part)) {
        /* Led here by the image, not yet by the log (or no longer): a
         * follower's cache may hold a tail the leader never had. */
        err = SAMSA_ERR_NOT_LEADER_OR_FOLLOWER;
    }
    if (err == SAMSA_OK && req->api_version >= 2 &&
        rp->CurrentLeaderEpoch != -1) {
        int32_t ours = current_epoch(req, topic, rp->Partition, part);
        if (rp->CurrentLeaderEpoch < ours) {
            err = SAMSA_ERR_FENCED_LEADER_EPOCH;
        } else if (rp->CurrentLeaderEpoch > ours) {
            err = SAMSA_ERR_UNKNOWN_LEADER_EPOCH;
        }
    }
    if (err == SAMSA_OK) {
        samsa_partition_epoch_end(part, rp->LeaderEpoch, &pr->LeaderEpoch,
                                  &pr->EndOffset);
    }
    pr->ErrorCode = (int16_t)err;
}

void samsa_handle_offset_for_leader_epoch(samsa_req_t *req)
{
    samsa_OffsetForLeaderEpochRequest_t *oreq = req->body;
    /* A partition of a topic just created waits for its log (settle.h). */
    for (int32_t t = 0; t < oreq->Topics.count; t++) {
        const char *name = samsa_req_cstr(req, oreq->Topics.items[t].Topic);
        for (int32_t p = 0; p < oreq->Topics.items[t].Partitions.count; p++) {
            if (samsa_req_settle_partition(
                    req, name,
                    oreq->Topics.items[t].Partitions.items[p].Partition)) {
                return;
            }
        }
    }
    samsa_OffsetForLeaderEpochResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_OffsetForLeaderEpochResponse_init(resp);
    int32_t ntopics = oreq->Topics.count > 0 ? oreq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Topics, ntopics);
    int cluster_action = -1; /* asked once, when a topic is denied */
    for (int32_t t = 0; t < ntopics; t++) {
        samsa_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_t *rt =
            &oreq->Topics.items[t];
        samsa_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_t *tr =
            &resp->Topics.items[t];
        samsa_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_init(tr);
        tr->Topic = rt->Topic;
        const char *name = samsa_req_cstr(req, rt->Topic);
        samsa_err_t terr = samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                               SAMSA_RESOURCE_TOPIC, name);
        if (terr != SAMSA_OK && cluster_action < 0) {
            cluster_action =
                samsa_req_authorize(req, SAMSA_ACL_OP_CLUSTER_ACTION,
                                    SAMSA_RESOURCE_CLUSTER,
                                    SAMSA_CLUSTER_RESOURCE) == SAMSA_OK;
        }
        if (terr != SAMSA_OK && cluster_action == 1) {
            terr = SAMSA_OK;
        }
        samsa_topic_t *topic =
            terr ? NULL : samsa_broker_topic(req->broker, name, false, &terr);
        int32_t nparts = rt->Partitions.count > 0 ? rt->Partitions.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, nparts);
        for (int32_t p = 0; p < nparts; p++) {
            part_resp_t *pr = &tr->Partitions.items[p];
            samsa_OffsetForLeaderEpochResponse_EpochEndOffset_init(pr);
            pr->Partition = rt->Partitions.items[p].Partition;
            answer(req, name, topic, terr, &rt->Partitions.items[p], pr);
        }
        samsa_topic_put(topic);
    }
    samsa_req_respond(req, resp);
}
