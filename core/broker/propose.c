/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/propose.c - samsa_cluster_propose (cluster.h): a request
 * parked until its metadata records are committed, and applied here. */
#include <stdatomic.h>
#include <stdlib.h>

#include "broker/cluster.h"
#include "broker/parked.h"
#include "broker/settle.h"
#include "loop/reactor.h"
#include "metadata/quorum.h"
#include "util/clock.h"

/* How often the answer looks again whether this node's applier has
 * caught up with the commit (a one-voter apply takes about 1 ms). */
#define APPLIED_STEP_MS 2

typedef struct propose_ctx {
    samsa_handoff_t h; /* first */
    void *resp;
    samsa_cluster_finish_fn finish;
    _Atomic int pending; /* the last to complete hands over */
    int n;
    samsa_err_t *outcomes;
    /* The answer waits until this node's applier reached the image the
     * commit made (index: its local logs, broker configs, ...), so what
     * the client reads next from this node shows its write, as a single
     * node always did; at most until deadline_ms (SAMSA_SETTLE_MS after
     * the request arrived), then it answers anyway, as Kafka's broker
     * serves metadata that may lag its controller's. */
    samsa_broker_t *b;
    uint64_t index;
    int64_t deadline_ms;
} propose_ctx_t;

typedef struct one {
    propose_ctx_t *ctx;
    int index;
} one_t;

static void ctx_free(samsa_handoff_t *h)
{
    propose_ctx_t *ctx = (propose_ctx_t *)h;
    free(ctx->outcomes);
    free(ctx);
}

/* On the reactor, once every proposal completed. */
static void finish(samsa_handoff_t *h)
{
    propose_ctx_t *ctx = (propose_ctx_t *)h;
    ctx->finish(h->req, ctx->resp, ctx->outcomes);
}

/* On the reactor, every proposal done: answer once applied here. The
 * timer holds the proposals' reference, so a connection closed meanwhile
 * only lets go of the parked one. */
static void check_applied(void *arg);

static void on_timer(samsa_reactor_t *r, void *arg)
{
    (void)r;
    check_applied(arg);
}

static void check_applied(void *arg)
{
    propose_ctx_t *ctx = arg;
    if (ctx->h.req && samsa_cluster_applied_index(ctx->b) < ctx->index &&
        samsa_mono_ms() < ctx->deadline_ms &&
        samsa_reactor_timer_add(ctx->h.reactor, APPLIED_STEP_MS, 0, on_timer,
                                ctx) != 0) {
        return;
    }
    samsa_handoff_done(&ctx->h);
}

/* One proposal completed (NOMEM on the reactor, else the quorum thread).
 * The proposals hold one reference together: only the last one to
 * complete lets go of it (it used to be dropped by every one, so a request
 * of several records freed the context under the others). */
static void one_done(propose_ctx_t *ctx, int index, samsa_err_t err)
{
    ctx->outcomes[index] = err;
    if (atomic_fetch_sub(&ctx->pending, 1) == 1) {
        /* The image now holds every commit (published before the
         * proposal's callback). */
        samsa_meta_image_t *img = samsa_meta_image_get(ctx->b->meta);
        ctx->index = img ? img->index : 0;
        samsa_meta_image_put(img);
        if (samsa_reactor_post(ctx->h.reactor, check_applied, ctx) !=
            SAMSA_OK) {
            samsa_handoff_done(&ctx->h);
        }
    }
}

static void on_done(void *arg, samsa_err_t err)
{
    one_t o = *(one_t *)arg;
    free(arg);
    one_done(o.ctx, o.index, err);
}

void samsa_cluster_propose(samsa_req_t *req, samsa_meta_rec_t *recs, int n,
                           void *resp, samsa_cluster_finish_fn fin)
{
    propose_ctx_t *ctx = calloc(1, sizeof(*ctx));
    samsa_err_t *outcomes = calloc((size_t)(n > 0 ? n : 1), sizeof(*outcomes));
    if (!ctx || !outcomes || n == 0) {
        for (int i = 0; i < n; i++) {
            free(recs[i].p);
            if (outcomes) {
                outcomes[i] = SAMSA_ERR_NOMEM;
            }
        }
        free(ctx);
        fin(req, resp, outcomes);
        free(outcomes);
        return;
    }
    ctx->resp = resp;
    ctx->finish = fin;
    ctx->b = req->broker;
    ctx->deadline_ms = req->received_ms + SAMSA_SETTLE_MS;
    ctx->n = n;
    ctx->outcomes = outcomes;
    atomic_init(&ctx->pending, n);
    samsa_handoff_park(&ctx->h, req, finish, ctx_free);
    for (int i = 0; i < n; i++) {
        one_t *o = malloc(sizeof(*o));
        if (!o) {
            free(recs[i].p);
            one_done(ctx, i, SAMSA_ERR_NOMEM);
            continue;
        }
        o->ctx = ctx;
        o->index = i;
        samsa_meta_propose(req->broker->meta, recs[i], on_done, o);
    }
}
