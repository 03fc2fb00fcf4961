/* SPDX-License-Identifier: Apache-2.0 */
/* core/replica/rules.c - see rules.h. */
#include "replica/rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void samsa_follower_reset(samsa_follower_t *f, int32_t id, bool in_isr,
                          int64_t now_ms)
{
    *f = (samsa_follower_t){.id = id,
                            .leo = -1,
                            .last_fetch_ms = 0,
                            .last_fetch_leader_leo = -1,
                            .last_caught_up_ms = in_isr ? now_ms : 0};
}

void samsa_follower_fetched(samsa_follower_t *f, int64_t fetch_offset,
                            int64_t leader_leo, int64_t now_ms)
{
    if (fetch_offset >= leader_leo) {
        if (now_ms > f->last_caught_up_ms) {
            f->last_caught_up_ms = now_ms;
        }
    } else if (f->last_fetch_leader_leo >= 0 &&
               fetch_offset >= f->last_fetch_leader_leo &&
               f->last_fetch_ms > f->last_caught_up_ms) {
        f->last_caught_up_ms = f->last_fetch_ms;
    }
    f->leo = fetch_offset;
    f->last_fetch_leader_leo = leader_leo;
    f->last_fetch_ms = now_ms;
}

bool samsa_follower_caught_up(const samsa_follower_t *f, int64_t leader_leo,
                              int64_t now_ms, int64_t max_lag_ms)
{
    return f->leo == leader_leo || f->last_caught_up_ms > now_ms - max_lag_ms;
}

bool samsa_follower_in_sync(const samsa_follower_t *f, int64_t hw,
                            int64_t epoch_start_offset)
{
    return f->leo >= 0 && f->leo >= hw && f->leo >= epoch_start_offset;
}

bool samsa_replica_has(const int32_t *ids, int n, int32_t id)
{
    for (int i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

int64_t samsa_replica_hw(int64_t leader_leo, int64_t hw,
                         const samsa_follower_t *fs, int nf, const int32_t *isr,
                         int nisr, const bool *eligible, int64_t now_ms,
                         int64_t max_lag_ms)
{
    int64_t next = leader_leo;
    for (int i = 0; i < nf; i++) {
        const samsa_follower_t *f = &fs[i];
        bool counts =
            samsa_replica_has(isr, nisr, f->id) ||
            (eligible && eligible[i] &&
             samsa_follower_caught_up(f, leader_leo, now_ms, max_lag_ms));
        if (!counts) {
            continue;
        }
        /* Unknown: this leadership has not heard from it yet. */
        int64_t leo = f->leo < 0 ? hw : f->leo;
        if (leo < next) {
            next = leo;
        }
    }
    return next > hw ? next : hw;
}

int samsa_replica_out_of_sync(int64_t leader_leo, const samsa_follower_t *fs,
                              int nf, const int32_t *isr, int nisr,
                              int64_t now_ms, int64_t max_lag_ms, int32_t *out)
{
    int n = 0;
    for (int i = 0; i < nf; i++) {
        if (samsa_replica_has(isr, nisr, fs[i].id) &&
            !samsa_follower_caught_up(&fs[i], leader_leo, now_ms, max_lag_ms)) {
            out[n++] = fs[i].id;
        }
    }
    return n;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t samsa_replica_truncation_offset(int32_t leader_epoch,
                                        int64_t leader_end, int32_t local_epoch,
                                        int64_t local_end, int64_t local_leo,
                                        bool *done)
{
    *done = true;
    if (leader_epoch < 0 || local_epoch < 0 || local_end < 0) {
        /* No epoch to compare on one side (Kafka: the follower did not
         * track epochs then): the leader's end bounds what is shared. */
        return min64(leader_end, local_leo);
    }
    if (local_epoch == leader_epoch) {
        return min64(min64(leader_end, local_end), local_leo);
    }
    /* We do not know the leader's epoch: cut to the end of our largest
     * epoch below it, then fetch again with that as the last epoch. */
    *done = false;
    return min64(local_end, local_leo);
}

/* The number at *p (after spaces), moving *p past it; -1 when none. */
static long long list_number(const char **p)
{
    while (isspace((unsigned char)**p)) {
        (*p)++;
    }
    if (!isdigit((unsigned char)**p)) {
        return -1;
    }
    char *end;
    errno = 0;
    long long n = strtoll(*p, &end, 10);
    *p = end;
    return errno ? -1 : n;
}

bool samsa_replica_throttle_listed(const char *list, int32_t partition,
                                   int32_t broker)
{
    const char *p = list;
    while (p && isspace((unsigned char)*p)) {
        p++;
    }
    if (!p || !*p) {
        return false;
    }
    if (*p == '*') {
        return true;
    }
    while (*p) {
        long long part = list_number(&p);
        while (isspace((unsigned char)*p)) {
            p++;
        }
        long long id = *p == ':' ? (p++, list_number(&p)) : -1;
        if (part == partition && id == broker) {
            return true;
        }
        p = strchr(p, ',');
        if (!p) {
            break;
        }
        p++;
    }
    return false;
}
