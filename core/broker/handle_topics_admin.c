/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_topics_admin.c - CreateTopics (19), DeleteTopics (20),
 * CreatePartitions (37). A single node holds every replica, so replication
 * factors above 1 and assignments naming other brokers are refused.
 */
#include <stdio.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/admin_worker.h"
#include "broker/broker_configs.h"
#include "broker/cluster.h"
#include "broker/handlers.h"

static samsa_err_t check_assignment(const samsa_int32_array_t *ids,
                                    int32_t node, const char **why)
{
    if (ids->count != 1 || ids->items[0] != node) {
        *why = "replicas must be exactly this broker (single node)";
        return SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    return SAMSA_OK;
}

typedef samsa_CreateTopicsResponse_CreatableTopicResult_t created_t;

/*
 * CreateTopics v5+ answers a created topic with its whole configuration, as
 * Kafka does (KIP-525). Kafka leaves Configs null only together with a
 * TopicConfigErrorCode, and the Java AdminClient (3.8) dereferences Configs
 * whenever that code is 0, so a null list made every createTopics() call
 * fail there with a NullPointerException. Values and sources follow
 * DescribeConfigs: given in the request (dynamic topic), broker setting
 * (static broker) or built-in default.
 */
void samsa_topics_fill_configs(samsa_req_t *req, void *result,
                               const samsa_tcfg_t *given)
{
    created_t *r = result;
    samsa_tcfg_t bd = {0};
    samsa_logmgr_broker_defaults_copy(req->broker->logs, &bd);
    const samsa_tcfg_def_t *defs = samsa_tcfg_defs();
    int32_t n = 0;
    while (defs[n].name) {
        n++;
    }
    SAMSA_REQ_ARRAY(req, r->Configs, n);
    for (int32_t i = 0; i < n; i++) {
        const samsa_tcfg_def_t *d = &defs[i];
        samsa_CreateTopicsResponse_CreatableTopicConfigs_t *c =
            &r->Configs.items[i];
        samsa_CreateTopicsResponse_CreatableTopicConfigs_init(c);
        int8_t source;
        const char *v = samsa_broker_topic_config_resolve(req->broker, given,
                                                          &bd, d, &source);
        c->Name = samsa_req_str(req, d->name);
        c->Value = samsa_req_str(req, v);
        c->ReadOnly = false;
        c->ConfigSource = source;
        c->IsSensitive = false;
    }
    samsa_tcfg_free(&bd);
}

static samsa_err_t create_one(samsa_req_t *req,
                              samsa_CreateTopicsRequest_CreatableTopic_t *ct,
                              bool validate_only, int32_t *partitions,
                              created_t *r, const char **msg)
{
    samsa_broker_t *b = req->broker;
    int32_t count = ct->NumPartitions;
    const char *why = NULL;
    samsa_err_t err = SAMSA_OK;
    if (ct->Assignments.count > 0) {
        if (count != -1) {
            *msg = "NumPartitions must be -1 when assignments are given";
            return SAMSA_ERR_INVALID_REQUEST;
        }
        count = ct->Assignments.count;
        for (int32_t i = 0; i < count && err == SAMSA_OK; i++) {
            err = check_assignment(&ct->Assignments.items[i].BrokerIds,
                                   b->node_id, &why);
        }
    } else if (count == -1) {
        count = b->cfg->num_partitions;
    }
    if (err == SAMSA_OK && ct->ReplicationFactor != -1 &&
        ct->ReplicationFactor != 1) {
        why = "replication factor must be 1 on a single node";
        err = SAMSA_ERR_INVALID_REPLICATION_FACTOR;
    }
    if (err != SAMSA_OK) {
        *msg = why;
        return err;
    }
    samsa_tcfg_t cfg = {0};
    for (int32_t i = 0; err == SAMSA_OK && i < ct->Configs.count; i++) {
        samsa_CreateTopicsRequest_CreateableTopicConfig_t *c =
            &ct->Configs.items[i];
        err = samsa_tcfg_set(&cfg, samsa_req_cstr(req, c->Name),
                             c->Value.len >= 0 ? samsa_req_cstr(req, c->Value)
                                               : NULL);
    }
    char errbuf[256] = "";
    if (err == SAMSA_OK) {
        err = samsa_logmgr_create_topic(b->logs, samsa_req_cstr(req, ct->Name),
                                        count, &cfg, validate_only, errbuf,
                                        sizeof(errbuf));
    }
    if (err == SAMSA_OK) {
        samsa_topics_fill_configs(req, r, &cfg);
    }
    samsa_tcfg_free(&cfg);
    if (err != SAMSA_OK && errbuf[0]) {
        *msg =
            samsa_req_cstr(req, (samsa_str_t){errbuf, (int32_t)strlen(errbuf)});
    }
    *partitions = count;
    return err;
}

/* Partitions the whole request asks for (Kafka's controller refuses a
 * request that would write more than 10000 records at once). */
static const char *over_request_limit(samsa_req_t *req, int64_t total)
{
    int32_t max = req->broker->cfg->max_partitions_per_request;
    if (max <= 0 || total <= max) {
        return NULL;
    }
    char msg[160];
    snprintf(msg, sizeof(msg),
             "the request creates %lld partitions in all; at most %d per "
             "request (max_partitions_per_request)",
             (long long)total, max);
    return samsa_req_cstr(req, (samsa_str_t){msg, (int32_t)strlen(msg)});
}

const char *samsa_topics_over_request_limit(samsa_req_t *req)
{
    samsa_CreateTopicsRequest_t *creq = req->body;
    int64_t total = 0;
    for (int32_t i = 0; i < creq->Topics.count; i++) {
        samsa_CreateTopicsRequest_CreatableTopic_t *ct = &creq->Topics.items[i];
        total += ct->Assignments.count > 0 ? ct->Assignments.count
                 : ct->NumPartitions == -1
                     ? req->broker->cfg->num_partitions
                     : (ct->NumPartitions > 0 ? ct->NumPartitions : 0);
    }
    return over_request_limit(req, total);
}

/* Kafka: CREATE on the cluster, or on the topic. */
bool samsa_topics_create_denied(samsa_req_t *req, samsa_str_t name)
{
    return samsa_req_authorize(req, SAMSA_ACL_OP_CREATE, SAMSA_RESOURCE_CLUSTER,
                               SAMSA_CLUSTER_RESOURCE) != SAMSA_OK &&
           samsa_req_authorize(req, SAMSA_ACL_OP_CREATE, SAMSA_RESOURCE_TOPIC,
                               samsa_req_cstr(req, name)) != SAMSA_OK;
}

static void *build_create_topics(samsa_req_t *req)
{
    samsa_CreateTopicsRequest_t *creq = req->body;
    samsa_CreateTopicsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_CreateTopicsResponse_init(resp);
    int32_t n = creq->Topics.count > 0 ? creq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Topics, n);
    const char *too_many = samsa_topics_over_request_limit(req);
    for (int32_t i = 0; i < n; i++) {
        samsa_CreateTopicsRequest_CreatableTopic_t *ct = &creq->Topics.items[i];
        samsa_CreateTopicsResponse_CreatableTopicResult_t *r =
            &resp->Topics.items[i];
        samsa_CreateTopicsResponse_CreatableTopicResult_init(r);
        r->Name = ct->Name;
        const char *msg = NULL;
        int32_t partitions = -1;
        samsa_err_t err = SAMSA_ERR_INVALID_REQUEST;
        /* A name listed twice is an error for every occurrence. */
        bool dup = false;
        for (int32_t j = 0; j < n; j++) {
            dup |= j != i && samsa_str_eq(creq->Topics.items[j].Name, ct->Name);
        }
        if (dup) {
            msg = "topic listed more than once in the request";
        } else if (too_many) {
            msg = too_many;
            err = SAMSA_ERR_POLICY_VIOLATION;
        } else if (samsa_topics_create_denied(req, ct->Name)) {
            err = SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED;
        } else {
            err = create_one(req, ct, creq->validateOnly, &partitions, r, &msg);
        }
        r->ErrorCode = (int16_t)err;
        r->ErrorMessage = msg ? samsa_req_str(req, msg) : SAMSA_STR_NULL;
        if (err == SAMSA_OK) {
            r->NumPartitions = partitions;
            r->ReplicationFactor = 1;
            samsa_topic_t *t = samsa_logmgr_topic_get(
                req->broker->logs, samsa_req_cstr(req, ct->Name));
            if (t) {
                memcpy(r->TopicId.b, t->id, 16);
                samsa_topic_put(t);
            }
        }
        if (err != SAMSA_OK) {
            r->Configs.count = -1;
        }
    }
    return resp;
}

