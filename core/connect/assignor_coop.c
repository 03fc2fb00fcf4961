/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/assignor_coop.c - Kafka Connect's
 * IncrementalCooperativeAssignor (KIP-415); see assignor.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "connect/assignor.h"

/* One configured connector (task -1) or task, and where it goes. */
typedef struct item {
    const char *connector;
    int32_t task;
    int owner; /* the member running it, -1: none */
    int dest;  /* where it runs after this round, -1: nowhere */
    bool held; /* lost: waits for the scheduled rebalance */
} item_t;

typedef struct round {
    item_t *items;
    int nitems;
    int nmembers;
    const int *members; /* member indexes in id order */
    int *load[2];       /* per member: [0] connectors, [1] tasks */
    samsa_connect_assignment_t *out;
} round_t;

void samsa_connect_coop_memory_clear(samsa_connect_coop_memory_t *mem)
{
    for (int32_t i = 0; mem->previous != NULL && i < mem->n; i++) {
        samsa_connect_assignment_free(&mem->previous[i]);
    }
    free(mem->previous);
    memset(mem, 0, sizeof(*mem));
}

static int find_item(const round_t *r, const char *name, int32_t task)
{
    for (int i = 0; i < r->nitems; i++) {
        if (r->items[i].task == task &&
            strcmp(r->items[i].connector, name) == 0) {
            return i;
        }
    }
    return -1;
}

static int kind(const item_t *it)
{
    return it->task == SAMSA_CONNECT_CONNECTOR_TASK ? 0 : 1;
}

/* What the members run: owners, and revocations of what is no longer
 * configured or runs twice (the first member in id order keeps it). */
static samsa_err_t take_running(round_t *r,
                                const samsa_connect_assignment_t *running)
{
    samsa_err_t err = SAMSA_OK;
    for (int mi = 0; err == SAMSA_OK && mi < r->nmembers; mi++) {
        int m = r->members[mi];
        const samsa_connect_assignment_t *a = &running[m];
        for (int32_t i = 0; err == SAMSA_OK && i < a->nshares; i++) {
            const samsa_connect_share_t *s = &a->shares[i];
            for (int32_t k = 0; err == SAMSA_OK && k < s->ntasks; k++) {
                int idx = find_item(r, s->connector, s->tasks[k]);
                if (idx >= 0 && r->items[idx].owner < 0) {
                    r->items[idx].owner = m;
                    r->items[idx].dest = m;
                    r->load[kind(&r->items[idx])][m]++;
                } else {
                    err = samsa_connect_share_add(&r->out[m].revoked,
                                                  &r->out[m].nrevoked,
                                                  s->connector, s->tasks[k]);
                }
            }
        }
    }
    return err;
}

/* Assigned last round, run by nobody now: its worker left. Returns
 * whether any is lost. */
static bool find_lost(round_t *r, const samsa_connect_coop_memory_t *mem)
{
    bool any = false;
    for (int32_t p = 0; p < mem->n; p++) {
        const samsa_connect_assignment_t *a = &mem->previous[p];
        for (int32_t i = 0; i < a->nshares; i++) {
            const samsa_connect_share_t *s = &a->shares[i];
            for (int32_t k = 0; k < s->ntasks; k++) {
                int idx = find_item(r, s->connector, s->tasks[k]);
                if (idx >= 0 && r->items[idx].owner < 0) {
                    r->items[idx].held = true;
                    any = true;
                }
            }
        }
    }
    return any;
}

/* Kafka's scheduled rebalance: lost work waits up to max_delay_ms for
 * its worker to come back; returns the delay to send (0: none). */
static int32_t schedule(round_t *r, bool lost, int64_t now_ms,
                        int32_t max_delay_ms, samsa_connect_coop_memory_t *mem)
{
    if (lost && max_delay_ms > 0 &&
        (mem->deadline_ms == 0 || now_ms < mem->deadline_ms)) {
        if (mem->deadline_ms == 0) {
            mem->deadline_ms = now_ms + max_delay_ms;
        }
        int64_t left = mem->deadline_ms - now_ms;
        return left < 1 ? 1 : (int32_t)left;
    }
    /* Nothing lost, or its time has come: hand it out now. */
    mem->deadline_ms = 0;
    for (int i = 0; i < r->nitems; i++) {
        r->items[i].held = false;
    }
    return 0;
}

/* The members in descending load of kind @p k (ties in id order). */
static void by_load(const round_t *r, int k, int *order)
{
    for (int i = 0; i < r->nmembers; i++) {
        int m = r->members[i];
        int j = i;
        for (; j > 0 && r->load[k][order[j - 1]] < r->load[k][m]; j--) {
            order[j] = order[j - 1];
        }
        order[j] = m;
    }
}

/* When a member has less than its fair share of kind @p k, the ones above
 * theirs give up the excess (their last items): revoked now, assigned at
 * the next round. Returns whether anything was revoked. */
static samsa_err_t balance(round_t *r, int k, int *order, bool *revoked)
{
    int total = 0;
    for (int i = 0; i < r->nitems; i++) {
        total += kind(&r->items[i]) == k;
    }
    int floor_share = total / r->nmembers, rem = total % r->nmembers;
    bool short_one = false;
    for (int m = 0; m < r->nmembers; m++) {
        short_one |= r->load[k][m] < floor_share;
    }
    if (!short_one) {
        return SAMSA_OK;
    }
    by_load(r, k, order);
    samsa_err_t err = SAMSA_OK;
    for (int oi = 0; err == SAMSA_OK && oi < r->nmembers; oi++) {
        int m = order[oi];
        int allowed = floor_share + (oi < rem ? 1 : 0);
        for (int i = r->nitems - 1;
             err == SAMSA_OK && i >= 0 && r->load[k][m] > allowed; i--) {
            item_t *it = &r->items[i];
            if (kind(it) != k || it->owner != m || it->dest != m) {
                continue;
            }
            it->dest = -1;
            r->load[k][m]--;
            *revoked = true;
            err =
                samsa_connect_share_add(&r->out[m].revoked, &r->out[m].nrevoked,
                                        it->connector, it->task);
        }
    }
    return err;
}

