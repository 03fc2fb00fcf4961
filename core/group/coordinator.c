/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/coordinator.c - coordinator lifecycle, the timer thread, the
 * completion queue (callbacks run after the lock is released), the group
 * table, ListGroups and DescribeGroups.
 */
#include "group/group_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/clock.h"
#include "util/java_hash.h"
#include "util/log.h"

void samsa_group_options_init(samsa_group_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->offsets_topic_partitions = 1;
    o->initial_rebalance_delay_ms = 3000;
    o->min_session_timeout_ms = 6000;
    o->max_session_timeout_ms = 1800000;
    o->max_group_size = 0;
    o->max_metadata_size = 4096;
    o->offsets_retention_ms = 7LL * 24 * 3600 * 1000;
    o->offsets_retention_check_interval_ms = 600000;
}

/* ---------------------------------------------------------------------- */
/* Completions                                                            */
/* ---------------------------------------------------------------------- */

void samsa_gc_clist_init(clist_t *cl)
{
    cl->head = NULL;
    cl->tail = &cl->head;
}

static completion_t *clist_new(clist_t *cl)
{
    completion_t *c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    *cl->tail = c;
    cl->tail = &c->next;
    return c;
}

/* Copy len bytes owned by the completion; "" / NULL stay cheap. */
static void *cdup(completion_t *c, const void *p, size_t len)
{
    if (!p) {
        return NULL;
    }
    void **na = realloc(c->allocs, (c->nallocs + 1) * sizeof(*na));
    void *copy = malloc(len ? len : 1);
    if (!na || !copy) {
        free(copy);
        if (na) {
            c->allocs = na;
        }
        return NULL;
    }
    c->allocs = na;
    memcpy(copy, p, len);
    c->allocs[c->nallocs++] = copy;
    return copy;
}

static const char *cstr(completion_t *c, const char *s)
{
    return s ? cdup(c, s, strlen(s) + 1) : NULL;
}

void samsa_gc_clist_run(clist_t *cl)
{
    completion_t *c = cl->head;
    while (c) {
        completion_t *next = c->next;
        if (c->join_cb) {
            c->join_cb(c->arg, &c->join);
        } else if (c->sync_cb) {
            c->sync_cb(c->arg, &c->sync);
        }
        for (size_t i = 0; i < c->nallocs; i++) {
            free(c->allocs[i]);
        }
        free(c->allocs);
        free(c);
        c = next;
    }
    samsa_gc_clist_init(cl);
}

/* If memory runs out the callback still runs, with the error
 * COORDINATOR_NOT_AVAILABLE, from a static result: a request is never
 * left hanging. */
static void run_oom_join(samsa_group_join_cb cb, void *arg)
{
    samsa_group_join_result_t r = {.error = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE,
                                   .generation_id = -1,
                                   .leader_id = "",
                                   .member_id = ""};
    cb(arg, &r);
}

void samsa_gc_complete_join(clist_t *cl, samsa_group_join_cb cb, void *arg,
                            const samsa_group_join_result_t *res)
{
    completion_t *c = clist_new(cl);
    if (!c) {
        /* Out of memory for the queue entry: answer at once. This is the
         * one case a callback runs under the coordinator lock. */
        run_oom_join(cb, arg);
        return;
    }
    c->join_cb = cb;
    c->arg = arg;
    c->join = *res;
    c->join.protocol_type = cstr(c, res->protocol_type);
    c->join.protocol_name = cstr(c, res->protocol_name);
    c->join.leader_id = cstr(c, res->leader_id ? res->leader_id : "");
    c->join.member_id = cstr(c, res->member_id ? res->member_id : "");
    if (res->member_count) {
        samsa_group_member_meta_t *mm =
            cdup(c, res->members, res->member_count * sizeof(*mm));
        for (size_t i = 0; mm && i < res->member_count; i++) {
            mm[i].member_id = cstr(c, mm[i].member_id);
            mm[i].group_instance_id = cstr(c, mm[i].group_instance_id);
            mm[i].metadata = cdup(c, mm[i].metadata, mm[i].metadata_len);
        }
        c->join.members = mm;
        if (!mm) {
            c->join.member_count = 0;
        }
    }
    if (!c->join.leader_id || !c->join.member_id) {
        c->join.error = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
        c->join.leader_id = "";
        c->join.member_id = "";
    }
}

