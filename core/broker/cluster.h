/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster.h - the broker as a node of a cluster: what ties
 * core/broker to the metadata quorum (core/metadata).
 *
 * Only in quorum mode (controller_quorum_voters set); standalone, b->meta is
 * NULL and every function here answers as a single node would.
 *
 *   - the quorum's image is the source of truth for brokers, topics,
 *     assignments and topic configs; a broker creates (deletes) the local
 *     logs of topics it holds a replica of as images arrive, so the log
 *     manager's files are this broker's cache of the image;
 *   - a member thread registers this broker with the controller and
 *     heartbeats (Kafka's BrokerRegistration/BrokerHeartbeat, through the
 *     in-tree client; directly when this node is the controller) and
 *     forwards auto-created topics to the controller;
 *   - handlers read the image and never wait on Raft: proposals park the
 *     request (samsa_cluster_propose) and answer when committed.
 */
#ifndef SAMSA_BROKER_CLUSTER_H
#define SAMSA_BROKER_CLUSTER_H

#include "broker/request.h"
#include "client/client.h"
#include "metadata/quorum.h"

typedef struct samsa_member samsa_member_t;

/* Open the quorum (quorum mode only; needs b->logs). */
samsa_err_t samsa_cluster_open(samsa_broker_t *b, char *errbuf, size_t errlen);
/* Start registering and heartbeating (after the listeners accept). */
samsa_err_t samsa_cluster_start(samsa_broker_t *b);
/* A lone voter (the only voter, and this node): wait, at most
 * @p timeout_ms, until this broker is registered, unfenced and caught up
 * with its log, holds producer ids, and its coordinators have loaded
 * their partitions (ending what was in flight), which with one voter
 * takes a few ms; clients then meet a broker as ready as a single
 * node's. After samsa_coord_follow_start. True when
 * it is (false: timed out, or not a lone voter). */
bool samsa_cluster_await_lone_voter(samsa_broker_t *b, int timeout_ms);
/* A solo node (config/cluster.h), before it registers: the topics and
 * producer ids a standalone run left in its data dir go into the metadata
 * log (cluster_migrate.c); nothing on disk is removed. Waits (bounded) to
 * be the controller and for the commits. An error (errbuf says what)
 * stops the start. */
samsa_err_t samsa_cluster_migrate_standalone(samsa_broker_t *b, char *errbuf,
                                             size_t errlen);
/* Stop the member thread, then the quorum. */
void samsa_cluster_close(samsa_broker_t *b);

/* Controlled shutdown (SIGTERM), Kafka's order: while this broker still
 * serves, ask the controller to fence it (samsa_member_shut_down), wait
 * until its own applied metadata shows it leading nothing (its partitions
 * moved; what clients still send here is answered NOT_LEADER_OR_FOLLOWER
 * and they find the new leaders), then, as the controller, hand the
 * quorum's leadership to another voter. At most @p timeout_ms in all.
 * False when the leaderships did not move in time. A controller-only
 * node only hands the quorum over; a standalone broker: true at once. */
bool samsa_cluster_controlled_shutdown(samsa_broker_t *b, int64_t timeout_ms);

/* Produce/Fetch/ListOffsets: SAMSA_OK when this broker leads
 * @p topic/@p partition (always, standalone); else
 * UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER or
 * LEADER_NOT_AVAILABLE. */
samsa_err_t samsa_cluster_leader_check(samsa_broker_t *b, const char *topic,
                                       int32_t partition);

/*
 * A leadership this broker's image gives it but core/replica has not
 * taken yet (the applier thread applies images after handlers see them):
 * true when the image names this broker the leader of @p topic/
 * @p partition (replicated) in an epoch it does not lead in yet. A
 * Produce arriving then waits for the takeover (core/broker/
 * produce_check.c) instead of being refused: refusing it while a later
 * request of the same connection, handled after the takeover, is
 * appended would split the client's pipeline (the later batch fails
 * with OUT_OF_ORDER_SEQUENCE_NUMBER, fatal to librdkafka before 2.3).
 * Any thread.
 */
bool samsa_cluster_takeover_pending(samsa_broker_t *b, const char *topic,
                                    int32_t partition);
/* How many images the applier has applied (0 standalone). Any thread. */
uint64_t samsa_cluster_applied(samsa_broker_t *b);
/* The index of the last image the applier applied (0: none yet, or
 * standalone). Any thread. */
uint64_t samsa_cluster_applied_index(samsa_broker_t *b);
/* Block until the applier has applied the image of @p index or a later
 * one (true), or @p deadline_ms (monotonic) passed, or it stops (false).
 * Never on a reactor. */
bool samsa_cluster_applied_reach(samsa_broker_t *b, uint64_t index,
                                 int64_t deadline_ms);
/* Block until the applier has applied more than @p seen images (true) or
 * @p deadline_ms (monotonic) passed, or it stops (false). Never on a
 * reactor. */
