/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/settle.h - a request that finds this node's cluster state
 * still settling waits for it rather than answering a retriable error.
 *
 * In a cluster, some answers depend on work the metadata quorum finishes
 * a few milliseconds later: an internal topic (__consumer_offsets,
 * __transaction_state) or an auto-created topic being created through
 * the log, a coordinator partition being loaded, the first producer-id
 * block on its way. Kafka answers COORDINATOR_NOT_AVAILABLE,
 * NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or LEADER_NOT_AVAILABLE
 * meanwhile; clients retry most of them, but not every client every one
 * of them on every API (a raw JoinGroup or InitProducerId does not). With
 * one voter the commit is local and quick, so the answer waits instead:
 * the handler parks the request and runs again a few ms later, until the
 * state has settled or SAMSA_SETTLE_MS passed since the request arrived;
 * then it answers what it has, the error included.
 *
 * Reactor thread (the request's connection's).
 */
#ifndef SAMSA_BROKER_SETTLE_H
#define SAMSA_BROKER_SETTLE_H

#include <stdbool.h>

#include "broker/request.h"

/* How long a request may wait for the cluster state to settle. */
#define SAMSA_SETTLE_MS 3000

/* Park @p req and run its handler again shortly: true. False when it has
 * waited SAMSA_SETTLE_MS already, or is an in-process request (nothing to
 * park it on): the handler answers now. Call before anything of the
 * answer is sent, and only when running the handler again is harmless
 * (nothing was changed, or only in a way a repeat leaves alone). */
bool samsa_req_settle(samsa_req_t *req);

/* The coordinator of @p key (a group id, or a transactional id when
 * @p txn) is still settling on this node (samsa_cluster_coordinator_
 * settling) and @p req was parked: true, the handler returns. */
bool samsa_req_settle_coordinator(samsa_req_t *req, bool txn, samsa_str_t key);

/* @p topic/@p partition is led here by the image but its local log or
 * leadership is still being made (a topic just created:
 * samsa_cluster_leader_settling) and @p req was parked: true, the handler
 * returns. For the APIs that read or write a partition led here (Produce,
 * Fetch, ListOffsets, OffsetForLeaderEpoch), which would otherwise answer
 * LEADER_NOT_AVAILABLE or UNKNOWN_TOPIC_OR_PARTITION meanwhile. */
bool samsa_req_settle_partition(samsa_req_t *req, const char *topic,
                                int32_t partition);

#endif /* SAMSA_BROKER_SETTLE_H */
