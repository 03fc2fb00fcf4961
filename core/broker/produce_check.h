/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/produce_check.h - a Produce request whose records are
 * compressed has them decompressed and checked (records_check.h) on the
 * broker's produce-check worker thread instead of its reactor, so a
 * request of decompression bombs (bounded by message_max_decompressed_bytes)
 * never stalls the other connections on that reactor. So does one whose
 * transactional records must first be verified with the producer's
 * transaction coordinator on another broker (KIP-890, txn_verify.h): the
 * worker waits for that answer, the reactor does not. The handler then
 * appends on the reactor, using the verdicts.
 *
 * Order: one connection's produce requests are appended in arrival order,
 * as Kafka (one request per connection at a time) and idempotent
 * producers expect. While one of them is with the worker, later ones from
 * that connection queue behind it, compressed or not.
 *
 * A request for a partition whose leadership this broker is taking over
 * (samsa_cluster_takeover_pending: the image names it leader, core/replica
 * is about to lead) goes to the worker too, which waits for the takeover
 * (at most TAKEOVER_WAIT_MS, or the request's TimeoutMs) before the
 * handler appends; later requests of the connection queue behind it. So
 * a client's pipeline of batches is never split into an early one refused
 * and later ones appended.
 *
 * Reactor thread of the request's connection.
 */
#ifndef SAMSA_BROKER_PRODUCE_CHECK_H
#define SAMSA_BROKER_PRODUCE_CHECK_H

#include <stdbool.h>

#include "broker/request.h"

/* What the worker found for one partition's records. */
typedef struct samsa_records_verdict {
    bool key_required; /* in: a compacted topic (set on the reactor) */
    bool checked;      /* false: not a v2 batch set, the handler checks */
    samsa_err_t err;   /* samsa_broker_check_records' answer */
    const char *why;   /* its explanation (static), or NULL */
    size_t plain;      /* bytes its compressed batches decompressed to */
    /* KIP-890: the transaction coordinator's answer for a transactional
     * batch (txn_verify.h), when it was asked; else SAMSA_OK. */
    samsa_err_t txn_err;
} samsa_records_verdict_t;

/* Called on the reactor with one verdict per partition, in request order
 * (topic by topic, partition by partition); answers the request. */
typedef void (*samsa_produce_finish_fn)(samsa_req_t *req,
                                        const samsa_records_verdict_t *v);

/* Send @p req (a ProduceRequest) to the worker when it carries compressed
 * batches or its connection already has one there; @p finish runs later.
 * False: handle it inline (no connection, no worker, nothing to defer). */
bool samsa_produce_check_defer(samsa_req_t *req,
                               samsa_produce_finish_fn finish);

/* The workers, one per reactor (a connection always uses the same one,
 * which keeps its requests in order). Main thread, like the admin
 * worker's start/stop/free (admin_worker.h). */
samsa_err_t samsa_produce_checks_start(samsa_broker_t *b);
void samsa_produce_checks_stop(samsa_broker_t *b);
void samsa_produce_checks_free(samsa_broker_t *b);

#endif /* SAMSA_BROKER_PRODUCE_CHECK_H */
