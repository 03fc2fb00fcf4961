/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_fetch.c - Fetch (key 1): zero-copy reads with long
 * polling.
 *
 * A fetch reads every requested partition; if fewer than MinBytes came back
 * and MaxWaitMs allows, it parks: a waiter on each partition wakes it when
 * data is appended (posted to this connection's reactor), and a reactor
 * timer ends the wait. Record data is never copied: the storage engine's
 * slices (file ranges or memory) are spliced into the response iobuf and
 * stay pinned until the socket has sent them.
 *
 * Fetch sessions (KIP-227): the broker never creates one (SessionId 0 in
 * every answer), which tells clients to keep sending full fetches.
 */
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "broker/parked.h"
#include "broker/settle.h"
#include "loop/reactor.h"
#include "metrics/metrics.h"
#include "replica/replica.h"
#include "security/quota.h"

typedef samsa_FetchResponse_PartitionData_t part_resp_t;
typedef struct fetch_ctx fetch_ctx_t;

/* A storage read kept alive while its slices are in flight. */
typedef struct fetch_pin {
    int refs;
    samsa_topic_t *topic; /* keeps the log open */
    samsa_partition_t *part;
    samsa_storage_read_t rd;
} fetch_pin_t;

typedef struct fetch_part {
    samsa_topic_t *topic; /* referenced; NULL when unknown */
    samsa_partition_t *part;
    samsa_FetchRequest_FetchPartition_t *rp;
    part_resp_t *pr;
    samsa_err_t fixed_err; /* known before reading */
    bool diverging;        /* a follower must truncate: nothing to read */
    fetch_pin_t *pin;      /* this attempt's read, until handed to iobuf */
    samsa_part_waiter_t waiter;
    fetch_ctx_t *ctx;
} fetch_part_t;

struct fetch_ctx {
    samsa_parked_t parked; /* first: cancel() gets it back */
    samsa_req_t *req;
    samsa_FetchRequest_t *freq;
    samsa_FetchResponse_t *resp;
    fetch_part_t *parts;
    int32_t nparts;
    samsa_reactor_t *reactor;
    samsa_timer_id_t timer;
    _Atomic bool wake_pending;
    _Atomic int refs;
    int32_t replica_id; /* >= 0: a follower's fetch (reads to the LEO) */
    bool waiting;
    bool done;
    /* A consumer's partition is led here but its log is still being made
     * (a topic just created): the request waits for it (settle.h). */
    bool settling;
};

static void pin_release(void *arg)
{
    fetch_pin_t *pin = arg;
    if (--pin->refs > 0) {
        return;
    }
    samsa_partition_read_release(pin->part, &pin->rd);
    samsa_topic_put(pin->topic);
    free(pin);
}

/* encode_ext of a partition's Records: splice the pinned slices. Each chunk
 * holds one reference; the pin goes when the last chunk is sent. */
static void emit_records(samsa_iobuf_t *out, void *arg)
{
    fetch_part_t *fp = arg;
    fetch_pin_t *pin = fp->pin;
    fp->pin = NULL;
    pin->refs = (int)pin->rd.slice_count + 1;
    for (uint32_t i = 0; i < pin->rd.slice_count; i++) {
        const samsa_slice_t *s = &pin->rd.slices[i];
        if (s->fd >= 0) {
            samsa_iobuf_append_file(out, s->fd, (off_t)s->pos, (size_t)s->len,
                                    pin_release, pin);
        } else {
            samsa_iobuf_append_ref(out, s->buf, (size_t)s->len, pin_release,
                                   pin);
        }
    }
    pin_release(pin); /* the reference of the fetch itself */
}

static void drop_pin(fetch_part_t *fp)
{
    if (fp->pin) {
        fp->pin->refs = 1;
        pin_release(fp->pin);
        fp->pin = NULL;
    }
}

static void ctx_unref(fetch_ctx_t *ctx)
{
    if (atomic_fetch_sub(&ctx->refs, 1) != 1) {
        return;
    }
    for (int32_t i = 0; i < ctx->nparts; i++) {
        drop_pin(&ctx->parts[i]);
        samsa_topic_put(ctx->parts[i].topic);
    }
    free(ctx->parts);
    free(ctx);
}

static bool topic_is_zstd(samsa_topic_t *topic)
{
    char v[32];
    samsa_topic_config_string(topic, "compression.type", v, sizeof(v));
    return strcmp(v, "zstd") == 0;
}

/* The aborted transactions a read_committed consumer must skip in what it
 * reads from @p from up to @p to. An error fails the partition's read: its
 * records must not go out without the list. */
static samsa_err_t fill_aborted(samsa_req_t *req, samsa_partition_t *part,
                                int64_t from, int64_t to, part_resp_t *pr)
{
    size_t n = 0;
    pr->AbortedTransactions.count = 0;
    samsa_err_t err = samsa_partition_aborted_txns(part, from, to, NULL, 0, &n);
    if (err != SAMSA_OK || n == 0) {
        return err;
    }
    samsa_aborted_txn_t *ab = calloc(n, sizeof(*ab));
    if (!ab) {
        return SAMSA_ERR_NOMEM;
    }
    size_t cap = n;
    err = samsa_partition_aborted_txns(part, from, to, ab, cap, &n);
    if (err != SAMSA_OK) {
        free(ab);
        return err;
    }
    if (n > cap) {
        n = cap; /* more since the count: they start past what was read */
    }
    SAMSA_REQ_ARRAY(req, pr->AbortedTransactions, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        samsa_FetchResponse_AbortedTransaction_t *at =
            &pr->AbortedTransactions.items[i];
        samsa_FetchResponse_AbortedTransaction_init(at);
        at->ProducerId = ab[i].producer_id;
        at->FirstOffset = ab[i].first_offset;
    }
    free(ab);
    return SAMSA_OK;
}

/* Read one partition for this attempt; returns bytes gathered. */
static int64_t read_partition(fetch_ctx_t *ctx, fetch_part_t *fp,
                              int64_t budget, bool min_one)
{
    part_resp_t *pr = fp->pr;
    pr->Records = (samsa_records_t){NULL, 0, NULL, NULL};
    pr->ErrorCode = (int16_t)fp->fixed_err;
    if (fp->fixed_err != SAMSA_OK) {
        return 0;
    }
    samsa_partition_t *part = fp->part;
    samsa_log_offsets_t off;
    samsa_partition_offsets(part, &off);
    int64_t hw = samsa_partition_hw(part);
    int64_t lso = samsa_partition_lso(part);
    pr->HighWatermark = hw;
    pr->LastStableOffset = lso;
    /* read_committed stops at the last stable offset (Kafka's
     * FetchIsolation.TXN_COMMITTED). */
    bool committed = ctx->freq->IsolationLevel == 1;
    int64_t limit = committed ? lso : hw;
    pr->LogStartOffset = off.log_start_offset;
    if (ctx->replica_id >= 0) {
        /* Followers read everything appended (Kafka's
         * FetchIsolation.LOG_END); their fetch moves the HW. */
        limit = samsa_partition_leo(part);
        if (fp->diverging || samsa_replica_leader_throttled(
                                 ctx->req->broker->replica, fp->topic, part,
                                 fp->rp->Partition, ctx->replica_id)) {
            return 0;
        }
    }
    int64_t offset = fp->rp->FetchOffset;
    if (offset < off.log_start_offset || offset > off.log_end_offset) {
        pr->ErrorCode = SAMSA_ERR_OFFSET_OUT_OF_RANGE;
        return 0;
    }
    int64_t max = fp->rp->PartitionMaxBytes;
    if (budget < max) {
        max = budget;
    }
    if (offset >= limit || (max <= 0 && !min_one)) {
        return 0;
    }
    fetch_pin_t *pin = calloc(1, sizeof(*pin));
    if (!pin) {
        pr->ErrorCode = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        return 0;
    }
    samsa_err_t err = samsa_partition_read(
        part, offset, limit, max, min_one ? SAMSA_READ_MIN_ONE : 0, &pin->rd);
    if (err != SAMSA_OK) {
        free(pin);
        pr->ErrorCode =
            (int16_t)(SAMSA_ERR_IS_KAFKA(err) ? err
                                              : SAMSA_ERR_KAFKA_STORAGE_ERROR);
        return 0;
    }
    if (committed && pin->rd.total_bytes > 0) {
        err = fill_aborted(ctx->req, part, offset, pin->rd.next_offset, pr);
    }
    if (err != SAMSA_OK) {
        pr->ErrorCode =
            (int16_t)(SAMSA_ERR_IS_KAFKA(err) ? err
                                              : SAMSA_ERR_KAFKA_STORAGE_ERROR);
    }
    if (err != SAMSA_OK || pin->rd.total_bytes == 0) {
        samsa_partition_read_release(part, &pin->rd);
        free(pin);
        return 0;
    }
    pin->topic = fp->topic;
    samsa_topic_hold(pin->topic);
    pin->part = part;
    pin->refs = 1;
    fp->pin = pin;
    pr->Records =
        (samsa_records_t){NULL, (int32_t)pin->rd.total_bytes, emit_records, fp};
    return pin->rd.total_bytes;
}

static void stop_waiting(fetch_ctx_t *ctx)
{
    if (!ctx->waiting) {
        return;
    }
    ctx->waiting = false;
    for (int32_t i = 0; i < ctx->nparts; i++) {
        if (ctx->parts[i].part) {
            samsa_partition_wait_remove(ctx->parts[i].part,
                                        &ctx->parts[i].waiter);
        }
    }
    if (ctx->timer) {
        samsa_reactor_timer_cancel(ctx->reactor, ctx->timer);
        ctx->timer = 0;
    }
    samsa_parked_remove(&ctx->parked);
}

/* Per-topic bytes out and errors, once per answered fetch. */
static void count_answer(fetch_ctx_t *ctx)
{
    for (int32_t i = 0; i < ctx->nparts; i++) {
        fetch_part_t *fp = &ctx->parts[i];
        const char *topic = fp->topic ? fp->topic->name : NULL;
        samsa_metrics_topic_request(topic, SAMSA_API_FETCH,
                                    fp->pr->ErrorCode != SAMSA_OK);
        if (fp->pr->ErrorCode != SAMSA_OK) {
            samsa_metrics_error(SAMSA_API_FETCH, fp->pr->ErrorCode);
        } else if (fp->pin && ctx->replica_id >= 0) {
            /* Replication, not a client's bytes out: only the leader's
             * throttle counts it. */
            samsa_replica_leader_sent(ctx->req->broker->replica, fp->topic,
                                      fp->rp->Partition,
                                      (int64_t)fp->pin->rd.total_bytes);
        } else if (fp->pin) {
            samsa_metrics_topic_out(topic, fp->pin->rd.total_bytes,
                                    fp->pin->rd.next_offset -
                                        fp->rp->FetchOffset);
        }
    }
}

/* consumer_byte_rate, as Kafka: record the answer's size; over the quota
 * the answer is empty (the bytes taken back) with ThrottleTimeMs, and the
 * connection is muted that long. */
static bool throttled(fetch_ctx_t *ctx)
{
    if (ctx->replica_id >= 0) {
        return false; /* replication is not a client's consumption */
    }
    double bytes = 0;
    for (int32_t i = 0; i < ctx->nparts; i++) {
        if (ctx->parts[i].pin) {
            bytes += (double)ctx->parts[i].pin->rd.total_bytes;
        }
    }
    int32_t t = samsa_req_quota(ctx->req, SAMSA_QUOTA_FETCH, bytes);
    if (t <= 0) {
        return false;
    }
    samsa_req_quota(ctx->req, SAMSA_QUOTA_FETCH, -bytes);
    ctx->resp->ThrottleTimeMs = t;
    ctx->resp->Responses.count = 0;
    return true;
}

static void finish(fetch_ctx_t *ctx)
{
    ctx->done = true;
    stop_waiting(ctx);
    if (!throttled(ctx)) {
        count_answer(ctx);
    }
    samsa_req_respond(ctx->req, ctx->resp);
    ctx->req = NULL;
    ctx_unref(ctx); /* pins not spliced are dropped there */
}

static void cancel_parked(samsa_parked_t *p)
{
    fetch_ctx_t *ctx = (fetch_ctx_t *)p;
    ctx->done = true;
    stop_waiting(ctx);
    samsa_req_respond_none(ctx->req);
    ctx->req = NULL;
    ctx_unref(ctx);
}

static void attempt(fetch_ctx_t *ctx, bool last_chance);

static void on_timeout(samsa_reactor_t *r, void *arg)
{
    (void)r;
    fetch_ctx_t *ctx = arg;
    ctx->timer = 0;
    if (!ctx->done) {
        attempt(ctx, true);
    }
}

static void on_wake(void *arg)
{
    fetch_ctx_t *ctx = arg;
    atomic_store(&ctx->wake_pending, false);
    if (!ctx->done) {
        attempt(ctx, false);
    }
    ctx_unref(ctx);
}

/* Runs on the appending thread with the partition's waiter lock held. */
static void on_append(samsa_part_waiter_t *w)
{
    fetch_ctx_t *ctx = ((fetch_part_t *)w->arg)->ctx;
    if (atomic_exchange(&ctx->wake_pending, true)) {
        return;
    }
    atomic_fetch_add(&ctx->refs, 1);
    if (samsa_reactor_post(ctx->reactor, on_wake, ctx) != SAMSA_OK) {
        atomic_fetch_sub(&ctx->refs, 1);
    }
}

static void park(fetch_ctx_t *ctx)
{
    ctx->waiting = true;
    for (int32_t i = 0; i < ctx->nparts; i++) {
        fetch_part_t *fp = &ctx->parts[i];
        if (fp->part) {
            fp->waiter.notify = on_append;
            fp->waiter.arg = fp;
            samsa_partition_wait_add(fp->part, &fp->waiter);
        }
    }
    ctx->timer = samsa_reactor_timer_add(
        ctx->reactor, (uint64_t)ctx->freq->MaxWaitMs, 0, on_timeout, ctx);
    ctx->parked.cancel = cancel_parked;
    samsa_parked_add(ctx->req->conn, &ctx->parked);
}

static void attempt(fetch_ctx_t *ctx, bool last_chance)
{
    int64_t budget =
        ctx->req->api_version >= 3 ? ctx->freq->MaxBytes : INT32_MAX;
    /* As Kafka: no more than consumer_byte_rate lets through in a window. */
    double window = samsa_req_quota_window(ctx->req, SAMSA_QUOTA_FETCH);
    if (window < (double)budget) {
        budget = window < 1 ? 1 : (int64_t)window;
    }
    int64_t total = 0;
    bool error = false;
    for (int32_t i = 0; i < ctx->nparts; i++) {
        fetch_part_t *fp = &ctx->parts[i];
        drop_pin(fp);
        /* KIP-74: the first partition with data returns at least one
         * batch even if it exceeds the limits, so clients make progress. */
        int64_t n = read_partition(ctx, fp, budget - total, total == 0);
        total += n;
        error |= fp->pr->ErrorCode != SAMSA_OK;
    }
    /* A fetch naming no partition (the Java consumer's session close)
     * wants no data: Kafka answers it at once rather than after MaxWaitMs. */
    if (last_chance || error || total >= ctx->freq->MinBytes ||
        ctx->freq->MaxWaitMs <= 0 || ctx->nparts == 0 || !ctx->reactor) {
        finish(ctx);
        return;
    }
    for (int32_t i = 0; i < ctx->nparts; i++) {
        drop_pin(&ctx->parts[i]);
    }
    if (!ctx->waiting) {
        park(ctx);
    }
}

/* A follower's fetch of @p fp (core/replica): epoch checks, its fetch
 * offset recorded, the HW moved; or DivergingEpoch to truncate. */
static samsa_err_t follower_check(fetch_ctx_t *ctx, fetch_part_t *fp)
{
    if (fp->fixed_err != SAMSA_OK || !fp->part) {
        return fp->fixed_err;
    }
    int32_t de = -1;
    int64_t dend = -1;
    samsa_err_t err = samsa_replica_follower_fetch(
        ctx->req->broker->replica, fp->part, ctx->replica_id,
        fp->rp->CurrentLeaderEpoch, fp->rp->FetchOffset,
        fp->rp->LastFetchedEpoch, &de, &dend);
    if (err == SAMSA_OK && de >= 0) {
        fp->diverging = true;
        fp->pr->DivergingEpoch.Epoch = de;
        fp->pr->DivergingEpoch.EndOffset = dend;
    }
    return err;
}

/* Build the response skeleton and resolve every partition once. */
static samsa_err_t resolve(fetch_ctx_t *ctx)
{
    samsa_req_t *req = ctx->req;
    samsa_FetchRequest_t *freq = ctx->freq;
    int32_t ntopics = freq->Topics.count > 0 ? freq->Topics.count : 0;
    int32_t total = 0;
    for (int32_t t = 0; t < ntopics; t++) {
        total += freq->Topics.items[t].Partitions.count > 0
                     ? freq->Topics.items[t].Partitions.count
                     : 0;
    }
    ctx->parts = calloc((size_t)(total ? total : 1), sizeof(*ctx->parts));
    if (!ctx->parts) {
        return SAMSA_ERR_NOMEM;
    }
    SAMSA_REQ_ARRAY(req, ctx->resp->Responses, ntopics);
    for (int32_t t = 0; t < ntopics; t++) {
        samsa_FetchRequest_FetchTopic_t *rt = &freq->Topics.items[t];
        samsa_FetchResponse_FetchableTopicResponse_t *tr =
            &ctx->resp->Responses.items[t];
        samsa_FetchResponse_FetchableTopicResponse_init(tr);
        tr->Topic = rt->Topic;
        tr->TopicId = rt->TopicId;
        const char *tname = samsa_req_cstr(req, rt->Topic);
        /* Followers need ClusterAction, as in Kafka's handleFetchRequest. */
        samsa_err_t terr =
            ctx->replica_id >= 0
                ? (samsa_req_authorize(req, SAMSA_ACL_OP_CLUSTER_ACTION,
                                       SAMSA_RESOURCE_CLUSTER,
                                       "kafka-cluster") == SAMSA_OK
                       ? SAMSA_OK
                       : SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED)
                : samsa_req_authorize(req, SAMSA_ACL_OP_READ,
                                      SAMSA_RESOURCE_TOPIC, tname);
        samsa_topic_t *topic =
            terr ? NULL : samsa_broker_topic(req->broker, tname, false, &terr);
        if (terr == SAMSA_OK && req->api_version < 10 && topic_is_zstd(topic)) {
            terr = SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
        }
        int32_t np = rt->Partitions.count > 0 ? rt->Partitions.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        for (int32_t p = 0; p < np; p++) {
            fetch_part_t *fp = &ctx->parts[ctx->nparts++];
            fp->ctx = ctx;
            fp->rp = &rt->Partitions.items[p];
            fp->pr = &tr->Partitions.items[p];
            samsa_FetchResponse_PartitionData_init(fp->pr);
            fp->pr->PartitionIndex = fp->rp->Partition;
            fp->pr->HighWatermark = -1;
            /* Null unless read_committed asks for the (empty) list. */
            fp->pr->AbortedTransactions.count =
                freq->IsolationLevel == 1 ? 0 : -1;
            fp->fixed_err = terr;
            if (topic) {
                fp->part = samsa_topic_partition(topic, fp->rp->Partition);
                if (!fp->part) {
                    fp->fixed_err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                } else {
                    fp->topic = topic;
                    samsa_topic_hold(topic);
                }
            }
            samsa_err_t lerr = ctx->replica_id >= 0
                                   ? follower_check(ctx, fp)
                                   : samsa_cluster_leader_check(
                                         req->broker, tname, fp->rp->Partition);
            if (lerr != SAMSA_OK) {
                fp->fixed_err = lerr; /* consumers read from the leader */
            }
            ctx->settling |= lerr == SAMSA_ERR_LEADER_NOT_AVAILABLE &&
                             ctx->replica_id < 0 &&
                             samsa_cluster_leader_settling(req->broker, tname,
                                                           fp->rp->Partition);
            if (fp->fixed_err != SAMSA_OK) {
                fp->part = NULL;
            }
        }
        samsa_topic_put(topic);
    }
    return SAMSA_OK;
}

void samsa_handle_fetch(samsa_req_t *req)
{
    fetch_ctx_t *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        samsa_req_close(req);
        return;
    }
    atomic_store(&ctx->refs, 1);
    ctx->req = req;
    ctx->freq = req->body;
    ctx->replica_id = req->api_version >= 15 ? ctx->freq->ReplicaState.ReplicaId
                                             : ctx->freq->ReplicaId;
    /* In-process requests (samsa_broker_call) have no reactor to wait on. */
    ctx->reactor = req->conn ? samsa_conn_reactor(req->conn) : NULL;
    ctx->resp = samsa_req_alloc(req, sizeof(*ctx->resp));
    samsa_FetchResponse_init(ctx->resp);
    ctx->resp->SessionId = 0;
    if (req->api_version >= 7 && ctx->freq->SessionId != 0) {
        ctx->resp->ErrorCode = SAMSA_ERR_FETCH_SESSION_ID_NOT_FOUND;
        SAMSA_REQ_ARRAY(req, ctx->resp->Responses, 0);
        finish(ctx);
        return;
    }
    samsa_err_t err = resolve(ctx);
    if (err != SAMSA_OK || (ctx->settling && samsa_req_settle(req))) {
        ctx->done = true;
        if (err != SAMSA_OK) {
            samsa_req_close(req);
        }
        ctx->req = NULL;
        ctx_unref(ctx);
        return;
    }
    attempt(ctx, false);
}
