/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/commit_wait.h - OffsetCommit and TxnOffsetCommit answered
 * once the group's __consumer_offsets partition has the commit on every
 * in-sync replica, as Kafka's coordinator appends them with acks=all
 * (offsets.commit.required.acks = -1, offsets.commit.timeout.ms = 5000):
 * a committed offset survives the loss of its coordinator. Only in a
 * cluster; standalone the answer goes at once. Reactor thread.
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

#endif /* SAMSA_BROKER_COMMIT_WAIT_H */
