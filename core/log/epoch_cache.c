/* SPDX-License-Identifier: Apache-2.0 */
/* core/log/epoch_cache.c - see epoch_cache.h. */
#include "log/epoch_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durable_file.h"

samsa_err_t samsa_epoch_cache_init(samsa_epoch_cache_t *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    if (path) {
        c->path = strdup(path);
        if (!c->path) {
            return SAMSA_ERR_NOMEM; /* still safe to free */
        }
    }
    return SAMSA_OK;
}

void samsa_epoch_cache_free(samsa_epoch_cache_t *c)
{
    free(c->entries);
    free(c->path);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof(*c));
}

/* Append at the end; lock held. */
static bool push_locked(samsa_epoch_cache_t *c, int32_t epoch, int64_t start)
{
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 4;
        samsa_epoch_entry_t *n = realloc(c->entries, ncap * sizeof(*n));
        if (!n) {
            return false;
        }
        c->entries = n;
        c->cap = ncap;
    }
    c->entries[c->count++] =
        (samsa_epoch_entry_t){.epoch = epoch, .start_offset = start};
    return true;
}

samsa_err_t samsa_epoch_cache_load(samsa_epoch_cache_t *c)
{
    if (!c->path) {
        return SAMSA_ERR_NOT_FOUND;
    }
    FILE *f = fopen(c->path, "r");
    if (!f) {
        return errno == ENOENT ? SAMSA_ERR_NOT_FOUND
                               : SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    samsa_err_t err = SAMSA_OK;
    int version = -1;
    long long count = -1;
    if (fscanf(f, "%d\n%lld\n", &version, &count) != 2 || version != 0 ||
        count < 0 || count > 1000000) {
        err = SAMSA_ERR_CORRUPT_MESSAGE;
    }
    pthread_mutex_lock(&c->lock);
    c->count = 0;
    for (long long i = 0; err == SAMSA_OK && i < count; i++) {
        int epoch;
        long long start;
        if (fscanf(f, "%d %lld\n", &epoch, &start) != 2 || epoch < 0 ||
            start < 0 ||
            (c->count > 0 && (epoch <= c->entries[c->count - 1].epoch ||
                              start < c->entries[c->count - 1].start_offset))) {
            err = SAMSA_ERR_CORRUPT_MESSAGE;
        } else if (!push_locked(c, epoch, start)) {
            err = SAMSA_ERR_NOMEM;
        }
    }
    if (err != SAMSA_OK) {
        c->count = 0;
    }
    pthread_mutex_unlock(&c->lock);
    fclose(f);
    return err;
}

samsa_err_t samsa_epoch_cache_render(samsa_epoch_cache_t *c, char **out,
                                     size_t *out_len)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_lock(&c->lock);
    fprintf(f, "0\n%zu\n", c->count);
    for (size_t i = 0; i < c->count; i++) {
        fprintf(f, "%d %lld\n", c->entries[i].epoch,
                (long long)c->entries[i].start_offset);
    }
    pthread_mutex_unlock(&c->lock);
    if (fclose(f) != 0) {
        free(text);
        return SAMSA_ERR_NOMEM;
    }
    *out = text;
    *out_len = len;
    return SAMSA_OK;
}

