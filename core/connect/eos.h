/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/eos.h - exactly-once source connectors (KIP-618): the
 * worker key exactly.once.source.support, the connector keys
 * exactly.once.support, transaction.boundary,
 * transaction.boundary.interval.ms and offsets.storage.topic, their
 * validation against what the plugin declares (the optional source ops
 * exactly_once_support and can_define_transaction_boundaries, ABI minor
 * 6), and the transactional id of a task.
 *
 * With exactly.once.source.support=enabled every source task produces
 * through its own transactional producer (transactional.id
 * "<group.id>-<connector>-<task>"): each transaction holds the task's
 * records and the source offsets they reach, written to the offsets
 * topic in the same transaction, so both land or neither does
 * (core/connect/task.c runs it). Starting a task's producer fences the
 * previous generation's producer of the same task (its epoch is bumped
 * and its open transaction aborted) before the task reads its offsets
 * read_committed. "preparing" runs tasks at-least-once, as Kafka's
 * rolling upgrade step does, but, as with "enabled", the leader writes
 * connect-configs in transactions of its own transactional producer
 * (store.h's fencable config writer), so every worker of the group is
 * ready for "enabled" and a deposed leader cannot write.
 *
 * Pure functions over configs; no I/O. (The fencing of a connector's
 * previous generation of tasks is core/connect/fencing.c's.)
 */
#ifndef SAMSA_CONNECT_EOS_H
#define SAMSA_CONNECT_EOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "registry/registry.h"
#include "util/err.h"

typedef enum samsa_connect_eos_mode {
    SAMSA_CONNECT_EOS_DISABLED = 0,
    SAMSA_CONNECT_EOS_PREPARING,
    SAMSA_CONNECT_EOS_ENABLED,
} samsa_connect_eos_mode_t;

/* The worker key exactly.once.source.support; other keys are ignored.
 * SAMSA_ERR_CONFIG with Kafka's message for a bad value. */
samsa_err_t samsa_connect_eos_worker_set(samsa_connect_eos_mode_t *mode,
                                         const char *key, const char *value,
                                         char *errbuf, size_t errlen);

typedef enum samsa_connect_boundary {
    SAMSA_CONNECT_BOUNDARY_POLL = 0, /* one transaction per poll() */
    SAMSA_CONNECT_BOUNDARY_INTERVAL, /* one per interval_ms */
    SAMSA_CONNECT_BOUNDARY_CONNECTOR /* where the task asks */
} samsa_connect_boundary_t;

/* Default transaction.boundary.interval.ms: Kafka's default
 * offset.flush.interval.ms. */
#define SAMSA_CONNECT_BOUNDARY_INTERVAL_MS 60000

/* A source connector's exactly-once keys. */
typedef struct samsa_connect_eos_conf {
    bool required; /* exactly.once.support=required (else requested) */
    samsa_connect_boundary_t boundary;
    int64_t interval_ms;       /* transaction.boundary.interval.ms */
    const char *offsets_topic; /* offsets.storage.topic; NULL: the worker's */
} samsa_connect_eos_conf_t;

/* Read them from @p config (string values; the strings stay @p config's).
 * SAMSA_ERR_CONFIG with "KEY: why" in @p errbuf for a bad value (the
 * message opens with the key). */
samsa_err_t samsa_connect_eos_from_config(const json_t *config,
                                          samsa_connect_eos_conf_t *out,
                                          char *errbuf, size_t errlen);

/* Kafka's preflight checks of a source connector for a worker in
 * @p mode: a bad key, exactly.once.support=required that the worker or
 * the plugin cannot give, transaction.boundary=connector the plugin
 * cannot define. Each error is added to @p errs (key -> [messages])
 * through @p add. */
void samsa_connect_eos_validate(samsa_connect_eos_mode_t mode,
                                const samsa_registry_entry_t *plugin,
                                const json_t *config, json_t *errs,
                                void (*add)(json_t *errs, const char *key,
                                            const char *msg));

/* The group in a task's transactional id on a worker without group.id
 * (samsad's standalone worker; Kafka has exactly-once sources in
 * distributed mode only). */
#define SAMSA_CONNECT_EOS_GROUP "connect-standalone"

/* transaction.timeout.ms of a task's producer (Kafka's producer default). */
#define SAMSA_CONNECT_EOS_TXN_TIMEOUT_MS 60000

/* "<group>-<connector>-<task>", Kafka's transactional id of a task's
 * producer (@p group: the worker's group.id, "" for
 * SAMSA_CONNECT_EOS_GROUP). */
void samsa_connect_eos_txn_id(const char *group, const char *connector,
                              int32_t task, char *out, size_t len);

/* "connect-cluster-<group>", Kafka's transactional id of the leader's
 * config-topic writer with exactly.once.source.support preparing or
 * enabled (DistributedConfig.transactionalProducerId). */
void samsa_connect_eos_leader_txn_id(const char *group, char *out, size_t len);

#endif /* SAMSA_CONNECT_EOS_H */