bool samsa_cluster_applied_wait(samsa_broker_t *b, uint64_t seen,
                                int64_t deadline_ms);

/* After samsa_cluster_leader_check answered LEADER_NOT_AVAILABLE: true
 * when the image makes this broker the leader, so only the local log or
 * leadership is still being made (settle.h), not a leader missing. */
bool samsa_cluster_leader_settling(samsa_broker_t *b, const char *topic,
                                   int32_t partition);

/* InitProducerId in quorum mode: ids come from blocks the controller
 * hands this broker (PRODUCER_IDS records), unique in the cluster.
 * COORDINATOR_LOAD_IN_PROGRESS while no block is at hand. issued: @p pid
 * was handed out by some broker (below the image's next block). */
samsa_err_t samsa_cluster_producer_id(samsa_broker_t *b, int64_t *pid);
bool samsa_cluster_pid_issued(samsa_broker_t *b, int64_t pid);

/* Auto-creation in quorum mode: ask the controller to create @p topic with
 * the broker defaults; returns at once (the caller answers
 * LEADER_NOT_AVAILABLE meanwhile). */
void samsa_cluster_request_topic(samsa_broker_t *b, const char *topic);

/*
 * The record creating topic @p name: @p partitions (-1: num_partitions)
 * of @p rf replicas (-1: default_replication_factor) placed over the live
 * brokers of @p img, or the explicit @p assignment (partition p's replicas
 * at assignment[p], NULL: place them). Configs are key/value pairs.
 * INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
 * INVALID_REPLICA_ASSIGNMENT, TOPIC_ALREADY_EXISTS; *why explains.
 */
typedef struct samsa_cluster_topic_spec {
    const char *name;
    int32_t partitions;
    int32_t replication_factor;
    const samsa_int32_array_t *assignment; /* one per partition, or NULL */
    const samsa_meta_config_t *configs;
    size_t config_count;
} samsa_cluster_topic_spec_t;

/* The controller's check of max_broker_partitions (this node's value):
 * POLICY_VIOLATION, *why set, when adding @p add's partitions (their
 * replicas as placed) to @p img would give some broker more partition
 * replicas than that, as a single node refuses more partitions than it
 * may hold. */
samsa_err_t samsa_cluster_partition_limit(samsa_broker_t *b,
                                          const samsa_meta_image_t *img,
                                          const samsa_meta_topic_t *add,
                                          const char **why);

samsa_err_t samsa_cluster_topic_record(samsa_broker_t *b,
                                       const samsa_meta_image_t *img,
                                       const samsa_cluster_topic_spec_t *spec,
                                       samsa_meta_rec_t *out, const char **why);

/*
 * Propose @p n records (taken) and park @p req until all are committed
 * (or failed); then, on the request's reactor, finish(req, resp,
 * outcomes) runs and must respond. A closed connection cancels it.
 */
typedef void (*samsa_cluster_finish_fn)(samsa_req_t *req, void *resp,
                                        const samsa_err_t *outcomes);
void samsa_cluster_propose(samsa_req_t *req, samsa_meta_rec_t *recs, int n,
                           void *resp, samsa_cluster_finish_fn finish);

/* FindCoordinator in quorum mode, as Kafka: the leader of partition
 * abs(javaHashCode(key)) % partitions of __consumer_offsets (@p txn false)
 * or __transaction_state (@p txn true). While the topic does not exist
 * its creation is asked of the controller (samsa_cluster_internal_spec)
 * and COORDINATOR_NOT_AVAILABLE is returned, as while the partition has
 * no leader. node, host and port are left alone when the leader is this
 * broker, and standalone. */
samsa_err_t samsa_cluster_coordinator(samsa_req_t *req, bool txn,
                                      samsa_str_t key, int32_t *node,
                                      samsa_str_t *host, int32_t *port);

/* Whether the coordinator of @p key (a group id, or a transactional id
 * when @p txn) is still settling on this node (settle.h): its internal
 * topic does not exist yet (its creation is asked of the controller), or
 * this broker leads its partition and has not loaded it yet. False
 * standalone, and when another broker leads it or none does. */
bool samsa_cluster_coordinator_settling(samsa_broker_t *b, bool txn,
                                        const char *key);

/* The spec an internal topic is created with (Kafka's
 * offsets_topic_num_partitions / _replication_factor, or the
 * transaction_state_log_ ones; compacted; replication factor 1 on a solo
 * node); false for other names. The configs are static. */
bool samsa_cluster_internal_spec(samsa_broker_t *b, const char *name,
                                 samsa_cluster_topic_spec_t *spec);

/* AlterConfigs / IncrementalAlterConfigs of a topic in quorum mode
 * (cluster_configs.c): committed as TOPIC_CONFIG records by the controller
 * (forwarded to it from other nodes), then applied by every broker. Admin
 * worker thread only: waits for the commit (10 s at most). */
