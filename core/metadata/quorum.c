/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/quorum.c - see quorum.h. */
#include "metadata/quorum.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <raft.h>
#include <raft/uv.h>

#include "metadata/broker_probe.h"
#include "metadata/partition_change.h"
#include "metadata/raft_transport.h"
#include "util/err.h"
#include "util/log.h"
#include "util/clock.h"

/* Cadence of the controller's checks (fencing) and of the published
 * quorum state. */
#define TICK_MS 100
/* Raft log segments are preallocated; the metadata log is small. */
#define SEGMENT_BYTES (1024 * 1024)
/* A non-voter not yet in the configuration introduces itself to the
 * voters this often. */
#define INTRODUCE_MS 1000
#define MAX_FORGET   16
/* The longest a close waits for the log writes in flight. */
#define DRAIN_MS 2000

typedef struct proposal {
    struct raft_apply req; /* first: the apply callback gets it back */
    samsa_meta_rec_t rec;
    samsa_meta_done_fn done;
    void *arg;
    struct proposal *next;
} proposal_t;

typedef struct heartbeat {
    int32_t id;
    int64_t epoch;
    int64_t last_ms; /* monotonic */
    /* A fence (unfence) of this epoch was proposed and the image does not
     * show it yet: not proposed again. Cleared once the image shows the
     * broker fenced (unfenced), so a broker fenced for missed heartbeats
     * is unfenced when it heartbeats again, and fenced again if it falls
     * silent again. */
    int64_t fence_pending;
    int64_t unfence_pending;
    int64_t shutdown_epoch; /* controlled shutdown: never unfenced */
    /* broker_session_probe_enable (broker_probe.h): the probe in flight
     * (NULL: none), the epoch and time it started at, and when the last
     * one ended (-1: never). */
    samsa_probe_t *probe;
    int64_t probe_epoch;
    int64_t probe_started_ms;
    int64_t last_probe_ms;
} heartbeat_t;

struct samsa_meta {
    int32_t node_id;
    bool voter; /* in controller_quorum_voters; else a standby */
    samsa_voter_t *voters;
    size_t voter_count;
    char *dir;
    char address[300];
    char bind[300];
    char bind_host[256];
    int64_t session_timeout_ms;
    int64_t heartbeat_interval_ms;
    bool session_probe;
    bool unclean_leader_election;
    int64_t rebalance_interval_ms;
    int32_t imbalance_pct;
    samsa_meta_image_fn on_image;
    void *on_image_arg;
    /* Quorum thread: the controller's own elections in flight, and when
     * the last rebalance check ran. */
    int elections_pending;
    int64_t last_rebalance_ms;

    pthread_t thread;
    sem_t started;
    samsa_err_t start_err;
    char start_msg[600];

    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t tick;
    /* Leader: armed when a record applies, so that the followers learn
     * the commit at once (push_commit). */
    uv_timer_t push;
    unsigned raft_heartbeat_ms;
    int64_t drain_until_ms; /* closing: see drain_then_close */
    struct raft_uv_transport transport;
    const samsa_transport_ops_t *transport_ops; /* NULL: libraft's TCP */
    /* The only voter, at port 0: nobody can reach it, so its transport
     * (raft_transport.h without ops) binds nothing. */
    bool unreachable;
    void *transport_state;
    samsa_raft_peer_t peers[SAMSA_META_MAX_VOTERS];
    struct raft_io io;
    /* libraft's own io close and the callback raft_close gave it, fired
     * once only: see io_close_once. */
    void (*io_close)(struct raft_io *io, raft_io_close_cb cb);
    raft_io_close_cb io_close_cb;
    struct raft_fsm fsm;
    struct raft raft;
    bool was_leader;
    bool closing;
    /* samsa_meta_hand_off (quorum thread): a transfer in flight. */
    struct raft_transfer transfer;
    bool transferring;
    /* While following (quorum thread): the leader and when its last
     * AppendEntries came; a new controller starts that node's session
     * clock there (samsa_meta_session_start). -1: none known. */
    int32_t prev_leader;
    int64_t prev_leader_heard_ms;
    /* Membership (quorum thread): the transport's own listen, wrapped to
     * see who connects; the one configuration change libraft allows at
     * a time; when this non-voter last introduced itself; members whose
     * broker was unregistered, to take out of the configuration. */
    int (*transport_listen)(struct raft_uv_transport *t, raft_uv_accept_cb cb);
    raft_uv_accept_cb raft_accept;
    struct raft_change change;
    raft_id change_id;  /* 0: no change in flight */
    raft_id refused_id; /* the last node refused (logged once) */
    int64_t last_introduced_ms;
    raft_id forget[MAX_FORGET];
    size_t forget_count;
    /* Whether a controller-only node's CONTROLLER record is on its way
     * (quorum thread); its endpoint is under lock, below. */
    bool endpoint_pending;
    /* Bootstrap records (quorum thread): written by a leader whose log
     * held no record before its own barrier (barrier_index). first_record:
     * the Raft index of the first record applied here (0: none yet; a
     * restored snapshot counts as 1). */
    samsa_meta_rec_t *bootstrap;
    size_t bootstrap_count;
    uint64_t barrier_index;
    uint64_t first_record;
    bool bootstrap_checked; /* this leadership looked already */

    /* Shared with other threads, under lock. */
    pthread_mutex_t lock;
    samsa_meta_image_t *image;
    samsa_meta_quorum_t quorum;
    proposal_t *queue, *queue_tail;
    bool stopping;
    bool hand_off; /* samsa_meta_hand_off asked, not started yet */
    /* This node's broker stopped listening (shutting down): heartbeats
     * cannot reach it, so silence proves nothing about the others. */
    bool deaf;
    char *endpoint_host; /* samsa_meta_set_endpoint; NULL: none */
    int32_t endpoint_port;
    heartbeat_t *hb;
    size_t hb_count;
    _Atomic int32_t controller;
};

/* Kafka node ids start at 0, Raft ids at 1. */
static raft_id to_raft(int32_t node)
{
    return (raft_id)node + 1;
}

static int32_t from_raft(raft_id id)
{
    return id == 0 ? -1 : (int32_t)(id - 1);
}

/* ------------------------------------------------------------------ */
/* The state machine                                                  */
/* ------------------------------------------------------------------ */

/* The callback runs before the swap, so what it prepares (a broker's local
 * logs) exists by the time any reader sees the image. Only this thread
 * swaps, so m->image is stable here without the lock. */
static void publish(samsa_meta_t *m, samsa_meta_image_t *next)
{
    samsa_meta_image_t *prev = m->image;
    if (m->on_image) {
        m->on_image(m->on_image_arg, prev, next);
    }
    pthread_mutex_lock(&m->lock);
    m->image = next;
    pthread_mutex_unlock(&m->lock);
    samsa_meta_image_put(prev);
}

