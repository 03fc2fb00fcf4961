/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/partitioner.h - partitioner plugins (kind SAMSA_KIND_PARTITIONER).
 *
 * A partitioner picks the partition of a record on the producing side: the
 * in-tree client, the samsa CLI and the Connect worker. The broker itself
 * never picks partitions.
 *
 * Threads: partition() and batch_done() may be called from several threads
 * for one instance; an instance that keeps mutable state (round-robin
 * counters, sticky choices, rates) protects it itself.
 */
#ifndef SAMSA_PARTITIONER_H
#define SAMSA_PARTITIONER_H

#include <samsa/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The record being placed. Everything is borrowed for the call. */
typedef struct samsa_partition_input {
    samsa_abi_header_t hdr;
    const char *topic;
    const void *key;   /**< NULL when the record has no key */
    const void *value; /**< NULL for a tombstone */
    uint64_t key_len;
    uint64_t value_len;
    int32_t partition_count;  /**< all partitions of the topic (> 0) */
    int32_t available_count;  /**< how many entries in available[] */
    const int32_t *available; /**< partitions with a leader now; may be
                                   NULL, then all are available */
} samsa_partition_input_t;

typedef struct samsa_partitioner_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_partitioner_ops_t) */

    /** Choose a partition in [0, partition_count) for @p in. Any thread. */
    samsa_err_t (*partition)(void *state, const samsa_partition_input_t *in,
                             int32_t *partition);

    /** Optional: a batch for @p topic/@p partition was closed after
     *  @p bytes bytes; sticky partitioners move on. Any thread. */
    void (*batch_done)(void *state, const char *topic, int32_t partition,
                       uint64_t bytes);
} samsa_partitioner_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_PARTITIONER_H */
