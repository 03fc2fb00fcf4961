/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group coordinator behaviour, driven through its C API with a real log
 * manager over the storage-memory / storage-segment plugins.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "group/coordinator.h"
#include "txn/coordinator.h"
#include "test_services.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

typedef struct fixture {
    test_env_t env;
    samsa_group_options_t opts;
    samsa_group_coordinator_t *gc;
} fixture_t;

/* A parked call: the callback copies its result here. */
typedef struct call {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    samsa_err_t error;
    int32_t generation;
    char member_id[128];
    char leader[128];
    char protocol[64];
    bool skip_assignment;
    size_t member_count;
    char members[8][128];
    uint8_t assignment[64];
    size_t assignment_len;
} call_t;

static call_t *call_new(void)
{
    call_t *c = calloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    return c;
}

static void call_free(call_t *c)
{
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

static void on_join(void *arg, const samsa_group_join_result_t *r)
{
    call_t *c = arg;
    pthread_mutex_lock(&c->mu);
    assert_false(c->done); /* exactly once */
    c->error = r->error;
    c->generation = r->generation_id;
    snprintf(c->member_id, sizeof(c->member_id), "%s", r->member_id);
    snprintf(c->leader, sizeof(c->leader), "%s", r->leader_id);
    snprintf(c->protocol, sizeof(c->protocol), "%s",
             r->protocol_name ? r->protocol_name : "");
    c->skip_assignment = r->skip_assignment;
    c->member_count = r->member_count;
    for (size_t i = 0; i < r->member_count && i < 8; i++) {
        snprintf(c->members[i], sizeof(c->members[i]), "%s",
                 r->members[i].member_id);
    }
    c->done = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_sync(void *arg, const samsa_group_sync_result_t *r)
{
    call_t *c = arg;
    pthread_mutex_lock(&c->mu);
    assert_false(c->done);
    c->error = r->error;
    c->assignment_len = r->assignment_len < 64 ? r->assignment_len : 64;
    if (r->assignment_len) {
        memcpy(c->assignment, r->assignment, c->assignment_len);
    }
    snprintf(c->protocol, sizeof(c->protocol), "%s",
             r->protocol_name ? r->protocol_name : "");
    c->done = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static bool call_wait(call_t *c, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&c->mu);
    while (!c->done) {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) != 0) {
            break;
        }
    }
    bool done = c->done;
    pthread_mutex_unlock(&c->mu);
    return done;
}

static bool call_done(call_t *c)
{
    pthread_mutex_lock(&c->mu);
    bool d = c->done;
    pthread_mutex_unlock(&c->mu);
    return d;
}

static void sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* ConsumerProtocolSubscription v0: int16 0, []string topics, bytes null. */
static size_t subscription(uint8_t *buf, const char *const *topics, int n)
{
    size_t at = 0;
    buf[at++] = 0;
    buf[at++] = 0;
    buf[at++] = 0;
    buf[at++] = 0;
    buf[at++] = 0;
    buf[at++] = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(topics[i]);
        buf[at++] = 0;
        buf[at++] = (uint8_t)l;
        memcpy(buf + at, topics[i], l);
        at += l;
    }
    memset(buf + at, 0xff, 4); /* user data: null */
    return at + 4;
}

typedef struct joiner {
    const char *member_id;
    const char *instance_id;
    const char *const *protos; /* names */
    int nprotos;
    int32_t session_ms, rebalance_ms;
    int16_t version;
    const uint8_t *meta;
    size_t meta_len;
} joiner_t;

static call_t *join(fixture_t *f, const char *group, joiner_t j)
{
    samsa_group_protocol_t p[4];
    for (int i = 0; i < j.nprotos; i++) {
        p[i] = (samsa_group_protocol_t){j.protos[i], j.meta, j.meta_len};
    }
    samsa_group_join_req_t req = {
        .group_id = group,
        .member_id = j.member_id ? j.member_id : "",
        .group_instance_id = j.instance_id,
        .client_id = "client",
        .client_host = "/127.0.0.1",
        .protocol_type = "consumer",
        .protocols = p,
        .protocol_count = (size_t)j.nprotos,
        .session_timeout_ms = j.session_ms ? j.session_ms : 5000,
        .rebalance_timeout_ms = j.rebalance_ms ? j.rebalance_ms : 1000,
        .api_version = j.version ? j.version : 3,
    };
    call_t *c = call_new();
    samsa_group_join(f->gc, &req, on_join, c);
    return c;
}

static call_t *sync_(fixture_t *f, const char *group, const char *member,
                     const char *instance, int32_t gen,
                     const samsa_group_assignment_t *as, size_t n)
{
    samsa_group_sync_req_t req = {.group_id = group,
                                  .generation_id = gen,
                                  .member_id = member,
                                  .group_instance_id = instance,
                                  .assignments = as,
                                  .assignment_count = n};
    call_t *c = call_new();
    samsa_group_sync(f->gc, &req, on_sync, c);
    return c;
}

static const char *state_of(fixture_t *f, const char *group, char *buf)
{
    samsa_group_desc_t d;
    assert_int_equal(samsa_group_describe(f->gc, group, &d), SAMSA_OK);
    strcpy(buf, d.state);
    samsa_group_desc_free(&d);
    return buf;
}

static samsa_err_t commit1(fixture_t *f, const char *group, int32_t gen,
                           const char *member, const char *topic, int32_t part,
                           int64_t off, const char *md)
{
    samsa_offset_commit_req_t req = {.group_id = group,
                                     .generation_id = gen,
                                     .member_id = member,
                                     .commit_timestamp = -1};
    samsa_offset_commit_part_t p = {.topic = topic,
                                    .partition = part,
                                    .offset = off,
                                    .leader_epoch = -1,
                                    .metadata = md};
    samsa_err_t err = samsa_group_offset_commit(f->gc, &req, &p, 1);
    return err != SAMSA_OK ? err : p.error;
}

static int64_t fetch1(fixture_t *f, const char *group, const char *topic,
                      int32_t part)
{
    samsa_group_tp_t tp = {.topic = topic, .partition = part};
    samsa_group_offsets_t out;
    assert_int_equal(samsa_group_offset_fetch(f->gc, group, &tp, 1, &out),
                     SAMSA_OK);
    assert_int_equal(out.count, 1);
    int64_t off = out.items[0].offset;
    samsa_group_offsets_free(&out);
    return off;
}

