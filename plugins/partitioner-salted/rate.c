/* SPDX-License-Identifier: Apache-2.0 */
#include "rate.h"

#include <pthread.h>
#include <string.h>

#define WINDOW_MS 1000

typedef struct rate_slot {
    uint64_t fp; /* fingerprint of the key in the slot, 0 = empty */
    int64_t window_start;
    uint64_t count;      /* records in the current window */
    uint64_t last_count; /* records in the previous window */
    uint32_t bucket;     /* next salt bucket */
    uint32_t reserved;
} rate_slot_t;

struct rate_table {
    const samsa_services_t *svc;
    pthread_mutex_t lock;
    size_t slots;
    rate_slot_t *slot;
};

uint64_t rate_fingerprint(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h == 0 ? 1 : h;
}

samsa_err_t rate_table_create(const samsa_services_t *svc, size_t slots,
                              rate_table_t **out)
{
    rate_table_t *rt = svc->alloc(sizeof(*rt));
    rate_slot_t *slot = svc->alloc(slots * sizeof(*slot));
    if (rt == NULL || slot == NULL || pthread_mutex_init(&rt->lock, NULL)) {
        svc->free(rt);
        svc->free(slot);
        return SAMSA_ERR_NOMEM;
    }
    memset(slot, 0, slots * sizeof(*slot));
    rt->svc = svc;
    rt->slots = slots;
    rt->slot = slot;
    *out = rt;
    return SAMSA_OK;
}

void rate_table_destroy(rate_table_t *rt)
{
    if (rt != NULL) {
        pthread_mutex_destroy(&rt->lock);
        rt->svc->free(rt->slot);
        rt->svc->free(rt);
    }
}

/* Moves the slot's windows forward to the one containing @p now. */
static void advance(rate_slot_t *s, int64_t now)
{
    int64_t elapsed = now - s->window_start;
    if (elapsed < WINDOW_MS && elapsed >= 0) {
        return;
    }
    s->last_count = elapsed < 2 * WINDOW_MS && elapsed >= 0 ? s->count : 0;
    s->count = 0;
    s->window_start = now;
}

bool rate_table_hit(rate_table_t *rt, const void *key, size_t len,
                    int64_t now_ms, uint64_t threshold, uint32_t *bucket)
{
    uint64_t fp = rate_fingerprint(key, len);
    pthread_mutex_lock(&rt->lock);
    rate_slot_t *s = &rt->slot[fp % rt->slots];
    if (s->fp != fp) {
        memset(s, 0, sizeof(*s));
        s->fp = fp;
        s->window_start = now_ms;
    }
    advance(s, now_ms);
    s->count++;
    bool hot = s->count > threshold || s->last_count > threshold;
    if (hot) {
        *bucket = s->bucket++;
    }
    pthread_mutex_unlock(&rt->lock);
    return hot;
}
