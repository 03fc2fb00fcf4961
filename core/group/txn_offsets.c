/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/txn_offsets.c - offsets committed inside transactions
 * (TxnOffsetCommit, KIP-98/447), as Kafka's GroupMetadataManager keeps
 * them: written at once to the group's __consumer_offsets partition as
 * transactional records of the producer, held pending per producer id,
 * and made committed (or dropped) by the transaction's marker on that
 * partition. A replay of the partition rebuilds the same from the records
 * and markers, so a coordinator that takes the partition over knows both
 * the committed offsets and those of transactions still open.
 */
#include "group/group_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

static void pending_free(txn_pending_t *p)
{
    free(p->topic);
    free(p->metadata);
}

samsa_err_t samsa_gc_txn_pending_add(group_t *g, int64_t pid,
                                     const samsa_offset_commit_part_t *p,
                                     int64_t commit_ts)
{
    char *md = strdup(p->metadata ? p->metadata : "");
    if (!md) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < g->ntxn_offs; i++) {
        txn_pending_t *h = &g->txn_offs[i];
        if (h->pid == pid && h->partition == p->partition &&
            strcmp(h->topic, p->topic) == 0) {
            free(h->metadata);
            h->metadata = md;
            h->offset = p->offset;
            h->leader_epoch = p->leader_epoch;
            h->commit_ts = commit_ts;
            return SAMSA_OK;
        }
    }
    if (g->ntxn_offs == g->cap_txn_offs) {
        size_t cap = g->cap_txn_offs ? g->cap_txn_offs * 2 : 8;
        txn_pending_t *n = realloc(g->txn_offs, cap * sizeof(*n));
        if (!n) {
            free(md);
            return SAMSA_ERR_NOMEM;
        }
        g->txn_offs = n;
        g->cap_txn_offs = cap;
    }
    char *topic = strdup(p->topic);
    if (!topic) {
        free(md);
        return SAMSA_ERR_NOMEM;
    }
    txn_pending_t *h = &g->txn_offs[g->ntxn_offs++];
    h->pid = pid;
    h->topic = topic;
    h->partition = p->partition;
    h->offset = p->offset;
    h->leader_epoch = p->leader_epoch;
    h->metadata = md;
    h->commit_ts = commit_ts;
    return SAMSA_OK;
}

bool samsa_gc_txn_pending_has(const group_t *g, const char *topic,
                              int32_t partition)
{
    for (size_t i = 0; i < g->ntxn_offs; i++) {
        if (g->txn_offs[i].partition == partition &&
            strcmp(g->txn_offs[i].topic, topic) == 0) {
            return true;
        }
    }
    return false;
}

void samsa_gc_txn_pending_clear(group_t *g)
{
    for (size_t i = 0; i < g->ntxn_offs; i++) {
        pending_free(&g->txn_offs[i]);
    }
    free(g->txn_offs);
    g->txn_offs = NULL;
    g->ntxn_offs = g->cap_txn_offs = 0;
}

/* Commit or drop @p pid's pending offsets of @p g (lock held). */
static void complete_group(group_t *g, int64_t pid, bool commit)
{
    size_t keep = 0;
    for (size_t i = 0; i < g->ntxn_offs; i++) {
        txn_pending_t *h = &g->txn_offs[i];
        if (h->pid != pid) {
            g->txn_offs[keep++] = *h;
            continue;
        }
        if (commit) {
            /* Out of memory here loses the offset from memory only: the
             * log has it, and the next load brings it back. */
            (void)samsa_gc_offset_set(g, h->topic, h->partition, h->offset,
                                      h->leader_epoch, h->metadata,
                                      h->commit_ts);
        }
        pending_free(h);
    }
    g->ntxn_offs = keep;
}

void samsa_gc_txn_complete(samsa_group_coordinator_t *gc, int32_t partition,
                           int64_t pid, bool commit)
{
    size_t i;
    for (samsa_hmap_entry_t *e = samsa_hmap_first(&gc->groups, &i); e;
         e = samsa_hmap_next(&gc->groups, e, &i)) {
        group_t *g = (group_t *)e;
        if (g->ntxn_offs > 0 &&
            samsa_group_partition_for(gc, g->id) == partition) {
            complete_group(g, pid, commit);
        }
    }
}

void samsa_group_txn_marker(samsa_group_coordinator_t *gc, int32_t partition,
                            int64_t pid, bool commit)
{
    if (!gc) {
        return;
    }
    pthread_mutex_lock(&gc->lock);
    samsa_gc_txn_complete(gc, partition, pid, commit);
    pthread_mutex_unlock(&gc->lock);
}

/* Kafka's doTxnCommitOffsets checks (KIP-447), in its order. */
static samsa_err_t txn_validate(group_t *g,
                                const samsa_txn_offset_commit_req_t *req)
{
    const char *mid = req->member_id ? req->member_id : "";
    if (req->group_instance_id) {
        member_t *s = samsa_gc_member_find_static(g, req->group_instance_id);
        if (s && strcmp(s->id, mid) != 0) {
            return SAMSA_ERR_FENCED_INSTANCE_ID;
        }
    }
    if (mid[0] && !samsa_gc_member_find(g, mid)) {
        return SAMSA_ERR_UNKNOWN_MEMBER_ID;
    }
    if (req->generation_id >= 0 && req->generation_id != g->generation) {
        return SAMSA_ERR_ILLEGAL_GENERATION;
    }
    return SAMSA_OK;
}

samsa_err_t
samsa_group_txn_offset_commit(samsa_group_coordinator_t *gc,
                              const samsa_txn_offset_commit_req_t *req,
                              samsa_offset_commit_part_t *parts, size_t count)
{
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err = !req->group_id || !req->group_id[0]
                          ? SAMSA_ERR_INVALID_GROUP_ID
                          : samsa_gc_serving(gc, req->group_id);
    group_t *g = err ? NULL : samsa_gc_group_find(gc, req->group_id);
    if (err == SAMSA_OK && !g) {
        /* Kafka creates the group (Empty) for a transactional producer
         * outside group management. */
        g = samsa_gc_group_create(gc, req->group_id);
        err = g ? SAMSA_OK : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (err == SAMSA_OK) {
        err = txn_validate(g, req);
    }
    err = samsa_gc_commit_parts(gc, g, err, parts, count, samsa_wall_ms(),
                                req->producer_id, req->producer_epoch);
    pthread_mutex_unlock(&gc->lock);
    return err;
}