static int setup_with(void **state, const char *engine)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (!test_env_open(&f->env)) {
        free(f);
        return -1;
    }
    samsa_group_options_init(&f->opts);
    f->opts.logmgr = f->env.mgr;
    f->opts.offsets_topic_engine = engine;
    f->opts.initial_rebalance_delay_ms = 0;
    f->opts.min_session_timeout_ms = 10;
    char err[256] = "";
    if (samsa_group_coordinator_start(&f->opts, &f->gc, err, sizeof(err)) !=
        SAMSA_OK) {
        fprintf(stderr, "start: %s\n", err);
        test_env_close(&f->env);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, "memory");
}

static int setup_segment(void **state)
{
    return setup_with(state, NULL); /* the default engine: segment */
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    samsa_group_coordinator_destroy(f->gc);
    test_env_close(&f->env);
    free(f);
    return 0;
}

/* Restart the coordinator with new options over the same log. */
static void restart(fixture_t *f)
{
    samsa_group_coordinator_destroy(f->gc);
    f->gc = NULL;
    char err[256] = "";
    assert_int_equal(
        samsa_group_coordinator_start(&f->opts, &f->gc, err, sizeof(err)),
        SAMSA_OK);
}

static const char *const RANGE_RR[] = {"range", "roundrobin"};
static const char *const RR_RANGE[] = {"roundrobin", "range"};
static const char *const RANGE[] = {"range"};

/* Form a stable group of two dynamic members A (leader) and B. */
typedef struct pair {
    char a[128], b[128];
    int32_t gen;
} pair_t;

