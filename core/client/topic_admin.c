/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/topic_admin.c - one topic's admin requests: create it
 * (CreateTopics), add partitions (CreatePartitions), read its configs
 * (DescribeConfigs: all of them with their source, or those set on it)
 * and edit those set on it (IncrementalAlterConfigs). The one
 * place they are built, for `samsa topic` and the connectors' Kafka client
 * services (source-mirror keeps remote topics like their source).
 *
 * A refusal of the topic is the call's error, with the broker's code and
 * message in the client's error line ("orders: TOPIC_ALREADY_EXISTS (...)").
 */
#include <stdio.h>

#include "client/client.h"
#include "util/err.h"

#define RESOURCE_TOPIC 2
#define OP_SET         0
#define OP_DELETE      1
/* DescribeConfigs ConfigSource: set on the topic itself. */
#define SOURCE_DYNAMIC_TOPIC 1
#define SOURCE_DEFAULT       5

samsa_err_t samsa_client_topic_configs_all(samsa_client_t *c, const char *topic,
                                           samsa_topic_config_all_cb cb,
                                           void *arg)
{
    samsa_DescribeConfigsRequest_t req;
    samsa_DescribeConfigsRequest_DescribeConfigsResource_t res;
    samsa_DescribeConfigsResponse_t *resp = NULL;
    samsa_arena_t arena;

    samsa_DescribeConfigsRequest_init(&req);
    samsa_DescribeConfigsRequest_DescribeConfigsResource_init(&res);
    res.ResourceType = RESOURCE_TOPIC;
    res.ResourceName = samsa_str_from_cstr(topic);
    res.ConfigurationKeys.count = -1;
    req.Resources.count = 1;
    req.Resources.items = &res;
    samsa_arena_init(&arena);
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_DESCRIBE_CONFIGS, &req,
                          &arena, (void **)&resp, NULL);
    if (err == SAMSA_OK && resp->Results.count != 1) {
        err = samsa_client_fail(c, SAMSA_ERR_CORRUPT,
                                "describe configs %s: %d results", topic,
                                (int)resp->Results.count);
    }
    const samsa_DescribeConfigsResponse_DescribeConfigsResult_t *r =
        err == SAMSA_OK ? &resp->Results.items[0] : NULL;
    if (r != NULL && r->ErrorCode != 0) {
        err = samsa_client_fail(c, r->ErrorCode, "describe configs %s: %s",
                                topic, samsa_err_str(r->ErrorCode));
    }
    for (int32_t i = 0; err == SAMSA_OK && i < r->Configs.count; i++) {
        const samsa_DescribeConfigsResponse_DescribeConfigsResourceResult_t *e =
            &r->Configs.items[i];
        /* v0 has IsDefault instead of ConfigSource. */
        int8_t source = e->ConfigSource;
        if (source == -1) {
            source = e->IsDefault ? SOURCE_DEFAULT : SOURCE_DYNAMIC_TOPIC;
        }
        cb(arg, e->Name, e->IsSensitive ? SAMSA_STR_NULL : e->Value, source);
    }
    samsa_arena_destroy(&arena);
    return err;
}

typedef struct own_configs {
    samsa_topic_config_cb cb;
    void *arg;
} own_configs_t;

static void on_own(void *arg, samsa_str_t name, samsa_str_t value,
                   int8_t source)
{
    own_configs_t *o = arg;
    if (source == SOURCE_DYNAMIC_TOPIC) {
        o->cb(o->arg, name, value);
    }
}

samsa_err_t samsa_client_topic_configs(samsa_client_t *c, const char *topic,
                                       samsa_topic_config_cb cb, void *arg)
{
    own_configs_t o = {cb, arg};
    return samsa_client_topic_configs_all(c, topic, on_own, &o);
}

/* The topic's own error code in an answer, as the call's error. */
static samsa_err_t topic_failed(samsa_client_t *c, const char *topic,
                                int16_t code, samsa_str_t msg)
{
    if (code == 0) {
        return SAMSA_OK;
    }
    if (msg.len > 0) {
        return samsa_client_fail(c, code, "%s: %s (%.*s)", topic,
                                 samsa_err_name(code), (int)msg.len, msg.ptr);
    }
    return samsa_client_fail(c, code, "%s: %s", topic, samsa_err_name(code));
}