samsa_err_t samsa_cluster_alter_topic_config(samsa_broker_t *b,
                                             const char *topic,
                                             const samsa_tcfg_kv_t *changes,
                                             size_t count, bool incremental,
                                             bool validate_only, char *errbuf,
                                             size_t errlen);

/*
 * Admin changes through the controller (cluster_admin.c), for handlers on
 * the admin worker only (both wait, 10 s at most).
 *
 * propose_wait: propose @p n records (taken) on this node (the
 * controller) and wait until each is committed and applied (every image
 * hook has run) or failed; outcomes[i] gets each one's result. Returns
 * REQUEST_TIMED_OUT, NOT_CONTROLLER (some proposal found this node no
 * longer leads) or SAMSA_OK.
 *
 * forward: false when this node handles @p req itself (standalone, or the
 * controller). Otherwise true: @p req was sent unchanged to the
 * controller and *resp is its response (decoded into the request's
 * arena), or NULL with *err (NOT_CONTROLLER: no controller, unreachable,
 * or @p req was itself forwarded) for the handler to answer with. The
 * controller authorizes the forwarded request as this broker's
 * connection (its inter-broker listener's principal).
 */
/*
 * forward_async: for the handler of a controller API (reactor), so any
 * node answers it (KIP-590). On a node that is not the controller, @p req
 * is forwarded from the admin worker (as forward does) and answered with
 * the controller's response: true. When the controller cannot be reached,
 * @p here(req) answers it on the reactor instead (as this node does: with
 * NOT_CONTROLLER). False, and the caller handles @p req: standalone, on
 * the controller, with no controller known, or for a request that was
 * itself forwarded. The caller authorizes first (the controller sees this
 * broker's principal).
 */
bool samsa_cluster_forward_async(samsa_req_t *req,
                                 void (*here)(samsa_req_t *req));
samsa_err_t samsa_cluster_propose_wait(samsa_broker_t *b,
                                       samsa_meta_rec_t *recs, size_t n,
                                       samsa_err_t *outcomes);
bool samsa_cluster_forward(samsa_req_t *req, void **resp, samsa_err_t *err);

/* Make this node enforce the ACLs, SCRAM credentials and client quotas of
 * image @p next (cluster_security.c); nothing when @p prev shares them.
 * @p next NULL: none (at start, before the log is read; with @p prev NULL
 * also a WARN for each per-node store a cluster does not use). Quorum
 * thread (image hook) or before the quorum starts. */
void samsa_cluster_security_apply(samsa_broker_t *b,
                                  const samsa_meta_image_t *prev,
                                  const samsa_meta_image_t *next);

/* Dynamic broker configs in a cluster (cluster_broker_configs.c).
 * alter: AlterConfigs / IncrementalAlterConfigs of BROKER resource
 * @p resource ("" the cluster default, else a broker id) on the
 * controller: Kafka's checks, then BROKER_CONFIG records, committed (admin
 * worker only; waits). apply: this node's cluster default and own values
 * from image @p next, when they differ from @p prev's (NULL: first image);
 * the applier thread. */
samsa_err_t samsa_cluster_alter_broker_config(samsa_broker_t *b,
                                              const char *resource,
                                              const samsa_tcfg_kv_t *changes,
                                              size_t count, bool incremental,
                                              bool validate_only, char *errbuf,
                                              size_t errlen);
void samsa_cluster_broker_configs_apply(samsa_broker_t *b,
                                        const samsa_meta_image_t *prev,
                                        const samsa_meta_image_t *next);

/* A copy of @p topic's configs in the image (caller frees), or
 * UNKNOWN_TOPIC_OR_PARTITION. */
samsa_err_t samsa_cluster_topic_configs(samsa_broker_t *b, const char *topic,
                                        samsa_tcfg_t *out);

/* A client (connecting lazily) to the controller of @p img, for requests
 * a node forwards there, as Kafka's brokers do; caller frees it.
 * Blocking use only: admin worker thread. NOT_CONTROLLER when no
 * controller is known, NOMEM. */
samsa_err_t samsa_cluster_controller_client(samsa_broker_t *b,
                                            const samsa_meta_image_t *img,
                                            int timeout_ms,
                                            samsa_client_t **out);

/* Quorum mode answers (cluster_view.c): the Metadata response to @p mreq
 * from the image (in the request's arena), and the brokers and
 * controller of a DescribeCluster response being built. */
samsa_MetadataResponse_t *samsa_cluster_metadata(samsa_req_t *req,
                                                 samsa_MetadataRequest_t *mreq,
                                                 bool all, bool allow_create);
void samsa_cluster_describe_cluster(samsa_req_t *req, void *response);
/* CreateTopics, DeleteTopics and CreatePartitions through the controller
 * (cluster_topics.c); other nodes forward them there. */
void samsa_cluster_create_topics(samsa_req_t *req);
void samsa_cluster_delete_topics(samsa_req_t *req);
void samsa_cluster_create_partitions(samsa_req_t *req);

#endif /* SAMSA_BROKER_CLUSTER_H */
