/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/txn_marker_writer.h - in a cluster, how the transaction
 * coordinator's marker thread (core/txn/marker_sender.c) writes a marker
 * to any partition: sent to its leader, this broker included, as Kafka's
 * WriteTxnMarkers (one request per leader, all sent before any answer is
 * awaited) with the in-tree client; answered once the partition's in-sync
 * replicas have it. Leaders come from the newest image; a partition whose
 * topic is gone counts as written. Used by that one thread only.
 */
#ifndef SAMSA_BROKER_TXN_MARKER_WRITER_H
#define SAMSA_BROKER_TXN_MARKER_WRITER_H

#include "broker/broker.h"
#include "txn/coordinator.h"

typedef struct samsa_txn_marker_writer samsa_txn_marker_writer_t;

samsa_err_t samsa_txn_marker_writer_new(samsa_broker_t *b,
                                        samsa_txn_marker_writer_t **out);
/* After the transaction coordinator stopped. NULL is fine. */
void samsa_txn_marker_writer_free(samsa_txn_marker_writer_t *w);

/* The ops to put in samsa_txn_options_t (marker_arg: the writer). */
extern const samsa_txn_marker_ops_t samsa_txn_marker_writer_ops;

#endif /* SAMSA_BROKER_TXN_MARKER_WRITER_H */