void samsa_handle_create_topics(samsa_req_t *req)
{
    if (req->broker->meta) {
        /* Through the controller; parks on this reactor. */
        samsa_cluster_create_topics(req);
        return;
    }
    samsa_admin_run(req->broker->admin, req, build_create_topics);
}

static samsa_err_t delete_named(samsa_req_t *req, samsa_str_t name,
                                samsa_uuid_t *id)
{
    samsa_err_t denied =
        samsa_req_authorize(req, SAMSA_ACL_OP_DELETE, SAMSA_RESOURCE_TOPIC,
                            samsa_req_cstr(req, name));
    if (denied) {
        return denied;
    }
    samsa_topic_t *t =
        samsa_logmgr_topic_get(req->broker->logs, samsa_req_cstr(req, name));
    if (!t) {
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    memcpy(id->b, t->id, 16);
    bool internal = t->internal;
    samsa_topic_put(t);
    if (internal) {
        return SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED;
    }
    return samsa_logmgr_delete_topic(req->broker->logs,
                                     samsa_req_cstr(req, name));
}

void samsa_handle_delete_topics(samsa_req_t *req)
{
    if (req->broker->meta) {
        samsa_cluster_delete_topics(req);
        return;
    }
    samsa_DeleteTopicsRequest_t *dreq = req->body;
    samsa_DeleteTopicsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DeleteTopicsResponse_init(resp);
    bool by_state = req->api_version >= 6;
    int32_t n = by_state ? dreq->Topics.count : dreq->TopicNames.count;
    n = n > 0 ? n : 0;
    SAMSA_REQ_ARRAY(req, resp->Responses, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_DeleteTopicsResponse_DeletableTopicResult_t *r =
            &resp->Responses.items[i];
        samsa_DeleteTopicsResponse_DeletableTopicResult_init(r);
        samsa_str_t name =
            by_state ? dreq->Topics.items[i].Name : dreq->TopicNames.items[i];
        if (by_state && name.len < 0) {
            samsa_topic_t *t = samsa_logmgr_topic_get_by_id(
                req->broker->logs, dreq->Topics.items[i].TopicId.b);
            r->TopicId = dreq->Topics.items[i].TopicId;
            if (!t) {
                r->ErrorCode = SAMSA_ERR_UNKNOWN_TOPIC_ID;
                r->Name = SAMSA_STR_NULL;
                continue;
            }
            name = samsa_req_str(req, t->name);
            samsa_topic_put(t);
        }
        r->Name = name;
        r->ErrorCode = (int16_t)delete_named(req, name, &r->TopicId);
    }
    samsa_req_respond(req, resp);
}

static void *build_create_partitions(samsa_req_t *req)
{
    samsa_CreatePartitionsRequest_t *creq = req->body;
    samsa_CreatePartitionsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_CreatePartitionsResponse_init(resp);
    int32_t n = creq->Topics.count > 0 ? creq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Results, n);
    int64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        samsa_topic_t *t = samsa_logmgr_topic_get(
            req->broker->logs, samsa_req_cstr(req, creq->Topics.items[i].Name));
        if (t) {
            int64_t more = creq->Topics.items[i].Count - t->partition_count;
            total += more > 0 ? more : 0;
            samsa_topic_put(t);
        }
    }
    const char *too_many = over_request_limit(req, total);
    for (int32_t i = 0; i < n; i++) {
        samsa_CreatePartitionsRequest_CreatePartitionsTopic_t *ct =
            &creq->Topics.items[i];
        samsa_CreatePartitionsResponse_CreatePartitionsTopicResult_t *r =
            &resp->Results.items[i];
        samsa_CreatePartitionsResponse_CreatePartitionsTopicResult_init(r);
        r->Name = ct->Name;
        const char *why = NULL;
        samsa_err_t err =
            samsa_req_authorize(req, SAMSA_ACL_OP_ALTER, SAMSA_RESOURCE_TOPIC,
                                samsa_req_cstr(req, ct->Name));
        for (int32_t a = 0; err == SAMSA_OK && a < ct->Assignments.count; a++) {
            err = check_assignment(&ct->Assignments.items[a].BrokerIds,
                                   req->broker->node_id, &why);
        }
        char errbuf[256] = "";
        if (err == SAMSA_OK && too_many) {
            why = too_many;
            err = SAMSA_ERR_POLICY_VIOLATION;
        }
        if (err == SAMSA_OK) {
            err = samsa_logmgr_add_partitions(
                req->broker->logs, samsa_req_cstr(req, ct->Name), ct->Count,
                creq->ValidateOnly, errbuf, sizeof(errbuf));
            why = errbuf[0] ? errbuf : NULL;
        }
        r->ErrorCode = (int16_t)err;
        r->ErrorMessage =
            err != SAMSA_OK && why ? samsa_req_str(req, why) : SAMSA_STR_NULL;
    }
    return resp;
}

void samsa_handle_create_partitions(samsa_req_t *req)
{
    if (req->broker->meta) {
        /* Through the controller; parks on this reactor. */
        samsa_cluster_create_partitions(req);
        return;
    }
    samsa_admin_run(req->broker->admin, req, build_create_partitions);
}
