/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/fetch.c - one Fetch round over a set of partitions, with
 * decompression through codec plugins and record iteration.
 */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "record/batch.h"
#include "records_v2.h"
#include "registry/registry.h"
#include "util/err.h"

#define MAX_DECOMPRESSED (256u << 20)

void samsa_fetch_conf_init(samsa_fetch_conf_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->max_wait_ms = 500;
    conf->min_bytes = 1;
    conf->max_bytes = 50 << 20;
    conf->partition_max_bytes = 1 << 20;
}

static int32_t leader_of(const samsa_metadata_t *md, const char *topic,
                         int32_t partition)
{
    const samsa_md_topic_t *t = samsa_metadata_topic(md, topic);
    for (int32_t i = 0; t != NULL && i < t->npartitions; i++) {
        if (t->partitions[i].id == partition) {
            return t->partitions[i].leader;
        }
    }
    return -1;
}

/* Decompress a batch into a malloc'd uncompressed copy. */
static samsa_err_t inflate_batch(samsa_client_t *c,
                                 const samsa_fetch_conf_t *conf,
                                 const uint8_t *batch,
                                 const samsa_batch_hdr_t *h, uint8_t **out,
                                 size_t *out_len)
{
    int codec = samsa_batch_codec(h);
    void *state = NULL;
    const samsa_codec_ops_t *ops =
        conf->codec != NULL ? conf->codec(conf->codec_arg, codec, &state)
                            : NULL;
    void *raw = NULL;
    size_t raw_len = 0;
    samsa_err_t err;

    if (ops == NULL) {
        return samsa_client_fail(c, SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE,
                                 "no codec plugin loaded for compression "
                                 "type %d",
                                 codec);
    }
    err = ops->decompress(state, batch + SAMSA_BATCH_HEADER_SIZE,
                          samsa_batch_size(h) - SAMSA_BATCH_HEADER_SIZE,
                          MAX_DECOMPRESSED, &raw, &raw_len);
    if (err != SAMSA_OK) {
        return samsa_client_fail(c, err, "decompress (codec %d): %s", codec,
                                 samsa_err_str(err));
    }
    uint8_t *b = malloc(SAMSA_BATCH_HEADER_SIZE + raw_len);
    if (b == NULL) {
        samsa_services()->free(raw);
        return SAMSA_ERR_NOMEM;
    }
    memcpy(b, batch, SAMSA_BATCH_HEADER_SIZE);
    memcpy(b + SAMSA_BATCH_HEADER_SIZE, raw, raw_len);
    samsa_services()->free(raw);
    samsa_put_be32(b + SAMSA_BATCH_OFF_LENGTH,
                   (uint32_t)(SAMSA_BATCH_HEADER_SIZE + raw_len -
                              SAMSA_BATCH_LOG_OVERHEAD));
    uint16_t attr = samsa_be16(b + SAMSA_BATCH_OFF_ATTRIBUTES);
    samsa_put_be16(b + SAMSA_BATCH_OFF_ATTRIBUTES,
                   (uint16_t)(attr & ~SAMSA_BATCH_ATTR_CODEC_MASK));
    *out = b;
    *out_len = SAMSA_BATCH_HEADER_SIZE + raw_len;
    return SAMSA_OK;
}

/* read_committed (Kafka's Fetcher): the producers whose transaction the
 * response lists as aborted, entered as their first offset is reached
 * and left at their abort marker. */
typedef struct aborted_set {
    samsa_FetchResponse_AbortedTransaction_t *todo; /* by FirstOffset */
    int32_t ntodo, next;
    int64_t *pids;
    int32_t npids;
} aborted_set_t;

static int by_first_offset(const void *a, const void *b)
{
    const samsa_FetchResponse_AbortedTransaction_t *x = a, *y = b;
    return x->FirstOffset < y->FirstOffset ? -1
                                           : x->FirstOffset > y->FirstOffset;
}

static samsa_err_t aborted_init(aborted_set_t *s,
                                const samsa_client_aborted_t *aborted)
{
    memset(s, 0, sizeof(*s));
    if (aborted == NULL || aborted->count <= 0) {
        return SAMSA_OK;
    }
    size_t n = (size_t)aborted->count;
    s->todo = malloc(n * sizeof(*s->todo));
    s->pids = malloc(n * sizeof(*s->pids));
    if (s->todo == NULL || s->pids == NULL) {
        free(s->todo);
        free(s->pids);
        return SAMSA_ERR_NOMEM;
    }
    memcpy(s->todo, aborted->items, n * sizeof(*s->todo));
    qsort(s->todo, n, sizeof(*s->todo), by_first_offset);
    s->ntodo = aborted->count;
    return SAMSA_OK;
}

static int32_t aborted_find(const aborted_set_t *s, int64_t pid)
{
    for (int32_t i = 0; i < s->npids; i++) {
        if (s->pids[i] == pid) {
            return i;
        }
    }
    return -1;
}

/* Should the batch with header @p h be skipped as part of an aborted
 * transaction? Control batches update the set and are always skipped. */
