/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/broker_configs.h - broker configs as Kafka names them, for
 * DescribeConfigs / AlterConfigs / IncrementalAlterConfigs on BROKER
 * resources: which exist, which Kafka lets change at runtime
 * (cluster-wide or per-broker) and which are read-only, their value at
 * each level (dynamic per-broker, dynamic cluster default, samsa.yaml,
 * Kafka's default), and how a change applies (the log-level ones become
 * the topic defaults of every topic at once).
 *
 * Dynamic values are kept by core/log/dynamic_config_store.h; in a cluster
 * they come from the metadata log (core/broker/cluster_broker_configs.c).
 * Threads: any thread; alter() blocks on fsync (as topic alters do).
 */
#ifndef SAMSA_BROKER_CONFIGS_H
#define SAMSA_BROKER_CONFIGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "log/dynamic_config_store.h"

typedef enum samsa_bcfg_mode {
    SAMSA_BCFG_READ_ONLY,
    SAMSA_BCFG_PER_BROKER,   /* only for one broker (resource = node id) */
    SAMSA_BCFG_CLUSTER_WIDE, /* for one broker or the cluster default */
} samsa_bcfg_mode_t;

typedef struct samsa_bcfg_def {
    const char *name;          /* Kafka's broker config name */
    int8_t type;               /* SAMSA_CONFIG_TYPE_* */
    samsa_bcfg_mode_t mode;    /* as Kafka's DynamicBrokerConfig */
    const char *yaml_key;      /* samsa.yaml key of the static value */
    const char *topic_key;     /* topic config this is the default of */
    const char *kafka_default; /* value when yaml_key is NULL */
    const char *doc;
} samsa_bcfg_def_t;

/* ConfigSource wire values beyond topic_config.h's. */
#define SAMSA_CONFIG_SOURCE_DYNAMIC_BROKER         2
#define SAMSA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER 3

typedef struct samsa_bcfg_level {
    char value[128];
    int8_t source; /* SAMSA_CONFIG_SOURCE_* */
} samsa_bcfg_level_t;

/* The table, terminated by a NULL name. */
const samsa_bcfg_def_t *samsa_bcfg_defs(void);

/* The topic defaults a broker starts with: samsa.yaml's log settings with
 * the stored dynamic values (cluster default, then this broker's) on top.
 * Caller frees @p out with samsa_tcfg_free. */
samsa_err_t
samsa_broker_configs_topic_defaults(const samsa_broker_config_t *cfg,
                                    samsa_dyncfg_t *store, samsa_tcfg_t *out);

/* producer.id.expiration.ms as it applies now (dynamic over samsa.yaml). */
int64_t
samsa_broker_configs_producer_expiration(const samsa_broker_config_t *cfg,
                                         samsa_dyncfg_t *store);

/* Values of @p d, highest priority first: this broker's dynamic value, the
 * dynamic cluster default, samsa.yaml, the default. With @p per_broker
 * false only the dynamic cluster default (what Kafka shows for resource
 * ""). Returns how many were filled (0..4). */
size_t samsa_broker_config_levels(samsa_broker_t *b, const samsa_bcfg_def_t *d,
                                  bool per_broker, samsa_bcfg_level_t out[4]);

/* The broker config a topic config takes its default from (log.retention.ms
 * for retention.ms) in *broker_key, and its levels as in
 * samsa_broker_config_levels(); 0 when the topic config has none. */
size_t samsa_broker_topic_synonyms(samsa_broker_t *b, const char *topic_key,
                                   const char **broker_key,
                                   samsa_bcfg_level_t out[4]);

/* samsa_tcfg_resolve() for a topic, with the source Kafka reports when a
 * dynamic broker config sets the broker-level default
 * (DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG). @p bd is a copy
 * of the log manager's broker defaults. */
const char *samsa_broker_topic_config_resolve(samsa_broker_t *b,
                                              const samsa_tcfg_t *topic,
                                              const samsa_tcfg_t *bd,
                                              const samsa_tcfg_def_t *def,
                                              int8_t *source);

/* AlterConfigs (incremental false: the scope's values become @p changes)
 * or IncrementalAlterConfigs (merge; a NULL value deletes) on one scope.
 * Kafka's checks and errors: INVALID_REQUEST "Cannot update these configs
 * dynamically: Set(...)" for read-only keys, "... at default cluster level,
 * broker id must be specified" for per-broker keys on the default, a bad
 * value; INVALID_CONFIG for an unknown key. Then stored durably and
 * applied. The reason for a failure is in errbuf. */
samsa_err_t samsa_broker_config_alter(samsa_broker_t *b,
                                      samsa_dyncfg_scope_t scope,
                                      const samsa_tcfg_kv_t *changes,
                                      size_t count, bool incremental,
                                      bool validate_only, char *errbuf,
                                      size_t errlen);

/* Kafka's checks of samsa_broker_config_alter() alone (a cluster's
 * controller runs them before proposing records). */
samsa_err_t samsa_broker_config_check(samsa_dyncfg_scope_t scope,
                                      const samsa_tcfg_kv_t *changes,
                                      size_t count, char *errbuf,
                                      size_t errlen);

/* In a cluster: make the store's cluster default and this broker's values
 * those of the metadata image (already checked), and apply them. Any
 * thread but a reactor. */
samsa_err_t samsa_broker_config_set_scopes(samsa_broker_t *b,
                                           const samsa_tcfg_t *cluster_default,
                                           const samsa_tcfg_t *own,
                                           char *errbuf, size_t errlen);

#endif /* SAMSA_BROKER_CONFIGS_H */