/* Everything run by nobody and not held to the least loaded member. */
static samsa_err_t hand_out(round_t *r)
{
    samsa_err_t err = SAMSA_OK;
    for (int i = 0; err == SAMSA_OK && i < r->nitems; i++) {
        item_t *it = &r->items[i];
        if (it->owner >= 0 || it->held) {
            continue;
        }
        int k = kind(it), best = r->members[0];
        for (int mi = 1; mi < r->nmembers; mi++) {
            int m = r->members[mi];
            best = r->load[k][m] < r->load[k][best] ? m : best;
        }
        it->dest = best;
        r->load[k][best]++;
        err =
            samsa_connect_share_add(&r->out[best].shares, &r->out[best].nshares,
                                    it->connector, it->task);
    }
    return err;
}

/* The leader's memory for the next round: where everything runs, and
 * the held items (last entry). */
static samsa_err_t remember(const round_t *r, samsa_connect_coop_memory_t *mem)
{
    samsa_connect_coop_memory_t next = {.deadline_ms = mem->deadline_ms};
    next.previous = calloc((size_t)r->nmembers + 1, sizeof(*next.previous));
    if (next.previous == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    next.n = r->nmembers + 1;
    samsa_err_t err = SAMSA_OK;
    for (int i = 0; err == SAMSA_OK && i < r->nitems; i++) {
        const item_t *it = &r->items[i];
        int slot = it->held ? r->nmembers : it->dest;
        if (slot >= 0) {
            samsa_connect_assignment_t *a = &next.previous[slot];
            err = samsa_connect_share_add(&a->shares, &a->nshares,
                                          it->connector, it->task);
        }
    }
    int revoked = 0;
    for (int m = 0; m < r->nmembers; m++) {
        revoked |= r->out[m].nrevoked > 0;
    }
    if (err != SAMSA_OK) {
        samsa_connect_coop_memory_clear(&next);
        return err;
    }
    samsa_connect_coop_memory_clear(mem);
    *mem = next;
    mem->revoked = revoked;
    return SAMSA_OK;
}

static samsa_err_t make_items(round_t *r, int nconnectors,
                              const char *const *connectors,
                              const int32_t *ntasks)
{
    int *conns = samsa_connect_sorted_order(nconnectors, connectors);
    int n = 0;
    for (int c = 0; c < nconnectors; c++) {
        n += 1 + (ntasks[c] > 0 ? ntasks[c] : 0);
    }
    r->items = calloc((size_t)n + 1, sizeof(*r->items));
    if (conns == NULL || r->items == NULL) {
        free(conns);
        return SAMSA_ERR_NOMEM;
    }
    for (int ci = 0; ci < nconnectors; ci++) {
        int c = conns[ci];
        for (int32_t t = SAMSA_CONNECT_CONNECTOR_TASK; t < ntasks[c]; t++) {
            r->items[r->nitems++] = (item_t){
                .connector = connectors[c], .task = t, .owner = -1, .dest = -1};
        }
    }
    free(conns);
    return SAMSA_OK;
}

samsa_err_t samsa_connect_assign_cooperative(
    int nmembers, const char *const *member_ids,
    const samsa_connect_assignment_t *running, int nconnectors,
    const char *const *connectors, const int32_t *ntasks, int64_t now_ms,
    int32_t max_delay_ms, samsa_connect_coop_memory_t *mem,
    samsa_connect_assignment_t *out)
{
    samsa_connect_assignments_clear(out, nmembers);
    if (nmembers == 0) {
        return SAMSA_OK;
    }
    int *members = samsa_connect_sorted_order(nmembers, member_ids);
    int *order = calloc((size_t)nmembers, sizeof(int));
    round_t r = {.nmembers = nmembers, .members = members, .out = out};
    r.load[0] = calloc((size_t)nmembers, sizeof(int));
    r.load[1] = calloc((size_t)nmembers, sizeof(int));
    samsa_err_t err = members && order && r.load[0] && r.load[1]
                          ? make_items(&r, nconnectors, connectors, ntasks)
                          : SAMSA_ERR_NOMEM;
    if (err == SAMSA_OK) {
        err = take_running(&r, running);
    }
    int32_t delay = 0;
    if (err == SAMSA_OK) {
        delay = schedule(&r, find_lost(&r, mem), now_ms, max_delay_ms, mem);
    }
    bool revoked = false;
    /* Never two revoking rounds in a row: the first one's revocations
     * are handed out before anything more moves. */
    for (int k = 0; err == SAMSA_OK && !mem->revoked && k < 2; k++) {
        err = balance(&r, k, order, &revoked);
    }
    if (err == SAMSA_OK) {
        err = hand_out(&r);
    }
    if (err == SAMSA_OK) {
        err = remember(&r, mem);
    }
    for (int m = 0; m < nmembers; m++) {
        out[m].delay = delay;
        if (err != SAMSA_OK) {
            samsa_connect_assignment_free(&out[m]);
        }
    }
    free(r.items);
    free(r.load[0]);
    free(r.load[1]);
    free(order);
    free(members);
    return err;
}
