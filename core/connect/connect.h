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

#endif /* SAMSA_CONNECT_WORKER_H */
