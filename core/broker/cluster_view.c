/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster_view.c - Metadata (3) and DescribeCluster (60) in
 * quorum mode, answered from the metadata image: every live (unfenced)
 * broker, the controller, and each partition's leader, leader epoch,
 * replicas and ISR as the quorum assigned them.
 */
#include <string.h>

#include "broker/cluster.h"
#include "broker/handlers.h"

typedef samsa_MetadataResponse_MetadataResponseTopic_t md_topic_t;

/* The name of the listener @p req came in on: brokers are given to the
 * client at their endpoints of that name, as Kafka does. */
static const char *listener_name(const samsa_req_t *req)
{
    const samsa_broker_t *b = req->broker;
    return b->endpoints ? samsa_broker_endpoint(b, req->conn)->name : NULL;
}

static int32_t live_brokers(const samsa_meta_image_t *img)
{
    int32_t n = 0;
    for (size_t i = 0; i < img->broker_count; i++) {
        n += !img->brokers[i].fenced;
    }
    return n;
}

static void fill_brokers(samsa_req_t *req, const samsa_meta_image_t *img,
                         bool caught_up, samsa_MetadataResponse_t *resp)
{
    samsa_broker_t *b = req->broker;
    int32_t n = caught_up ? live_brokers(img) : 0;
    if (n == 0) {
        /* Nobody registered yet (the quorum is starting), or this broker
         * has not caught up (topics_not_yet): this broker, so clients
         * keep a way in. */
        SAMSA_REQ_ARRAY(req, resp->Brokers, 1);
        samsa_MetadataResponse_MetadataResponseBroker_t *mb =
            &resp->Brokers.items[0];
        samsa_MetadataResponse_MetadataResponseBroker_init(mb);
        mb->NodeId = b->node_id;
        mb->Host = samsa_req_str(req, b->advertised_host);
        mb->Port = b->advertised_port;
        return;
    }
    SAMSA_REQ_ARRAY(req, resp->Brokers, n);
    int32_t k = 0;
    for (size_t i = 0; i < img->broker_count; i++) {
        const samsa_meta_broker_t *src = &img->brokers[i];
        if (src->fenced) {
            continue;
        }
        samsa_MetadataResponse_MetadataResponseBroker_t *mb =
            &resp->Brokers.items[k++];
        samsa_MetadataResponse_MetadataResponseBroker_init(mb);
        mb->NodeId = src->id;
        const char *host;
        samsa_meta_broker_endpoint(src, listener_name(req), &host, &mb->Port);
        mb->Host = samsa_req_str(req, host);
        mb->Rack = src->rack ? samsa_req_str(req, src->rack) : SAMSA_STR_NULL;
    }
}

static void ids(samsa_req_t *req, samsa_int32_array_t *out, const int32_t *src,
                int32_t n)
{
    SAMSA_REQ_ARRAY(req, *out, n);
    if (n > 0) {
        memcpy(out->items, src, sizeof(int32_t) * (size_t)n);
    }
}

