/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Freeze the plugin ABI: sizes and field offsets of every public struct,
 * and the values of every public enum and constant, as samsa 0.1 / ABI 1.0
 * shipped them (the librdkafka tests/0006-symbols.c idea). A failure here
 * means a change would break compiled plugins: append fields at the end
 * (bumping SAMSA_ABI_MINOR) and add asserts for them; never edit a number.
 *
 * The numbers are for LP64 (x86_64, aarch64); other data models skip the
 * layout tests but still check the enums.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <samsa/samsa.h>

#define LP64 (UINTPTR_MAX == 0xffffffffffffffffu)

/* Size of member f of struct type t. */
#define M(t, f) sizeof(((t *)0)->f)

static void struct_sizes_and_offsets_are_frozen(void **state)
{
    (void)state;
    if (!LP64) {
        skip();
    }
    assert_int_equal(sizeof(samsa_abi_header_t), 8);
    assert_int_equal(offsetof(samsa_abi_header_t, abi_major), 0);
    assert_int_equal(offsetof(samsa_abi_header_t, abi_minor), 2);
    assert_int_equal(offsetof(samsa_abi_header_t, struct_size), 4);
    assert_int_equal(sizeof(samsa_option_t), 48);
    assert_int_equal(offsetof(samsa_option_t, name), 0);
    assert_int_equal(offsetof(samsa_option_t, type), 8);
    assert_int_equal(offsetof(samsa_option_t, flags), 12);
    assert_int_equal(offsetof(samsa_option_t, default_value), 16);
    assert_int_equal(offsetof(samsa_option_t, min), 24);
    assert_int_equal(offsetof(samsa_option_t, max), 32);
    assert_int_equal(offsetof(samsa_option_t, doc), 40);
    assert_int_equal(sizeof(samsa_instance_t), 56);
    assert_int_equal(offsetof(samsa_instance_t, hdr), 0);
    assert_int_equal(offsetof(samsa_instance_t, name), 8);
    assert_int_equal(offsetof(samsa_instance_t, path), 16);
    assert_int_equal(offsetof(samsa_instance_t, manifest), 24);
    assert_int_equal(offsetof(samsa_instance_t, data_dir), 32);
    assert_int_equal(offsetof(samsa_instance_t, config), 40);
    assert_int_equal(offsetof(samsa_instance_t, manifest_line), 48);
    assert_int_equal(offsetof(samsa_instance_t, reserved0), 52);
    /* ABI minor 1 appended codec_decompress and codec_compress (144 is a
     * minor 0 table), minor 3 scram_credential (160 is minor 2), minor 5
     * broker_config and the kafka_* client (168 is minor 3 and 4); minor
     * 7's size is checked below with its fields. */
    assert_int_equal(offsetof(samsa_services_t, hdr), 0);
    assert_int_equal(offsetof(samsa_services_t, log), 8);
    assert_int_equal(offsetof(samsa_services_t, err_str), 16);
    assert_int_equal(offsetof(samsa_services_t, config_bool), 24);
    assert_int_equal(offsetof(samsa_services_t, config_int), 32);
    assert_int_equal(offsetof(samsa_services_t, config_double), 40);
    assert_int_equal(offsetof(samsa_services_t, config_string), 48);
    assert_int_equal(offsetof(samsa_services_t, config_list), 56);
    assert_int_equal(offsetof(samsa_services_t, alloc), 64);
    assert_int_equal(offsetof(samsa_services_t, realloc), 72);
    assert_int_equal(offsetof(samsa_services_t, free), 80);
    assert_int_equal(offsetof(samsa_services_t, metric_register), 88);
    assert_int_equal(offsetof(samsa_services_t, metric_add), 96);
    assert_int_equal(offsetof(samsa_services_t, metric_set), 104);
    assert_int_equal(offsetof(samsa_services_t, timer_start), 112);
    assert_int_equal(offsetof(samsa_services_t, timer_stop), 120);
    assert_int_equal(offsetof(samsa_services_t, now_ms), 128);
    assert_int_equal(offsetof(samsa_services_t, monotonic_ms), 136);
    assert_int_equal(offsetof(samsa_services_t, codec_decompress), 144);
    assert_int_equal(offsetof(samsa_services_t, codec_compress), 152);
    /* ABI minor 3 appended scram_credential: 160 is minor 2's size. */
    assert_int_equal(offsetof(samsa_services_t, scram_credential), 160);
    /* ABI minor 5 appended broker_config and the kafka_* client: 168 is
     * minor 4's size. */
    assert_int_equal(offsetof(samsa_services_t, broker_config), 168);
    assert_int_equal(offsetof(samsa_services_t, kafka_open), 176);
    assert_int_equal(offsetof(samsa_services_t, kafka_close), 184);
    assert_int_equal(offsetof(samsa_services_t, kafka_errmsg), 192);
    assert_int_equal(offsetof(samsa_services_t, kafka_topics), 200);
    assert_int_equal(offsetof(samsa_services_t, kafka_create_topic), 208);
    assert_int_equal(offsetof(samsa_services_t, kafka_list_offset), 216);
    assert_int_equal(offsetof(samsa_services_t, kafka_fetch), 224);
    assert_int_equal(offsetof(samsa_services_t, kafka_groups), 232);
    assert_int_equal(offsetof(samsa_services_t, kafka_committed), 240);
    assert_int_equal(offsetof(samsa_services_t, kafka_commit), 248);
    /* Then, in minor 6, the source-mirror's produce and topic admin (256
     * is minor 5's size). */
    assert_int_equal(offsetof(samsa_services_t, kafka_produce), 256);
    assert_int_equal(offsetof(samsa_services_t, kafka_create_topic_configs),
                     264);
    assert_int_equal(offsetof(samsa_services_t, kafka_topic_configs), 272);
    assert_int_equal(offsetof(samsa_services_t, kafka_alter_topic_configs),
                     280);
    assert_int_equal(offsetof(samsa_services_t, kafka_create_partitions), 288);
    /* Minor 7: source-mirror's full config sync, ACL sync and offset
     * metadata (296 is minor 6's size). */
    assert_int_equal(offsetof(samsa_services_t, kafka_topic_configs_all), 296);
    assert_int_equal(offsetof(samsa_services_t, kafka_acls), 304);
    assert_int_equal(offsetof(samsa_services_t, kafka_create_acls), 312);
    assert_int_equal(offsetof(samsa_services_t, kafka_committed_metadata), 320);
    assert_int_equal(offsetof(samsa_services_t, kafka_commit_metadata), 328);
    assert_int_equal(sizeof(samsa_services_t), 336);
    assert_int_equal(SAMSA_KAFKA_CONFIG_TOPIC, 1);
    assert_int_equal(SAMSA_KAFKA_CONFIG_STATIC_BROKER, 4);
    assert_int_equal(SAMSA_KAFKA_CONFIG_DEFAULT, 5);
    assert_int_equal(sizeof(samsa_kafka_pos_t), 32);
    assert_int_equal(offsetof(samsa_kafka_pos_t, partition), 8);
    assert_int_equal(offsetof(samsa_kafka_pos_t, error), 12);
    assert_int_equal(offsetof(samsa_kafka_pos_t, offset), 16);
    assert_int_equal(offsetof(samsa_kafka_pos_t, high_watermark), 24);
    assert_int_equal(sizeof(samsa_scram_credential_t), 216);
    assert_int_equal(offsetof(samsa_scram_credential_t, iterations), 8);
    assert_int_equal(offsetof(samsa_scram_credential_t, salt_len), 12);
    assert_int_equal(offsetof(samsa_scram_credential_t, key_len), 16);
    assert_int_equal(offsetof(samsa_scram_credential_t, reserved0), 20);
    assert_int_equal(offsetof(samsa_scram_credential_t, salt), 24);
    assert_int_equal(offsetof(samsa_scram_credential_t, stored_key), 88);
    assert_int_equal(offsetof(samsa_scram_credential_t, server_key), 152);
    assert_int_equal(sizeof(samsa_plugin_t), 72);
    assert_int_equal(offsetof(samsa_plugin_t, hdr), 0);
    assert_int_equal(offsetof(samsa_plugin_t, kind), 8);
    assert_int_equal(offsetof(samsa_plugin_t, reserved0), 12);
    assert_int_equal(offsetof(samsa_plugin_t, name), 16);
    assert_int_equal(offsetof(samsa_plugin_t, version), 24);
    assert_int_equal(offsetof(samsa_plugin_t, summary), 32);
    assert_int_equal(offsetof(samsa_plugin_t, options), 40);
    assert_int_equal(offsetof(samsa_plugin_t, init), 48);
    assert_int_equal(offsetof(samsa_plugin_t, fini), 56);
    assert_int_equal(offsetof(samsa_plugin_t, ops), 64);
    assert_int_equal(sizeof(samsa_log_config_t), 88);
    assert_int_equal(offsetof(samsa_log_config_t, hdr), 0);
    assert_int_equal(offsetof(samsa_log_config_t, segment_bytes), 8);
    assert_int_equal(offsetof(samsa_log_config_t, segment_ms), 16);
    assert_int_equal(offsetof(samsa_log_config_t, retention_bytes), 24);
    assert_int_equal(offsetof(samsa_log_config_t, retention_ms), 32);
    assert_int_equal(offsetof(samsa_log_config_t, delete_retention_ms), 40);
    assert_int_equal(offsetof(samsa_log_config_t, flush_messages), 48);
    assert_int_equal(offsetof(samsa_log_config_t, flush_ms), 56);
    assert_int_equal(offsetof(samsa_log_config_t, index_interval_bytes), 64);
    assert_int_equal(offsetof(samsa_log_config_t, max_bytes), 72);
    assert_int_equal(offsetof(samsa_log_config_t, cleanup_policy), 80);
    assert_int_equal(offsetof(samsa_log_config_t, reserved0), 84);
    assert_int_equal(sizeof(samsa_log_offsets_t), 32);
    assert_int_equal(offsetof(samsa_log_offsets_t, log_start_offset), 0);
    assert_int_equal(offsetof(samsa_log_offsets_t, log_end_offset), 8);
    assert_int_equal(offsetof(samsa_log_offsets_t, size_bytes), 16);
    assert_int_equal(offsetof(samsa_log_offsets_t, segment_count), 24);
    assert_int_equal(sizeof(samsa_slice_t), 32);
    assert_int_equal(offsetof(samsa_slice_t, fd), 0);
    assert_int_equal(offsetof(samsa_slice_t, reserved0), 4);
    assert_int_equal(offsetof(samsa_slice_t, pos), 8);
    assert_int_equal(offsetof(samsa_slice_t, len), 16);
    assert_int_equal(offsetof(samsa_slice_t, buf), 24);
    assert_int_equal(sizeof(samsa_storage_read_t), 296);
    assert_int_equal(offsetof(samsa_storage_read_t, hdr), 0);
    assert_int_equal(offsetof(samsa_storage_read_t, slice_count), 8);
    assert_int_equal(offsetof(samsa_storage_read_t, reserved0), 12);
    assert_int_equal(offsetof(samsa_storage_read_t, slices), 16);
    assert_int_equal(offsetof(samsa_storage_read_t, total_bytes), 272);
    assert_int_equal(offsetof(samsa_storage_read_t, next_offset), 280);
    assert_int_equal(offsetof(samsa_storage_read_t, engine_ref), 288);
    /* ABI minor 4 appended truncate_fully and append_sparse: 120 is
     * minor 3's size; minor 5 txn_index_append and txn_index_collect (136
     * is minor 4's). */
    assert_int_equal(sizeof(samsa_storage_ops_t), 152);
    assert_int_equal(offsetof(samsa_storage_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_storage_ops_t, open), 8);
    assert_int_equal(offsetof(samsa_storage_ops_t, close), 16);
    assert_int_equal(offsetof(samsa_storage_ops_t, remove), 24);
    assert_int_equal(offsetof(samsa_storage_ops_t, configure), 32);
    assert_int_equal(offsetof(samsa_storage_ops_t, append), 40);
    assert_int_equal(offsetof(samsa_storage_ops_t, read), 48);
    assert_int_equal(offsetof(samsa_storage_ops_t, read_release), 56);
    assert_int_equal(offsetof(samsa_storage_ops_t, offsets), 64);
    assert_int_equal(offsetof(samsa_storage_ops_t, offset_for_time), 72);
    assert_int_equal(offsetof(samsa_storage_ops_t, truncate), 80);
    assert_int_equal(offsetof(samsa_storage_ops_t, set_start_offset), 88);
    assert_int_equal(offsetof(samsa_storage_ops_t, flush), 96);
    assert_int_equal(offsetof(samsa_storage_ops_t, housekeep), 104);
    assert_int_equal(offsetof(samsa_storage_ops_t, compact), 112);
    assert_int_equal(offsetof(samsa_storage_ops_t, truncate_fully), 120);
    assert_int_equal(offsetof(samsa_storage_ops_t, append_sparse), 128);
    assert_int_equal(offsetof(samsa_storage_ops_t, txn_index_append), 136);
    assert_int_equal(offsetof(samsa_storage_ops_t, txn_index_collect), 144);
    /* ABI minor 5: one .txnindex entry. */
    assert_int_equal(sizeof(samsa_aborted_txn_t), 32);
    assert_int_equal(offsetof(samsa_aborted_txn_t, producer_id), 0);
    assert_int_equal(offsetof(samsa_aborted_txn_t, first_offset), 8);
    assert_int_equal(offsetof(samsa_aborted_txn_t, last_offset), 16);
    assert_int_equal(offsetof(samsa_aborted_txn_t, last_stable_offset), 24);
    /* ABI minor 2 appended decompress_stream: 32 is minor 1's size. */
    assert_int_equal(sizeof(samsa_codec_ops_t), 40);
    assert_int_equal(offsetof(samsa_codec_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_codec_ops_t, codec_id), 8);
    assert_int_equal(offsetof(samsa_codec_ops_t, reserved0), 12);
    assert_int_equal(offsetof(samsa_codec_ops_t, compress), 16);
    assert_int_equal(offsetof(samsa_codec_ops_t, decompress), 24);
    assert_int_equal(offsetof(samsa_codec_ops_t, decompress_stream), 32);
    assert_int_equal(sizeof(samsa_partition_input_t), 64);
    assert_int_equal(offsetof(samsa_partition_input_t, hdr), 0);
    assert_int_equal(offsetof(samsa_partition_input_t, topic), 8);
    assert_int_equal(offsetof(samsa_partition_input_t, key), 16);
    assert_int_equal(offsetof(samsa_partition_input_t, value), 24);
    assert_int_equal(offsetof(samsa_partition_input_t, key_len), 32);
    assert_int_equal(offsetof(samsa_partition_input_t, value_len), 40);
    assert_int_equal(offsetof(samsa_partition_input_t, partition_count), 48);
    assert_int_equal(offsetof(samsa_partition_input_t, available_count), 52);
    assert_int_equal(offsetof(samsa_partition_input_t, available), 56);
    assert_int_equal(sizeof(samsa_partitioner_ops_t), 24);
    assert_int_equal(offsetof(samsa_partitioner_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_partitioner_ops_t, partition), 8);
    assert_int_equal(offsetof(samsa_partitioner_ops_t, batch_done), 16);
    assert_int_equal(sizeof(samsa_sasl_conn_info_t), 40);
    assert_int_equal(offsetof(samsa_sasl_conn_info_t, hdr), 0);
    assert_int_equal(offsetof(samsa_sasl_conn_info_t, client_host), 8);
    assert_int_equal(offsetof(samsa_sasl_conn_info_t, listener), 16);
    assert_int_equal(offsetof(samsa_sasl_conn_info_t, client_id), 24);
    assert_int_equal(offsetof(samsa_sasl_conn_info_t, client_port), 32);
    assert_int_equal(offsetof(samsa_sasl_conn_info_t, tls), 36);
    /* ABI minor 3 appended instance_mechanism: 48 is minor 2's size;
     * minor 4 failure_reason and credential_expiry_ms: 56 is minor 3's. */
    assert_int_equal(sizeof(samsa_sasl_ops_t), 72);
    assert_int_equal(offsetof(samsa_sasl_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_sasl_ops_t, mechanism), 8);
    assert_int_equal(offsetof(samsa_sasl_ops_t, session_new), 16);
    assert_int_equal(offsetof(samsa_sasl_ops_t, step), 24);
    assert_int_equal(offsetof(samsa_sasl_ops_t, principal), 32);
    assert_int_equal(offsetof(samsa_sasl_ops_t, session_free), 40);
    assert_int_equal(offsetof(samsa_sasl_ops_t, instance_mechanism), 48);
    assert_int_equal(offsetof(samsa_sasl_ops_t, failure_reason), 56);
    assert_int_equal(offsetof(samsa_sasl_ops_t, credential_expiry_ms), 64);
    assert_int_equal(sizeof(samsa_authz_request_t), 48);
    assert_int_equal(offsetof(samsa_authz_request_t, hdr), 0);
    assert_int_equal(offsetof(samsa_authz_request_t, principal), 8);
    assert_int_equal(offsetof(samsa_authz_request_t, host), 16);
    assert_int_equal(offsetof(samsa_authz_request_t, resource_name), 24);
    assert_int_equal(offsetof(samsa_authz_request_t, operation), 32);
    assert_int_equal(offsetof(samsa_authz_request_t, resource_type), 36);
    assert_int_equal(offsetof(samsa_authz_request_t, api_key), 40);
    assert_int_equal(offsetof(samsa_authz_request_t, api_version), 42);
    assert_int_equal(offsetof(samsa_authz_request_t, reserved0), 44);
    /* ABI minor 3 appended the ACL management ops (16 was minor 2),
     * minor 4 set_acls (40 was minor 3). */
    assert_int_equal(sizeof(samsa_authorizer_ops_t), 48);
    assert_int_equal(offsetof(samsa_authorizer_ops_t, set_acls), 40);
    assert_int_equal(offsetof(samsa_authorizer_ops_t, create_acl), 16);
    assert_int_equal(offsetof(samsa_authorizer_ops_t, delete_acls), 24);
    assert_int_equal(offsetof(samsa_authorizer_ops_t, describe_acls), 32);
    assert_int_equal(sizeof(samsa_acl_binding_t), 48);
    assert_int_equal(offsetof(samsa_acl_binding_t, resource_name), 8);
    assert_int_equal(offsetof(samsa_acl_binding_t, principal), 16);
    assert_int_equal(offsetof(samsa_acl_binding_t, host), 24);
    assert_int_equal(offsetof(samsa_acl_binding_t, resource_type), 32);
    assert_int_equal(offsetof(samsa_acl_binding_t, pattern_type), 36);
    assert_int_equal(offsetof(samsa_acl_binding_t, operation), 40);
    assert_int_equal(offsetof(samsa_acl_binding_t, permission), 44);
    assert_int_equal(offsetof(samsa_authorizer_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_authorizer_ops_t, authorize), 8);
    /* ABI minor 5 appended verify_peer: 64 is minor 4's size; minor 6
     * reload (72 is minor 5's). */
    assert_int_equal(sizeof(samsa_transport_ops_t), 80);
    assert_int_equal(offsetof(samsa_transport_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_transport_ops_t, connect), 8);
    assert_int_equal(offsetof(samsa_transport_ops_t, accept), 16);
    assert_int_equal(offsetof(samsa_transport_ops_t, send), 24);
    assert_int_equal(offsetof(samsa_transport_ops_t, recv), 32);
    assert_int_equal(offsetof(samsa_transport_ops_t, pollable_fd), 40);
    assert_int_equal(offsetof(samsa_transport_ops_t, want_events), 48);
    assert_int_equal(offsetof(samsa_transport_ops_t, close), 56);
    assert_int_equal(offsetof(samsa_transport_ops_t, verify_peer), 64);
    assert_int_equal(offsetof(samsa_transport_ops_t, reload), 72);
    assert_int_equal(sizeof(samsa_connect_header_t), 24);
    assert_int_equal(offsetof(samsa_connect_header_t, key), 0);
    assert_int_equal(offsetof(samsa_connect_header_t, value), 8);
    assert_int_equal(offsetof(samsa_connect_header_t, value_len), 16);
    assert_int_equal(sizeof(samsa_connect_record_t), 120);
    assert_int_equal(offsetof(samsa_connect_record_t, hdr), 0);
    assert_int_equal(offsetof(samsa_connect_record_t, topic), 8);
    assert_int_equal(offsetof(samsa_connect_record_t, key), 16);
    assert_int_equal(offsetof(samsa_connect_record_t, value), 24);
    assert_int_equal(offsetof(samsa_connect_record_t, key_len), 32);
    assert_int_equal(offsetof(samsa_connect_record_t, value_len), 40);
    assert_int_equal(offsetof(samsa_connect_record_t, headers), 48);
    assert_int_equal(offsetof(samsa_connect_record_t, header_count), 56);
    assert_int_equal(offsetof(samsa_connect_record_t, offset), 64);
    assert_int_equal(offsetof(samsa_connect_record_t, timestamp), 72);
    assert_int_equal(offsetof(samsa_connect_record_t, partition), 80);
    assert_int_equal(offsetof(samsa_connect_record_t, reserved0), 84);
    assert_int_equal(offsetof(samsa_connect_record_t, source_partition), 88);
    assert_int_equal(offsetof(samsa_connect_record_t, source_offset), 96);
    /* minor 7 */
    assert_int_equal(offsetof(samsa_connect_record_t, key_schema), 104);
    assert_int_equal(offsetof(samsa_connect_record_t, value_schema), 112);
    assert_int_equal(sizeof(samsa_connect_kv_t), 16);
    assert_int_equal(offsetof(samsa_connect_kv_t, key), 0);
    assert_int_equal(offsetof(samsa_connect_kv_t, value), 8);
    assert_int_equal(sizeof(samsa_connect_offset_t), 16);
    assert_int_equal(offsetof(samsa_connect_offset_t, source_partition), 0);
    assert_int_equal(offsetof(samsa_connect_offset_t, source_offset), 8);
    /* ABI minor 4 appended report and report_ctx: 48 is minor 3's size. */
    assert_int_equal(offsetof(samsa_connect_task_info_t, hdr), 0);
    assert_int_equal(offsetof(samsa_connect_task_info_t, config), 8);
    assert_int_equal(offsetof(samsa_connect_task_info_t, config_count), 16);
    assert_int_equal(offsetof(samsa_connect_task_info_t, offsets), 24);
    assert_int_equal(offsetof(samsa_connect_task_info_t, offset_count), 32);
    assert_int_equal(offsetof(samsa_connect_task_info_t, task_id), 40);
    assert_int_equal(offsetof(samsa_connect_task_info_t, task_count), 44);
    assert_int_equal(offsetof(samsa_connect_task_info_t, report), 48);
    assert_int_equal(offsetof(samsa_connect_task_info_t, report_ctx), 56);
    /* ABI minor 6 appended transaction_commit, transaction_abort and
     * txn_ctx (64 is minor 5's size). */
    assert_int_equal(sizeof(samsa_connect_task_info_t), 88);
    assert_int_equal(offsetof(samsa_connect_task_info_t, transaction_commit),
                     64);
    assert_int_equal(offsetof(samsa_connect_task_info_t, transaction_abort),
                     72);
    assert_int_equal(offsetof(samsa_connect_task_info_t, txn_ctx), 80);
    /* ABI minor 5 appended commit_record and task_count (48 is minor 4's
     * size). */
    assert_int_equal(offsetof(samsa_source_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_source_ops_t, task_start), 8);
    assert_int_equal(offsetof(samsa_source_ops_t, poll), 16);
    assert_int_equal(offsetof(samsa_source_ops_t, poll_release), 24);
    assert_int_equal(offsetof(samsa_source_ops_t, commit), 32);
    assert_int_equal(offsetof(samsa_source_ops_t, task_stop), 40);
    assert_int_equal(offsetof(samsa_source_ops_t, commit_record), 48);
    assert_int_equal(offsetof(samsa_source_ops_t, task_count), 56);
    /* ABI minor 6 appended exactly_once_support and
     * can_define_transaction_boundaries (64 is minor 5's size). */
    assert_int_equal(sizeof(samsa_source_ops_t), 80);
    assert_int_equal(offsetof(samsa_source_ops_t, exactly_once_support), 64);
    assert_int_equal(
        offsetof(samsa_source_ops_t, can_define_transaction_boundaries), 72);
    assert_int_equal(sizeof(samsa_sink_ops_t), 40);
    assert_int_equal(offsetof(samsa_sink_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_sink_ops_t, task_start), 8);
    assert_int_equal(offsetof(samsa_sink_ops_t, put), 16);
    assert_int_equal(offsetof(samsa_sink_ops_t, flush), 24);
    assert_int_equal(offsetof(samsa_sink_ops_t, task_stop), 32);
    /* ABI minor 4 appended create, test and destroy: 24 is minor 3's
     * size. */
    assert_int_equal(sizeof(samsa_transform_ops_t), 48);
    assert_int_equal(offsetof(samsa_transform_ops_t, hdr), 0);
    assert_int_equal(offsetof(samsa_transform_ops_t, apply), 8);
    assert_int_equal(offsetof(samsa_transform_ops_t, release), 16);
    assert_int_equal(offsetof(samsa_transform_ops_t, create), 24);
    assert_int_equal(offsetof(samsa_transform_ops_t, test), 32);
    assert_int_equal(offsetof(samsa_transform_ops_t, destroy), 40);
}

