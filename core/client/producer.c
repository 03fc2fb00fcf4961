/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/producer.c - batching producer.
 *
 * Records accumulate per partition in a record batch builder. A batch is
 * closed when it reaches batch_size, when its first record is linger_ms
 * old, or on flush; closed batches are compressed with the configured codec
 * and sent to the partition leader, one batch per partition per request,
 * with up to max_in_flight requests outstanding per broker. Retriable
 * errors (leader moved, topic still being created) refresh the metadata
 * and resend the batch, up to 5 times; with more than one request in
 * flight a retried batch may land after a later one.
 *
 * With a transactional.id the producer is transactional (KIP-98): batches
 * carry its producer id, epoch and a sequence number per partition, are
 * marked transactional, one request is in flight per broker (a retried
 * batch keeps its place), and each partition joins the open transaction
 * (AddPartitionsToTxn) before its first batch is sent.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_int.h"
#include "record/batch.h"
#include "record/builder.h"
#include "registry/registry.h"
#include "util/err.h"
#include "util/clock.h"

#define MAX_RETRIES 5

typedef struct pbatch {
    struct ptopic *topic;
    int32_t partition;
    uint8_t *buf;
    size_t len;
    int32_t count;
    int64_t *enq_us; /* produce() time of each record */
    int retries;
    struct pbatch *next;
} pbatch_t;

typedef struct ppart {
    samsa_batch_builder_t b;
    int64_t first_us;
    int64_t *enq;
    int32_t nenq, capenq;
    int32_t next_seq; /* transactional: the next batch's base sequence */
    bool in_txn;      /* transactional: added to the open transaction */
} ppart_t;

typedef struct ptopic {
    char *name;
    int32_t npart;
    int32_t *leaders;
    int32_t *avail;
    int32_t navail;
    ppart_t *parts;
} ptopic_t;

typedef struct preq {
    int32_t node;
    pbatch_t *batches;
    struct preq *next;
} preq_t;

struct samsa_producer {
    samsa_client_t *c;
    samsa_producer_conf_t conf;
    ptopic_t **topics;
    int ntopics;
    pbatch_t *ready, *ready_tail;
    preq_t *reqs, *reqs_tail; /* in flight, oldest first */
    samsa_arena_t arena;
    samsa_err_t first_err;
    int64_t acked, failed;
    bool need_metadata;
    int32_t last_partition; /* of the last record queued */
    /* Transactional producers only (txn_id != NULL). */
    char *txn_id;
    int64_t pid;
    int16_t epoch;
    bool in_txn; /* between begin and commit/abort */
};

void samsa_producer_conf_init(samsa_producer_conf_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->acks = -1;
    conf->linger_ms = 5;
    conf->batch_size = 64 * 1024;
    conf->codec = 0;
    conf->max_in_flight = 5;
    conf->request_timeout_ms = 30000;
    conf->auto_create = true;
}

samsa_err_t samsa_producer_new(samsa_client_t *c,
                               const samsa_producer_conf_t *conf,
                               samsa_producer_t **out)
{
    samsa_producer_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    p->c = c;
    p->conf = *conf;
    if (p->conf.max_in_flight < 1) {
        p->conf.max_in_flight = 1;
    }
    if (p->conf.max_in_flight > SAMSA_CONN_MAX_INFLIGHT / 2) {
        p->conf.max_in_flight = SAMSA_CONN_MAX_INFLIGHT / 2;
    }
    p->pid = -1;
    p->epoch = -1;
    if (conf->transactional_id != NULL) {
        /* In order: a retried batch must not land after a later one,
         * whose sequence would then be out of order. */
        p->conf.max_in_flight = 1;
        p->conf.acks = -1;
        if (p->conf.transaction_timeout_ms <= 0) {
            p->conf.transaction_timeout_ms = 60000;
        }
        p->txn_id = strdup(conf->transactional_id);
        if (p->txn_id == NULL) {
            free(p);
            return SAMSA_ERR_NOMEM;
        }
        p->conf.transactional_id = p->txn_id;
    }
    samsa_arena_init(&p->arena);
    *out = p;
    return SAMSA_OK;
}

