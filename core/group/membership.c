/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/membership.c - JoinGroup, SyncGroup, Heartbeat, LeaveGroup and
 * the rebalance state machine of a classic group:
 *
 *   Empty --join--> PreparingRebalance --all rejoined / timeout-->
 *   CompletingRebalance --leader's SyncGroup--> Stable
 *   Stable/CompletingRebalance --join, leave, expiry--> PreparingRebalance
 *   PreparingRebalance --nobody left--> Empty
 *
 * Waiting calls (join until the rebalance completes, followers' sync until
 * the leader's) park their callback in the member; completions are queued
 * on a clist and run by the caller after the lock is released.
 */
#include "group/group_int.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NO_EXPIRY INT64_MAX

/* ---------------------------------------------------------------------- */
/* Members                                                                */
/* ---------------------------------------------------------------------- */

static void protos_free(gproto_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].meta);
    }
    free(p);
}

void samsa_gc_member_free(member_t *m)
{
    if (!m) {
        return;
    }
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    protos_free(m->protos, m->nprotos);
    free(m->assignment);
    free(m);
}

member_t *samsa_gc_member_find(group_t *g, const char *id)
{
    for (size_t i = 0; id && i < g->nmembers; i++) {
        if (strcmp(g->members[i]->id, id) == 0) {
            return g->members[i];
        }
    }
    return NULL;
}

member_t *samsa_gc_member_find_static(group_t *g, const char *instance_id)
{
    for (size_t i = 0; instance_id && i < g->nmembers; i++) {
        member_t *m = g->members[i];
        if (m->instance_id && strcmp(m->instance_id, instance_id) == 0) {
            return m;
        }
    }
    return NULL;
}

static gproto_t *protos_copy(const samsa_group_join_req_t *req)
{
    gproto_t *p = calloc(req->protocol_count, sizeof(*p));
    for (size_t i = 0; p && i < req->protocol_count; i++) {
        const samsa_group_protocol_t *src = &req->protocols[i];
        p[i].name = strdup(src->name ? src->name : "");
        p[i].meta = malloc(src->metadata_len ? src->metadata_len : 1);
        p[i].len = src->metadata_len;
        if (!p[i].name || !p[i].meta) {
            protos_free(p, i + 1);
            return NULL;
        }
        if (src->metadata_len) {
            memcpy(p[i].meta, src->metadata, src->metadata_len);
        }
    }
    return p;
}

/* Same protocols (names and metadata, in order) as the member has. */
static bool protos_match(const member_t *m, const samsa_group_join_req_t *req)
{
    if (m->nprotos != req->protocol_count) {
        return false;
    }
    for (size_t i = 0; i < m->nprotos; i++) {
        const samsa_group_protocol_t *p = &req->protocols[i];
        if (strcmp(m->protos[i].name, p->name ? p->name : "") != 0 ||
            m->protos[i].len != p->metadata_len ||
            (p->metadata_len &&
             memcmp(m->protos[i].meta, p->metadata, p->metadata_len) != 0)) {
            return false;
        }
    }
    return true;
}

