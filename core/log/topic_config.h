/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/topic_config.h - topic-level configs (Kafka's names), their
 * defaults, validation, and resolution into the storage engine's
 * samsa_log_config_t.
 *
 * A topic stores only its overrides (name -> string). Effective values are
 * override, else the broker default, else the table default. DescribeConfigs
 * reports each with its source.
 */
#ifndef SAMSA_TOPIC_CONFIG_H
#define SAMSA_TOPIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/storage.h>

typedef enum samsa_tcfg_type {
    SAMSA_TCFG_LONG,
    SAMSA_TCFG_INT,
    SAMSA_TCFG_STRING,
    SAMSA_TCFG_LIST, /* comma separated */
    SAMSA_TCFG_BOOLEAN,
    SAMSA_TCFG_DOUBLE,
    /* Kafka's throttled replica list: "*" or "partition:broker,..." */
    SAMSA_TCFG_REPLICA_LIST,
} samsa_tcfg_type_t;

/* Kafka DescribeConfigs ConfigType values (KIP-569). */
#define SAMSA_CONFIG_TYPE_BOOLEAN 1
#define SAMSA_CONFIG_TYPE_STRING  2
#define SAMSA_CONFIG_TYPE_INT     3
#define SAMSA_CONFIG_TYPE_LONG    5
#define SAMSA_CONFIG_TYPE_DOUBLE  6
#define SAMSA_CONFIG_TYPE_LIST    7

typedef struct samsa_tcfg_def {
    const char *name;
    samsa_tcfg_type_t type;
    const char *default_value;
    int64_t min, max;           /* numeric bounds when min < max */
    const char *const *choices; /* allowed values for enums, NULL-terminated */
    const char *doc;
} samsa_tcfg_def_t;

/* One key/value of a topic's overrides. */
typedef struct samsa_tcfg_kv {
    char *name;
    char *value;
} samsa_tcfg_kv_t;

typedef struct samsa_tcfg {
    samsa_tcfg_kv_t *items;
    size_t count;
} samsa_tcfg_t;

/* The table of known topic configs, terminated by a NULL name. */
const samsa_tcfg_def_t *samsa_tcfg_defs(void);
const samsa_tcfg_def_t *samsa_tcfg_def_find(const char *name);
int32_t samsa_tcfg_wire_type(const samsa_tcfg_def_t *def);

/* Validate one value. SAMSA_ERR_INVALID_CONFIG with a reason in errbuf. */
samsa_err_t samsa_tcfg_validate(const char *name, const char *value,
                                char *errbuf, size_t errlen);

/* Overrides set: copy, set (value NULL = delete), get, free. */
samsa_err_t samsa_tcfg_set(samsa_tcfg_t *c, const char *name,
                           const char *value);
const char *samsa_tcfg_get(const samsa_tcfg_t *c, const char *name);
samsa_err_t samsa_tcfg_copy(samsa_tcfg_t *dst, const samsa_tcfg_t *src);
void samsa_tcfg_free(samsa_tcfg_t *c);

/* Effective value: override, else broker default (may be NULL), else table. */
const char *samsa_tcfg_effective(const samsa_tcfg_t *topic,
                                 const samsa_tcfg_t *broker_defaults,
                                 const char *name, bool *is_default);
int64_t samsa_tcfg_effective_long(const samsa_tcfg_t *topic,
                                  const samsa_tcfg_t *broker_defaults,
                                  const char *name);

/* DescribeConfigs / CreateTopics ConfigSource values (Kafka's wire codes). */
#define SAMSA_CONFIG_SOURCE_DYNAMIC_TOPIC 1
#define SAMSA_CONFIG_SOURCE_STATIC_BROKER 4
#define SAMSA_CONFIG_SOURCE_DEFAULT       5

/* Effective value of @p def and where it comes from: a topic override
 * (dynamic topic), a broker setting that differs from the built-in default
 * (static broker), else the default, as Kafka reports keys its config does
 * not set. */
const char *samsa_tcfg_resolve(const samsa_tcfg_t *topic,
                               const samsa_tcfg_t *broker_defaults,
                               const samsa_tcfg_def_t *def, int8_t *source);

/* Build the storage engine's view of a topic's settings. */
void samsa_tcfg_to_log_config(const samsa_tcfg_t *topic,
                              const samsa_tcfg_t *broker_defaults,
                              samsa_log_config_t *out);

#endif /* SAMSA_TOPIC_CONFIG_H */