static bool aborted_skip(aborted_set_t *s, const samsa_batch_hdr_t *h,
                         const uint8_t *batch)
{
    if (s->ntodo == 0 || !(h->attributes & SAMSA_BATCH_ATTR_TRANSACTIONAL)) {
        return false;
    }
    int64_t last = samsa_batch_last_offset(h);
    while (s->next < s->ntodo && s->todo[s->next].FirstOffset <= last) {
        int64_t pid = s->todo[s->next++].ProducerId;
        if (aborted_find(s, pid) < 0) {
            s->pids[s->npids++] = pid;
        }
    }
    int32_t at = aborted_find(s, h->producer_id);
    if (!(h->attributes & SAMSA_BATCH_ATTR_CONTROL)) {
        return at >= 0;
    }
    /* A control record's key: version (int16), type (int16: 0 abort). */
    samsa_record_iter_t it;
    samsa_record_t r;
    if (at >= 0 &&
        samsa_record_iter_init(&it, batch, samsa_batch_size(h)) == SAMSA_OK &&
        samsa_record_iter_next(&it, &r) == SAMSA_OK && r.key_len >= 4 &&
        samsa_be16((const uint8_t *)r.key + 2) == 0) {
        s->pids[at] = s->pids[--s->npids];
    }
    return true;
}

int samsa_client_deliver_records(
    samsa_client_t *c, const samsa_fetch_conf_t *conf, samsa_fetch_pos_t *pos,
    const samsa_records_t *recs, const samsa_client_aborted_t *aborted,
    samsa_record_cb cb, void *opaque, samsa_err_t *err)
{
    samsa_batch_iter_t bi;
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    aborted_set_t as;

    if (recs->len <= 0) {
        return 0;
    }
    if ((*err = aborted_init(&as, aborted)) != SAMSA_OK) {
        return -1;
    }
    int ret = 0;
    samsa_batch_iter_init(&bi, recs->ptr, (size_t)recs->len);
    while (samsa_batch_iter_next(&bi, &batch, &h) == SAMSA_OK) {
        uint8_t *plain = NULL;
        size_t plain_len = samsa_batch_size(&h);
        const uint8_t *use = batch;
        samsa_record_iter_t it;
        samsa_record_t r;
        int stop = 0;

        /* The broker's bytes are untrusted: offsets past INT64_MAX would
         * make the next position wrap (and the sums below overflow). */
        if (!samsa_batch_offsets_ok(&h)) {
            *err = samsa_client_fail(c, SAMSA_ERR_CORRUPT_MESSAGE,
                                     "%s/%d: record batch offsets out of "
                                     "range (base %lld, last delta %d)",
                                     pos->topic, pos->partition,
                                     (long long)h.base_offset,
                                     (int)h.last_offset_delta);
            ret = -1;
            break;
        }
        int64_t last = samsa_batch_last_offset(&h);
        if (last < pos->offset) {
            continue;
        }
        if (aborted_skip(&as, &h, batch) ||
            (h.attributes & SAMSA_BATCH_ATTR_CONTROL)) {
            pos->offset = last + 1;
            continue;
        }
        if (samsa_batch_codec(&h) != 0) {
            *err = inflate_batch(c, conf, batch, &h, &plain, &plain_len);
            if (*err != SAMSA_OK) {
                ret = -1;
                break;
            }
            use = plain;
        }
        *err = samsa_record_iter_init(&it, use, plain_len);
        while (*err == SAMSA_OK && !stop &&
               (*err = samsa_record_iter_next(&it, &r)) == SAMSA_OK) {
            if (r.offset < pos->offset) {
                continue;
            }
            if (r.offset > last) { /* a record outside its batch */
                *err = SAMSA_ERR_CORRUPT_MESSAGE;
                break;
            }
            samsa_client_record_t cr = {
                .topic = pos->topic,
                .partition = pos->partition,
                .offset = r.offset,
                .timestamp = (h.attributes & SAMSA_BATCH_ATTR_LOG_APPEND_TIME)
                                 ? h.max_timestamp
                                 : r.timestamp,
                .timestamp_type =
                    (h.attributes & SAMSA_BATCH_ATTR_LOG_APPEND_TIME) ? 1 : 0,
                .key = r.key,
                .key_len = r.key_len,
                .value = r.value,
                .value_len = r.value_len,
                .header_count = r.header_count,
                .headers = r.headers,
                .headers_len = r.headers_len,
            };
            pos->offset = r.offset + 1;
            stop = cb(opaque, &cr);
        }
        free(plain);
        if (*err == SAMSA_ERR_NOT_FOUND) {
            *err = SAMSA_OK;
            /* a batch may end with offsets compacted away */
            if (!stop && pos->offset < last + 1) {
                pos->offset = last + 1;
            }
        }
        if (*err != SAMSA_OK) {
            samsa_client_fail(c, *err,
                              "%s/%d: bad record batch at offset "
                              "%lld: %s",
                              pos->topic, pos->partition,
                              (long long)h.base_offset, samsa_err_str(*err));
            ret = -1;
            break;
        }
        if (stop) {
            ret = 1;
            break;
        }
    }
    free(as.todo);
    free(as.pids);
    return ret;
}

