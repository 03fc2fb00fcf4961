/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/producer/txn.c - transactions on one partition (see state.h): which
 * producers have a transaction open here since which offset, and which
 * transactions were aborted. The last stable offset and read_committed
 * fetches (core/log) are answered from this.
 *
 * A marker is a control batch of the producer holding one record whose key
 * is Kafka's ControlRecordKey: int16 version (0), int16 type (0 abort,
 * 1 commit), and whose value is Kafka's EndTransactionMarker: int16
 * version (0), int32 coordinator epoch.
 */
#include "producer/state_int.h"

#include <stdlib.h>
#include <string.h>

#include "records_v2.h"

#define CONTROL_ABORT  0
#define CONTROL_COMMIT 1

/* The marker's type (-1 when the control batch is not a marker) and
 * coordinator epoch (-1 when its value does not say). */
static int control_type(const samsa_batch_hdr_t *h, const uint8_t *batch,
                        int32_t *coordinator_epoch)
{
    samsa_record_iter_t ri;
    samsa_record_t rec;
    *coordinator_epoch = -1;
    if (samsa_record_iter_init(&ri, batch, samsa_batch_size(h)) != SAMSA_OK ||
        samsa_record_iter_next(&ri, &rec) != SAMSA_OK || !rec.key ||
        rec.key_len < 4) {
        return -1;
    }
    if (rec.value && rec.value_len >= 6) {
        *coordinator_epoch = (int32_t)samsa_be32(rec.value + 2);
    }
    int type = (int16_t)samsa_be16(rec.key + 2);
    return type == CONTROL_ABORT || type == CONTROL_COMMIT ? type : -1;
}

