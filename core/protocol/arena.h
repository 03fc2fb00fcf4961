/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/protocol/arena.h - bump allocator for decoded messages.
 *
 * A request is decoded into one arena: arrays and nested structs come from
 * it, strings/bytes point into the frame. Everything is freed at once with
 * samsa_arena_reset() (keeps the first chunk for reuse) or
 * samsa_arena_destroy(). Chunks grow geometrically; a large allocation gets
 * a chunk of its own.
 *
 * Owner: one request at a time; not thread-safe.
 */
#ifndef SAMSA_PROTOCOL_ARENA_H
#define SAMSA_PROTOCOL_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct samsa_arena_chunk samsa_arena_chunk_t;

typedef struct samsa_arena {
    samsa_arena_chunk_t *head;  /* current chunk (newest) */
    samsa_arena_chunk_t *first; /* oldest chunk, kept by reset */
    uint8_t *p;                 /* next free byte in head */
    uint8_t *end;               /* end of head */
    size_t next_size;           /* size of the next chunk to allocate */
    size_t total;               /* bytes handed out since the last reset */
    size_t limit;               /* 0 = unlimited; else alloc fails past it */
} samsa_arena_t;

void samsa_arena_init(samsa_arena_t *a);
/* Zeroed-memory-not-guaranteed allocation aligned to 8 bytes; NULL on
 * out-of-memory or when the limit would be exceeded. size 0 -> non-NULL. */
void *samsa_arena_alloc(samsa_arena_t *a, size_t size);
/* Same, zero-filled. */
void *samsa_arena_calloc(samsa_arena_t *a, size_t n, size_t size);
/* Free everything except the first chunk, which is kept for reuse. */
void samsa_arena_reset(samsa_arena_t *a);
void samsa_arena_destroy(samsa_arena_t *a);

#endif /* SAMSA_PROTOCOL_ARENA_H */
