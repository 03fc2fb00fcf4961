/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/peer_clients.h - this broker's in-tree clients to the other
 * brokers of the cluster, one per broker id, speaking the inter-broker
 * listener's security protocol (interbroker.h). A client is re-made when
 * its broker's address changed and dropped after a failed call, so the
 * next call reconnects. Used by the transaction marker writer and by
 * KIP-890 verification (txn_verify.h).
 *
 * Not thread-safe: one owner thread, or the owner's lock around each get
 * and the call made with it.
 */
#ifndef SAMSA_BROKER_PEER_CLIENTS_H
#define SAMSA_BROKER_PEER_CLIENTS_H

#include "broker/broker.h"
#include "client/client.h"
#include "metadata/image.h"

typedef struct samsa_peer_clients samsa_peer_clients_t;

/* @p role names the clients ("txn-markers" gives client id
 * "samsa-txn-markers-<node id>"); @p timeout_ms bounds each call. */
samsa_err_t samsa_peer_clients_new(samsa_broker_t *b, const char *role,
                                   int timeout_ms, samsa_peer_clients_t **out);
/* NULL is fine. */
void samsa_peer_clients_free(samsa_peer_clients_t *pc);

/* The client to broker @p mb (connected on first use); NULL when none
 * can be made. Owned by @p pc. */
samsa_client_t *samsa_peer_clients_get(samsa_peer_clients_t *pc,
                                       const samsa_meta_broker_t *mb);

/* A call to broker @p id failed: its client is closed. */
void samsa_peer_clients_drop(samsa_peer_clients_t *pc, int32_t id);

#endif /* SAMSA_BROKER_PEER_CLIENTS_H */
