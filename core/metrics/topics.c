/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metrics/topics.c - per-topic counters (Kafka's BrokerTopicMetrics).
 *
 * A chained hash table of topic name -> atomics. Entries are never freed
 * while the process serves (a deleted topic keeps its counters until
 * restart, as Prometheus counters should), so a pointer found under the
 * read lock stays valid after it is released.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "metrics/prom.h"
#include "protocol/api.h"
#include "protocol/generated/messages.h"

#define NBUCKETS 1024

typedef struct topic_stats {
    struct topic_stats *next;
    _Atomic int64_t bytes_in, messages_in, bytes_out, offsets_out;
    _Atomic int64_t failed_produce, failed_fetch;
    char name[]; /* NUL-terminated */
} topic_stats_t;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static topic_stats_t *buckets[NBUCKETS];

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 16777619u;
    }
    return h % NBUCKETS;
}

static topic_stats_t *find(uint32_t b, const char *name)
{
    for (topic_stats_t *t = buckets[b]; t; t = t->next) {
        if (strcmp(t->name, name) == 0) {
            return t;
        }
    }
    return NULL;
}

static topic_stats_t *get(const char *name)
{
    if (!name) {
        return NULL;
    }
    uint32_t b = hash(name);
    pthread_rwlock_rdlock(&lock);
    topic_stats_t *t = find(b, name);
    pthread_rwlock_unlock(&lock);
    if (t) {
        return t;
    }
    pthread_rwlock_wrlock(&lock);
    t = find(b, name);
    if (!t) {
        size_t n = strlen(name);
        t = calloc(1, sizeof(*t) + n + 1);
        if (t) {
            memcpy(t->name, name, n + 1);
            t->next = buckets[b];
            buckets[b] = t;
        }
    }
    pthread_rwlock_unlock(&lock);
    return t;
}

static void add(_Atomic int64_t *v, int64_t d)
{
    atomic_fetch_add_explicit(v, d, memory_order_relaxed);
}

void samsa_metrics_topic_in(const char *topic, int64_t bytes, int64_t records)
{
    topic_stats_t *t = get(topic);
    if (t) {
        add(&t->bytes_in, bytes);
        add(&t->messages_in, records);
    }
}

void samsa_metrics_topic_out(const char *topic, int64_t bytes, int64_t offsets)
{
    topic_stats_t *t = get(topic);
    if (t) {
        add(&t->bytes_out, bytes);
        add(&t->offsets_out, offsets);
    }
}

void samsa_metrics_topic_failed(const char *topic, int16_t api_key)
{
    topic_stats_t *t = get(topic);
    if (t) {
        add(api_key == SAMSA_API_PRODUCE ? &t->failed_produce
                                         : &t->failed_fetch,
            1);
    }
}

static const struct {
    const char *name;
    const char *help;
    size_t offset;
} families[] = {
    {"kafka_server_brokertopicmetrics_messagesin_total",
     "Records appended, by topic.", offsetof(topic_stats_t, messages_in)},
    {"kafka_server_brokertopicmetrics_bytesin_total",
     "Record batch bytes appended, by topic.",
     offsetof(topic_stats_t, bytes_in)},
    {"kafka_server_brokertopicmetrics_bytesout_total",
     "Record batch bytes sent to fetchers, by topic.",
     offsetof(topic_stats_t, bytes_out)},
    {"samsa_topic_records_out_total",
     "Offsets delivered to fetchers (records sent, counting from each "
     "fetch's offset), by topic.",
     offsetof(topic_stats_t, offsets_out)},
    {"kafka_server_brokertopicmetrics_failedproducerequests_total",
     "Partition produces answered with an error, by topic.",
     offsetof(topic_stats_t, failed_produce)},
    {"kafka_server_brokertopicmetrics_failedfetchrequests_total",
     "Partition fetches answered with an error, by topic.",
     offsetof(topic_stats_t, failed_fetch)},
};

void samsa_metrics_write_topics(samsa_http_response_t *out)
{
    pthread_rwlock_rdlock(&lock);
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        samsa_prom_family(out, families[f].name, "counter", families[f].help);
        for (size_t b = 0; b < NBUCKETS; b++) {
            for (topic_stats_t *t = buckets[b]; t; t = t->next) {
                _Atomic int64_t *v =
                    (_Atomic int64_t *)((char *)t + families[f].offset);
                const char *labels[] = {"topic", t->name, NULL};
                samsa_prom_sample_i(
                    out, families[f].name, labels,
                    atomic_load_explicit(v, memory_order_relaxed));
            }
        }
    }
    pthread_rwlock_unlock(&lock);
}

void samsa_metrics_topics_reset(void)
{
    pthread_rwlock_wrlock(&lock);
    for (size_t b = 0; b < NBUCKETS; b++) {
        while (buckets[b]) {
            topic_stats_t *t = buckets[b];
            buckets[b] = t->next;
            free(t);
        }
    }
    pthread_rwlock_unlock(&lock);
}
