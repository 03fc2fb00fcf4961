/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/observe.h - what the broker shows on its HTTP listener:
 * /health/live, /health/ready and /metrics (Prometheus text format).
 *
 * The routes run on the HTTP threads (core/http) and read the broker only
 * through thread-safe calls: log manager snapshots, partition offsets,
 * group coordinator queries, server stats, the registry (immutable after
 * start) and the metric atomics.
 */
#ifndef SAMSA_BROKER_OBSERVE_H
#define SAMSA_BROKER_OBSERVE_H

#include "broker/broker.h"
#include "http/http.h"

/** Register the broker's routes on @p http (before samsa_http_start). */
samsa_err_t samsa_observe_routes(samsa_broker_t *b, samsa_http_t *http);

/** The read-only JSON API (observe_api.c): /api/cluster, /api/topics,
 *  /api/groups, /api/hot-keys?topic=NAME. */
samsa_err_t samsa_observe_api_routes(samsa_broker_t *b, samsa_http_t *http);

/** The /metrics body for @p b (also used by tests). */
void samsa_observe_metrics(samsa_broker_t *b, samsa_http_response_t *out);

#endif /* SAMSA_BROKER_OBSERVE_H */
