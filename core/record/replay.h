/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/record/replay.h - the records of an internal topic's batches, for
 * coordinators replaying their compacted topic at start (groups,
 * transactions): one call per record of each uncompressed data batch.
 */
#ifndef SAMSA_RECORD_REPLAY_H
#define SAMSA_RECORD_REPLAY_H

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

#endif /* SAMSA_RECORD_REPLAY_H */
