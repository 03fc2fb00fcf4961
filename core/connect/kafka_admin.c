/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/kafka_admin.c - the topic admin half of services->kafka_*
 * (CreateTopics, DescribeConfigs, IncrementalAlterConfigs,
 * CreatePartitions) on a samsa_kafka_t of kafka_service.c: what
 * source-mirror needs to create its internal topics and keep remote
 * topics like their source (configs, partition count).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/kafka_service.h"
#include "util/err.h"

#define RESOURCE_TOPIC   2
#define ADMIN_TIMEOUT_MS 30000

/* Note a per-topic error code of an answer in k->errmsg. */
static samsa_err_t topic_error(samsa_kafka_t *k, const char *what,
                               const char *topic, int16_t code, samsa_str_t msg)
{
    if (code == 0) {
        return SAMSA_OK;
    }
    snprintf(k->errmsg, sizeof(k->errmsg), "%s %s: %s%s%.*s", what, topic,
             samsa_err_str(code), msg.len > 0 ? ": " : "",
             msg.len > 0 ? (int)msg.len : 0, msg.len > 0 ? msg.ptr : "");
    return code;
}

samsa_err_t samsa_connect_kafka_create_topic_configs(
    samsa_kafka_t *k, const char *topic, int32_t partitions,
    const struct samsa_connect_kv *configs, uint64_t nconfigs)
{
    samsa_CreateTopicsRequest_t req;
    samsa_CreateTopicsRequest_CreatableTopic_t t;
    samsa_CreateTopicsResponse_t *resp = NULL;
    samsa_arena_t arena;
    samsa_CreateTopicsRequest_CreateableTopicConfig_t *cfg =
        calloc(nconfigs + 1, sizeof(*cfg));
    if (cfg == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_CreateTopicsRequest_init(&req);
    samsa_CreateTopicsRequest_CreatableTopic_init(&t);
    t.Name = samsa_str_from_cstr(topic);
    t.NumPartitions = partitions;
    t.ReplicationFactor = -1;
    for (uint64_t i = 0; i < nconfigs; i++) {
        samsa_CreateTopicsRequest_CreateableTopicConfig_init(&cfg[i]);
        cfg[i].Name = samsa_str_from_cstr(configs[i].key);
        cfg[i].Value = samsa_str_from_cstr(configs[i].value);
    }
    t.Configs.count = (int32_t)nconfigs;
    t.Configs.items = cfg;
    req.Topics.count = 1;
    req.Topics.items = &t;
    req.timeoutMs = ADMIN_TIMEOUT_MS;
    samsa_arena_init(&arena);
    samsa_err_t err = samsa_connect_kafka_refresh(k);
    if (err == SAMSA_OK) {
        err = samsa_connect_kafka_failed(
            k, samsa_client_call(k->client, samsa_client_controller(k->client),
                                 SAMSA_API_CREATE_TOPICS, &req, &arena,
                                 (void **)&resp, NULL));
    }
    if (err == SAMSA_OK && resp->Topics.count == 1 &&
        resp->Topics.items[0].ErrorCode != SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
        err = topic_error(k, "create topic", topic,
                          resp->Topics.items[0].ErrorCode,
                          resp->Topics.items[0].ErrorMessage);
    }
    samsa_arena_destroy(&arena);
    free(cfg);
    return err;
}

samsa_err_t samsa_connect_kafka_create_topic(samsa_kafka_t *k,
                                             const char *topic,
                                             int32_t partitions)
{
    return samsa_connect_kafka_create_topic_configs(k, topic, partitions, NULL,
                                                    0);
}

typedef struct config_cb {
    void (*cb)(void *arg, const char *name, const char *value);
    void *arg;
} config_cb_t;

static void on_config(void *arg, samsa_str_t name, samsa_str_t value)
{
    config_cb_t *c = arg;
    char *n = strndup(name.ptr, (size_t)name.len);
    /* A sensitive config has no value to copy. */
    char *v = value.len >= 0 ? strndup(value.ptr, (size_t)value.len) : NULL;
    if (n != NULL && v != NULL) {
        c->cb(c->arg, n, v);
    }
    free(n);
    free(v);
}

samsa_err_t samsa_connect_kafka_topic_configs(
    samsa_kafka_t *k, const char *topic,
    void (*cb)(void *arg, const char *name, const char *value), void *arg)
{
    config_cb_t c = {cb, arg};
    return samsa_connect_kafka_failed(
        k, samsa_client_topic_configs(k->client, topic, on_config, &c));
}

samsa_err_t
samsa_connect_kafka_alter_topic_configs(samsa_kafka_t *k, const char *topic,
                                        const struct samsa_connect_kv *configs,
                                        uint64_t nconfigs)
{
    samsa_IncrementalAlterConfigsRequest_t req;
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_t res;
    samsa_IncrementalAlterConfigsResponse_t *resp = NULL;
    samsa_arena_t arena;
    samsa_IncrementalAlterConfigsRequest_AlterableConfig_t *cfg =
        calloc(nconfigs + 1, sizeof(*cfg));
    if (cfg == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_IncrementalAlterConfigsRequest_init(&req);
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_init(&res);
    for (uint64_t i = 0; i < nconfigs; i++) {
        samsa_IncrementalAlterConfigsRequest_AlterableConfig_init(&cfg[i]);
        cfg[i].Name = samsa_str_from_cstr(configs[i].key);
        cfg[i].ConfigOperation = 0; /* SET */
        cfg[i].Value = samsa_str_from_cstr(configs[i].value);
    }
    res.ResourceType = RESOURCE_TOPIC;
    res.ResourceName = samsa_str_from_cstr(topic);
    res.Configs.count = (int32_t)nconfigs;
    res.Configs.items = cfg;
    req.Resources.count = 1;
    req.Resources.items = &res;
    samsa_arena_init(&arena);
    samsa_err_t err = samsa_connect_kafka_failed(
        k, samsa_client_call(k->client, SAMSA_NODE_ANY,
                             SAMSA_API_INCREMENTAL_ALTER_CONFIGS, &req, &arena,
                             (void **)&resp, NULL));
    if (err == SAMSA_OK && resp->Responses.count == 1) {
        err = topic_error(k, "alter configs", topic,
                          resp->Responses.items[0].ErrorCode,
                          resp->Responses.items[0].ErrorMessage);
    }
    samsa_arena_destroy(&arena);
    free(cfg);
    return err;
}

samsa_err_t samsa_connect_kafka_create_partitions(samsa_kafka_t *k,
                                                  const char *topic,
                                                  int32_t count)
{
    samsa_CreatePartitionsRequest_t req;
    samsa_CreatePartitionsRequest_CreatePartitionsTopic_t t;
    samsa_CreatePartitionsResponse_t *resp = NULL;
    samsa_arena_t arena;

    samsa_CreatePartitionsRequest_init(&req);
    samsa_CreatePartitionsRequest_CreatePartitionsTopic_init(&t);
    t.Name = samsa_str_from_cstr(topic);
    t.Count = count;
    t.Assignments.count = -1;
    req.Topics.count = 1;
    req.Topics.items = &t;
    req.TimeoutMs = ADMIN_TIMEOUT_MS;
    samsa_arena_init(&arena);
    samsa_err_t err = samsa_connect_kafka_failed(
        k, samsa_client_call(k->client, SAMSA_NODE_ANY,
                             SAMSA_API_CREATE_PARTITIONS, &req, &arena,
                             (void **)&resp, NULL));
    if (err == SAMSA_OK && resp->Results.count == 1) {
        err = topic_error(k, "create partitions", topic,
                          resp->Results.items[0].ErrorCode,
                          resp->Results.items[0].ErrorMessage);
    }
    samsa_arena_destroy(&arena);
    if (err == SAMSA_OK) {
        /* Fetches and produces route by the new partitions. */
        samsa_metadata_free(k->md);
        k->md = NULL;
    }
    return err;
}
