/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/placement.c - see placement.h. */
#include "metadata/placement.h"

#include <stdlib.h>
#include <string.h>

static const char *rack_of(const samsa_meta_broker_t *b)
{
    return b->rack ? b->rack : "";
}

/* Live brokers ordered rack by rack in turn: r1's first, r2's first, ...,
 * r1's second, ... (ids ascending inside a rack). */
static size_t rack_alternating(const samsa_meta_image_t *img, int32_t *out)
{
    size_t n = 0, live = 0;
    bool *taken = calloc(img->broker_count + 1, sizeof(bool));
    if (!taken) {
        return 0;
    }
    for (size_t i = 0; i < img->broker_count; i++) {
        live += !img->brokers[i].fenced;
    }
    while (n < live) {
        /* One round: the first untaken broker of each rack not yet seen
         * in this round. */
        const char *seen[256];
        size_t nseen = 0;
        for (size_t i = 0; i < img->broker_count; i++) {
            const samsa_meta_broker_t *b = &img->brokers[i];
            if (b->fenced || taken[i]) {
                continue;
            }
            bool dup = false;
            for (size_t k = 0; k < nseen; k++) {
                dup = dup || strcmp(seen[k], rack_of(b)) == 0;
            }
            if (dup) {
                continue;
            }
            if (nseen < 256) {
                seen[nseen++] = rack_of(b);
            }
            taken[i] = true;
            out[n++] = b->id;
        }
    }
    free(taken);
    return n;
}

static const char *rack_of_id(const samsa_meta_image_t *img, int32_t id)
{
    const samsa_meta_broker_t *b = samsa_meta_broker(img, id);
    return b ? rack_of(b) : "";
}

/* How many racks the @p n brokers @p ids are in. */
static size_t rack_count(const samsa_meta_image_t *img, const int32_t *ids,
                         size_t n)
{
    size_t racks = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            seen =
                strcmp(rack_of_id(img, ids[k]), rack_of_id(img, ids[i])) == 0;
        }
        racks += !seen;
    }
    return racks;
}

/* The replica after @p chosen[0..count-1]: the next broker of @p order
 * after position @p first that is not chosen yet and, until every rack has
 * a replica, in a rack without one (Kafka's rack-aware assignment skips
 * such brokers the same way). Consecutive positions alone put two replicas
 * in one rack when the racks are uneven (a, b, a: the third partition got
 * both a's). */
static int32_t next_replica(const samsa_meta_image_t *img, const int32_t *order,
                            size_t n, uint32_t first, const int32_t *chosen,
                            int32_t count, size_t racks)
{
    size_t used_racks = rack_count(img, chosen, (size_t)count);
    int32_t fallback = -1;
    for (size_t step = 1; step < n; step++) {
        int32_t id = order[(first + step) % n];
        bool taken = false, rack_used = false;
        for (int32_t c = 0; c < count; c++) {
            taken = taken || chosen[c] == id;
            rack_used = rack_used || strcmp(rack_of_id(img, chosen[c]),
                                            rack_of_id(img, id)) == 0;
        }
        if (taken) {
            continue;
        }
        if (!rack_used || used_racks >= racks) {
            return id;
        }
        if (fallback < 0) {
            fallback = id;
        }
    }
    return fallback;
}

samsa_err_t samsa_meta_place(const samsa_meta_image_t *img,
                             samsa_meta_topic_t *t, int32_t partitions,
                             int32_t replication_factor, uint32_t start)
{
    int32_t *order = calloc(img->broker_count + 1, sizeof(int32_t));
    if (!order) {
        return SAMSA_ERR_NOMEM;
    }
    size_t n = rack_alternating(img, order);
    size_t racks = rack_count(img, order, n);
    samsa_err_t err = SAMSA_OK;
    if (partitions <= 0) {
        err = SAMSA_ERR_INVALID_PARTITIONS;
    } else if (replication_factor <= 0 || (size_t)replication_factor > n) {
        err = SAMSA_ERR_INVALID_REPLICATION_FACTOR;
    }
    if (err == SAMSA_OK) {
        t->partitions = calloc((size_t)partitions, sizeof(*t->partitions));
        err = t->partitions ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int32_t p = 0; err == SAMSA_OK && p < partitions; p++) {
        samsa_meta_partition_t *mp = &t->partitions[p];
        t->partition_count = p + 1;
        mp->replicas = calloc((size_t)replication_factor, sizeof(int32_t));
        if (!mp->replicas) {
            err = SAMSA_ERR_NOMEM;
            break;
        }
        uint32_t first = (start + (uint32_t)p) % (uint32_t)n;
        mp->replicas[0] = order[first];
        for (int32_t r = 1; r < replication_factor; r++) {
            mp->replicas[r] =
                next_replica(img, order, n, first, mp->replicas, r, racks);
        }
        mp->replica_count = replication_factor;
        err = samsa_meta_initial_isr(img, mp);
    }
    free(order);
    return err;
}

samsa_err_t samsa_meta_initial_isr(const samsa_meta_image_t *img,
                                   samsa_meta_partition_t *p)
{
    p->isr = calloc((size_t)p->replica_count + 1, sizeof(int32_t));
    if (!p->isr) {
        return SAMSA_ERR_NOMEM;
    }
    p->isr_count = 0;
    for (int32_t r = 0; r < p->replica_count; r++) {
        const samsa_meta_broker_t *b = samsa_meta_broker(img, p->replicas[r]);
        if (b && !b->fenced) {
            p->isr[p->isr_count++] = p->replicas[r];
        }
    }
    p->leader = p->isr_count > 0 ? p->isr[0] : -1;
    return p->isr_count > 0 ? SAMSA_OK : SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
}