static void fill_topic(samsa_req_t *req, const samsa_meta_image_t *img,
                       const samsa_meta_topic_t *t, md_topic_t *mt)
{
    samsa_cluster_topic_spec_t spec;
    mt->ErrorCode = SAMSA_OK;
    mt->Name = samsa_req_str(req, t->name);
    memcpy(mt->TopicId.b, t->id, 16);
    mt->IsInternal = samsa_cluster_internal_spec(req->broker, t->name, &spec);
    SAMSA_REQ_ARRAY(req, mt->Partitions, t->partition_count);
    for (int32_t i = 0; i < t->partition_count; i++) {
        const samsa_meta_partition_t *p = &t->partitions[i];
        samsa_MetadataResponse_MetadataResponsePartition_t *mp =
            &mt->Partitions.items[i];
        samsa_MetadataResponse_MetadataResponsePartition_init(mp);
        mp->ErrorCode =
            p->leader < 0 ? SAMSA_ERR_LEADER_NOT_AVAILABLE : SAMSA_OK;
        mp->PartitionIndex = i;
        mp->LeaderId = p->leader;
        mp->LeaderEpoch = p->leader_epoch;
        ids(req, &mp->ReplicaNodes, p->replicas, p->replica_count);
        ids(req, &mp->IsrNodes, p->isr, p->isr_count);
        int32_t offline[64];
        int32_t noff = 0;
        for (int32_t r = 0; r < p->replica_count && noff < 64; r++) {
            const samsa_meta_broker_t *rb =
                samsa_meta_broker(img, p->replicas[r]);
            if (!rb || rb->fenced) {
                offline[noff++] = p->replicas[r];
            }
        }
        ids(req, &mp->OfflineReplicas, offline, noff);
    }
    if (samsa_meta_topic_hosted(t, req->broker->node_id) &&
        samsa_logmgr_topic_offline(req->broker->logs, t->name, NULL, 0)) {
        /* Its local logs could not be opened here (a damaged or lost
         * .meta: the log says how to repair it): offline on this node,
         * as a single node reports it, rather than led and never
         * served. */
        mt->ErrorCode = SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
}

static void named_topic(samsa_req_t *req, const samsa_meta_image_t *img,
                        samsa_MetadataRequest_MetadataRequestTopic_t *rt,
                        bool allow_create, md_topic_t *mt)
{
    samsa_broker_t *b = req->broker;
    const samsa_meta_topic_t *t = NULL;
    samsa_err_t err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (rt->Name.len >= 0) {
        const char *name = samsa_req_cstr(req, rt->Name);
        err = samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                  SAMSA_RESOURCE_TOPIC, name);
        t = err ? NULL : samsa_meta_topic(img, name);
        if (!err && !t) {
            err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (err != SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
            /* found, or not to be described (TOPIC_AUTHORIZATION_FAILED) */
        } else if (!t && !samsa_topic_name_valid(name)) {
            err = SAMSA_ERR_INVALID_TOPIC_EXCEPTION;
        } else if (!t && allow_create && b->cfg->auto_create_topics &&
                   samsa_topics_create_denied(req, rt->Name)) {
            /* Auto-creation needs CREATE on the cluster or the topic, as
             * in Kafka: the controller creates it as this broker. */
            err = SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED;
        } else if (!t && allow_create && b->cfg->auto_create_topics) {
            /* Created through the controller; clients retry on this. */
            samsa_cluster_request_topic(b, name);
            err = SAMSA_ERR_LEADER_NOT_AVAILABLE;
        }
    } else {
        t = samsa_meta_topic_by_id(img, rt->TopicId.b);
        err = SAMSA_ERR_UNKNOWN_TOPIC_ID;
    }
    if (t) {
        fill_topic(req, img, t, mt);
        return;
    }
    mt->ErrorCode = (int16_t)err;
    mt->Name = rt->Name;
    mt->TopicId = rt->TopicId;
    SAMSA_REQ_ARRAY(req, mt->Partitions, 0);
}

/* The controller id clients are given: the controller when it is a
 * broker; else (a controller-only node, which clients cannot reach) this
 * broker or another live one, which forwards what clients send the
 * controller, as Kafka's brokers answer (KRaftMetadataCache). */
static int32_t client_controller(samsa_broker_t *b,
                                 const samsa_meta_image_t *img)
{
    int32_t ctrl = samsa_meta_controller(b->meta);
    if (ctrl < 0 || samsa_meta_broker(img, ctrl)) {
        return ctrl;
    }
    const samsa_meta_broker_t *me = samsa_meta_broker(img, b->node_id);
    if (me && !me->fenced) {
        return me->id;
    }
    for (size_t i = 0; i < img->broker_count; i++) {
        if (!img->brokers[i].fenced) {
            return img->brokers[i].id;
        }
    }
    return -1;
}

/* A topic this broker cannot describe yet: LEADER_NOT_AVAILABLE and no
 * partitions. */
static void topic_not_yet(samsa_req_t *req, md_topic_t *mt, samsa_str_t name,
                          samsa_uuid_t id)
{
    mt->ErrorCode = SAMSA_ERR_LEADER_NOT_AVAILABLE;
    mt->Name = name;
    mt->TopicId = id;
    SAMSA_REQ_ARRAY(req, mt->Partitions, 0);
}

/*
 * Before this broker caught up with the metadata log (a restart replays
 * it: samsa_cluster_leader_check), its image is of the past: leaders it
 * names may have moved while it was down, itself among them (measured:
 * a node restarted after kill -9 named itself leader for ~0.5 s), and a
 * topic not replayed yet is not unknown. Kafka's broker serves no request
 * before it caught up. Here every topic asked about (every one of the
 * image when all are) is answered LEADER_NOT_AVAILABLE with no
 * partitions: clients ask again and keep what they knew (librdkafka
 * ignores such a topic; one before KIP-320 leader epochs, 2.0.2 included,
 * would otherwise send its partitions to the stale leader), and nothing
 * is auto-created. The brokers are this one alone (so a node "serves",
 * tools/dev.sh and tests/cluster/nodes.py, once it caught up). A
 * controller-only node registers no broker and hosts nothing: it
 * answers from its image.
 */
static void topics_not_yet(samsa_req_t *req, const samsa_meta_image_t *img,
                           samsa_MetadataRequest_t *mreq, bool all,
                           samsa_MetadataResponse_t *resp)
{
    if (!all) {
        int32_t n = mreq->Topics.count > 0 ? mreq->Topics.count : 0;
        SAMSA_REQ_ARRAY(req, resp->Topics, n);
        for (int32_t i = 0; i < n; i++) {
            md_topic_t *mt = &resp->Topics.items[i];
            samsa_MetadataResponse_MetadataResponseTopic_init(mt);
            topic_not_yet(req, mt, mreq->Topics.items[i].Name,
                          mreq->Topics.items[i].TopicId);
        }
        return;
    }
    SAMSA_REQ_ARRAY(req, resp->Topics, img->topic_count);
    resp->Topics.count = 0;
    for (size_t i = 0; i < img->topic_count; i++) {
        const samsa_meta_topic_t *t = &img->topics[i];
        /* Topics the principal may not describe vanish, as below. */
        if (samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                SAMSA_RESOURCE_TOPIC, t->name) != SAMSA_OK) {
            continue;
        }
        md_topic_t *mt = &resp->Topics.items[resp->Topics.count++];
        samsa_MetadataResponse_MetadataResponseTopic_init(mt);
        samsa_uuid_t id;
        memcpy(id.b, t->id, 16);
        topic_not_yet(req, mt, samsa_req_str(req, t->name), id);
    }
}