/* A broker that left the image (UnregisterBroker) leaves the Raft
 * configuration too when it was a non-voting member there: every node
 * remembers it, and whichever leads (now or later) removes it. */
static void note_unregistered(samsa_meta_t *m, const samsa_meta_image_t *cur,
                              const samsa_meta_image_t *next)
{
    for (size_t i = 0; i < cur->broker_count; i++) {
        int32_t id = cur->brokers[i].id;
        if (!samsa_meta_broker(next, id) && m->forget_count < MAX_FORGET) {
            m->forget[m->forget_count++] = to_raft(id);
        }
    }
}

static void append_barrier(samsa_meta_t *m);

/*
 * The leader applies a record once it is committed, but libraft tells the
 * followers a commit only with its next AppendEntries: the next entry, or
 * the heartbeat (heartbeat_timeout, 100 ms, checked on a tick of the same
 * period, so 100-200 ms later). Until then brokers answer Metadata from
 * the image before the record: after a failover one named the dead leader
 * 88 ms after another named the new one, and librdkafka 2.0.2 went back
 * to the dead node (1.04 s more). A barrier is an entry: appending one
 * sends every follower an AppendEntries carrying the new commit index at
 * once (raft_barrier appends and replicates; barriers never reach the
 * state machine, so this does not feed itself).
 */
