/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/txn/markers.c - transaction markers: one control batch per
 * partition of the transaction, Kafka's EndTransactionMarker (key: int16
 * version 0, int16 type 0 abort / 1 commit; value: int16 version 0, int32
 * coordinator epoch). One node writes them here; in a cluster the marker
 * thread sends WriteTxnMarkers to each partition's leader
 * (core/broker/txn_marker_writer.c), whose handler
 * (core/broker/handle_txn_markers.c) appends with samsa_txn_marker_append.
 */
#include "txn/txn_int.h"

#include <stdlib.h>
#include <string.h>

#include "group/coordinator.h"
#include "record/builder.h"
#include "util/clock.h"

#define CONTROL_ABORT  0
#define CONTROL_COMMIT 1

static samsa_err_t marker_build(int64_t pid, int16_t epoch,
                                int32_t coordinator_epoch, bool commit,
                                uint8_t **out, size_t *len)
{
    uint8_t key[4], value[6];
    samsa_put_be16(key, 0);
    samsa_put_be16(key + 2, commit ? CONTROL_COMMIT : CONTROL_ABORT);
    samsa_put_be16(value, 0);
    samsa_put_be32(value + 2, (uint32_t)coordinator_epoch);
    samsa_batch_builder_t bb;
    samsa_batch_builder_init(&bb);
    bb.attributes = SAMSA_BATCH_ATTR_TRANSACTIONAL | SAMSA_BATCH_ATTR_CONTROL;
    bb.producer_id = pid;
    bb.producer_epoch = epoch;
    samsa_err_t err = samsa_batch_builder_add(&bb, samsa_wall_ms(), key, 4,
                                              value, 6, NULL, 0);
    if (err == SAMSA_OK) {
        err = samsa_batch_builder_finish(&bb, out, len);
    }
    samsa_batch_builder_free(&bb);
    return err;
}

/* The append assigns offsets in place: each partition gets its own copy. */
static samsa_err_t append_copy(samsa_partition_t *part, const uint8_t *marker,
                               size_t len)
{
    uint8_t *copy = malloc(len);
    if (!copy) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(copy, marker, len);
    int64_t base;
    samsa_err_t err = samsa_partition_append(part, copy, len, -1, &base, NULL);
    free(copy);
    return err;
}

/* A marker on a partition of the offsets topic settles the transaction's
 * pending offsets there (the group coordinator's part of the marker). */
static void tell_groups(samsa_group_coordinator_t *groups,
                        samsa_partition_t *part, int64_t pid, bool commit)
{
    samsa_topic_t *t = samsa_partition_topic(part);
    if (groups && t && strcmp(t->name, SAMSA_OFFSETS_TOPIC) == 0) {
        samsa_group_txn_marker(groups, samsa_partition_index(part), pid,
                               commit);
    }
}

static samsa_err_t write_one(samsa_logmgr_t *mgr,
                             samsa_group_coordinator_t *groups,
                             const txn_tp_t *tp, int64_t pid, bool commit,
                             const uint8_t *marker, size_t len)
{
    samsa_topic_t *topic = samsa_logmgr_topic_get(mgr, tp->topic);
    samsa_partition_t *part =
        topic ? samsa_topic_partition(topic, tp->partition) : NULL;
    samsa_err_t err = part ? append_copy(part, marker, len) : SAMSA_OK;
    if (part && err == SAMSA_OK) {
        tell_groups(groups, part, pid, commit);
    }
    if (topic) {
        samsa_topic_put(topic);
    }
    return err;
}

samsa_err_t samsa_txn_marker_append(samsa_partition_t *part, int64_t pid,
                                    int16_t epoch, int32_t coordinator_epoch,
                                    bool commit)
{
    uint8_t *marker = NULL;
    size_t len = 0;
    samsa_err_t err =
        marker_build(pid, epoch, coordinator_epoch, commit, &marker, &len);
    if (err == SAMSA_OK) {
        err = append_copy(part, marker, len);
    }
    free(marker);
    return err;
}

samsa_err_t samsa_txn_marker_deliver(samsa_group_coordinator_t *groups,
                                     samsa_partition_t *part, int64_t pid,
                                     int16_t epoch, int32_t coordinator_epoch,
                                     bool commit)
{
    samsa_err_t err =
        samsa_txn_marker_append(part, pid, epoch, coordinator_epoch, commit);
    if (err == SAMSA_OK) {
        tell_groups(groups, part, pid, commit);
    }
    return err;
}

samsa_err_t samsa_txn_markers_write(samsa_logmgr_t *mgr,
                                    samsa_group_coordinator_t *groups,
                                    int64_t pid, int16_t epoch,
                                    int32_t coordinator_epoch, bool commit,
                                    const txn_tp_t *tps, size_t count)
{
    uint8_t *marker = NULL;
    size_t len = 0;
    samsa_err_t err =
        marker_build(pid, epoch, coordinator_epoch, commit, &marker, &len);
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        err = write_one(mgr, groups, &tps[i], pid, commit, marker, len);
    }
    free(marker);
    return err;
}
