/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster_topics.c - CreateTopics (19) and DeleteTopics (20)
 * in quorum mode: the controller validates, places replicas over the live
 * brokers (core/metadata/placement.c) and proposes one record per topic;
 * the request is parked until they are committed. Other nodes forward
 * the request to the controller and answer with its response, as Kafka's
 * brokers do (KIP-590); NOT_CONTROLLER when it cannot be reached.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/placement.h"

typedef samsa_CreateTopicsResponse_CreatableTopicResult_t created_t;

/* What the finish callbacks need: the response and, per topic, the index
 * of its proposal (-1: answered already). In the request's arena. */
typedef struct pending {
    void *resp;
    int *proposal;
} pending_t;

/* A pending_t for @p n topics, none proposed yet, and room for their
 * records in *recs. */
static pending_t *pending_new(samsa_req_t *req, void *resp, int32_t n,
                              samsa_meta_rec_t **recs)
{
    pending_t *pd = samsa_req_alloc(req, sizeof(*pd));
    pd->resp = resp;
    pd->proposal = samsa_req_alloc(req, sizeof(int) * (size_t)(n + 1));
    for (int32_t i = 0; i < n; i++) {
        pd->proposal[i] = -1;
    }
    *recs = samsa_req_alloc(req, sizeof(**recs) * (size_t)(n + 1));
    return pd;
}

/* Park until the records are committed, or answer now without any. */
static void pending_submit(samsa_req_t *req, pending_t *pd,
                           samsa_meta_rec_t *recs, int nrecs,
                           samsa_cluster_finish_fn finish)
{
    if (nrecs == 0) {
        samsa_err_t none = SAMSA_OK;
        finish(req, pd, &none);
        return;
    }
    samsa_cluster_propose(req, recs, nrecs, pd, finish);
}

static bool is_controller(samsa_broker_t *b)
{
    return samsa_meta_controller(b->meta) == b->node_id;
}

static samsa_err_t given_configs(samsa_req_t *req,
                                 samsa_CreateTopicsRequest_CreatableTopic_t *ct,
                                 samsa_tcfg_t *cfg, samsa_meta_config_t **kv)
{
    samsa_err_t err = SAMSA_OK;
    int32_t n = ct->Configs.count > 0 ? ct->Configs.count : 0;
    *kv = samsa_req_alloc(req, sizeof(**kv) * (size_t)(n + 1));
    for (int32_t i = 0; err == SAMSA_OK && i < n; i++) {
        samsa_CreateTopicsRequest_CreateableTopicConfig_t *c =
            &ct->Configs.items[i];
        (*kv)[i].key = samsa_req_cstr(req, c->Name);
        (*kv)[i].value =
            c->Value.len >= 0 ? samsa_req_cstr(req, c->Value) : NULL;
        err = samsa_tcfg_set(cfg, (*kv)[i].key, (*kv)[i].value);
    }
    return err;
}

/* Validate one topic and build its record; *rec->p stays NULL when there
 * is nothing to propose (validate_only). */
static samsa_err_t prepare(samsa_req_t *req, const samsa_meta_image_t *img,
                           samsa_CreateTopicsRequest_CreatableTopic_t *ct,
                           bool validate_only, samsa_meta_rec_t *rec,
                           const char **why)
{
    samsa_broker_t *b = req->broker;
    const char *name = samsa_req_cstr(req, ct->Name);
    int32_t count = ct->NumPartitions;
    samsa_tcfg_t cfg = {0};
    samsa_meta_config_t *kv = NULL;
    char errbuf[256] = "";

    rec->p = NULL;
    if (ct->Assignments.count > 0) {
        if (count != -1) {
            *why = "NumPartitions must be -1 when assignments are given";
            return SAMSA_ERR_INVALID_REQUEST;
        }
        count = ct->Assignments.count;
    }
    samsa_err_t err = given_configs(req, ct, &cfg, &kv);
    if (err == SAMSA_OK) {
        /* The log manager checks the name, the count and every config
         * exactly as a single node does, creating nothing. */
        err = samsa_logmgr_create_topic(
            b->logs, name, count == -1 ? b->cfg->num_partitions : count, &cfg,
            true, errbuf, sizeof(errbuf));
        if (err == SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
            err = SAMSA_OK; /* local logs are a cache: the image decides */
        }
        if (err != SAMSA_OK && errbuf[0]) {
            *why = samsa_req_cstr(
                req, (samsa_str_t){errbuf, (int32_t)strlen(errbuf)});
        }
    }
    samsa_int32_array_t *as = NULL;
    if (err == SAMSA_OK && ct->Assignments.count > 0) {
        as = samsa_req_alloc(req, sizeof(*as) * (size_t)count);
        for (int32_t i = 0; i < count; i++) {
            as[i] = ct->Assignments.items[i].BrokerIds;
        }
    }
    if (err == SAMSA_OK) {
        samsa_cluster_topic_spec_t spec = {
            .name = name,
            .partitions = count,
            .replication_factor = ct->ReplicationFactor,
            .assignment = as,
            .configs = kv,
            .config_count =
                (size_t)(ct->Configs.count > 0 ? ct->Configs.count : 0)};
        err = samsa_cluster_topic_record(b, img, &spec, rec, why);
    }
    samsa_tcfg_free(&cfg);
    if (err == SAMSA_OK && validate_only) {
        free(rec->p);
        rec->p = NULL;
    }
    return err;
}

