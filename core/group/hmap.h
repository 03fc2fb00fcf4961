/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/hmap.h - a small intrusive chained hash map (groups by id,
 * offsets by topic/partition). Entries embed samsa_hmap_entry_t; the map
 * never allocates entries and never frees them. Not thread-safe: the
 * coordinator's mutex guards it.
 */
#ifndef SAMSA_GROUP_HMAP_H
#define SAMSA_GROUP_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

typedef struct samsa_hmap_entry {
    struct samsa_hmap_entry *next;
    uint64_t hash;
} samsa_hmap_entry_t;

typedef struct samsa_hmap {
    samsa_hmap_entry_t **buckets;
    size_t nbuckets, count;
} samsa_hmap_t;

/* FNV-1a, continued from h (start with SAMSA_HMAP_SEED). */
#define SAMSA_HMAP_SEED 1469598103934665603ull
uint64_t samsa_hmap_hash(uint64_t h, const void *data, size_t len);

void samsa_hmap_free(samsa_hmap_t *m); /* buckets only */
/* Insert (no duplicate check). SAMSA_ERR_NOMEM only when growing fails
 * on the very first insert; later growth failures just keep chains long. */
samsa_err_t samsa_hmap_insert(samsa_hmap_t *m, samsa_hmap_entry_t *e,
                              uint64_t hash);
/* First entry with hash for which eq(entry, key) is true, or NULL. */
samsa_hmap_entry_t *samsa_hmap_find(const samsa_hmap_t *m, uint64_t hash,
                                    bool (*eq)(const samsa_hmap_entry_t *e,
                                               const void *key),
                                    const void *key);
void samsa_hmap_remove(samsa_hmap_t *m, samsa_hmap_entry_t *e);

/* Iteration: for (e = samsa_hmap_first(m, &i); e; e = samsa_hmap_next(m, e,
 * &i)). Removing the current entry is allowed if next is fetched first. */
samsa_hmap_entry_t *samsa_hmap_first(const samsa_hmap_t *m, size_t *i);
samsa_hmap_entry_t *samsa_hmap_next(const samsa_hmap_t *m,
                                    samsa_hmap_entry_t *e, size_t *i);

#endif /* SAMSA_GROUP_HMAP_H */
