/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_checkpoint.c - MM2's checkpoints, folded
 * into the source task: for each group on the source cluster matching
 * groups / groups.exclude, its committed offsets on the mirrored
 * partitions are translated through the offset syncs and committed for
 * the remote topics on the target cluster, only forward (a group that
 * moved further on the target keeps its offset) and never ahead of what
 * was copied (samsa_mirror_translate).
 */
#include <stdio.h>
#include <string.h>

#include "mirror_task.h"

typedef struct group_list {
    samsa_connect_task_t *t;
    char **names;
    size_t n, cap;
} group_list_t;

static void on_group(void *arg, const char *group)
{
    group_list_t *g = arg;
    const samsa_services_t *svc = g->t->svc;
    if (!samsa_mirror_filter_match(&g->t->groups, group)) {
        return;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        char **v = svc->realloc(g->names, cap * sizeof(*v));
        if (v == NULL) {
            return;
        }
        g->names = v;
        g->cap = cap;
    }
    size_t len = strlen(group) + 1;
    char *copy = svc->alloc(len);
    if (copy != NULL) {
        memcpy(copy, group, len);
        g->names[g->n++] = copy;
    }
}

/* One group: translate and commit forward. */
static void sync_group(samsa_connect_task_t *t, const char *group,
                       samsa_kafka_pos_t *up, samsa_kafka_pos_t *down)
{
    const samsa_services_t *svc = t->svc;
    for (size_t i = 0; i < t->nparts; i++) {
        up[i] = (samsa_kafka_pos_t){.topic = t->parts[i]->topic,
                                    .partition = t->parts[i]->partition,
                                    .offset = -1};
    }
    if (svc->kafka_committed(t->src, group, up, t->nparts) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "group %s on the source: %s", group,
                 svc->kafka_errmsg(t->src));
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        int64_t off =
            up[i].offset >= 0
                ? samsa_mirror_translate(&t->parts[i]->syncs, up[i].offset)
                : -1;
        if (off >= 0) {
            down[n++] = (samsa_kafka_pos_t){.topic = t->parts[i]->remote,
                                            .partition = t->parts[i]->partition,
                                            .offset = off};
        }
    }
    if (n == 0) {
        return;
    }
    samsa_kafka_pos_t *cur = svc->alloc(n * sizeof(*cur));
    if (cur == NULL) {
        return;
    }
    memcpy(cur, down, n * sizeof(*cur));
    if (svc->kafka_committed(t->tgt, group, cur, n) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "group %s on the target: %s", group,
                 svc->kafka_errmsg(t->tgt));
        svc->free(cur);
        return;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (down[i].offset > cur[i].offset) {
            down[m++] = down[i];
        }
    }
    svc->free(cur);
    if (m > 0 && svc->kafka_commit(t->tgt, group, down, m) != SAMSA_OK) {
        /* Typically: the group is active on the target, whose consumers
         * own its offsets now (MM2 skips such groups too). */
        svc->log(t->inst, SAMSA_LOG_INFO,
                 "group %s: translated offsets not committed on the target: "
                 "%s",
                 group, svc->kafka_errmsg(t->tgt));
    }
}

void samsa_mirror_checkpoint(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    group_list_t g = {.t = t};
    if (t->nparts == 0) {
        return;
    }
    if (svc->kafka_groups(t->src, on_group, &g) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "listing groups on the source: %s",
                 svc->kafka_errmsg(t->src));
    }
    samsa_kafka_pos_t *up = svc->alloc(t->nparts * sizeof(*up));
    samsa_kafka_pos_t *down = svc->alloc(t->nparts * sizeof(*down));
    for (size_t i = 0; up != NULL && down != NULL && i < g.n; i++) {
        sync_group(t, g.names[i], up, down);
    }
    for (size_t i = 0; i < g.n; i++) {
        svc->free(g.names[i]);
    }
    svc->free(g.names);
    svc->free(up);
    svc->free(down);
}
