/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/handle_offsets.c - OffsetCommit (8), OffsetFetch (9),
 * OffsetDelete (47). */
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/commit_wait.h"
#include "broker/handlers.h"
#include "broker/settle.h"
#include "group/coordinator.h"
#include "metadata/quorum.h"

/* Kafka's metadataCache.contains: in a cluster the coordinator need not
 * host any replica of the partition, so the image counts too. */
static bool partition_exists(samsa_req_t *req, const char *topic, int32_t p)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(req->broker->logs, topic);
    bool ok = t && p >= 0 && p < t->partition_count;
    samsa_topic_put(t);
    if (!ok && req->broker->meta) {
        samsa_meta_image_t *img = samsa_meta_image_get(req->broker->meta);
        const samsa_meta_topic_t *mt = samsa_meta_topic(img, topic);
        ok = mt && p >= 0 && p < mt->partition_count;
        samsa_meta_image_put(img);
    }
    return ok;
}

void samsa_handle_offset_commit(samsa_req_t *req)
{
    samsa_OffsetCommitRequest_t *creq = req->body;
    if (samsa_req_settle_coordinator(req, false, creq->GroupId)) {
        return;
    }
    samsa_OffsetCommitResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_OffsetCommitResponse_init(resp);
    int32_t nt = creq->Topics.count > 0 ? creq->Topics.count : 0;
    size_t total = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t np = creq->Topics.items[t].Partitions.count;
        total += np > 0 ? (size_t)np : 0;
    }
    /* Partitions the group may commit go to the coordinator in one call;
     * unknown ones are answered here. */
    samsa_offset_commit_part_t *parts =
        samsa_req_alloc(req, sizeof(*parts) * total);
    size_t *slot = samsa_req_alloc(req, sizeof(*slot) * total);
    size_t valid = 0, k = 0;
    /* Kafka: READ on the group, and on each topic committed to. */
    samsa_err_t group_denied =
        samsa_req_authorize(req, SAMSA_ACL_OP_READ, SAMSA_RESOURCE_GROUP,
                            samsa_req_cstr(req, creq->GroupId));
    SAMSA_REQ_ARRAY(req, resp->Topics, nt);
    for (int32_t t = 0; t < nt; t++) {
        samsa_OffsetCommitRequest_OffsetCommitRequestTopic_t *rt =
            &creq->Topics.items[t];
        samsa_OffsetCommitResponse_OffsetCommitResponseTopic_t *tr =
            &resp->Topics.items[t];
        samsa_OffsetCommitResponse_OffsetCommitResponseTopic_init(tr);
        tr->Name = rt->Name;
        int32_t np = rt->Partitions.count > 0 ? rt->Partitions.count : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        const char *topic = samsa_req_cstr(req, rt->Name);
        samsa_err_t denied =
            group_denied ? group_denied
                         : samsa_req_authorize(req, SAMSA_ACL_OP_READ,
                                               SAMSA_RESOURCE_TOPIC, topic);
        for (int32_t p = 0; p < np; p++, k++) {
            samsa_OffsetCommitRequest_OffsetCommitRequestPartition_t *rp =
                &rt->Partitions.items[p];
            tr->Partitions.items[p].PartitionIndex = rp->PartitionIndex;
            if (denied) {
                tr->Partitions.items[p].ErrorCode = (int16_t)denied;
                slot[k] = SIZE_MAX;
                continue;
            }
            if (!partition_exists(req, topic, rp->PartitionIndex)) {
                tr->Partitions.items[p].ErrorCode =
                    SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                slot[k] = SIZE_MAX;
                continue;
            }
            parts[valid] = (samsa_offset_commit_part_t){
                .topic = topic,
                .partition = rp->PartitionIndex,
                .offset = rp->CommittedOffset,
                .leader_epoch = rp->CommittedLeaderEpoch,
                .metadata = rp->CommittedMetadata.len >= 0
                                ? samsa_req_cstr(req, rp->CommittedMetadata)
                                : NULL,
            };
            slot[k] = valid++;
        }
    }
    samsa_offset_commit_req_t cr = {
        .group_id = samsa_req_cstr(req, creq->GroupId),
        .generation_id =
            req->api_version >= 1 ? creq->GenerationIdOrMemberEpoch : -1,
        .member_id =
            req->api_version >= 1 ? samsa_req_cstr(req, creq->MemberId) : "",
        .group_instance_id = creq->GroupInstanceId.len >= 0
                                 ? samsa_req_cstr(req, creq->GroupInstanceId)
                                 : NULL,
        .commit_timestamp = -1,
    };
    if (req->api_version == 1 && total > 0) {
        cr.commit_timestamp =
            creq->Topics.items[0].Partitions.items[0].CommitTimestamp;
    }
    if (valid > 0) {
        samsa_group_offset_commit(req->broker->groups, &cr, parts, valid);
    }
    k = 0;
    int16_t **codes = samsa_req_alloc(req, sizeof(*codes) * (valid + 1));
    size_t ncodes = 0;
    for (int32_t t = 0; t < nt; t++) {
        samsa_OffsetCommitResponse_OffsetCommitResponseTopic_t *tr =
            &resp->Topics.items[t];
        for (int32_t p = 0; p < tr->Partitions.count; p++, k++) {
            if (slot[k] != SIZE_MAX) {
                tr->Partitions.items[p].ErrorCode =
                    (int16_t)parts[slot[k]].error;
                codes[ncodes++] = &tr->Partitions.items[p].ErrorCode;
            }
        }
    }
    samsa_produce_wait_t *wait = NULL;
    samsa_commit_wait(req, cr.group_id, codes, ncodes, &wait);
    samsa_produce_respond(req, resp, wait);
}

