/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/dynamic_config_store.h - where the dynamic broker configs live
 * (Kafka's AlterConfigs / IncrementalAlterConfigs on a BROKER resource):
 * the cluster default (resource name "") and this broker's own values
 * (resource name = node id), as Kafka-named key/value pairs.
 *
 * Single node: <data_dir>/__samsa_meta/broker_configs, a text file of
 * "default.<name>=<value>" and "broker.<node id>.<name>=<value>" lines,
 * replaced durably (tmp + fsync + rename + directory fsync) on every
 * change. In a cluster (quorum mode) the metadata log keeps them
 * (BROKER_CONFIG records, core/metadata/image_security.h): the store is
 * opened in memory (data_dir NULL) and its two scopes are replaced from
 * each new image (core/broker/cluster_broker_configs.c).
 *
 * What the keys mean (which are dynamic, how they apply) is
 * core/broker/broker_configs.c's business; the store only keeps them.
 *
 * Threads: every function is safe from any thread (one mutex). replace()
 * blocks on fsync.
 */
#ifndef SAMSA_DYNAMIC_CONFIG_STORE_H
#define SAMSA_DYNAMIC_CONFIG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "log/topic_config.h"

typedef struct samsa_dyncfg samsa_dyncfg_t;

typedef enum samsa_dyncfg_scope {
    SAMSA_DYNCFG_DEFAULT = 0, /* cluster-wide default (resource "") */
    SAMSA_DYNCFG_BROKER = 1,  /* this broker (resource "<node id>") */
} samsa_dyncfg_scope_t;

/* Read the store of @p data_dir (absent file = empty; NULL: an empty store
 * in memory only, never written). Nothing is written
 * until the first replace(). A damaged file is an error naming file:line
 * and how to repair it. */
samsa_err_t samsa_dyncfg_open(const char *data_dir, int32_t node_id,
                              samsa_dyncfg_t **out, char *errbuf,
                              size_t errlen);
void samsa_dyncfg_close(samsa_dyncfg_t *s);

/* Copy of one scope's values (caller frees with samsa_tcfg_free). */
samsa_err_t samsa_dyncfg_copy(samsa_dyncfg_t *s, samsa_dyncfg_scope_t scope,
                              samsa_tcfg_t *out);

/* Replace one scope's values with @p next, durably; on failure (reason in
 * errbuf, SAMSA_ERR_KAFKA_STORAGE_ERROR) the store is unchanged. Values
 * must not contain a newline (SAMSA_ERR_INVALID_CONFIG). */
samsa_err_t samsa_dyncfg_replace(samsa_dyncfg_t *s, samsa_dyncfg_scope_t scope,
                                 const samsa_tcfg_t *next, char *errbuf,
                                 size_t errlen);

#endif /* SAMSA_DYNAMIC_CONFIG_STORE_H */
