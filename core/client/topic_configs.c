/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/topic_configs.c - the configs set on one topic itself
 * (DescribeConfigs), for `samsa topic describe` and the connectors' Kafka
 * client services (source-mirror's topic sync).
 */
#include <stdio.h>

#include "client/client.h"
#include "util/err.h"

#define RESOURCE_TOPIC 2
/* DescribeConfigs ConfigSource: set on the topic itself. */
#define SOURCE_DYNAMIC_TOPIC 1

samsa_err_t samsa_client_topic_configs(samsa_client_t *c, const char *topic,
                                       samsa_topic_config_cb cb, void *arg)
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
        if (e->ConfigSource == SOURCE_DYNAMIC_TOPIC ||
            (e->ConfigSource == -1 && !e->IsDefault)) {
            cb(arg, e->Name, e->Value);
        }
    }
    samsa_arena_destroy(&arena);
    return err;
}