/* ---------------------------------------------------------------------- */
/* OffsetFetch                                                            */
/* ---------------------------------------------------------------------- */

/* One group's committed offsets, as topics with partitions. Either every
 * committed partition (tps NULL) or exactly the requested ones. */
typedef struct fetched {
    samsa_group_offsets_t offs;
    samsa_err_t error;
} fetched_t;

static void fetch_group(samsa_req_t *req, const char *group,
                        const samsa_group_tp_t *tps, size_t count, bool stable,
                        fetched_t *out)
{
    out->error = samsa_group_offset_fetch_stable(
        req->broker->groups, group, tps, count, stable, &out->offs);
    if (out->error != SAMSA_OK) {
        out->offs = (samsa_group_offsets_t){NULL, 0};
    }
}

/* The fetched partitions grouped by topic, topics in first-seen order. */
typedef struct topic_run {
    const char *topic;
    const samsa_group_offset_t **parts;
    size_t count;
} topic_run_t;

static size_t group_by_topic(samsa_req_t *req, const samsa_group_offsets_t *o,
                             topic_run_t **out)
{
    topic_run_t *runs = samsa_req_alloc(req, sizeof(*runs) * o->count);
    size_t n = 0;
    for (size_t i = 0; i < o->count; i++) {
        size_t r = 0;
        while (r < n && strcmp(runs[r].topic, o->items[i].topic) != 0) {
            r++;
        }
        if (r == n) {
            runs[n].topic = o->items[i].topic;
            runs[n].parts =
                samsa_req_alloc(req, sizeof(*runs[n].parts) * o->count);
            n++;
        }
        runs[r].parts[runs[r].count++] = &o->items[i];
    }
    *out = runs;
    return n;
}

/* Build the request's partition list (NULL = all) into the arena. */
static samsa_group_tp_t *request_tps(samsa_req_t *req, const samsa_str_t *names,
                                     const samsa_int32_array_t *const *parts,
                                     int32_t ntopics, size_t *count)
{
    size_t total = 0;
    for (int32_t t = 0; t < ntopics; t++) {
        total += parts[t]->count > 0 ? (size_t)parts[t]->count : 0;
    }
    samsa_group_tp_t *tps = samsa_req_alloc(req, sizeof(*tps) * total);
    size_t k = 0;
    for (int32_t t = 0; t < ntopics; t++) {
        const char *topic = samsa_req_cstr(req, names[t]);
        for (int32_t p = 0; p < parts[t]->count; p++) {
            tps[k].topic = topic;
            tps[k].partition = parts[t]->items[p];
            k++;
        }
    }
    *count = total;
    return tps;
}

#define FILL_PARTITION(dst, o)                                                 \
    do {                                                                       \
        (dst)->PartitionIndex = (o)->partition;                                \
        (dst)->CommittedOffset = (o)->error ? -1 : (o)->offset;                \
        (dst)->CommittedLeaderEpoch = (o)->leader_epoch;                       \
        (dst)->Metadata =                                                      \
            samsa_req_str(req, (o)->metadata ? (o)->metadata : "");            \
        (dst)->ErrorCode = (int16_t)(o)->error;                                \
    } while (0)