static void fill_created(samsa_req_t *req, const samsa_meta_image_t *img,
                         samsa_CreateTopicsRequest_CreatableTopic_t *ct,
                         created_t *r)
{
    const samsa_meta_topic_t *t =
        samsa_meta_topic(img, samsa_req_cstr(req, ct->Name));
    samsa_tcfg_t cfg = {0};
    samsa_meta_config_t *kv;
    if (t) {
        memcpy(r->TopicId.b, t->id, 16);
        r->NumPartitions = t->partition_count;
        r->ReplicationFactor =
            (int16_t)(t->partition_count ? t->partitions[0].replica_count : 0);
    }
    if (given_configs(req, ct, &cfg, &kv) == SAMSA_OK) {
        samsa_topics_fill_configs(req, r, &cfg);
    }
    samsa_tcfg_free(&cfg);
}

static void create_finish(samsa_req_t *req, void *arg,
                          const samsa_err_t *outcomes)
{
    pending_t *pd = arg;
    samsa_CreateTopicsRequest_t *creq = req->body;
    samsa_CreateTopicsResponse_t *resp = pd->resp;
    samsa_meta_image_t *img = samsa_meta_image_get(req->broker->meta);
    for (int32_t i = 0; i < resp->Topics.count; i++) {
        created_t *r = &resp->Topics.items[i];
        if (pd->proposal[i] >= 0) {
            r->ErrorCode = (int16_t)outcomes[pd->proposal[i]];
        }
        if (r->ErrorCode == SAMSA_OK) {
            fill_created(req, img, &creq->Topics.items[i], r);
        } else {
            r->Configs.count = -1;
        }
    }
    samsa_meta_image_put(img);
    samsa_req_respond(req, resp);
}

static void create_here(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_CreateTopicsRequest_t *creq = req->body;
    samsa_CreateTopicsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_CreateTopicsResponse_init(resp);
    int32_t n = creq->Topics.count > 0 ? creq->Topics.count : 0;
    samsa_meta_rec_t *recs;
    pending_t *pd = pending_new(req, resp, n, &recs);
    int nrecs = 0;
    bool controller = is_controller(b);
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const char *too_many = samsa_topics_over_request_limit(req);
    SAMSA_REQ_ARRAY(req, resp->Topics, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_CreateTopicsRequest_CreatableTopic_t *ct = &creq->Topics.items[i];
        created_t *r = &resp->Topics.items[i];
        samsa_CreateTopicsResponse_CreatableTopicResult_init(r);
        r->Name = ct->Name;
        const char *why = NULL;
        samsa_err_t err = SAMSA_ERR_NOT_CONTROLLER;
        bool dup = false;
        for (int32_t j = 0; j < n; j++) {
            dup |= j != i && samsa_str_eq(creq->Topics.items[j].Name, ct->Name);
        }
        if (dup) {
            err = SAMSA_ERR_INVALID_REQUEST;
            why = "topic listed more than once in the request";
        } else if (too_many) {
            err = SAMSA_ERR_POLICY_VIOLATION;
            why = too_many;
        } else if (samsa_topics_create_denied(req, ct->Name)) {
            err = SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED;
        } else if (controller) {
            err = prepare(req, img, ct, creq->validateOnly, &recs[nrecs], &why);
        }
        if (err == SAMSA_OK && recs[nrecs].p) {
            pd->proposal[i] = nrecs++;
        }
        r->ErrorCode = (int16_t)err;
        r->ErrorMessage = why ? samsa_req_str(req, why) : SAMSA_STR_NULL;
    }
    samsa_meta_image_put(img);
    pending_submit(req, pd, recs, nrecs, create_finish);
}

