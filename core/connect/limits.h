/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/limits.h - per-connector rate and memory limits (beyond
 * Kafka Connect), from the connector's config:
 *
 *   samsa.max.records.per.second  records a connector moves per second
 *   samsa.max.bytes.per.second    key+value bytes it moves per second
 *   samsa.max.buffered.bytes      key+value bytes of records the worker
 *                                 holds for it at once (a sink's fetched
 *                                 records not yet put and flushed, a
 *                                 source's produced records not yet
 *                                 acknowledged)
 *
 * A limit is shared by the connector's tasks (each gets its 1/N share);
 * absent or 0 means none. Rates are token buckets holding one second's
 * worth: a task takes first and then waits, on its own thread, until the
 * debt is paid, so over any window of T seconds a connector moves at most
 * rate * (T + 1). Over the memory limit a task stops taking records
 * (fetching, or producing before the acknowledgements) until it is below.
 *
 * Usage counters are per task, written by the task thread, read by REST
 * (GET /connectors/NAME/limits): atomics, no lock.
 */
#ifndef SAMSA_CONNECT_LIMITS_H
#define SAMSA_CONNECT_LIMITS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

/* What one task did under its limits, since it last started. */
typedef struct samsa_connect_usage {
    atomic_llong records;      /* records moved */
    atomic_llong bytes;        /* key+value bytes moved */
    atomic_llong throttled_ms; /* time spent waiting on a rate */
    atomic_llong buffered;     /* bytes held right now */
    atomic_llong buffered_max; /* the most held at once */
} samsa_connect_usage_t;

/* One task's share of its connector's limits, and its buckets. */
typedef struct samsa_connect_limits {
    double records_per_s; /* 0: no limit */
    double bytes_per_s;   /* 0: no limit */
    int64_t max_buffered; /* 0: no limit */
    double record_tokens, byte_tokens;
    int64_t refilled_ms;
    samsa_connect_usage_t *usage;
} samsa_connect_limits_t;

/* Read the limits of @p config for one of @p ntasks tasks, counting in
 * @p usage (reset here; may be NULL for validation). SAMSA_ERR_CONFIG
 * with "KEY VALUE: why" in @p errbuf for a value that is not a
 * non-negative integer. */
samsa_err_t samsa_connect_limits_from_config(const json_t *config,
                                             int32_t ntasks,
                                             samsa_connect_usage_t *usage,
                                             samsa_connect_limits_t *out,
                                             char *errbuf, size_t errlen);

/* Account @p records records of @p bytes bytes moved, then wait while a
 * rate is exceeded (in 50 ms steps, returning early once @p stop is
 * set). Task thread. */
void samsa_connect_limits_take(samsa_connect_limits_t *l, int64_t records,
                               int64_t bytes, const atomic_bool *stop);

/* True when holding @p more bytes on top of what is buffered now would
 * pass the memory limit (never when nothing is buffered: one record
 * always fits). */
bool samsa_connect_limits_full(const samsa_connect_limits_t *l, int64_t more);

/* The task now holds @p bytes (absolute). */
void samsa_connect_limits_buffered(samsa_connect_limits_t *l, int64_t bytes);

/* {"records_per_second":..,"tasks":[{"id":..,"records":..,...}]} for GET
 * /connectors/NAME/limits: @p config's limits and @p n tasks' usage. */
json_t *samsa_connect_limits_json(const json_t *config,
                                  const samsa_connect_usage_t *const *usage,
                                  int32_t n);

#endif /* SAMSA_CONNECT_LIMITS_H */
