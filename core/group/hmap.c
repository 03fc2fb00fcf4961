/* SPDX-License-Identifier: Apache-2.0 */
/* core/group/hmap.c - see hmap.h. */
#include "group/hmap.h"

#include <stdlib.h>

uint64_t samsa_hmap_hash(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void samsa_hmap_free(samsa_hmap_t *m)
{
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = m->count = 0;
}

static void grow(samsa_hmap_t *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
    samsa_hmap_entry_t **b = calloc(n, sizeof(*b));
    if (!b) {
        return;
    }
    for (size_t i = 0; i < m->nbuckets; i++) {
        samsa_hmap_entry_t *e = m->buckets[i];
        while (e) {
            samsa_hmap_entry_t *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

samsa_err_t samsa_hmap_insert(samsa_hmap_t *m, samsa_hmap_entry_t *e,
                              uint64_t hash)
{
    if (m->count >= m->nbuckets) {
        grow(m);
        if (!m->buckets) {
            return SAMSA_ERR_NOMEM;
        }
    }
    e->hash = hash;
    size_t i = hash & (m->nbuckets - 1);
    e->next = m->buckets[i];
    m->buckets[i] = e;
    m->count++;
    return SAMSA_OK;
}

samsa_hmap_entry_t *samsa_hmap_find(const samsa_hmap_t *m, uint64_t hash,
                                    bool (*eq)(const samsa_hmap_entry_t *e,
                                               const void *key),
                                    const void *key)
{
    if (!m->nbuckets) {
        return NULL;
    }
    for (samsa_hmap_entry_t *e = m->buckets[hash & (m->nbuckets - 1)]; e;
         e = e->next) {
        if (e->hash == hash && eq(e, key)) {
            return e;
        }
    }
    return NULL;
}

void samsa_hmap_remove(samsa_hmap_t *m, samsa_hmap_entry_t *e)
{
    samsa_hmap_entry_t **pp = &m->buckets[e->hash & (m->nbuckets - 1)];
    while (*pp && *pp != e) {
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = e->next;
        m->count--;
    }
}

samsa_hmap_entry_t *samsa_hmap_first(const samsa_hmap_t *m, size_t *i)
{
    for (*i = 0; *i < m->nbuckets; (*i)++) {
        if (m->buckets[*i]) {
            return m->buckets[*i];
        }
    }
    return NULL;
}

samsa_hmap_entry_t *samsa_hmap_next(const samsa_hmap_t *m,
                                    samsa_hmap_entry_t *e, size_t *i)
{
    if (e->next) {
        return e->next;
    }
    for ((*i)++; *i < m->nbuckets; (*i)++) {
        if (m->buckets[*i]) {
            return m->buckets[*i];
        }
    }
    return NULL;
}
