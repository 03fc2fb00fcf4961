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
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
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
    _Atomic int64_t total_produce, total_fetch;
    pthread_mutex_t parts_lock; /* guards parts/nparts (not the sketches) */
    samsa_hotkeys_t **parts;    /* per partition, created on first append */
    int32_t nparts;
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
            pthread_mutex_init(&t->parts_lock, NULL);
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

/* The partition's sketch; created when @p create. */
static samsa_hotkeys_t *partition_keys(topic_stats_t *t, int32_t partition,
                                       bool create)
{
    samsa_hotkeys_t *hk = NULL;
    if (partition < 0) {
        return NULL;
    }
    pthread_mutex_lock(&t->parts_lock);
    if (partition >= t->nparts && create) {
        int32_t n = partition + 1;
        samsa_hotkeys_t **p = realloc(t->parts, (size_t)n * sizeof(*p));
        if (p) {
            memset(p + t->nparts, 0, (size_t)(n - t->nparts) * sizeof(*p));
            t->parts = p;
            t->nparts = n;
        }
    }
    if (partition < t->nparts) {
        hk = t->parts[partition];
        if (!hk && create) {
            hk = malloc(sizeof(*hk));
            if (hk) {
                samsa_hotkeys_init(hk);
                t->parts[partition] = hk;
            }
        }
    }
    pthread_mutex_unlock(&t->parts_lock);
    return hk;
}

void samsa_metrics_topic_in(const char *topic, int32_t partition,
                            const uint8_t *batches, size_t len, int64_t records,
                            samsa_hotkeys_decompress_fn decompress, void *arg)
{
    topic_stats_t *t = get(topic);
    if (t) {
        add(&t->bytes_in, (int64_t)len);
        add(&t->messages_in, records);
        samsa_hotkeys_t *hk = partition_keys(t, partition, true);
        if (hk) {
            samsa_hotkeys_add_batches(hk, batches, len, decompress, arg);
        }
    }
}

size_t samsa_metrics_hotkeys(const char *topic, int32_t partition,
                             samsa_hotkey_t *out, size_t cap,
                             int64_t *total_records, int64_t *total_bytes)
{
    *total_records = 0;
    *total_bytes = 0;
    topic_stats_t *t = get(topic);
    samsa_hotkeys_t *hk = t ? partition_keys(t, partition, false) : NULL;
    return hk ? samsa_hotkeys_top(hk, out, cap, total_records, total_bytes) : 0;
}

void samsa_hotkey_label(const samsa_hotkey_t *k, char *buf, size_t len)
{
    size_t at = 0;
    int32_t kept = k->key_len < SAMSA_HOTKEY_MAX_BYTES ? k->key_len
                                                       : SAMSA_HOTKEY_MAX_BYTES;
    for (int32_t i = 0; i < kept && at + 5 < len; i++) {
        uint8_t c = k->key[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[at++] = (char)c;
        } else {
            at += (size_t)snprintf(buf + at, len - at, "\\x%02x", c);
        }
    }
    if (kept < k->key_len && at + 4 < len) {
        memcpy(buf + at, "...", 3);
        at += 3;
    }
    buf[at < len ? at : len - 1] = 0;
}

void samsa_metrics_topic_out(const char *topic, int64_t bytes, int64_t offsets)
{
    topic_stats_t *t = get(topic);
    if (t) {
        add(&t->bytes_out, bytes);
        add(&t->offsets_out, offsets);
    }
}

