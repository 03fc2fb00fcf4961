/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/parked.h - requests waiting on a connection (long-poll fetch,
 * JoinGroup, SyncGroup), so a connection that closes can cancel them.
 *
 * Everything here runs on the connection's reactor thread.
 */
#ifndef SAMSA_BROKER_PARKED_H
#define SAMSA_BROKER_PARKED_H

#include <stdbool.h>

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

/* The net layer's on_close callback: cancel everything parked. */
void samsa_broker_on_close(samsa_conn_t *conn, void *app);

#endif /* SAMSA_BROKER_PARKED_H */
