/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/flusher.h - the flush policy (flush.messages, flush.ms), carried
 * out on a thread of its own, so fsync never runs on a reactor.
 *
 * One owner of the flush policy (DESIGN.md, Storage): this file decides
 * when a partition is flushed and calls the storage engine's flush op; the
 * engines never act on flush.messages or flush.ms themselves
 * (include/samsa/storage.h). A flush that the policy makes due completes
 * before the produce is acknowledged: the append that brings a partition
 * to flush.messages unflushed messages queues it here and gets a ticket
 * (samsa_partition_append); the Produce handler parks its response on the
 * ticket (samsa_partition_flush_wait) and answers once this thread's flush
 * covering that append has returned, without blocking the reactor. The
 * same thread flushes partitions whose oldest unflushed data is older than
 * flush.ms (no acknowledgement waits on those, as in Kafka). With both left
 * to the OS (the default) nothing happens.
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
 * the partition has to be queued). True when the policy made a flush due
 * that the append's acknowledgement must wait for. */
bool samsa_flusher_note_append(samsa_flusher_t *f, samsa_partition_t *part,
                               int64_t messages);

/* Total engine flushes done so far (tests, metrics). */
int64_t samsa_flusher_count(samsa_flusher_t *f);

#endif /* SAMSA_LOG_FLUSHER_H */