static void push_commit(uv_timer_t *t)
{
    samsa_meta_t *m = t->data;
    if (raft_state(&m->raft) == RAFT_LEADER && !m->closing) {
        append_barrier(m);
    }
}

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf,
                     void **result)
{
    samsa_meta_t *m = fsm->data;
    samsa_err_t outcome = SAMSA_OK;
    samsa_meta_image_t *cur = samsa_meta_image_get(m);
    samsa_meta_image_t *next = samsa_meta_image_clone(cur);
    if (!next) {
        samsa_meta_image_put(cur);
        return RAFT_NOMEM;
    }
    samsa_err_t err =
        samsa_meta_image_apply(next, buf->base, buf->len, &outcome);
    if (err != SAMSA_OK) {
        /* The same bytes fail the same way on every node: skip them, and
         * whatever part of them was applied to the copy. */
        samsa_log(SAMSA_LOG_ERROR, "metadata: record of %zu bytes skipped: %s",
                  buf->len, samsa_err_str(err));
        outcome = err;
        samsa_meta_image_put(next);
        next = samsa_meta_image_clone(cur);
    }
    if (next) {
        note_unregistered(m, cur, next);
    }
    samsa_meta_image_put(cur);
    if (!next) {
        return RAFT_NOMEM;
    }
    next->index = m->raft.last_applied + 1;
    if (!m->first_record) {
        m->first_record = next->index;
    }
    publish(m, next);
    if (raft_state(&m->raft) == RAFT_LEADER && !m->closing) {
        /* Records applied in one go (one commit) push once; never from
         * inside libraft's own apply loop. */
        uv_timer_start(&m->push, push_commit, 0, 0);
    }
    *result = (void *)(intptr_t)outcome;
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                        unsigned *n_bufs)
{
    samsa_meta_t *m = fsm->data;
    samsa_meta_image_t *img = samsa_meta_image_get(m);
    uint8_t *p = NULL;
    size_t len = 0;
    samsa_err_t err = samsa_meta_image_encode(img, &p, &len);
    samsa_meta_image_put(img);
    if (err != SAMSA_OK) {
        return RAFT_NOMEM;
    }
    *bufs = raft_malloc(sizeof(**bufs));
    void *copy = raft_malloc(len ? len : 1);
    if (!*bufs || !copy) {
        raft_free(*bufs);
        raft_free(copy);
        free(p);
        return RAFT_NOMEM;
    }
    memcpy(copy, p, len);
    free(p);
    (*bufs)[0].base = copy;
    (*bufs)[0].len = len;
    *n_bufs = 1;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    samsa_meta_t *m = fsm->data;
    samsa_meta_image_t *img = NULL;
    samsa_err_t err = samsa_meta_image_decode(buf->base, buf->len, &img);
    if (err != SAMSA_OK) {
        return RAFT_MALFORMED;
    }
    raft_free(buf->base);
    if (!m->first_record) {
        m->first_record = 1; /* a snapshot: records came before */
    }
    publish(m, img);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Proposals                                                          */
/* ------------------------------------------------------------------ */

static void proposal_done(proposal_t *p, samsa_err_t err)
{
    if (p->done) {
        p->done(p->arg, err);
    }
    free(p->rec.p);
    free(p);
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    proposal_t *p = (proposal_t *)req;
    samsa_err_t err =
        status == 0 ? (samsa_err_t)(intptr_t)result : SAMSA_ERR_NOT_CONTROLLER;
    proposal_done(p, err);
}

static void submit(samsa_meta_t *m, proposal_t *p)
{
    if (raft_state(&m->raft) != RAFT_LEADER) {
        proposal_done(p, SAMSA_ERR_NOT_CONTROLLER);
        return;
    }
    /* libraft 0.15's segment reader expects entries padded to 8 bytes
     * (its writer pads on disk but the reader does not skip the padding):
     * pad with zeros, which records ignore. */
    size_t padded = (p->rec.len + 7) & ~(size_t)7;
    struct raft_buffer buf = {raft_calloc(1, padded ? padded : 8),
                              padded ? padded : 8};
    if (!buf.base) {
        proposal_done(p, SAMSA_ERR_NOMEM);
        return;
    }
    memcpy(buf.base, p->rec.p, p->rec.len);
    int rv = raft_apply(&m->raft, &p->req, &buf, 1, apply_cb);
    if (rv != 0) {
        raft_free(buf.base);
        proposal_done(p, SAMSA_ERR_NOT_CONTROLLER);
    }
}

void samsa_meta_propose(samsa_meta_t *m, samsa_meta_rec_t rec,
                        samsa_meta_done_fn done, void *arg)
{
    proposal_t *p = calloc(1, sizeof(*p));
    if (!p) {
        free(rec.p);
        if (done) {
            done(arg, SAMSA_ERR_NOMEM);
        }
        return;
    }
    p->rec = rec;
    p->done = done;
    p->arg = arg;
    pthread_mutex_lock(&m->lock);
    bool stopping = m->stopping;
    if (!stopping) {
        if (m->queue_tail) {
            m->queue_tail->next = p;
        } else {
            m->queue = p;
        }
        m->queue_tail = p;
    }
    pthread_mutex_unlock(&m->lock);
    if (stopping) {
        proposal_done(p, SAMSA_ERR_NOT_CONTROLLER);
        return;
    }
    uv_async_send(&m->wake);
}

/* ------------------------------------------------------------------ */
/* Controller: heartbeats and fencing                                 */
/* ------------------------------------------------------------------ */

static heartbeat_t *hb_find(samsa_meta_t *m, int32_t id, bool add)
{
    for (size_t i = 0; i < m->hb_count; i++) {
        if (m->hb[i].id == id) {
            return &m->hb[i];
        }
    }
    if (!add) {
        return NULL;
    }
    heartbeat_t *n = realloc(m->hb, (m->hb_count + 1) * sizeof(*n));
    if (!n) {
        return NULL;
    }
    m->hb = n;
    n[m->hb_count] = (heartbeat_t){.id = id,
                                   .fence_pending = -1,
                                   .unfence_pending = -1,
                                   .shutdown_epoch = -1,
                                   .last_probe_ms = -1};
    return &n[m->hb_count++];
}

/* A proposal the image now shows is no longer pending. */
static void hb_settle(heartbeat_t *h, const samsa_meta_broker_t *b)
{
    if (b->epoch != h->epoch) {
        return;
    }
    if (b->fenced) {
        h->fence_pending = -1;
    } else {
        h->unfence_pending = -1;
    }
}

/* Propose fencing (or unfencing) broker @p id at @p epoch, saying why at
 * @p level. */
static void hb_propose_fence(samsa_meta_t *m, int32_t id, int64_t epoch,
                             bool fenced, samsa_log_level_t level,
                             const char *why)
{
    samsa_meta_rec_t rec;
    if (samsa_mdrec_fence(id, epoch, fenced, &rec) == SAMSA_OK) {
        samsa_log(level, "controller: broker %d (epoch %lld) %s", id,
                  (long long)epoch, why);
        samsa_meta_propose(m, rec, NULL, NULL);
    }
}

samsa_err_t samsa_meta_heartbeat(samsa_meta_t *m, int32_t id, int64_t epoch,
                                 bool want_shutdown, bool *fenced)
{
    samsa_err_t err = SAMSA_OK;
    bool unfence = false, fence = false;
    *fenced = true;
    pthread_mutex_lock(&m->lock);
    const samsa_meta_broker_t *b = samsa_meta_broker(m->image, id);
    if (atomic_load(&m->controller) != m->node_id) {
        err = SAMSA_ERR_NOT_CONTROLLER;
    } else if (!b) {
        err = SAMSA_ERR_BROKER_ID_NOT_REGISTERED;
    } else if (b->epoch != epoch) {
        err = SAMSA_ERR_STALE_BROKER_EPOCH;
    } else {
        heartbeat_t *h = hb_find(m, id, true);
        *fenced = b->fenced;
        if (h) {
            h->epoch = epoch;
            h->last_ms = samsa_mono_ms();
            hb_settle(h, b);
            if (want_shutdown) {
                /* Kafka's controlled shutdown: it leaves every ISR and its
                 * leaderships move (the FENCE record does both), and it
                 * stays fenced while it keeps heartbeating, which it does
                 * until it leads nothing (and with every heartbeat after,
                 * so a new controller knows too). */
                h->shutdown_epoch = epoch;
                fence = !b->fenced && h->fence_pending != epoch;
                if (fence) {
                    h->fence_pending = epoch;
                }
            }
            unfence = b->fenced && h->unfence_pending != epoch &&
                      h->shutdown_epoch != epoch;
            if (unfence) {
                h->unfence_pending = epoch;
            }
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (fence || unfence) {
        hb_propose_fence(m, id, epoch, fence, SAMSA_LOG_INFO,
                         fence ? "shuts down: fencing it, its leaderships move"
                               : "heartbeats again: unfencing");
    }
    return err;
}

void samsa_meta_hand_off(samsa_meta_t *m)
{
    if (m) {
        pthread_mutex_lock(&m->lock);
        m->hand_off = true;
        pthread_mutex_unlock(&m->lock);
        uv_async_send(&m->wake);
    }
}

void samsa_meta_deafen(samsa_meta_t *m)
{
    if (m) {
        pthread_mutex_lock(&m->lock);
        m->deaf = true;
        pthread_mutex_unlock(&m->lock);
    }
}

int64_t samsa_meta_session_start(int64_t now, int64_t heard_ms,
                                 int64_t session_ms, int64_t grace_ms)
{
    int64_t floor = now - session_ms + grace_ms;
    int64_t start = heard_ms > floor ? heard_ms : floor;
    return start < now ? start : now;
}

/* A new controller's clock for broker @p id: from the last word of the
 * node that led before (it is silent if it died with its broker), now for
 * every other broker (it has not heard them yet). */
static int64_t session_clock(const samsa_meta_t *m, int32_t id, int64_t now)
{
    if (id != m->prev_leader || id == m->node_id) {
        return now;
    }
    /* Two intervals: a heartbeat and its retry to the new controller. */
    int64_t start = samsa_meta_session_start(now, m->prev_leader_heard_ms,
                                             m->session_timeout_ms,
                                             2 * m->heartbeat_interval_ms);
    samsa_log(SAMSA_LOG_INFO,
              "controller: broker %d led the quorum before and was last "
              "heard %lld ms ago: its session clock starts then",
              id, (long long)(now - start));
    return start;
}

/* A probe of a silent broker ended (quorum thread): a refused connect
 * with no heartbeat since it started means the broker's process is gone,
 * and it is fenced now rather than at the end of its session. */
static void probe_done(void *arg, samsa_probe_t *probe, int status)
{
    samsa_meta_t *m = arg;
    int64_t now = samsa_mono_ms();
    bool fence = false;
    int32_t id = -1;
    int64_t epoch = -1, silent = 0;
    char where[300] = "";

    pthread_mutex_lock(&m->lock);
    heartbeat_t *h = NULL;
    for (size_t i = 0; i < m->hb_count && !h; i++) {
        h = m->hb[i].probe == probe ? &m->hb[i] : NULL;
    }
    const samsa_meta_broker_t *b =
        h ? samsa_meta_broker(m->image, h->id) : NULL;
    if (h) {
        h->probe = NULL;
        h->last_probe_ms = now;
    }
    if (b && !m->closing && raft_state(&m->raft) == RAFT_LEADER &&
        b->epoch == h->probe_epoch && !b->fenced &&
        h->fence_pending != b->epoch &&
        samsa_probe_fences(status, h->probe_started_ms, h->last_ms)) {
        fence = true;
        h->fence_pending = b->epoch;
        id = b->id;
        epoch = b->epoch;
        silent = now - h->last_ms;
        snprintf(where, sizeof(where), "%s:%d", b->host, b->port);
    }
    pthread_mutex_unlock(&m->lock);
    if (fence) {
        char why[512];
        snprintf(why, sizeof(why),
                 "silent for %lld ms and its listener %s refuses connections "
                 "(no process listens): fencing before "
                 "broker_session_timeout_ms",
                 (long long)silent, where);
        hb_propose_fence(m, id, epoch, true, SAMSA_LOG_WARN, why);
    }
}

typedef struct probe_target {
    int32_t id;
    int64_t epoch;
    char host[256];
    int32_t port;
} probe_target_t;

/* Start the probes collected by check_sessions (quorum thread). */
static void start_probes(samsa_meta_t *m, const probe_target_t *t, size_t n,
                         int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        samsa_probe_t *probe = NULL;
        if (samsa_probe_start(&m->loop, t[i].host, t[i].port, probe_done, m,
                              &probe) != SAMSA_OK) {
            continue; /* out of memory: the session timeout still holds */
        }
        pthread_mutex_lock(&m->lock);
        heartbeat_t *h = hb_find(m, t[i].id, false);
        if (h) {
            h->probe = probe;
            h->probe_epoch = t[i].epoch;
            h->probe_started_ms = now;
        } else {
            samsa_probe_cancel(probe);
        }
        pthread_mutex_unlock(&m->lock);
    }
}

/* Whether to probe broker @p b now (under lock). Never this node's own
 * broker: the controller runs in its process. A new controller probes
 * the node that led before it at once: this node was elected because
 * that one fell silent. */
static bool wants_probe(const samsa_meta_t *m, const heartbeat_t *h,
                        const samsa_meta_broker_t *b, int64_t now,
                        bool new_leader)
{
    return m->session_probe && !b->fenced && b->id != m->node_id && b->host &&
           b->port > 0 && !h->probe && h->fence_pending != b->epoch &&
           ((new_leader && b->id == m->prev_leader) ||
            samsa_probe_due(now, h->last_ms, m->heartbeat_interval_ms,
                            h->last_probe_ms));
}

/* On the quorum thread, as the leader: fence every live broker whose
 * last heartbeat is older than the session timeout, and probe those whose
 * heartbeat is overdue (broker_probe.h). */
static void check_sessions(samsa_meta_t *m, bool new_leader)
{
    int64_t now = samsa_mono_ms();
    int32_t fence_id[64];
    int64_t fence_epoch[64];
    size_t nfence = 0;
    probe_target_t probes[16];
    size_t nprobe = 0;

    pthread_mutex_lock(&m->lock);
    const samsa_meta_image_t *img = m->image;
    for (size_t i = 0; !m->deaf && i < img->broker_count; i++) {
        const samsa_meta_broker_t *b = &img->brokers[i];
        heartbeat_t *h = hb_find(m, b->id, true);
        if (!h) {
            continue;
        }
        if (new_leader || h->epoch != b->epoch) {
            /* A new controller (or a new registration) starts the clock:
             * it has not heard anyone yet. */
            h->last_ms = new_leader ? session_clock(m, b->id, now) : now;
            h->epoch = b->epoch;
            h->fence_pending = -1;
            h->unfence_pending = -1;
        }
        hb_settle(h, b);
        if (!b->fenced && now - h->last_ms > m->session_timeout_ms &&
            h->fence_pending != b->epoch && nfence < 64) {
            h->fence_pending = b->epoch;
            fence_id[nfence] = b->id;
            fence_epoch[nfence++] = b->epoch;
        } else if (nprobe < 16 && wants_probe(m, h, b, now, new_leader)) {
            probe_target_t *t = &probes[nprobe++];
            t->id = b->id;
            t->epoch = b->epoch;
            snprintf(t->host, sizeof(t->host), "%s", b->host);
            t->port = b->port;
        }
    }
    pthread_mutex_unlock(&m->lock);
    start_probes(m, probes, nprobe, now);
    for (size_t i = 0; i < nfence; i++) {
        char why[96];
        snprintf(why, sizeof(why), "missed heartbeats for %lld ms: fencing",
                 (long long)m->session_timeout_ms);
        hb_propose_fence(m, fence_id[i], fence_epoch[i], true, SAMSA_LOG_WARN,
                         why);
    }
}

static void election_done(void *arg, samsa_err_t err)
{
    samsa_meta_t *m = arg;
    (void)err; /* a raced one (INVALID_UPDATE_VERSION) is looked at again */
    m->elections_pending--;
}

/* On the quorum thread, as the leader: propose the elections that brokers
 * coming and going do not make by themselves, one batch at a time. */
static void check_elections(samsa_meta_t *m, bool new_leader)
{
    samsa_meta_rec_t recs[64];
    size_t n = 0;
    int64_t now = samsa_mono_ms();
    if (new_leader) {
        m->last_rebalance_ms = now;
    }
    if (m->elections_pending > 0) {
        return;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(m);
    samsa_err_t err = samsa_meta_unclean_checks(img, m->unclean_leader_election,
                                                recs, 64, &n);
    if (err == SAMSA_OK && n == 0 && m->rebalance_interval_ms > 0 &&
        now - m->last_rebalance_ms >= m->rebalance_interval_ms) {
        m->last_rebalance_ms = now;
        err = samsa_meta_rebalance_checks(img, m->imbalance_pct, recs, 64, &n);
    }
    samsa_meta_image_put(img);
    for (size_t i = 0; i < n; i++) {
        m->elections_pending++;
        samsa_meta_propose(m, recs[i], election_done, m);
    }
    if (n > 0) {
        samsa_log(SAMSA_LOG_INFO,
                  "controller: proposing %zu leader "
                  "election(s)",
                  n);
    }
}

/* ------------------------------------------------------------------ */
/* Membership: non-voting members join and leave                      */
/* ------------------------------------------------------------------ */

/*
 * libraft has no join request on the wire: a server joins when the leader
 * adds it (raft_add, as a spare) and gives it a role (raft_assign; a
 * standby receives the log and never votes). A node outside
 * controller_quorum_voters therefore introduces itself: it opens a Raft
 * connection to every voter, whose handshake carries its id and address,
 * and the leader, seeing an unknown id connect, adds it and makes it a
 * standby. Brokers, not votes, are what a cluster grows by, so the quorum
 * (and its majority) stays the configured voters.
 */

static samsa_meta_t *of_transport(struct raft_uv_transport *t)
{
    return (samsa_meta_t *)((char *)t - offsetof(samsa_meta_t, transport));
}

static const struct raft_server *server_of(const struct raft *r, raft_id id)
{
    for (unsigned i = 0; i < r->configuration.n; i++) {
        if (r->configuration.servers[i].id == id) {
            return &r->configuration.servers[i];
        }
    }
    return NULL;
}

static void change_done(struct raft_change *req, int status)
{
    samsa_meta_t *m = req->data;
    samsa_log(status == 0 ? SAMSA_LOG_INFO : SAMSA_LOG_WARN,
              "metadata: membership change for node %d: %s",
              from_raft(m->change_id),
              status == 0 ? "committed" : raft_strerror(status));
    m->change_id = 0;
}

/* As the leader, one step for a member @p id that connected: add it (as
 * a spare), or make the spare a standby. The next tick or connection does
 * the next step; libraft allows one change in flight. */
static void admit(samsa_meta_t *m, raft_id id, const char *address)
{
    struct raft *r = &m->raft;
    if (raft_state(r) != RAFT_LEADER || m->change_id != 0 || m->closing) {
        return;
    }
    const struct raft_server *srv = server_of(r, id);
    if (srv && srv->role != RAFT_SPARE) {
        return;
    }
    m->change.data = m;
    int rv = srv ? raft_assign(r, &m->change, id, RAFT_STANDBY, change_done)
                 : raft_add(r, &m->change, id, address, change_done);
    if (rv == 0) {
        m->change_id = id;
        m->refused_id = 0;
        samsa_log(SAMSA_LOG_INFO,
                  "metadata: node %d (%s) %s the quorum as a non-voting "
                  "member",
                  from_raft(id), address, srv ? "follows" : "joins");
    } else if (rv != RAFT_CANTCHANGE && rv != RAFT_NOTLEADER &&
               m->refused_id != id) {
        /* Say it once: the node introduces itself every second. */
        m->refused_id = id;
        samsa_log(SAMSA_LOG_WARN,
                  "metadata: node %d (%s) cannot join the quorum: %s",
                  from_raft(id), address, raft_strerror(rv));
    }
}

static void on_accept(struct raft_uv_transport *t, raft_id id,
                      const char *address, struct uv_stream_s *stream)
{
    samsa_meta_t *m = of_transport(t);
    admit(m, id, address);
    m->raft_accept(t, id, address, stream);
}

/* The transport's listen, wrapped: Raft's own accept callback still gets
 * every connection, after on_accept looked at who it is. */
static int listen_wrapped(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    samsa_meta_t *m = of_transport(t);
    m->raft_accept = cb;
    return m->transport_listen(t, on_accept);
}

static void introduction_closed(uv_handle_t *h)
{
    raft_free(h);
}

static void introduced(struct raft_uv_connect *req, struct uv_stream_s *stream,
                       int status)
{
    if (status == 0) {
        /* The handshake is written: that was the whole message. */
        uv_close((uv_handle_t *)stream, introduction_closed);
    }
    free(req);
}

/* A non-voter that does not receive the log (a new node, or one taken out
 * of the configuration) introduces itself to every voter. A standby whose
 * leader fell silent does too: the entry that removed it may never have
 * reached it (a live broker unregistered registers again, and must follow
 * the log again). */
static void introduce(samsa_meta_t *m)
{
    struct raft *r = &m->raft;
    const struct raft_server *me = server_of(r, to_raft(m->node_id));
    int64_t now = samsa_mono_ms();
    bool silent = r->io->time(r->io) - r->election_timer_start >
                  3 * (raft_time)r->election_timeout;
    if ((me && me->role == RAFT_STANDBY && !silent) || m->closing ||
        now - m->last_introduced_ms < INTRODUCE_MS) {
        return;
    }
    m->last_introduced_ms = now;
    for (size_t i = 0; i < m->voter_count; i++) {
        char addr[300];
        struct raft_uv_connect *req = calloc(1, sizeof(*req));
        snprintf(addr, sizeof(addr), "%s:%u", m->voters[i].host,
                 m->voters[i].port);
        if (req &&
            m->transport.connect(&m->transport, req, to_raft(m->voters[i].id),
                                 addr, introduced) != 0) {
            free(req);
        }
    }
}

/* On the quorum thread each tick: a voter that leads finishes admitting
 * spares and removes the members of unregistered brokers (one change at a
 * time); a non-voter introduces itself until it follows the log. */
static void membership_tick(samsa_meta_t *m, bool leader)
{
    struct raft *r = &m->raft;
    if (!m->voter) {
        introduce(m);
        return;
    }
    size_t keep = 0;
    for (size_t i = 0; i < m->forget_count; i++) {
        raft_id id = m->forget[i];
        const struct raft_server *srv = server_of(r, id);
        if (!srv || srv->role == RAFT_VOTER) {
            continue; /* not a member, or a voter: stays configured */
        }
        if (leader && m->change_id == 0) {
            m->change.data = m;
            if (raft_remove(r, &m->change, id, change_done) == 0) {
                m->change_id = id;
                samsa_log(SAMSA_LOG_INFO,
                          "metadata: node %d (unregistered) leaves the "
                          "quorum",
                          from_raft(id));
                continue;
            }
        }
        m->forget[keep++] = id;
    }
    m->forget_count = keep;
    for (unsigned i = 0; leader && i < r->configuration.n; i++) {
        const struct raft_server *srv = &r->configuration.servers[i];
        if (srv->role == RAFT_SPARE) {
            admit(m, srv->id, srv->address);
        }
    }
}

static void endpoint_done(void *arg, samsa_err_t err)
{
    samsa_meta_t *m = arg;
    (void)err; /* not committed: the next tick as leader proposes again */
    m->endpoint_pending = false;
}

/* As the leader, a controller-only node makes sure brokers can find it:
 * its endpoint in the image (Kafka's RegisterControllerRecord). */
static void register_endpoint(samsa_meta_t *m)
{
    char host[256] = "";
    pthread_mutex_lock(&m->lock);
    int32_t port = m->endpoint_port;
    if (m->endpoint_host) {
        snprintf(host, sizeof(host), "%s", m->endpoint_host);
    }
    const samsa_meta_broker_t *me =
        samsa_meta_controller_node(m->image, m->node_id);
    bool known = me && me->port == port && strcmp(me->host, host) == 0;
    pthread_mutex_unlock(&m->lock);
    samsa_meta_rec_t rec;
    if (!host[0] || known || m->endpoint_pending ||
        samsa_mdrec_controller(m->node_id, host, port, &rec) != SAMSA_OK) {
        return;
    }
    m->endpoint_pending = true;
    samsa_log(SAMSA_LOG_INFO,
              "controller: brokers reach this controller at %s:%d", host, port);
    samsa_meta_propose(m, rec, endpoint_done, m);
}

/* ------------------------------------------------------------------ */
/* The loop                                                           */
/* ------------------------------------------------------------------ */

static void update_quorum(samsa_meta_t *m)
{
    struct raft *r = &m->raft;
    raft_id lid = 0;
    const char *laddr = NULL;
    samsa_meta_quorum_t q = {0};
    bool leader = raft_state(r) == RAFT_LEADER;

    raft_leader(r, &lid, &laddr);
    q.leader_id = from_raft(lid);
    q.leader_epoch = (int64_t)r->current_term;
    q.high_watermark = (int64_t)r->commit_index;
    for (unsigned i = 0;
         i < r->configuration.n && q.voter_count < SAMSA_META_MAX_VOTERS; i++) {
        const struct raft_server *s = &r->configuration.servers[i];
        if (s->role == RAFT_SPARE) {
            continue;
        }
        size_t k = q.voter_count++;
        q.voters[k].id = from_raft(s->id);
        q.voters[k].observer = s->role != RAFT_VOTER;
        q.voters[k].log_end_offset = -1;
        q.voters[k].last_fetch_ms = -1;
        q.voters[k].last_caught_up_ms = -1;
        if (s->id == r->id) {
            q.voters[k].log_end_offset = (int64_t)raft_last_index(r);
            q.voters[k].last_fetch_ms = samsa_wall_ms();
            q.voters[k].last_caught_up_ms = samsa_wall_ms();
        } else if (leader && r->leader_state.progress) {
            const struct raft_progress *p = &r->leader_state.progress[i];
            q.voters[k].log_end_offset = (int64_t)p->match_index;
            if (p->recent_recv) {
                q.voters[k].last_fetch_ms = samsa_wall_ms();
                if (p->match_index >= r->commit_index) {
                    q.voters[k].last_caught_up_ms = samsa_wall_ms();
                }
            }
        }
    }
    pthread_mutex_lock(&m->lock);
    m->quorum = q;
    pthread_mutex_unlock(&m->lock);
    int32_t prev =
        atomic_exchange(&m->controller, leader ? m->node_id : q.leader_id);
    if (prev != q.leader_id) {
        samsa_log(SAMSA_LOG_INFO,
                  "metadata: controller is now %d (term %lld)%s", q.leader_id,
                  (long long)q.leader_epoch,
                  q.leader_id == m->node_id ? ", this node" : "");
    }
}

static void barrier_cb(struct raft_barrier *req, int status)
{
    (void)status;
    free(req);
}

/* A new leader commits nothing of earlier terms until an entry of its own
 * term commits (Raft's rule), and libraft appends none by itself: a barrier
 * makes the log written before a restart or failover apply now. */
static void append_barrier(samsa_meta_t *m)
{
    struct raft_barrier *req = calloc(1, sizeof(*req));
    if (req && raft_barrier(&m->raft, req, barrier_cb) != 0) {
        free(req);
    }
}

/* While following: libraft resets the election timer on each
 * AppendEntries from the leader it knows, so that is when it was last
 * heard. */
static void note_leader(samsa_meta_t *m)
{
    struct raft *r = &m->raft;
    raft_id id = 0;
    const char *addr = NULL;
    raft_leader(r, &id, &addr);
    if (raft_state(r) != RAFT_FOLLOWER || id == 0 ||
        id == to_raft(m->node_id)) {
        return;
    }
    raft_time since = r->io->time(r->io) - r->election_timer_start;
    m->prev_leader = from_raft(id);
    m->prev_leader_heard_ms = samsa_mono_ms() - (int64_t)since;
}

/* As the leader, once everything up to its barrier is applied: the
 * bootstrap records, if the log held no record before that barrier (a
 * new cluster). A leader that loses its term before they commit leaves
 * them to the next one, which finds them in the log if they made it. */
static void write_bootstrap(samsa_meta_t *m)
{
    if (m->bootstrap_checked || m->raft.last_applied < m->barrier_index) {
        return;
    }
    m->bootstrap_checked = true;
    if (!m->bootstrap_count ||
        (m->first_record && m->first_record < m->barrier_index)) {
        return;
    }
    samsa_log(SAMSA_LOG_INFO,
              "controller: new metadata log: writing %zu bootstrap record(s) "
              "(this node's samsa storage format credentials, if any, and "
              "the marker naming them)",
              m->bootstrap_count);
    for (size_t i = 0; i < m->bootstrap_count; i++) {
        samsa_meta_rec_t rec = {malloc(m->bootstrap[i].len),
                                m->bootstrap[i].len};
        if (!rec.p) {
            return;
        }
        memcpy(rec.p, m->bootstrap[i].p, rec.len);
        samsa_meta_propose(m, rec, NULL, NULL);
    }
}

static void on_tick(uv_timer_t *t)
{
    samsa_meta_t *m = t->data;
    update_quorum(m);
    note_leader(m);
    bool leader = raft_state(&m->raft) == RAFT_LEADER;
    if (leader && !m->was_leader) {
        append_barrier(m);
        m->barrier_index = raft_last_index(&m->raft);
        m->bootstrap_checked = false;
    }
    if (leader) {
        check_sessions(m, !m->was_leader);
        check_elections(m, !m->was_leader);
        register_endpoint(m);
        write_bootstrap(m);
    }
    membership_tick(m, leader);
    m->was_leader = leader;
}

static void on_raft_closed(struct raft *r)
{
    samsa_meta_t *m = r->data;
    uv_close((uv_handle_t *)&m->tick, NULL);
    uv_close((uv_handle_t *)&m->push, NULL);
    uv_close((uv_handle_t *)&m->wake, NULL);
}

/*
 * Closing: libraft 0.15 fails the leader's log writes still in flight,
 * and each failure truncates the log from its first entry, so a second
 * one truncates past the end and aborts (replication.c appendLeaderCb,
 * log.c removeSuffix: "index <= logLastIndex(l)"; a follower's failed
 * write truncates nothing). Leaders pipeline writes (a proposal, the
 * barrier after it), so raft_close waits until they are on disk
 * (bounded), and nothing new is appended meanwhile (closing refuses
 * proposals and pushes).
 */
static void drain_then_close(uv_timer_t *t)
{
    samsa_meta_t *m = t->data;
    if (raft_state(&m->raft) == RAFT_LEADER &&
        m->raft.last_stored < raft_last_index(&m->raft) &&
        samsa_mono_ms() < m->drain_until_ms) {
        return;
    }
    uv_timer_stop(&m->push);
    raft_close(&m->raft, on_raft_closed);
}

static void transfer_done(struct raft_transfer *req)
{
    samsa_meta_t *m = req->data;
    m->transferring = false;
}

/* Hand the leadership to the most caught-up voter (libraft sends it
 * TimeoutNow), as Kafka's KRaft leader resigns at a graceful shutdown:
 * the quorum gets a new controller at once, not an election timeout
 * after this node stopped answering. */
static void start_hand_off(samsa_meta_t *m)
{
    if (m->closing || m->transferring || raft_state(&m->raft) != RAFT_LEADER) {
        return;
    }
    m->transfer.data = m;
    int rv = raft_transfer(&m->raft, &m->transfer, 0, transfer_done);
    m->transferring = rv == 0;
    samsa_log(SAMSA_LOG_INFO, "metadata: shutting down: %s%s",
              rv == 0 ? "handing the quorum's leadership to another voter"
                      : "no voter to hand the quorum's leadership to: ",
              rv == 0 ? "" : raft_strerror(rv));
}

static void on_wake(uv_async_t *a)
{
    samsa_meta_t *m = a->data;
    pthread_mutex_lock(&m->lock);
    proposal_t *p = m->queue;
    bool stopping = m->stopping;
    bool hand_off = m->hand_off;
    m->hand_off = false;
    m->queue = m->queue_tail = NULL;
    pthread_mutex_unlock(&m->lock);
    if (hand_off && !stopping) {
        start_hand_off(m);
    }
    while (p) {
        proposal_t *next = p->next;
        if (stopping) {
            proposal_done(p, SAMSA_ERR_NOT_CONTROLLER);
        } else {
            submit(m, p);
        }
        p = next;
    }
    if (stopping && !m->closing) {
        m->closing = true;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->hb_count; i++) {
            if (m->hb[i].probe) {
                samsa_probe_cancel(m->hb[i].probe);
            }
        }
        pthread_mutex_unlock(&m->lock);
        uv_timer_stop(&m->tick);
        m->drain_until_ms = samsa_mono_ms() + DRAIN_MS;
        uv_timer_start(&m->push, drain_then_close, 0, 1);
    }
}

/*
 * libraft 0.15's uv io can fire its close callback twice: uvMaybeFireCloseCb
 * never clears it, and a request finishing after the first firing calls it
 * again. The second call ran libraft's ioCloseCb again, which frees the
 * raft's address a second time (ASan in CI: double free at a single node's
 * shutdown, from uv_run). The callback is passed on once.
 */
static void io_close_once(struct raft_io *io)
{
    samsa_meta_t *m = ((struct raft *)io->data)->data;
    raft_io_close_cb cb = m->io_close_cb;
    m->io_close_cb = NULL;
    if (cb) {
        cb(io);
    }
}

static void io_close_guarded(struct raft_io *io, raft_io_close_cb cb)
{
    samsa_meta_t *m = ((struct raft *)io->data)->data;
    m->io_close_cb = cb;
    m->io_close(io, io_close_once);
}

static int start_raft(samsa_meta_t *m)
{
    struct raft_configuration conf;
    int rv;

    m->fsm = (struct raft_fsm){.version = 1,
                               .data = m,
                               .apply = fsm_apply,
                               .snapshot = fsm_snapshot,
                               .restore = fsm_restore};
    rv = raft_init(&m->raft, &m->io, &m->fsm, to_raft(m->node_id), m->address);
    if (rv != 0) {
        snprintf(m->start_msg, sizeof(m->start_msg), "raft_init: %s",
                 raft_errmsg(&m->raft));
        return rv;
    }
    m->raft.data = m;
    raft_configuration_init(&conf);
    for (size_t i = 0; rv == 0 && i < m->voter_count; i++) {
        char addr[300];
        snprintf(addr, sizeof(addr), "%s:%u", m->voters[i].host,
                 m->voters[i].port);
        rv = raft_configuration_add(&conf, to_raft(m->voters[i].id), addr,
                                    RAFT_VOTER);
    }
    if (rv == 0 && m->voter) {
        /* Every voter bootstraps the same configuration; a node that
         * already has a log keeps it. A non-voter starts empty and gets
         * the configuration with the log once the leader added it. */
        rv = raft_bootstrap(&m->raft, &conf);
        rv = rv == RAFT_CANTBOOTSTRAP ? 0 : rv;
    }
    raft_configuration_close(&conf);
    raft_set_snapshot_threshold(&m->raft, 512);
    raft_set_snapshot_trailing(&m->raft, 64);
    raft_set_pre_vote(&m->raft, true);
    if (m->raft_heartbeat_ms) {
        /* libraft needs the election timeout above the heartbeat. */
        raft_set_election_timeout(&m->raft, 10 * m->raft_heartbeat_ms);
        raft_set_heartbeat_timeout(&m->raft, m->raft_heartbeat_ms);
    }
    if (rv == 0) {
        rv = raft_start(&m->raft);
    }
    if (rv != 0) {
        snprintf(m->start_msg, sizeof(m->start_msg), "raft start: %s",
                 raft_errmsg(&m->raft));
        raft_close(&m->raft, NULL);
    }
    return rv;
}

static void *quorum_main(void *arg)
{
    samsa_meta_t *m = arg;
    int rv = 0;
    if (m->transport_ops || m->unreachable) {
        samsa_raft_transport_opts_t to = {
            .ops = m->transport_ops,
            .state = m->transport_state,
            .peers = m->peers,
            .peer_count = m->voter_count < SAMSA_META_MAX_VOTERS
                              ? m->voter_count
                              : SAMSA_META_MAX_VOTERS,
            .bind_host = m->bind[0] ? m->bind_host : NULL,
        };
        rv = samsa_raft_transport_init(&m->transport, &m->loop, &to);
    } else {
        rv = raft_uv_tcp_init(&m->transport, &m->loop);
        if (rv == 0 && m->bind[0]) {
            rv = raft_uv_tcp_set_bind_address(&m->transport, m->bind);
        }
    }
    if (rv == 0) {
        /* See who connects (membership), whichever transport. */
        m->transport_listen = m->transport.listen;
        m->transport.listen = listen_wrapped;
    }
    if (rv != 0) {
        snprintf(m->start_msg, sizeof(m->start_msg), "raft transport: %.200s",
                 m->transport.errmsg);
    }
    bool io_ok = false;
    if (rv == 0) {
        rv = raft_uv_init(&m->io, &m->loop, m->dir, &m->transport);
        io_ok = rv == 0;
        if (io_ok) {
            m->io_close = m->io.close;
            m->io.close = io_close_guarded;
        }
        if (rv != 0) {
            snprintf(m->start_msg, sizeof(m->start_msg),
                     "raft log in %.200s: %.200s", m->dir, m->io.errmsg);
        }
    }
    if (rv == 0) {
        raft_uv_set_segment_size(&m->io, SEGMENT_BYTES);
        rv = start_raft(m);
    }
    if (rv == 0) {
        uv_timer_start(&m->tick, on_tick, 0, TICK_MS);
        on_tick(&m->tick);
    }
    m->start_err = rv == 0 ? SAMSA_OK : SAMSA_ERR_IO;
    bool ok = rv == 0;
    sem_post(&m->started);
    if (!ok) {
        uv_close((uv_handle_t *)&m->tick, NULL);
        uv_close((uv_handle_t *)&m->push, NULL);
        uv_close((uv_handle_t *)&m->wake, NULL);
    }
    uv_run(&m->loop, UV_RUN_DEFAULT);
    if (io_ok) {
        raft_uv_close(&m->io);
    }
    if (m->transport_ops || m->unreachable) {
        uv_run(&m->loop, UV_RUN_NOWAIT);
        samsa_raft_transport_close(&m->transport);
    } else {
        raft_uv_tcp_close(&m->transport);
    }
    uv_run(&m->loop, UV_RUN_NOWAIT);
    uv_loop_close(&m->loop);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                     */
/* ------------------------------------------------------------------ */

static void meta_free(samsa_meta_t *m)
{
    samsa_meta_image_put(m->image);
    samsa_voters_free(m->voters, m->voter_count);
    free(m->dir);
    free(m->endpoint_host);
    free(m->hb);
    for (size_t i = 0; i < m->bootstrap_count; i++) {
        OPENSSL_cleanse(m->bootstrap[i].p, m->bootstrap[i].len);
        free(m->bootstrap[i].p);
    }
    free(m->bootstrap);
    pthread_mutex_destroy(&m->lock);
    sem_destroy(&m->started);
    free(m);
}

static samsa_err_t copy_options(samsa_meta_t *m, const samsa_meta_options_t *o)
{
    const samsa_voter_t *self = NULL;
    m->node_id = o->node_id;
    m->session_timeout_ms = o->session_timeout_ms;
    m->heartbeat_interval_ms = o->heartbeat_interval_ms;
    m->session_probe = o->session_probe;
    m->prev_leader = -1;
    m->unclean_leader_election = o->unclean_leader_election;
    m->rebalance_interval_ms = o->rebalance_interval_ms;
    m->imbalance_pct = o->imbalance_pct;
    m->raft_heartbeat_ms = o->raft_heartbeat_ms;
    m->on_image = o->on_image;
    m->on_image_arg = o->on_image_arg;
    m->dir = strdup(o->dir);
    m->voters = calloc(o->voter_count, sizeof(*m->voters));
    m->bootstrap = calloc(o->bootstrap_count + 1, sizeof(*m->bootstrap));
    if (!m->dir || !m->voters || !m->bootstrap) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < o->bootstrap_count; i++) {
        m->bootstrap[i].p = malloc(o->bootstrap[i].len);
        if (!m->bootstrap[i].p) {
            return SAMSA_ERR_NOMEM;
        }
        memcpy(m->bootstrap[i].p, o->bootstrap[i].p, o->bootstrap[i].len);
        m->bootstrap[i].len = o->bootstrap[i].len;
        m->bootstrap_count = i + 1;
    }
    for (size_t i = 0; i < o->voter_count; i++) {
        m->voters[i] = o->voters[i];
        m->voters[i].host = strdup(o->voters[i].host);
        m->voter_count = i + 1;
        if (!m->voters[i].host) {
            return SAMSA_ERR_NOMEM;
        }
        if (o->voters[i].id == o->node_id) {
            self = &o->voters[i];
        }
    }
    m->voter = self != NULL;
    if (!self && (!o->bind_host || !o->listen_port)) {
        return SAMSA_ERR_INVAL;
    }
    if (!self) {
        /* Not a voter: reached where it listens. */
        snprintf(m->address, sizeof(m->address), "%s:%u", o->bind_host,
                 o->listen_port);
    } else {
        snprintf(m->address, sizeof(m->address), "%s:%u", self->host,
                 self->port);
    }
    if (self && o->bind_host && strcmp(o->bind_host, self->host) != 0) {
        snprintf(m->bind, sizeof(m->bind), "%s:%u", o->bind_host, self->port);
        snprintf(m->bind_host, sizeof(m->bind_host), "%s", o->bind_host);
    }
    m->transport_ops = o->transport_ops;
    m->transport_state = o->transport_state;
    m->unreachable = self && self->port == 0 && o->voter_count == 1;
    for (size_t i = 0; i < m->voter_count && i < SAMSA_META_MAX_VOTERS; i++) {
        m->peers[i] = (samsa_raft_peer_t){.id = to_raft(m->voters[i].id),
                                          .host = m->voters[i].host};
    }
    return SAMSA_OK;
}

static samsa_err_t mkdirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                return SAMSA_ERR_IO;
            }
            *p = '/';
        }
    }
    return mkdir(path, 0755) < 0 && errno != EEXIST ? SAMSA_ERR_IO : SAMSA_OK;
}