samsa_err_t samsa_ps_txn_marker_check(samsa_producer_state_t *st,
                                      const samsa_batch_hdr_t *h,
                                      const uint8_t *batch)
{
    producer_entry_t *e = samsa_ps_producer_find(st, h->producer_id);
    if (!e) {
        return SAMSA_OK;
    }
    if (h->producer_epoch < e->epoch) {
        return SAMSA_ERR_INVALID_PRODUCER_EPOCH; /* a zombie's */
    }
    int32_t coordinator_epoch;
    if (control_type(h, batch, &coordinator_epoch) >= 0 &&
        coordinator_epoch < e->coordinator_epoch) {
        return SAMSA_ERR_TRANSACTION_COORDINATOR_FENCED;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_ps_txn_aborted_add(samsa_producer_state_t *st,
                                     const samsa_aborted_txn_t *txn)
{
    if (st->aborted_count == st->aborted_cap) {
        size_t cap = st->aborted_cap ? st->aborted_cap * 2 : 8;
        samsa_aborted_txn_t *n =
            realloc(st->aborted, cap * sizeof(*st->aborted));
        if (!n) {
            return SAMSA_ERR_NOMEM;
        }
        st->aborted = n;
        st->aborted_cap = cap;
    }
    st->aborted[st->aborted_count++] = *txn;
    return SAMSA_OK;
}

/* The lowest first offset of an open transaction, -1 when none. Lock
 * held. */
static int64_t first_unstable_locked(samsa_producer_state_t *st)
{
    int64_t first = -1;
    for (size_t i = 0; st->open_txns && i < st->bucket_count; i++) {
        for (producer_entry_t *e = st->buckets[i]; e; e = e->next) {
            if (e->txn_first_offset >= 0 &&
                (first < 0 || e->txn_first_offset < first)) {
                first = e->txn_first_offset;
            }
        }
    }
    return first;
}

samsa_err_t samsa_ps_txn_apply(samsa_producer_state_t *st,
                               const samsa_batch_hdr_t *h, const uint8_t *batch)
{
    producer_entry_t *e = samsa_ps_producer_upsert(st, h->producer_id);
    if (!e) {
        return SAMSA_ERR_NOMEM;
    }
    if (!(h->attributes & SAMSA_BATCH_ATTR_CONTROL)) {
        if (e->txn_first_offset < 0) {
            e->txn_first_offset = h->base_offset;
            st->open_txns++;
        }
        return SAMSA_OK;
    }
    int32_t coordinator_epoch;
    int type = control_type(h, batch, &coordinator_epoch);
    if (type < 0) {
        return SAMSA_OK;
    }
    e->coordinator_epoch = coordinator_epoch;
    e->marker_seq = ++st->marker_seq;
    if (h->producer_epoch > e->epoch) {
        /* The coordinator bumped the epoch (abort on timeout, fencing):
         * later batches of the old epoch are a zombie's. */
        e->epoch = h->producer_epoch;
        e->batch_count = 0;
    }
    if (e->txn_first_offset < 0) {
        return SAMSA_OK; /* nothing of the transaction was written here */
    }
    samsa_aborted_txn_t txn = {h->producer_id, e->txn_first_offset,
                               h->base_offset, -1};
    e->txn_first_offset = -1;
    st->open_txns--;
    if (type != CONTROL_ABORT) {
        return SAMSA_OK;
    }
    /* Kafka's lastStableOffset(completedTxn): the oldest transaction
     * still open, else just past the marker. */
    int64_t first = first_unstable_locked(st);
    txn.last_stable_offset = first >= 0 ? first : h->base_offset + 1;
    return samsa_ps_txn_aborted_add(st, &txn);
}

uint64_t samsa_producer_guard(samsa_producer_state_t *st)
{
    pthread_mutex_lock(&st->lock);
    uint64_t guard = st->marker_seq;
    pthread_mutex_unlock(&st->lock);
    return guard;
}

bool samsa_producer_guard_holds(samsa_producer_state_t *st, int64_t pid,
                                uint64_t guard)
{
    pthread_mutex_lock(&st->lock);
    producer_entry_t *e = samsa_ps_producer_find(st, pid);
    bool holds = guard >= st->guard_floor && (!e || e->marker_seq <= guard);
    pthread_mutex_unlock(&st->lock);
    return holds;
}

int64_t samsa_producer_first_unstable(samsa_producer_state_t *st)
{
    pthread_mutex_lock(&st->lock);
    int64_t first = first_unstable_locked(st);
    pthread_mutex_unlock(&st->lock);
    return first;
}

size_t samsa_producer_aborted_range(samsa_producer_state_t *st, int64_t from,
                                    int64_t to, samsa_aborted_txn_t *out,
                                    size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; i < st->aborted_count; i++) {
        const samsa_aborted_txn_t *a = &st->aborted[i];
        if (a->last_offset >= from && a->first_offset < to) {
            if (n < max) {
                out[n] = *a;
            }
            n++;
        }
    }
    pthread_mutex_unlock(&st->lock);
    return n;
}

void samsa_producer_aborted_trim(samsa_producer_state_t *st, int64_t log_start)
{
    pthread_mutex_lock(&st->lock);
    size_t drop = 0;
    while (drop < st->aborted_count &&
           st->aborted[drop].last_offset < log_start) {
        drop++; /* oldest first: markers are appended in offset order */
    }
    if (drop) {
        memmove(st->aborted, st->aborted + drop,
                (st->aborted_count - drop) * sizeof(*st->aborted));
        st->aborted_count -= drop;
    }
    pthread_mutex_unlock(&st->lock);
}

size_t samsa_producer_aborted_oldest(samsa_producer_state_t *st,
                                     samsa_aborted_txn_t *out, size_t max)
{
    pthread_mutex_lock(&st->lock);
    size_t n = st->aborted_count < max ? st->aborted_count : max;
    if (n > 0) { /* st->aborted is NULL before the first abort */
        memcpy(out, st->aborted, n * sizeof(*out));
    }
    pthread_mutex_unlock(&st->lock);
    return n;
}

void samsa_producer_aborted_drop(samsa_producer_state_t *st, size_t n)
{
    pthread_mutex_lock(&st->lock);
    if (n > st->aborted_count) {
        n = st->aborted_count;
    }
    memmove(st->aborted, st->aborted + n,
            (st->aborted_count - n) * sizeof(*st->aborted));
    st->aborted_count -= n;
    pthread_mutex_unlock(&st->lock);
}
