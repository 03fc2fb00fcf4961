/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_checkpoint.c - MM2's checkpoints: for each
 * group on the source cluster matching groups / groups.exclude, its
 * committed offsets on the partitions of the task's offset-sync store are
 * translated (samsa_mirror_translate: never ahead of what was copied),
 * then, as configured:
 *   emit.checkpoints.enabled  a Checkpoint record (mirror_format.h) per
 *                             partition to <source>.checkpoints.internal,
 *                             with the group's offset metadata, when it
 *                             moved since the last one (MM2's
 *                             checkpointIsMoreRecent)
 *                             (MirrorCheckpointConnector);
 *   sync.group.offsets.enabled  committed for the remote topics on the
 *                             target, only forward (a group that moved
 *                             further there keeps its offset).
 * A checkpoint task takes its share of the groups (by name); a source
 * task translates every group on its own partitions. A starting task
 * reads back the checkpoints written before (MM2 3.8's CheckpointsStore),
 * so a restart writes none again for groups that did not move.
 */
#include <stdio.h>
#include <string.h>

#include "connect_setting.h"
#include "mirror_format.h"
#include "mirror_task.h"

#define CKPT_KEY_MAX 1024
/* A Checkpoint value without its metadata: version, two offsets, the
 * string's length. */
#define CKPT_VAL_FIXED 20

typedef struct group_list {
    samsa_connect_task_t *t;
    char **names;
    size_t n, cap;
} group_list_t;

static bool my_group(const samsa_connect_task_t *t, const char *group)
{
    if (t->role != MIRROR_CHECKPOINT || t->task_count == 1) {
        return true;
    }
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)group; *p; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return (int32_t)(h % (uint32_t)t->task_count) == t->task_id;
}

static void on_group(void *arg, const char *group)
{
    group_list_t *g = arg;
    const samsa_services_t *svc = g->t->svc;
    if (!samsa_mirror_filter_match(&g->t->groups, group) ||
        !my_group(g->t, group)) {
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

/* The checkpoints topic exists (compacted, one partition, on the worker's
 * cluster: its records are this task's). */
static bool checkpoints_topic(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    samsa_connect_kv_t compact = {"cleanup.policy", "compact"};
    if (!t->checkpoints_created &&
        svc->kafka_create_topic_configs(t->tgt, t->checkpoints_topic, 1,
                                        &compact, 1) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "creating %s: %s",
                 t->checkpoints_topic, svc->kafka_errmsg(t->tgt));
        return false;
    }
    t->checkpoints_created = true;
    return true;
}

static void emit_checkpoint(samsa_connect_task_t *t, const char *group,
                            const char *remote, int32_t partition, int64_t up,
                            int64_t down, const char *metadata)
{
    uint8_t key[CKPT_KEY_MAX];
    size_t cap = CKPT_VAL_FIXED + strlen(metadata);
    uint8_t *val = t->svc->alloc(cap);
    /* MM2 names the downstream partition in the key, and carries the
     * group's metadata string. */
    size_t kl =
        samsa_mirror_checkpoint_key(key, sizeof(key), group, remote, partition);
    size_t vl = val != NULL ? samsa_mirror_checkpoint_value(val, cap, up, down,
                                                            metadata)
                            : 0;
    if (kl > 0 && vl > 0) {
        samsa_mirror_emit(t, t->checkpoints_topic, 0, key, kl, val, vl,
                          t->svc->now_ms());
    }
    t->svc->free(val);
}

/* The metadata strings of one group's committed offsets, by index. */
typedef struct group_meta {
    const samsa_services_t *svc;
    char **v;
} group_meta_t;

static void on_metadata(void *arg, size_t i, const char *metadata)
{
    group_meta_t *m = arg;
    m->svc->free(m->v[i]);
    m->v[i] = samsa_connect_strdup(m->svc, metadata);
}

/* One group over @p n entries: translate, emit, commit forward, the
 * group's metadata string with each offset (MM2's OffsetAndMetadata). @p up,
 * @p down, @p remotes and @p meta have room for n. */
static void sync_group(samsa_connect_task_t *t, const char *group,
                       samsa_mirror_entry_t **entries, size_t n,
                       samsa_kafka_pos_t *up, samsa_kafka_pos_t *down,
                       char (*remotes)[256], char **meta)
{
    const samsa_services_t *svc = t->svc;
    group_meta_t gm = {svc, meta};
    for (size_t i = 0; i < n; i++) {
        up[i] = (samsa_kafka_pos_t){.topic = entries[i]->topic,
                                    .partition = entries[i]->partition,
                                    .offset = -1};
        meta[i] = NULL;
    }
    if (svc->kafka_committed_metadata(t->src, group, up, n, on_metadata, &gm) !=
        SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "group %s on the source: %s", group,
                 svc->kafka_errmsg(t->src));
        goto out;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t off =
            up[i].offset >= 0
                ? samsa_mirror_translate(&entries[i]->syncs, up[i].offset)
                : -1;
        if (off < 0 || !samsa_mirror_remote_topic(&t->policy, up[i].topic,
                                                  remotes[m], 256)) {
            svc->free(meta[i]);
            meta[i] = NULL;
            continue;
        }
        const char *md = meta[i] != NULL ? meta[i] : "";
        if (t->emit_checkpoints && checkpoints_topic(t) &&
            samsa_mirror_checkpoint_new(entries[i], group, up[i].offset, off)) {
            emit_checkpoint(t, group, remotes[m], up[i].partition, up[i].offset,
                            off, md);
        }
        down[m] = (samsa_kafka_pos_t){
            .topic = remotes[m], .partition = up[i].partition, .offset = off};
        /* Compacted in step with down[]: entry m's metadata. */
        char *keep = meta[i];
        meta[i] = NULL;
        meta[m] = keep;
        m++;
    }
    if (m == 0 || !t->sync_groups) {
        goto out;
    }
    samsa_kafka_pos_t *cur = svc->alloc(m * sizeof(*cur));
    if (cur == NULL) {
        goto out;
    }
    memcpy(cur, down, m * sizeof(*cur));
    if (svc->kafka_committed(t->tgt, group, cur, m) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "group %s on the target: %s", group,
                 svc->kafka_errmsg(t->tgt));
        svc->free(cur);
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        char *keep = meta[i];
        meta[i] = NULL;
        if (down[i].offset > cur[i].offset) {
            down[k] = down[i];
            meta[k++] = keep;
        } else {
            svc->free(keep);
        }
    }
    svc->free(cur);
    if (k > 0 &&
        svc->kafka_commit_metadata(t->tgt, group, down,
                                   (const char *const *)meta, k) != SAMSA_OK) {
        /* Typically: the group is active on the target, whose consumers
         * own its offsets now (MM2 skips such groups too). */
        svc->log(t->inst, SAMSA_LOG_INFO,
                 "group %s: translated offsets not committed on the target: "
                 "%s",
                 group, svc->kafka_errmsg(t->tgt));
    }