static void delete_finish(samsa_req_t *req, void *arg,
                          const samsa_err_t *outcomes)
{
    pending_t *pd = arg;
    samsa_DeleteTopicsResponse_t *resp = pd->resp;
    for (int32_t i = 0; i < resp->Responses.count; i++) {
        if (pd->proposal[i] >= 0) {
            resp->Responses.items[i].ErrorCode =
                (int16_t)outcomes[pd->proposal[i]];
        }
    }
    samsa_req_respond(req, resp);
}

static void delete_here(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_DeleteTopicsRequest_t *dreq = req->body;
    samsa_DeleteTopicsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DeleteTopicsResponse_init(resp);
    bool by_state = req->api_version >= 6;
    int32_t n = by_state ? dreq->Topics.count : dreq->TopicNames.count;
    n = n > 0 ? n : 0;
    samsa_meta_rec_t *recs;
    pending_t *pd = pending_new(req, resp, n, &recs);
    int nrecs = 0;
    bool controller = is_controller(b);
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    SAMSA_REQ_ARRAY(req, resp->Responses, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_DeleteTopicsResponse_DeletableTopicResult_t *r =
            &resp->Responses.items[i];
        samsa_DeleteTopicsResponse_DeletableTopicResult_init(r);
        samsa_str_t name =
            by_state ? dreq->Topics.items[i].Name : dreq->TopicNames.items[i];
        const samsa_meta_topic_t *t =
            name.len >= 0
                ? samsa_meta_topic(img, samsa_req_cstr(req, name))
                : samsa_meta_topic_by_id(img, dreq->Topics.items[i].TopicId.b);
        r->Name = t ? samsa_req_str(req, t->name) : name;
        if (t) {
            memcpy(r->TopicId.b, t->id, 16);
        } else if (by_state) {
            r->TopicId = dreq->Topics.items[i].TopicId; /* as Kafka */
        }
        samsa_err_t err = SAMSA_ERR_NOT_CONTROLLER;
        if (t && samsa_req_authorize(req, SAMSA_ACL_OP_DELETE,
                                     SAMSA_RESOURCE_TOPIC, t->name)) {
            err = SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED;
        } else if (!controller) {
            err = SAMSA_ERR_NOT_CONTROLLER;
        } else if (!t) {
            err = name.len >= 0 ? SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION
                                : SAMSA_ERR_UNKNOWN_TOPIC_ID;
        } else {
            err = samsa_mdrec_remove_topic(t->name, &recs[nrecs]);
            if (err == SAMSA_OK) {
                pd->proposal[i] = nrecs++;
            }
        }
        r->ErrorCode = (int16_t)err;
    }
    samsa_meta_image_put(img);
    pending_submit(req, pd, recs, nrecs, delete_finish);
}

static void partitions_finish(samsa_req_t *req, void *arg,
                              const samsa_err_t *outcomes)
{
    pending_t *pd = arg;
    samsa_CreatePartitionsResponse_t *resp = pd->resp;
    for (int32_t i = 0; i < resp->Results.count; i++) {
        if (pd->proposal[i] >= 0) {
            resp->Results.items[i].ErrorCode =
                (int16_t)outcomes[pd->proposal[i]];
        }
    }
    samsa_req_respond(req, resp);
}

/* The record adding partitions up to ct->Count, placed like a new topic's
 * with the replication factor of partition 0. */
