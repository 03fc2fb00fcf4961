/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/offsets.c - committed offsets: OffsetCommit, OffsetFetch, the
 * lag helper, OffsetDelete, DeleteGroups, and retention of the offsets of
 * empty groups. Every change is written to __consumer_offsets before memory
 * changes, so memory never shows what the log does not hold.
 */
#include "group/group_int.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

typedef struct tp_key {
    const char *topic;
    int32_t partition;
} tp_key_t;

static uint64_t tp_hash(const char *topic, int32_t partition)
{
    uint64_t h = samsa_hmap_hash(SAMSA_HMAP_SEED, topic, strlen(topic) + 1);
    return samsa_hmap_hash(h, &partition, sizeof(partition));
}

static bool tp_eq(const samsa_hmap_entry_t *e, const void *key)
{
    const offset_ent_t *o = (const offset_ent_t *)e;
    const tp_key_t *k = key;
    return o->partition == k->partition && strcmp(o->topic, k->topic) == 0;
}

offset_ent_t *samsa_gc_offset_find(group_t *g, const char *topic,
                                   int32_t partition)
{
    tp_key_t k = {topic, partition};
    return (offset_ent_t *)samsa_hmap_find(
        &g->offsets, tp_hash(topic, partition), tp_eq, &k);
}

static void offset_free(offset_ent_t *o)
{
    free(o->topic);
    free(o->metadata);
    free(o);
}

samsa_err_t samsa_gc_offset_set(group_t *g, const char *topic,
                                int32_t partition, int64_t offset,
                                int32_t epoch, const char *metadata,
                                int64_t commit_ts)
{
    char *md = strdup(metadata ? metadata : "");
    if (!md) {
        return SAMSA_ERR_NOMEM;
    }
    offset_ent_t *o = samsa_gc_offset_find(g, topic, partition);
    if (!o) {
        o = calloc(1, sizeof(*o));
        if (!o || !(o->topic = strdup(topic))) {
            free(o);
            free(md);
            return SAMSA_ERR_NOMEM;
        }
        o->partition = partition;
        if (samsa_hmap_insert(&g->offsets, &o->e, tp_hash(topic, partition)) !=
            SAMSA_OK) {
            free(md);
            offset_free(o);
            return SAMSA_ERR_NOMEM;
        }
    }
    free(o->metadata);
    o->metadata = md;
    o->offset = offset;
    o->leader_epoch = epoch;
    o->commit_ts = commit_ts;
    return SAMSA_OK;
}

void samsa_gc_offset_remove(group_t *g, offset_ent_t *o)
{
    samsa_hmap_remove(&g->offsets, &o->e);
    offset_free(o);
}

void samsa_gc_offsets_clear(group_t *g)
{
    size_t i;
    samsa_hmap_entry_t *e = samsa_hmap_first(&g->offsets, &i);
    while (e) {
        samsa_hmap_entry_t *n = samsa_hmap_next(&g->offsets, e, &i);
        offset_free((offset_ent_t *)e);
        e = n;
    }
    samsa_hmap_free(&g->offsets);
}