void samsa_metrics_topic_request(const char *topic, int16_t api_key,
                                 bool failed)
{
    topic_stats_t *t = get(topic);
    if (!t) {
        return;
    }
    bool produce = api_key == SAMSA_API_PRODUCE;
    add(produce ? &t->total_produce : &t->total_fetch, 1);
    if (failed) {
        add(produce ? &t->failed_produce : &t->failed_fetch, 1);
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
    {"kafka_server_brokertopicmetrics_totalproducerequests_total",
     "Partition produces answered, by topic.",
     offsetof(topic_stats_t, total_produce)},
    {"kafka_server_brokertopicmetrics_totalfetchrequests_total",
     "Partition fetches answered, by topic.",
     offsetof(topic_stats_t, total_fetch)},
};

/* The three hottest keys of every partition, as a share of its records
 * (bounded cardinality: 3 series per partition). Under the table lock. */
#define HOT_KEYS_EXPOSED 3

static void write_hot_keys_of(samsa_http_response_t *out, topic_stats_t *t)
{
    for (int32_t p = 0; p < t->nparts; p++) {
        samsa_hotkeys_t *hk = partition_keys(t, p, false);
        samsa_hotkey_t top[HOT_KEYS_EXPOSED];
        int64_t total = 0, bytes = 0;
        size_t n =
            hk ? samsa_hotkeys_top(hk, top, HOT_KEYS_EXPOSED, &total, &bytes)
               : 0;
        char part[12], key[SAMSA_HOTKEY_MAX_BYTES * 4 + 8];
        snprintf(part, sizeof(part), "%d", p);
        for (size_t i = 0; i < n && total > 0; i++) {
            samsa_hotkey_label(&top[i], key, sizeof(key));
            const char *labels[] = {"topic", t->name, "partition", part,
                                    "key",   key,     NULL};
            samsa_prom_sample(out, "samsa_partition_hot_key_share", labels,
                              (double)top[i].records / (double)total);
        }
    }
}

void samsa_metrics_write_topics(samsa_http_response_t *out,
                                samsa_metrics_topic_filter_fn keep, void *arg)
{
    pthread_rwlock_rdlock(&lock);
    /* Which entries to show, decided once: the table cannot change while
     * the read lock is held, so the walk order is the same below. */
    size_t n = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (topic_stats_t *t = buckets[b]; t; t = t->next) {
            n++;
        }
    }
    bool *show = malloc(n ? n : 1);
    if (!show) {
        pthread_rwlock_unlock(&lock);
        out->nomem = true;
        return;
    }
    size_t i = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (topic_stats_t *t = buckets[b]; t; t = t->next) {
            show[i++] = !keep || keep(arg, t->name);
        }
    }
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        samsa_prom_family(out, families[f].name, "counter", families[f].help);
        i = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            for (topic_stats_t *t = buckets[b]; t; t = t->next) {
                if (!show[i++]) {
                    continue;
                }
                _Atomic int64_t *v =
                    (_Atomic int64_t *)((char *)t + families[f].offset);
                const char *labels[] = {"topic", t->name, NULL};
                samsa_prom_sample_i(
                    out, families[f].name, labels,
                    atomic_load_explicit(v, memory_order_relaxed));
            }
        }
    }
    samsa_prom_family(out, "samsa_partition_hot_key_share", "gauge",
                      "Share of the partition's records carrying this key "
                      "(its three hottest keys; space-saving estimate).");
    i = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (topic_stats_t *t = buckets[b]; t; t = t->next) {
            if (show[i++]) {
                write_hot_keys_of(out, t);
            }
        }
    }
    pthread_rwlock_unlock(&lock);
    free(show);
}

void samsa_metrics_topics_reset(void)
{
    pthread_rwlock_wrlock(&lock);
    for (size_t b = 0; b < NBUCKETS; b++) {
        while (buckets[b]) {
            topic_stats_t *t = buckets[b];
            buckets[b] = t->next;
            for (int32_t p = 0; p < t->nparts; p++) {
                if (t->parts[p]) {
                    samsa_hotkeys_destroy(t->parts[p]);
                    free(t->parts[p]);
                }
            }
            free(t->parts);
            pthread_mutex_destroy(&t->parts_lock);
            free(t);
        }
    }
    pthread_rwlock_unlock(&lock);
}