void samsa_gc_complete_join_err(clist_t *cl, samsa_group_join_cb cb, void *arg,
                                samsa_err_t err, const char *member_id)
{
    samsa_group_join_result_t r = {.error = err,
                                   .generation_id = -1,
                                   .leader_id = "",
                                   .member_id = member_id ? member_id : ""};
    samsa_gc_complete_join(cl, cb, arg, &r);
}

void samsa_gc_complete_sync(clist_t *cl, samsa_group_sync_cb cb, void *arg,
                            samsa_err_t err, const char *ptype,
                            const char *pname, const uint8_t *assignment,
                            size_t len)
{
    completion_t *c = clist_new(cl);
    if (!c) {
        samsa_group_sync_result_t r = {.error =
                                           SAMSA_ERR_COORDINATOR_NOT_AVAILABLE};
        cb(arg, &r);
        return;
    }
    c->sync_cb = cb;
    c->arg = arg;
    c->sync.error = err;
    c->sync.protocol_type = cstr(c, ptype);
    c->sync.protocol_name = cstr(c, pname);
    if (assignment && len) {
        c->sync.assignment = cdup(c, assignment, len);
        c->sync.assignment_len = c->sync.assignment ? len : 0;
    }
}

/* ---------------------------------------------------------------------- */
/* Groups                                                                 */
/* ---------------------------------------------------------------------- */

static bool group_eq(const samsa_hmap_entry_t *e, const void *key)
{
    return strcmp(((const group_t *)e)->id, key) == 0;
}

static uint64_t str_hash(const char *s)
{
    return samsa_hmap_hash(SAMSA_HMAP_SEED, s, strlen(s));
}

group_t *samsa_gc_group_find(samsa_group_coordinator_t *gc, const char *id)
{
    return (group_t *)samsa_hmap_find(&gc->groups, str_hash(id), group_eq, id);
}

group_t *samsa_gc_group_create(samsa_group_coordinator_t *gc, const char *id)
{
    group_t *g = calloc(1, sizeof(*g));
    if (!g || !(g->id = strdup(id))) {
        free(g);
        return NULL;
    }
    g->state = GS_EMPTY;
    g->state_ts = samsa_wall_ms();
    if (samsa_hmap_insert(&gc->groups, &g->e, str_hash(id)) != SAMSA_OK) {
        free(g->id);
        free(g);
        return NULL;
    }
    return g;
}

static void group_free(group_t *g)
{
    for (size_t i = 0; i < g->nmembers; i++) {
        samsa_gc_member_free(g->members[i]);
    }
    free(g->members);
    for (size_t i = 0; i < g->npending; i++) {
        free(g->pending[i].id);
    }
    free(g->pending);
    samsa_gc_offsets_clear(g);
    samsa_hmap_free(&g->offsets);
    samsa_gc_txn_pending_clear(g);
    free(g->protocol_type);
    free(g->protocol);
    free(g->leader);
    free(g->id);
    free(g);
}

void samsa_gc_group_remove(samsa_group_coordinator_t *gc, group_t *g)
{
    g->state = GS_DEAD;
    samsa_hmap_remove(&gc->groups, &g->e);
    group_free(g);
}

void samsa_gc_group_set_state(group_t *g, group_state_t st)
{
    if (g->state != st) {
        g->state = st;
        g->state_ts = samsa_wall_ms();
    }
}

const char *samsa_gc_group_state_name(group_state_t st)
{
    switch (st) {
    case GS_EMPTY:
        return "Empty";
    case GS_PREPARING:
        return "PreparingRebalance";
    case GS_COMPLETING:
        return "CompletingRebalance";
    case GS_STABLE:
        return "Stable";
    default:
        return "Dead";
    }
}

int32_t samsa_group_partition_for(samsa_group_coordinator_t *gc,
                                  const char *group_id)
{
    return samsa_internal_partition_for(group_id,
                                        gc->opts.offsets_topic_partitions);
}

