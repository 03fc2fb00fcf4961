/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-key record rates for partitioner-salted: a fixed table of slots
 * indexed by a 64-bit key fingerprint, one-second windows, one mutex.
 * Keys that collide on a slot evict each other (the table forgets cold
 * keys by itself), so memory stays bounded whatever the key space.
 */
#ifndef SAMSA_SALTED_RATE_H
#define SAMSA_SALTED_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/plugin.h>

typedef struct rate_table rate_table_t;

samsa_err_t rate_table_create(const samsa_services_t *svc, size_t slots,
                              rate_table_t **out);
void rate_table_destroy(rate_table_t *rt);

/**
 * Counts one record of @p key at @p now_ms and says whether the key is hot:
 * more than @p threshold records in the current or the previous one-second
 * window. When hot, *bucket gets the key's next salt bucket (round robin).
 */
bool rate_table_hit(rate_table_t *rt, const void *key, size_t len,
                    int64_t now_ms, uint64_t threshold, uint32_t *bucket);

/** 64-bit FNV-1a, the fingerprint used for slots and hot-key lookups. */
uint64_t rate_fingerprint(const void *key, size_t len);

#endif
