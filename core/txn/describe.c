/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/txn/describe.c - DescribeTransactions and ListTransactions (KIP-664)
 * over the coordinator's table: copies made under its lock.
 */
#include "txn/txn_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/clock.h"

/* Kafka's TransactionState names, by id. */
static const char *const STATE_NAMES[] = {
    "Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence",
};

static const char *state_name(txn_state_t st)
{
    return (size_t)st < sizeof(STATE_NAMES) / sizeof(STATE_NAMES[0])
               ? STATE_NAMES[st]
               : "Unknown";
}

bool samsa_txn_state_known(const char *name)
{
    for (size_t i = 0; i < sizeof(STATE_NAMES) / sizeof(STATE_NAMES[0]); i++) {
        if (strcasecmp(name, STATE_NAMES[i]) == 0) {
            return true;
        }
    }
    return false;
}

void samsa_txn_desc_free(samsa_txn_desc_t *desc)
{
    for (size_t i = 0; i < desc->count; i++) {
        free(desc->topics[i]);
    }
    free(desc->topics);
    free(desc->partitions);
    free(desc->txn_id);
    memset(desc, 0, sizeof(*desc));
}

static samsa_err_t describe_locked(const txn_t *t, samsa_txn_desc_t *out)
{
    out->txn_id = strdup(t->id);
    out->state = state_name(t->state);
    out->timeout_ms = t->timeout_ms;
    out->start_ms = t->start_ms;
    out->pid = t->pid;
    out->epoch = t->epoch;
    out->topics = calloc(t->ntps ? t->ntps : 1, sizeof(*out->topics));
    out->partitions = calloc(t->ntps ? t->ntps : 1, sizeof(*out->partitions));
    if (!out->txn_id || !out->topics || !out->partitions) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->ntps; i++) {
        if (!(out->topics[i] = strdup(t->tps[i].topic))) {
            return SAMSA_ERR_NOMEM;
        }
        out->partitions[i] = t->tps[i].partition;
        out->count++;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_txn_describe(samsa_txn_coordinator_t *tc, const char *txn_id,
                               samsa_txn_desc_t *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&tc->lock);
    txn_t *t = samsa_txn_find(tc, txn_id);
    samsa_err_t err = samsa_txn_serving(tc, txn_id);
    if (err == SAMSA_OK) {
        err = !t || t->state == TXN_DEAD ? SAMSA_ERR_TRANSACTIONAL_ID_NOT_FOUND
                                         : describe_locked(t, out);
    }
    pthread_mutex_unlock(&tc->lock);
    if (err != SAMSA_OK) {
        samsa_txn_desc_free(out);
    }
    return err;
}

void samsa_txn_listings_free(samsa_txn_listing_t *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(list[i].txn_id);
    }
    free(list);
}

static bool listed(const txn_t *t, const char *const *states, size_t nstates,
                   const int64_t *pids, size_t npids, int64_t min_open_ms,
                   int64_t now)
{
    bool ok = nstates == 0;
    for (size_t i = 0; i < nstates; i++) {
        ok |= strcasecmp(states[i], state_name(t->state)) == 0;
    }
    bool pid_ok = npids == 0;
    for (size_t i = 0; i < npids; i++) {
        pid_ok |= pids[i] == t->pid;
    }
    bool open_ok = min_open_ms < 0 ||
                   (t->start_ms >= 0 && now - t->start_ms >= min_open_ms);
    return ok && pid_ok && open_ok && t->state != TXN_DEAD;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const samsa_txn_listing_t *)a)->txn_id,
                  ((const samsa_txn_listing_t *)b)->txn_id);
}

samsa_err_t samsa_txn_list(samsa_txn_coordinator_t *tc,
                           const char *const *states, size_t nstates,
                           const int64_t *pids, size_t npids,
                           int64_t min_open_ms, samsa_txn_listing_t **out,
                           size_t *count)
{
    *out = NULL;
    *count = 0;
    int64_t now = samsa_wall_ms();
    pthread_mutex_lock(&tc->lock);
    size_t n = 0;
    for (const txn_t *t = tc->txns; t; t = t->next) {
        n++;
    }
    samsa_txn_listing_t *list = calloc(n ? n : 1, sizeof(*list));
    samsa_err_t err = list ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t got = 0;
    for (const txn_t *t = tc->txns; err == SAMSA_OK && t; t = t->next) {
        if (!listed(t, states, nstates, pids, npids, min_open_ms, now)) {
            continue;
        }
        list[got] = (samsa_txn_listing_t){strdup(t->id), t->pid,
                                          state_name(t->state), t->start_ms};
        err = list[got++].txn_id ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    pthread_mutex_unlock(&tc->lock);
    if (err != SAMSA_OK) {
        samsa_txn_listings_free(list, got);
        return err;
    }
    qsort(list, got, sizeof(*list), by_id);
    *out = list;
    *count = got;
    return SAMSA_OK;
}