static void offset_fetch_v0_7(samsa_req_t *req,
                              samsa_OffsetFetchRequest_t *freq,
                              samsa_OffsetFetchResponse_t *resp)
{
    int32_t nt = freq->Topics.count;
    size_t count = 0;
    samsa_group_tp_t *tps = NULL;
    samsa_err_t denied =
        samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE, SAMSA_RESOURCE_GROUP,
                            samsa_req_cstr(req, freq->GroupId));
    if (denied) {
        resp->ErrorCode = (int16_t)denied;
        SAMSA_REQ_ARRAY(req, resp->Topics, 0);
        return;
    }
    if (nt >= 0) {
        samsa_str_t *names = samsa_req_alloc(req, sizeof(*names) * (size_t)nt);
        const samsa_int32_array_t **parts =
            samsa_req_alloc(req, sizeof(*parts) * (size_t)nt);
        for (int32_t t = 0; t < nt; t++) {
            names[t] = freq->Topics.items[t].Name;
            parts[t] = &freq->Topics.items[t].PartitionIndexes;
        }
        tps = request_tps(req, names, parts, nt, &count);
    }
    fetched_t f;
    fetch_group(req, samsa_req_cstr(req, freq->GroupId), tps, count,
                req->api_version >= 7 && freq->RequireStable, &f);
    resp->ErrorCode = (int16_t)f.error;
    samsa_group_offset_t *failed = NULL;
    if (f.error != SAMSA_OK && req->api_version < 2 && count > 0) {
        /* v0-1 have no group-level error: as Kafka, each requested
         * partition carries it (NOT_COORDINATOR, LOAD_IN_PROGRESS), so
         * the client looks for the coordinator again. */
        failed = samsa_req_alloc(req, sizeof(*failed) * count);
        for (size_t i = 0; i < count; i++) {
            failed[i] = (samsa_group_offset_t){.topic = (char *)tps[i].topic,
                                               .partition = tps[i].partition,
                                               .offset = -1,
                                               .leader_epoch = -1};
        }
        f.offs = (samsa_group_offsets_t){failed, count};
    }
    topic_run_t *runs;
    size_t ntopics = group_by_topic(req, &f.offs, &runs);
    SAMSA_REQ_ARRAY(req, resp->Topics, ntopics);
    for (size_t t = 0; t < ntopics; t++) {
        samsa_OffsetFetchResponse_OffsetFetchResponseTopic_t *tr =
            &resp->Topics.items[t];
        samsa_OffsetFetchResponse_OffsetFetchResponseTopic_init(tr);
        tr->Name = samsa_req_str(req, runs[t].topic);
        SAMSA_REQ_ARRAY(req, tr->Partitions, runs[t].count);
        for (size_t j = 0; j < runs[t].count; j++) {
            samsa_OffsetFetchResponse_OffsetFetchResponsePartition_t *pr =
                &tr->Partitions.items[j];
            samsa_OffsetFetchResponse_OffsetFetchResponsePartition_init(pr);
            FILL_PARTITION(pr, runs[t].parts[j]);
            if (failed) {
                pr->ErrorCode = (int16_t)f.error;
            }
        }
    }
    if (!failed) {
        samsa_group_offsets_free(&f.offs);
    }
}

static void offset_fetch_v8(samsa_req_t *req, samsa_OffsetFetchRequest_t *freq,
                            samsa_OffsetFetchResponse_t *resp)
{
    int32_t ng = freq->Groups.count > 0 ? freq->Groups.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Groups, ng);
    for (int32_t g = 0; g < ng; g++) {
        samsa_OffsetFetchRequest_OffsetFetchRequestGroup_t *rg =
            &freq->Groups.items[g];
        samsa_OffsetFetchResponse_OffsetFetchResponseGroup_t *gr =
            &resp->Groups.items[g];
        samsa_OffsetFetchResponse_OffsetFetchResponseGroup_init(gr);
        gr->GroupId = rg->GroupId;
        samsa_err_t denied = samsa_req_authorize(
            req, SAMSA_ACL_OP_DESCRIBE, SAMSA_RESOURCE_GROUP,
            samsa_req_cstr(req, rg->GroupId));
        if (denied) {
            gr->ErrorCode = (int16_t)denied;
            SAMSA_REQ_ARRAY(req, gr->Topics, 0);
            continue;
        }
        int32_t nt = rg->Topics.count;
        size_t count = 0;
        samsa_group_tp_t *tps = NULL;
        if (nt >= 0) {
            samsa_str_t *names =
                samsa_req_alloc(req, sizeof(*names) * (size_t)nt);
            const samsa_int32_array_t **parts =
                samsa_req_alloc(req, sizeof(*parts) * (size_t)nt);
            for (int32_t t = 0; t < nt; t++) {
                names[t] = rg->Topics.items[t].Name;
                parts[t] = &rg->Topics.items[t].PartitionIndexes;
            }
            tps = request_tps(req, names, parts, nt, &count);
        }
        fetched_t f;
        fetch_group(req, samsa_req_cstr(req, rg->GroupId), tps, count,
                    freq->RequireStable, &f);
        gr->ErrorCode = (int16_t)f.error;
        topic_run_t *runs;
        size_t ntopics = group_by_topic(req, &f.offs, &runs);
        SAMSA_REQ_ARRAY(req, gr->Topics, ntopics);
        for (size_t t = 0; t < ntopics; t++) {
            samsa_OffsetFetchResponse_OffsetFetchResponseTopics_t *tr =
                &gr->Topics.items[t];
            samsa_OffsetFetchResponse_OffsetFetchResponseTopics_init(tr);
            tr->Name = samsa_req_str(req, runs[t].topic);
            SAMSA_REQ_ARRAY(req, tr->Partitions, runs[t].count);
            for (size_t j = 0; j < runs[t].count; j++) {
                samsa_OffsetFetchResponse_OffsetFetchResponsePartitions_t *pr =
                    &tr->Partitions.items[j];
                samsa_OffsetFetchResponse_OffsetFetchResponsePartitions_init(
                    pr);
                FILL_PARTITION(pr, runs[t].parts[j]);
            }
        }
        samsa_group_offsets_free(&f.offs);
    }
}

