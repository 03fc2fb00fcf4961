/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metrics/hotkeys.h - the hottest keys of a partition, in bounded
 * memory: a space-saving sketch (Metwally, Agrawal, El Abbadi 2005) of
 * SAMSA_HOTKEYS_K counters. A key that holds more than 1/K of the records
 * is always in it; each count over-estimates by at most its `error`
 * (<= total / K).
 *
 * Compressed batches cost a decompression, so only one in
 * SAMSA_HOTKEYS_SAMPLE of them is read and its records count that many
 * times (shares stay unbiased estimates). Uncompressed batches are all
 * read until the sketch has counted SAMSA_HOTKEYS_EXACT records, then
 * sampled the same way: on the produce path a sketch update for every
 * record cost a quarter of the broker's CPU with all keys distinct, and
 * past that many records the sampled shares are within a fraction of a
 * point (a key with share p over n records: relative error about
 * sqrt(SAMPLE * (1 - p) / (p * n))).
 *
 * Keys are identified by a 64-bit hash of the whole key; the first
 * SAMSA_HOTKEY_MAX_BYTES bytes are kept for display. Thread-safe: one
 * mutex per sketch, taken once per batch of records, never per record.
 */
#ifndef SAMSA_METRICS_HOTKEYS_H
#define SAMSA_METRICS_HOTKEYS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#define SAMSA_HOTKEYS_K        64
#define SAMSA_HOTKEY_MAX_BYTES 64
#define SAMSA_HOTKEYS_SAMPLE   4
#define SAMSA_HOTKEYS_EXACT    65536 /* records counted before sampling */
#define SAMSA_HOTKEYS_INDEX    (SAMSA_HOTKEYS_K * 4) /* power of two */

typedef struct samsa_hotkey {
    uint64_t hash;
    int64_t records; /* estimated records with this key */
    int64_t bytes;   /* estimated key + value bytes */
    int64_t error;   /* records may be over-estimated by this much */
    int32_t key_len; /* full length of the key */
    uint8_t key[SAMSA_HOTKEY_MAX_BYTES]; /* first bytes of the key */
} samsa_hotkey_t;

typedef struct samsa_hotkeys {
    pthread_mutex_t lock;
    samsa_hotkey_t items[SAMSA_HOTKEYS_K]; /* a counter stays where it is */
    int32_t count;
    /* A min-heap of item numbers on items[].records, each with a copy of
     * its count: sifting moves these, never the 100-byte counters. */
    int64_t heap_records[SAMSA_HOTKEYS_K];
    uint8_t heap[SAMSA_HOTKEYS_K];
    uint8_t heap_pos[SAMSA_HOTKEYS_K];  /* item -> its place in heap */
    uint16_t slot[SAMSA_HOTKEYS_K];     /* item -> its entry in index */
    uint8_t index[SAMSA_HOTKEYS_INDEX]; /* hash -> item + 1 */
    int64_t total_records;              /* every record seen, keyed or not */
    int64_t total_bytes;
    uint32_t batches_seen; /* picks the sampled batches */
} samsa_hotkeys_t;

/** Decompress a batch's records section (codec id, bytes after the
 *  61-byte header) into a malloc'd buffer the caller frees. */
typedef samsa_err_t (*samsa_hotkeys_decompress_fn)(void *arg, int codec,
                                                   const uint8_t *in,
                                                   size_t len, uint8_t **out,
                                                   size_t *out_len);

void samsa_hotkeys_init(samsa_hotkeys_t *hk);
void samsa_hotkeys_destroy(samsa_hotkeys_t *hk);

/* Count the records of @p len bytes of v2 batches; compressed ones are
 * sampled and read through @p decompress (NULL: skipped). Returns how many
 * records were read. The sketch's lock is taken once for all of them;
 * decompression runs outside it. */
int64_t samsa_hotkeys_add_batches(samsa_hotkeys_t *hk, const uint8_t *batches,
                                  size_t len,
                                  samsa_hotkeys_decompress_fn decompress,
                                  void *arg);

/* One record counting @p weight times (caller holds hk->lock). key NULL =
 * a null key: counted in the totals only. */
void samsa_hotkeys_add_locked(samsa_hotkeys_t *hk, const uint8_t *key,
                              int32_t key_len, int64_t bytes, int64_t weight);

/* Copy up to @p cap keys, hottest (by records) first, and the totals. */
size_t samsa_hotkeys_top(samsa_hotkeys_t *hk, samsa_hotkey_t *out, size_t cap,
                         int64_t *total_records, int64_t *total_bytes);

#endif /* SAMSA_METRICS_HOTKEYS_H */