out:
    for (size_t i = 0; i < n; i++) {
        svc->free(meta[i]);
        meta[i] = NULL;
    }
}

static int on_checkpoint(void *arg, const samsa_connect_record_t *rec)
{
    samsa_connect_task_t *t = arg;
    char group[CKPT_KEY_MAX], remote[256], topic[256];
    int32_t partition;
    int64_t up, down;
    if (samsa_mirror_checkpoint_decode(
            rec->key, rec->key_len, rec->value, rec->value_len, group,
            sizeof(group), remote, sizeof(remote), &partition, &up, &down) &&
        my_group(t, group) &&
        samsa_mirror_upstream_topic(&t->policy, remote, topic, sizeof(topic)) &&
        samsa_mirror_wanted(t, topic, partition)) {
        samsa_mirror_entry_t *e =
            samsa_mirror_store_get(&t->store, topic, partition);
        if (e != NULL) {
            samsa_mirror_checkpoint_seed(e, group, up, down);
        }
    }
    return 0;
}

void samsa_mirror_checkpoints_load(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    int64_t next = -1;
    const char *why = NULL;
    samsa_err_t err =
        samsa_mirror_read_topic(t, t->tgt, t->checkpoints_topic, &next, true, 0,
                                on_checkpoint, t, &why);
    if (err != SAMSA_OK && err != SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
        /* Not fatal: checkpoints already there are written once more. */
        svc->log(t->inst, SAMSA_LOG_WARN, "reading %s: %s",
                 t->checkpoints_topic,
                 why != NULL ? why : svc->kafka_errmsg(t->tgt));
    }
}

void samsa_mirror_checkpoint(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    group_list_t g = {.t = t};
    size_t n = t->store.n;
    if (n == 0) {
        return;
    }
    if (svc->kafka_groups(t->src, on_group, &g) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "listing groups on the source: %s",
                 svc->kafka_errmsg(t->src));
    }
    samsa_kafka_pos_t *up = svc->alloc(n * sizeof(*up));
    samsa_kafka_pos_t *down = svc->alloc(n * sizeof(*down));
    char(*remotes)[256] = svc->alloc(n * sizeof(*remotes));
    char **meta = svc->alloc(n * sizeof(*meta));
    for (size_t i = 0; up && down && remotes && meta && i < g.n; i++) {
        sync_group(t, g.names[i], t->store.v, n, up, down, remotes, meta);
    }
    svc->free(meta);
    for (size_t i = 0; i < g.n; i++) {
        svc->free(g.names[i]);
    }
    svc->free(g.names);
    svc->free(up);
    svc->free(down);
    svc->free(remotes);
}
