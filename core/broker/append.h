/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/append.h - one partition's worth of a produce request:
 * validate the batches, apply the topic's compression and timestamp policy,
 * append through the log manager.
 */
#ifndef SAMSA_BROKER_APPEND_H
#define SAMSA_BROKER_APPEND_H

#include "broker/broker.h"
#include "broker/produce_check.h"

typedef struct samsa_append_result {
    int64_t base_offset;      /* -1 on error */
    int64_t log_append_time;  /* -1 unless LogAppendTime */
    int64_t log_start_offset; /* -1 on error */
    const char *message;      /* static explanation of an error, or NULL */
    int64_t flush_ticket;     /* >= 0: the acknowledgement waits for this
                                 flush (samsa_partition_flush_wait) */
} samsa_append_result_t;

/*
 * Append @p len bytes of record batches (from a produce request; modified
 * in place: offsets, maybe timestamps) to @p part. @p produce_version gates
 * zstd (Produce < v7 may not use it); @p acks -1 checks
 * min.insync.replicas. May replace the records with a recompressed copy
 * (allocated and freed inside). *plain_budget is what compressed batches
 * may still decompress to in this request (start it at
 * message_max_decompressed_bytes); what they did is taken off, so one
 * request's decompression work stays bounded. @p verdict: what the
 * produce-check worker found for these records (produce_check.h), or NULL
 * to check them here.
 */
samsa_err_t samsa_broker_append(samsa_broker_t *b, samsa_partition_t *part,
                                uint8_t *records, size_t len,
                                int16_t produce_version, int16_t acks,
                                size_t *plain_budget,
                                const samsa_records_verdict_t *verdict,
                                samsa_append_result_t *res);

/* True when @p topic's records must have keys (cleanup.policy has
 * compact), as Kafka's LogValidator requires. */
bool samsa_topic_keys_required(samsa_topic_t *topic);

#endif /* SAMSA_BROKER_APPEND_H */