/* Storage failures become what Kafka answers for them. */
static samsa_err_t commit_error(samsa_err_t err)
{
    switch (err) {
    case SAMSA_OK:
        return SAMSA_OK;
    case SAMSA_ERR_MESSAGE_TOO_LARGE:
    case SAMSA_ERR_RECORD_LIST_TOO_LARGE:
    case SAMSA_ERR_TOO_LARGE:
        return SAMSA_ERR_INVALID_COMMIT_OFFSET_SIZE;
    default:
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
}

/* ---------------------------------------------------------------------- */
/* OffsetCommit                                                           */
/* ---------------------------------------------------------------------- */

static samsa_err_t commit_validate(samsa_group_coordinator_t *gc,
                                   const samsa_offset_commit_req_t *req,
                                   group_t **gp)
{
    const char *mid = req->member_id ? req->member_id : "";
    if (!req->group_id || !req->group_id[0]) {
        return gc->stopped ? SAMSA_ERR_COORDINATOR_NOT_AVAILABLE
                           : SAMSA_ERR_INVALID_GROUP_ID;
    }
    samsa_err_t serving = samsa_gc_serving(gc, req->group_id);
    if (serving != SAMSA_OK) {
        return serving;
    }
    group_t *g = samsa_gc_group_find(gc, req->group_id);
    if (!g) {
        /* Only a group outside group management (generation < 0) may
         * create the group by committing. */
        if (req->generation_id >= 0) {
            return SAMSA_ERR_ILLEGAL_GENERATION;
        }
        *gp = samsa_gc_group_create(gc, req->group_id);
        return *gp ? SAMSA_OK : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    *gp = g;
    if (req->transactional) {
        return SAMSA_OK;
    }
    if (req->generation_id >= 0 || mid[0] || req->group_instance_id) {
        return samsa_gc_group_validate_commit(g, mid, req->group_instance_id,
                                              req->generation_id);
    }
    /* A "simple" commit is only for groups without members. */
    return g->nmembers == 0 ? SAMSA_OK : SAMSA_ERR_UNKNOWN_MEMBER_ID;
}

samsa_err_t samsa_gc_commit_parts(samsa_group_coordinator_t *gc, group_t *g,
                                  samsa_err_t err,
                                  samsa_offset_commit_part_t *parts,
                                  size_t count, int64_t ts, int64_t pid,
                                  int16_t epoch)
{
    offset_ent_t *ents = NULL;
    const offset_ent_t **ptrs = NULL;
    size_t n = 0;
    if (err == SAMSA_OK) {
        ents = calloc(count ? count : 1, sizeof(*ents));
        ptrs = calloc(count ? count : 1, sizeof(*ptrs));
        err = ents && ptrs ? SAMSA_OK : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    for (size_t i = 0; i < count; i++) {
        samsa_offset_commit_part_t *p = &parts[i];
        p->error = err;
        if (err != SAMSA_OK) {
            continue;
        }
        const char *md = p->metadata ? p->metadata : "";
        if (gc->opts.max_metadata_size >= 0 &&
            strlen(md) > (size_t)gc->opts.max_metadata_size) {
            p->error = SAMSA_ERR_OFFSET_METADATA_TOO_LARGE;
            continue;
        }
        ents[n] = (offset_ent_t){.topic = (char *)p->topic,
                                 .partition = p->partition,
                                 .offset = p->offset,
                                 .leader_epoch = p->leader_epoch,
                                 .metadata = (char *)md,
                                 .commit_ts = ts};
        ptrs[n] = &ents[n];
        n++;
    }
    if (err == SAMSA_OK && n > 0) {
        samsa_err_t perr = commit_error(samsa_gc_persist_offsets(
            gc, g, ptrs, NULL, NULL, n, 0, pid, epoch));
        for (size_t i = 0; i < count; i++) {
            samsa_offset_commit_part_t *p = &parts[i];
            if (p->error != SAMSA_OK) {
                continue;
            }
            /* A transaction's offsets wait for its marker. */
            p->error =
                perr != SAMSA_OK ? perr
                : pid >= 0
                    ? commit_error(samsa_gc_txn_pending_add(g, pid, p, ts))
                    : commit_error(samsa_gc_offset_set(
                          g, p->topic, p->partition, p->offset, p->leader_epoch,
                          p->metadata, ts));
        }
    }
    free(ents);
    free(ptrs);
    return err;
}

samsa_err_t samsa_group_offset_commit(samsa_group_coordinator_t *gc,
                                      const samsa_offset_commit_req_t *req,
                                      samsa_offset_commit_part_t *parts,
                                      size_t count)
{
    pthread_mutex_lock(&gc->lock);
    group_t *g = NULL;
    samsa_err_t err = commit_validate(gc, req, &g);
    int64_t ts =
        req->commit_timestamp >= 0 ? req->commit_timestamp : samsa_wall_ms();
    err = samsa_gc_commit_parts(gc, g, err, parts, count, ts, -1, -1);
    pthread_mutex_unlock(&gc->lock);
    return err;
}

/* ---------------------------------------------------------------------- */
/* OffsetFetch, lag                                                       */
/* ---------------------------------------------------------------------- */

static int offset_cmp(const void *a, const void *b)
{
    const samsa_group_offset_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c) {
        return c;
    }
    return (x->partition > y->partition) - (x->partition < y->partition);
}

static samsa_err_t fill_offset(samsa_group_offset_t *d, const char *topic,
                               int32_t partition, const offset_ent_t *o)
{
    d->topic = strdup(topic);
    d->partition = partition;
    d->offset = o ? o->offset : -1;
    d->leader_epoch = o ? o->leader_epoch : -1;
    d->metadata = strdup(o ? o->metadata : "");
    d->commit_timestamp = o ? o->commit_ts : -1;
    d->high_watermark = -1;
    d->lag = -1;
    return d->topic && d->metadata ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

static samsa_err_t fetch_locked(group_t *g, const samsa_group_tp_t *tps,
                                size_t count, bool stable,
                                samsa_group_offsets_t *out)
{
    size_t n = tps ? count : (g ? g->offsets.count : 0);
    out->items = calloc(n ? n : 1, sizeof(*out->items));
    if (!out->items) {
        return SAMSA_ERR_NOMEM;
    }
    if (tps) {
        for (size_t i = 0; i < count; i++) {
            const offset_ent_t *o =
                g ? samsa_gc_offset_find(g, tps[i].topic, tps[i].partition)
                  : NULL;
            out->count++;
            if (fill_offset(&out->items[i], tps[i].topic, tps[i].partition,
                            o) != SAMSA_OK) {
                return SAMSA_ERR_NOMEM;
            }
            if (stable && g &&
                samsa_gc_txn_pending_has(g, tps[i].topic, tps[i].partition)) {
                out->items[i].error = SAMSA_ERR_UNSTABLE_OFFSET_COMMIT;
            }
        }
        return SAMSA_OK;
    }
    size_t i;
    for (samsa_hmap_entry_t *e = g ? samsa_hmap_first(&g->offsets, &i) : NULL;
         e; e = samsa_hmap_next(&g->offsets, e, &i)) {
        const offset_ent_t *o = (const offset_ent_t *)e;
        if (fill_offset(&out->items[out->count++], o->topic, o->partition, o) !=
            SAMSA_OK) {
            return SAMSA_ERR_NOMEM;
        }
    }
    qsort(out->items, out->count, sizeof(*out->items), offset_cmp);
    return SAMSA_OK;
}

samsa_err_t samsa_group_offset_fetch(samsa_group_coordinator_t *gc,
                                     const char *group_id,
                                     const samsa_group_tp_t *tps, size_t count,
                                     samsa_group_offsets_t *out)
{
    return samsa_group_offset_fetch_stable(gc, group_id, tps, count, false,
                                           out);
}

samsa_err_t samsa_group_offset_fetch_stable(samsa_group_coordinator_t *gc,
                                            const char *group_id,
                                            const samsa_group_tp_t *tps,
                                            size_t count, bool require_stable,
                                            samsa_group_offsets_t *out)
{
    out->items = NULL;
    out->count = 0;
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err = samsa_gc_serving(gc, group_id);
    if (err == SAMSA_OK) {
        err = fetch_locked(samsa_gc_group_find(gc, group_id), tps, count,
                           require_stable, out);
    }
    pthread_mutex_unlock(&gc->lock);
    if (err != SAMSA_OK) {
        samsa_group_offsets_free(out);
    }
    return err;
}

void samsa_group_offsets_free(samsa_group_offsets_t *offs)
{
    for (size_t i = 0; offs->items && i < offs->count; i++) {
        free(offs->items[i].topic);
        free(offs->items[i].metadata);
    }
    free(offs->items);
    offs->items = NULL;
    offs->count = 0;
}

samsa_err_t samsa_group_lag(samsa_group_coordinator_t *gc, const char *group_id,
                            samsa_group_offsets_t *out)
{
    out->items = NULL;
    out->count = 0;
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err = samsa_gc_serving(gc, group_id);
    group_t *g = NULL;
    if (err == SAMSA_OK) {
        g = samsa_gc_group_find(gc, group_id);
        err = g ? fetch_locked(g, NULL, 0, false, out)
                : SAMSA_ERR_GROUP_ID_NOT_FOUND;
    }
    pthread_mutex_unlock(&gc->lock);
    if (err != SAMSA_OK) {
        samsa_group_offsets_free(out);
        return err;
    }
    /* High watermarks are read outside the coordinator lock. */
    for (size_t i = 0; gc->opts.logmgr && i < out->count; i++) {
        samsa_group_offset_t *o = &out->items[i];
        samsa_topic_t *t = samsa_logmgr_topic_get(gc->opts.logmgr, o->topic);
        samsa_partition_t *p =
            t ? samsa_topic_partition(t, o->partition) : NULL;
        if (p) {
            o->high_watermark = samsa_partition_hw(p);
            o->lag = o->offset >= 0 && o->high_watermark >= o->offset
                         ? o->high_watermark - o->offset
                         : (o->offset >= 0 ? 0 : -1);
        }
        samsa_topic_put(t);
    }
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* OffsetDelete, DeleteGroups                                             */
/* ---------------------------------------------------------------------- */

/* Write tombstones for these offsets, then drop them from memory. */
static samsa_err_t delete_offsets(samsa_group_coordinator_t *gc, group_t *g,
                                  offset_ent_t **dels, size_t n)
{
    if (n == 0) {
        return SAMSA_OK;
    }
    const char **topics = calloc(n, sizeof(*topics));
    int32_t *parts = calloc(n, sizeof(*parts));
    samsa_err_t err = topics && parts ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        topics[i] = dels[i]->topic;
        parts[i] = dels[i]->partition;
    }
    if (err == SAMSA_OK) {
        err =
            samsa_gc_persist_offsets(gc, g, NULL, topics, parts, 0, n, -1, -1);
    }
    if (err == SAMSA_OK) {
        for (size_t i = 0; i < n; i++) {
            samsa_gc_offset_remove(g, dels[i]);
        }
    }
    free(topics);
    free(parts);
    return err;
}

/* Whether a member subscribes to topic per its consumer protocol metadata
 * (the selected protocol's, or any protocol's before one is selected).
 * Metadata that does not parse counts as subscribed to everything, so an
 * active group's offsets are never deleted by mistake. */
static bool subscribed(const group_t *g, const char *topic)
{
    for (size_t i = 0; i < g->nmembers; i++) {
        const member_t *m = g->members[i];
        for (size_t k = 0; k < m->nprotos; k++) {
            if (g->protocol && strcmp(m->protos[k].name, g->protocol)) {
                continue;
            }
            char **topics;
            size_t nt;
            if (samsa_consumer_subscription_topics(m->protos[k].meta,
                                                   m->protos[k].len, &topics,
                                                   &nt) != SAMSA_OK) {
                return true;
            }
            bool found = false;
            for (size_t t = 0; t < nt; t++) {
                found = found || strcmp(topics[t], topic) == 0;
            }
            samsa_group_topics_free(topics, nt);
            if (found) {
                return true;
            }
        }
    }
    return false;
}

samsa_err_t samsa_group_offset_delete(samsa_group_coordinator_t *gc,
                                      const char *group_id,
                                      samsa_group_tp_t *tps, size_t count)
{
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err = samsa_gc_serving(gc, group_id);
    group_t *g = err ? NULL : samsa_gc_group_find(gc, group_id);
    if (err == SAMSA_OK && !g) {
        err = SAMSA_ERR_GROUP_ID_NOT_FOUND;
    } else if (err == SAMSA_OK && g->nmembers > 0 &&
               (!g->protocol_type || strcmp(g->protocol_type, "consumer"))) {
        err = SAMSA_ERR_NON_EMPTY_GROUP;
    }
    offset_ent_t **dels = calloc(count ? count : 1, sizeof(*dels));
    size_t n = 0;
    if (err == SAMSA_OK && !dels) {
        err = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    for (size_t i = 0; i < count; i++) {
        tps[i].error = err;
        if (err != SAMSA_OK) {
            continue;
        }
        if (g->nmembers > 0 && subscribed(g, tps[i].topic)) {
            tps[i].error = SAMSA_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
            continue;
        }
        offset_ent_t *o =
            samsa_gc_offset_find(g, tps[i].topic, tps[i].partition);
        bool dup = false;
        for (size_t k = 0; o && k < n; k++) {
            dup = dup || dels[k] == o;
        }
        if (o && !dup) {
            dels[n++] = o;
        }
    }
    if (err == SAMSA_OK) {
        samsa_err_t derr = commit_error(delete_offsets(gc, g, dels, n));
        for (size_t i = 0; derr != SAMSA_OK && i < count; i++) {
            if (tps[i].error == SAMSA_OK) {
                tps[i].error = derr;
            }
        }
    }
    pthread_mutex_unlock(&gc->lock);
    free(dels);
    return err;
}

/* Tombstone every offset and the group record, then forget the group. */
static samsa_err_t group_delete_locked(samsa_group_coordinator_t *gc,
                                       group_t *g)
{
    size_t n = g->offsets.count, k = 0, i;
    offset_ent_t **dels = calloc(n ? n : 1, sizeof(*dels));
    if (!dels) {
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    for (samsa_hmap_entry_t *e = samsa_hmap_first(&g->offsets, &i); e;
         e = samsa_hmap_next(&g->offsets, e, &i)) {
        dels[k++] = (offset_ent_t *)e;
    }
    samsa_err_t err = delete_offsets(gc, g, dels, k);
    free(dels);
    if (err == SAMSA_OK) {
        err = samsa_gc_persist_group(gc, g, true);
    }
    if (err == SAMSA_OK) {
        samsa_gc_group_remove(gc, g);
    }
    return commit_error(err);
}

samsa_err_t samsa_group_delete(samsa_group_coordinator_t *gc,
                               const char *group_id)
{
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err;
    group_t *g = NULL;
    if (gc->stopped) {
        err = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    } else if (!group_id || !group_id[0]) {
        err = SAMSA_ERR_INVALID_GROUP_ID;
    } else if ((err = samsa_gc_serving(gc, group_id)) != SAMSA_OK) {
        /* not coordinated here (now) */
    } else if (!(g = samsa_gc_group_find(gc, group_id))) {
        err = SAMSA_ERR_GROUP_ID_NOT_FOUND;
    } else if (g->state != GS_EMPTY || g->nmembers > 0) {
        err = SAMSA_ERR_NON_EMPTY_GROUP;
    } else {
        err = group_delete_locked(gc, g);
    }
    pthread_mutex_unlock(&gc->lock);
    return err;
}

/* ---------------------------------------------------------------------- */
/* Retention                                                              */
/* ---------------------------------------------------------------------- */

/* Offsets of an Empty group expire offsets_retention_ms after the later of
 * the group becoming empty and their commit (Kafka counts from the state
 * change only; counting from the commit too keeps fresh simple commits of
 * groups that never had members). A group left with no offsets and no
 * pending members disappears, as in Kafka. */
void samsa_gc_offsets_expire(samsa_group_coordinator_t *gc, int64_t now_wall)
{
    size_t gi;
    samsa_hmap_entry_t *ge = samsa_hmap_first(&gc->groups, &gi);
    while (ge) {
        samsa_hmap_entry_t *gn = samsa_hmap_next(&gc->groups, ge, &gi);
        group_t *g = (group_t *)ge;
        ge = gn;
        if (g->state != GS_EMPTY || g->nmembers > 0) {
            continue;
        }
        size_t n = g->offsets.count, k = 0, i;
        offset_ent_t **dels = calloc(n ? n : 1, sizeof(*dels));
        if (!dels) {
            continue;
        }
        for (samsa_hmap_entry_t *e = samsa_hmap_first(&g->offsets, &i); e;
             e = samsa_hmap_next(&g->offsets, e, &i)) {
            offset_ent_t *o = (offset_ent_t *)e;
            int64_t base =
                o->commit_ts > g->state_ts ? o->commit_ts : g->state_ts;
            if (now_wall - base >= gc->opts.offsets_retention_ms) {
                dels[k++] = o;
            }
        }
        samsa_err_t err = delete_offsets(gc, g, dels, k);
        free(dels);
        if (err == SAMSA_OK && g->offsets.count == 0 && g->npending == 0) {
            if (samsa_gc_persist_group(gc, g, true) == SAMSA_OK) {
                samsa_gc_group_remove(gc, g);
            }
        }
    }
}