static void batch_free(pbatch_t *b)
{
    free(b->buf);
    free(b->enq_us);
    free(b);
}

void samsa_producer_on_delivery(samsa_producer_t *p,
                                void (*on_delivery)(void *, samsa_err_t,
                                                    const char *, int32_t,
                                                    int64_t, int64_t),
                                void *opaque)
{
    p->conf.on_delivery = on_delivery;
    p->conf.opaque = opaque;
}

int32_t samsa_producer_last_partition(const samsa_producer_t *p)
{
    return p->last_partition;
}

void samsa_producer_free(samsa_producer_t *p)
{
    if (p == NULL) {
        return;
    }
    for (pbatch_t *b = p->ready, *n; b != NULL; b = n) {
        n = b->next;
        batch_free(b);
    }
    for (preq_t *r = p->reqs, *rn; r != NULL; r = rn) {
        rn = r->next;
        for (pbatch_t *b = r->batches, *n; b != NULL; b = n) {
            n = b->next;
            batch_free(b);
        }
        free(r);
    }
    for (int i = 0; i < p->ntopics; i++) {
        ptopic_t *t = p->topics[i];
        for (int32_t k = 0; k < t->npart; k++) {
            samsa_batch_builder_free(&t->parts[k].b);
            free(t->parts[k].enq);
        }
        free(t->parts);
        free(t->leaders);
        free(t->avail);
        free(t->name);
        free(t);
    }
    free(p->topics);
    free(p->txn_id);
    samsa_arena_destroy(&p->arena);
    free(p);
}

void samsa_producer_stats(const samsa_producer_t *p, int64_t *records_acked,
                          int64_t *records_failed)
{
    *records_acked = p->acked;
    *records_failed = p->failed;
}

/* ------------------------------------------------------------ metadata */

/* Refresh leaders of topic t (creating its partition state on first use);
 * waits up to ~5 s for a new topic to get leaders. */
