/* SPDX-License-Identifier: Apache-2.0 */
/* core/metrics/hotkeys.c - see hotkeys.h. */
#include "metrics/hotkeys.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "records_v2.h"

void samsa_hotkeys_init(samsa_hotkeys_t *hk)
{
    memset(hk, 0, sizeof(*hk));
    pthread_mutex_init(&hk->lock, NULL);
}

void samsa_hotkeys_destroy(samsa_hotkeys_t *hk)
{
    pthread_mutex_destroy(&hk->lock);
}

/* FNV-1a, 64 bits: identity, not security (a key only ever competes for
 * a counter). */
static uint64_t key_hash(const uint8_t *key, int32_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (int32_t i = 0; i < len; i++) {
        h = (h ^ key[i]) * 1099511628211ull;
    }
    return h;
}

/* The counters' numbers form a min-heap on `records` (the space-saving
 * victim is the root) and an open-addressing index maps a key hash to its
 * counter, so an update costs O(log K) instead of a scan of all K
 * counters: this runs for every record on the produce path. Counters
 * never move; the heap holds one-byte item numbers, so a sift swaps two
 * bytes rather than two counters (with distinct keys every record
 * evicts the root and sifts it to the bottom). */
#define IDX_MASK (SAMSA_HOTKEYS_INDEX - 1)

static void swap_heap(samsa_hotkeys_t *hk, int32_t a, int32_t b)
{
    int64_t r = hk->heap_records[a];
    hk->heap_records[a] = hk->heap_records[b];
    hk->heap_records[b] = r;
    uint8_t t = hk->heap[a];
    hk->heap[a] = hk->heap[b];
    hk->heap[b] = t;
    hk->heap_pos[hk->heap[a]] = (uint8_t)a;
    hk->heap_pos[hk->heap[b]] = (uint8_t)b;
}

static void sift_up(samsa_hotkeys_t *hk, int32_t pos)
{
    while (pos > 0) {
        int32_t parent = (pos - 1) / 2;
        if (hk->heap_records[parent] <= hk->heap_records[pos]) {
            return;
        }
        swap_heap(hk, parent, pos);
        pos = parent;
    }
}

static void sift_down(samsa_hotkeys_t *hk, int32_t pos)
{
    const int64_t *rec = hk->heap_records;
    for (;;) {
        int32_t l = 2 * pos + 1, r = l + 1;
        if (l >= hk->count) {
            return;
        }
        /* The smaller child without a branch: which one wins is as good
         * as random with distinct keys, so a branch would mispredict. */
        int32_t least = r < hk->count && rec[r] < rec[l] ? r : l;
        if (rec[least] >= rec[pos]) {
            return;
        }
        swap_heap(hk, least, pos);
        pos = least;
    }
}

/* The index slot holding @p h, or the empty slot where it would go. */
static uint32_t index_find(const samsa_hotkeys_t *hk, uint64_t h,
                           int32_t key_len)
{
    uint32_t i = (uint32_t)h & IDX_MASK;
    while (hk->index[i]) {
        const samsa_hotkey_t *e = &hk->items[hk->index[i] - 1];
        if (e->hash == h && e->key_len == key_len) {
            return i;
        }
        i = (i + 1) & IDX_MASK;
    }
    return i;
}

/* Linear probing's deletion: later entries of the same run move back so
 * every lookup still finds them. */
static void index_remove(samsa_hotkeys_t *hk, uint32_t i)
{
    uint32_t j = i;
    hk->index[i] = 0;
    for (;;) {
        j = (j + 1) & IDX_MASK;
        if (!hk->index[j]) {
            return;
        }
        uint32_t home = (uint32_t)hk->items[hk->index[j] - 1].hash & IDX_MASK;
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) {
            continue;
        }
        hk->index[i] = hk->index[j];
        hk->slot[hk->index[i] - 1] = (uint16_t)i;
        hk->index[j] = 0;
        i = j;
    }
}

