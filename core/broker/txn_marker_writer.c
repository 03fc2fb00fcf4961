/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/txn_marker_writer.c - see txn_marker_writer.h. */
#include "broker/txn_marker_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/peer_clients.h"
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

/* One WriteTxnMarkers in flight to one leader: the partitions i with
 * leader[i] == its id, in request order. */
typedef struct sent {
    const samsa_meta_broker_t *mb;
    samsa_client_t *client; /* NULL: not sent (err says why) */
    samsa_err_t err;
    samsa_WriteTxnMarkersRequest_WritableTxnMarkerTopic_t *ts;
    size_t *idx;
    size_t k;
} sent_t;

/* Send (without waiting) one WriteTxnMarkers to leader @p s->mb for the
 * partitions i with leader[i] == its id. */
static void send_remote(samsa_txn_marker_writer_t *w, sent_t *s, int64_t pid,
                        int16_t epoch, int32_t coordinator_epoch, bool commit,
                        const char *const *topics, const int32_t *partitions,
                        const int32_t *leader, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += leader[i] == s->mb->id;
    }
    s->ts = calloc(k ? k : 1, sizeof(*s->ts));
    s->idx = calloc(k ? k : 1, sizeof(*s->idx));
    samsa_client_t *c =
        s->ts && s->idx ? samsa_peer_clients_get(w->peers, s->mb) : NULL;
    s->err = c ? SAMSA_OK : SAMSA_ERR_NETWORK_EXCEPTION;
    for (size_t i = 0; s->err == SAMSA_OK && i < n; i++) {
        if (leader[i] != s->mb->id) {
            continue;
        }
        samsa_WriteTxnMarkersRequest_WritableTxnMarkerTopic_init(&s->ts[s->k]);
        s->ts[s->k].Name = samsa_str_from_cstr(topics[i]);
        s->ts[s->k].PartitionIndexes.items = (int32_t *)&partitions[i];
        s->ts[s->k].PartitionIndexes.count = 1;
        s->idx[s->k++] = i;
    }
    samsa_WriteTxnMarkersRequest_WritableTxnMarker_t m;
    samsa_WriteTxnMarkersRequest_WritableTxnMarker_init(&m);
    m.ProducerId = pid;
    m.ProducerEpoch = epoch;
    m.TransactionResult = commit;
    m.CoordinatorEpoch = coordinator_epoch;
    m.Topics.items = s->ts;
    m.Topics.count = (int32_t)s->k;
    samsa_WriteTxnMarkersRequest_t req;
    samsa_WriteTxnMarkersRequest_init(&req);
    req.Markers.items = &m;
    req.Markers.count = 1;
    if (s->err == SAMSA_OK) {
        s->err = samsa_client_send(c, SAMSA_NODE_ANY,
                                   SAMSA_API_WRITE_TXN_MARKERS, &req);
    }
    s->client = s->err == SAMSA_OK ? c : NULL;
}

/* The answer to send_remote's request: results of its partitions. */
static void recv_remote(samsa_txn_marker_writer_t *w, sent_t *s,
                        samsa_err_t *results)
{
    void *resp = NULL;
    samsa_err_t err = s->err;
    if (err == SAMSA_OK) {
        err = samsa_client_recv(s->client, SAMSA_NODE_ANY, &w->arena, NULL,
                                &resp, NULL);
    }
    samsa_WriteTxnMarkersResponse_t *r = resp;
    if (err == SAMSA_OK &&
        (r->Markers.count != 1 ||
         r->Markers.items[0].Topics.count != (int32_t)s->k)) {
        err = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    for (size_t j = 0; j < s->k; j++) {
        samsa_err_t perr = err;
        if (err == SAMSA_OK) {
            const samsa_WriteTxnMarkersResponse_WritableTxnMarkerTopicResult_t
                *tr = &r->Markers.items[0].Topics.items[j];
            perr = tr->Partitions.count == 1
                       ? (samsa_err_t)tr->Partitions.items[0].ErrorCode
                       : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        }
        /* A topic deleted meanwhile: nothing left to close. */
        results[s->idx[j]] =
            perr == SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION ? SAMSA_OK : perr;
    }
    if (err != SAMSA_OK) {
        samsa_log(
            SAMSA_LOG_DEBUG, "txn: WriteTxnMarkers to broker %d: %s", s->mb->id,
            s->client ? samsa_client_errmsg(s->client) : samsa_err_str(err));
        samsa_peer_clients_drop(w->peers, s->mb->id);
    }
    samsa_arena_reset(&w->arena);
    free(s->ts);
    free(s->idx);
}

/* Every leader's request goes out before any answer is awaited, as
 * Kafka's marker channel manager sends to all brokers at once: a
 * transaction's markers take one round trip, not one per leader. This
 * broker's own partitions go the same way (as in Kafka): the answer
 * comes once their in-sync replicas have the marker
 * (handle_txn_markers.c), which Complete* must wait for. */
static void writer_write(void *arg, int64_t pid, int16_t epoch,
                         int32_t coordinator_epoch, bool commit,
                         const char *const *topics, const int32_t *partitions,
                         size_t n, samsa_err_t *results)
{
    samsa_txn_marker_writer_t *w = arg;
    samsa_broker_t *b = w->b;
    int32_t *leader = calloc(n ? n : 1, sizeof(*leader));
    sent_t *sent = calloc(n ? n : 1, sizeof(*sent));
    if (!leader || !sent) {
        for (size_t i = 0; i < n; i++) {
            results[i] = SAMSA_ERR_NOMEM;
        }
        free(leader);
        free(sent);
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
                                   : SAMSA_ERR_REQUEST_TIMED_OUT; /* below */
    }
    size_t nsent = 0;
    for (size_t i = 0; i < n; i++) {
        const samsa_meta_broker_t *mb =
            leader[i] >= 0 ? samsa_meta_broker(img, leader[i]) : NULL;
        bool first = mb != NULL;
        for (size_t j = 0; first && j < i; j++) {
            first = leader[j] != leader[i];
        }
        if (first) {
            sent[nsent].mb = mb;
            send_remote(w, &sent[nsent++], pid, epoch, coordinator_epoch,
                        commit, topics, partitions, leader, n);
        }
    }
    for (size_t s = 0; s < nsent; s++) {
        recv_remote(w, &sent[s], results);
    }
    samsa_meta_image_put(img);
    free(sent);
    free(leader);
}

const samsa_txn_marker_ops_t samsa_txn_marker_writer_ops = {
    .write = writer_write,
};