static samsa_err_t refresh_topic(samsa_producer_t *p, ptopic_t *t)
{
    samsa_err_t err = SAMSA_OK;
    const char *name = t->name;

    for (int attempt = 0; attempt < 50; attempt++) {
        samsa_metadata_t *md = NULL;
        err = samsa_client_metadata(p->c, &name, 1, p->conf.auto_create, &md);
        if (err != SAMSA_OK) {
            return err;
        }
        const samsa_md_topic_t *mt = samsa_metadata_topic(md, name);
        int16_t ec =
            mt == NULL ? SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION : mt->error;
        bool ok = ec == 0 && mt->npartitions > 0;
        if (ok && t->npart == 0) {
            t->npart = mt->npartitions;
            t->parts = calloc((size_t)t->npart, sizeof(*t->parts));
            t->leaders = calloc((size_t)t->npart, sizeof(int32_t));
            t->avail = calloc((size_t)t->npart, sizeof(int32_t));
            if (t->parts == NULL || t->leaders == NULL || t->avail == NULL) {
                samsa_metadata_free(md);
                return SAMSA_ERR_NOMEM;
            }
            for (int32_t k = 0; k < t->npart; k++) {
                samsa_batch_builder_init(&t->parts[k].b);
            }
        }
        if (ok) {
            t->navail = 0;
            for (int32_t k = 0; k < t->npart; k++) {
                t->leaders[k] = -1;
            }
            for (int32_t k = 0; k < mt->npartitions; k++) {
                const samsa_md_partition_t *mp = &mt->partitions[k];
                if (mp->id >= 0 && mp->id < t->npart) {
                    t->leaders[mp->id] = mp->leader;
                }
            }
            for (int32_t k = 0; k < t->npart; k++) {
                if (t->leaders[k] >= 0) {
                    t->avail[t->navail++] = k;
                }
            }
            ok = t->navail == t->npart;
        }
        samsa_metadata_free(md);
        if (ok) {
            return SAMSA_OK;
        }
        if (ec != 0 && ec != SAMSA_ERR_LEADER_NOT_AVAILABLE &&
            !(ec == SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION &&
              p->conf.auto_create)) {
            return samsa_client_fail(p->c, (samsa_err_t)ec, "topic %s: %s",
                                     name, samsa_err_name(ec));
        }
        err = samsa_client_fail(
            p->c, ec != 0 ? (samsa_err_t)ec : SAMSA_ERR_LEADER_NOT_AVAILABLE,
            "topic %s: %s", name,
            ec != 0 ? samsa_err_name(ec) : "partitions without a leader");
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
    return err;
}

static samsa_err_t find_topic(samsa_producer_t *p, const char *name,
                              ptopic_t **out)
{
    for (int i = 0; i < p->ntopics; i++) {
        if (strcmp(p->topics[i]->name, name) == 0) {
            *out = p->topics[i];
            return SAMSA_OK;
        }
    }
    ptopic_t **v = realloc(p->topics, sizeof(*v) * (size_t)(p->ntopics + 1));
    ptopic_t *t = calloc(1, sizeof(*t));
    if (v == NULL || t == NULL) {
        free(t);
        if (v != NULL) {
            p->topics = v;
        }
        return SAMSA_ERR_NOMEM;
    }
    p->topics = v;
    t->name = strdup(name);
    if (t->name == NULL) {
        free(t);
        return SAMSA_ERR_NOMEM;
    }
    p->topics[p->ntopics++] = t;
    samsa_err_t err = refresh_topic(p, t);
    if (err == SAMSA_OK) {
        *out = t;
    }
    return err;
}

static samsa_err_t refresh_all(samsa_producer_t *p)
{
    for (int i = 0; i < p->ntopics; i++) {
        samsa_err_t err = refresh_topic(p, p->topics[i]);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    p->need_metadata = false;
    return SAMSA_OK;
}

/* ------------------------------------------------------------ batches */

static void deliver(samsa_producer_t *p, pbatch_t *b, samsa_err_t err,
                    int64_t base)
{
    int64_t now = samsa_mono_us();
    if (err != SAMSA_OK) {
        p->failed += b->count;
        if (p->first_err == SAMSA_OK) {
            p->first_err = err;
            samsa_client_fail(p->c, err, "produce to %s/%d: %s", b->topic->name,
                              b->partition, samsa_err_str(err));
        }
    } else {
        p->acked += b->count;
    }
    if (p->conf.on_delivery == NULL) {
        return;
    }
    for (int32_t i = 0; i < b->count; i++) {
        p->conf.on_delivery(p->conf.opaque, err, b->topic->name, b->partition,
                            base >= 0 ? base + i : -1, now - b->enq_us[i]);
    }
}

/* Replace the records section of an uncompressed batch with its
 * compressed form. */
static samsa_err_t compress_batch(samsa_producer_t *p, pbatch_t *b)
{
    const samsa_codec_ops_t *ops = p->conf.codec_ops;
    void *z = NULL;
    size_t zlen = 0;
    samsa_err_t err;

    if (ops == NULL) {
        return samsa_client_fail(p->c, SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE,
                                 "no codec plugin for codec %d", p->conf.codec);
    }
    err = ops->compress(p->conf.codec_state, b->buf + SAMSA_BATCH_HEADER_SIZE,
                        b->len - SAMSA_BATCH_HEADER_SIZE, &z, &zlen);
    if (err != SAMSA_OK) {
        return samsa_client_fail(p->c, err, "compress: %s", samsa_err_str(err));
    }
    uint8_t *nb = malloc(SAMSA_BATCH_HEADER_SIZE + zlen);
    if (nb == NULL) {
        samsa_services()->free(z);
        return SAMSA_ERR_NOMEM;
    }
    memcpy(nb, b->buf, SAMSA_BATCH_HEADER_SIZE);
    memcpy(nb + SAMSA_BATCH_HEADER_SIZE, z, zlen);
    samsa_services()->free(z);
    size_t total = SAMSA_BATCH_HEADER_SIZE + zlen;
    int16_t attr = (int16_t)samsa_be16(nb + SAMSA_BATCH_OFF_ATTRIBUTES);
    attr = (int16_t)((attr & ~SAMSA_BATCH_ATTR_CODEC_MASK) |
                     (p->conf.codec & SAMSA_BATCH_ATTR_CODEC_MASK));
    samsa_put_be16(nb + SAMSA_BATCH_OFF_ATTRIBUTES, (uint16_t)attr);
    samsa_put_be32(nb + SAMSA_BATCH_OFF_LENGTH,
                   (uint32_t)(total - SAMSA_BATCH_LOG_OVERHEAD));
    samsa_batch_hdr_t h;
    err = samsa_batch_parse(nb, total, &h);
    if (err != SAMSA_OK) {
        free(nb);
        return err;
    }
    samsa_batch_crc_update(nb, &h);
    free(b->buf);
    b->buf = nb;
    b->len = total;
    return SAMSA_OK;
}

static samsa_err_t close_batch(samsa_producer_t *p, ptopic_t *t, int32_t k)
{
    ppart_t *pp = &t->parts[k];
    pbatch_t *b;
    samsa_err_t err;

    if (pp->b.count == 0) {
        return SAMSA_OK;
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    b->topic = t;
    b->partition = k;
    b->count = pp->b.count;
    b->enq_us = pp->enq;
    pp->enq = NULL;
    pp->nenq = pp->capenq = 0;
    if (p->txn_id != NULL) {
        pp->b.producer_id = p->pid;
        pp->b.producer_epoch = p->epoch;
        pp->b.base_sequence = pp->next_seq;
        pp->b.attributes |= SAMSA_BATCH_ATTR_TRANSACTIONAL;
        /* Kafka's sequences wrap to 0 after INT32_MAX. */
        pp->next_seq =
            (int32_t)(((int64_t)pp->next_seq + b->count) % ((int64_t)1 << 31));
    }
    err = samsa_batch_builder_finish(&pp->b, &b->buf, &b->len);
    if (err == SAMSA_OK && p->conf.codec != 0) {
        err = compress_batch(p, b);
    }
    if (err != SAMSA_OK) {
        deliver(p, b, err, -1);
        batch_free(b);
        return err;
    }
    if (p->conf.partitioner != NULL && p->conf.partitioner->batch_done) {
        p->conf.partitioner->batch_done(p->conf.partitioner_state, t->name, k,
                                        b->len);
    }
    if (p->ready_tail != NULL) {
        p->ready_tail->next = b;
    } else {
        p->ready = b;
    }
    p->ready_tail = b;
    return SAMSA_OK;
}

/* ------------------------------------------------------------ requests */

static void requeue(samsa_producer_t *p, pbatch_t *b)
{
    b->next = p->ready;
    p->ready = b;
    if (p->ready_tail == NULL) {
        p->ready_tail = b;
    }
}

static bool retriable(int16_t ec)
{
    return ec == SAMSA_ERR_NOT_LEADER_OR_FOLLOWER ||
           ec == SAMSA_ERR_LEADER_NOT_AVAILABLE ||
           ec == SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
           ec == SAMSA_ERR_REQUEST_TIMED_OUT ||
           ec == SAMSA_ERR_NOT_ENOUGH_REPLICAS ||
           ec == SAMSA_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND ||
           ec == SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

static void finish_batch(samsa_producer_t *p, pbatch_t *b, int16_t ec,
                         int64_t base)
{
    if (ec != 0 && retriable(ec) && b->retries < MAX_RETRIES) {
        b->retries++;
        p->need_metadata = true;
        requeue(p, b);
        return;
    }
    deliver(p, b, (samsa_err_t)ec, base);
    batch_free(b);
}

static samsa_err_t handle_response(samsa_producer_t *p, preq_t *r,
                                   const samsa_ProduceResponse_t *resp)
{
    pbatch_t *b = r->batches;
    while (b != NULL) {
        pbatch_t *next = b->next;
        int16_t ec = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        int64_t base = -1;
        b->next = NULL;
        for (int32_t i = 0; resp != NULL && i < resp->Responses.count; i++) {
            const samsa_ProduceResponse_TopicProduceResponse_t *tr =
                &resp->Responses.items[i];
            if (!samsa_str_eq_cstr(tr->Name, b->topic->name)) {
                continue;
            }
            for (int32_t k = 0; k < tr->PartitionResponses.count; k++) {
                if (tr->PartitionResponses.items[k].Index == b->partition) {
                    ec = tr->PartitionResponses.items[k].ErrorCode;
                    base = tr->PartitionResponses.items[k].BaseOffset;
                }
            }
        }
        if (resp == NULL) {
            ec = 0; /* acks=0 */
        }
        finish_batch(p, b, ec, base);
        b = next;
    }
    r->batches = NULL;
    return SAMSA_OK;
}

/* Receive the oldest response of @p node. */
static samsa_err_t recv_one(samsa_producer_t *p, int32_t node)
{
    preq_t *r = p->reqs, *prev = NULL;
    void *resp = NULL;
    samsa_err_t err;

    while (r != NULL && r->node != node) {
        prev = r;
        r = r->next;
    }
    if (r == NULL) {
        return SAMSA_OK;
    }
    samsa_arena_reset(&p->arena);
    err = samsa_client_recv(p->c, node, &p->arena, NULL, &resp, NULL);
    if (prev != NULL) {
        prev->next = r->next;
    } else {
        p->reqs = r->next;
    }
    if (p->reqs_tail == r) {
        p->reqs_tail = prev;
    }
    if (err != SAMSA_OK) {
        /* connection lost: every batch of this request is retried */
        for (pbatch_t *b = r->batches, *n; b != NULL; b = n) {
            n = b->next;
            b->next = NULL;
            finish_batch(p, b, SAMSA_ERR_REQUEST_TIMED_OUT, -1);
        }
        r->batches = NULL;
    } else {
        handle_response(p, r, resp);
    }
    free(r);
    return SAMSA_OK;
}

/* Take from the ready list every batch led by @p node, one per partition. */
static pbatch_t *take_for_node(samsa_producer_t *p, int32_t node)
{
    pbatch_t *took = NULL, *took_tail = NULL;
    pbatch_t **pp = &p->ready;
    p->ready_tail = NULL;
    while (*pp != NULL) {
        pbatch_t *b = *pp;
        bool dup = false;
        for (pbatch_t *x = took; x != NULL; x = x->next) {
            dup |= x->topic == b->topic && x->partition == b->partition;
        }
        if (b->topic->leaders[b->partition] == node && !dup) {
            *pp = b->next;
            b->next = NULL;
            if (took_tail != NULL) {
                took_tail->next = b;
            } else {
                took = b;
            }
            took_tail = b;
        } else {
            p->ready_tail = b;
            pp = &b->next;
        }
    }
    return took;
}

static samsa_err_t send_request(samsa_producer_t *p, int32_t node,
                                pbatch_t *batches)
{
    int n = 0;
    for (pbatch_t *b = batches; b != NULL; b = b->next) {
        n++;
    }
    samsa_ProduceRequest_TopicProduceData_t *td =
        calloc((size_t)n, sizeof(*td));
    samsa_ProduceRequest_PartitionProduceData_t *pd =
        calloc((size_t)n, sizeof(*pd));
    preq_t *r = calloc(1, sizeof(*r));
    samsa_ProduceRequest_t req;
    int nt = 0, np = 0;
    samsa_err_t err;

    if (td == NULL || pd == NULL || r == NULL) {
        free(td);
        free(pd);
        free(r);
        return SAMSA_ERR_NOMEM;
    }
    samsa_ProduceRequest_init(&req);
    if (p->txn_id != NULL) {
        req.TransactionalId = samsa_str_from_cstr(p->txn_id);
    }
    req.Acks = p->conf.acks;
    req.TimeoutMs = p->conf.request_timeout_ms;
    /* group partitions of the same topic together (batches are in
     * arbitrary order, so sort by topic with a simple pass per topic) */
    for (pbatch_t *b = batches; b != NULL; b = b->next) {
        bool seen = false;
        for (int i = 0; i < nt; i++) {
            seen |= samsa_str_eq_cstr(td[i].Name, b->topic->name);
        }
        if (seen) {
            continue;
        }
        samsa_ProduceRequest_TopicProduceData_init(&td[nt]);
        td[nt].Name = samsa_str_from_cstr(b->topic->name);
        td[nt].PartitionData.items = &pd[np];
        for (pbatch_t *x = b; x != NULL; x = x->next) {
            if (x->topic != b->topic) {
                continue;
            }
            samsa_ProduceRequest_PartitionProduceData_init(&pd[np]);
            pd[np].Index = x->partition;
            pd[np].Records.ptr = x->buf;
            pd[np].Records.len = (int32_t)x->len;
            np++;
            td[nt].PartitionData.count++;
        }
        nt++;
    }
    req.TopicData.count = nt;
    req.TopicData.items = td;
    err = samsa_client_send(p->c, node, SAMSA_API_PRODUCE, &req);
    free(td);
    free(pd);
    r->node = node;
    r->batches = batches;
    if (err != SAMSA_OK) {
        for (pbatch_t *b = batches, *nx; b != NULL; b = nx) {
            nx = b->next;
            b->next = NULL;
            finish_batch(p, b, SAMSA_ERR_REQUEST_TIMED_OUT, -1);
        }
        free(r);
        return SAMSA_OK;
    }
    if (p->conf.acks == 0) {
        samsa_client_drop_last(p->c, node);
        handle_response(p, r, NULL);
        free(r);
        return SAMSA_OK;
    }
    if (p->reqs_tail != NULL) {
        p->reqs_tail->next = r;
    } else {
        p->reqs = r;
    }
    p->reqs_tail = r;
    return SAMSA_OK;
}

/* Send every ready batch. */
static samsa_err_t send_ready(samsa_producer_t *p)
{
    samsa_err_t err;

    if (p->need_metadata && (err = refresh_all(p)) != SAMSA_OK) {
        /* fail what is ready: nothing can be sent without leaders */
        while (p->ready != NULL) {
            pbatch_t *b = p->ready;
            p->ready = b->next;
            b->next = NULL;
            deliver(p, b, err, -1);
            batch_free(b);
        }
        p->ready_tail = NULL;
        return err;
    }
    while (p->ready != NULL) {
        pbatch_t *first = p->ready;
        int32_t node = first->topic->leaders[first->partition];
        if (node < 0) {
            p->ready = first->next;
            if (p->ready == NULL) {
                p->ready_tail = NULL;
            }
            first->next = NULL;
            finish_batch(p, first, SAMSA_ERR_LEADER_NOT_AVAILABLE, -1);
            if (p->need_metadata && (err = refresh_all(p)) != SAMSA_OK) {
                return err;
            }
            continue;
        }
        while (samsa_client_in_flight(p->c, node) >= p->conf.max_in_flight) {
            recv_one(p, node);
        }
        pbatch_t *batches = take_for_node(p, node);
        if ((err = send_request(p, node, batches)) != SAMSA_OK) {
            return err;
        }
        if (p->need_metadata && (err = refresh_all(p)) != SAMSA_OK) {
            return err;
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_producer_poll(samsa_producer_t *p)
{
    int64_t now = samsa_mono_us();
    int64_t linger = (int64_t)p->conf.linger_ms * 1000;
    samsa_err_t err;

    for (int i = 0; i < p->ntopics; i++) {
        ptopic_t *t = p->topics[i];
        for (int32_t k = 0; k < t->npart; k++) {
            if (t->parts[k].b.count > 0 &&
                now - t->parts[k].first_us >= linger &&
                (err = close_batch(p, t, k)) != SAMSA_OK) {
                return err;
            }
        }
    }
    if (p->ready != NULL) {
        send_ready(p);
    }
    return p->first_err;
}

samsa_err_t samsa_producer_flush(samsa_producer_t *p)
{
    for (int i = 0; i < p->ntopics; i++) {
        ptopic_t *t = p->topics[i];
        for (int32_t k = 0; k < t->npart; k++) {
            close_batch(p, t, k);
        }
    }
    while (p->ready != NULL || p->reqs != NULL) {
        if (p->ready != NULL) {
            send_ready(p);
        }
        if (p->reqs != NULL) {
            recv_one(p, p->reqs->node);
        }
    }
    return p->first_err;
}

/* ------------------------------------------------------------ transactions */

/* Wait for every request in flight (a coordinator call needs the
 * connection to itself). */
static void drain(samsa_producer_t *p)
{
    while (p->reqs != NULL) {
        recv_one(p, p->reqs->node);
    }
}

/* AddPartitionsToTxn before the partition's first batch of the
 * transaction is sent. */
static samsa_err_t join_txn(samsa_producer_t *p, ptopic_t *t, int32_t k)
{
    drain(p);
    samsa_err_t err = samsa_client_add_partition_to_txn(p->c, p->txn_id, p->pid,
                                                        p->epoch, t->name, k);
    if (err == SAMSA_OK) {
        t->parts[k].in_txn = true;
    }
    return err;
}

static void txn_done(samsa_producer_t *p)
{
    p->in_txn = false;
    for (int i = 0; i < p->ntopics; i++) {
        for (int32_t k = 0; k < p->topics[i]->npart; k++) {
            p->topics[i]->parts[k].in_txn = false;
        }
    }
}

samsa_err_t samsa_producer_init_transactions(samsa_producer_t *p)
{
    if (p->txn_id == NULL) {
        return samsa_client_fail(p->c, SAMSA_ERR_INVAL,
                                 "not a transactional producer");
    }
    drain(p);
    samsa_err_t err = samsa_client_init_producer_id(
        p->c, p->txn_id, p->conf.transaction_timeout_ms, &p->pid, &p->epoch);
    if (err == SAMSA_OK) {
        /* A new epoch starts every partition's sequences at 0. */
        for (int i = 0; i < p->ntopics; i++) {
            for (int32_t k = 0; k < p->topics[i]->npart; k++) {
                p->topics[i]->parts[k].next_seq = 0;
            }
        }
        txn_done(p);
    }
    return err;
}

samsa_err_t samsa_producer_begin_transaction(samsa_producer_t *p)
{
    if (p->txn_id == NULL || p->pid < 0 || p->in_txn) {
        return samsa_client_fail(
            p->c, SAMSA_ERR_INVALID_TXN_STATE, "begin a transaction: %s",
            p->in_txn ? "one is open" : "transactions not initialised");
    }
    p->in_txn = true;
    return SAMSA_OK;
}

samsa_err_t samsa_producer_commit_transaction(samsa_producer_t *p)
{
    if (p->txn_id == NULL || !p->in_txn) {
        return samsa_client_fail(p->c, SAMSA_ERR_INVALID_TXN_STATE,
                                 "commit: no transaction is open");
    }
    samsa_err_t err = samsa_producer_flush(p);
    bool joined = false;
    for (int i = 0; i < p->ntopics && !joined; i++) {
        for (int32_t k = 0; k < p->topics[i]->npart; k++) {
            joined |= p->topics[i]->parts[k].in_txn;
        }
    }
    if (err == SAMSA_OK && joined) {
        /* Nothing produced: nothing for the coordinator to end. */
        err = samsa_client_end_txn(p->c, p->txn_id, p->pid, p->epoch, true);
    }
    if (err == SAMSA_OK) {
        txn_done(p);
    }
    return err;
}

samsa_err_t samsa_producer_abort_transaction(samsa_producer_t *p)
{
    if (p->txn_id == NULL || !p->in_txn) {
        return samsa_client_fail(p->c, SAMSA_ERR_INVALID_TXN_STATE,
                                 "abort: no transaction is open");
    }
    /* What was never sent is dropped; what is in flight is waited for,
     * so no batch of this transaction lands after the abort marker. */
    bool joined = false;
    for (int i = 0; i < p->ntopics; i++) {
        ptopic_t *t = p->topics[i];
        for (int32_t k = 0; k < t->npart; k++) {
            samsa_batch_builder_free(&t->parts[k].b);
            free(t->parts[k].enq);
            t->parts[k].enq = NULL;
            t->parts[k].nenq = t->parts[k].capenq = 0;
            joined |= t->parts[k].in_txn;
        }
    }
    bool dropped = p->ready != NULL;
    while (p->ready != NULL) {
        pbatch_t *b = p->ready;
        p->ready = b->next;
        batch_free(b);
    }
    p->ready_tail = NULL;
    drain(p);
    samsa_err_t err =
        joined ? samsa_client_end_txn(p->c, p->txn_id, p->pid, p->epoch, false)
               : SAMSA_OK;
    if (err == SAMSA_OK) {
        txn_done(p);
    }
    if (err == SAMSA_OK && dropped) {
        /* The dropped batches had sequence numbers: a new epoch starts
         * the sequences again (KIP-360's bump). */
        err = samsa_producer_init_transactions(p);
    }
    return err;
}

static samsa_err_t choose_partition(samsa_producer_t *p, ptopic_t *t,
                                    const void *key, int32_t key_len,
                                    const void *value, int32_t value_len,
                                    int32_t *out)
{
    if (p->conf.partitioner == NULL) {
        return samsa_client_fail(p->c, SAMSA_ERR_INVAL,
                                 "no partitioner and no partition given");
    }
    samsa_partition_input_t in = {
        .hdr = SAMSA_ABI_HEADER(samsa_partition_input_t),
        .topic = t->name,
        .key = key,
        .value = value,
        .key_len = key != NULL ? (uint64_t)key_len : 0,
        .value_len = value != NULL ? (uint64_t)value_len : 0,
        .partition_count = t->npart,
        .available_count = t->navail,
        .available = t->avail,
    };
    samsa_err_t err =
        p->conf.partitioner->partition(p->conf.partitioner_state, &in, out);
    if (err != SAMSA_OK || *out < 0 || *out >= t->npart) {
        return samsa_client_fail(p->c, err != SAMSA_OK ? err : SAMSA_ERR_INVAL,
                                 "partitioner failed for topic %s", t->name);
    }
    return SAMSA_OK;
}

samsa_err_t samsa_producer_produce(samsa_producer_t *p, const char *topic,
                                   int32_t partition, const void *key,
                                   int32_t key_len, const void *value,
                                   int32_t value_len,
                                   const samsa_client_header_t *headers,
                                   size_t nheaders, int64_t timestamp)
{
    ptopic_t *t = NULL;
    samsa_record_header_t hs[64];
    samsa_err_t err = find_topic(p, topic, &t);

    if (err != SAMSA_OK) {
        return err;
    }
    if (p->txn_id != NULL && !p->in_txn) {
        return samsa_client_fail(p->c, SAMSA_ERR_INVALID_TXN_STATE,
                                 "a transactional producer produces only in "
                                 "a transaction");
    }
    if (partition < 0) {
        err =
            choose_partition(p, t, key, key_len, value, value_len, &partition);
        if (err != SAMSA_OK) {
            return err;
        }
    } else if (partition >= t->npart) {
        return samsa_client_fail(p->c, SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION,
                                 "topic %s has %d partitions, no partition %d",
                                 topic, t->npart, partition);
    }
    if (nheaders > 64) {
        return samsa_client_fail(p->c, SAMSA_ERR_INVAL,
                                 "at most 64 headers per record");
    }
    for (size_t i = 0; i < nheaders; i++) {
        hs[i].key = (const uint8_t *)headers[i].key;
        hs[i].key_len = (int32_t)headers[i].key_len;
        hs[i].value = headers[i].value;
        hs[i].value_len =
            headers[i].value != NULL ? (int32_t)headers[i].value_len : -1;
    }
    ppart_t *pp = &t->parts[partition];
    if (p->txn_id != NULL && !pp->in_txn) {
        err = join_txn(p, t, partition);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    if (pp->nenq == pp->capenq) {
        int32_t cap = pp->capenq ? pp->capenq * 2 : 64;
        int64_t *v = realloc(pp->enq, sizeof(int64_t) * (size_t)cap);
        if (v == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        pp->enq = v;
        pp->capenq = cap;
    }
    int64_t now = samsa_mono_us();
    if (pp->b.count == 0) {
        pp->first_us = now;
    }
    err = samsa_batch_builder_add(
        &pp->b, timestamp >= 0 ? timestamp : samsa_wall_ms(), key,
        key != NULL ? key_len : -1, value, value != NULL ? value_len : -1,
        nheaders ? hs : NULL, nheaders);
    if (err != SAMSA_OK) {
        return samsa_client_fail(p->c, err, "add record: %s",
                                 samsa_err_str(err));
    }
    pp->enq[pp->nenq++] = now;
    p->last_partition = partition;
    if (pp->b.len >= p->conf.batch_size) {
        if ((err = close_batch(p, t, partition)) != SAMSA_OK) {
            return err;
        }
    }
    samsa_producer_poll(p);
    return p->first_err;
}