/* No implicit padding anywhere (STYLE 1.2): the fields add up exactly. */
static void structs_have_no_implicit_padding(void **state)
{
    (void)state;
    assert_int_equal(sizeof(samsa_abi_header_t),
                     M(samsa_abi_header_t, abi_major) +
                         M(samsa_abi_header_t, abi_minor) +
                         M(samsa_abi_header_t, struct_size));
    assert_int_equal(sizeof(samsa_option_t),
                     M(samsa_option_t, name) + M(samsa_option_t, type) +
                         M(samsa_option_t, flags) +
                         M(samsa_option_t, default_value) +
                         M(samsa_option_t, min) + M(samsa_option_t, max) +
                         M(samsa_option_t, doc));
    assert_int_equal(
        sizeof(samsa_instance_t),
        M(samsa_instance_t, hdr) + M(samsa_instance_t, name) +
            M(samsa_instance_t, path) + M(samsa_instance_t, manifest) +
            M(samsa_instance_t, data_dir) + M(samsa_instance_t, config) +
            M(samsa_instance_t, manifest_line) +
            M(samsa_instance_t, reserved0));
    assert_int_equal(
        sizeof(samsa_services_t),
        M(samsa_services_t, hdr) + M(samsa_services_t, log) +
            M(samsa_services_t, err_str) + M(samsa_services_t, config_bool) +
            M(samsa_services_t, config_int) +
            M(samsa_services_t, config_double) +
            M(samsa_services_t, config_string) +
            M(samsa_services_t, config_list) + M(samsa_services_t, alloc) +
            M(samsa_services_t, realloc) + M(samsa_services_t, free) +
            M(samsa_services_t, metric_register) +
            M(samsa_services_t, metric_add) + M(samsa_services_t, metric_set) +
            M(samsa_services_t, timer_start) + M(samsa_services_t, timer_stop) +
            M(samsa_services_t, now_ms) + M(samsa_services_t, monotonic_ms) +
            M(samsa_services_t, codec_decompress) +
            M(samsa_services_t, codec_compress) +
            M(samsa_services_t, scram_credential) +
            M(samsa_services_t, broker_config) +
            M(samsa_services_t, kafka_open) + M(samsa_services_t, kafka_close) +
            M(samsa_services_t, kafka_errmsg) +
            M(samsa_services_t, kafka_topics) +
            M(samsa_services_t, kafka_create_topic) +
            M(samsa_services_t, kafka_list_offset) +
            M(samsa_services_t, kafka_fetch) +
            M(samsa_services_t, kafka_groups) +
            M(samsa_services_t, kafka_committed) +
            M(samsa_services_t, kafka_commit) +
            M(samsa_services_t, kafka_produce) +
            M(samsa_services_t, kafka_create_topic_configs) +
            M(samsa_services_t, kafka_topic_configs) +
            M(samsa_services_t, kafka_alter_topic_configs) +
            M(samsa_services_t, kafka_create_partitions) +
            M(samsa_services_t, kafka_topic_configs_all) +
            M(samsa_services_t, kafka_acls) +
            M(samsa_services_t, kafka_create_acls) +
            M(samsa_services_t, kafka_committed_metadata) +
            M(samsa_services_t, kafka_commit_metadata));
    assert_int_equal(
        sizeof(samsa_kafka_pos_t),
        M(samsa_kafka_pos_t, topic) + M(samsa_kafka_pos_t, partition) +
            M(samsa_kafka_pos_t, error) + M(samsa_kafka_pos_t, reserved0) +
            M(samsa_kafka_pos_t, offset) +
            M(samsa_kafka_pos_t, high_watermark));
    assert_int_equal(sizeof(samsa_plugin_t),
                     M(samsa_plugin_t, hdr) + M(samsa_plugin_t, kind) +
                         M(samsa_plugin_t, reserved0) +
                         M(samsa_plugin_t, name) + M(samsa_plugin_t, version) +
                         M(samsa_plugin_t, summary) +
                         M(samsa_plugin_t, options) + M(samsa_plugin_t, init) +
                         M(samsa_plugin_t, fini) + M(samsa_plugin_t, ops));
    assert_int_equal(sizeof(samsa_log_config_t),
                     M(samsa_log_config_t, hdr) +
                         M(samsa_log_config_t, segment_bytes) +
                         M(samsa_log_config_t, segment_ms) +
                         M(samsa_log_config_t, retention_bytes) +
                         M(samsa_log_config_t, retention_ms) +
                         M(samsa_log_config_t, delete_retention_ms) +
                         M(samsa_log_config_t, flush_messages) +
                         M(samsa_log_config_t, flush_ms) +
                         M(samsa_log_config_t, index_interval_bytes) +
                         M(samsa_log_config_t, max_bytes) +
                         M(samsa_log_config_t, cleanup_policy) +
                         M(samsa_log_config_t, reserved0));
    assert_int_equal(sizeof(samsa_log_offsets_t),
                     M(samsa_log_offsets_t, log_start_offset) +
                         M(samsa_log_offsets_t, log_end_offset) +
                         M(samsa_log_offsets_t, size_bytes) +
                         M(samsa_log_offsets_t, segment_count));
    assert_int_equal(sizeof(samsa_slice_t),
                     M(samsa_slice_t, fd) + M(samsa_slice_t, reserved0) +
                         M(samsa_slice_t, pos) + M(samsa_slice_t, len) +
                         M(samsa_slice_t, buf));
    assert_int_equal(sizeof(samsa_storage_read_t),
                     M(samsa_storage_read_t, hdr) +
                         M(samsa_storage_read_t, slice_count) +
                         M(samsa_storage_read_t, reserved0) +
                         M(samsa_storage_read_t, slices) +
                         M(samsa_storage_read_t, total_bytes) +
                         M(samsa_storage_read_t, next_offset) +
                         M(samsa_storage_read_t, engine_ref));
    assert_int_equal(
        sizeof(samsa_storage_ops_t),
        M(samsa_storage_ops_t, hdr) + M(samsa_storage_ops_t, open) +
            M(samsa_storage_ops_t, close) + M(samsa_storage_ops_t, remove) +
            M(samsa_storage_ops_t, configure) + M(samsa_storage_ops_t, append) +
            M(samsa_storage_ops_t, read) +
            M(samsa_storage_ops_t, read_release) +
            M(samsa_storage_ops_t, offsets) +
            M(samsa_storage_ops_t, offset_for_time) +
            M(samsa_storage_ops_t, truncate) +
            M(samsa_storage_ops_t, set_start_offset) +
            M(samsa_storage_ops_t, flush) + M(samsa_storage_ops_t, housekeep) +
            M(samsa_storage_ops_t, compact) +
            M(samsa_storage_ops_t, truncate_fully) +
            M(samsa_storage_ops_t, append_sparse) +
            M(samsa_storage_ops_t, txn_index_append) +
            M(samsa_storage_ops_t, txn_index_collect));
    assert_int_equal(sizeof(samsa_aborted_txn_t),
                     M(samsa_aborted_txn_t, producer_id) +
                         M(samsa_aborted_txn_t, first_offset) +
                         M(samsa_aborted_txn_t, last_offset) +
                         M(samsa_aborted_txn_t, last_stable_offset));
    assert_int_equal(
        sizeof(samsa_codec_ops_t),
        M(samsa_codec_ops_t, hdr) + M(samsa_codec_ops_t, codec_id) +
            M(samsa_codec_ops_t, reserved0) + M(samsa_codec_ops_t, compress) +
            M(samsa_codec_ops_t, decompress) +
            M(samsa_codec_ops_t, decompress_stream));
    assert_int_equal(sizeof(samsa_partition_input_t),
                     M(samsa_partition_input_t, hdr) +
                         M(samsa_partition_input_t, topic) +
                         M(samsa_partition_input_t, key) +
                         M(samsa_partition_input_t, value) +
                         M(samsa_partition_input_t, key_len) +
                         M(samsa_partition_input_t, value_len) +
                         M(samsa_partition_input_t, partition_count) +
                         M(samsa_partition_input_t, available_count) +
                         M(samsa_partition_input_t, available));
    assert_int_equal(sizeof(samsa_partitioner_ops_t),
                     M(samsa_partitioner_ops_t, hdr) +
                         M(samsa_partitioner_ops_t, partition) +
                         M(samsa_partitioner_ops_t, batch_done));
    assert_int_equal(sizeof(samsa_sasl_conn_info_t),
                     M(samsa_sasl_conn_info_t, hdr) +
                         M(samsa_sasl_conn_info_t, client_host) +
                         M(samsa_sasl_conn_info_t, listener) +
                         M(samsa_sasl_conn_info_t, client_id) +
                         M(samsa_sasl_conn_info_t, client_port) +
                         M(samsa_sasl_conn_info_t, tls));
    assert_int_equal(
        sizeof(samsa_sasl_ops_t),
        M(samsa_sasl_ops_t, hdr) + M(samsa_sasl_ops_t, mechanism) +
            M(samsa_sasl_ops_t, session_new) + M(samsa_sasl_ops_t, step) +
            M(samsa_sasl_ops_t, principal) + M(samsa_sasl_ops_t, session_free) +
            M(samsa_sasl_ops_t, instance_mechanism) +
            M(samsa_sasl_ops_t, failure_reason) +
            M(samsa_sasl_ops_t, credential_expiry_ms));
    assert_int_equal(sizeof(samsa_scram_credential_t),
                     M(samsa_scram_credential_t, hdr) +
                         M(samsa_scram_credential_t, iterations) +
                         M(samsa_scram_credential_t, salt_len) +
                         M(samsa_scram_credential_t, key_len) +
                         M(samsa_scram_credential_t, reserved0) +
                         M(samsa_scram_credential_t, salt) +
                         M(samsa_scram_credential_t, stored_key) +
                         M(samsa_scram_credential_t, server_key));
    assert_int_equal(sizeof(samsa_authz_request_t),
                     M(samsa_authz_request_t, hdr) +
                         M(samsa_authz_request_t, principal) +
                         M(samsa_authz_request_t, host) +
                         M(samsa_authz_request_t, resource_name) +
                         M(samsa_authz_request_t, operation) +
                         M(samsa_authz_request_t, resource_type) +
                         M(samsa_authz_request_t, api_key) +
                         M(samsa_authz_request_t, api_version) +
                         M(samsa_authz_request_t, reserved0));
    assert_int_equal(sizeof(samsa_authorizer_ops_t),
                     M(samsa_authorizer_ops_t, hdr) +
                         M(samsa_authorizer_ops_t, authorize) +
                         M(samsa_authorizer_ops_t, create_acl) +
                         M(samsa_authorizer_ops_t, delete_acls) +
                         M(samsa_authorizer_ops_t, describe_acls) +
                         M(samsa_authorizer_ops_t, set_acls));
    assert_int_equal(
        sizeof(samsa_acl_binding_t),
        M(samsa_acl_binding_t, hdr) + M(samsa_acl_binding_t, resource_name) +
            M(samsa_acl_binding_t, principal) + M(samsa_acl_binding_t, host) +
            M(samsa_acl_binding_t, resource_type) +
            M(samsa_acl_binding_t, pattern_type) +
            M(samsa_acl_binding_t, operation) +
            M(samsa_acl_binding_t, permission));
    assert_int_equal(
        sizeof(samsa_transport_ops_t),
        M(samsa_transport_ops_t, hdr) + M(samsa_transport_ops_t, connect) +
            M(samsa_transport_ops_t, accept) + M(samsa_transport_ops_t, send) +
            M(samsa_transport_ops_t, recv) +
            M(samsa_transport_ops_t, pollable_fd) +
            M(samsa_transport_ops_t, want_events) +
            M(samsa_transport_ops_t, close) +
            M(samsa_transport_ops_t, verify_peer) +
            M(samsa_transport_ops_t, reload));
    assert_int_equal(sizeof(samsa_connect_header_t),
                     M(samsa_connect_header_t, key) +
                         M(samsa_connect_header_t, value) +
                         M(samsa_connect_header_t, value_len));
    assert_int_equal(
        sizeof(samsa_connect_record_t),
        M(samsa_connect_record_t, hdr) + M(samsa_connect_record_t, topic) +
            M(samsa_connect_record_t, key) + M(samsa_connect_record_t, value) +
            M(samsa_connect_record_t, key_len) +
            M(samsa_connect_record_t, value_len) +
            M(samsa_connect_record_t, headers) +
            M(samsa_connect_record_t, header_count) +
            M(samsa_connect_record_t, offset) +
            M(samsa_connect_record_t, timestamp) +
            M(samsa_connect_record_t, partition) +
            M(samsa_connect_record_t, reserved0) +
            M(samsa_connect_record_t, source_partition) +
            M(samsa_connect_record_t, source_offset) +
            M(samsa_connect_record_t, key_schema) +
            M(samsa_connect_record_t, value_schema));
    assert_int_equal(sizeof(samsa_connect_kv_t),
                     M(samsa_connect_kv_t, key) + M(samsa_connect_kv_t, value));
    assert_int_equal(sizeof(samsa_connect_offset_t),
                     M(samsa_connect_offset_t, source_partition) +
                         M(samsa_connect_offset_t, source_offset));
    assert_int_equal(sizeof(samsa_connect_task_info_t),
                     M(samsa_connect_task_info_t, hdr) +
                         M(samsa_connect_task_info_t, config) +
                         M(samsa_connect_task_info_t, config_count) +
                         M(samsa_connect_task_info_t, offsets) +
                         M(samsa_connect_task_info_t, offset_count) +
                         M(samsa_connect_task_info_t, task_id) +
                         M(samsa_connect_task_info_t, task_count) +
                         M(samsa_connect_task_info_t, report) +
                         M(samsa_connect_task_info_t, report_ctx) +
                         M(samsa_connect_task_info_t, transaction_commit) +
                         M(samsa_connect_task_info_t, transaction_abort) +
                         M(samsa_connect_task_info_t, txn_ctx));
    assert_int_equal(
        sizeof(samsa_source_ops_t),
        M(samsa_source_ops_t, hdr) + M(samsa_source_ops_t, task_start) +
            M(samsa_source_ops_t, poll) + M(samsa_source_ops_t, poll_release) +
            M(samsa_source_ops_t, commit) + M(samsa_source_ops_t, task_stop) +
            M(samsa_source_ops_t, commit_record) +
            M(samsa_source_ops_t, task_count) +
            M(samsa_source_ops_t, exactly_once_support) +
            M(samsa_source_ops_t, can_define_transaction_boundaries));
    assert_int_equal(sizeof(samsa_sink_ops_t),
                     M(samsa_sink_ops_t, hdr) +
                         M(samsa_sink_ops_t, task_start) +
                         M(samsa_sink_ops_t, put) + M(samsa_sink_ops_t, flush) +
                         M(samsa_sink_ops_t, task_stop));
    assert_int_equal(
        sizeof(samsa_transform_ops_t),
        M(samsa_transform_ops_t, hdr) + M(samsa_transform_ops_t, apply) +
            M(samsa_transform_ops_t, release) +
            M(samsa_transform_ops_t, create) + M(samsa_transform_ops_t, test) +
            M(samsa_transform_ops_t, destroy));
}

