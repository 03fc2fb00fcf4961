/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/propose.c - samsa_cluster_propose (cluster.h): a request
 * parked until its metadata records are committed. */
#include <stdatomic.h>
#include <stdlib.h>

#include "broker/cluster.h"
#include "broker/parked.h"
#include "loop/reactor.h"

typedef struct propose_ctx {
    samsa_handoff_t h; /* first */
    void *resp;
    samsa_cluster_finish_fn finish;
    _Atomic int pending; /* the last to complete hands over */
    int n;
    samsa_err_t *outcomes;
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

/* One proposal completed (NOMEM on the reactor, else the quorum thread).
 * The proposals hold one reference together: only the last one to
 * complete lets go of it (it used to be dropped by every one, so a request
 * of several records freed the context under the others). */
static void one_done(propose_ctx_t *ctx, int index, samsa_err_t err)
{
    ctx->outcomes[index] = err;
    if (atomic_fetch_sub(&ctx->pending, 1) == 1) {
        samsa_handoff_done(&ctx->h);
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
