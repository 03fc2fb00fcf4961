/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/loop/timer_heap.h - the reactor's timers: a binary min-heap ordered by
 * (deadline, insertion sequence) over a slot table, so a timer id is
 * (generation << 32 | slot + 1) and cancel is O(log n) without a hash.
 * Private to core/loop; one thread.
 */
#ifndef SAMSA_TIMER_HEAP_H
#define SAMSA_TIMER_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "loop/reactor.h"

typedef struct samsa_timer_ent {
    uint64_t due_ns;
    uint64_t seq;
    uint64_t repeat_ms;
    samsa_reactor_timer_cb cb;
    void *arg;
    uint32_t gen;
    uint32_t pos;       /* heap index while pending */
    uint32_t next_free; /* slot + 1 of the next free slot, 0 = none */
    uint32_t state;
} samsa_timer_ent_t;

typedef struct samsa_timer_heap {
    samsa_timer_ent_t *ents;
    uint32_t nents, cap;
    uint32_t free_head;
    uint32_t *heap; /* slot indexes */
    uint32_t hlen, hcap;
    uint64_t seq; /* next insertion sequence */
} samsa_timer_heap_t;

/* A timer popped for firing: callers copy cb/arg out because a callback
 * that adds timers may move the slot table. */
typedef struct samsa_timer_fire {
    uint32_t idx;
    samsa_reactor_timer_cb cb;
    void *arg;
} samsa_timer_fire_t;

void samsa_timer_heap_init(samsa_timer_heap_t *h);
void samsa_timer_heap_free(samsa_timer_heap_t *h);
samsa_timer_id_t samsa_timer_heap_add(samsa_timer_heap_t *h, uint64_t due_ns,
                                      uint64_t repeat_ms,
                                      samsa_reactor_timer_cb cb, void *arg);
bool samsa_timer_heap_cancel(samsa_timer_heap_t *h, samsa_timer_id_t id);
bool samsa_timer_heap_next(const samsa_timer_heap_t *h, uint64_t *due_ns);
/* Pop the earliest timer if due by now_ns and inserted before seq_limit. */
bool samsa_timer_heap_pop_due(samsa_timer_heap_t *h, uint64_t now_ns,
                              uint64_t seq_limit, samsa_timer_fire_t *out);
/* After the callback: re-arm a repeating timer or free the slot. */
void samsa_timer_heap_fired(samsa_timer_heap_t *h, const samsa_timer_fire_t *f,
                            uint64_t now_ns);

#endif /* SAMSA_TIMER_HEAP_H */