/* A minor 0 host's services table ends before the minor 1 codec
 * functions: SAMSA_ABI_HAS must say so, and say yes for this minor. */
static void minor_0_services_lack_the_codec_functions(void **state)
{
    samsa_services_t svc = {.hdr = SAMSA_ABI_HEADER(samsa_services_t)};

    (void)state;
    assert_true(SAMSA_ABI_HAS(samsa_services_t, &svc, codec_decompress));
    assert_true(SAMSA_ABI_HAS(samsa_services_t, &svc, codec_compress));
    svc.hdr.abi_minor = 0;
    svc.hdr.struct_size = 144;
    assert_true(SAMSA_ABI_HAS(samsa_services_t, &svc, monotonic_ms));
    assert_false(SAMSA_ABI_HAS(samsa_services_t, &svc, codec_decompress));
    assert_false(SAMSA_ABI_HAS(samsa_services_t, &svc, codec_compress));
}

/* A minor 1 codec's ops table ends before decompress_stream: the host
 * must see it as absent (and fall back on decompress). */
static void minor_1_codec_ops_lack_decompress_stream(void **state)
{
    samsa_codec_ops_t ops = {.hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t)};

    (void)state;
    assert_true(SAMSA_ABI_HAS(samsa_codec_ops_t, &ops, decompress_stream));
    ops.hdr.abi_minor = 1;
    ops.hdr.struct_size = 32;
    assert_true(SAMSA_ABI_HAS(samsa_codec_ops_t, &ops, decompress));
    assert_false(SAMSA_ABI_HAS(samsa_codec_ops_t, &ops, decompress_stream));
}