samsa_err_t samsa_gc_serving(samsa_group_coordinator_t *gc,
                             const char *group_id)
{
    if (gc->stopped) {
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (!gc->opts.follow_leadership) {
        return SAMSA_OK;
    }
    return samsa_part_serving(&gc->parts,
                              samsa_group_partition_for(gc, group_id));
}

/* ---------------------------------------------------------------------- */
/* Partitions following leadership                                        */
/* ---------------------------------------------------------------------- */

/* Lock held: the offsets topic and a state slot for @p p. */
static samsa_err_t partition_slot(samsa_group_coordinator_t *gc, int32_t p)
{
    if (!gc->otopic && gc->opts.logmgr) {
        gc->otopic =
            samsa_logmgr_topic_get(gc->opts.logmgr, SAMSA_OFFSETS_TOPIC);
        if (gc->otopic) {
            gc->opts.offsets_topic_partitions = gc->otopic->partition_count;
        }
    }
    if (!gc->otopic || p < 0 || p >= gc->otopic->partition_count) {
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    return samsa_part_states_grow(&gc->parts, gc->otopic->partition_count);
}

void samsa_group_partition_loading(samsa_group_coordinator_t *gc, int32_t p)
{
    pthread_mutex_lock(&gc->lock);
    if (partition_slot(gc, p) == SAMSA_OK &&
        gc->parts.st[p] == SAMSA_PART_NONE) {
        gc->parts.st[p] = SAMSA_PART_LOADING;
    }
    pthread_mutex_unlock(&gc->lock);
}

samsa_err_t samsa_group_partition_load(samsa_group_coordinator_t *gc, int32_t p)
{
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err = gc->stopped ? SAMSA_ERR_COORDINATOR_NOT_AVAILABLE
                                  : partition_slot(gc, p);
    bool loaded = err == SAMSA_OK && gc->parts.st[p] == SAMSA_PART_LOADED;
    if (err == SAMSA_OK) {
        gc->parts.st[p] = loaded ? SAMSA_PART_LOADED : SAMSA_PART_LOADING;
    }
    pthread_mutex_unlock(&gc->lock);
    if (err != SAMSA_OK || loaded) {
        return err;
    }
    int64_t t0 = samsa_mono_ms();
    err = samsa_gc_persist_replay_partition(gc, p);
    pthread_mutex_lock(&gc->lock);
    size_t groups = 0;
    if (err == SAMSA_OK && gc->parts.st[p] == SAMSA_PART_LOADING) {
        gc->parts.st[p] = SAMSA_PART_LOADED;
        size_t i;
        for (samsa_hmap_entry_t *e = samsa_hmap_first(&gc->groups, &i); e;
             e = samsa_hmap_next(&gc->groups, e, &i)) {
            groups += samsa_group_partition_for(gc, ((group_t *)e)->id) == p;
        }
    }
    pthread_mutex_unlock(&gc->lock);
    samsa_log(err == SAMSA_OK ? SAMSA_LOG_INFO : SAMSA_LOG_ERROR,
              "group coordinator: %s-%d %s (%zu groups, %lld ms)",
              SAMSA_OFFSETS_TOPIC, (int)p,
              err == SAMSA_OK ? "loaded" : "failed to load", groups,
              (long long)(samsa_mono_ms() - t0));
    return err;
}

/* Answer a group's parked calls with @p err (lock held). */
static void fail_parked(group_t *g, samsa_err_t err, clist_t *cl)
{
    for (size_t k = 0; k < g->nmembers; k++) {
        member_t *m = g->members[k];
        if (m->join_cb) {
            samsa_gc_complete_join_err(cl, m->join_cb, m->join_arg, err, m->id);
            m->join_cb = NULL;
        }
        if (m->sync_cb) {
            samsa_gc_complete_sync(cl, m->sync_cb, m->sync_arg, err, NULL, NULL,
                                   NULL, 0);
            m->sync_cb = NULL;
        }
    }
}

void samsa_group_partition_unload(samsa_group_coordinator_t *gc, int32_t p)
{
    clist_t cl;
    samsa_gc_clist_init(&cl);
    pthread_mutex_lock(&gc->lock);
    size_t dropped = 0;
    bool was = samsa_part_state(&gc->parts, p) != SAMSA_PART_NONE;
    if (was) {
        gc->parts.st[p] = SAMSA_PART_NONE;
        size_t i;
        samsa_hmap_entry_t *e = samsa_hmap_first(&gc->groups, &i);
        while (e) {
            samsa_hmap_entry_t *n = samsa_hmap_next(&gc->groups, e, &i);
            group_t *g = (group_t *)e;
            if (samsa_group_partition_for(gc, g->id) == p) {
                fail_parked(g, SAMSA_ERR_NOT_COORDINATOR, &cl);
                samsa_gc_group_remove(gc, g);
                dropped++;
            }
            e = n;
        }
    }
    pthread_mutex_unlock(&gc->lock);
    samsa_gc_clist_run(&cl);
    if (was) {
        samsa_log(SAMSA_LOG_INFO,
                  "group coordinator: %s-%d unloaded (%zu groups moved "
                  "away)",
                  SAMSA_OFFSETS_TOPIC, (int)p, dropped);
    }
}

bool samsa_group_partition_loaded(samsa_group_coordinator_t *gc, int32_t p)
{
    pthread_mutex_lock(&gc->lock);
    bool loaded = samsa_part_state(&gc->parts, p) == SAMSA_PART_LOADED;
    pthread_mutex_unlock(&gc->lock);
    return loaded;
}

/* ---------------------------------------------------------------------- */
/* Timer thread                                                           */
/* ---------------------------------------------------------------------- */

void samsa_gc_wake(samsa_group_coordinator_t *gc)
{
    pthread_cond_signal(&gc->cond);
}

/* One pass; returns the next monotonic deadline. Lock held. */
static int64_t tick_locked(samsa_group_coordinator_t *gc, clist_t *cl)
{
    int64_t now = samsa_mono_ms();
    int64_t next = now + 1000;
    size_t i;
    samsa_hmap_entry_t *e = samsa_hmap_first(&gc->groups, &i);
    while (e) {
        samsa_hmap_entry_t *n = samsa_hmap_next(&gc->groups, e, &i);
        samsa_gc_group_tick(gc, (group_t *)e, now, cl, &next);
        e = n;
    }
    if (now >= gc->next_retention_check) {
        samsa_gc_offsets_expire(gc, samsa_wall_ms());
        gc->next_retention_check =
            now + gc->opts.offsets_retention_check_interval_ms;
    }
    if (gc->next_retention_check < next) {
        next = gc->next_retention_check;
    }
    return next;
}

void samsa_group_coordinator_tick(samsa_group_coordinator_t *gc)
{
    clist_t cl;
    samsa_gc_clist_init(&cl);
    pthread_mutex_lock(&gc->lock);
    if (!gc->stopped) {
        gc->next_retention_check = 0; /* tests: check retention now */
        tick_locked(gc, &cl);
    }
    pthread_mutex_unlock(&gc->lock);
    samsa_gc_clist_run(&cl);
}

static void *timer_main(void *arg)
{
    samsa_group_coordinator_t *gc = arg;
    clist_t cl;
    samsa_gc_clist_init(&cl);
    pthread_mutex_lock(&gc->lock);
    while (!gc->stopped) {
        int64_t next = tick_locked(gc, &cl);
        if (cl.head) {
            pthread_mutex_unlock(&gc->lock);
            samsa_gc_clist_run(&cl);
            pthread_mutex_lock(&gc->lock);
            continue; /* state may have moved meanwhile */
        }
        int64_t wait = next - samsa_mono_ms();
        if (wait <= 0) {
            continue;
        }
        struct timespec ts = samsa_deadline(CLOCK_MONOTONIC, wait);
        pthread_cond_timedwait(&gc->cond, &gc->lock, &ts);
    }
    pthread_mutex_unlock(&gc->lock);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Lifecycle                                                              */
/* ---------------------------------------------------------------------- */

samsa_err_t samsa_group_coordinator_start(const samsa_group_options_t *opts,
                                          samsa_group_coordinator_t **out,
                                          char *errbuf, size_t errlen)
{
    samsa_group_coordinator_t *gc = calloc(1, sizeof(*gc));
    if (!gc) {
        return SAMSA_ERR_NOMEM;
    }
    gc->opts = *opts;
    if (gc->opts.offsets_topic_partitions < 1) {
        gc->opts.offsets_topic_partitions = 1;
    }
    if (gc->opts.offsets_retention_check_interval_ms <= 0) {
        gc->opts.offsets_retention_check_interval_ms = 600000;
    }
    pthread_mutex_init(&gc->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&gc->cond, &ca);
    pthread_condattr_destroy(&ca);
    gc->next_retention_check =
        samsa_mono_ms() + gc->opts.offsets_retention_check_interval_ms;

    samsa_err_t err = SAMSA_OK;
    if (!gc->opts.follow_leadership) {
        err = samsa_gc_persist_init(gc, errbuf, errlen);
    }
    if (err == SAMSA_OK && !gc->opts.follow_leadership) {
        err = samsa_gc_persist_replay(gc, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        if (pthread_create(&gc->thread, NULL, timer_main, gc) != 0) {
            snprintf(errbuf, errlen, "cannot start the group timer thread");
            err = SAMSA_ERR_NOMEM;
        } else {
            gc->thread_running = true;
        }
    }
    if (err != SAMSA_OK) {
        samsa_group_coordinator_destroy(gc);
        return err;
    }
    *out = gc;
    return SAMSA_OK;
}

void samsa_group_coordinator_stop(samsa_group_coordinator_t *gc)
{
    clist_t cl;
    samsa_gc_clist_init(&cl);
    pthread_mutex_lock(&gc->lock);
    bool was_stopped = gc->stopped;
    gc->stopped = true;
    pthread_cond_broadcast(&gc->cond);
    size_t i;
    for (samsa_hmap_entry_t *e = samsa_hmap_first(&gc->groups, &i); e;
         e = samsa_hmap_next(&gc->groups, e, &i)) {
        fail_parked((group_t *)e, SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, &cl);
    }
    pthread_mutex_unlock(&gc->lock);
    samsa_gc_clist_run(&cl);
    if (!was_stopped && gc->thread_running) {
        pthread_join(gc->thread, NULL);
        gc->thread_running = false;
    }
}

void samsa_group_coordinator_destroy(samsa_group_coordinator_t *gc)
{
    if (!gc) {
        return;
    }
    samsa_group_coordinator_stop(gc);
    size_t i;
    samsa_hmap_entry_t *e = samsa_hmap_first(&gc->groups, &i);
    while (e) {
        samsa_hmap_entry_t *n = samsa_hmap_next(&gc->groups, e, &i);
        group_free((group_t *)e);
        e = n;
    }
    samsa_hmap_free(&gc->groups);
    if (gc->otopic) {
        samsa_topic_put(gc->otopic);
    }
    samsa_part_states_free(&gc->parts);
    pthread_mutex_destroy(&gc->lock);
    pthread_cond_destroy(&gc->cond);
    free(gc);
}

/* ---------------------------------------------------------------------- */
/* ListGroups, DescribeGroups                                             */
/* ---------------------------------------------------------------------- */

static int listing_cmp(const void *a, const void *b)
{
    return strcmp(((const samsa_group_listing_t *)a)->group_id,
                  ((const samsa_group_listing_t *)b)->group_id);
}

static bool state_wanted(group_state_t st, const char *const *states, size_t n)
{
    if (!states || n == 0) {
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(states[i], samsa_gc_group_state_name(st)) == 0) {
            return true;
        }
    }
    return false;
}

samsa_err_t samsa_group_list(samsa_group_coordinator_t *gc,
                             const char *const *states, size_t nstates,
                             samsa_group_listing_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    pthread_mutex_lock(&gc->lock);
    if (gc->stopped) {
        pthread_mutex_unlock(&gc->lock);
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    samsa_group_listing_t *list =
        calloc(gc->groups.count ? gc->groups.count : 1, sizeof(*list));
    size_t n = 0;
    samsa_err_t err = list ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t i;
    for (samsa_hmap_entry_t *e = samsa_hmap_first(&gc->groups, &i);
         e && err == SAMSA_OK; e = samsa_hmap_next(&gc->groups, e, &i)) {
        group_t *g = (group_t *)e;
        if (!state_wanted(g->state, states, nstates)) {
            continue;
        }
        list[n].group_id = strdup(g->id);
        list[n].protocol_type =
            strdup(g->protocol_type ? g->protocol_type : "");
        list[n].state = samsa_gc_group_state_name(g->state);
        if (!list[n].group_id || !list[n].protocol_type) {
            err = SAMSA_ERR_NOMEM;
        }
        n++;
    }
    pthread_mutex_unlock(&gc->lock);
    if (err != SAMSA_OK) {
        samsa_group_listings_free(list, n);
        return err;
    }
    qsort(list, n, sizeof(*list), listing_cmp);
    *out = list;
    *count = n;
    return SAMSA_OK;
}

void samsa_group_listings_free(samsa_group_listing_t *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++) {
        free(list[i].group_id);
        free(list[i].protocol_type);
    }
    free(list);
}

static uint8_t *bdup(const uint8_t *p, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    if (c && len) {
        memcpy(c, p, len);
    }
    return c;
}

static const gproto_t *member_proto(const member_t *m, const char *name)
{
    for (size_t i = 0; name && i < m->nprotos; i++) {
        if (strcmp(m->protos[i].name, name) == 0) {
            return &m->protos[i];
        }
    }
    return NULL;
}

static samsa_err_t describe_members(const group_t *g, samsa_group_desc_t *out)
{
    out->members = calloc(g->nmembers ? g->nmembers : 1, sizeof(*out->members));
    if (!out->members) {
        return SAMSA_ERR_NOMEM;
    }
    bool stable = g->state == GS_STABLE;
    for (size_t i = 0; i < g->nmembers; i++) {
        const member_t *m = g->members[i];
        samsa_group_member_desc_t *d = &out->members[i];
        out->member_count++;
        d->member_id = strdup(m->id);
        d->group_instance_id = m->instance_id ? strdup(m->instance_id) : NULL;
        d->client_id = strdup(m->client_id);
        d->client_host = strdup(m->client_host);
        const gproto_t *p = stable ? member_proto(m, g->protocol) : NULL;
        d->metadata = bdup(p ? p->meta : NULL, p ? p->len : 0);
        d->metadata_len = p ? p->len : 0;
        d->assignment = bdup(m->assignment, stable ? m->assignment_len : 0);
        d->assignment_len = stable ? m->assignment_len : 0;
        if (!d->member_id || !d->client_id || !d->client_host || !d->metadata ||
            !d->assignment || (m->instance_id && !d->group_instance_id)) {
            return SAMSA_ERR_NOMEM;
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_group_describe(samsa_group_coordinator_t *gc,
                                 const char *group_id, samsa_group_desc_t *out)
{
    memset(out, 0, sizeof(*out));
    out->state = samsa_gc_group_state_name(GS_DEAD);
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err = samsa_gc_serving(gc, group_id);
    group_t *g = NULL;
    if (err == SAMSA_OK && !(g = samsa_gc_group_find(gc, group_id))) {
        out->error = SAMSA_ERR_GROUP_ID_NOT_FOUND;
    }
    out->group_id = strdup(group_id);
    if (!out->group_id) {
        err = SAMSA_ERR_NOMEM;
    }
    if (g && err == SAMSA_OK) {
        out->state = samsa_gc_group_state_name(g->state);
        out->protocol_type = strdup(g->protocol_type ? g->protocol_type : "");
        out->protocol =
            strdup(g->state == GS_STABLE && g->protocol ? g->protocol : "");
        err = out->protocol_type && out->protocol ? describe_members(g, out)
                                                  : SAMSA_ERR_NOMEM;
    } else if (err == SAMSA_OK) {
        out->protocol_type = strdup("");
        out->protocol = strdup("");
        err = out->protocol_type && out->protocol ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    pthread_mutex_unlock(&gc->lock);
    if (err != SAMSA_OK) {
        samsa_group_desc_free(out);
        out->error = err;
    }
    return err;
}

void samsa_group_desc_free(samsa_group_desc_t *d)
{
    for (size_t i = 0; d->members && i < d->member_count; i++) {
        samsa_group_member_desc_t *m = &d->members[i];
        free(m->member_id);
        free(m->group_instance_id);
        free(m->client_id);
        free(m->client_host);
        free(m->metadata);
        free(m->assignment);
    }
    free(d->members);
    free(d->group_id);
    free(d->protocol_type);
    free(d->protocol);
    d->members = NULL;
    d->member_count = 0;
    d->group_id = d->protocol_type = d->protocol = NULL;
}
