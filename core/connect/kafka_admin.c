/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/kafka_admin.c - the topic admin half of services->kafka_*
 * (CreateTopics, DescribeConfigs, IncrementalAlterConfigs,
 * CreatePartitions) on a samsa_kafka_t of kafka_service.c: what
 * source-mirror needs to create its internal topics and keep remote
 * topics like their source (configs set and removed, partition count).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/kafka_service.h"
#include "util/err.h"

#define ADMIN_TIMEOUT_MS 30000

/* The connector's key/values as the client's configs (NULL: no memory). */
static samsa_client_config_t *configs_of(const struct samsa_connect_kv *kv,
                                         uint64_t n)
{
    samsa_client_config_t *cfg = calloc(n + 1, sizeof(*cfg));
    for (uint64_t i = 0; cfg != NULL && i < n; i++) {
        cfg[i].name = samsa_str_from_cstr(kv[i].key);
        cfg[i].value = samsa_str_from_cstr(kv[i].value);
    }
    return cfg;
}

samsa_err_t samsa_connect_kafka_create_topic_configs(
    samsa_kafka_t *k, const char *topic, int32_t partitions,
    const struct samsa_connect_kv *configs, uint64_t nconfigs)
{
    samsa_client_config_t *cfg = configs_of(configs, nconfigs);
    if (cfg == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = samsa_connect_kafka_refresh(k);
    if (err == SAMSA_OK) {
        err = samsa_client_create_topic(k->client, topic, partitions, -1, cfg,
                                        (int32_t)nconfigs, ADMIN_TIMEOUT_MS);
        /* Created meanwhile by another worker or a user: it is there. */
        err = err == SAMSA_ERR_TOPIC_ALREADY_EXISTS ? SAMSA_OK : err;
    }
    free(cfg);
    return samsa_connect_kafka_failed(k, err);
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

typedef struct config_all_cb {
    void (*cb)(void *arg, const char *name, const char *value, int source);
    void *arg;
} config_all_cb_t;

static void on_config_all(void *arg, samsa_str_t name, samsa_str_t value,
                          int8_t source)
{
    config_all_cb_t *c = arg;
    char *n = strndup(name.ptr, (size_t)name.len);
    char *v = value.len >= 0 ? strndup(value.ptr, (size_t)value.len) : NULL;
    if (n != NULL && (value.len < 0 || v != NULL)) {
        c->cb(c->arg, n, v, source);
    }
    free(n);
    free(v);
}

samsa_err_t samsa_connect_kafka_topic_configs_all(
    samsa_kafka_t *k, const char *topic,
    void (*cb)(void *arg, const char *name, const char *value, int source),
    void *arg)
{
    config_all_cb_t c = {cb, arg};
    return samsa_connect_kafka_failed(
        k, samsa_client_topic_configs_all(k->client, topic, on_config_all, &c));
}

samsa_err_t
samsa_connect_kafka_alter_topic_configs(samsa_kafka_t *k, const char *topic,
                                        const struct samsa_connect_kv *configs,
                                        uint64_t nconfigs)
{
    samsa_client_config_t *cfg = configs_of(configs, nconfigs);
    if (cfg == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = samsa_client_alter_topic_configs(k->client, topic, cfg,
                                                       (int32_t)nconfigs);
    free(cfg);
    return samsa_connect_kafka_failed(k, err);
}

samsa_err_t samsa_connect_kafka_create_partitions(samsa_kafka_t *k,
                                                  const char *topic,
                                                  int32_t count)
{
    samsa_err_t err = samsa_connect_kafka_failed(
        k, samsa_client_create_partitions(k->client, topic, count,
                                          ADMIN_TIMEOUT_MS));
    if (err == SAMSA_OK) {
        /* Fetches and produces route by the new partitions. */
        samsa_metadata_free(k->md);
        k->md = NULL;
    }
    return err;
}