/* A minor 3 transform's ops table ends after release: no create. */
static void minor_3_transform_ops_lack_create(void **state)
{
    (void)state;
    samsa_transform_ops_t ops = {.hdr =
                                     SAMSA_ABI_HEADER(samsa_transform_ops_t)};
    assert_true(SAMSA_ABI_HAS(samsa_transform_ops_t, &ops, destroy));
    ops.hdr.struct_size = 24;
    assert_true(SAMSA_ABI_HAS(samsa_transform_ops_t, &ops, release));
    assert_false(SAMSA_ABI_HAS(samsa_transform_ops_t, &ops, create));
}

static void abi_version_and_constants_are_frozen(void **state)
{
    (void)state;
    assert_int_equal(SAMSA_ABI_MAJOR, 1);
    assert_int_equal(SAMSA_ABI_MINOR, 7);
    assert_string_equal(SAMSA_PLUGIN_ENTRY, "samsa_plugin_descriptor");
    assert_int_equal(SAMSA_OPT_REQUIRED, 0x1);
    assert_int_equal(SAMSA_CLEANUP_DELETE, 0x1);
    assert_int_equal(SAMSA_CLEANUP_COMPACT, 0x2);
    assert_int_equal(SAMSA_FLUSH_OS, -1);
    assert_int_equal(SAMSA_STORAGE_MAX_SLICES, 8);
    assert_int_equal(SAMSA_READ_MIN_ONE, 0x1);
    assert_int_equal(SAMSA_TRANSPORT_WANT_READ, 0x1);
    assert_int_equal(SAMSA_TRANSPORT_WANT_WRITE, 0x2);
    assert_int_equal(SAMSA_CONNECT_NO_TIMESTAMP, -1);
    assert_int_equal(SAMSA_CONNECT_ANY_PARTITION, -1);
    assert_int_equal(SAMSA_ERR_KAFKA_MIN, -1);
    assert_int_equal(SAMSA_ERR_INTERNAL_BASE, -1000);
}

