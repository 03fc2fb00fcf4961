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
