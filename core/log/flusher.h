/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/flusher.h - the flush policy (flush.messages, flush.ms) carried
 * out on a thread of its own, so fsync never runs on a reactor.
 *
 * The append path only counts: after each append it tells the flusher how
 * many messages went in; once a partition has flush.messages unflushed
 * messages it is queued, and the flusher thread calls the engine's flush.
 * The same thread flushes partitions whose oldest unflushed data is older
 * than flush.ms. With both left to the OS (the default) nothing happens.
 *
 * Owned by the log manager; internal to core/log.
 */
#ifndef SAMSA_LOG_FLUSHER_H
#define SAMSA_LOG_FLUSHER_H

#include "log/logmgr.h"

typedef struct samsa_flusher samsa_flusher_t;

samsa_err_t samsa_flusher_start(samsa_logmgr_t *mgr, samsa_flusher_t **out);
/* Flush what is queued, then stop the thread. */
void samsa_flusher_stop(samsa_flusher_t *f);

/* After an append of @p messages to @p part (any thread; lock-free unless
 * the partition has to be queued). */
void samsa_flusher_note_append(samsa_flusher_t *f, samsa_partition_t *part,
                               int64_t messages);

/* Total engine flushes done so far (tests, metrics). */
int64_t samsa_flusher_count(samsa_flusher_t *f);

#endif /* SAMSA_LOG_FLUSHER_H */
