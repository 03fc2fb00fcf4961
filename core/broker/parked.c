/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/parked.c - see parked.h. */
#include "broker/parked.h"
#include "security/auth.h"

#include <stddef.h>

/* The connection context is the head of its parked list; connections
 * without parked requests carry no context at all. */
void samsa_parked_add(samsa_conn_t *conn, samsa_parked_t *p)
{
    samsa_parked_t *head = samsa_conn_get_ctx(conn);
    p->conn = conn;
    p->prev = NULL;
    p->next = head;
    if (head) {
        head->prev = p;
    }
    samsa_conn_set_ctx(conn, p);
}

void samsa_parked_remove(samsa_parked_t *p)
{
    if (!p->conn) {
        return;
    }
    if (p->prev) {
        p->prev->next = p->next;
    } else {
        samsa_conn_set_ctx(p->conn, p->next);
    }
    if (p->next) {
        p->next->prev = p->prev;
    }
    p->prev = p->next = NULL;
    p->conn = NULL;
}

bool samsa_parked_has(samsa_conn_t *conn, void (*cancel)(samsa_parked_t *p))
{
    for (samsa_parked_t *p = samsa_conn_get_ctx(conn); p; p = p->next) {
        if (p->cancel == cancel) {
            return true;
        }
    }
    return false;
}

static void handoff_unref(samsa_handoff_t *h)
{
    if (atomic_fetch_sub(&h->refs, 1) == 1) {
        h->release(h);
    }
}

static void handoff_cancel(samsa_parked_t *p)
{
    samsa_handoff_t *h = (samsa_handoff_t *)p;
    samsa_req_respond_none(h->req);
    h->req = NULL;
    handoff_unref(h);
}

/* On the reactor: answer unless the connection went away. */
static void handoff_resume(void *arg)
{
    samsa_handoff_t *h = arg;
    if (h->req) {
        samsa_parked_remove(&h->parked);
        h->respond(h);
        h->req = NULL;
        handoff_unref(h);
    }
    handoff_unref(h);
}

void samsa_handoff_park(samsa_handoff_t *h, samsa_req_t *req,
                        void (*respond)(samsa_handoff_t *h),
                        void (*release)(samsa_handoff_t *h))
{
    h->req = req;
    h->reactor = samsa_conn_reactor(req->conn);
    h->respond = respond;
    h->release = release;
    atomic_init(&h->refs, 2);
    h->parked.cancel = handoff_cancel;
    samsa_parked_add(req->conn, &h->parked);
}

void samsa_handoff_done(samsa_handoff_t *h)
{
    if (samsa_reactor_post(h->reactor, handoff_resume, h) != SAMSA_OK) {
        handoff_unref(h); /* reactor gone: shutdown already closed the conn */
    }
}

void samsa_broker_on_close(samsa_conn_t *conn, void *app)
{
    (void)app;
    samsa_parked_t *p;
    while ((p = samsa_conn_get_ctx(conn)) != NULL) {
        samsa_parked_remove(p);
        p->cancel(p);
    }
    samsa_auth_release(conn);
}