void samsa_handle_offset_fetch(samsa_req_t *req)
{
    samsa_OffsetFetchRequest_t *freq = req->body;
    for (int32_t g = 0; req->api_version >= 8 && g < freq->Groups.count; g++) {
        if (samsa_req_settle_coordinator(req, false,
                                         freq->Groups.items[g].GroupId)) {
            return;
        }
    }
    if (req->api_version < 8 &&
        samsa_req_settle_coordinator(req, false, freq->GroupId)) {
        return;
    }
    samsa_OffsetFetchResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_OffsetFetchResponse_init(resp);
    if (req->api_version >= 8) {
        offset_fetch_v8(req, freq, resp);
    } else {
        offset_fetch_v0_7(req, freq, resp);
    }
    samsa_req_respond(req, resp);
}

void samsa_handle_offset_delete(samsa_req_t *req)
{
    samsa_OffsetDeleteRequest_t *dreq = req->body;
    samsa_OffsetDeleteResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_OffsetDeleteResponse_init(resp);
    int32_t nt = dreq->Topics.count > 0 ? dreq->Topics.count : 0;
    size_t total = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t np = dreq->Topics.items[t].Partitions.count;
        total += np > 0 ? (size_t)np : 0;
    }
    samsa_group_tp_t *tps = samsa_req_alloc(req, sizeof(*tps) * total);
    size_t k = 0;
    for (int32_t t = 0; t < nt; t++) {
        const char *topic = samsa_req_cstr(req, dreq->Topics.items[t].Name);
        for (int32_t p = 0; p < dreq->Topics.items[t].Partitions.count; p++) {
            tps[k].topic = topic;
            tps[k].partition =
                dreq->Topics.items[t].Partitions.items[p].PartitionIndex;
            k++;
        }
    }
    const char *gid = samsa_req_cstr(req, dreq->GroupId);
    samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_DELETE,
                                          SAMSA_RESOURCE_GROUP, gid);
    if (err == SAMSA_OK) {
        err = samsa_group_offset_delete(req->broker->groups, gid, tps, total);
    }
    resp->ErrorCode = (int16_t)err;
    SAMSA_REQ_ARRAY(req, resp->Topics, err == SAMSA_OK ? nt : 0);
    k = 0;
    for (int32_t t = 0; t < resp->Topics.count; t++) {
        samsa_OffsetDeleteResponse_OffsetDeleteResponseTopic_t *tr =
            &resp->Topics.items[t];
        samsa_OffsetDeleteResponse_OffsetDeleteResponseTopic_init(tr);
        tr->Name = dreq->Topics.items[t].Name;
        int32_t np = dreq->Topics.items[t].Partitions.count;
        np = np > 0 ? np : 0;
        SAMSA_REQ_ARRAY(req, tr->Partitions, np);
        for (int32_t p = 0; p < np; p++, k++) {
            tr->Partitions.items[p].PartitionIndex = tps[k].partition;
            tr->Partitions.items[p].ErrorCode = (int16_t)tps[k].error;
        }
    }
    samsa_req_respond(req, resp);
}
