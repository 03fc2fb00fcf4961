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

typedef struct samsa_connect samsa_connect_t;

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

#endif /* SAMSA_CONNECT_KAFKA_SERVICE_H */
