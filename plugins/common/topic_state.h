/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-topic mutable state for partitioners (round-robin counters, sticky
 * choices), shared by the partitioner plugins and compiled into each.
 * One table per plugin instance; all functions are thread-safe (one mutex
 * per table, held for a hash lookup and a few assignments).
 */
#ifndef SAMSA_PARTITIONER_TOPIC_STATE_H
#define SAMSA_PARTITIONER_TOPIC_STATE_H

#include <samsa/partitioner.h>

typedef struct topic_state topic_state_t;

samsa_err_t topic_state_create(const samsa_services_t *svc,
                               topic_state_t **out);
void topic_state_destroy(topic_state_t *ts);

/** Next partition of @p in's topic in round-robin order over the available
 *  partitions (all partitions when none are listed). */
samsa_err_t topic_state_round_robin(topic_state_t *ts,
                                    const samsa_partition_input_t *in,
                                    int32_t *partition);

/**
 * Sticky choice for @p in's topic: the same available partition until
 * @p batch_bytes bytes (key + value, at least 1 per record) were assigned
 * to it or topic_state_batch_done() closed its batch; then a random other
 * available partition (the same one only if it is the only one).
 */
samsa_err_t topic_state_sticky(topic_state_t *ts,
                               const samsa_partition_input_t *in,
                               uint64_t batch_bytes, int32_t *partition);

/** A batch of @p topic / @p partition was closed: if it is the current
 *  sticky partition, the next sticky call moves on. */
void topic_state_batch_done(topic_state_t *ts, const char *topic,
                            int32_t partition);

/** Validates the parts of @p in every partitioner relies on. */
samsa_err_t topic_state_check_input(const samsa_partition_input_t *in);

#endif
