/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/record/replay.h - the records of an internal topic's batches, for
 * coordinators replaying their compacted topic at start (groups,
 * transactions): one call per record of each uncompressed data batch.
 */
#ifndef SAMSA_RECORD_REPLAY_H
#define SAMSA_RECORD_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "records_v2.h"

/* The record is valid only during the call. */
typedef samsa_err_t (*samsa_record_fn)(void *arg, const samsa_record_t *rec);

/*
 * Call @p fn for each record of the whole batches in @p buf (a chunk from
 * samsa_partition_read_all). Control batches (markers) and compressed
 * batches (coordinators never write them) are skipped. Stops at the first
 * error @p fn returns; SAMSA_ERR_CORRUPT_MESSAGE for malformed records.
 */
samsa_err_t samsa_records_replay(const uint8_t *buf, size_t len,
                                 samsa_record_fn fn, void *arg);

/* The batch a replayed record comes from: what a coordinator needs to
 * tell transactional writes (pending until their marker) from others. */
typedef struct samsa_replay_batch {
    int64_t producer_id; /* -1: none */
    int16_t producer_epoch;
    bool transactional;
    bool control; /* a transaction marker: rec is NULL, commit says which */
    bool commit;
} samsa_replay_batch_t;

typedef samsa_err_t (*samsa_batch_record_fn)(void *arg,
                                             const samsa_replay_batch_t *b,
                                             const samsa_record_t *rec);

/* As samsa_records_replay, with each record's batch; a control batch
 * (Kafka's EndTransactionMarker) is one call with rec NULL. */
samsa_err_t samsa_records_replay_batches(const uint8_t *buf, size_t len,
                                         samsa_batch_record_fn fn, void *arg);

#endif /* SAMSA_RECORD_REPLAY_H */
