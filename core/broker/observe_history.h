/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/observe_history.h - every consumer group's lag over time, for
 * the console's chart: a thread samples each group's total lag (records)
 * and largest lag in seconds every lag_history_interval_ms and keeps the
 * last SAMSA_LAG_HISTORY samples per group. Runs only while the HTTP
 * listener does; its own thread (sampling reads the logs).
 */
#ifndef SAMSA_BROKER_OBSERVE_HISTORY_H
#define SAMSA_BROKER_OBSERVE_HISTORY_H

#include <jansson.h>

#include "broker/broker.h"

#define SAMSA_LAG_HISTORY 360

typedef struct samsa_lag_history samsa_lag_history_t;

/** Start sampling @p b every @p interval_ms (the first sample right away). */
samsa_err_t samsa_lag_history_start(samsa_broker_t *b, int64_t interval_ms,
                                    samsa_lag_history_t **out);
/** Stop the thread and free. NULL is fine. */
void samsa_lag_history_stop(samsa_lag_history_t *h);

/** [[unix_ms, lag_records, lag_seconds], ...] of @p group, oldest first
 *  (an empty array for a group not sampled yet). Any thread. */
json_t *samsa_lag_history_json(samsa_lag_history_t *h, const char *group);

#endif /* SAMSA_BROKER_OBSERVE_HISTORY_H */
