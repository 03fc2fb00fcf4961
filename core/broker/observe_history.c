/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/observe_history.c - see observe_history.h. */
#include "broker/observe_history.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "broker/observe_lag.h"
#include "group/coordinator.h"
#include "util/clock.h"

typedef struct sample {
    int64_t t_ms;
    int64_t records;
    double seconds;
} sample_t;

typedef struct series {
    char *group;
    sample_t ring[SAMSA_LAG_HISTORY];
    size_t head, count; /* head: next slot written */
    bool seen;          /* listed in the latest pass */
} series_t;

struct samsa_lag_history {
    samsa_broker_t *b;
    int64_t interval_ms;
    pthread_t thread;
    pthread_mutex_t lock; /* guards series, stop */
    pthread_cond_t cond;
    bool stop;
    series_t *series;
    size_t nseries;
};

static series_t *find(samsa_lag_history_t *h, const char *group)
{
    for (size_t i = 0; i < h->nseries; i++) {
        if (strcmp(h->series[i].group, group) == 0) {
            return &h->series[i];
        }
    }
    return NULL;
}

static void add_lag(void *arg, const char *topic, int32_t partition,
                    const samsa_lag_t *lag)
{
    (void)topic;
    (void)partition;
    sample_t *s = arg;
    s->records += lag->records > 0 ? lag->records : 0;
    if (lag->seconds > s->seconds) {
        s->seconds = lag->seconds;
    }
}

/* Total lag of one group, outside the lock (it reads the logs). */
static sample_t measure(samsa_broker_t *b, const char *group, int64_t now)
{
    sample_t s = {now, 0, 0};
    samsa_observe_group_lags(b, group, add_lag, &s);
    return s;
}

static void record(samsa_lag_history_t *h, const char *group, sample_t s)
{
    series_t *ser = find(h, group);
    if (!ser) {
        series_t *n = realloc(h->series, (h->nseries + 1) * sizeof(*h->series));
        char *name = strdup(group);
        if (!n || !name) {
            free(name);
            if (n) {
                h->series = n;
            }
            return;
        }
        h->series = n;
        ser = &h->series[h->nseries++];
        memset(ser, 0, sizeof(*ser));
        ser->group = name;
    }
    ser->ring[ser->head] = s;
    ser->head = (ser->head + 1) % SAMSA_LAG_HISTORY;
    if (ser->count < SAMSA_LAG_HISTORY) {
        ser->count++;
    }
    ser->seen = true;
}

/* Groups gone from the coordinator leave the chart. */
static void forget_unseen(samsa_lag_history_t *h)
{
    size_t w = 0;
    for (size_t i = 0; i < h->nseries; i++) {
        if (h->series[i].seen) {
            h->series[i].seen = false;
            h->series[w++] = h->series[i];
        } else {
            free(h->series[i].group);
        }
    }
    h->nseries = w;
}

static void sample_all(samsa_lag_history_t *h)
{
    samsa_group_listing_t *groups = NULL;
    size_t n = 0;
    if (samsa_group_list(h->b->groups, NULL, 0, &groups, &n) != SAMSA_OK) {
        return;
    }
    int64_t now = samsa_wall_ms();
    for (size_t g = 0; g < n; g++) {
        sample_t s = measure(h->b, groups[g].group_id, now);
        pthread_mutex_lock(&h->lock);
        record(h, groups[g].group_id, s);
        pthread_mutex_unlock(&h->lock);
    }
    pthread_mutex_lock(&h->lock);
    forget_unseen(h);
    pthread_mutex_unlock(&h->lock);
    samsa_group_listings_free(groups, n);
}

static void *run(void *arg)
{
    samsa_lag_history_t *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stop) {
        pthread_mutex_unlock(&h->lock);
        sample_all(h);
        pthread_mutex_lock(&h->lock);
        struct timespec ts = samsa_deadline(CLOCK_REALTIME, h->interval_ms);
        while (!h->stop &&
               pthread_cond_timedwait(&h->cond, &h->lock, &ts) == 0) {
        }
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

samsa_err_t samsa_lag_history_start(samsa_broker_t *b, int64_t interval_ms,
                                    samsa_lag_history_t **out)
{
    samsa_lag_history_t *h = calloc(1, sizeof(*h));
    if (!h) {
        return SAMSA_ERR_NOMEM;
    }
    h->b = b;
    h->interval_ms = interval_ms > 0 ? interval_ms : 10000;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return SAMSA_ERR_NOMEM;
    }
    *out = h;
    return SAMSA_OK;
}

void samsa_lag_history_stop(samsa_lag_history_t *h)
{
    if (!h) {
        return;
    }
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    pthread_cond_signal(&h->cond);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    for (size_t i = 0; i < h->nseries; i++) {
        free(h->series[i].group);
    }
    free(h->series);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

json_t *samsa_lag_history_json(samsa_lag_history_t *h, const char *group)
{
    json_t *arr = json_array();
    if (!h || !arr) {
        return arr;
    }
    pthread_mutex_lock(&h->lock);
    series_t *ser = find(h, group);
    for (size_t i = 0; ser && i < ser->count; i++) {
        size_t at = (ser->head + SAMSA_LAG_HISTORY - ser->count + i) %
                    SAMSA_LAG_HISTORY;
        const sample_t *s = &ser->ring[at];
        json_array_append_new(arr,
                              json_pack("[I,I,f]", (json_int_t)s->t_ms,
                                        (json_int_t)s->records, s->seconds));
    }
    pthread_mutex_unlock(&h->lock);
    return arr;
}
