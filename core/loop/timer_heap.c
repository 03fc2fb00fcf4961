/* SPDX-License-Identifier: Apache-2.0 */
/* core/loop/timer_heap.c - see timer_heap.h. */
#include "loop/timer_heap.h"

#include <stdlib.h>
#include <string.h>

enum { T_FREE = 0, T_PENDING = 1, T_FIRING = 2, T_FIRING_CANCELLED = 3 };

void samsa_timer_heap_init(samsa_timer_heap_t *h)
{
    memset(h, 0, sizeof(*h));
    h->seq = 1;
}

void samsa_timer_heap_free(samsa_timer_heap_t *h)
{
    free(h->ents);
    free(h->heap);
    samsa_timer_heap_init(h);
}

static bool before(const samsa_timer_heap_t *h, uint32_t a, uint32_t b)
{
    const samsa_timer_ent_t *x = &h->ents[a], *y = &h->ents[b];
    return x->due_ns < y->due_ns || (x->due_ns == y->due_ns && x->seq < y->seq);
}

static void place(samsa_timer_heap_t *h, uint32_t pos, uint32_t idx)
{
    h->heap[pos] = idx;
    h->ents[idx].pos = pos;
}

static void sift_up(samsa_timer_heap_t *h, uint32_t pos)
{
    uint32_t idx = h->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!before(h, idx, h->heap[parent])) {
            break;
        }
        place(h, pos, h->heap[parent]);
        pos = parent;
    }
    place(h, pos, idx);
}

static void sift_down(samsa_timer_heap_t *h, uint32_t pos)
{
    uint32_t idx = h->heap[pos];
    for (;;) {
        uint32_t l = 2 * pos + 1, best = pos;
        uint32_t best_idx = idx;
        if (l < h->hlen && before(h, h->heap[l], best_idx)) {
            best = l;
            best_idx = h->heap[l];
        }
        if (l + 1 < h->hlen && before(h, h->heap[l + 1], best_idx)) {
            best = l + 1;
            best_idx = h->heap[l + 1];
        }
        if (best == pos) {
            break;
        }
        place(h, pos, best_idx);
        pos = best;
    }
    place(h, pos, idx);
}

static bool heap_push(samsa_timer_heap_t *h, uint32_t idx)
{
    if (h->hlen == h->hcap) {
        uint32_t n = h->hcap ? h->hcap * 2 : 64;
        uint32_t *nh = realloc(h->heap, n * sizeof(*nh));
        if (!nh) {
            return false;
        }
        h->heap = nh;
        h->hcap = n;
    }
    h->ents[idx].seq = h->seq++;
    h->heap[h->hlen] = idx;
    sift_up(h, h->hlen++);
    return true;
}

static void heap_remove(samsa_timer_heap_t *h, uint32_t pos)
{
    uint32_t last = h->heap[--h->hlen];
    if (pos == h->hlen) {
        return;
    }
    place(h, pos, last);
    if (pos > 0 && before(h, last, h->heap[(pos - 1) / 2])) {
        sift_up(h, pos);
    } else {
        sift_down(h, pos);
    }
}

static void slot_free(samsa_timer_heap_t *h, uint32_t idx)
{
    samsa_timer_ent_t *e = &h->ents[idx];
    e->state = T_FREE;
    e->cb = NULL;
    e->arg = NULL;
    e->gen++;
    if (e->gen == 0) {
        e->gen = 1;
    }
    e->next_free = h->free_head;
    h->free_head = idx + 1;
}

samsa_timer_id_t samsa_timer_heap_add(samsa_timer_heap_t *h, uint64_t due_ns,
                                      uint64_t repeat_ms,
                                      samsa_reactor_timer_cb cb, void *arg)
{
    uint32_t idx;
    if (h->free_head) {
        idx = h->free_head - 1;
        h->free_head = h->ents[idx].next_free;
    } else {
        if (h->nents == h->cap) {
            uint32_t n = h->cap ? h->cap * 2 : 64;
            samsa_timer_ent_t *ne = realloc(h->ents, n * sizeof(*ne));
            if (!ne) {
                return 0;
            }
            h->ents = ne;
            h->cap = n;
        }
        idx = h->nents++;
        h->ents[idx].gen = 1;
    }
    samsa_timer_ent_t *e = &h->ents[idx];
    e->due_ns = due_ns;
    e->repeat_ms = repeat_ms;
    e->cb = cb;
    e->arg = arg;
    e->state = T_PENDING;
    if (!heap_push(h, idx)) {
        slot_free(h, idx);
        return 0;
    }
    return ((uint64_t)e->gen << 32) | (uint64_t)(idx + 1);
}

static samsa_timer_ent_t *lookup(samsa_timer_heap_t *h, samsa_timer_id_t id,
                                 uint32_t *idx_out)
{
    uint32_t low = (uint32_t)id;
    if (low == 0 || low > h->nents) {
        return NULL;
    }
    samsa_timer_ent_t *e = &h->ents[low - 1];
    if (e->gen != (uint32_t)(id >> 32) || e->state == T_FREE) {
        return NULL;
    }
    *idx_out = low - 1;
    return e;
}

bool samsa_timer_heap_cancel(samsa_timer_heap_t *h, samsa_timer_id_t id)
{
    uint32_t idx;
    samsa_timer_ent_t *e = lookup(h, id, &idx);
    if (!e) {
        return false;
    }
    if (e->state == T_PENDING) {
        heap_remove(h, e->pos);
        slot_free(h, idx);
        return true;
    }
    if (e->state == T_FIRING) {
        /* Its own callback (or one it called) cancels it: freed after. */
        e->state = T_FIRING_CANCELLED;
        return e->repeat_ms > 0;
    }
    return false;
}

bool samsa_timer_heap_next(const samsa_timer_heap_t *h, uint64_t *due_ns)
{
    if (h->hlen == 0) {
        return false;
    }
    *due_ns = h->ents[h->heap[0]].due_ns;
    return true;
}

bool samsa_timer_heap_pop_due(samsa_timer_heap_t *h, uint64_t now_ns,
                              uint64_t seq_limit, samsa_timer_fire_t *out)
{
    if (h->hlen == 0) {
        return false;
    }
    uint32_t idx = h->heap[0];
    samsa_timer_ent_t *e = &h->ents[idx];
    if (e->due_ns > now_ns || e->seq >= seq_limit) {
        return false;
    }
    heap_remove(h, 0);
    e->state = T_FIRING;
    out->idx = idx;
    out->cb = e->cb;
    out->arg = e->arg;
    return true;
}

void samsa_timer_heap_fired(samsa_timer_heap_t *h, const samsa_timer_fire_t *f,
                            uint64_t now_ns)
{
    samsa_timer_ent_t *e = &h->ents[f->idx];
    if (e->state == T_FIRING && e->repeat_ms > 0) {
        e->due_ns = now_ns + e->repeat_ms * 1000000ull;
        e->state = T_PENDING;
        if (heap_push(h, f->idx)) {
            return;
        }
    }
    slot_free(h, f->idx);
}
