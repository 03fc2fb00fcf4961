/* SPDX-License-Identifier: Apache-2.0 */
/* core/producer/state.c - see state.h: the producer table and the checks
 * an idempotent append goes through. */
#include "producer/state_int.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 16
/* Kafka's producer.id.expiration.check.interval.ms. */
#define SWEEP_INTERVAL_MS (10 * 60 * 1000LL)

samsa_err_t samsa_producer_state_new(int64_t expiration_ms,
                                     samsa_producer_state_t **out)
{
    samsa_producer_state_t *st = calloc(1, sizeof(*st));
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    st->buckets = calloc(INITIAL_BUCKETS, sizeof(*st->buckets));
    if (!st->buckets) {
        free(st);
        return SAMSA_ERR_NOMEM;
    }
    st->bucket_count = INITIAL_BUCKETS;
    st->marker_seq = 1;
    st->expiration_ms = expiration_ms > 0
                            ? expiration_ms
                            : SAMSA_PRODUCER_EXPIRATION_MS_DEFAULT;
    pthread_mutex_init(&st->lock, NULL);
    *out = st;
    return SAMSA_OK;
}

void samsa_producer_state_set_expiration(samsa_producer_state_t *st,
                                         int64_t expiration_ms)
{
    pthread_mutex_lock(&st->lock);
    st->expiration_ms = expiration_ms > 0
                            ? expiration_ms
                            : SAMSA_PRODUCER_EXPIRATION_MS_DEFAULT;
    pthread_mutex_unlock(&st->lock);
}

void samsa_ps_producer_clear_locked(samsa_producer_state_t *st)
{
    for (size_t i = 0; i < st->bucket_count; i++) {
        producer_entry_t *e = st->buckets[i];
        while (e) {
            producer_entry_t *next = e->next;
            free(e);
            e = next;
        }
        st->buckets[i] = NULL;
    }
    st->count = 0;
    st->open_txns = 0;
    st->aborted_count = 0;
    st->guard_floor = ++st->marker_seq; /* the markers are forgotten */
}

