/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handlers.h - one handler per Kafka API, one file each
 * (core/broker/handle_<api>.c). Each runs on the connection's reactor
 * thread and calls samsa_req_respond() exactly once, now or later.
 */
#ifndef SAMSA_BROKER_HANDLERS_H
#define SAMSA_BROKER_HANDLERS_H

#include "broker/request.h"
#include "protocol/generated/messages.h"

void samsa_handle_api_versions(samsa_req_t *req);
void samsa_handle_metadata(samsa_req_t *req);
/* The Metadata response to @p mreq (every topic with @p all), standalone
 * or from the cluster's image, in the request's arena; Metadata and
 * DescribeTopicPartitions answer with it. */
samsa_MetadataResponse_t *samsa_metadata_answer(samsa_req_t *req,
                                                samsa_MetadataRequest_t *mreq,
                                                bool all, bool allow_create);
void samsa_handle_describe_topic_partitions(samsa_req_t *req);
void samsa_handle_produce(samsa_req_t *req);
void samsa_handle_fetch(samsa_req_t *req);
void samsa_handle_list_offsets(samsa_req_t *req);
void samsa_handle_offset_for_leader_epoch(samsa_req_t *req);
void samsa_handle_create_topics(samsa_req_t *req);
void samsa_handle_delete_topics(samsa_req_t *req);
void samsa_handle_create_partitions(samsa_req_t *req);
void samsa_handle_describe_configs(samsa_req_t *req);
void samsa_handle_alter_configs(samsa_req_t *req);
void samsa_handle_incremental_alter_configs(samsa_req_t *req);
void samsa_handle_delete_records(samsa_req_t *req);
void samsa_handle_describe_cluster(samsa_req_t *req);
void samsa_handle_find_coordinator(samsa_req_t *req);
void samsa_handle_join_group(samsa_req_t *req);
void samsa_handle_sync_group(samsa_req_t *req);
void samsa_handle_heartbeat(samsa_req_t *req);
void samsa_handle_leave_group(samsa_req_t *req);
void samsa_handle_offset_commit(samsa_req_t *req);
void samsa_handle_offset_fetch(samsa_req_t *req);
void samsa_handle_offset_delete(samsa_req_t *req);
void samsa_handle_list_groups(samsa_req_t *req);
void samsa_handle_describe_groups(samsa_req_t *req);
void samsa_handle_delete_groups(samsa_req_t *req);
void samsa_handle_init_producer_id(samsa_req_t *req);
void samsa_handle_add_partitions_to_txn(samsa_req_t *req);
void samsa_handle_add_offsets_to_txn(samsa_req_t *req);
void samsa_handle_end_txn(samsa_req_t *req);
void samsa_handle_txn_offset_commit(samsa_req_t *req);
void samsa_handle_describe_transactions(samsa_req_t *req);
void samsa_handle_list_transactions(samsa_req_t *req);
void samsa_handle_describe_producers(samsa_req_t *req);
void samsa_handle_write_txn_markers(samsa_req_t *req);
void samsa_handle_describe_quorum(samsa_req_t *req);
void samsa_handle_broker_registration(samsa_req_t *req);
void samsa_handle_broker_heartbeat(samsa_req_t *req);
void samsa_handle_envelope(samsa_req_t *req);
void samsa_handle_allocate_producer_ids(samsa_req_t *req);
void samsa_handle_alter_partition(samsa_req_t *req);
void samsa_handle_elect_leaders(samsa_req_t *req);
void samsa_handle_alter_partition_reassignments(samsa_req_t *req);
void samsa_handle_list_partition_reassignments(samsa_req_t *req);
void samsa_handle_unregister_broker(samsa_req_t *req);
void samsa_handle_describe_log_dirs(samsa_req_t *req);

/* CreateTopics v5+: a created topic's whole configuration into @p result
 * (a samsa_CreateTopicsResponse_CreatableTopicResult_t), @p given being
 * the request's configs. */
void samsa_topics_fill_configs(samsa_req_t *req, void *result,
                               const samsa_tcfg_t *given);
void samsa_handle_sasl_handshake(samsa_req_t *req);
void samsa_handle_create_acls(samsa_req_t *req);
void samsa_handle_describe_acls(samsa_req_t *req);
void samsa_handle_delete_acls(samsa_req_t *req);
void samsa_handle_describe_user_scram_credentials(samsa_req_t *req);
void samsa_handle_alter_user_scram_credentials(samsa_req_t *req);
void samsa_handle_describe_client_quotas(samsa_req_t *req);
void samsa_handle_alter_client_quotas(samsa_req_t *req);
void samsa_handle_sasl_authenticate(samsa_req_t *req);
/* A bare SASL token frame after a v0 SaslHandshake (no request header):
 * answered with a bare size-prefixed token; takes @p frame. */
void samsa_broker_raw_sasl_token(samsa_conn_t *conn, samsa_slot_t *slot,
                                 uint8_t *frame, size_t len);

/* CreateTopics: may the principal create topic @p name (CREATE on the
 * cluster or on the topic)? true when it may not. */
bool samsa_topics_create_denied(samsa_req_t *req, samsa_str_t name);
/* CreateTopics asking for more partitions in all than
 * max_partitions_per_request: the message to refuse every topic with
 * (POLICY_VIOLATION), in the request's arena; NULL within the limit. One
 * node and a cluster's controller alike. */
const char *samsa_topics_over_request_limit(samsa_req_t *req);

#endif /* SAMSA_BROKER_HANDLERS_H */
