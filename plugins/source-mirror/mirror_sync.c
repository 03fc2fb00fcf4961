/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_sync.c - offset syncs and their
 * translation (see mirror_sync.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mirror_sync.h"

/* Append a run of one record at (@p up, @p down). */
static void push(samsa_mirror_syncs_t *s, int64_t up, int64_t down)
{
    if (s->n == s->cap && s->cap < SAMSA_MIRROR_MAX_RUNS) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        samsa_mirror_run_t *v = realloc(s->runs, cap * sizeof(*v));
        if (v != NULL) {
            s->runs = v;
            s->cap = cap;
        }
    }
    if (s->n == s->cap) {
        if (s->n == 0) {
            return; /* no memory at all: nothing known, nothing wrong */
        }
        size_t keep = s->n / 2;
        memmove(s->runs, s->runs + (s->n - keep), keep * sizeof(s->runs[0]));
        s->n = keep;
    }
    s->runs[s->n++] = (samsa_mirror_run_t){.up = up, .down = down, .len = 1};
}

void samsa_mirror_sync_add(samsa_mirror_syncs_t *s, int64_t up, int64_t down)
{
    if (s->n > 0) {
        samsa_mirror_run_t *r = &s->runs[s->n - 1];
        if (up == r->up + r->len && down == r->down + r->len) {
            r->len++;
            return;
        }
        if (up < r->up + r->len) {
            s->n = 0; /* copied again from further back: start over */
        }
    }
    push(s, up, down);
}

void samsa_mirror_sync_load(samsa_mirror_syncs_t *s, int64_t up, int64_t down)
{
    if (s->n > 0) {
        samsa_mirror_run_t *r = &s->runs[s->n - 1];
        if (up >= r->up + r->len && down - up == r->down - r->up) {
            r->len = up - r->up + 1;
            return;
        }
        if (up < r->up + r->len) {
            s->n = 0;
        }
    }
    push(s, up, down);
}

void samsa_mirror_syncs_free(samsa_mirror_syncs_t *s)
{
    free(s->runs);
    *s = (samsa_mirror_syncs_t){0};
}

int64_t samsa_mirror_translate(const samsa_mirror_syncs_t *s, int64_t group)
{
    if (s->n == 0 || group < s->runs[0].up) {
        return -1;
    }
    if (group == s->runs[0].up) {
        return s->runs[0].down;
    }
    /* The last run starting at or before the last record the group read
     * (group - 1): runs ascend in both offsets. */
    size_t lo = 0, hi = s->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->runs[mid].up <= group - 1) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    const samsa_mirror_run_t *r = &s->runs[lo];
    if (group - 1 < r->up + r->len) {
        return r->down + (group - 1 - r->up) + 1;
    }
    /* Past the run: what follows upstream was not copied (yet) or does
     * not exist (compaction, transaction markers); the run's end is the
     * furthest position known to be read. */
    return r->down + r->len;
}
