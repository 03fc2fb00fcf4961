/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/dispatch.c - the dispatch table: which APIs and versions the
 * broker advertises in ApiVersions and serves.
 *
 * Produce starts at v0 (legacy message sets, converted on append): below
 * that librdkafka 2.0.2 sends gzip, snappy and lz4 batches uncompressed.
 *
 * Ranges follow ../shared/kafka-protocol/CLIENTS.md §4: low minimums where
 * librdkafka 2.0.2 probes features (Produce 3, Fetch 4, FindCoordinator 0,
 * ApiVersions 0), the versions kafka-python sends without negotiating, and
 * nothing advertised that is not implemented (kafkajs and franz-go decide
 * what to use from this list). Every version inside a range must work.
 */
#include "broker/handlers.h"

static const samsa_api_handler_t table[SAMSA_API_COUNT] = {
    [SAMSA_API_PRODUCE] = {0, 0, 9, samsa_handle_produce},
    [SAMSA_API_FETCH] = {1, 4, 12, samsa_handle_fetch},
    [SAMSA_API_LIST_OFFSETS] = {2, 1, 6, samsa_handle_list_offsets},
    [SAMSA_API_METADATA] = {3, 0, 12, samsa_handle_metadata},
    [SAMSA_API_OFFSET_COMMIT] = {8, 0, 8, samsa_handle_offset_commit},
    [SAMSA_API_OFFSET_FETCH] = {9, 0, 8, samsa_handle_offset_fetch},
    [SAMSA_API_FIND_COORDINATOR] = {10, 0, 4, samsa_handle_find_coordinator},
    [SAMSA_API_JOIN_GROUP] = {11, 0, 9, samsa_handle_join_group},
    [SAMSA_API_HEARTBEAT] = {12, 0, 4, samsa_handle_heartbeat},
    [SAMSA_API_LEAVE_GROUP] = {13, 0, 5, samsa_handle_leave_group},
    [SAMSA_API_SYNC_GROUP] = {14, 0, 5, samsa_handle_sync_group},
    [SAMSA_API_DESCRIBE_GROUPS] = {15, 0, 5, samsa_handle_describe_groups},
    [SAMSA_API_LIST_GROUPS] = {16, 0, 4, samsa_handle_list_groups},
    [SAMSA_API_SASL_HANDSHAKE] = {17, 0, 1, samsa_handle_sasl_handshake},
    [SAMSA_API_API_VERSIONS] = {18, 0, 3, samsa_handle_api_versions},
    [SAMSA_API_CREATE_TOPICS] = {19, 0, 7, samsa_handle_create_topics},
    [SAMSA_API_DELETE_TOPICS] = {20, 0, 6, samsa_handle_delete_topics},
    [SAMSA_API_DELETE_RECORDS] = {21, 0, 2, samsa_handle_delete_records},
    /* Idempotent and transactional producers; the transaction APIs go to
     * core/txn (AddPartitionsToTxn v4+ is the batched broker form). */
    [SAMSA_API_INIT_PRODUCER_ID] = {22, 0, 4, samsa_handle_init_producer_id},
    /* Followers before fetching, consumers after a leader change
     * (handle_offset_for_leader_epoch.c). */
    [SAMSA_API_OFFSET_FOR_LEADER_EPOCH] =
        {23, 0, 4, samsa_handle_offset_for_leader_epoch},
    [SAMSA_API_ADD_PARTITIONS_TO_TXN] = {24, 0, 4,
                                         samsa_handle_add_partitions_to_txn},
    [SAMSA_API_ADD_OFFSETS_TO_TXN] = {25, 0, 4,
                                      samsa_handle_add_offsets_to_txn},
    [SAMSA_API_END_TXN] = {26, 0, 4, samsa_handle_end_txn},
    /* Markers from a coordinator, or `samsa txn abort` for a hung
     * transaction (handle_txn_markers.c). */
    [SAMSA_API_WRITE_TXN_MARKERS] = {27, 0, 1, samsa_handle_write_txn_markers},
    [SAMSA_API_TXN_OFFSET_COMMIT] = {28, 0, 4, samsa_handle_txn_offset_commit},
    [SAMSA_API_DESCRIBE_CONFIGS] = {32, 0, 4, samsa_handle_describe_configs},
    [SAMSA_API_ALTER_CONFIGS] = {33, 0, 2, samsa_handle_alter_configs},
    [SAMSA_API_DESCRIBE_ACLS] = {29, 0, 3, samsa_handle_describe_acls},
    [SAMSA_API_CREATE_ACLS] = {30, 0, 3, samsa_handle_create_acls},
    [SAMSA_API_DELETE_ACLS] = {31, 0, 3, samsa_handle_delete_acls},
    [SAMSA_API_SASL_AUTHENTICATE] = {36, 0, 2, samsa_handle_sasl_authenticate},
    [SAMSA_API_CREATE_PARTITIONS] = {37, 0, 3, samsa_handle_create_partitions},
    [SAMSA_API_DELETE_GROUPS] = {42, 0, 2, samsa_handle_delete_groups},
    [SAMSA_API_INCREMENTAL_ALTER_CONFIGS] =
        {44, 0, 1, samsa_handle_incremental_alter_configs},
    [SAMSA_API_OFFSET_DELETE] = {47, 0, 0, samsa_handle_offset_delete},
    /* The metadata quorum (handle_quorum.c): kafka-metadata-quorum's
     * DescribeQuorum, and brokers registering with the controller. */
    [SAMSA_API_DESCRIBE_QUORUM] = {55, 0, 1, samsa_handle_describe_quorum},
    /* Client quotas (handle_client_quotas.c). */
    [SAMSA_API_DESCRIBE_CLIENT_QUOTAS] = {48, 0, 1,
                                          samsa_handle_describe_client_quotas},
    [SAMSA_API_ALTER_CLIENT_QUOTAS] = {49, 0, 1,
                                       samsa_handle_alter_client_quotas},
    [SAMSA_API_DESCRIBE_USER_SCRAM_CREDENTIALS] =
        {50, 0, 0, samsa_handle_describe_user_scram_credentials},
    [SAMSA_API_ALTER_USER_SCRAM_CREDENTIALS] =
        {51, 0, 0, samsa_handle_alter_user_scram_credentials},
    /* KIP-664: transactions and producers as kafka-transactions.sh shows
     * them. */
    [SAMSA_API_DESCRIBE_PRODUCERS] = {61, 0, 0,
                                      samsa_handle_describe_producers},
    [SAMSA_API_DESCRIBE_TRANSACTIONS] = {65, 0, 0,
                                         samsa_handle_describe_transactions},
    [SAMSA_API_LIST_TRANSACTIONS] = {66, 0, 1, samsa_handle_list_transactions},
    [SAMSA_API_DESCRIBE_CLUSTER] = {60, 0, 1, samsa_handle_describe_cluster},
    /* KIP-966: what Kafka 3.7+'s admin client describes topics with. */
    [SAMSA_API_DESCRIBE_TOPIC_PARTITIONS] =
        {75, 0, 0, samsa_handle_describe_topic_partitions},
    [SAMSA_API_BROKER_REGISTRATION] = {62, 0, 0,
                                       samsa_handle_broker_registration},
    [SAMSA_API_BROKER_HEARTBEAT] = {63, 0, 0, samsa_handle_broker_heartbeat},
    [SAMSA_API_ALLOCATE_PRODUCER_IDS] = {67, 0, 0,
                                         samsa_handle_allocate_producer_ids},
    /* Replication on the controller (handle_alter_partition.c): leaders
     * shrink and expand their ISR. */
    [SAMSA_API_ALTER_PARTITION] = {56, 0, 3, samsa_handle_alter_partition},
    /* Cluster admin on the controller: kafka-leader-election.sh,
     * kafka-reassign-partitions.sh, removing a node; and each broker's
     * log directory for kafka-log-dirs.sh. */
    [SAMSA_API_ELECT_LEADERS] = {43, 0, 2, samsa_handle_elect_leaders},
    [SAMSA_API_ALTER_PARTITION_REASSIGNMENTS] =
        {45, 0, 0, samsa_handle_alter_partition_reassignments},
    [SAMSA_API_LIST_PARTITION_REASSIGNMENTS] =
        {46, 0, 0, samsa_handle_list_partition_reassignments},
    [SAMSA_API_UNREGISTER_BROKER] = {64, 0, 0, samsa_handle_unregister_broker},
    [SAMSA_API_DESCRIBE_LOG_DIRS] = {35, 0, 4, samsa_handle_describe_log_dirs},
    /* Admin requests other brokers forward, with their client's principal
     * (handle_envelope.c); ClusterAction only. */
    [SAMSA_API_ENVELOPE] = {58, 0, 0, samsa_handle_envelope},
};

const samsa_api_handler_t *samsa_broker_api(int16_t api_key)
{
    if (api_key < 0 || api_key >= SAMSA_API_COUNT || !table[api_key].handler) {
        return NULL;
    }
    return &table[api_key];
}

int16_t samsa_broker_api_count(void)
{
    return SAMSA_API_COUNT;
}