static void enums_are_frozen(void **state)
{
    (void)state;
    assert_int_equal(SAMSA_KIND_STORAGE, 1);
    assert_int_equal(SAMSA_KIND_PARTITIONER, 2);
    assert_int_equal(SAMSA_KIND_CODEC, 3);
    assert_int_equal(SAMSA_KIND_SASL, 4);
    assert_int_equal(SAMSA_KIND_AUTHORIZER, 5);
    assert_int_equal(SAMSA_KIND_TRANSPORT, 6);
    assert_int_equal(SAMSA_KIND_SOURCE, 7);
    assert_int_equal(SAMSA_KIND_SINK, 8);
    assert_int_equal(SAMSA_KIND_TRANSFORM, 9);
    assert_int_equal(SAMSA_OPT_BOOL, 1);
    assert_int_equal(SAMSA_OPT_INT, 2);
    assert_int_equal(SAMSA_OPT_DOUBLE, 3);
    assert_int_equal(SAMSA_OPT_STRING, 4);
    assert_int_equal(SAMSA_OPT_LIST, 5);
    assert_int_equal(SAMSA_LOG_ERROR, 1);
    assert_int_equal(SAMSA_LOG_WARN, 2);
    assert_int_equal(SAMSA_LOG_INFO, 3);
    assert_int_equal(SAMSA_LOG_DEBUG, 4);
    assert_int_equal(SAMSA_METRIC_COUNTER, 1);
    assert_int_equal(SAMSA_METRIC_GAUGE, 2);
    assert_int_equal(SAMSA_CODEC_NONE, 0);
    assert_int_equal(SAMSA_CODEC_GZIP, 1);
    assert_int_equal(SAMSA_CODEC_SNAPPY, 2);
    assert_int_equal(SAMSA_CODEC_LZ4, 3);
    assert_int_equal(SAMSA_CODEC_ZSTD, 4);
    /* Kafka's AclOperation and ResourceType wire values. */
    assert_int_equal(SAMSA_ACL_OP_UNKNOWN, 0);
    assert_int_equal(SAMSA_ACL_OP_ANY, 1);
    assert_int_equal(SAMSA_ACL_OP_ALL, 2);
    assert_int_equal(SAMSA_ACL_OP_READ, 3);
    assert_int_equal(SAMSA_ACL_OP_WRITE, 4);
    assert_int_equal(SAMSA_ACL_OP_CREATE, 5);
    assert_int_equal(SAMSA_ACL_OP_DELETE, 6);
    assert_int_equal(SAMSA_ACL_OP_ALTER, 7);
    assert_int_equal(SAMSA_ACL_OP_DESCRIBE, 8);
    assert_int_equal(SAMSA_ACL_OP_CLUSTER_ACTION, 9);
    assert_int_equal(SAMSA_ACL_OP_DESCRIBE_CONFIGS, 10);
    assert_int_equal(SAMSA_ACL_OP_ALTER_CONFIGS, 11);
    assert_int_equal(SAMSA_ACL_OP_IDEMPOTENT_WRITE, 12);
    assert_int_equal(SAMSA_ACL_OP_CREATE_TOKENS, 13);
    assert_int_equal(SAMSA_ACL_OP_DESCRIBE_TOKENS, 14);
    assert_int_equal(SAMSA_RESOURCE_UNKNOWN, 0);
    assert_int_equal(SAMSA_RESOURCE_ANY, 1);
    assert_int_equal(SAMSA_RESOURCE_TOPIC, 2);
    assert_int_equal(SAMSA_RESOURCE_GROUP, 3);
    assert_int_equal(SAMSA_RESOURCE_CLUSTER, 4);
    assert_int_equal(SAMSA_RESOURCE_TRANSACTIONAL_ID, 5);
    assert_int_equal(SAMSA_RESOURCE_DELEGATION_TOKEN, 6);
    assert_int_equal(SAMSA_RESOURCE_USER, 7);
}