static samsa_err_t
more_partitions(samsa_req_t *req, const samsa_meta_image_t *img,
                samsa_CreatePartitionsRequest_CreatePartitionsTopic_t *ct,
                bool validate_only, samsa_meta_rec_t *rec, const char **why)
{
    const samsa_meta_topic_t *t =
        samsa_meta_topic(img, samsa_req_cstr(req, ct->Name));
    uint32_t start = 0;
    rec->p = NULL;
    if (!t) {
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (ct->Count <= t->partition_count) {
        *why = "the new count must be larger than the current one";
        return SAMSA_ERR_INVALID_PARTITIONS;
    }
    if (ct->Assignments.count > 0) {
        *why = "explicit assignments of new partitions are not taken yet";
        return SAMSA_ERR_INVALID_REQUEST;
    }
    if (getrandom(&start, sizeof(start), 0) != sizeof(start)) {
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    samsa_meta_topic_t add = {.name = t->name};
    int32_t rf = t->partition_count ? t->partitions[0].replica_count : 1;
    samsa_err_t err =
        samsa_meta_place(img, &add, ct->Count - t->partition_count, rf, start);
    if (err == SAMSA_ERR_INVALID_REPLICATION_FACTOR) {
        *why = "fewer live brokers than the topic's replication factor";
    }
    if (err == SAMSA_OK) {
        err = samsa_cluster_partition_limit(req->broker, img, &add, why);
    }
    if (err == SAMSA_OK && !validate_only) {
        err = samsa_mdrec_partitions(&add, t->partition_count, rec);
    }
    for (int32_t i = 0; add.partitions && i < add.partition_count; i++) {
        free(add.partitions[i].replicas);
        free(add.partitions[i].isr);
    }
    free(add.partitions);
    return err;
}

static void partitions_here(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_CreatePartitionsRequest_t *creq = req->body;
    samsa_CreatePartitionsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_CreatePartitionsResponse_init(resp);
    int32_t n = creq->Topics.count > 0 ? creq->Topics.count : 0;
    samsa_meta_rec_t *recs;
    pending_t *pd = pending_new(req, resp, n, &recs);
    int nrecs = 0;
    bool controller = is_controller(b);
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    SAMSA_REQ_ARRAY(req, resp->Results, n);
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
        if (err == SAMSA_OK && !controller) {
            err = SAMSA_ERR_NOT_CONTROLLER;
        } else if (err == SAMSA_OK) {
            err = more_partitions(req, img, ct, creq->ValidateOnly,
                                  &recs[nrecs], &why);
        }
        if (err == SAMSA_OK && recs[nrecs].p) {
            pd->proposal[i] = nrecs++;
        }
        r->ErrorCode = (int16_t)err;
        r->ErrorMessage = why ? samsa_req_str(req, why) : SAMSA_STR_NULL;
    }
    samsa_meta_image_put(img);
    pending_submit(req, pd, recs, nrecs, partitions_finish);
}

/* ------------------------------------------------------------------ */
/* Other nodes forward to the controller (KIP-590)                    */
/* ------------------------------------------------------------------ */

/* The controller authorizes a forwarded request as this broker: each
 * topic is authorized here first, and a request with any denied (or, by
 * id, unknown) topic is answered here (NOT_CONTROLLER for the rest, which
 * clients retry at the controller). */

void samsa_cluster_create_topics(samsa_req_t *req)
{
    samsa_CreateTopicsRequest_t *creq = req->body;
    bool allowed = true;
    for (int32_t i = 0; allowed && i < creq->Topics.count; i++) {
        allowed = !samsa_topics_create_denied(req, creq->Topics.items[i].Name);
    }
    if (!allowed || !samsa_cluster_forward_async(req, create_here)) {
        create_here(req);
    }
}

void samsa_cluster_delete_topics(samsa_req_t *req)
{
    samsa_DeleteTopicsRequest_t *dreq = req->body;
    bool by_state = req->api_version >= 6;
    int32_t n = by_state ? dreq->Topics.count : dreq->TopicNames.count;
    bool allowed = true;
    samsa_meta_image_t *img = samsa_meta_image_get(req->broker->meta);
    for (int32_t i = 0; allowed && i < n; i++) {
        samsa_str_t name =
            by_state ? dreq->Topics.items[i].Name : dreq->TopicNames.items[i];
        const samsa_meta_topic_t *t =
            name.len >= 0
                ? NULL
                : samsa_meta_topic_by_id(img, dreq->Topics.items[i].TopicId.b);
        /* An id this node does not know (yet) names no topic to
         * authorize: only a principal that may delete every topic
         * (the wildcard) has it answered by the controller. */
        const char *cname = t               ? t->name
                            : name.len >= 0 ? samsa_req_cstr(req, name)
                                            : "*";
        allowed = samsa_req_authorize(req, SAMSA_ACL_OP_DELETE,
                                      SAMSA_RESOURCE_TOPIC, cname) == SAMSA_OK;
    }
    samsa_meta_image_put(img);
    if (!allowed || !samsa_cluster_forward_async(req, delete_here)) {
        delete_here(req);
    }
}

void samsa_cluster_create_partitions(samsa_req_t *req)
{
    samsa_CreatePartitionsRequest_t *creq = req->body;
    bool allowed = true;
    for (int32_t i = 0; allowed && i < creq->Topics.count; i++) {
        allowed =
            samsa_req_authorize(
                req, SAMSA_ACL_OP_ALTER, SAMSA_RESOURCE_TOPIC,
                samsa_req_cstr(req, creq->Topics.items[i].Name)) == SAMSA_OK;
    }
    if (!allowed || !samsa_cluster_forward_async(req, partitions_here)) {
        partitions_here(req);
    }
}
