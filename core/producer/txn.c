/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/producer/txn.c - transactions on one partition (see state.h): which
 * producers have a transaction open here since which offset, and which
 * transactions were aborted. The last stable offset and read_committed
 * fetches (core/log) are answered from this.
 *
 * A marker is a control batch of the producer holding one record whose key
 * is Kafka's ControlRecordKey: int16 version (0), int16 type (0 abort,
 * 1 commit).
 */
#include "producer/state_int.h"

#include <stdlib.h>
#include <string.h>

#include "records_v2.h"

#define CONTROL_ABORT  0
#define CONTROL_COMMIT 1

/* The marker's type, or -1 when the control batch is not a marker. */
static int control_type(const samsa_batch_hdr_t *h, const uint8_t *batch)
{
    samsa_record_iter_t ri;
    samsa_record_t rec;
    if (samsa_record_iter_init(&ri, batch, samsa_batch_size(h)) != SAMSA_OK ||
        samsa_record_iter_next(&ri, &rec) != SAMSA_OK || !rec.key ||
        rec.key_len < 4) {
        return -1;
    }
    int type = (int16_t)samsa_be16(rec.key + 2);
    return type == CONTROL_ABORT || type == CONTROL_COMMIT ? type : -1;
}

samsa_err_t samsa_ps_txn_aborted_add(samsa_producer_state_t *st, int64_t pid,
                                     int64_t first, int64_t last)
{
    if (st->aborted_count == st->aborted_cap) {
        size_t cap = st->aborted_cap ? st->aborted_cap * 2 : 8;
        samsa_producer_aborted_t *n =
            realloc(st->aborted, cap * sizeof(*st->aborted));
        if (!n) {
            return SAMSA_ERR_NOMEM;
        }
        st->aborted = n;
        st->aborted_cap = cap;
    }
    st->aborted[st->aborted_count++] =
        (samsa_producer_aborted_t){pid, first, last};
    return SAMSA_OK;
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
    int type = control_type(h, batch);
    if (type < 0) {
        return SAMSA_OK;
    }
    if (h->producer_epoch > e->epoch) {
        /* The coordinator bumped the epoch (abort on timeout, fencing):
         * later batches of the old epoch are a zombie's. */
        e->epoch = h->producer_epoch;
        e->batch_count = 0;
    }
    if (e->txn_first_offset < 0) {
        return SAMSA_OK; /* nothing of the transaction was written here */
    }
    samsa_err_t err = SAMSA_OK;
    if (type == CONTROL_ABORT) {
        err = samsa_ps_txn_aborted_add(st, h->producer_id, e->txn_first_offset,
                                       h->base_offset);
    }
    e->txn_first_offset = -1;
    st->open_txns--;
    return err;
}

int64_t samsa_producer_first_unstable(samsa_producer_state_t *st)
{
    int64_t first = -1;
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; st->open_txns && i < st->bucket_count; i++) {
        for (producer_entry_t *e = st->buckets[i]; e; e = e->next) {
            if (e->txn_first_offset >= 0 &&
                (first < 0 || e->txn_first_offset < first)) {
                first = e->txn_first_offset;
            }
        }
    }
    pthread_mutex_unlock(&st->lock);
    return first;
}

size_t samsa_producer_aborted_range(samsa_producer_state_t *st, int64_t from,
                                    int64_t to, samsa_producer_aborted_t *out,
                                    size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; i < st->aborted_count; i++) {
        const samsa_producer_aborted_t *a = &st->aborted[i];
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
