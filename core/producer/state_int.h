/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/producer/state_int.h - the producer table shared by state.c,
 * snapshot.c and rebuild.c. Private to core/producer/.
 */
#ifndef SAMSA_PRODUCER_STATE_INT_H
#define SAMSA_PRODUCER_STATE_INT_H

#include <pthread.h>

#include "producer/state.h"
#include "record/batch.h"

/* One producer id on one partition. batches[0] is the oldest. */
typedef struct producer_entry {
    int64_t producer_id;
    int64_t last_active_ms;
    int16_t epoch;
    uint8_t batch_count;
    /* First offset of the producer's open transaction here, -1 when none
     * (core/producer/txn.c). */
    int64_t txn_first_offset;
    /* Coordinator epoch of the producer's last marker here, -1 when none
     * (Kafka's ProducerStateEntry.coordinatorEpoch): a marker of an older
     * coordinator is fenced. */
    int32_t coordinator_epoch;
    /* The state's marker_seq when the producer's last marker was recorded
     * here, 0 when none (KIP-890 guards, samsa_producer_guard_holds). */
    uint64_t marker_seq;
    samsa_producer_batch_t batches[SAMSA_PRODUCER_BATCHES_RETAINED];
    struct producer_entry *next; /* hash chain */
} producer_entry_t;

struct samsa_producer_state {
    pthread_mutex_t lock;
    producer_entry_t **buckets;
    size_t bucket_count; /* power of two */
    size_t count;
    int64_t expiration_ms;
    int64_t last_sweep_ms;
    /* Transactions (txn.c): how many producers have one open here, and
     * the aborted ones, oldest first (Kafka's .txnindex entries). */
    size_t open_txns;
    samsa_aborted_txn_t *aborted;
    size_t aborted_count, aborted_cap;
    /* KIP-890 guards: marker_seq counts the markers recorded (from 1, so a
     * guard is never 0); a guard below guard_floor was taken before the
     * table was replaced and holds no more. */
    uint64_t marker_seq;
    uint64_t guard_floor;
};

/* The following expect st->lock held. */
producer_entry_t *samsa_ps_producer_find(samsa_producer_state_t *st,
                                         int64_t pid);
/* Find or add; NULL when out of memory. */
producer_entry_t *samsa_ps_producer_upsert(samsa_producer_state_t *st,
                                           int64_t pid);
/* Make @p h (offsets assigned) the newest batch of its producer. */
samsa_err_t samsa_ps_producer_apply(samsa_producer_state_t *st,
                                    const samsa_batch_hdr_t *h,
                                    int64_t active_ms);
/* Track the transaction a transactional batch (data or marker, offsets
 * assigned) belongs to; @p batch holds the whole batch. */
samsa_err_t samsa_ps_txn_apply(samsa_producer_state_t *st,
                               const samsa_batch_hdr_t *h,
                               const uint8_t *batch);
/* A marker (control batch @p batch, header @p h) a partition must refuse:
 * an older producer epoch (INVALID_PRODUCER_EPOCH) or an older
 * coordinator epoch than the producer's last marker here
 * (TRANSACTION_COORDINATOR_FENCED). */
samsa_err_t samsa_ps_txn_marker_check(samsa_producer_state_t *st,
                                      const samsa_batch_hdr_t *h,
                                      const uint8_t *batch);
/* Append an aborted transaction (the newest). */
samsa_err_t samsa_ps_txn_aborted_add(samsa_producer_state_t *st,
                                     const samsa_aborted_txn_t *txn);
size_t samsa_ps_producer_expire_locked(samsa_producer_state_t *st,
                                       int64_t now_ms);
void samsa_ps_producer_clear_locked(samsa_producer_state_t *st);

/* Sequence arithmetic of Kafka's DefaultRecordBatch: sequences wrap from
 * INT32_MAX to 0. */
static inline int32_t producer_seq_add(int32_t seq, int32_t inc)
{
    if (seq > INT32_MAX - inc) {
        return inc - (INT32_MAX - seq) - 1;
    }
    return seq + inc;
}

#endif /* SAMSA_PRODUCER_STATE_INT_H */
