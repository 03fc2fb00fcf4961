/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/txn_marker_writer.c - see txn_marker_writer.h. */
#include "broker/txn_marker_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster.h"
#include "broker/peer_clients.h"
#include "broker/txn_verify.h"
#include "client/client.h"
#include "metadata/quorum.h"
#include "util/log.h"

#define CALL_TIMEOUT 5000

struct samsa_txn_marker_writer {
    samsa_broker_t *b;
    samsa_peer_clients_t *peers;
    samsa_arena_t arena;
};

samsa_err_t samsa_txn_marker_writer_new(samsa_broker_t *b,
                                        samsa_txn_marker_writer_t **out)
{
    samsa_txn_marker_writer_t *w = calloc(1, sizeof(*w));
    if (!w) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err =
        samsa_peer_clients_new(b, "txn-markers", CALL_TIMEOUT, &w->peers);
    if (err != SAMSA_OK) {
        free(w);
        return err;
    }
    w->b = b;
    samsa_arena_init(&w->arena);
    *out = w;
    return SAMSA_OK;
}

void samsa_txn_marker_writer_free(samsa_txn_marker_writer_t *w)
{
    if (!w) {
        return;
    }
    samsa_peer_clients_free(w->peers);
    samsa_arena_destroy(&w->arena);
    free(w);
}

/* Here: append (and tell the group coordinator, for its offsets). */
static samsa_err_t write_local(samsa_broker_t *b, const char *topic,
                               int32_t partition, int64_t pid, int16_t epoch,
                               int32_t coordinator_epoch, bool commit)
{
    samsa_err_t err = samsa_cluster_leader_check(b, topic, partition);
    samsa_topic_t *t = err ? NULL : samsa_logmgr_topic_get(b->logs, topic);
    samsa_partition_t *part = t ? samsa_topic_partition(t, partition) : NULL;
    if (err == SAMSA_OK) {
        samsa_txn_verify_forget(b->txn_verify, pid, topic, partition);
        err = part ? samsa_txn_marker_deliver(b->groups, part, pid, epoch,
                                              coordinator_epoch, commit)
                   : SAMSA_ERR_LEADER_NOT_AVAILABLE;
    }
    samsa_topic_put(t);
    return err;
}

/* One WriteTxnMarkers to leader @p mb for the partitions i with
 * leader[i] == mb->id; their results set from the answer. */
static void write_remote(samsa_txn_marker_writer_t *w,
                         const samsa_meta_broker_t *mb, int64_t pid,
                         int16_t epoch, int32_t coordinator_epoch, bool commit,
                         const char *const *topics, const int32_t *partitions,
                         const int32_t *leader, size_t n, samsa_err_t *results)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += leader[i] == mb->id;
    }
    samsa_WriteTxnMarkersRequest_WritableTxnMarkerTopic_t *ts =
        calloc(k ? k : 1, sizeof(*ts));
    size_t *idx = calloc(k ? k : 1, sizeof(*idx));
    samsa_client_t *c = ts && idx ? samsa_peer_clients_get(w->peers, mb) : NULL;
    samsa_err_t err = c ? SAMSA_OK : SAMSA_ERR_NETWORK_EXCEPTION;
    k = 0;
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        if (leader[i] != mb->id) {
            continue;
        }
        samsa_WriteTxnMarkersRequest_WritableTxnMarkerTopic_init(&ts[k]);
        ts[k].Name = samsa_str_from_cstr(topics[i]);
        ts[k].PartitionIndexes.items = (int32_t *)&partitions[i];
        ts[k].PartitionIndexes.count = 1;
        idx[k++] = i;
    }
    samsa_WriteTxnMarkersRequest_WritableTxnMarker_t m;
    samsa_WriteTxnMarkersRequest_WritableTxnMarker_init(&m);
    m.ProducerId = pid;
    m.ProducerEpoch = epoch;
    m.TransactionResult = commit;
    m.CoordinatorEpoch = coordinator_epoch;
    m.Topics.items = ts;
    m.Topics.count = (int32_t)k;
    samsa_WriteTxnMarkersRequest_t req;
    samsa_WriteTxnMarkersRequest_init(&req);
    req.Markers.items = &m;
    req.Markers.count = 1;
    void *resp = NULL;
    if (err == SAMSA_OK) {
        err = samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_WRITE_TXN_MARKERS,
                                &req, &w->arena, &resp, NULL);
    }
    samsa_WriteTxnMarkersResponse_t *r = resp;
    if (err == SAMSA_OK && (r->Markers.count != 1 ||
                            r->Markers.items[0].Topics.count != (int32_t)k)) {
        err = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    for (size_t j = 0; j < k; j++) {
        samsa_err_t perr = err;
        if (err == SAMSA_OK) {
            const samsa_WriteTxnMarkersResponse_WritableTxnMarkerTopicResult_t
                *tr = &r->Markers.items[0].Topics.items[j];
            perr = tr->Partitions.count == 1
                       ? (samsa_err_t)tr->Partitions.items[0].ErrorCode
                       : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        }
        /* A topic deleted meanwhile: nothing left to close. */
        results[idx[j]] =
            perr == SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION ? SAMSA_OK : perr;
    }
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_DEBUG, "txn: WriteTxnMarkers to broker %d: %s",
                  mb->id, c ? samsa_client_errmsg(c) : samsa_err_str(err));
        samsa_peer_clients_drop(w->peers, mb->id);
    }
    samsa_arena_reset(&w->arena);
    free(ts);
    free(idx);
}

static void writer_write(void *arg, int64_t pid, int16_t epoch,
                         int32_t coordinator_epoch, bool commit,
                         const char *const *topics, const int32_t *partitions,
                         size_t n, samsa_err_t *results)
{
    samsa_txn_marker_writer_t *w = arg;
    samsa_broker_t *b = w->b;
    int32_t *leader = calloc(n ? n : 1, sizeof(*leader));
    if (!leader) {
        for (size_t i = 0; i < n; i++) {
            results[i] = SAMSA_ERR_NOMEM;
        }
        return;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    for (size_t i = 0; i < n; i++) {
        const samsa_meta_topic_t *t = samsa_meta_topic(img, topics[i]);
        leader[i] = -1;
        if (!t || partitions[i] < 0 || partitions[i] >= t->partition_count) {
            results[i] = SAMSA_OK; /* gone: nothing to close */
            continue;
        }
        leader[i] = t->partitions[partitions[i]].leader;
        results[i] = leader[i] < 0 ? SAMSA_ERR_LEADER_NOT_AVAILABLE
                     : leader[i] == b->node_id
                         ? write_local(b, topics[i], partitions[i], pid, epoch,
                                       coordinator_epoch, commit)
                         : SAMSA_ERR_REQUEST_TIMED_OUT; /* set below */
        if (leader[i] == b->node_id) {
            leader[i] = -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const samsa_meta_broker_t *mb =
            leader[i] >= 0 ? samsa_meta_broker(img, leader[i]) : NULL;
        bool first = mb != NULL;
        for (size_t j = 0; first && j < i; j++) {
            first = leader[j] != leader[i];
        }
        if (first) {
            write_remote(w, mb, pid, epoch, coordinator_epoch, commit, topics,
                         partitions, leader, n, results);
        }
    }
    samsa_meta_image_put(img);
    free(leader);
}

const samsa_txn_marker_ops_t samsa_txn_marker_writer_ops = {
    .write = writer_write,
};
