/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/append.c - see append.h. */
#include "broker/append.h"
#include "broker/txn_verify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "producer/state.h"
#include "record/batch.h"
#include "broker/recompress.h"
#include "broker/records_check.h"
#include "records_v2.h"
#include "broker/upconvert.h"
#include "metrics/metrics.h"
#include "replica/replica.h"
#include "txn/coordinator.h"
#include "util/clock.h"

bool samsa_topic_keys_required(samsa_topic_t *topic)
{
    char v[64];
    samsa_topic_config_string(topic, "cleanup.policy", v, sizeof(v));
    return strstr(v, "compact") != NULL;
}

/* Kafka's compression.type names -> codec id; -1 = keep the producer's. */
static int topic_codec(samsa_topic_t *topic)
{
    char v[32];
    samsa_topic_config_string(topic, "compression.type", v, sizeof(v));
    static const char *const names[] = {"uncompressed", "gzip", "snappy", "lz4",
                                        "zstd"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(v, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static samsa_err_t check_codecs(samsa_broker_t *b, int codecs_seen,
                                int16_t produce_version,
                                samsa_append_result_t *res)
{
    for (int id = 1; id <= 4; id++) {
        if (!(codecs_seen & (1 << id))) {
            continue;
        }
        void *state;
        if (id == 4 && produce_version < 7) {
            res->message = "zstd needs Produce v7 or later";
            return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
        }
        if (!samsa_broker_codec(b, id, &state)) {
            res->message = "no codec plugin loaded for this compression type";
            return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t append_batches(samsa_broker_t *b, samsa_partition_t *part,
                                  uint8_t *records, size_t len,
                                  int16_t produce_version, int16_t acks,
                                  size_t *plain_budget,
                                  const samsa_records_verdict_t *verdict,
                                  samsa_append_result_t *res);

samsa_err_t samsa_broker_append(samsa_broker_t *b, samsa_partition_t *part,
                                uint8_t *records, size_t len,
                                int16_t produce_version, int16_t acks,
                                size_t *plain_budget,
                                const samsa_records_verdict_t *verdict,
                                samsa_append_result_t *res)
{
    *res = (samsa_append_result_t){-1, -1, -1, NULL, -1};
    uint8_t *converted = NULL;
    if (len > SAMSA_BATCH_OFF_MAGIC && records[SAMSA_BATCH_OFF_MAGIC] < 2) {
        /* Produce v0-v2 carry legacy message sets: store them as v2. */
        samsa_err_t cerr = samsa_upconvert_message_set(
            b, records, len, plain_budget, &converted, &len);
        if (cerr != SAMSA_OK) {
            res->message = cerr == SAMSA_ERR_MESSAGE_TOO_LARGE
                               ? "legacy compressed messages decompress to "
                                 "more than message_max_decompressed_bytes"
                               : "legacy message set failed validation";
            return SAMSA_ERR_IS_KAFKA(cerr) ? cerr
                                            : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        }
        records = converted;
    }
    /* A converted batch is the builder's own, its size already paid for
     * out of the budget: checking it again must not charge twice. */
    size_t converted_budget = SIZE_MAX;
    samsa_err_t err = append_batches(
        b, part, records, len, produce_version, acks,
        converted ? &converted_budget : plain_budget,
        converted || !verdict || !verdict->checked ? NULL : verdict, res);
    free(converted);
    return err;
}

/* How far the batches' records may decompress: what is left of the
 * request's budget, and for a topic storing records uncompressed what
 * still fits max.message.bytes once stored (Kafka checks the batch it
 * writes). */
static size_t plain_bound(size_t budget, int target, int64_t max_bytes)
{
    if (target == 0 && max_bytes > 0) {
        int64_t fit = max_bytes - SAMSA_BATCH_HEADER_SIZE;
        fit = fit > 0 ? fit : 0;
        budget = (uint64_t)fit < budget ? (size_t)fit : budget;
    }
    return budget;
}

/* True when every batch is at most max_bytes (<= 0 = no limit). */
static bool batches_fit(const uint8_t *p, size_t len, int64_t max_bytes)
{
    samsa_batch_iter_t it;
    samsa_batch_iter_init(&it, p, len);
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    while (max_bytes > 0 &&
           samsa_batch_iter_next(&it, &batch, &h) == SAMSA_OK) {
        if ((int64_t)samsa_batch_size(&h) > max_bytes) {
            return false;
        }
    }
    return true;
}

/* The hot-key sketch reads compressed batches through the codec plugins,
 * bounded like the records check before it. */
typedef struct hotkeys_codec {
    samsa_broker_t *b;
    size_t max_plain;
} hotkeys_codec_t;

static samsa_err_t hotkeys_decompress(void *arg, int codec, const uint8_t *in,
                                      size_t len, uint8_t **out,
                                      size_t *out_len)
{
    hotkeys_codec_t *hc = arg;
    return samsa_batch_decompress(hc->b, codec, in, len, hc->max_plain, out,
                                  out_len);
}

static samsa_err_t append_batches(samsa_broker_t *b, samsa_partition_t *part,
                                  uint8_t *records, size_t len,
                                  int16_t produce_version, int16_t acks,
                                  size_t *plain_budget,
                                  const samsa_records_verdict_t *verdict,
                                  samsa_append_result_t *res)
{
    samsa_topic_t *topic = samsa_partition_topic(part);
    int64_t max_bytes = samsa_topic_config_long(topic, "max.message.bytes");
    samsa_batches_info_t info;
    samsa_err_t err = samsa_batches_validate(records, len, max_bytes, &info);
    if (err != SAMSA_OK) {
        res->message = err == SAMSA_ERR_MESSAGE_TOO_LARGE
                           ? "record batch larger than max.message.bytes"
                           : "record batches failed validation";
        return err;
    }
    if (produce_version >= 3 && info.batch_count != 1) {
        /* Kafka's rule for Produce v3+ (ProduceRequest.validateRecords):
         * offsets, sequences and CRCs are all per batch. */
        res->message = "Produce v3+ must carry exactly one record batch per "
                       "partition";
        return SAMSA_ERR_INVALID_RECORD;
    }
    if (info.has_control) {
        /* Kafka's LogValidator: control batches come from the transaction
         * coordinator, never from a client. */
        res->message = "clients may not write control batches";
        return SAMSA_ERR_INVALID_RECORD;
    }
    uint64_t guard = 0;
    if (info.has_transactional) {
        /* KIP-890 verification: the partition must be in the producer's
         * open transaction, so no stray write can hold the LSO back. The
         * guard is taken first: a marker written after it, even between
         * this check and the append, refuses the append. */
        guard = samsa_partition_txn_guard(part);
        int32_t index = samsa_partition_index(part);
        err = b->txn ? samsa_txn_verify_produce(b->txn, info.producer_id,
                                                info.producer_epoch,
                                                topic->name, index)
                     : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
        if (err == SAMSA_ERR_NOT_FOUND) {
            /* The producer's coordinator is another broker, asked on the
             * produce-check worker (txn_verify.h). */
            err = verdict && verdict->txn_err != SAMSA_OK ? verdict->txn_err
                  : samsa_txn_verify_passed(b->txn_verify, info.producer_id,
                                            info.producer_epoch, topic->name,
                                            index)
                      ? SAMSA_OK
                      : SAMSA_ERR_INVALID_TXN_STATE;
        }
        if (err != SAMSA_OK) {
            res->message =
                err == SAMSA_ERR_INVALID_PRODUCER_EPOCH
                    ? "producer epoch is not the transactional id's current "
                      "one (a newer instance took over)"
                : err == SAMSA_ERR_NOT_ENOUGH_REPLICAS
                    ? "unable to verify that the partition is in the "
                      "transaction: its coordinator did not answer (retry)"
                    : "the partition is not in an open transaction of this "
                      "producer (AddPartitionsToTxn first)";
            return err;
        }
    }
    if (acks == -1) {
        /* Kafka's Partition.appendRecordsToLeader: the ISR must be at
         * least min.insync.replicas before an acks=all append. A partition
         * that is not replicated has an ISR of one. */
        int isr = samsa_replica_isr_size(b->replica, part);
        int64_t min_isr = samsa_topic_config_long(topic, "min.insync.replicas");
        if ((isr < 0 ? 1 : isr) < min_isr) {
            res->message = isr < 0 ? "min.insync.replicas exceeds the "
                                     "replicas of this single-node partition"
                                   : "the in-sync replicas are fewer than "
                                     "min.insync.replicas";
            return SAMSA_ERR_NOT_ENOUGH_REPLICAS;
        }
    }
    err = check_codecs(b, info.codecs_seen, produce_version, res);
    if (err != SAMSA_OK) {
        return err;
    }
    int target = topic_codec(topic);
    size_t max_plain = plain_bound(*plain_budget, target, max_bytes);
    size_t plain = 0;
    if (verdict) {
        /* Checked on the produce-check worker, against the same budget
         * taken in the same order; only this topic's own bound is new. */
        err = verdict->err;
        res->message = verdict->why;
        plain = verdict->plain;
        if (err == SAMSA_OK && plain > max_plain) {
            err = SAMSA_ERR_MESSAGE_TOO_LARGE;
            res->message = "stored uncompressed, the records would exceed "
                           "max.message.bytes";
        }
    } else {
        err = samsa_broker_check_records(b, records, len, max_plain,
                                         samsa_topic_keys_required(topic),
                                         &plain, &res->message);
    }
    *plain_budget -= plain < *plain_budget ? plain : *plain_budget;
    if (err != SAMSA_OK) {
        return SAMSA_ERR_IS_KAFKA(err) ? err : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    uint8_t *owned = NULL;
    if (target >= 0 && info.codecs_seen != (1 << target)) {
        err = samsa_recompress_batches(b, records, len, target, max_plain,
                                       &owned, &len);
        if (err == SAMSA_OK && !batches_fit(owned, len, max_bytes)) {
            err = SAMSA_ERR_MESSAGE_TOO_LARGE;
        }
        if (err != SAMSA_OK) {
            free(owned);
            res->message = err == SAMSA_ERR_MESSAGE_TOO_LARGE
                               ? "recompressed to the topic's "
                                 "compression.type, the batch exceeds "
                                 "max.message.bytes"
                               : "recompressing to the topic's "
                                 "compression.type failed";
            return SAMSA_ERR_IS_KAFKA(err) ? err
                                           : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        }
        records = owned;
    }
    char tstype[32];
    samsa_topic_config_string(topic, "message.timestamp.type", tstype,
                              sizeof(tstype));
    int64_t append_time =
        strcmp(tstype, "LogAppendTime") == 0 ? samsa_wall_ms() : -1;
    err = samsa_partition_append_guarded(part, records, len, append_time,
                                         info.producer_id, guard,
                                         &res->base_offset, &res->flush_ticket);
    if (err == SAMSA_OK) {
        /* Before free(owned): the hot-key sketch reads the records. */
        hotkeys_codec_t hc = {b, max_plain};
        samsa_metrics_topic_in(topic->name, samsa_partition_index(part),
                               records, len, info.record_count,
                               hotkeys_decompress, &hc);
    }
    free(owned);
    if (err != SAMSA_OK) {
        res->base_offset = -1;
        /* Idempotence checks (core/producer) explain themselves. */
        const char *why = err == SAMSA_ERR_INVALID_TXN_STATE
                              ? "the producer's transaction on this partition "
                                "ended (a marker) while the write was checked"
                              : samsa_producer_error_message(err);
        res->message = why ? why : "the storage engine refused the append";
        return SAMSA_ERR_IS_KAFKA(err) ? err : SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    res->log_append_time = append_time;
    res->log_start_offset = samsa_partition_log_start(part);
    return SAMSA_OK;
}