samsa_MetadataResponse_t *samsa_cluster_metadata(samsa_req_t *req,
                                                 samsa_MetadataRequest_t *mreq,
                                                 bool all, bool allow_create)
{
    samsa_broker_t *b = req->broker;
    samsa_MetadataResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_MetadataResponse_init(resp);
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    bool caught_up =
        !b->cfg->cluster.broker_role || atomic_load(&b->meta_caught_up);
    fill_brokers(req, img, caught_up, resp);
    resp->ClusterId = samsa_req_str(req, b->cluster_id);
    resp->ControllerId = client_controller(b, img);
    if (!caught_up) {
        topics_not_yet(req, img, mreq, all, resp);
    } else if (all) {
        SAMSA_REQ_ARRAY(req, resp->Topics, img->topic_count);
        resp->Topics.count = 0;
        for (size_t i = 0; i < img->topic_count; i++) {
            /* Topics the principal may not describe vanish. */
            if (samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                    SAMSA_RESOURCE_TOPIC,
                                    img->topics[i].name) != SAMSA_OK) {
                continue;
            }
            md_topic_t *mt = &resp->Topics.items[resp->Topics.count++];
            samsa_MetadataResponse_MetadataResponseTopic_init(mt);
            fill_topic(req, img, &img->topics[i], mt);
        }
    } else {
        SAMSA_REQ_ARRAY(req, resp->Topics, mreq->Topics.count);
        for (int32_t i = 0; i < mreq->Topics.count; i++) {
            samsa_MetadataResponse_MetadataResponseTopic_init(
                &resp->Topics.items[i]);
            named_topic(req, img, &mreq->Topics.items[i], allow_create,
                        &resp->Topics.items[i]);
        }
    }
    samsa_meta_image_put(img);
    return resp;
}

void samsa_cluster_describe_cluster(samsa_req_t *req, void *response)
{
    samsa_broker_t *b = req->broker;
    samsa_DescribeClusterResponse_t *resp = response;
    resp->ControllerId = samsa_meta_controller(b->meta);
    if (req->api_version >= 1 && resp->EndpointType == 2) {
        /* KIP-919 (kafka-metadata-quorum --bootstrap-controller): the
         * controllers, at their controller listeners. */
        const samsa_cluster_config_t *cc = &b->cfg->cluster;
        SAMSA_REQ_ARRAY(req, resp->Brokers, cc->voter_count);
        for (size_t i = 0; i < cc->voter_count; i++) {
            samsa_DescribeClusterResponse_DescribeClusterBroker_t *db =
                &resp->Brokers.items[i];
            samsa_DescribeClusterResponse_DescribeClusterBroker_init(db);
            db->BrokerId = cc->voters[i].id;
            db->Host = samsa_req_str(req, cc->voters[i].host);
            db->Port = cc->voters[i].port;
            db->Rack = SAMSA_STR_NULL;
        }
        return;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    resp->ControllerId = client_controller(b, img);
    SAMSA_REQ_ARRAY(req, resp->Brokers, live_brokers(img));
    int32_t k = 0;
    for (size_t i = 0; i < img->broker_count; i++) {
        const samsa_meta_broker_t *src = &img->brokers[i];
        if (src->fenced) {
            continue;
        }
        samsa_DescribeClusterResponse_DescribeClusterBroker_t *db =
            &resp->Brokers.items[k++];
        samsa_DescribeClusterResponse_DescribeClusterBroker_init(db);
        db->BrokerId = src->id;
        const char *host;
        samsa_meta_broker_endpoint(src, listener_name(req), &host, &db->Port);
        db->Host = samsa_req_str(req, host);
        db->Rack = src->rack ? samsa_req_str(req, src->rack) : SAMSA_STR_NULL;
    }
    samsa_meta_image_put(img);
}