samsa_err_t samsa_meta_open(const samsa_meta_options_t *opts,
                            samsa_meta_t **out, char *errbuf, size_t errlen)
{
    samsa_meta_t *m = calloc(1, sizeof(*m));
    if (!m) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_init(&m->lock, NULL);
    sem_init(&m->started, 0, 0);
    atomic_init(&m->controller, -1);
    m->image = samsa_meta_image_new();
    samsa_err_t err = m->image ? copy_options(m, opts) : SAMSA_ERR_NOMEM;
    if (err == SAMSA_OK && mkdirs(m->dir) != SAMSA_OK) {
        snprintf(errbuf, errlen, "cannot create %s: %s", m->dir,
                 strerror(errno));
        err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    if (err == SAMSA_OK && (uv_loop_init(&m->loop) != 0 ||
                            uv_async_init(&m->loop, &m->wake, on_wake) != 0 ||
                            uv_timer_init(&m->loop, &m->tick) != 0 ||
                            uv_timer_init(&m->loop, &m->push) != 0)) {
        snprintf(errbuf, errlen, "metadata quorum: cannot set up libuv");
        err = SAMSA_ERR_IO;
    }
    if (err != SAMSA_OK) {
        meta_free(m);
        return err;
    }
    m->wake.data = m;
    m->tick.data = m;
    m->push.data = m;
    if (pthread_create(&m->thread, NULL, quorum_main, m) != 0) {
        snprintf(errbuf, errlen, "metadata quorum: cannot start its thread");
        uv_close((uv_handle_t *)&m->tick, NULL);
        uv_close((uv_handle_t *)&m->push, NULL);
        uv_close((uv_handle_t *)&m->wake, NULL);
        uv_run(&m->loop, UV_RUN_NOWAIT);
        uv_loop_close(&m->loop);
        meta_free(m);
        return SAMSA_ERR_IO;
    }
    sem_wait(&m->started);
    if (m->start_err != SAMSA_OK) {
        snprintf(errbuf, errlen, "metadata quorum: %s", m->start_msg);
        err = m->start_err;
        pthread_join(m->thread, NULL);
        meta_free(m);
        return err;
    }
    *out = m;
    return SAMSA_OK;
}

void samsa_meta_close(samsa_meta_t *m)
{
    if (!m) {
        return;
    }
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_mutex_unlock(&m->lock);
    uv_async_send(&m->wake);
    pthread_join(m->thread, NULL);
    meta_free(m);
}

/* ------------------------------------------------------------------ */
/* Readers                                                            */
/* ------------------------------------------------------------------ */

samsa_meta_image_t *samsa_meta_image_get(samsa_meta_t *m)
{
    pthread_mutex_lock(&m->lock);
    samsa_meta_image_t *img = m->image;
    samsa_meta_image_hold(img);
    pthread_mutex_unlock(&m->lock);
    return img;
}

void samsa_meta_quorum_get(samsa_meta_t *m, samsa_meta_quorum_t *out)
{
    pthread_mutex_lock(&m->lock);
    *out = m->quorum;
    pthread_mutex_unlock(&m->lock);
}

int32_t samsa_meta_controller(samsa_meta_t *m)
{
    return atomic_load(&m->controller);
}

int32_t samsa_meta_node_id(const samsa_meta_t *m)
{
    return m->node_id;
}

samsa_err_t samsa_meta_set_endpoint(samsa_meta_t *m, const char *host,
                                    int32_t port)
{
    char *copy = strdup(host);
    if (!copy) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_lock(&m->lock);
    free(m->endpoint_host);
    m->endpoint_host = copy;
    m->endpoint_port = port;
    pthread_mutex_unlock(&m->lock);
    return SAMSA_OK;
}

bool samsa_meta_is_voter(const samsa_meta_t *m)
{
    return m->voter;
}
