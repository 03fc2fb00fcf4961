/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/connect.h - the Connect worker inside samsad
 * (connect_enabled: true): runs source and sink connector plugins
 * (samsa/connect.h), keeps connector configs, status and source offsets in
 * Kafka Connect's three compacted internal topics, and serves Kafka
 * Connect's REST API on the broker's HTTP listener.
 *
 * The worker is a Kafka client of its own broker (core/client over the
 * loopback listener), exactly as the standalone `samsa connect` worker
 * will be of any cluster: produce, fetch, groups, authentication and
 * replication all take the one path every client takes, and nothing here
 * reaches into core/log or a reactor.
 *
 * Threads: one boot thread (creates the internal topics, replays them,
 * starts the connectors), one thread per task; REST handlers run on the
 * HTTP threads. The connector table is locked by the worker.
 *
 * Owner: the broker (core/broker/broker.c) creates it before the HTTP
 * listener starts, starts it once Kafka clients can connect, and stops it
 * before the Kafka listeners close.
 */
#ifndef SAMSA_CONNECT_WORKER_H
#define SAMSA_CONNECT_WORKER_H

#include <stdbool.h>

#include <jansson.h>
#include <samsa/connect.h>

#include "client/client.h"
#include "config/broker.h"
#include "http/http.h"
#include "registry/registry.h"
#include "util/err.h"

typedef struct samsa_connect samsa_connect_t;

/** Create the worker and register its REST routes on @p http (GET / among
 *  them: Kafka Connect's version info; the console stays at /console).
 *  Reads config_providers from @p cfg; SAMSA_ERR_CONFIG with a message
 *  for an unknown provider. */
samsa_err_t samsa_connect_create(const samsa_registry_t *reg,
                                 samsa_http_t *http,
                                 const samsa_broker_config_t *cfg,
                                 samsa_connect_t **out, char *errbuf,
                                 size_t errlen);

/** Read a Kafka Connect worker.properties file at @p path: the security
 *  keys of its clients (client/properties.h) and, for distributed mode,
 *  group.id, session.timeout.ms, heartbeat.interval.ms,
 *  rebalance.timeout.ms, rest.advertised.host.name/port and the
 *  *.storage.topic names (cluster.h). Before start.
 *  SAMSA_ERR_CONFIG with the reason in @p errbuf. */
samsa_err_t samsa_connect_configure(samsa_connect_t *w, const char *path,
                                    char *errbuf, size_t errlen);

/** The security protocol the worker's clients speak: connect_client_config's
 *  security.protocol, PLAINTEXT without one. The broker starts the worker
 *  on its first listener of that protocol. */
samsa_security_protocol_t
samsa_connect_security_protocol(const samsa_connect_t *w);

/** Start the boot thread against the broker at @p bootstrap ("HOST:PORT").
 *  @p cluster_id is reported by GET /. */
samsa_err_t samsa_connect_start(samsa_connect_t *w, const char *bootstrap,
                                const char *cluster_id);

/** Stop every task (each flushes and commits); REST then answers 503.
 *  Before the Kafka listeners close. NULL is fine. */
void samsa_connect_stop(samsa_connect_t *w);

/** Stop if not yet done and free; after the HTTP listener is gone (its
 *  handlers use the worker). NULL is fine. */
void samsa_connect_destroy(samsa_connect_t *w);

/* ---- Embedding: what a program running the worker in-process (the SDK's
 * test kit, sdk/testkit) uses where a user would call the REST API. ---- */

/** Called on a sink task's thread after its put() returned SAMSA_OK, with
 *  the records put() was given (after converters and transforms; borrowed
 *  for the call), before flush(). Must not call back into the worker. */
typedef void (*samsa_connect_put_observer_t)(
    void *ctx, const char *connector, int32_t task_id,
    const samsa_connect_record_t *const *records, size_t count);

/** A producer as the worker's tasks produce: acks=all, topics created
 *  when missing, keys placed by the "hash" partitioner instance (Java's
 *  murmur2) when @p reg has one. *out: samsa_producer_free(). */
samsa_err_t samsa_connect_producer_new(const samsa_registry_t *reg,
                                       samsa_client_t *client,
                                       samsa_producer_t **out);

/** Set the put observer (NULL: none). Before samsa_connect_start(). */
void samsa_connect_observe_puts(samsa_connect_t *w,
                                samsa_connect_put_observer_t fn, void *ctx);

/** True once the worker replayed its internal topics (REST serves). */
bool samsa_connect_ready(samsa_connect_t *w);

/** Create or replace connector @p name with @p config (an object of
 *  strings, borrowed), as PUT /connectors/NAME/config does: validated,
 *  stored in connect-configs, its tasks started.
 *  @return SAMSA_OK; SAMSA_ERR_AGAIN before samsa_connect_ready();
 *          SAMSA_ERR_CONFIG with Kafka Connect's message in @p errbuf. */
samsa_err_t samsa_connect_apply(samsa_connect_t *w, const char *name,
                                json_t *config, char *errbuf, size_t errlen);

/** The state of connector @p name's tasks: *failed is true when one is
 *  FAILED (its trace copied into @p trace), *running the number RUNNING.
 *  SAMSA_ERR_NOT_FOUND for no such connector. */
samsa_err_t samsa_connect_task_states(samsa_connect_t *w, const char *name,
                                      int *running, bool *failed, char *trace,
                                      size_t tracelen);

#endif /* SAMSA_CONNECT_WORKER_H */
