/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keymap.c - open-addressing map from key bytes to latest offset.
 */
#include "keymap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

static sb_km_slot_t *km_find(sb_keymap_t *km, const uint8_t *key, uint32_t klen,
                             uint64_t h)
{
    size_t i = h & (km->cap - 1);
    for (;;) {
        sb_km_slot_t *s = &km->slots[i];
        if (s->offset < 0 || (s->hash == h && s->klen == klen &&
                              memcmp(km->arena + s->kpos, key, klen) == 0)) {
            return s;
        }
        i = (i + 1) & (km->cap - 1);
    }
}

static bool km_grow(sb_keymap_t *km)
{
    size_t ncap = km->cap ? km->cap * 2 : 1024;
    sb_km_slot_t *old = km->slots;
    size_t ocap = km->cap;
    km->slots = malloc(ncap * sizeof(*km->slots));
    if (km->slots == NULL) {
        km->slots = old;
        return false;
    }
    for (size_t i = 0; i < ncap; i++) {
        km->slots[i].offset = -1;
    }
    km->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].offset >= 0) {
            *km_find(km, km->arena + old[i].kpos, old[i].klen, old[i].hash) =
                old[i];
        }
    }
    free(old);
    return true;
}

bool sb_km_put(sb_keymap_t *km, const uint8_t *key, uint32_t klen,
               int64_t offset)
{
    if ((km->used + 1) * 2 > km->cap && !km_grow(km)) {
        return false;
    }
    uint64_t h = fnv1a(key, klen);
    sb_km_slot_t *s = km_find(km, key, klen, h);
    if (s->offset >= 0) {
        s->offset = offset;
        return true;
    }
    if (km->alen + klen > km->acap) {
        size_t ncap = (km->acap + klen) * 2;
        uint8_t *p = realloc(km->arena, ncap);
        if (p == NULL) {
            return false;
        }
        km->arena = p;
        km->acap = ncap;
    }
    memcpy(km->arena + km->alen, key, klen);
    *s = (sb_km_slot_t){h, offset, km->alen, klen, 0};
    km->alen += klen;
    km->used++;
    return true;
}

int64_t sb_km_get(sb_keymap_t *km, const uint8_t *key, uint32_t klen)
{
    if (km->cap == 0) {
        return -1;
    }
    return km_find(km, key, klen, fnv1a(key, klen))->offset;
}

void sb_km_free(sb_keymap_t *km)
{
    free(km->slots);
    free(km->arena);
}
