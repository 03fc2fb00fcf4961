/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/produce_wait.h - a Produce response that waits for the
 * flushes its appends made due (issue: flush.messages=1 must mean fsync
 * before the acknowledgement, as in Kafka).
 *
 * The handler appends every partition, hands each append's flush ticket
 * here (samsa_produce_wait_add), and for acks=all on a replicated
 * partition the HW it must reach (samsa_produce_wait_replicas); it answers
 * with samsa_produce_respond:
 * at once when no ticket is outstanding, otherwise the response is parked
 * and sent from the connection's reactor once the flusher thread has
 * flushed every partition involved. The reactor never waits. A failed
 * flush turns that partition's answer into KAFKA_STORAGE_ERROR.
 *
 * Reactor thread of the request's connection, except where noted; an
 * in-process request (samsa_broker_call) has none, and its answer is sent
 * from the flusher thread.
 */
#ifndef SAMSA_BROKER_PRODUCE_WAIT_H
#define SAMSA_BROKER_PRODUCE_WAIT_H

#include "broker/request.h"
#include "log/logmgr.h"

typedef struct samsa_produce_wait samsa_produce_wait_t;

/* Remember that @p part's answer (its ErrorCode at @p error_code) waits
 * for flush @p ticket (< 0: nothing to wait for). *wait is created on
 * first use; the topic is held until the flush is done. Out of memory:
 * answered without waiting, as before this existed, with a WARN. */
void samsa_produce_wait_add(samsa_produce_wait_t **wait, samsa_topic_t *topic,
                            samsa_partition_t *part, int64_t ticket,
                            int16_t *error_code);

/* acks=all on a replicated partition (core/replica): the answer also waits
 * until @p part's high watermark reaches @p required (the log end after
 * this append), as Kafka's DelayedProduce; then NOT_ENOUGH_REPLICAS_AFTER_
 * APPEND when the ISR shrank below @p min_isr meanwhile. NOT_LEADER_OR_
 * FOLLOWER when this broker no longer leads in @p leader_epoch (the
 * samsa_replica_leader_epoch it appended in; -1: not led here, then only
 * a partition that stays unreplicated is answered OK), checked before the
 * HW, which a deposed leader learns from the new one after truncating
 * the records away. REQUEST_TIMED_OUT after
 * @p timeout_ms (the Produce's TimeoutMs). An in-process request (no
 * reactor to wait on) is answered at once. */
void samsa_produce_wait_replicas(samsa_produce_wait_t **wait,
                                 samsa_topic_t *topic, samsa_partition_t *part,
                                 int64_t required, int32_t leader_epoch,
                                 int64_t min_isr, int32_t timeout_ms,
                                 int16_t *error_code);

/* The same for a coordinator's write to its internal topic (core/broker/
 * commit_wait.c): the answer's error is the one Kafka's coordinators give,
 * COORDINATOR_NOT_AVAILABLE for a timeout or too few in-sync replicas,
 * NOT_COORDINATOR when this broker no longer leads the partition. */
void samsa_coordinator_wait_replicas(samsa_produce_wait_t **wait,
                                     samsa_topic_t *topic,
                                     samsa_partition_t *part, int64_t required,
                                     int32_t leader_epoch, int64_t min_isr,
                                     int32_t timeout_ms, int16_t *error_code);

/* samsa_req_respond(req, response), after the flushes of @p wait (NULL:
 * at once). Takes @p wait. */
void samsa_produce_respond(samsa_req_t *req, const void *response,
                           samsa_produce_wait_t *wait);

#endif /* SAMSA_BROKER_PRODUCE_WAIT_H */
