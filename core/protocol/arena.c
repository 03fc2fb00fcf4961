/* SPDX-License-Identifier: Apache-2.0 */
/* core/protocol/arena.c - see arena.h. */
#include "protocol/arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_FIRST    4096
#define ARENA_MAX_STEP (256 * 1024)
#define ARENA_ALIGN    8

struct samsa_arena_chunk {
    samsa_arena_chunk_t *next; /* older chunk */
    size_t size;               /* usable bytes after the header */
    /* data follows, aligned */
};

#define CHUNK_HDR                                                              \
    ((sizeof(samsa_arena_chunk_t) + ARENA_ALIGN - 1) &                         \
     ~(size_t)(ARENA_ALIGN - 1))

void samsa_arena_init(samsa_arena_t *a)
{
    memset(a, 0, sizeof(*a));
    a->next_size = ARENA_FIRST;
}

static void *arena_slow(samsa_arena_t *a, size_t size)
{
    size_t csize = a->next_size;
    if (csize < size) {
        csize = size;
    }
    if (size > SIZE_MAX - CHUNK_HDR) {
        return NULL;
    }
    samsa_arena_chunk_t *c = malloc(CHUNK_HDR + csize);
    if (!c) {
        return NULL;
    }
    c->size = csize;
    uint8_t *data = (uint8_t *)c + CHUNK_HDR;
    if (csize == size && a->head) {
        /* A big block of its own: keep filling the current chunk. Put it
         * behind head so reset() still keeps the first chunk. */
        c->next = a->head->next;
        a->head->next = c;
        return data;
    }
    c->next = a->head;
    if (!a->head) {
        a->first = c;
    }
    a->head = c;
    a->p = data + size;
    a->end = data + csize;
    if (a->next_size < ARENA_MAX_STEP) {
        a->next_size *= 2;
    }
    return data;
}

void *samsa_arena_alloc(samsa_arena_t *a, size_t size)
{
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (rounded < size) {
        return NULL;
    }
    if (a->limit && (rounded > a->limit || a->total > a->limit - rounded)) {
        return NULL;
    }
    a->total += rounded;
    if ((size_t)(a->end - a->p) >= rounded && a->p) {
        void *r = a->p;
        a->p += rounded;
        return r;
    }
    return arena_slow(a, rounded ? rounded : ARENA_ALIGN);
}

void *samsa_arena_calloc(samsa_arena_t *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        return NULL;
    }
    void *p = samsa_arena_alloc(a, n * size);
    if (p) {
        memset(p, 0, n * size);
    }
    return p;
}

void samsa_arena_reset(samsa_arena_t *a)
{
    samsa_arena_chunk_t *c = a->head;
    while (c) {
        samsa_arena_chunk_t *next = c->next;
        if (c != a->first) {
            free(c);
        }
        c = next;
    }
    a->head = a->first;
    a->total = 0;
    if (a->first && a->first->size > ARENA_MAX_STEP) {
        /* Do not pin a huge block between requests. */
        free(a->first);
        size_t limit = a->limit;
        samsa_arena_init(a);
        a->limit = limit;
    } else if (a->first) {
        a->first->next = NULL;
        a->p = (uint8_t *)a->first + CHUNK_HDR;
        a->end = a->p + a->first->size;
        a->next_size = a->first->size * 2;
    }
}

void samsa_arena_destroy(samsa_arena_t *a)
{
    samsa_arena_chunk_t *c = a->head;
    while (c) {
        samsa_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    size_t limit = a->limit;
    samsa_arena_init(a);
    a->limit = limit;
}
