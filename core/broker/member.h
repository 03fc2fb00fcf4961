/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/member.h - this broker's membership in the cluster: one
 * thread that registers it with the controller (a new broker epoch per
 * process start, told apart by a random incarnation id), heartbeats every
 * broker_heartbeat_interval_ms, and forwards auto-created topics to the
 * controller. It talks Kafka's BrokerRegistration/BrokerHeartbeat/
 * CreateTopics to the controller's broker listener with the in-tree
 * client, or calls the quorum directly when this node is the controller.
 * The thread may block on the network; nothing else waits for it.
 */
#ifndef SAMSA_BROKER_MEMBER_H
#define SAMSA_BROKER_MEMBER_H

#include "broker/broker.h"
#include "client/client.h"
#include "metadata/image.h"

samsa_err_t samsa_member_start(samsa_broker_t *b, samsa_member_t **out);
/* Controlled shutdown (SIGTERM), Kafka's BrokerLifecycleManager
 * beginControlledShutdown: from now on every heartbeat says WantShutDown
 * (the controller fences this broker, so its leaderships move, and keeps
 * it fenced), sent every 200 ms rather than every interval, and the
 * broker never registers again. Any thread; NULL is fine. */
void samsa_member_shut_down(samsa_member_t *mb);
/* Join the thread (NULL is fine). */
void samsa_member_stop(samsa_member_t *mb);
/* Free it; after the quorum closed, which may still complete a
 * registration this member proposed. */
void samsa_member_free(samsa_member_t *mb);
/* The next producer id of this broker's block from the controller;
 * COORDINATOR_LOAD_IN_PROGRESS (retriable) while the first block, or the
 * next one, is on its way (any thread). */
samsa_err_t samsa_member_producer_id(samsa_member_t *mb, int64_t *pid);
/* Whether a producer id is at hand (the first block has arrived). Any
 * thread. */
bool samsa_member_has_producer_ids(samsa_member_t *mb);
/* Whether @p img has this process registered (its own incarnation, not
 * an earlier run's replayed from the log) and not fenced: what this
 * broker's images are worth acting on as a leader. Any thread. */
bool samsa_member_active(samsa_member_t *mb, const samsa_meta_image_t *img);
/* Queue a topic for creation with the broker defaults (any thread). */
void samsa_member_request_topic(samsa_member_t *mb, const char *topic);

/* The in-tree client the member thread talks to the controller @p ctrl
 * with (its broker listener; client id samsa-broker-<node_id>), cached in
 * *client for node *node and made anew when the controller moved. Other
 * threads talking to the controller (core/replica's AlterPartition) keep
 * their own cache. NULL when the client cannot be made. */
samsa_client_t *samsa_member_controller_client(samsa_broker_t *b,
                                               const samsa_meta_broker_t *ctrl,
                                               samsa_client_t **client,
                                               int32_t *node);

#endif /* SAMSA_BROKER_MEMBER_H */