static samsa_err_t fetch_node(samsa_client_t *c, const samsa_fetch_conf_t *conf,
                              int32_t node, samsa_fetch_pos_t *pos,
                              const int32_t *leaders, int npos,
                              samsa_record_cb cb, void *opaque, bool *stopped)
{
    samsa_FetchRequest_t req;
    samsa_FetchRequest_FetchTopic_t *ft = calloc((size_t)npos, sizeof(*ft));
    samsa_FetchRequest_FetchPartition_t *fp = calloc((size_t)npos, sizeof(*fp));
    samsa_FetchResponse_t *resp = NULL;
    samsa_arena_t arena;
    int nt = 0, np = 0;
    samsa_err_t err = SAMSA_OK;

    samsa_arena_init(&arena);
    if (ft == NULL || fp == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    samsa_FetchRequest_init(&req);
    req.ReplicaId = -1;
    req.MaxWaitMs = conf->max_wait_ms;
    req.MinBytes = conf->min_bytes;
    req.MaxBytes = conf->max_bytes;
    req.IsolationLevel = conf->read_committed ? 1 : 0;
    for (int i = 0; i < npos; i++) {
        bool seen = false;
        if (leaders[i] != node) {
            continue;
        }
        for (int k = 0; k < nt; k++) {
            seen |= samsa_str_eq_cstr(ft[k].Topic, pos[i].topic);
        }
        if (seen) {
            continue;
        }
        samsa_FetchRequest_FetchTopic_init(&ft[nt]);
        ft[nt].Topic = samsa_str_from_cstr(pos[i].topic);
        ft[nt].Partitions.items = &fp[np];
        for (int j = i; j < npos; j++) {
            if (leaders[j] != node || strcmp(pos[j].topic, pos[i].topic)) {
                continue;
            }
            samsa_FetchRequest_FetchPartition_init(&fp[np]);
            fp[np].Partition = pos[j].partition;
            fp[np].FetchOffset = pos[j].offset;
            fp[np].PartitionMaxBytes = conf->partition_max_bytes;
            np++;
            ft[nt].Partitions.count++;
        }
        nt++;
    }
    req.Topics.count = nt;
    req.Topics.items = ft;
    req.ForgottenTopicsData.count = 0;
    err = samsa_client_call(c, node, SAMSA_API_FETCH, &req, &arena,
                            (void **)&resp, NULL);
    if (err != SAMSA_OK) {
        goto out;
    }
    if (resp->ErrorCode != 0) {
        err = samsa_client_fail(c, (samsa_err_t)resp->ErrorCode, "Fetch: %s",
                                samsa_err_name(resp->ErrorCode));
        goto out;
    }
    for (int32_t t = 0; t < resp->Responses.count && !*stopped; t++) {
        const samsa_FetchResponse_FetchableTopicResponse_t *tr =
            &resp->Responses.items[t];
        for (int32_t k = 0; k < tr->Partitions.count && !*stopped; k++) {
            const samsa_FetchResponse_PartitionData_t *pd =
                &tr->Partitions.items[k];
            for (int i = 0; i < npos; i++) {
                if (leaders[i] != node ||
                    pos[i].partition != pd->PartitionIndex ||
                    !samsa_str_eq_cstr(tr->Topic, pos[i].topic)) {
                    continue;
                }
                pos[i].error = pd->ErrorCode;
                pos[i].high_watermark = pd->HighWatermark;
                if (pd->ErrorCode != 0) {
                    break;
                }
                int r = samsa_client_deliver_records(
                    c, conf, &pos[i], &pd->Records,
                    conf->read_committed ? &pd->AbortedTransactions : NULL, cb,
                    opaque, &err);
                if (r < 0) {
                    goto out;
                }
                *stopped = r > 0;
                break;
            }
        }
    }
out:
    free(ft);
    free(fp);
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_fetch(samsa_client_t *c, const samsa_metadata_t *md,
                               const samsa_fetch_conf_t *conf,
                               samsa_fetch_pos_t *pos, int npos,
                               samsa_record_cb cb, void *opaque)
{
    int32_t *leaders = calloc((size_t)npos + 1, sizeof(int32_t));
    bool stopped = false;
    samsa_err_t err = SAMSA_OK;

    if (leaders == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (int i = 0; i < npos; i++) {
        leaders[i] = leader_of(md, pos[i].topic, pos[i].partition);
        if (leaders[i] < 0) {
            pos[i].error = SAMSA_ERR_LEADER_NOT_AVAILABLE;
        }
    }
    for (int i = 0; i < npos && !stopped && err == SAMSA_OK; i++) {
        bool done = false;
        for (int j = 0; j < i; j++) {
            done |= leaders[j] == leaders[i];
        }
        if (leaders[i] < 0 || done) {
            continue;
        }
        err = fetch_node(c, conf, leaders[i], pos, leaders, npos, cb, opaque,
                         &stopped);
    }
    free(leaders);
    return err;
}
