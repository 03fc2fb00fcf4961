/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keymap.h - exact map from record key to its latest offset (compaction).
 * Plugin-internal; keys are copied into an arena.
 */
#ifndef SB_KEYMAP_H
#define SB_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sb_km_slot {
    uint64_t hash;
    int64_t offset; /* -1: empty */
    uint64_t kpos;
    uint32_t klen;
    uint32_t pad;
} sb_km_slot_t;

typedef struct sb_keymap {
    sb_km_slot_t *slots;
    size_t cap, used;
    uint8_t *arena;
    size_t alen, acap;
} sb_keymap_t;

/** Zero-initialize a map before use. */
bool sb_km_put(sb_keymap_t *km, const uint8_t *key, uint32_t klen,
               int64_t offset);
/** Latest offset of @p key, or -1. */
int64_t sb_km_get(sb_keymap_t *km, const uint8_t *key, uint32_t klen);
void sb_km_free(sb_keymap_t *km);

#endif /* SB_KEYMAP_H */
