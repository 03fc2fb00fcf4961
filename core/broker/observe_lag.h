/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/observe_lag.h - consumer lag in records and in seconds.
 *
 * Lag in seconds is the age gap between the first record the group has
 * not consumed (the batch holding the committed offset: its first
 * timestamp) and the newest record (the last batch's max timestamp); 0
 * when the group is caught up. A consumer stopped for T seconds while
 * producers keep writing shows about T.
 */
#ifndef SAMSA_BROKER_OBSERVE_LAG_H
#define SAMSA_BROKER_OBSERVE_LAG_H

#include "broker/broker.h"

typedef struct samsa_lag {
    int64_t committed;      /* committed offset (-1 none) */
    int64_t high_watermark; /* -1 when the partition is unknown */
    int64_t records;        /* hw - committed, >= 0; -1 unknown */
    double seconds;         /* see above; -1 unknown */
} samsa_lag_t;

/** Lag of one committed partition. Any thread (reads the log). */
void samsa_observe_lag(samsa_broker_t *b, const char *topic, int32_t partition,
                       int64_t committed, samsa_lag_t *out);

/** Call @p cb for every partition @p group has committed an offset for,
 *  with its lag. Any thread. */
typedef void (*samsa_lag_cb)(void *arg, const char *topic, int32_t partition,
                             const samsa_lag_t *lag);
void samsa_observe_group_lags(samsa_broker_t *b, const char *group,
                              samsa_lag_cb cb, void *arg);

#endif /* SAMSA_BROKER_OBSERVE_LAG_H */
