/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/handle_metadata.c - Metadata (key 3). */
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "broker/settle.h"

static void fill_partitions(samsa_req_t *req, samsa_topic_t *t,
                            samsa_MetadataResponse_MetadataResponseTopic_t *mt)
{
    int32_t node = req->broker->node_id;
    SAMSA_REQ_ARRAY(req, mt->Partitions, t->partition_count);
    for (int32_t i = 0; i < t->partition_count; i++) {
        samsa_MetadataResponse_MetadataResponsePartition_t *mp =
            &mt->Partitions.items[i];
        samsa_MetadataResponse_MetadataResponsePartition_init(mp);
        mp->ErrorCode = SAMSA_OK;
        mp->PartitionIndex = i;
        mp->LeaderId = node;
        mp->LeaderEpoch = samsa_partition_leader_epoch(t->partitions[i]);
        SAMSA_REQ_ARRAY(req, mp->ReplicaNodes, 1);
        mp->ReplicaNodes.items[0] = node;
        SAMSA_REQ_ARRAY(req, mp->IsrNodes, 1);
        mp->IsrNodes.items[0] = node;
        SAMSA_REQ_ARRAY(req, mp->OfflineReplicas, 0);
    }
}

static void fill_topic(samsa_req_t *req, samsa_topic_t *t,
                       samsa_MetadataResponse_MetadataResponseTopic_t *mt)
{
    mt->ErrorCode = SAMSA_OK;
    mt->Name = samsa_req_str(req, t->name);
    memcpy(mt->TopicId.b, t->id, 16);
    mt->IsInternal = t->internal;
    fill_partitions(req, t, mt);
}

static void fill_all_topics(samsa_req_t *req, samsa_MetadataResponse_t *resp)
{
    samsa_topic_t **topics;
    size_t count;
    if (samsa_logmgr_list(req->broker->logs, &topics, &count) != SAMSA_OK) {
        SAMSA_REQ_ARRAY(req, resp->Topics, 0);
        return;
    }
    SAMSA_REQ_ARRAY(req, resp->Topics, count);
    resp->Topics.count = 0;
    for (size_t i = 0; i < count; i++) {
        /* As in Kafka, topics the principal may not describe vanish. */
        if (samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                SAMSA_RESOURCE_TOPIC,
                                topics[i]->name) != SAMSA_OK) {
            continue;
        }
        samsa_MetadataResponse_MetadataResponseTopic_t *mt =
            &resp->Topics.items[resp->Topics.count++];
        samsa_MetadataResponse_MetadataResponseTopic_init(mt);
        fill_topic(req, topics[i], mt);
    }
    samsa_logmgr_list_free(topics, count);
}

samsa_MetadataResponse_t *samsa_metadata_answer(samsa_req_t *req,
                                                samsa_MetadataRequest_t *mreq,
                                                bool all, bool allow_create)
{
    samsa_broker_t *b = req->broker;
    if (b->meta) {
        return samsa_cluster_metadata(req, mreq, all, allow_create);
    }
    samsa_MetadataResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_MetadataResponse_init(resp);

    SAMSA_REQ_ARRAY(req, resp->Brokers, 1);
    samsa_MetadataResponse_MetadataResponseBroker_init(&resp->Brokers.items[0]);
    resp->Brokers.items[0].NodeId = b->node_id;
    resp->Brokers.items[0].Host =
        samsa_req_str(req, samsa_broker_endpoint(b, req->conn)->host);
    resp->Brokers.items[0].Port = samsa_broker_endpoint(b, req->conn)->port;
    resp->ClusterId = samsa_req_str(req, b->cluster_id);
    resp->ControllerId = b->node_id;

    if (all) {
        fill_all_topics(req, resp);
        return resp;
    }
    SAMSA_REQ_ARRAY(req, resp->Topics, mreq->Topics.count);
    for (int32_t i = 0; i < mreq->Topics.count; i++) {
        samsa_MetadataResponse_MetadataResponseTopic_t *mt =
            &resp->Topics.items[i];
        samsa_MetadataResponse_MetadataResponseTopic_init(mt);
        samsa_MetadataRequest_MetadataRequestTopic_t *rt =
            &mreq->Topics.items[i];
        samsa_topic_t *t = NULL;
        samsa_err_t err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        if (rt->Name.len >= 0) {
            const char *name = samsa_req_cstr(req, rt->Name);
            err = samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                      SAMSA_RESOURCE_TOPIC, name);
            t = err ? NULL : samsa_broker_topic(b, name, false, &err);
            /* Auto-creation needs CREATE on the cluster or the topic, as
             * in Kafka; only then is it worth asking the authorizer. */
            if (!t && err == SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION &&
                allow_create && b->cfg->auto_create_topics) {
                if (samsa_topics_create_denied(req, rt->Name)) {
                    err = SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED;
                } else {
                    t = samsa_broker_topic(b, name, true, &err);
                }
            }
        } else {
            t = samsa_logmgr_topic_get_by_id(b->logs, rt->TopicId.b);
            err = t ? SAMSA_OK : SAMSA_ERR_UNKNOWN_TOPIC_ID;
        }
        if (!t) {
            mt->ErrorCode = (int16_t)err;
            mt->Name = rt->Name;
            mt->TopicId = rt->TopicId;
            SAMSA_REQ_ARRAY(req, mt->Partitions, 0);
            continue;
        }
        fill_topic(req, t, mt);
        samsa_topic_put(t);
    }
    return resp;
}

/* In a cluster, a topic this answer auto-creates (or one just created,
 * whose partitions this broker leads but whose local logs the applier
 * has not made yet) is still settling: the answer waits for it
 * (settle.h), as a single node creates it before answering. A partition
 * without a leader (its brokers are down) is no reason to wait. */
static bool topics_settling(samsa_req_t *req, const samsa_MetadataResponse_t *r)
{
    for (int32_t i = 0; req->broker->meta && i < r->Topics.count; i++) {
        const samsa_MetadataResponse_MetadataResponseTopic_t *mt =
            &r->Topics.items[i];
        if (mt->ErrorCode == SAMSA_ERR_LEADER_NOT_AVAILABLE) {
            return true;
        }
        for (int32_t p = 0;
             mt->ErrorCode == SAMSA_OK && p < mt->Partitions.count; p++) {
            const samsa_MetadataResponse_MetadataResponsePartition_t *mp =
                &mt->Partitions.items[p];
            if (mp->LeaderId == req->broker->node_id &&
                samsa_cluster_leader_check(
                    req->broker, samsa_req_cstr(req, mt->Name),
                    mp->PartitionIndex) == SAMSA_ERR_LEADER_NOT_AVAILABLE) {
                return true;
            }
        }
    }
    return false;
}

void samsa_handle_metadata(samsa_req_t *req)
{
    samsa_MetadataRequest_t *mreq = req->body;
    /* v0: an empty list means all topics; v1+: null means all topics. */
    bool all = mreq->Topics.count < 0 ||
               (req->api_version == 0 && mreq->Topics.count == 0);
    /* Before v4 there is no flag: the broker's setting decides. */
    bool allow_create = req->api_version < 4 || mreq->AllowAutoTopicCreation;
    samsa_MetadataResponse_t *resp =
        samsa_metadata_answer(req, mreq, all, allow_create);
    if (!all && topics_settling(req, resp) && samsa_req_settle(req)) {
        return;
    }
    samsa_req_respond(req, resp);
}
