/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_store.c - offset syncs by topic and
 * partition, and the checkpoints emitted for them (see mirror_store.h). A
 * linear search: a task mirrors hundreds of partitions, not millions, and looks
 * one up per sync.
 */
#include <stdlib.h>
#include <string.h>

#include "mirror_store.h"

samsa_mirror_entry_t *samsa_mirror_store_get(samsa_mirror_store_t *st,
                                             const char *topic,
                                             int32_t partition)
{
    for (size_t i = 0; i < st->n; i++) {
        if (st->v[i]->partition == partition &&
            strcmp(st->v[i]->topic, topic) == 0) {
            return st->v[i];
        }
    }
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        samsa_mirror_entry_t **v = realloc(st->v, cap * sizeof(*v));
        if (v == NULL) {
            return NULL;
        }
        st->v = v;
        st->cap = cap;
    }
    samsa_mirror_entry_t *e = calloc(1, sizeof(*e));
    if (e == NULL || (e->topic = strdup(topic)) == NULL) {
        free(e);
        return NULL;
    }
    e->partition = partition;
    st->v[st->n++] = e;
    return e;
}

void samsa_mirror_store_free(samsa_mirror_store_t *st)
{
    for (size_t i = 0; i < st->n; i++) {
        samsa_mirror_syncs_free(&st->v[i]->syncs);
        for (size_t k = 0; k < st->v[i]->nckpts; k++) {
            free(st->v[i]->ckpts[k].group);
        }
        free(st->v[i]->ckpts);
        free(st->v[i]->topic);
        free(st->v[i]);
    }
    free(st->v);
    *st = (samsa_mirror_store_t){0};
}

/* The last checkpoint of @p group on @p e, added as (-1, -1) when
 * missing; NULL when out of memory. */
static samsa_mirror_ckpt_t *ckpt_of(samsa_mirror_entry_t *e, const char *group)
{
    for (size_t i = 0; i < e->nckpts; i++) {
        if (strcmp(e->ckpts[i].group, group) == 0) {
            return &e->ckpts[i];
        }
    }
    if (e->nckpts == e->capckpts) {
        size_t cap = e->capckpts ? e->capckpts * 2 : 4;
        samsa_mirror_ckpt_t *v = realloc(e->ckpts, cap * sizeof(*v));
        if (v == NULL) {
            return NULL;
        }
        e->ckpts = v;
        e->capckpts = cap;
    }
    char *g = strdup(group);
    if (g == NULL) {
        return NULL;
    }
    e->ckpts[e->nckpts] = (samsa_mirror_ckpt_t){g, -1, -1};
    return &e->ckpts[e->nckpts++];
}

bool samsa_mirror_checkpoint_new(samsa_mirror_entry_t *e, const char *group,
                                 int64_t up, int64_t down)
{
    samsa_mirror_ckpt_t *c = ckpt_of(e, group);
    if (c == NULL) {
        return true;
    }
    /* The first; else checkpoints may go back after a rewind upstream,
     * otherwise they only move forward downstream. */
    if (c->up < 0 || up < c->up || down > c->down) {
        c->up = up;
        c->down = down;
        return true;
    }
    return false;
}

void samsa_mirror_checkpoint_seed(samsa_mirror_entry_t *e, const char *group,
                                  int64_t up, int64_t down)
{
    samsa_mirror_ckpt_t *c = ckpt_of(e, group);
    if (c != NULL) {
        c->up = up;
        c->down = down;
    }
}