static bool member_supports(const member_t *m, const char *name)
{
    for (size_t i = 0; i < m->nprotos; i++) {
        if (strcmp(m->protos[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* Take the request's protocols and timeouts. */
static samsa_err_t member_update(member_t *m, const samsa_group_join_req_t *req)
{
    gproto_t *p = protos_copy(req);
    if (!p) {
        return SAMSA_ERR_NOMEM;
    }
    protos_free(m->protos, m->nprotos);
    m->protos = p;
    m->nprotos = req->protocol_count;
    m->session_timeout_ms = req->session_timeout_ms;
    m->rebalance_timeout_ms = req->rebalance_timeout_ms;
    return SAMSA_OK;
}

static member_t *member_new(const char *id, const samsa_group_join_req_t *req)
{
    member_t *m = calloc(1, sizeof(*m));
    if (!m) {
        return NULL;
    }
    m->id = strdup(id);
    m->instance_id =
        req->group_instance_id ? strdup(req->group_instance_id) : NULL;
    m->client_id = strdup(req->client_id ? req->client_id : "");
    m->client_host = strdup(req->client_host ? req->client_host : "");
    if (!m->id || !m->client_id || !m->client_host ||
        (req->group_instance_id && !m->instance_id) ||
        member_update(m, req) != SAMSA_OK) {
        samsa_gc_member_free(m);
        return NULL;
    }
    return m;
}

static samsa_err_t group_add_member(group_t *g, member_t *m)
{
    if (g->nmembers == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4;
        member_t **nm = realloc(g->members, cap * sizeof(*nm));
        if (!nm) {
            return SAMSA_ERR_NOMEM;
        }
        g->members = nm;
        g->cap = cap;
    }
    g->members[g->nmembers++] = m;
    if (!g->leader) {
        g->leader = strdup(m->id);
    }
    return SAMSA_OK;
}

static bool is_leader(const group_t *g, const member_t *m)
{
    return g->leader && strcmp(g->leader, m->id) == 0;
}

/* "<prefix>-<uuid v4>" like Kafka's member ids. */
static char *new_member_id(const char *prefix)
{
    uint8_t u[16];
    if (getrandom(u, sizeof(u), 0) != sizeof(u)) {
        return NULL;
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    size_t n = strlen(prefix) + 38;
    char *id = malloc(n);
    if (!id) {
        return NULL;
    }
    snprintf(id, n,
             "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             prefix, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
    return id;
}

static ssize_t pending_index(const group_t *g, const char *id)
{
    for (size_t i = 0; i < g->npending; i++) {
        if (strcmp(g->pending[i].id, id) == 0) {
            return (ssize_t)i;
        }
    }
    return -1;
}

static void pending_remove(group_t *g, size_t i)
{
    free(g->pending[i].id);
    g->pending[i] = g->pending[--g->npending];
}

static samsa_err_t pending_add(group_t *g, const char *id, int64_t deadline)
{
    pending_t *np = realloc(g->pending, (g->npending + 1) * sizeof(*np));
    if (!np) {
        return SAMSA_ERR_NOMEM;
    }
    g->pending = np;
    if (!(np[g->npending].id = strdup(id))) {
        return SAMSA_ERR_NOMEM;
    }
    np[g->npending++].deadline = deadline;
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Protocol selection                                                     */
/* ---------------------------------------------------------------------- */

static bool supported_by_all(const group_t *g, const char *name,
                             const member_t *skip)
{
    for (size_t i = 0; i < g->nmembers; i++) {
        if (g->members[i] != skip && !member_supports(g->members[i], name)) {
            return false;
        }
    }
    return true;
}

/* Kafka's supportsProtocols: the type matches and one of the member's
 * protocols is supported by every current member. self is the joining
 * member when already in the group (its own old protocols don't count). */
static bool group_supports(const group_t *g, const samsa_group_join_req_t *req,
                           const member_t *self)
{
    if (!req->protocol_type || !req->protocol_type[0] ||
        req->protocol_count == 0) {
        return false;
    }
    size_t others = g->nmembers - (self ? 1 : 0);
    if (others == 0) {
        return true;
    }
    if (!g->protocol_type || strcmp(g->protocol_type, req->protocol_type)) {
        return false;
    }
    for (size_t i = 0; i < req->protocol_count; i++) {
        const char *n = req->protocols[i].name ? req->protocols[i].name : "";
        if (supported_by_all(g, n, self)) {
            return true;
        }
    }
    return false;
}

/* Every member votes for its most preferred protocol that all members
 * support; the most votes wins, ties go to the leader's preference. */
static const char *select_protocol(const group_t *g)
{
    member_t *lead = g->members[0];
    for (size_t i = 0; i < g->nmembers; i++) {
        if (is_leader(g, g->members[i])) {
            lead = g->members[i];
        }
    }
    const char *best = NULL;
    size_t best_votes = 0;
    for (size_t c = 0; c < lead->nprotos; c++) {
        const char *cand = lead->protos[c].name;
        if (!supported_by_all(g, cand, NULL)) {
            continue;
        }
        size_t votes = 0;
        for (size_t i = 0; i < g->nmembers; i++) {
            const member_t *m = g->members[i];
            for (size_t k = 0; k < m->nprotos; k++) {
                if (supported_by_all(g, m->protos[k].name, NULL)) {
                    votes += strcmp(m->protos[k].name, cand) == 0;
                    break;
                }
            }
        }
        if (!best || votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best ? best : lead->protos[0].name;
}

/* ---------------------------------------------------------------------- */
/* Rebalance                                                              */
/* ---------------------------------------------------------------------- */

static int32_t max_rebalance_timeout(const group_t *g)
{
    int32_t t = 0;
    for (size_t i = 0; i < g->nmembers; i++) {
        if (g->members[i]->rebalance_timeout_ms > t) {
            t = g->members[i]->rebalance_timeout_ms;
        }
    }
    return t;
}

static void set_str(char **dst, const char *src)
{
    char *c = src ? strdup(src) : NULL;
    if (src && !c) {
        return; /* keep the old value rather than lose it */
    }
    free(*dst);
    *dst = c;
}

static void prepare_rebalance(samsa_group_coordinator_t *gc, group_t *g,
                              clist_t *cl)
{
    if (g->state == GS_COMPLETING) {
        /* Assignments of the aborted generation are void; followers
         * waiting for them must rejoin. */
        for (size_t i = 0; i < g->nmembers; i++) {
            member_t *m = g->members[i];
            free(m->assignment);
            m->assignment = NULL;
            m->assignment_len = 0;
            if (m->sync_cb) {
                samsa_gc_complete_sync(cl, m->sync_cb, m->sync_arg,
                                       SAMSA_ERR_REBALANCE_IN_PROGRESS, NULL,
                                       NULL, NULL, 0);
                m->sync_cb = NULL;
            }
        }
    }
    int64_t now = samsa_mono_ms();
    int64_t rt = max_rebalance_timeout(g);
    if (g->state == GS_EMPTY) {
        int64_t delay = gc->opts.initial_rebalance_delay_ms;
        g->initial_join = true;
        g->new_member_added = false;
        g->initial_remaining = rt - delay > 0 ? rt - delay : 0;
        g->join_deadline = now + delay;
    } else {
        g->initial_join = false;
        g->join_deadline = now + rt;
    }
    samsa_gc_group_set_state(g, GS_PREPARING);
    samsa_gc_wake(gc);
}

static void maybe_prepare_rebalance(samsa_group_coordinator_t *gc, group_t *g,
                                    clist_t *cl)
{
    if (g->state == GS_STABLE || g->state == GS_COMPLETING ||
        g->state == GS_EMPTY) {
        prepare_rebalance(gc, g, cl);
    }
}

static void fill_join_result(const group_t *g, const member_t *m,
                             samsa_group_join_result_t *r,
                             samsa_group_member_meta_t *metas)
{
    memset(r, 0, sizeof(*r));
    r->error = SAMSA_OK;
    r->generation_id = g->generation;
    r->protocol_type = g->protocol_type;
    r->protocol_name = g->protocol;
    r->leader_id = g->leader ? g->leader : "";
    r->member_id = m->id;
    if (metas && is_leader(g, m)) {
        for (size_t i = 0; i < g->nmembers; i++) {
            const member_t *o = g->members[i];
            const gproto_t *p = NULL;
            for (size_t k = 0; k < o->nprotos; k++) {
                if (g->protocol && !strcmp(o->protos[k].name, g->protocol)) {
                    p = &o->protos[k];
                }
            }
            metas[i] =
                (samsa_group_member_meta_t){.member_id = o->id,
                                            .group_instance_id = o->instance_id,
                                            .metadata = p ? p->meta : NULL,
                                            .metadata_len = p ? p->len : 0};
        }
        r->members = metas;
        r->member_count = g->nmembers;
    }
}

/* Queue the join response of member m for the current generation. */
static void respond_join(group_t *g, member_t *m, samsa_group_join_cb cb,
                         void *arg, bool skip_assignment, clist_t *cl)
{
    samsa_group_member_meta_t *metas =
        calloc(g->nmembers ? g->nmembers : 1, sizeof(*metas));
    samsa_group_join_result_t r;
    fill_join_result(g, m, &r, metas);
    r.skip_assignment = skip_assignment;
    if (!metas && is_leader(g, m)) {
        samsa_gc_complete_join_err(cl, cb, arg,
                                   SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, m->id);
    } else {
        samsa_gc_complete_join(cl, cb, arg, &r);
    }
    free(metas);
}

/* The join phase is over: drop members that did not rejoin, start the next
 * generation, answer every parked join. */
static void complete_join_phase(samsa_group_coordinator_t *gc, group_t *g,
                                clist_t *cl)
{
    for (size_t i = g->nmembers; i-- > 0;) {
        member_t *m = g->members[i];
        if (!m->join_cb) {
            if (m->sync_cb) { /* cannot happen: no sync while preparing */
                samsa_gc_complete_sync(cl, m->sync_cb, m->sync_arg,
                                       SAMSA_ERR_UNKNOWN_MEMBER_ID, NULL, NULL,
                                       NULL, 0);
            }
            memmove(&g->members[i], &g->members[i + 1],
                    (g->nmembers - i - 1) * sizeof(*g->members));
            g->nmembers--;
            samsa_gc_member_free(m);
        }
    }
    g->join_deadline = 0;
    g->initial_join = false;
    g->generation++;
    if (g->nmembers == 0) {
        set_str(&g->protocol, NULL);
        set_str(&g->leader, NULL);
        samsa_gc_group_set_state(g, GS_EMPTY);
        samsa_gc_persist_group(gc, g, false);
        return;
    }
    if (!g->leader || !samsa_gc_member_find(g, g->leader)) {
        set_str(&g->leader, g->members[0]->id);
    }
    set_str(&g->protocol, select_protocol(g));
    samsa_gc_group_set_state(g, GS_COMPLETING);
    int64_t now = samsa_mono_ms();
    for (size_t i = 0; i < g->nmembers; i++) {
        member_t *m = g->members[i];
        respond_join(g, m, m->join_cb, m->join_arg, false, cl);
        m->join_cb = NULL;
        m->hb_deadline = now + m->session_timeout_ms;
    }
    samsa_gc_wake(gc);
}

static bool all_joined(const group_t *g)
{
    if (g->npending) {
        return false;
    }
    for (size_t i = 0; i < g->nmembers; i++) {
        if (!g->members[i]->join_cb) {
            return false;
        }
    }
    return true;
}

void samsa_gc_group_try_complete_join(samsa_group_coordinator_t *gc, group_t *g,
                                      clist_t *cl, bool timer)
{
    if (g->state != GS_PREPARING) {
        return;
    }
    int64_t now = samsa_mono_ms();
    if (g->initial_join) {
        /* The initial delay never ends early; while new members keep
         * arriving it is extended, up to the rebalance timeout. */
        if (now < g->join_deadline) {
            return;
        }
        if (g->new_member_added && g->initial_remaining > 0) {
            int64_t d = gc->opts.initial_rebalance_delay_ms;
            if (d > g->initial_remaining) {
                d = g->initial_remaining;
            }
            g->initial_remaining -= d;
            g->new_member_added = false;
            g->join_deadline = now + d;
            samsa_gc_wake(gc);
            return;
        }
        complete_join_phase(gc, g, cl);
        return;
    }
    if (all_joined(g) || (timer && now >= g->join_deadline)) {
        complete_join_phase(gc, g, cl);
    }
}

void samsa_gc_member_remove_and_update(samsa_group_coordinator_t *gc,
                                       group_t *g, member_t *m, clist_t *cl)
{
    if (m->join_cb) {
        samsa_gc_complete_join_err(cl, m->join_cb, m->join_arg,
                                   SAMSA_ERR_UNKNOWN_MEMBER_ID, m->id);
    }
    if (m->sync_cb) {
        samsa_gc_complete_sync(cl, m->sync_cb, m->sync_arg,
                               SAMSA_ERR_UNKNOWN_MEMBER_ID, NULL, NULL, NULL,
                               0);
    }
    for (size_t i = 0; i < g->nmembers; i++) {
        if (g->members[i] == m) {
            memmove(&g->members[i], &g->members[i + 1],
                    (g->nmembers - i - 1) * sizeof(*g->members));
            g->nmembers--;
            break;
        }
    }
    if (is_leader(g, m)) {
        set_str(&g->leader, g->nmembers ? g->members[0]->id : NULL);
    }
    samsa_gc_member_free(m);
    if (g->state == GS_PREPARING) {
        samsa_gc_group_try_complete_join(gc, g, cl, false);
    } else if (g->state == GS_STABLE || g->state == GS_COMPLETING) {
        prepare_rebalance(gc, g, cl);
        samsa_gc_group_try_complete_join(gc, g, cl, false);
    }
}

/* A member (new, or pending from MEMBER_ID_REQUIRED) joins: add it and
 * start or join the rebalance. */
static void add_member_and_rebalance(samsa_group_coordinator_t *gc, group_t *g,
                                     const char *id,
                                     const samsa_group_join_req_t *req,
                                     samsa_group_join_cb done, void *arg,
                                     clist_t *cl)
{
    member_t *m = member_new(id, req);
    if (!m || group_add_member(g, m) != SAMSA_OK) {
        samsa_gc_member_free(m);
        samsa_gc_complete_join_err(cl, done, arg,
                                   SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, id);
        return;
    }
    if (g->nmembers == 1) {
        set_str(&g->protocol_type, req->protocol_type);
    }
    m->join_cb = done;
    m->join_arg = arg;
    m->hb_deadline = samsa_mono_ms() + m->session_timeout_ms;
    if (g->state == GS_PREPARING && g->generation == 0) {
        g->new_member_added = true;
    }
    maybe_prepare_rebalance(gc, g, cl);
    samsa_gc_group_try_complete_join(gc, g, cl, false);
}

/* A known member rejoins with (possibly) new protocols: wait for the join
 * phase, starting a rebalance when needed. */
static void update_member_and_rebalance(samsa_group_coordinator_t *gc,
                                        group_t *g, member_t *m,
                                        const samsa_group_join_req_t *req,
                                        samsa_group_join_cb done, void *arg,
                                        clist_t *cl)
{
    if (member_update(m, req) != SAMSA_OK) {
        samsa_gc_complete_join_err(cl, done, arg,
                                   SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, m->id);
        return;
    }
    if (m->join_cb) { /* a duplicate join replaces the older one */
        samsa_gc_complete_join_err(cl, m->join_cb, m->join_arg,
                                   SAMSA_ERR_REBALANCE_IN_PROGRESS, m->id);
    }
    m->join_cb = done;
    m->join_arg = arg;
    maybe_prepare_rebalance(gc, g, cl);
    samsa_gc_group_try_complete_join(gc, g, cl, false);
}

/* KIP-345: a static member rejoins without its member id: it takes a new
 * id; the old one is fenced. In a Stable group with unchanged protocols
 * nothing else happens (no rebalance). */
static void replace_static_member(samsa_group_coordinator_t *gc, group_t *g,
                                  member_t *m, const char *new_id,
                                  const samsa_group_join_req_t *req,
                                  samsa_group_join_cb done, void *arg,
                                  clist_t *cl)
{
    char *nid = strdup(new_id);
    if (!nid) {
        samsa_gc_complete_join_err(cl, done, arg,
                                   SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, "");
        return;
    }
    if (m->join_cb) {
        samsa_gc_complete_join_err(cl, m->join_cb, m->join_arg,
                                   SAMSA_ERR_FENCED_INSTANCE_ID, m->id);
        m->join_cb = NULL;
    }
    if (m->sync_cb) {
        samsa_gc_complete_sync(cl, m->sync_cb, m->sync_arg,
                               SAMSA_ERR_FENCED_INSTANCE_ID, NULL, NULL, NULL,
                               0);
        m->sync_cb = NULL;
    }
    bool leader = is_leader(g, m);
    free(m->id);
    m->id = nid;
    if (leader) {
        set_str(&g->leader, nid);
    }
    set_str(&m->client_id, req->client_id ? req->client_id : "");
    set_str(&m->client_host, req->client_host ? req->client_host : "");
    m->hb_deadline = samsa_mono_ms() + req->session_timeout_ms;
    if (g->state == GS_STABLE && protos_match(m, req)) {
        m->session_timeout_ms = req->session_timeout_ms;
        m->rebalance_timeout_ms = req->rebalance_timeout_ms;
        samsa_gc_persist_group(gc, g, false);
        /* KIP-814: the leader learns the members but keeps the current
         * assignment (skip_assignment). */
        respond_join(g, m, done, arg, leader, cl);
        return;
    }
    update_member_and_rebalance(gc, g, m, req, done, arg, cl);
}

static void join_new_member(samsa_group_coordinator_t *gc, group_t *g,
                            const samsa_group_join_req_t *req,
                            samsa_group_join_cb done, void *arg, clist_t *cl)
{
    const char *prefix = req->group_instance_id
                             ? req->group_instance_id
                             : (req->client_id ? req->client_id : "");
    char *id = new_member_id(prefix);
    if (!id) {
        samsa_gc_complete_join_err(cl, done, arg,
                                   SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, "");
        return;
    }
    member_t *old = samsa_gc_member_find_static(g, req->group_instance_id);
    if (old) {
        replace_static_member(gc, g, old, id, req, done, arg, cl);
    } else if (!req->group_instance_id && req->api_version >= 4) {
        /* KIP-394: the client must come back with this id. */
        samsa_err_t err =
            pending_add(g, id, samsa_mono_ms() + req->session_timeout_ms);
        samsa_gc_complete_join_err(cl, done, arg,
                                   err == SAMSA_OK
                                       ? SAMSA_ERR_MEMBER_ID_REQUIRED
                                       : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE,
                                   id);
        samsa_gc_wake(gc);
    } else {
        add_member_and_rebalance(gc, g, id, req, done, arg, cl);
    }
    free(id);
}

static void join_existing_member(samsa_group_coordinator_t *gc, group_t *g,
                                 const samsa_group_join_req_t *req,
                                 samsa_group_join_cb done, void *arg,
                                 clist_t *cl)
{
    ssize_t pi = pending_index(g, req->member_id);
    if (pi >= 0) {
        pending_remove(g, (size_t)pi);
        add_member_and_rebalance(gc, g, req->member_id, req, done, arg, cl);
        return;
    }
    member_t *s = samsa_gc_member_find_static(g, req->group_instance_id);
    if (s && strcmp(s->id, req->member_id) != 0) {
        samsa_gc_complete_join_err(cl, done, arg, SAMSA_ERR_FENCED_INSTANCE_ID,
                                   req->member_id);
        return;
    }
    member_t *m = samsa_gc_member_find(g, req->member_id);
    if (!m) {
        samsa_gc_complete_join_err(cl, done, arg, SAMSA_ERR_UNKNOWN_MEMBER_ID,
                                   req->member_id);
        return;
    }
    switch (g->state) {
    case GS_PREPARING:
        update_member_and_rebalance(gc, g, m, req, done, arg, cl);
        break;
    case GS_COMPLETING:
        if (protos_match(m, req)) {
            /* A lost JoinGroup response: answer it again. */
            respond_join(g, m, done, arg, false, cl);
        } else {
            update_member_and_rebalance(gc, g, m, req, done, arg, cl);
        }
        break;
    case GS_STABLE:
        if (is_leader(g, m) || !protos_match(m, req)) {
            update_member_and_rebalance(gc, g, m, req, done, arg, cl);
        } else {
            m->hb_deadline = samsa_mono_ms() + m->session_timeout_ms;
            respond_join(g, m, done, arg, false, cl);
        }
        break;
    default:
        samsa_gc_complete_join_err(cl, done, arg, SAMSA_ERR_UNKNOWN_MEMBER_ID,
                                   req->member_id);
        break;
    }
}

static void join_locked(samsa_group_coordinator_t *gc,
                        const samsa_group_join_req_t *req,
                        samsa_group_join_cb done, void *arg, clist_t *cl)
{
    const char *mid = req->member_id ? req->member_id : "";
    if (!req->group_id || !req->group_id[0]) {
        samsa_gc_complete_join_err(cl, done, arg,
                                   gc->stopped
                                       ? SAMSA_ERR_COORDINATOR_NOT_AVAILABLE
                                       : SAMSA_ERR_INVALID_GROUP_ID,
                                   mid);
        return;
    }
    samsa_err_t serving = samsa_gc_serving(gc, req->group_id);
    if (serving != SAMSA_OK) {
        samsa_gc_complete_join_err(cl, done, arg, serving, mid);
        return;
    }
    if (req->session_timeout_ms < gc->opts.min_session_timeout_ms ||
        req->session_timeout_ms > gc->opts.max_session_timeout_ms) {
        samsa_gc_complete_join_err(cl, done, arg,
                                   SAMSA_ERR_INVALID_SESSION_TIMEOUT, mid);
        return;
    }
    samsa_group_join_req_t r = *req;
    r.member_id = mid;
    if (r.rebalance_timeout_ms < 0) {
        r.rebalance_timeout_ms = r.session_timeout_ms;
    }
    bool unknown = mid[0] == '\0';
    group_t *g = samsa_gc_group_find(gc, r.group_id);
    bool created = false;
    if (!g) {
        if (!unknown) {
            samsa_gc_complete_join_err(cl, done, arg,
                                       SAMSA_ERR_UNKNOWN_MEMBER_ID, mid);
            return;
        }
        if (!(g = samsa_gc_group_create(gc, r.group_id))) {
            samsa_gc_complete_join_err(
                cl, done, arg, SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, mid);
            return;
        }
        created = true;
    }
    const member_t *self =
        unknown ? samsa_gc_member_find_static(g, r.group_instance_id)
                : samsa_gc_member_find(g, mid);
    samsa_err_t err = SAMSA_OK;
    if (!group_supports(g, &r, self)) {
        err = SAMSA_ERR_INCONSISTENT_GROUP_PROTOCOL;
    } else if (gc->opts.max_group_size > 0 && unknown && !self &&
               g->nmembers + g->npending >= (size_t)gc->opts.max_group_size) {
        err = SAMSA_ERR_GROUP_MAX_SIZE_REACHED;
    }
    if (err != SAMSA_OK) {
        if (created) {
            samsa_gc_group_remove(gc, g);
        }
        samsa_gc_complete_join_err(cl, done, arg, err, mid);
        return;
    }
    if (unknown) {
        join_new_member(gc, g, &r, done, arg, cl);
    } else {
        join_existing_member(gc, g, &r, done, arg, cl);
    }
}

void samsa_group_join(samsa_group_coordinator_t *gc,
                      const samsa_group_join_req_t *req,
                      samsa_group_join_cb done, void *arg)
{
    clist_t cl;
    samsa_gc_clist_init(&cl);
    pthread_mutex_lock(&gc->lock);
    join_locked(gc, req, done, arg, &cl);
    pthread_mutex_unlock(&gc->lock);
    samsa_gc_clist_run(&cl);
}

/* ---------------------------------------------------------------------- */
/* SyncGroup, Heartbeat                                                   */
/* ---------------------------------------------------------------------- */

/* The checks SyncGroup, Heartbeat and OffsetCommit share: member known,
 * not fenced, same generation. */
static samsa_err_t validate_member(group_t *g, const char *member_id,
                                   const char *instance_id, int32_t gen,
                                   member_t **out)
{
    member_t *s = samsa_gc_member_find_static(g, instance_id);
    if (s && strcmp(s->id, member_id ? member_id : "") != 0) {
        return SAMSA_ERR_FENCED_INSTANCE_ID;
    }
    member_t *m = samsa_gc_member_find(g, member_id);
    if (!m) {
        return SAMSA_ERR_UNKNOWN_MEMBER_ID;
    }
    if (gen != g->generation) {
        return SAMSA_ERR_ILLEGAL_GENERATION;
    }
    *out = m;
    return SAMSA_OK;
}

static void leader_sync(samsa_group_coordinator_t *gc, group_t *g,
                        const samsa_group_sync_req_t *req, clist_t *cl)
{
    for (size_t i = 0; i < g->nmembers; i++) {
        member_t *m = g->members[i];
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
        for (size_t k = 0; k < req->assignment_count; k++) {
            const samsa_group_assignment_t *a = &req->assignments[k];
            if (a->member_id && strcmp(a->member_id, m->id) == 0 &&
                a->assignment_len) {
                m->assignment = malloc(a->assignment_len);
                if (m->assignment) {
                    memcpy(m->assignment, a->assignment, a->assignment_len);
                    m->assignment_len = a->assignment_len;
                }
            }
        }
    }
    samsa_gc_group_set_state(g, GS_STABLE);
    samsa_gc_persist_group(gc, g, false);
    for (size_t i = 0; i < g->nmembers; i++) {
        member_t *m = g->members[i];
        if (m->sync_cb) {
            samsa_gc_complete_sync(cl, m->sync_cb, m->sync_arg, SAMSA_OK,
                                   g->protocol_type, g->protocol, m->assignment,
                                   m->assignment_len);
            m->sync_cb = NULL;
        }
    }
}

static void sync_locked(samsa_group_coordinator_t *gc,
                        const samsa_group_sync_req_t *req,
                        samsa_group_sync_cb done, void *arg, clist_t *cl)
{
    samsa_err_t err = samsa_gc_serving(gc, req->group_id);
    group_t *g = err ? NULL : samsa_gc_group_find(gc, req->group_id);
    member_t *m = NULL;
    if (err == SAMSA_OK && !g) {
        err = SAMSA_ERR_UNKNOWN_MEMBER_ID;
    } else if (err == SAMSA_OK) {
        err = validate_member(g, req->member_id, req->group_instance_id,
                              req->generation_id, &m);
    }
    if (err == SAMSA_OK &&
        ((req->protocol_type &&
          (!g->protocol_type ||
           strcmp(req->protocol_type, g->protocol_type))) ||
         (req->protocol_name &&
          (!g->protocol || strcmp(req->protocol_name, g->protocol))))) {
        err = SAMSA_ERR_INCONSISTENT_GROUP_PROTOCOL;
    }
    if (err == SAMSA_OK && g->state == GS_EMPTY) {
        err = SAMSA_ERR_UNKNOWN_MEMBER_ID;
    } else if (err == SAMSA_OK && g->state == GS_PREPARING) {
        err = SAMSA_ERR_REBALANCE_IN_PROGRESS;
    }
    if (err != SAMSA_OK) {
        samsa_gc_complete_sync(cl, done, arg, err, NULL, NULL, NULL, 0);
        return;
    }
    m->hb_deadline = samsa_mono_ms() + m->session_timeout_ms;
    if (g->state == GS_STABLE) {
        samsa_gc_complete_sync(cl, done, arg, SAMSA_OK, g->protocol_type,
                               g->protocol, m->assignment, m->assignment_len);
        return;
    }
    /* CompletingRebalance: park until the leader's assignment arrives. */
    if (m->sync_cb) {
        samsa_gc_complete_sync(cl, m->sync_cb, m->sync_arg,
                               SAMSA_ERR_REBALANCE_IN_PROGRESS, NULL, NULL,
                               NULL, 0);
    }
    m->sync_cb = done;
    m->sync_arg = arg;
    if (is_leader(g, m)) {
        leader_sync(gc, g, req, cl);
    }
}

void samsa_group_sync(samsa_group_coordinator_t *gc,
                      const samsa_group_sync_req_t *req,
                      samsa_group_sync_cb done, void *arg)
{
    clist_t cl;
    samsa_gc_clist_init(&cl);
    pthread_mutex_lock(&gc->lock);
    sync_locked(gc, req, done, arg, &cl);
    pthread_mutex_unlock(&gc->lock);
    samsa_gc_clist_run(&cl);
}

samsa_err_t samsa_group_heartbeat(samsa_group_coordinator_t *gc,
                                  const char *group_id, int32_t generation_id,
                                  const char *member_id,
                                  const char *group_instance_id)
{
    pthread_mutex_lock(&gc->lock);
    samsa_err_t err = samsa_gc_serving(gc, group_id);
    group_t *g = err ? NULL : samsa_gc_group_find(gc, group_id);
    member_t *m = NULL;
    if (err == SAMSA_OK && (!g || g->state == GS_EMPTY)) {
        err = SAMSA_ERR_UNKNOWN_MEMBER_ID;
    } else if (err == SAMSA_OK) {
        err =
            validate_member(g, member_id, group_instance_id, generation_id, &m);
    }
    if (err == SAMSA_OK) {
        m->hb_deadline = samsa_mono_ms() + m->session_timeout_ms;
        if (g->state == GS_PREPARING) {
            err = SAMSA_ERR_REBALANCE_IN_PROGRESS;
        }
    }
    pthread_mutex_unlock(&gc->lock);
    return err;
}

samsa_err_t samsa_gc_group_validate_commit(group_t *g, const char *member_id,
                                           const char *instance_id, int32_t gen)
{
    member_t *m = NULL;
    samsa_err_t err = validate_member(g, member_id, instance_id, gen, &m);
    if (err == SAMSA_OK && g->state == GS_COMPLETING) {
        err = SAMSA_ERR_REBALANCE_IN_PROGRESS;
    }
    if (err == SAMSA_OK) {
        m->hb_deadline = samsa_mono_ms() + m->session_timeout_ms;
    }
    return err;
}

/* ---------------------------------------------------------------------- */
/* LeaveGroup                                                             */
/* ---------------------------------------------------------------------- */

static samsa_err_t leave_one(samsa_group_coordinator_t *gc, group_t *g,
                             const samsa_group_leave_member_t *lm, clist_t *cl)
{
    const char *mid = lm->member_id ? lm->member_id : "";
    member_t *m;
    if (lm->group_instance_id) {
        m = samsa_gc_member_find_static(g, lm->group_instance_id);
        if (!m) {
            return SAMSA_ERR_UNKNOWN_MEMBER_ID;
        }
        if (mid[0] && strcmp(m->id, mid) != 0) {
            return SAMSA_ERR_FENCED_INSTANCE_ID;
        }
    } else {
        ssize_t pi = pending_index(g, mid);
        if (pi >= 0) {
            pending_remove(g, (size_t)pi);
            samsa_gc_group_try_complete_join(gc, g, cl, false);
            return SAMSA_OK;
        }
        if (!(m = samsa_gc_member_find(g, mid))) {
            return SAMSA_ERR_UNKNOWN_MEMBER_ID;
        }
    }
    samsa_gc_member_remove_and_update(gc, g, m, cl);
    return SAMSA_OK;
}

samsa_err_t samsa_group_leave(samsa_group_coordinator_t *gc,
                              const char *group_id,
                              samsa_group_leave_member_t *members, size_t count)
{
    clist_t cl;
    samsa_gc_clist_init(&cl);
    pthread_mutex_lock(&gc->lock);
    samsa_err_t top = samsa_gc_serving(gc, group_id);
    group_t *g = top ? NULL : samsa_gc_group_find(gc, group_id);
    for (size_t i = 0; i < count; i++) {
        members[i].error = top != SAMSA_OK ? top
                           : g             ? leave_one(gc, g, &members[i], &cl)
                                           : SAMSA_ERR_UNKNOWN_MEMBER_ID;
    }
    pthread_mutex_unlock(&gc->lock);
    samsa_gc_clist_run(&cl);
    return top;
}

/* ---------------------------------------------------------------------- */
/* Timers                                                                 */
/* ---------------------------------------------------------------------- */

void samsa_gc_group_tick(samsa_group_coordinator_t *gc, group_t *g, int64_t now,
                         clist_t *cl, int64_t *next)
{
    for (size_t i = g->npending; i-- > 0;) {
        if (now >= g->pending[i].deadline) {
            pending_remove(g, i);
            samsa_gc_group_try_complete_join(gc, g, cl, false);
        } else if (g->pending[i].deadline < *next) {
            *next = g->pending[i].deadline;
        }
    }
    for (size_t i = g->nmembers; i-- > 0;) {
        if (i >= g->nmembers) {
            continue; /* a removal above completed a join and pruned */
        }
        member_t *m = g->members[i];
        if (m->join_cb || m->sync_cb) {
            continue; /* parked members are alive (Kafka's keep-alive) */
        }
        if (now >= m->hb_deadline) {
            samsa_gc_member_remove_and_update(gc, g, m, cl);
        } else if (m->hb_deadline < *next) {
            *next = m->hb_deadline;
        }
    }
    if (g->state == GS_PREPARING) {
        if (now >= g->join_deadline) {
            samsa_gc_group_try_complete_join(gc, g, cl, true);
        }
        if (g->state == GS_PREPARING && g->join_deadline < *next) {
            *next = g->join_deadline;
        }
    }
}