samsa_err_t samsa_client_create_topic(samsa_client_t *c, const char *topic,
                                      int32_t partitions, int16_t replication,
                                      const samsa_client_config_t *configs,
                                      int32_t nconfigs, int32_t timeout_ms)
{
    samsa_CreateTopicsRequest_t req;
    samsa_CreateTopicsRequest_CreatableTopic_t t;
    samsa_CreateTopicsResponse_t *resp = NULL;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_CreateTopicsRequest_CreateableTopicConfig_t *cfg = samsa_arena_alloc(
        &arena, (size_t)(nconfigs > 0 ? nconfigs : 1) * sizeof(*cfg));
    if (cfg == NULL) {
        samsa_arena_destroy(&arena);
        return samsa_client_fail(c, SAMSA_ERR_NOMEM, "out of memory");
    }
    samsa_CreateTopicsRequest_init(&req);
    samsa_CreateTopicsRequest_CreatableTopic_init(&t);
    t.Name = samsa_str_from_cstr(topic);
    t.NumPartitions = partitions;
    t.ReplicationFactor = replication;
    for (int32_t i = 0; i < nconfigs; i++) {
        samsa_CreateTopicsRequest_CreateableTopicConfig_init(&cfg[i]);
        cfg[i].Name = configs[i].name;
        cfg[i].Value = configs[i].value;
    }
    t.Configs.count = nconfigs;
    t.Configs.items = cfg;
    req.Topics.count = 1;
    req.Topics.items = &t;
    req.timeoutMs = timeout_ms;
    samsa_err_t err = samsa_client_call(c, samsa_client_controller(c),
                                        SAMSA_API_CREATE_TOPICS, &req, &arena,
                                        (void **)&resp, NULL);
    if (err == SAMSA_OK && resp->Topics.count != 1) {
        err = samsa_client_fail(c, SAMSA_ERR_CORRUPT,
                                "create topic %s: %d results", topic,
                                (int)resp->Topics.count);
    }
    if (err == SAMSA_OK) {
        err = topic_failed(c, topic, resp->Topics.items[0].ErrorCode,
                           resp->Topics.items[0].ErrorMessage);
    }
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_create_partitions(samsa_client_t *c, const char *topic,
                                           int32_t count, int32_t timeout_ms)
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
    req.TimeoutMs = timeout_ms;
    samsa_arena_init(&arena);
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_CREATE_PARTITIONS, &req,
                          &arena, (void **)&resp, NULL);
    if (err == SAMSA_OK && resp->Results.count == 1) {
        err = topic_failed(c, topic, resp->Results.items[0].ErrorCode,
                           resp->Results.items[0].ErrorMessage);
    }
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t
samsa_client_alter_topic_configs(samsa_client_t *c, const char *topic,
                                 const samsa_client_config_t *configs,
                                 int32_t nconfigs)
{
    samsa_IncrementalAlterConfigsRequest_t req;
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_t res;
    samsa_IncrementalAlterConfigsResponse_t *resp = NULL;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_IncrementalAlterConfigsRequest_AlterableConfig_t *cfg =
        samsa_arena_alloc(&arena,
                          (size_t)(nconfigs > 0 ? nconfigs : 1) * sizeof(*cfg));
    if (cfg == NULL) {
        samsa_arena_destroy(&arena);
        return samsa_client_fail(c, SAMSA_ERR_NOMEM, "out of memory");
    }
    samsa_IncrementalAlterConfigsRequest_init(&req);
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_init(&res);
    for (int32_t i = 0; i < nconfigs; i++) {
        samsa_IncrementalAlterConfigsRequest_AlterableConfig_init(&cfg[i]);
        cfg[i].Name = configs[i].name;
        cfg[i].ConfigOperation = configs[i].value.len < 0 ? OP_DELETE : OP_SET;
        cfg[i].Value = configs[i].value;
    }
    res.ResourceType = RESOURCE_TOPIC;
    res.ResourceName = samsa_str_from_cstr(topic);
    res.Configs.count = nconfigs;
    res.Configs.items = cfg;
    req.Resources.count = 1;
    req.Resources.items = &res;
    samsa_err_t err = samsa_client_call(c, SAMSA_NODE_ANY,
                                        SAMSA_API_INCREMENTAL_ALTER_CONFIGS,
                                        &req, &arena, (void **)&resp, NULL);
    if (err == SAMSA_OK && resp->Responses.count == 1) {
        err = topic_failed(c, topic, resp->Responses.items[0].ErrorCode,
                           resp->Responses.items[0].ErrorMessage);
    }
    samsa_arena_destroy(&arena);
    return err;
}
