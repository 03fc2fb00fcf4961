/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/parked.h - requests waiting on a connection (long-poll fetch,
 * JoinGroup, SyncGroup), so a connection that closes can cancel them.
 *
 * Everything here runs on the connection's reactor thread, but
 * samsa_handoff_done.
 */
#ifndef SAMSA_BROKER_PARKED_H
#define SAMSA_BROKER_PARKED_H

#include <stdatomic.h>
#include <stdbool.h>

#include "broker/request.h"
#include "loop/reactor.h"
#include "net/server.h"

typedef struct samsa_parked {
    /* Called when the connection closes first: stop timers and waiters and
     * complete the request without a response (samsa_req_respond_none). */
    void (*cancel)(struct samsa_parked *p);
    struct samsa_parked *prev, *next;
    samsa_conn_t *conn;
} samsa_parked_t;

void samsa_parked_add(samsa_conn_t *conn, samsa_parked_t *p);
void samsa_parked_remove(samsa_parked_t *p);
/* True when @p conn has a parked request of the kind whose cancel is
 * @p cancel. */
bool samsa_parked_has(samsa_conn_t *conn, void (*cancel)(samsa_parked_t *p));

/*
 * A request parked until another thread (a coordinator, the quorum) has
 * its answer. Two references: the connection's side and the other
 * thread's. The answer is made on the connection's reactor unless the
 * connection closed first (then the request completes with nothing); the
 * last reference frees the container. Embed it first in the container.
 */
typedef struct samsa_handoff {
    samsa_parked_t parked;
    samsa_req_t *req; /* NULL once answered or cancelled */
    samsa_reactor_t *reactor;
    _Atomic int refs;
    /* On the reactor, h->req still open: make the answer. */
    void (*respond)(struct samsa_handoff *h);
    /* The last reference went: free the container. */
    void (*release)(struct samsa_handoff *h);
} samsa_handoff_t;

/* On the request's reactor: park @p req in @p h. */
void samsa_handoff_park(samsa_handoff_t *h, samsa_req_t *req,
                        void (*respond)(samsa_handoff_t *h),
                        void (*release)(samsa_handoff_t *h));
/* Any thread, once, when the answer's inputs are in the container: hands
 * over to the reactor and lets go of the other thread's reference. */
void samsa_handoff_done(samsa_handoff_t *h);

/* The net layer's on_close callback: cancel everything parked. */
void samsa_broker_on_close(samsa_conn_t *conn, void *app);

#endif /* SAMSA_BROKER_PARKED_H */
