/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/java_hash.h - Java's String.hashCode over a UTF-8 string, and
 * the partition of an internal topic a key maps to (Kafka's
 * Utils.abs(key.hashCode) % partitions: group ids in __consumer_offsets,
 * transactional ids in __transaction_state). Every broker, and Kafka's own
 * tools, must agree on it.
 */
#ifndef SAMSA_UTIL_JAVA_HASH_H
#define SAMSA_UTIL_JAVA_HASH_H

#include <stdint.h>

/* String.hashCode: s[0]*31^(n-1) + ... over UTF-16 code units (UTF-8 is
 * decoded; an invalid byte counts as U+FFFD, as Java's decoder makes it). */
int32_t samsa_java_string_hash(const char *s);

/* Utils.abs(hash) % partitions (Integer.MIN_VALUE maps to 0);
 * partitions < 1 counts as 1. */
int32_t samsa_internal_partition_for(const char *key, int32_t partitions);

#endif /* SAMSA_UTIL_JAVA_HASH_H */