samsa_err_t samsa_epoch_cache_flush(samsa_epoch_cache_t *c)
{
    if (!c->path) {
        return SAMSA_OK;
    }
    char *text = NULL;
    size_t len = 0;
    samsa_err_t err = samsa_epoch_cache_render(c, &text, &len);
    if (err != SAMSA_OK) {
        return err;
    }
    int rc = samsa_file_replace(c->path, NULL, text, len, true);
    free(text);
    return rc == 0 ? SAMSA_OK : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

bool samsa_epoch_cache_assign(samsa_epoch_cache_t *c, int32_t epoch,
                              int64_t start_offset)
{
    if (epoch < 0 || start_offset < 0) {
        return false; /* batches of old clients carry no epoch (-1) */
    }
    pthread_mutex_lock(&c->lock);
    bool changed = false;
    const samsa_epoch_entry_t *last =
        c->count ? &c->entries[c->count - 1] : NULL;
    if (!last || epoch != last->epoch || start_offset < last->start_offset) {
        /* A valid log never goes back in epoch or offset: what would
         * contradict the new entry is stale (Kafka's
         * maybeTruncateNonMonotonicEntries). */
        while (c->count > 0 &&
               (c->entries[c->count - 1].epoch >= epoch ||
                c->entries[c->count - 1].start_offset >= start_offset)) {
            c->count--;
        }
        changed = push_locked(c, epoch, start_offset);
    }
    pthread_mutex_unlock(&c->lock);
    return changed;
}

bool samsa_epoch_cache_truncate_end(samsa_epoch_cache_t *c, int64_t end_offset)
{
    pthread_mutex_lock(&c->lock);
    size_t before = c->count;
    while (c->count > 0 &&
           c->entries[c->count - 1].start_offset >= end_offset) {
        c->count--;
    }
    bool changed = c->count != before;
    pthread_mutex_unlock(&c->lock);
    return changed;
}

bool samsa_epoch_cache_truncate_start(samsa_epoch_cache_t *c,
                                      int64_t start_offset)
{
    pthread_mutex_lock(&c->lock);
    size_t below = 0;
    while (below < c->count && c->entries[below].start_offset <= start_offset) {
        below++;
    }
    bool changed = false;
    if (below > 0) {
        /* The last entry at or below the new start keeps its epoch and
         * starts at the new start. */
        samsa_epoch_entry_t keep = c->entries[below - 1];
        changed = keep.start_offset != start_offset || below > 1;
        keep.start_offset = start_offset;
        memmove(c->entries + 1, c->entries + below,
                (c->count - below) * sizeof(*c->entries));
        c->count -= below - 1;
        c->entries[0] = keep;
    }
    pthread_mutex_unlock(&c->lock);
    return changed;
}

void samsa_epoch_cache_clear(samsa_epoch_cache_t *c)
{
    pthread_mutex_lock(&c->lock);
    c->count = 0;
    pthread_mutex_unlock(&c->lock);
}

int32_t samsa_epoch_cache_latest(samsa_epoch_cache_t *c)
{
    pthread_mutex_lock(&c->lock);
    int32_t e = c->count ? c->entries[c->count - 1].epoch : -1;
    pthread_mutex_unlock(&c->lock);
    return e;
}

void samsa_epoch_cache_end_offset(samsa_epoch_cache_t *c, int32_t epoch,
                                  int64_t log_end, int32_t *epoch_out,
                                  int64_t *end_offset)
{
    *epoch_out = -1;
    *end_offset = -1;
    if (epoch < 0) {
        return; /* UNDEFINED_EPOCH asks nothing */
    }
    pthread_mutex_lock(&c->lock);
    /* First entry with an epoch above the one asked for. */
    size_t higher = 0;
    while (higher < c->count && c->entries[higher].epoch <= epoch) {
        higher++;
    }
    if (c->count > 0 && c->entries[c->count - 1].epoch == epoch) {
        /* The latest epoch ends at the log end. */
        *epoch_out = epoch;
        *end_offset = log_end;
    } else if (higher == c->count) {
        /* Above every known epoch (or nothing known): undefined. */
    } else if (higher == 0) {
        /* Below every known epoch: that history is gone from the log; the
         * first known epoch's start is where to begin (Kafka answers the
         * requested epoch with it). */
        *epoch_out = epoch;
        *end_offset = c->entries[0].start_offset;
    } else {
        *epoch_out = c->entries[higher - 1].epoch;
        *end_offset = c->entries[higher].start_offset;
    }
    pthread_mutex_unlock(&c->lock);
}

size_t samsa_epoch_cache_entries(samsa_epoch_cache_t *c,
                                 samsa_epoch_entry_t *out, size_t max)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->count;
    for (size_t i = 0; i < n && i < max; i++) {
        out[i] = c->entries[i];
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}