/* Kafka codes keep their wire numbers; internal codes never move. */
static void error_codes_are_frozen(void **state)
{
    (void)state;
    assert_int_equal(SAMSA_OK, 0);
    assert_int_equal(SAMSA_ERR_UNKNOWN_SERVER_ERROR, -1);
    assert_int_equal(SAMSA_ERR_NONE, 0);
    assert_int_equal(SAMSA_ERR_OFFSET_OUT_OF_RANGE, 1);
    assert_int_equal(SAMSA_ERR_CORRUPT_MESSAGE, 2);
    assert_int_equal(SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION, 3);
    assert_int_equal(SAMSA_ERR_INVALID_FETCH_SIZE, 4);
    assert_int_equal(SAMSA_ERR_LEADER_NOT_AVAILABLE, 5);
    assert_int_equal(SAMSA_ERR_NOT_LEADER_OR_FOLLOWER, 6);
    assert_int_equal(SAMSA_ERR_REQUEST_TIMED_OUT, 7);
    assert_int_equal(SAMSA_ERR_BROKER_NOT_AVAILABLE, 8);
    assert_int_equal(SAMSA_ERR_REPLICA_NOT_AVAILABLE, 9);
    assert_int_equal(SAMSA_ERR_MESSAGE_TOO_LARGE, 10);
    assert_int_equal(SAMSA_ERR_STALE_CONTROLLER_EPOCH, 11);
    assert_int_equal(SAMSA_ERR_OFFSET_METADATA_TOO_LARGE, 12);
    assert_int_equal(SAMSA_ERR_NETWORK_EXCEPTION, 13);
    assert_int_equal(SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS, 14);
    assert_int_equal(SAMSA_ERR_COORDINATOR_NOT_AVAILABLE, 15);
    assert_int_equal(SAMSA_ERR_NOT_COORDINATOR, 16);
    assert_int_equal(SAMSA_ERR_INVALID_TOPIC_EXCEPTION, 17);
    assert_int_equal(SAMSA_ERR_RECORD_LIST_TOO_LARGE, 18);
    assert_int_equal(SAMSA_ERR_NOT_ENOUGH_REPLICAS, 19);
    assert_int_equal(SAMSA_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20);
    assert_int_equal(SAMSA_ERR_INVALID_REQUIRED_ACKS, 21);
    assert_int_equal(SAMSA_ERR_ILLEGAL_GENERATION, 22);
    assert_int_equal(SAMSA_ERR_INCONSISTENT_GROUP_PROTOCOL, 23);
    assert_int_equal(SAMSA_ERR_INVALID_GROUP_ID, 24);
    assert_int_equal(SAMSA_ERR_UNKNOWN_MEMBER_ID, 25);
    assert_int_equal(SAMSA_ERR_INVALID_SESSION_TIMEOUT, 26);
    assert_int_equal(SAMSA_ERR_REBALANCE_IN_PROGRESS, 27);
    assert_int_equal(SAMSA_ERR_INVALID_COMMIT_OFFSET_SIZE, 28);
    assert_int_equal(SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED, 29);
    assert_int_equal(SAMSA_ERR_GROUP_AUTHORIZATION_FAILED, 30);
    assert_int_equal(SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED, 31);
    assert_int_equal(SAMSA_ERR_INVALID_TIMESTAMP, 32);
    assert_int_equal(SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM, 33);
    assert_int_equal(SAMSA_ERR_ILLEGAL_SASL_STATE, 34);
    assert_int_equal(SAMSA_ERR_UNSUPPORTED_VERSION, 35);
    assert_int_equal(SAMSA_ERR_TOPIC_ALREADY_EXISTS, 36);
    assert_int_equal(SAMSA_ERR_INVALID_PARTITIONS, 37);
    assert_int_equal(SAMSA_ERR_INVALID_REPLICATION_FACTOR, 38);
    assert_int_equal(SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT, 39);
    assert_int_equal(SAMSA_ERR_INVALID_CONFIG, 40);
    assert_int_equal(SAMSA_ERR_NOT_CONTROLLER, 41);
    assert_int_equal(SAMSA_ERR_INVALID_REQUEST, 42);
    assert_int_equal(SAMSA_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT, 43);
    assert_int_equal(SAMSA_ERR_POLICY_VIOLATION, 44);
    assert_int_equal(SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 45);
    assert_int_equal(SAMSA_ERR_DUPLICATE_SEQUENCE_NUMBER, 46);
    assert_int_equal(SAMSA_ERR_INVALID_PRODUCER_EPOCH, 47);
    assert_int_equal(SAMSA_ERR_INVALID_TXN_STATE, 48);
    assert_int_equal(SAMSA_ERR_INVALID_PRODUCER_ID_MAPPING, 49);
    assert_int_equal(SAMSA_ERR_INVALID_TRANSACTION_TIMEOUT, 50);
    assert_int_equal(SAMSA_ERR_CONCURRENT_TRANSACTIONS, 51);
    assert_int_equal(SAMSA_ERR_TRANSACTION_COORDINATOR_FENCED, 52);
    assert_int_equal(SAMSA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 53);
    assert_int_equal(SAMSA_ERR_SECURITY_DISABLED, 54);
    assert_int_equal(SAMSA_ERR_OPERATION_NOT_ATTEMPTED, 55);
    assert_int_equal(SAMSA_ERR_KAFKA_STORAGE_ERROR, 56);
    assert_int_equal(SAMSA_ERR_LOG_DIR_NOT_FOUND, 57);
    assert_int_equal(SAMSA_ERR_SASL_AUTHENTICATION_FAILED, 58);
    assert_int_equal(SAMSA_ERR_UNKNOWN_PRODUCER_ID, 59);
    assert_int_equal(SAMSA_ERR_REASSIGNMENT_IN_PROGRESS, 60);
    assert_int_equal(SAMSA_ERR_DELEGATION_TOKEN_AUTH_DISABLED, 61);
    assert_int_equal(SAMSA_ERR_DELEGATION_TOKEN_NOT_FOUND, 62);
    assert_int_equal(SAMSA_ERR_DELEGATION_TOKEN_OWNER_MISMATCH, 63);
    assert_int_equal(SAMSA_ERR_DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, 64);
    assert_int_equal(SAMSA_ERR_DELEGATION_TOKEN_AUTHORIZATION_FAILED, 65);
    assert_int_equal(SAMSA_ERR_DELEGATION_TOKEN_EXPIRED, 66);
    assert_int_equal(SAMSA_ERR_INVALID_PRINCIPAL_TYPE, 67);
    assert_int_equal(SAMSA_ERR_NON_EMPTY_GROUP, 68);
    assert_int_equal(SAMSA_ERR_GROUP_ID_NOT_FOUND, 69);
    assert_int_equal(SAMSA_ERR_FETCH_SESSION_ID_NOT_FOUND, 70);
    assert_int_equal(SAMSA_ERR_INVALID_FETCH_SESSION_EPOCH, 71);
    assert_int_equal(SAMSA_ERR_LISTENER_NOT_FOUND, 72);
    assert_int_equal(SAMSA_ERR_TOPIC_DELETION_DISABLED, 73);
    assert_int_equal(SAMSA_ERR_FENCED_LEADER_EPOCH, 74);
    assert_int_equal(SAMSA_ERR_UNKNOWN_LEADER_EPOCH, 75);
    assert_int_equal(SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE, 76);
    assert_int_equal(SAMSA_ERR_STALE_BROKER_EPOCH, 77);
    assert_int_equal(SAMSA_ERR_OFFSET_NOT_AVAILABLE, 78);
    assert_int_equal(SAMSA_ERR_MEMBER_ID_REQUIRED, 79);
    assert_int_equal(SAMSA_ERR_PREFERRED_LEADER_NOT_AVAILABLE, 80);
    assert_int_equal(SAMSA_ERR_GROUP_MAX_SIZE_REACHED, 81);
    assert_int_equal(SAMSA_ERR_FENCED_INSTANCE_ID, 82);
    assert_int_equal(SAMSA_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE, 83);
    assert_int_equal(SAMSA_ERR_ELECTION_NOT_NEEDED, 84);
    assert_int_equal(SAMSA_ERR_NO_REASSIGNMENT_IN_PROGRESS, 85);
    assert_int_equal(SAMSA_ERR_GROUP_SUBSCRIBED_TO_TOPIC, 86);
    assert_int_equal(SAMSA_ERR_INVALID_RECORD, 87);
    assert_int_equal(SAMSA_ERR_UNSTABLE_OFFSET_COMMIT, 88);
    assert_int_equal(SAMSA_ERR_THROTTLING_QUOTA_EXCEEDED, 89);
    assert_int_equal(SAMSA_ERR_PRODUCER_FENCED, 90);
    assert_int_equal(SAMSA_ERR_RESOURCE_NOT_FOUND, 91);
    assert_int_equal(SAMSA_ERR_DUPLICATE_RESOURCE, 92);
    assert_int_equal(SAMSA_ERR_UNACCEPTABLE_CREDENTIAL, 93);
    assert_int_equal(SAMSA_ERR_INCONSISTENT_VOTER_SET, 94);
    assert_int_equal(SAMSA_ERR_INVALID_UPDATE_VERSION, 95);
    assert_int_equal(SAMSA_ERR_FEATURE_UPDATE_FAILED, 96);
    assert_int_equal(SAMSA_ERR_PRINCIPAL_DESERIALIZATION_FAILURE, 97);
    assert_int_equal(SAMSA_ERR_SNAPSHOT_NOT_FOUND, 98);
    assert_int_equal(SAMSA_ERR_POSITION_OUT_OF_RANGE, 99);
    assert_int_equal(SAMSA_ERR_UNKNOWN_TOPIC_ID, 100);
    assert_int_equal(SAMSA_ERR_DUPLICATE_BROKER_REGISTRATION, 101);
    assert_int_equal(SAMSA_ERR_BROKER_ID_NOT_REGISTERED, 102);
    assert_int_equal(SAMSA_ERR_INCONSISTENT_TOPIC_ID, 103);
    assert_int_equal(SAMSA_ERR_INCONSISTENT_CLUSTER_ID, 104);
    assert_int_equal(SAMSA_ERR_TRANSACTIONAL_ID_NOT_FOUND, 105);
    assert_int_equal(SAMSA_ERR_FETCH_SESSION_TOPIC_ID_ERROR, 106);
    assert_int_equal(SAMSA_ERR_INELIGIBLE_REPLICA, 107);
    assert_int_equal(SAMSA_ERR_NEW_LEADER_ELECTED, 108);
    assert_int_equal(SAMSA_ERR_OFFSET_MOVED_TO_TIERED_STORAGE, 109);
    assert_int_equal(SAMSA_ERR_FENCED_MEMBER_EPOCH, 110);
    assert_int_equal(SAMSA_ERR_UNRELEASED_INSTANCE_ID, 111);
    assert_int_equal(SAMSA_ERR_UNSUPPORTED_ASSIGNOR, 112);
    assert_int_equal(SAMSA_ERR_STALE_MEMBER_EPOCH, 113);
    assert_int_equal(SAMSA_ERR_MISMATCHED_ENDPOINT_TYPE, 114);
    assert_int_equal(SAMSA_ERR_UNSUPPORTED_ENDPOINT_TYPE, 115);
    assert_int_equal(SAMSA_ERR_UNKNOWN_CONTROLLER_ID, 116);
    assert_int_equal(SAMSA_ERR_UNKNOWN_SUBSCRIPTION_ID, 117);
    assert_int_equal(SAMSA_ERR_TELEMETRY_TOO_LARGE, 118);
    assert_int_equal(SAMSA_ERR_INVALID_REGISTRATION, 119);
    assert_int_equal(SAMSA_ERR_NOMEM, -1000);
    assert_int_equal(SAMSA_ERR_INVAL, -1001);
    assert_int_equal(SAMSA_ERR_IO, -1002);
    assert_int_equal(SAMSA_ERR_NOT_FOUND, -1003);
    assert_int_equal(SAMSA_ERR_EXISTS, -1004);
    assert_int_equal(SAMSA_ERR_ABI, -1005);
    assert_int_equal(SAMSA_ERR_CONFIG, -1006);
    assert_int_equal(SAMSA_ERR_DECLINED, -1007);
    assert_int_equal(SAMSA_ERR_AGAIN, -1008);
    assert_int_equal(SAMSA_ERR_PROTOCOL, -1009);
    assert_int_equal(SAMSA_ERR_TOO_LARGE, -1010);
    assert_int_equal(SAMSA_ERR_NO_SPACE, -1011);
    assert_int_equal(SAMSA_ERR_CLOSED, -1012);
    assert_int_equal(SAMSA_ERR_UNSUPPORTED, -1013);
    assert_int_equal(SAMSA_ERR_CORRUPT, -1014);
    assert_int_equal(SAMSA_ERR_TIMEOUT, -1015);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(struct_sizes_and_offsets_are_frozen),
        cmocka_unit_test(structs_have_no_implicit_padding),
        cmocka_unit_test(minor_0_services_lack_the_codec_functions),
        cmocka_unit_test(minor_1_codec_ops_lack_decompress_stream),
        cmocka_unit_test(minor_3_transform_ops_lack_create),
        cmocka_unit_test(abi_version_and_constants_are_frozen),
        cmocka_unit_test(enums_are_frozen),
        cmocka_unit_test(error_codes_are_frozen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
