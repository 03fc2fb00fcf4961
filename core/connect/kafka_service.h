/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/kafka_service.h - the Kafka client host services
 * (services->kafka_*, ABI minor 5): core/client behind the ABI, so a
 * connector plugin (source-mirror) reads another cluster without
 * compiling core sources. services.c points the table at these.
 *
 * The running worker publishes itself here so that kafka_open(NULL)
 * reaches the worker's own cluster with its client settings, and fetches
 * decompress through its registry's codecs. One worker per process.
 */
#ifndef SAMSA_CONNECT_KAFKA_SERVICE_H
#define SAMSA_CONNECT_KAFKA_SERVICE_H

#include <samsa/connect.h>

#include "client/client.h"
#include "registry/registry.h"

typedef struct samsa_connect samsa_connect_t;

/* One client of one cluster (kafka_service.c owns its life; kafka_admin.c
 * uses it too). */
struct samsa_kafka {
    samsa_client_t *client;
    samsa_metadata_t *md; /* NULL: fetch asks for it first */
    const samsa_registry_t *reg;
    samsa_producer_t *producer; /* made by the first kafka_produce */
    char errmsg[512];
};

/* Remember the client's error line for kafka_errmsg, and return @p err. */
samsa_err_t samsa_connect_kafka_failed(samsa_kafka_t *k, samsa_err_t err);
/* Fresh metadata into k->md. */
samsa_err_t samsa_connect_kafka_refresh(samsa_kafka_t *k);

/** Make @p w the worker kafka_open(NULL) connects like (NULL: none). */
void samsa_connect_kafka_publish(const samsa_connect_t *w);

/** Codec lookup for samsa_fetch_conf_t.codec: @p arg is a
 *  const samsa_registry_t *. */
const samsa_codec_ops_t *samsa_connect_fetch_codec(void *arg, int codec_id,
                                                   void **state);

samsa_err_t samsa_connect_kafka_open(const samsa_instance_t *inst,
                                     const char *bootstrap,
                                     const struct samsa_connect_kv *props,
                                     uint64_t nprops, samsa_kafka_t **out,
                                     char *errbuf, size_t errlen);
void samsa_connect_kafka_close(samsa_kafka_t *k);
const char *samsa_connect_kafka_errmsg(const samsa_kafka_t *k);
samsa_err_t samsa_connect_kafka_topics(samsa_kafka_t *k,
                                       void (*cb)(void *arg, const char *topic,
                                                  int32_t partitions),
                                       void *arg);
samsa_err_t samsa_connect_kafka_create_topic(samsa_kafka_t *k,
                                             const char *topic,
                                             int32_t partitions);
samsa_err_t samsa_connect_kafka_list_offset(samsa_kafka_t *k, const char *topic,
                                            int32_t partition, int64_t ts,
                                            int64_t *offset);
samsa_err_t samsa_connect_kafka_fetch(
    samsa_kafka_t *k, samsa_kafka_pos_t *pos, size_t n, int32_t max_wait_ms,
    int (*cb)(void *arg, const struct samsa_connect_record *rec), void *arg);
samsa_err_t samsa_connect_kafka_groups(samsa_kafka_t *k,
                                       void (*cb)(void *arg, const char *group),
                                       void *arg);
samsa_err_t samsa_connect_kafka_committed(samsa_kafka_t *k, const char *group,
                                          samsa_kafka_pos_t *pos, size_t n);
samsa_err_t samsa_connect_kafka_commit(samsa_kafka_t *k, const char *group,
                                       const samsa_kafka_pos_t *pos, size_t n);

samsa_err_t samsa_connect_kafka_committed_metadata(
    samsa_kafka_t *k, const char *group, samsa_kafka_pos_t *pos, size_t n,
    void (*cb)(void *arg, size_t i, const char *metadata), void *arg);
samsa_err_t samsa_connect_kafka_commit_metadata(samsa_kafka_t *k,
                                                const char *group,
                                                const samsa_kafka_pos_t *pos,
                                                const char *const *metadata,
                                                size_t n);

samsa_err_t samsa_connect_kafka_produce(
    samsa_kafka_t *k, const struct samsa_connect_record *const *recs, size_t n);

/* kafka_admin.c */
samsa_err_t samsa_connect_kafka_create_topic_configs(
    samsa_kafka_t *k, const char *topic, int32_t partitions,
    const struct samsa_connect_kv *configs, uint64_t nconfigs);
samsa_err_t samsa_connect_kafka_topic_configs(
    samsa_kafka_t *k, const char *topic,
    void (*cb)(void *arg, const char *name, const char *value), void *arg);
samsa_err_t
samsa_connect_kafka_alter_topic_configs(samsa_kafka_t *k, const char *topic,
                                        const struct samsa_connect_kv *configs,
                                        uint64_t nconfigs);
samsa_err_t samsa_connect_kafka_create_partitions(samsa_kafka_t *k,
                                                  const char *topic,
                                                  int32_t count);
samsa_err_t samsa_connect_kafka_topic_configs_all(
    samsa_kafka_t *k, const char *topic,
    void (*cb)(void *arg, const char *name, const char *value, int source),
    void *arg);

/* kafka_acls.c */
struct samsa_acl_binding;
samsa_err_t samsa_connect_kafka_acls(
    samsa_kafka_t *k, uint32_t resource_type,
    void (*cb)(void *arg, const struct samsa_acl_binding *acl), void *arg);
samsa_err_t
samsa_connect_kafka_create_acls(samsa_kafka_t *k,
                                const struct samsa_acl_binding *acls, size_t n);

#endif /* SAMSA_CONNECT_KAFKA_SERVICE_H */