void samsa_hotkeys_add_locked(samsa_hotkeys_t *hk, const uint8_t *key,
                              int32_t key_len, int64_t bytes, int64_t weight)
{
    bytes *= weight;
    hk->total_records += weight;
    hk->total_bytes += bytes;
    if (!key || key_len < 0) {
        return;
    }
    uint64_t h = key_hash(key, key_len);
    uint32_t at = index_find(hk, h, key_len);
    if (hk->index[at]) {
        int32_t item = hk->index[at] - 1;
        hk->items[item].records += weight;
        hk->items[item].bytes += bytes;
        hk->heap_records[hk->heap_pos[item]] += weight;
        sift_down(hk, hk->heap_pos[item]);
        return;
    }
    int32_t item, pos;
    int64_t base_records = 0, base_bytes = 0;
    if (hk->count < SAMSA_HOTKEYS_K) {
        item = pos = hk->count++;
        hk->heap[pos] = (uint8_t)item;
        hk->heap_pos[item] = (uint8_t)pos;
    } else {
        /* Space-saving: the newcomer takes over the smallest counter (the
         * heap's root) and inherits its count, which bounds how much it
         * may be over-counted. */
        pos = 0;
        item = hk->heap[0];
        base_records = hk->items[item].records;
        base_bytes = hk->items[item].bytes;
        index_remove(hk, hk->slot[item]);
        at = index_find(hk, h, key_len);
    }
    samsa_hotkey_t *e = &hk->items[item];
    e->hash = h;
    e->records = base_records + weight;
    e->bytes = base_bytes + bytes;
    e->error = base_records;
    e->key_len = key_len;
    size_t keep = key_len < SAMSA_HOTKEY_MAX_BYTES ? (size_t)key_len
                                                   : SAMSA_HOTKEY_MAX_BYTES;
    memcpy(e->key, key, keep);
    hk->heap_records[pos] = e->records;
    hk->slot[item] = (uint16_t)at;
    hk->index[at] = (uint8_t)(item + 1);
    if (pos == 0) {
        sift_down(hk, pos);
    } else {
        sift_up(hk, pos);
    }
}

/* Count the records of one batch (records section at @p p, @p n bytes). */
static int64_t add_records(samsa_hotkeys_t *hk, const samsa_batch_hdr_t *h,
                           const uint8_t *p, size_t n, int64_t weight)
{
    /* The iterator over an uncompressed batch, pointed at this section. */
    samsa_record_iter_t it = {
        .hdr = *h, .p = p, .end = p + n, .remaining = h->record_count};
    samsa_record_t r;
    int64_t counted = 0;
    while (samsa_record_iter_next(&it, &r) == SAMSA_OK) {
        int64_t bytes = (r.key_len > 0 ? r.key_len : 0) +
                        (r.value_len > 0 ? r.value_len : 0);
        samsa_hotkeys_add_locked(hk, r.key, r.key_len, bytes, weight);
        counted++;
    }
    return counted;
}

int64_t samsa_hotkeys_add_batches(samsa_hotkeys_t *hk, const uint8_t *batches,
                                  size_t len,
                                  samsa_hotkeys_decompress_fn decompress,
                                  void *arg)
{
    int64_t counted = 0;
    samsa_batch_iter_t bit;
    samsa_batch_iter_init(&bit, batches, len);
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    while (samsa_batch_iter_next(&bit, &batch, &h) == SAMSA_OK) {
        const uint8_t *section = batch + SAMSA_BATCH_HEADER_SIZE;
        size_t section_len = samsa_batch_size(&h) - SAMSA_BATCH_HEADER_SIZE;
        int codec = samsa_batch_codec(&h);
        uint8_t *plain = NULL;
        int64_t weight = 1;
        pthread_mutex_lock(&hk->lock);
        bool sample = codec != 0 || hk->total_records >= SAMSA_HOTKEYS_EXACT;
        bool sampled = sample && hk->batches_seen++ % SAMSA_HOTKEYS_SAMPLE == 0;
        pthread_mutex_unlock(&hk->lock);
        if (sample && !sampled) {
            continue;
        }
        if (sample) {
            weight = SAMSA_HOTKEYS_SAMPLE;
        }
        if (codec != 0) {
            if (!decompress || decompress(arg, codec, section, section_len,
                                          &plain, &section_len) != SAMSA_OK) {
                continue;
            }
            section = plain;
        }
        pthread_mutex_lock(&hk->lock);
        counted += add_records(hk, &h, section, section_len, weight);
        pthread_mutex_unlock(&hk->lock);
        free(plain);
    }
    return counted;
}

static int by_records(const void *a, const void *b)
{
    const samsa_hotkey_t *x = a, *y = b;
    return x->records < y->records ? 1 : x->records > y->records ? -1 : 0;
}

size_t samsa_hotkeys_top(samsa_hotkeys_t *hk, samsa_hotkey_t *out, size_t cap,
                         int64_t *total_records, int64_t *total_bytes)
{
    samsa_hotkey_t all[SAMSA_HOTKEYS_K];
    pthread_mutex_lock(&hk->lock);
    size_t n = (size_t)hk->count;
    memcpy(all, hk->items, n * sizeof(all[0]));
    *total_records = hk->total_records;
    *total_bytes = hk->total_bytes;
    pthread_mutex_unlock(&hk->lock);
    qsort(all, n, sizeof(all[0]), by_records);
    if (n > cap) {
        n = cap;
    }
    memcpy(out, all, n * sizeof(all[0]));
    return n;
}
