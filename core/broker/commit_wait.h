/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/commit_wait.h - answers that wait for a coordinator's write
 * to reach every in-sync replica of its internal topic, as Kafka's
 * coordinators append with acks=all: OffsetCommit and TxnOffsetCommit
 * (offsets.commit.timeout.ms = 5000), SyncGroup (the group's assignment,
 * Kafka's storeGroup), and the transaction log writes of InitProducerId,
 * AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. What was acknowledged
 * survives the loss of its coordinator. The errors are the coordinators'
 * (samsa_coordinator_wait_replicas). Only in a cluster; standalone the
 * answer goes at once. Reactor thread.
 */
#ifndef SAMSA_BROKER_COMMIT_WAIT_H
#define SAMSA_BROKER_COMMIT_WAIT_H

#include "broker/produce_wait.h"

/* Make the answer's @p n error codes (those still 0) wait until the high
 * watermark of @p group's offsets partition reaches its log end as of
 * now; *wait as for samsa_produce_wait_replicas, answered with
 * samsa_produce_respond. */
void samsa_commit_wait(samsa_req_t *req, const char *group,
                       int16_t *const *error_codes, size_t n,
                       samsa_produce_wait_t **wait);

/* The same for @p txn_id's __transaction_state partition. */
void samsa_txn_log_wait(samsa_req_t *req, const char *txn_id,
                        int16_t *const *error_codes, size_t n,
                        samsa_produce_wait_t **wait);

#endif /* SAMSA_BROKER_COMMIT_WAIT_H */
