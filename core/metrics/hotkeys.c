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
    samsa_hotkey_t *min = NULL;
    for (int32_t i = 0; i < hk->count; i++) {
        samsa_hotkey_t *e = &hk->items[i];
        if (e->hash == h && e->key_len == key_len) {
            e->records += weight;
            e->bytes += bytes;
            return;
        }
        if (!min || e->records < min->records) {
            min = e;
        }
    }
    samsa_hotkey_t *slot;
    int64_t base_records = 0, base_bytes = 0;
    if (hk->count < SAMSA_HOTKEYS_K) {
        slot = &hk->items[hk->count++];
    } else {
        /* Space-saving: the newcomer inherits the smallest counter, which
         * bounds how much it may be over-counted. */
        slot = min;
        base_records = min->records;
        base_bytes = min->bytes;
    }
    slot->hash = h;
    slot->records = base_records + weight;
    slot->bytes = base_bytes + bytes;
    slot->error = base_records;
    slot->key_len = key_len;
    size_t keep = key_len < SAMSA_HOTKEY_MAX_BYTES ? (size_t)key_len
                                                   : SAMSA_HOTKEY_MAX_BYTES;
    memcpy(slot->key, key, keep);
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
        if (codec != 0) {
            pthread_mutex_lock(&hk->lock);
            bool sampled = hk->compressed_seen++ % SAMSA_HOTKEYS_SAMPLE == 0;
            pthread_mutex_unlock(&hk->lock);
            if (!sampled || !decompress ||
                decompress(arg, codec, section, section_len, &plain,
                           &section_len) != SAMSA_OK) {
                continue;
            }
            section = plain;
            weight = SAMSA_HOTKEYS_SAMPLE;
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
