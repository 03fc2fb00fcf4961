/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Java-compatible murmur2, shared by the partitioner plugins that hash keys
 * (hash, salted, compound). Compiled into each of them; nothing is exported.
 */
#ifndef SAMSA_PARTITIONER_MURMUR2_H
#define SAMSA_PARTITIONER_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/**
 * 32-bit MurmurHash2 exactly as org.apache.kafka.common.utils.Utils.murmur2:
 * seed 0x9747b28c ^ len, m 0x5bd1e995, r 24, little-endian 4-byte blocks,
 * tail folded in, final shifts 13 and 15. The Java int is this value
 * reinterpreted as int32_t.
 */
uint32_t samsa_murmur2(const void *key, size_t len);

/** Java's keyed partition: (murmur2(key) & 0x7fffffff) % count, count > 0. */
int32_t samsa_murmur2_partition(const void *key, size_t len, int32_t count);

#endif
