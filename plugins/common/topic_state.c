/* SPDX-License-Identifier: Apache-2.0 */
#include "topic_state.h"

#include <pthread.h>
#include <string.h>

#define TOPIC_BUCKETS 64

typedef struct topic_entry {
    struct topic_entry *next;
    char *topic;
    uint64_t rr_counter;   /* round robin: records placed so far */
    int32_t sticky;        /* current sticky partition, -1 before the first */
    bool switch_pending;   /* batch_done() closed the sticky batch */
    uint64_t sticky_bytes; /* bytes assigned to the sticky partition */
} topic_entry_t;

struct topic_state {
    const samsa_services_t *svc;
    pthread_mutex_t lock;
    uint64_t rng; /* xorshift64 state, under lock */
    topic_entry_t *buckets[TOPIC_BUCKETS];
};

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

samsa_err_t topic_state_create(const samsa_services_t *svc, topic_state_t **out)
{
    topic_state_t *ts = svc->alloc(sizeof(*ts));
    if (ts == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memset(ts, 0, sizeof(*ts));
    ts->svc = svc;
    if (pthread_mutex_init(&ts->lock, NULL) != 0) {
        svc->free(ts);
        return SAMSA_ERR_NOMEM;
    }
    /* Seeded per instance so two producers do not pick the same sequence;
     * never zero (xorshift's fixed point). */
    ts->rng = splitmix64((uint64_t)svc->monotonic_ms() ^ (uintptr_t)ts) | 1;
    *out = ts;
    return SAMSA_OK;
}

void topic_state_destroy(topic_state_t *ts)
{
    if (ts == NULL) {
        return;
    }
    for (size_t i = 0; i < TOPIC_BUCKETS; i++) {
        topic_entry_t *e = ts->buckets[i];
        while (e != NULL) {
            topic_entry_t *next = e->next;
            ts->svc->free(e->topic);
            ts->svc->free(e);
            e = next;
        }
    }
    pthread_mutex_destroy(&ts->lock);
    ts->svc->free(ts);
}

samsa_err_t topic_state_check_input(const samsa_partition_input_t *in)
{
    if (in == NULL || in->topic == NULL || in->partition_count <= 0 ||
        in->available_count < 0 ||
        (in->available_count > 0 && in->available == NULL)) {
        return SAMSA_ERR_INVAL;
    }
    return SAMSA_OK;
}

static size_t topic_bucket(const char *topic)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return h % TOPIC_BUCKETS;
}

/* Finds or adds @p topic; caller holds the lock. NULL when out of memory. */
static topic_entry_t *lookup(topic_state_t *ts, const char *topic, bool create)
{
    size_t b = topic_bucket(topic);
    for (topic_entry_t *e = ts->buckets[b]; e != NULL; e = e->next) {
        if (strcmp(e->topic, topic) == 0) {
            return e;
        }
    }
    if (!create) {
        return NULL;
    }
    topic_entry_t *e = ts->svc->alloc(sizeof(*e));
    size_t len = strlen(topic) + 1;
    char *copy = ts->svc->alloc(len);
    if (e == NULL || copy == NULL) {
        ts->svc->free(e);
        ts->svc->free(copy);
        return NULL;
    }
    memcpy(copy, topic, len);
    memset(e, 0, sizeof(*e));
    e->topic = copy;
    e->sticky = -1;
    e->next = ts->buckets[b];
    ts->buckets[b] = e;
    return e;
}

/* Number of candidate partitions and the i-th of them. */
static int32_t candidates(const samsa_partition_input_t *in)
{
    return in->available_count > 0 ? in->available_count : in->partition_count;
}

static int32_t candidate(const samsa_partition_input_t *in, int32_t i)
{
    return in->available_count > 0 ? in->available[i] : i;
}

static bool is_candidate(const samsa_partition_input_t *in, int32_t part)
{
    if (in->available_count == 0) {
        return part >= 0 && part < in->partition_count;
    }
    for (int32_t i = 0; i < in->available_count; i++) {
        if (in->available[i] == part) {
            return true;
        }
    }
    return false;
}

static samsa_err_t checked(const samsa_partition_input_t *in, int32_t part,
                           int32_t *partition)
{
    if (part < 0 || part >= in->partition_count) {
        return SAMSA_ERR_INVAL; /* available[] lists a bad partition */
    }
    *partition = part;
    return SAMSA_OK;
}

samsa_err_t topic_state_round_robin(topic_state_t *ts,
                                    const samsa_partition_input_t *in,
                                    int32_t *partition)
{
    samsa_err_t err = topic_state_check_input(in);
    if (err != SAMSA_OK) {
        return err;
    }
    pthread_mutex_lock(&ts->lock);
    topic_entry_t *e = lookup(ts, in->topic, true);
    uint64_t n = e != NULL ? e->rr_counter++ : 0;
    pthread_mutex_unlock(&ts->lock);
    if (e == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    int32_t count = candidates(in);
    return checked(in, candidate(in, (int32_t)(n % (uint64_t)count)),
                   partition);
}

static uint64_t next_random(topic_state_t *ts)
{
    uint64_t x = ts->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ts->rng = x;
    return x;
}

/* A random candidate other than @p avoid when there is another. Lock held. */
static int32_t pick_other(topic_state_t *ts, const samsa_partition_input_t *in,
                          int32_t avoid)
{
    int32_t count = candidates(in);
    bool avoid_listed = avoid >= 0 && is_candidate(in, avoid);
    if (count == 1 || !avoid_listed) {
        return candidate(in, (int32_t)(next_random(ts) % (uint64_t)count));
    }
    /* Draw among the count - 1 others: skip over avoid's index. */
    int32_t i = (int32_t)(next_random(ts) % (uint64_t)(count - 1));
    int32_t seen = 0;
    for (int32_t j = 0; j < count; j++) {
        if (candidate(in, j) == avoid) {
            continue;
        }
        if (seen++ == i) {
            return candidate(in, j);
        }
    }
    return candidate(in, 0);
}

samsa_err_t topic_state_sticky(topic_state_t *ts,
                               const samsa_partition_input_t *in,
                               uint64_t batch_bytes, int32_t *partition)
{
    samsa_err_t err = topic_state_check_input(in);
    if (err != SAMSA_OK) {
        return err;
    }
    uint64_t bytes = in->key_len + in->value_len;
    bytes = bytes == 0 ? 1 : bytes;
    pthread_mutex_lock(&ts->lock);
    topic_entry_t *e = lookup(ts, in->topic, true);
    int32_t part = -1;
    if (e != NULL) {
        if (e->sticky < 0 || e->switch_pending ||
            e->sticky_bytes >= batch_bytes || !is_candidate(in, e->sticky)) {
            e->sticky = pick_other(ts, in, e->sticky);
            e->sticky_bytes = 0;
            e->switch_pending = false;
        }
        e->sticky_bytes += bytes;
        part = e->sticky;
    }
    pthread_mutex_unlock(&ts->lock);
    if (e == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    return checked(in, part, partition);
}

void topic_state_batch_done(topic_state_t *ts, const char *topic,
                            int32_t partition)
{
    if (topic == NULL) {
        return;
    }
    pthread_mutex_lock(&ts->lock);
    topic_entry_t *e = lookup(ts, topic, false);
    if (e != NULL && e->sticky == partition) {
        e->switch_pending = true;
    }
    pthread_mutex_unlock(&ts->lock);
}
