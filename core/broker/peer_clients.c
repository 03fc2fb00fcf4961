/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/peer_clients.c - see peer_clients.h. */
#include "broker/peer_clients.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/interbroker.h"

#define MAX_PEERS 64

typedef struct peer {
    int32_t id;
    char addr[300];
    samsa_client_t *client;
} peer_t;

struct samsa_peer_clients {
    samsa_broker_t *b;
    char client_id[64];
    int timeout_ms;
    peer_t peers[MAX_PEERS];
    size_t npeers;
};

samsa_err_t samsa_peer_clients_new(samsa_broker_t *b, const char *role,
                                   int timeout_ms, samsa_peer_clients_t **out)
{
    samsa_peer_clients_t *pc = calloc(1, sizeof(*pc));
    if (!pc) {
        return SAMSA_ERR_NOMEM;
    }
    pc->b = b;
    pc->timeout_ms = timeout_ms;
    snprintf(pc->client_id, sizeof(pc->client_id), "samsa-%s-%d", role,
             b->node_id);
    *out = pc;
    return SAMSA_OK;
}

void samsa_peer_clients_free(samsa_peer_clients_t *pc)
{
    if (!pc) {
        return;
    }
    for (size_t i = 0; i < pc->npeers; i++) {
        samsa_client_free(pc->peers[i].client);
    }
    free(pc);
}

samsa_client_t *samsa_peer_clients_get(samsa_peer_clients_t *pc,
                                       const samsa_meta_broker_t *mb)
{
    char addr[300];
    snprintf(addr, sizeof(addr), strchr(mb->host, ':') ? "[%s]:%d" : "%s:%d",
             mb->host, mb->port);
    peer_t *p = NULL;
    for (size_t i = 0; i < pc->npeers && !p; i++) {
        p = pc->peers[i].id == mb->id ? &pc->peers[i] : NULL;
    }
    if (!p && pc->npeers < MAX_PEERS) {
        p = &pc->peers[pc->npeers++];
        p->id = mb->id;
    }
    if (!p) {
        return NULL;
    }
    if (p->client && strcmp(p->addr, addr) == 0) {
        return p->client;
    }
    samsa_client_free(p->client);
    p->client = NULL;
    snprintf(p->addr, sizeof(p->addr), "%s", addr);
    samsa_client_conf_t conf = {.bootstrap = addr,
                                .client_id = pc->client_id,
                                .timeout_ms = pc->timeout_ms};
    samsa_interbroker_client_conf(pc->b->cfg, pc->b->client_tls, &conf);
    if (samsa_client_new(&conf, &p->client) != SAMSA_OK) {
        p->client = NULL;
    }
    return p->client;
}

void samsa_peer_clients_drop(samsa_peer_clients_t *pc, int32_t id)
{
    for (size_t i = 0; i < pc->npeers; i++) {
        if (pc->peers[i].id == id) {
            samsa_client_free(pc->peers[i].client);
            pc->peers[i].client = NULL;
        }
    }
}