void samsa_producer_state_free(samsa_producer_state_t *st)
{
    if (!st) {
        return;
    }
    samsa_ps_producer_clear_locked(st);
    free(st->aborted);
    free(st->buckets);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

void samsa_producer_state_swap(samsa_producer_state_t *a,
                               samsa_producer_state_t *b)
{
    /* Fixed order: two swaps of one pair never deadlock. */
    samsa_producer_state_t *first = a < b ? a : b, *second = a < b ? b : a;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
#define SWAP(field)                                                            \
    do {                                                                       \
        __typeof__(a->field) t = a->field;                                     \
        a->field = b->field;                                                   \
        b->field = t;                                                          \
    } while (0)
    /* The data changes hands; locks and settings stay. */
    SWAP(buckets);
    SWAP(bucket_count);
    SWAP(count);
    SWAP(open_txns);
    SWAP(aborted);
    SWAP(aborted_count);
    SWAP(aborted_cap);
#undef SWAP
    /* One counter for the entries of both, and no guard taken before
     * holds: the markers it was taken against are another table's. */
    uint64_t seq =
        (a->marker_seq > b->marker_seq ? a->marker_seq : b->marker_seq) + 1;
    a->marker_seq = a->guard_floor = b->marker_seq = b->guard_floor = seq;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
}

samsa_err_t samsa_producer_state_clone(samsa_producer_state_t *src,
                                       samsa_producer_state_t **out)
{
    samsa_producer_state_t *st;
    samsa_err_t err = samsa_producer_state_new(0, &st);
    if (err != SAMSA_OK) {
        return err;
    }
    pthread_mutex_lock(&src->lock);
    st->expiration_ms = src->expiration_ms;
    st->last_sweep_ms = src->last_sweep_ms;
    st->open_txns = src->open_txns;
    st->marker_seq = src->marker_seq;
    st->guard_floor = src->guard_floor;
    producer_entry_t **nb = calloc(src->bucket_count, sizeof(*nb));
    samsa_aborted_txn_t *ab =
        src->aborted_count ? malloc(src->aborted_count * sizeof(*src->aborted))
                           : NULL;
    if (!nb || (src->aborted_count && !ab)) {
        err = SAMSA_ERR_NOMEM;
    } else {
        free(st->buckets);
        st->buckets = nb;
        st->bucket_count = src->bucket_count;
        nb = NULL;
        if (ab) {
            memcpy(ab, src->aborted, src->aborted_count * sizeof(*ab));
            st->aborted = ab;
            st->aborted_count = st->aborted_cap = src->aborted_count;
            ab = NULL;
        }
    }
    /* Same bucket count, so every entry keeps its bucket. */
    for (size_t i = 0; err == SAMSA_OK && i < src->bucket_count; i++) {
        for (producer_entry_t *e = src->buckets[i]; e; e = e->next) {
            producer_entry_t *c = malloc(sizeof(*c));
            if (!c) {
                err = SAMSA_ERR_NOMEM;
                break;
            }
            *c = *e;
            c->next = st->buckets[i];
            st->buckets[i] = c;
            st->count++;
        }
    }
    pthread_mutex_unlock(&src->lock);
    free(nb);
    free(ab);
    if (err != SAMSA_OK) {
        samsa_producer_state_free(st);
        return err;
    }
    *out = st;
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* The table                                                              */
/* ---------------------------------------------------------------------- */

static size_t bucket_of(const samsa_producer_state_t *st, int64_t pid)
{
    /* Producer ids are mostly consecutive: mix before masking. */
    uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> 32) & (st->bucket_count - 1);
}

producer_entry_t *samsa_ps_producer_find(samsa_producer_state_t *st,
                                         int64_t pid)
{
    for (producer_entry_t *e = st->buckets[bucket_of(st, pid)]; e;
         e = e->next) {
        if (e->producer_id == pid) {
            return e;
        }
    }
    return NULL;
}

static void grow(samsa_producer_state_t *st)
{
    size_t n = st->bucket_count * 2;
    producer_entry_t **nb = calloc(n, sizeof(*nb));
    if (!nb) {
        return; /* longer chains, still correct */
    }
    producer_entry_t **old = st->buckets;
    size_t old_n = st->bucket_count;
    st->buckets = nb;
    st->bucket_count = n;
    for (size_t i = 0; i < old_n; i++) {
        producer_entry_t *e = old[i];
        while (e) {
            producer_entry_t *next = e->next;
            size_t b = bucket_of(st, e->producer_id);
            e->next = nb[b];
            nb[b] = e;
            e = next;
        }
    }
    free(old);
}

producer_entry_t *samsa_ps_producer_upsert(samsa_producer_state_t *st,
                                           int64_t pid)
{
    producer_entry_t *e = samsa_ps_producer_find(st, pid);
    if (e) {
        return e;
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        return NULL;
    }
    e->producer_id = pid;
    e->epoch = -1;
    e->txn_first_offset = -1;
    e->coordinator_epoch = -1;
    if (st->count >= st->bucket_count) {
        grow(st);
    }
    size_t b = bucket_of(st, pid);
    e->next = st->buckets[b];
    st->buckets[b] = e;
    st->count++;
    return e;
}

size_t samsa_ps_producer_expire_locked(samsa_producer_state_t *st,
                                       int64_t now_ms)
{
    size_t removed = 0;
    for (size_t i = 0; i < st->bucket_count; i++) {
        producer_entry_t **link = &st->buckets[i];
        while (*link) {
            producer_entry_t *e = *link;
            /* A producer with an open transaction stays (Kafka's
             * ProducerStateManager): its transaction holds the LSO. */
            if (now_ms - e->last_active_ms >= st->expiration_ms &&
                e->txn_first_offset < 0) {
                *link = e->next;
                free(e);
                removed++;
            } else {
                link = &e->next;
            }
        }
    }
    st->count -= removed;
    st->last_sweep_ms = now_ms;
    return removed;
}

samsa_err_t samsa_ps_producer_apply(samsa_producer_state_t *st,
                                    const samsa_batch_hdr_t *h,
                                    int64_t active_ms)
{
    producer_entry_t *e = samsa_ps_producer_upsert(st, h->producer_id);
    if (!e) {
        return SAMSA_ERR_NOMEM;
    }
    if (e->epoch != h->producer_epoch) {
        /* A new epoch starts a new sequence space: older batches can no
         * longer be retried. */
        e->epoch = h->producer_epoch;
        e->batch_count = 0;
    }
    if (e->batch_count == SAMSA_PRODUCER_BATCHES_RETAINED) {
        memmove(&e->batches[0], &e->batches[1],
                (SAMSA_PRODUCER_BATCHES_RETAINED - 1) * sizeof(e->batches[0]));
        e->batch_count--;
    }
    samsa_producer_batch_t *b = &e->batches[e->batch_count++];
    b->first_seq = h->base_sequence;
    b->last_seq = producer_seq_add(h->base_sequence, h->last_offset_delta);
    b->first_offset = h->base_offset;
    b->last_offset = samsa_batch_last_offset(h);
    b->timestamp = h->max_timestamp;
    if (active_ms > e->last_active_ms) {
        e->last_active_ms = active_ms;
    }
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                 */
/* ---------------------------------------------------------------------- */

static bool in_sequence(int32_t last_seq, int32_t next_seq)
{
    return (int64_t)next_seq == (int64_t)last_seq + 1 ||
           (next_seq == 0 && last_seq == INT32_MAX);
}

static samsa_err_t check_batch(samsa_producer_state_t *st,
                               const samsa_batch_hdr_t *h, const uint8_t *batch,
                               samsa_producer_verdict_t *v)
{
    if (h->attributes & SAMSA_BATCH_ATTR_CONTROL) {
        /* A transaction marker (written by the coordinator): no sequence. */
        return samsa_ps_txn_marker_check(st, h, batch);
    }
    if (h->base_sequence < 0 || h->producer_epoch < 0) {
        return SAMSA_ERR_INVALID_RECORD; /* Kafka's LogValidator */
    }
    producer_entry_t *e = samsa_ps_producer_find(st, h->producer_id);
    if (!e) {
        /* Unknown here (first write, expired, or state lost with the log
         * tail): since Kafka 2.5 any sequence is accepted. */
        return SAMSA_OK;
    }
    if (h->producer_epoch < e->epoch) {
        return SAMSA_ERR_INVALID_PRODUCER_EPOCH;
    }
    if (h->producer_epoch != e->epoch) {
        return h->base_sequence == 0 ? SAMSA_OK
                                     : SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
    int32_t last_seq = producer_seq_add(h->base_sequence, h->last_offset_delta);
    for (uint8_t i = 0; i < e->batch_count; i++) {
        const samsa_producer_batch_t *b = &e->batches[i];
        if (b->first_seq == h->base_sequence && b->last_seq == last_seq) {
            v->duplicate = true;
            v->base_offset = b->first_offset;
            v->last_offset = b->last_offset;
            v->timestamp = b->timestamp;
            return SAMSA_OK;
        }
    }
    int32_t current =
        e->batch_count ? e->batches[e->batch_count - 1].last_seq : -1;
    return in_sequence(current, h->base_sequence)
               ? SAMSA_OK
               : SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
}

samsa_err_t samsa_producer_check(samsa_producer_state_t *st,
                                 const uint8_t *batches, size_t len,
                                 samsa_producer_verdict_t *v)
{
    *v = (samsa_producer_verdict_t){false, -1, -1, -1};
    samsa_batch_hdr_t first;
    samsa_err_t err = samsa_batch_parse(batches, len, &first);
    if (err != SAMSA_OK) {
        return err;
    }
    size_t size = samsa_batch_size(&first);
    bool idempotent = first.producer_id >= 0;
    /* Several batches in one append: Kafka allows exactly one batch per
     * partition in a produce (v3+); with idempotence the checks below
     * assume it, so refuse a second batch next to an idempotent one. */
    for (size_t at = size; at < len;) {
        samsa_batch_hdr_t h;
        err = samsa_batch_parse(batches + at, len - at, &h);
        if (err != SAMSA_OK) {
            return err;
        }
        if (idempotent || h.producer_id >= 0) {
            return SAMSA_ERR_INVALID_RECORD;
        }
        at += samsa_batch_size(&h);
    }
    if (!idempotent) {
        return SAMSA_OK;
    }
    pthread_mutex_lock(&st->lock);
    err = check_batch(st, &first, batches, v);
    pthread_mutex_unlock(&st->lock);
    return err;
}

samsa_err_t samsa_producer_record(samsa_producer_state_t *st,
                                  const uint8_t *batches, size_t len,
                                  int64_t now_ms)
{
    samsa_err_t err = SAMSA_OK;
    pthread_mutex_lock(&st->lock);
    for (size_t at = 0; at < len && err == SAMSA_OK;) {
        samsa_batch_hdr_t h;
        if (samsa_batch_parse(batches + at, len - at, &h) != SAMSA_OK) {
            break;
        }
        if (h.producer_id >= 0 && !(h.attributes & SAMSA_BATCH_ATTR_CONTROL)) {
            err = samsa_ps_producer_apply(st, &h, now_ms);
        }
        if (err == SAMSA_OK && h.producer_id >= 0 &&
            (h.attributes & SAMSA_BATCH_ATTR_TRANSACTIONAL)) {
            err = samsa_ps_txn_apply(st, &h, batches + at);
        }
        at += samsa_batch_size(&h);
    }
    int64_t every = st->expiration_ms < SWEEP_INTERVAL_MS ? st->expiration_ms
                                                          : SWEEP_INTERVAL_MS;
    if (now_ms - st->last_sweep_ms >= every) {
        samsa_ps_producer_expire_locked(st, now_ms);
    }
    pthread_mutex_unlock(&st->lock);
    return err;
}

size_t samsa_producer_expire(samsa_producer_state_t *st, int64_t now_ms)
{
    pthread_mutex_lock(&st->lock);
    size_t n = samsa_ps_producer_expire_locked(st, now_ms);
    pthread_mutex_unlock(&st->lock);
    return n;
}

size_t samsa_producer_count(samsa_producer_state_t *st)
{
    pthread_mutex_lock(&st->lock);
    size_t n = st->count;
    pthread_mutex_unlock(&st->lock);
    return n;
}

bool samsa_producer_lookup(samsa_producer_state_t *st, int64_t producer_id,
                           int16_t *epoch, samsa_producer_batch_t *last)
{
    pthread_mutex_lock(&st->lock);
    producer_entry_t *e = samsa_ps_producer_find(st, producer_id);
    if (e) {
        *epoch = e->epoch;
        if (e->batch_count) {
            *last = e->batches[e->batch_count - 1];
        } else {
            *last = (samsa_producer_batch_t){-1, -1, -1, -1, -1};
        }
    }
    pthread_mutex_unlock(&st->lock);
    return e != NULL;
}

size_t samsa_producer_list(samsa_producer_state_t *st,
                           samsa_producer_info_t *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; i < st->bucket_count; i++) {
        for (producer_entry_t *e = st->buckets[i]; e; e = e->next, n++) {
            if (n >= max) {
                continue;
            }
            const samsa_producer_batch_t *b =
                e->batch_count ? &e->batches[e->batch_count - 1] : NULL;
            out[n] = (samsa_producer_info_t){
                e->producer_id,       e->epoch,
                b ? b->last_seq : -1, b ? b->timestamp : -1,
                e->txn_first_offset,  e->coordinator_epoch};
        }
    }
    pthread_mutex_unlock(&st->lock);
    return n;
}

const char *samsa_producer_error_message(samsa_err_t err)
{
    switch (err) {
    case SAMSA_ERR_INVALID_PRODUCER_EPOCH:
        return "producer epoch is older than the last one written to this "
               "partition (a newer instance of the producer took over)";
    case SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
        return "sequence number does not continue the producer's last batch "
               "on this partition (a new epoch must start at 0)";
    case SAMSA_ERR_INVALID_RECORD:
        return "an idempotent produce must carry exactly one batch per "
               "partition, with a sequence number and epoch >= 0";
    default:
        return NULL;
    }
}