static void form_pair(fixture_t *f, const char *group, pair_t *p,
                      int32_t session_ms)
{
    call_t *a = join(
        f, group,
        (joiner_t){.protos = RANGE, .nprotos = 1, .session_ms = session_ms});
    assert_true(call_wait(a, 5000)); /* delay 0: generation 1 at once */
    assert_int_equal(a->error, SAMSA_OK);
    strcpy(p->a, a->member_id);
    call_t *b = join(
        f, group,
        (joiner_t){.protos = RANGE, .nprotos = 1, .session_ms = session_ms});
    assert_false(call_done(b)); /* waits for A to rejoin */
    call_t *a2 = join(f, group,
                      (joiner_t){.member_id = p->a,
                                 .protos = RANGE,
                                 .nprotos = 1,
                                 .session_ms = session_ms});
    assert_true(call_wait(a2, 5000));
    assert_true(call_wait(b, 5000));
    assert_int_equal(a2->error, SAMSA_OK);
    assert_int_equal(b->error, SAMSA_OK);
    assert_int_equal(a2->generation, 2);
    assert_string_equal(a2->leader, p->a);
    assert_int_equal(a2->member_count, 2);
    assert_int_equal(b->member_count, 0);
    strcpy(p->b, b->member_id);
    p->gen = b->generation;
    samsa_group_assignment_t as[2] = {
        {p->a, (const uint8_t *)"AAAA", 4},
        {p->b, (const uint8_t *)"BB", 2},
    };
    call_t *sb = sync_(f, group, p->b, NULL, p->gen, NULL, 0);
    assert_false(call_done(sb)); /* follower parks until the leader */
    call_t *sa = sync_(f, group, p->a, NULL, p->gen, as, 2);
    assert_true(call_wait(sa, 5000));
    assert_true(call_wait(sb, 5000));
    assert_int_equal(sa->error, SAMSA_OK);
    assert_int_equal(sb->error, SAMSA_OK);
    assert_int_equal(sa->assignment_len, 4);
    assert_memory_equal(sb->assignment, "BB", 2);
    call_free(a);
    call_free(b);
    call_free(a2);
    call_free(sa);
    call_free(sb);
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                  */
/* ---------------------------------------------------------------------- */

static void members_join_leader_gets_metadata_and_protocol_by_vote(void **state)
{
    fixture_t *f = *state;
    /* A delay long enough for all three to join in one generation. */
    f->opts.initial_rebalance_delay_ms = 300;
    restart(f);
    call_t *a = join(f, "g", (joiner_t){.protos = RANGE_RR, .nprotos = 2});
    call_t *b = join(f, "g", (joiner_t){.protos = RR_RANGE, .nprotos = 2});
    call_t *c = join(f, "g", (joiner_t){.protos = RR_RANGE, .nprotos = 2});
    char st[32];
    assert_string_equal(state_of(f, "g", st), "PreparingRebalance");
    assert_false(call_done(a));
    assert_true(call_wait(a, 5000));
    assert_true(call_wait(b, 5000));
    assert_true(call_wait(c, 5000));
    assert_int_equal(a->error, SAMSA_OK);
    assert_int_equal(a->generation, 1);
    assert_int_equal(b->generation, 1);
    /* roundrobin wins 2 votes to 1 although the leader prefers range. */
    assert_string_equal(a->protocol, "roundrobin");
    assert_string_equal(b->protocol, "roundrobin");
    assert_string_equal(a->leader, a->member_id);
    assert_string_equal(b->leader, a->member_id);
    assert_int_equal(a->member_count, 3);
    assert_int_equal(b->member_count, 0);
    assert_true(strncmp(a->member_id, "client-", 7) == 0);
    assert_string_equal(state_of(f, "g", st), "CompletingRebalance");

    samsa_group_assignment_t as[3] = {
        {a->member_id, (const uint8_t *)"a", 1},
        {b->member_id, (const uint8_t *)"bb", 2},
        {c->member_id, (const uint8_t *)"ccc", 3},
    };
    call_t *sb = sync_(f, "g", b->member_id, NULL, 1, NULL, 0);
    call_t *sc = sync_(f, "g", c->member_id, NULL, 1, NULL, 0);
    call_t *sa = sync_(f, "g", a->member_id, NULL, 1, as, 3);
    assert_true(call_wait(sa, 5000) && call_wait(sb, 5000) &&
                call_wait(sc, 5000));
    assert_memory_equal(sb->assignment, "bb", 2);
    assert_memory_equal(sc->assignment, "ccc", 3);
    assert_string_equal(sc->protocol, "roundrobin");
    assert_string_equal(state_of(f, "g", st), "Stable");

    samsa_group_desc_t d;
    assert_int_equal(samsa_group_describe(f->gc, "g", &d), SAMSA_OK);
    assert_int_equal(d.member_count, 3);
    assert_string_equal(d.protocol, "roundrobin");
    assert_string_equal(d.protocol_type, "consumer");
    assert_string_equal(d.members[0].client_host, "/127.0.0.1");
    assert_int_equal(d.members[2].assignment_len, 3);
    samsa_group_desc_free(&d);

    samsa_group_listing_t *l;
    size_t n;
    const char *stable[] = {"stable"};
    assert_int_equal(samsa_group_list(f->gc, stable, 1, &l, &n), SAMSA_OK);
    assert_int_equal(n, 1);
    assert_string_equal(l[0].group_id, "g");
    samsa_group_listings_free(l, n);
    const char *empty[] = {"Empty"};
    assert_int_equal(samsa_group_list(f->gc, empty, 1, &l, &n), SAMSA_OK);
    assert_int_equal(n, 0);
    samsa_group_listings_free(l, n);
    call_t *all[] = {a, b, c, sa, sb, sc};
    for (size_t i = 0; i < 6; i++) {
        call_free(all[i]);
    }
}

static void inconsistent_protocols_are_rejected(void **state)
{
    fixture_t *f = *state;
    pair_t p;
    form_pair(f, "g", &p, 5000);
    const char *const other[] = {"sticky"};
    call_t *c = join(f, "g", (joiner_t){.protos = other, .nprotos = 1});
    assert_true(call_wait(c, 1000));
    assert_int_equal(c->error, SAMSA_ERR_INCONSISTENT_GROUP_PROTOCOL);
    call_free(c);
    samsa_group_protocol_t pr = {"range", NULL, 0};
    samsa_group_join_req_t req = {.group_id = "g",
                                  .member_id = "",
                                  .protocol_type = "connect",
                                  .protocols = &pr,
                                  .protocol_count = 1,
                                  .session_timeout_ms = 5000,
                                  .rebalance_timeout_ms = 1000};
    c = call_new();
    samsa_group_join(f->gc, &req, on_join, c);
    assert_true(call_wait(c, 1000));
    assert_int_equal(c->error, SAMSA_ERR_INCONSISTENT_GROUP_PROTOCOL);
    call_free(c);
    req.session_timeout_ms = 1; /* below the minimum */
    c = call_new();
    samsa_group_join(f->gc, &req, on_join, c);
    assert_true(call_wait(c, 1000));
    assert_int_equal(c->error, SAMSA_ERR_INVALID_SESSION_TIMEOUT);
    call_free(c);
}

static void third_member_triggers_rebalance_and_new_generation(void **state)
{
    fixture_t *f = *state;
    pair_t p;
    form_pair(f, "g", &p, 5000);
    call_t *c = join(f, "g", (joiner_t){.protos = RANGE, .nprotos = 1});
    assert_false(call_done(c));
    char st[32];
    assert_string_equal(state_of(f, "g", st), "PreparingRebalance");
    /* Members learn about the rebalance from their heartbeat. */
    assert_int_equal(samsa_group_heartbeat(f->gc, "g", p.gen, p.a, NULL),
                     SAMSA_ERR_REBALANCE_IN_PROGRESS);
    call_t *a = join(
        f, "g", (joiner_t){.member_id = p.a, .protos = RANGE, .nprotos = 1});
    assert_false(call_done(a));
    call_t *b = join(
        f, "g", (joiner_t){.member_id = p.b, .protos = RANGE, .nprotos = 1});
    assert_true(call_wait(a, 5000) && call_wait(b, 5000) && call_wait(c, 5000));
    assert_int_equal(a->generation, p.gen + 1);
    assert_int_equal(c->generation, p.gen + 1);
    assert_int_equal(a->member_count, 3);
    assert_string_equal(c->leader, p.a);
    /* The old generation is fenced off everywhere. */
    assert_int_equal(samsa_group_heartbeat(f->gc, "g", p.gen, p.b, NULL),
                     SAMSA_ERR_ILLEGAL_GENERATION);
    call_t *s = sync_(f, "g", p.b, NULL, p.gen, NULL, 0);
    assert_true(call_wait(s, 1000));
    assert_int_equal(s->error, SAMSA_ERR_ILLEGAL_GENERATION);
    assert_int_equal(commit1(f, "g", p.gen, p.b, "t", 0, 5, ""),
                     SAMSA_ERR_ILLEGAL_GENERATION);
    /* Commits of the new generation wait for the assignment. */
    assert_int_equal(commit1(f, "g", p.gen + 1, p.b, "t", 0, 5, ""),
                     SAMSA_ERR_REBALANCE_IN_PROGRESS);
    assert_int_equal(samsa_group_heartbeat(f->gc, "g", p.gen + 1, p.b, NULL),
                     SAMSA_OK);
    assert_int_equal(
        samsa_group_heartbeat(f->gc, "g", p.gen + 1, "nobody", NULL),
        SAMSA_ERR_UNKNOWN_MEMBER_ID);
    call_free(a);
    call_free(b);
    call_free(c);
    call_free(s);
}

static void session_timeout_removes_member_and_rebalances(void **state)
{
    fixture_t *f = *state;
    pair_t p;
    form_pair(f, "g", &p, 300);
    /* A heartbeats, B goes silent. */
    samsa_err_t hb = SAMSA_OK;
    for (int i = 0; i < 100 && hb == SAMSA_OK; i++) {
        sleep_ms(50);
        hb = samsa_group_heartbeat(f->gc, "g", p.gen, p.a, NULL);
    }
    assert_int_equal(hb, SAMSA_ERR_REBALANCE_IN_PROGRESS);
    call_t *a = join(f, "g",
                     (joiner_t){.member_id = p.a,
                                .protos = RANGE,
                                .nprotos = 1,
                                .session_ms = 300});
    assert_true(call_wait(a, 5000));
    assert_int_equal(a->error, SAMSA_OK);
    assert_int_equal(a->generation, p.gen + 1);
    assert_int_equal(a->member_count, 1);
    assert_int_equal(samsa_group_heartbeat(f->gc, "g", p.gen + 1, p.b, NULL),
                     SAMSA_ERR_UNKNOWN_MEMBER_ID);
    call_free(a);
}

static void rebalance_timeout_drops_members_that_do_not_rejoin(void **state)
{
    fixture_t *f = *state;
    pair_t p;
    form_pair(f, "g", &p, 5000); /* rebalance timeout 1000 ms */
    call_t *a = join(f, "g",
                     (joiner_t){.member_id = p.a,
                                .protos = RANGE,
                                .nprotos = 1,
                                .rebalance_ms = 200});
    assert_false(call_done(a));
    assert_true(call_wait(a, 5000)); /* B never rejoins */
    assert_int_equal(a->error, SAMSA_OK);
    assert_int_equal(a->member_count, 1);
    assert_int_equal(a->generation, p.gen + 1);
    call_free(a);
}

static void new_member_gets_member_id_required_from_v4(void **state)
{
    fixture_t *f = *state;
    call_t *a =
        join(f, "g", (joiner_t){.protos = RANGE, .nprotos = 1, .version = 4});
    assert_true(call_wait(a, 1000));
    assert_int_equal(a->error, SAMSA_ERR_MEMBER_ID_REQUIRED);
    assert_true(strlen(a->member_id) > 8);
    call_t *a2 = join(f, "g",
                      (joiner_t){.member_id = a->member_id,
                                 .protos = RANGE,
                                 .nprotos = 1,
                                 .version = 4});
    assert_true(call_wait(a2, 5000));
    assert_int_equal(a2->error, SAMSA_OK);
    assert_string_equal(a2->member_id, a->member_id);
    assert_string_equal(a2->leader, a->member_id);
    /* An id the coordinator never handed out is unknown. */
    call_t *x = join(f, "g",
                     (joiner_t){.member_id = "client-forged",
                                .protos = RANGE,
                                .nprotos = 1,
                                .version = 4});
    assert_true(call_wait(x, 1000));
    assert_int_equal(x->error, SAMSA_ERR_UNKNOWN_MEMBER_ID);
    call_free(a);
    call_free(a2);
    call_free(x);
}

static void
static_member_rejoin_keeps_assignment_without_rebalance(void **state)
{
    fixture_t *f = *state;
    call_t *s = join(f, "g",
                     (joiner_t){.instance_id = "inst-1",
                                .protos = RANGE,
                                .nprotos = 1,
                                .version = 5});
    assert_true(call_wait(s, 5000)); /* static members skip KIP-394 */
    assert_int_equal(s->error, SAMSA_OK);
    assert_true(strncmp(s->member_id, "inst-1-", 7) == 0);
    samsa_group_assignment_t as = {s->member_id, (const uint8_t *)"P0", 2};
    call_t *ss = sync_(f, "g", s->member_id, "inst-1", s->generation, &as, 1);
    assert_true(call_wait(ss, 1000));
    assert_int_equal(ss->error, SAMSA_OK);

    /* The same instance restarts and joins without its member id. */
    call_t *r = join(f, "g",
                     (joiner_t){.instance_id = "inst-1",
                                .protos = RANGE,
                                .nprotos = 1,
                                .version = 9});
    assert_true(call_wait(r, 1000));
    assert_int_equal(r->error, SAMSA_OK);
    assert_int_equal(r->generation, s->generation); /* no rebalance */
    assert_string_not_equal(r->member_id, s->member_id);
    assert_string_equal(r->leader, r->member_id);
    assert_true(r->skip_assignment);
    char st[32];
    assert_string_equal(state_of(f, "g", st), "Stable");
    call_t *rs = sync_(f, "g", r->member_id, "inst-1", r->generation, NULL, 0);
    assert_true(call_wait(rs, 1000));
    assert_int_equal(rs->error, SAMSA_OK);
    assert_memory_equal(rs->assignment, "P0", 2);

    /* The old incarnation is fenced. */
    assert_int_equal(samsa_group_heartbeat(f->gc, "g", s->generation,
                                           s->member_id, "inst-1"),
                     SAMSA_ERR_FENCED_INSTANCE_ID);
    call_t *old = join(f, "g",
                       (joiner_t){.member_id = s->member_id,
                                  .instance_id = "inst-1",
                                  .protos = RANGE,
                                  .nprotos = 1,
                                  .version = 5});
    assert_true(call_wait(old, 1000));
    assert_int_equal(old->error, SAMSA_ERR_FENCED_INSTANCE_ID);
    samsa_offset_commit_req_t creq = {.group_id = "g",
                                      .generation_id = s->generation,
                                      .member_id = s->member_id,
                                      .group_instance_id = "inst-1",
                                      .commit_timestamp = -1};
    samsa_offset_commit_part_t cp = {.topic = "t", .offset = 1};
    assert_int_equal(samsa_group_offset_commit(f->gc, &creq, &cp, 1),
                     SAMSA_ERR_FENCED_INSTANCE_ID);
    /* Leaving by instance id with a stale member id is fenced too. */
    samsa_group_leave_member_t lm = {s->member_id, "inst-1", SAMSA_OK};
    assert_int_equal(samsa_group_leave(f->gc, "g", &lm, 1), SAMSA_OK);
    assert_int_equal(lm.error, SAMSA_ERR_FENCED_INSTANCE_ID);
    samsa_group_leave_member_t lm2 = {"", "inst-1", SAMSA_OK};
    assert_int_equal(samsa_group_leave(f->gc, "g", &lm2, 1), SAMSA_OK);
    assert_int_equal(lm2.error, SAMSA_OK);
    assert_string_equal(state_of(f, "g", st), "Empty");
    call_t *all[] = {s, ss, r, rs, old};
    for (size_t i = 0; i < 5; i++) {
        call_free(all[i]);
    }
}

static void leave_triggers_rebalance(void **state)
{
    fixture_t *f = *state;
    pair_t p;
    form_pair(f, "g", &p, 5000);
    samsa_group_leave_member_t lm[2] = {{p.b, NULL, SAMSA_OK},
                                        {"ghost", NULL, SAMSA_OK}};
    assert_int_equal(samsa_group_leave(f->gc, "g", lm, 2), SAMSA_OK);
    assert_int_equal(lm[0].error, SAMSA_OK);
    assert_int_equal(lm[1].error, SAMSA_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(samsa_group_heartbeat(f->gc, "g", p.gen, p.a, NULL),
                     SAMSA_ERR_REBALANCE_IN_PROGRESS);
    call_t *a = join(
        f, "g", (joiner_t){.member_id = p.a, .protos = RANGE, .nprotos = 1});
    assert_true(call_wait(a, 1000)); /* the only member: completes now */
    assert_int_equal(a->generation, p.gen + 1);
    assert_int_equal(a->member_count, 1);
    /* The last member leaving empties the group. */
    samsa_group_leave_member_t la = {p.a, NULL, SAMSA_OK};
    assert_int_equal(samsa_group_leave(f->gc, "g", &la, 1), SAMSA_OK);
    char st[32];
    assert_string_equal(state_of(f, "g", st), "Empty");
    call_free(a);
}

static void commit_and_fetch_offsets(void **state)
{
    fixture_t *f = *state;
    /* Simple commits (no group management) create the group. */
    assert_int_equal(commit1(f, "s", -1, "", "t", 0, 42, "meta"), SAMSA_OK);
    assert_int_equal(commit1(f, "s", -1, "", "t", 1, 7, NULL), SAMSA_OK);
    assert_int_equal(commit1(f, "s", -1, "", "a", 0, 1, NULL), SAMSA_OK);
    assert_int_equal(commit1(f, "s", -1, "", "t", 0, 43, "meta2"), SAMSA_OK);
    assert_int_equal(fetch1(f, "s", "t", 0), 43);
    assert_int_equal(fetch1(f, "s", "t", 9), -1);
    assert_int_equal(fetch1(f, "nope", "t", 0), -1);
    /* A generation for an unknown group is illegal. */
    assert_int_equal(commit1(f, "x", 3, "m", "t", 0, 1, NULL),
                     SAMSA_ERR_ILLEGAL_GENERATION);
    samsa_group_offsets_t all;
    assert_int_equal(samsa_group_offset_fetch(f->gc, "s", NULL, 0, &all),
                     SAMSA_OK);
    assert_int_equal(all.count, 3);
    assert_string_equal(all.items[0].topic, "a"); /* sorted */
    assert_string_equal(all.items[1].topic, "t");
    assert_int_equal(all.items[1].offset, 43);
    assert_string_equal(all.items[1].metadata, "meta2");
    assert_true(all.items[1].commit_timestamp > 0);
    assert_int_equal(all.items[2].partition, 1);
    samsa_group_offsets_free(&all);

    /* Metadata over the limit fails that partition only. */
    f->opts.max_metadata_size = 4;
    restart(f);
    samsa_offset_commit_req_t req = {.group_id = "s",
                                     .generation_id = -1,
                                     .member_id = "",
                                     .commit_timestamp = -1};
    samsa_offset_commit_part_t parts[2] = {
        {.topic = "t", .partition = 0, .offset = 50, .metadata = "toolong"},
        {.topic = "t", .partition = 1, .offset = 8, .metadata = "ok"},
    };
    assert_int_equal(samsa_group_offset_commit(f->gc, &req, parts, 2),
                     SAMSA_OK);
    assert_int_equal(parts[0].error, SAMSA_ERR_OFFSET_METADATA_TOO_LARGE);
    assert_int_equal(parts[1].error, SAMSA_OK);
    assert_int_equal(fetch1(f, "s", "t", 0), 43);
    assert_int_equal(fetch1(f, "s", "t", 1), 8);

    /* Members commit with their generation; simple commits are refused
     * while the group has members. */
    pair_t p;
    form_pair(f, "g", &p, 5000);
    assert_int_equal(commit1(f, "g", p.gen, p.a, "t", 0, 11, NULL), SAMSA_OK);
    assert_int_equal(commit1(f, "g", -1, "", "t", 0, 12, NULL),
                     SAMSA_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(commit1(f, "g", p.gen, "ghost", "t", 0, 12, NULL),
                     SAMSA_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(fetch1(f, "g", "t", 0), 11);

    /* Lag against the high watermark of a real topic. */
    char err[128];
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "samsa.storage.engine", "memory");
    assert_int_equal(samsa_logmgr_create_topic(f->env.mgr, "t", 2, &cfg, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
    samsa_group_offsets_t lag;
    assert_int_equal(samsa_group_lag(f->gc, "g", &lag), SAMSA_OK);
    assert_int_equal(lag.count, 1);
    assert_int_equal(lag.items[0].high_watermark, 0);
    assert_int_equal(lag.items[0].lag, 0);
    samsa_group_offsets_free(&lag);
    assert_int_equal(samsa_group_lag(f->gc, "none", &lag),
                     SAMSA_ERR_GROUP_ID_NOT_FOUND);
}

static void commits_survive_restart(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(commit1(f, "s", -1, "", "t", 0, 42, "m"), SAMSA_OK);
    assert_int_equal(commit1(f, "s", -1, "", "t", 1, 9, NULL), SAMSA_OK);
    assert_int_equal(commit1(f, "s", -1, "", "t", 0, 100, "m2"), SAMSA_OK);
    assert_int_equal(commit1(f, "gone", -1, "", "t", 0, 5, NULL), SAMSA_OK);
    assert_int_equal(samsa_group_delete(f->gc, "gone"), SAMSA_OK);
    samsa_group_tp_t tp = {.topic = "t", .partition = 1};
    assert_int_equal(samsa_group_offset_delete(f->gc, "s", &tp, 1), SAMSA_OK);
    pair_t p;
    form_pair(f, "g", &p, 5000);
    assert_int_equal(commit1(f, "g", p.gen, p.b, "u", 3, 77, NULL), SAMSA_OK);

    /* Full restart: coordinator, log manager and engines. */
    samsa_group_coordinator_destroy(f->gc);
    f->gc = NULL;
    test_env_shutdown(&f->env);
    assert_true(test_env_reopen(&f->env));
    f->opts.logmgr = f->env.mgr;
    restart(f);

    assert_int_equal(fetch1(f, "s", "t", 0), 100);
    assert_int_equal(fetch1(f, "s", "t", 1), -1); /* tombstoned */
    assert_int_equal(fetch1(f, "g", "u", 3), 77);
    samsa_group_offsets_t all;
    assert_int_equal(samsa_group_offset_fetch(f->gc, "s", NULL, 0, &all),
                     SAMSA_OK);
    assert_int_equal(all.count, 1);
    assert_string_equal(all.items[0].metadata, "m2");
    samsa_group_offsets_free(&all);
    samsa_group_desc_t d;
    assert_int_equal(samsa_group_describe(f->gc, "gone", &d), SAMSA_OK);
    assert_int_equal(d.error, SAMSA_ERR_GROUP_ID_NOT_FOUND);
    samsa_group_desc_free(&d);
    /* The group comes back Empty with its protocol type and generation;
     * the next rebalance continues the generation count. */
    assert_int_equal(samsa_group_describe(f->gc, "g", &d), SAMSA_OK);
    assert_string_equal(d.state, "Empty");
    assert_string_equal(d.protocol_type, "consumer");
    samsa_group_desc_free(&d);
    call_t *a = join(f, "g", (joiner_t){.protos = RANGE, .nprotos = 1});
    assert_true(call_wait(a, 5000));
    assert_int_equal(a->generation, p.gen + 1);
    call_free(a);
}

static void delete_groups_and_offsets_report_kafka_errors(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(samsa_group_delete(f->gc, "none"),
                     SAMSA_ERR_GROUP_ID_NOT_FOUND);
    assert_int_equal(samsa_group_delete(f->gc, ""), SAMSA_ERR_INVALID_GROUP_ID);
    samsa_group_tp_t tp = {.topic = "t", .partition = 0};
    assert_int_equal(samsa_group_offset_delete(f->gc, "none", &tp, 1),
                     SAMSA_ERR_GROUP_ID_NOT_FOUND);

    /* An active consumer group subscribed to "t" but not to "other". */
    uint8_t meta[64];
    const char *const topics[] = {"t"};
    size_t mlen = subscription(meta, topics, 1);
    call_t *a = join(
        f, "g",
        (joiner_t){
            .protos = RANGE, .nprotos = 1, .meta = meta, .meta_len = mlen});
    assert_true(call_wait(a, 5000));
    call_t *s = sync_(f, "g", a->member_id, NULL, a->generation, NULL, 0);
    assert_true(call_wait(s, 1000));
    assert_int_equal(
        commit1(f, "g", a->generation, a->member_id, "t", 0, 5, NULL),
        SAMSA_OK);
    assert_int_equal(
        commit1(f, "g", a->generation, a->member_id, "other", 0, 6, NULL),
        SAMSA_OK);
    assert_int_equal(samsa_group_delete(f->gc, "g"), SAMSA_ERR_NON_EMPTY_GROUP);
    samsa_group_tp_t tps[2] = {{.topic = "t", .partition = 0},
                               {.topic = "other", .partition = 0}};
    assert_int_equal(samsa_group_offset_delete(f->gc, "g", tps, 2), SAMSA_OK);
    assert_int_equal(tps[0].error, SAMSA_ERR_GROUP_SUBSCRIBED_TO_TOPIC);
    assert_int_equal(tps[1].error, SAMSA_OK);
    assert_int_equal(fetch1(f, "g", "t", 0), 5);
    assert_int_equal(fetch1(f, "g", "other", 0), -1);

    /* Once empty the group and its offsets can go. */
    samsa_group_leave_member_t lm = {a->member_id, NULL, SAMSA_OK};
    samsa_group_leave(f->gc, "g", &lm, 1);
    assert_int_equal(samsa_group_delete(f->gc, "g"), SAMSA_OK);
    assert_int_equal(fetch1(f, "g", "t", 0), -1);
    assert_int_equal(samsa_group_delete(f->gc, "g"),
                     SAMSA_ERR_GROUP_ID_NOT_FOUND);
    call_free(a);
    call_free(s);

    char **names;
    size_t n;
    assert_int_equal(samsa_consumer_subscription_topics(meta, mlen, &names, &n),
                     SAMSA_OK);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "t");
    samsa_group_topics_free(names, n);
    assert_int_equal(samsa_consumer_subscription_topics(meta, 7, &names, &n),
                     SAMSA_ERR_CORRUPT);
}

static void offsets_of_empty_groups_expire(void **state)
{
    fixture_t *f = *state;
    f->opts.offsets_retention_ms = 100;
    restart(f);
    assert_int_equal(commit1(f, "s", -1, "", "t", 0, 1, NULL), SAMSA_OK);
    pair_t p;
    form_pair(f, "g", &p, 5000);
    assert_int_equal(commit1(f, "g", p.gen, p.a, "t", 0, 2, NULL), SAMSA_OK);
    samsa_group_coordinator_tick(f->gc);
    assert_int_equal(fetch1(f, "s", "t", 0), 1); /* not yet */
    sleep_ms(250);
    samsa_group_coordinator_tick(f->gc);
    assert_int_equal(fetch1(f, "s", "t", 0), -1);
    assert_int_equal(fetch1(f, "g", "t", 0), 2); /* group has members */
    samsa_group_desc_t d;
    samsa_group_describe(f->gc, "s", &d);
    assert_int_equal(d.error, SAMSA_ERR_GROUP_ID_NOT_FOUND);
    samsa_group_desc_free(&d);
}

static void stop_completes_parked_calls(void **state)
{
    fixture_t *f = *state;
    pair_t p;
    form_pair(f, "g", &p, 5000);
    call_t *c = join(f, "g", (joiner_t){.protos = RANGE, .nprotos = 1});
    call_t *a = join(
        f, "g", (joiner_t){.member_id = p.a, .protos = RANGE, .nprotos = 1});
    assert_false(call_done(c) || call_done(a));
    samsa_group_coordinator_stop(f->gc);
    assert_true(call_done(c) && call_done(a));
    assert_int_equal(c->error, SAMSA_ERR_COORDINATOR_NOT_AVAILABLE);
    assert_int_equal(a->error, SAMSA_ERR_COORDINATOR_NOT_AVAILABLE);
    assert_int_equal(samsa_group_heartbeat(f->gc, "g", p.gen, p.a, NULL),
                     SAMSA_ERR_COORDINATOR_NOT_AVAILABLE);
    call_free(c);
    call_free(a);
}

static void partition_for_matches_java_string_hash(void **state)
{
    fixture_t *f = *state;
    /* "group".hashCode() == 98629247 */
    f->opts.offsets_topic_partitions = 50;
    samsa_group_coordinator_destroy(f->gc);
    f->gc = NULL;
    assert_int_equal(samsa_logmgr_delete_topic(f->env.mgr, SAMSA_OFFSETS_TOPIC),
                     SAMSA_OK);
    restart(f);
    assert_int_equal(samsa_group_partition_for(f->gc, "group"), 98629247 % 50);
}

static samsa_err_t txn_commit1(fixture_t *f, const char *group, int64_t pid,
                               int32_t gen, const char *member, int64_t off)
{
    samsa_txn_offset_commit_req_t req = {.group_id = group,
                                         .producer_id = pid,
                                         .producer_epoch = 0,
                                         .generation_id = gen,
                                         .member_id = member};
    samsa_offset_commit_part_t p = {"t", 0, off, -1, NULL, SAMSA_OK};
    samsa_err_t err = samsa_group_txn_offset_commit(f->gc, &req, &p, 1);
    return err != SAMSA_OK ? err : p.error;
}

static void marker(fixture_t *f, const char *group, int64_t pid, bool commit)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(f->env.mgr, SAMSA_OFFSETS_TOPIC);
    samsa_partition_t *part =
        samsa_topic_partition(t, samsa_group_partition_for(f->gc, group));
    assert_int_equal(samsa_txn_marker_deliver(f->gc, part, pid, 0, 0, commit),
                     SAMSA_OK);
    samsa_topic_put(t);
}

/* TxnOffsetCommit writes transactional records to __consumer_offsets:
 * pending (invisible) until the marker, and a reload from the log finds
 * both the pending offsets and, after the marker, the committed ones. */
static void txn_offsets_are_persisted_and_settled_by_markers(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(txn_commit1(f, "gt", 7, -1, "", 50), SAMSA_OK);
    assert_int_equal(txn_commit1(f, "gt", 8, -1, "", 60), SAMSA_OK);
    assert_int_equal(fetch1(f, "gt", "t", 0), -1);
    /* KIP-447: a consumer asking for stable offsets waits for the end */
    samsa_group_tp_t tp = {.topic = "t", .partition = 0};
    samsa_group_offsets_t out;
    assert_int_equal(
        samsa_group_offset_fetch_stable(f->gc, "gt", &tp, 1, true, &out),
        SAMSA_OK);
    assert_int_equal(out.items[0].error, SAMSA_ERR_UNSTABLE_OFFSET_COMMIT);
    samsa_group_offsets_free(&out);
    restart(f); /* replay: both still pending */
    assert_int_equal(fetch1(f, "gt", "t", 0), -1);
    marker(f, "gt", 8, false);
    assert_int_equal(fetch1(f, "gt", "t", 0), -1);
    marker(f, "gt", 7, true);
    assert_int_equal(fetch1(f, "gt", "t", 0), 50);
    restart(f); /* replay: the markers decide as they did */
    assert_int_equal(fetch1(f, "gt", "t", 0), 50);
    /* The same producer in its next transaction continues its sequence. */
    assert_int_equal(txn_commit1(f, "gt", 7, -1, "", 70), SAMSA_OK);
    marker(f, "gt", 7, true);
    assert_int_equal(fetch1(f, "gt", "t", 0), 70);
}

/* KIP-447: a zombie of an older generation, or a member the group does
 * not know, is refused. */
static void txn_offset_commit_checks_generation_and_member(void **state)
{
    fixture_t *f = *state;
    pair_t p;
    form_pair(f, "gz", &p, 5000);
    assert_int_equal(txn_commit1(f, "gz", 9, p.gen - 1, p.a, 5),
                     SAMSA_ERR_ILLEGAL_GENERATION);
    assert_int_equal(txn_commit1(f, "gz", 9, p.gen, "stranger", 5),
                     SAMSA_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(txn_commit1(f, "gz", 9, p.gen, p.a, 5), SAMSA_OK);
    assert_int_equal(txn_commit1(f, "gz", 9, -1, "", 6), SAMSA_OK);
}

/* In a cluster the coordinator serves only the offsets partitions this
 * broker leads: NOT_COORDINATOR elsewhere, COORDINATOR_LOAD_IN_PROGRESS
 * while a partition loads; unloading answers parked joins with
 * NOT_COORDINATOR and drops the groups; a coordinator that loads the
 * partition afterwards (here: a new one over the same log) has the
 * committed offsets. */
static void partitions_follow_leadership(void **state)
{
    fixture_t *f = *state;
    samsa_group_coordinator_destroy(f->gc);
    f->gc = NULL;
    assert_int_equal(samsa_logmgr_delete_topic(f->env.mgr, SAMSA_OFFSETS_TOPIC),
                     SAMSA_OK);
    samsa_tcfg_t cfg = {0};
    assert_int_equal(samsa_tcfg_set(&cfg, "samsa.storage.engine", "memory"),
                     SAMSA_OK);
    char err[256] = "";
    assert_int_equal(samsa_logmgr_create_topic(f->env.mgr, SAMSA_OFFSETS_TOPIC,
                                               4, &cfg, false, err,
                                               sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
    f->opts.follow_leadership = true;
    f->opts.offsets_topic_partitions = 4;
    restart(f);
    /* Two groups in different partitions. */
    char other[16] = "";
    int32_t pa = samsa_group_partition_for(f->gc, "ga");
    for (int i = 0; i < 100 && !other[0]; i++) {
        char id[16];
        snprintf(id, sizeof(id), "gb%d", i);
        if (samsa_group_partition_for(f->gc, id) != pa) {
            strcpy(other, id);
        }
    }
    assert_true(other[0] != 0);

    assert_int_equal(commit1(f, "ga", -1, "", "t", 0, 42, NULL),
                     SAMSA_ERR_NOT_COORDINATOR);
    samsa_group_partition_loading(f->gc, pa);
    assert_int_equal(commit1(f, "ga", -1, "", "t", 0, 42, NULL),
                     SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    assert_int_equal(samsa_group_partition_load(f->gc, pa), SAMSA_OK);
    assert_true(samsa_group_partition_loaded(f->gc, pa));
    assert_int_equal(commit1(f, "ga", -1, "", "t", 0, 42, NULL), SAMSA_OK);
    assert_int_equal(commit1(f, other, -1, "", "t", 0, 7, NULL),
                     SAMSA_ERR_NOT_COORDINATOR);

    /* A member parked in JoinGroup learns the coordinator moved. */
    char same[16] = "";
    for (int i = 0; i < 100 && !same[0]; i++) {
        char id[16];
        snprintf(id, sizeof(id), "gp%d", i);
        if (samsa_group_partition_for(f->gc, id) == pa) {
            strcpy(same, id);
        }
    }
    assert_true(same[0] != 0);
    pair_t p;
    form_pair(f, same, &p, 5000);
    call_t *c = join(f, same, (joiner_t){.protos = RANGE, .nprotos = 1});
    assert_false(call_done(c)); /* waits for A and B to rejoin */
    samsa_group_partition_unload(f->gc, pa);
    assert_true(call_wait(c, 5000));
    assert_int_equal(c->error, SAMSA_ERR_NOT_COORDINATOR);
    call_free(c);
    assert_int_equal(samsa_group_heartbeat(f->gc, same, p.gen, p.a, NULL),
                     SAMSA_ERR_NOT_COORDINATOR);
    samsa_group_tp_t tp = {.topic = "t", .partition = 0};
    samsa_group_offsets_t out;
    assert_int_equal(samsa_group_offset_fetch(f->gc, "ga", &tp, 1, &out),
                     SAMSA_ERR_NOT_COORDINATOR);

    /* The partition's next leader. */
    restart(f);
    assert_int_equal(samsa_group_partition_load(f->gc, pa), SAMSA_OK);
    assert_int_equal(fetch1(f, "ga", "t", 0), 42);
}

/* Consumers on their own threads: callbacks arrive from other members'
 * threads and the timer thread; everyone ends in one generation. */
typedef struct worker {
    fixture_t *f;
    pthread_t th;
    call_t *j, *s;
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    w->j = join(w->f, "c", (joiner_t){.protos = RANGE, .nprotos = 1});
    assert_true(call_wait(w->j, 5000));
    assert_int_equal(w->j->error, SAMSA_OK);
    samsa_group_assignment_t as[8];
    for (size_t i = 0; i < w->j->member_count; i++) {
        as[i] = (samsa_group_assignment_t){w->j->members[i],
                                           (const uint8_t *)w->j->members[i],
                                           strlen(w->j->members[i])};
    }
    w->s = sync_(w->f, "c", w->j->member_id, NULL, w->j->generation, as,
                 w->j->member_count);
    assert_true(call_wait(w->s, 5000));
    return NULL;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Two consumers joining a new group a few ms apart (JoinGroup v4: each
 * first gets MEMBER_ID_REQUIRED, then rejoins with its id) get one
 * generation with both members. As in Kafka, the second member arriving
 * during the initial delay extends it by the same delay. */
static void joins_a_few_ms_apart_form_one_generation(void **state)
{
    fixture_t *f = *state;
    const int64_t delay = 400;
    f->opts.initial_rebalance_delay_ms = delay;
    restart(f);
    joiner_t j = {
        .protos = RANGE, .nprotos = 1, .rebalance_ms = 30000, .version = 4};
    call_t *a0 = join(f, "few", j);
    call_t *b0 = join(f, "few", j);
    assert_true(call_wait(a0, 5000) && call_wait(b0, 5000));
    assert_int_equal(a0->error, SAMSA_ERR_MEMBER_ID_REQUIRED);
    assert_int_equal(b0->error, SAMSA_ERR_MEMBER_ID_REQUIRED);

    int64_t t0 = mono_ms();
    j.member_id = a0->member_id;
    call_t *a = join(f, "few", j);
    sleep_ms(5);
    j.member_id = b0->member_id;
    call_t *b = join(f, "few", j);
    assert_true(call_wait(a, 10000));
    assert_true(call_wait(b, 10000));
    int64_t elapsed = mono_ms() - t0;
    assert_int_equal(a->error, SAMSA_OK);
    assert_int_equal(b->error, SAMSA_OK);
    assert_int_equal(a->generation, 1);
    assert_int_equal(b->generation, 1);
    assert_string_equal(a->leader, a0->member_id);
    assert_int_equal(a->member_count, 2);
    /* The delay, then once more for B: never earlier (a lower bound, so a
     * loaded machine cannot make it fail). */
    assert_true(elapsed >= 2 * delay);
    call_free(a0);
    call_free(b0);
    call_free(a);
    call_free(b);
}

static void concurrent_members_converge_on_one_generation(void **state)
{
    fixture_t *f = *state;
    f->opts.initial_rebalance_delay_ms = 200;
    restart(f);
    worker_t w[6];
    for (int i = 0; i < 6; i++) {
        w[i] = (worker_t){.f = f};
        pthread_create(&w[i].th, NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(w[i].th, NULL);
    }
    int leaders = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(w[i].j->generation, 1);
        assert_string_equal(w[i].j->leader, w[0].j->leader);
        leaders += w[i].j->member_count == 6;
        assert_int_equal(w[i].s->error, SAMSA_OK);
        /* Each got the assignment naming itself. */
        assert_int_equal(w[i].s->assignment_len, strlen(w[i].j->member_id) < 64
                                                     ? strlen(w[i].j->member_id)
                                                     : 64);
        assert_memory_equal(w[i].s->assignment, w[i].j->member_id,
                            w[i].s->assignment_len);
    }
    for (int i = 0; i < 6; i++) {
        call_free(w[i].j);
        call_free(w[i].s);
    }
    assert_int_equal(leaders, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            members_join_leader_gets_metadata_and_protocol_by_vote, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            joins_a_few_ms_apart_form_one_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(inconsistent_protocols_are_rejected,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            third_member_triggers_rebalance_and_new_generation, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            session_timeout_removes_member_and_rebalances, setup, teardown),
        cmocka_unit_test_setup_teardown(
            rebalance_timeout_drops_members_that_do_not_rejoin, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            new_member_gets_member_id_required_from_v4, setup, teardown),
        cmocka_unit_test_setup_teardown(
            static_member_rejoin_keeps_assignment_without_rebalance, setup,
            teardown),
        cmocka_unit_test_setup_teardown(leave_triggers_rebalance, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(commit_and_fetch_offsets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(commits_survive_restart, setup_segment,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            delete_groups_and_offsets_report_kafka_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(offsets_of_empty_groups_expire, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(stop_completes_parked_calls, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            concurrent_members_converge_on_one_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(partitions_follow_leadership, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            txn_offsets_are_persisted_and_settled_by_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(
            txn_offsets_are_persisted_and_settled_by_markers, setup_segment,
            teardown),
        cmocka_unit_test_setup_teardown(
            txn_offset_commit_checks_generation_and_member, setup, teardown),
        cmocka_unit_test_setup_teardown(partition_for_matches_java_string_hash,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
