/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/metadata.c - Metadata, ListOffsets and FindCoordinator.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client_int.h"
#include "util/err.h"

void samsa_metadata_free(samsa_metadata_t *md)
{
    if (md == NULL) {
        return;
    }
    for (int32_t i = 0; i < md->nbrokers; i++) {
        free(md->brokers[i].host);
        free(md->brokers[i].rack);
    }
    for (int32_t i = 0; i < md->ntopics; i++) {
        samsa_md_topic_t *t = &md->topics[i];
        for (int32_t p = 0; p < t->npartitions; p++) {
            free(t->partitions[p].replicas);
            free(t->partitions[p].isr);
        }
        free(t->partitions);
        free(t->name);
    }
    free(md->brokers);
    free(md->topics);
    free(md->cluster_id);
    free(md);
}

const samsa_md_topic_t *samsa_metadata_topic(const samsa_metadata_t *md,
                                             const char *name)
{
    for (int32_t i = 0; i < md->ntopics; i++) {
        if (strcmp(md->topics[i].name, name) == 0) {
            return &md->topics[i];
        }
    }
    return NULL;
}

static int cmp_part(const void *a, const void *b)
{
    const samsa_md_partition_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_topic(const void *a, const void *b)
{
    const samsa_md_topic_t *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int32_t *copy_i32(const samsa_int32_array_t *a, int32_t *n)
{
    *n = a->count > 0 ? a->count : 0;
    int32_t *v = malloc(sizeof(int32_t) * (size_t)(*n + 1));
    if (v != NULL && *n > 0) {
        memcpy(v, a->items, sizeof(int32_t) * (size_t)*n);
    }
    return v;
}

static samsa_err_t
copy_topic(samsa_md_topic_t *t,
           const samsa_MetadataResponse_MetadataResponseTopic_t *r)
{
    t->name = samsa_client_strdup(r->Name);
    t->error = r->ErrorCode;
    t->internal = r->IsInternal;
    t->npartitions = r->Partitions.count > 0 ? r->Partitions.count : 0;
    t->partitions = calloc((size_t)t->npartitions + 1, sizeof(*t->partitions));
    if (t->name == NULL || t->partitions == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (int32_t p = 0; p < t->npartitions; p++) {
        const samsa_MetadataResponse_MetadataResponsePartition_t *rp =
            &r->Partitions.items[p];
        samsa_md_partition_t *mp = &t->partitions[p];
        mp->id = rp->PartitionIndex;
        mp->leader = rp->LeaderId;
        mp->error = rp->ErrorCode;
        mp->replicas = copy_i32(&rp->ReplicaNodes, &mp->nreplicas);
        mp->isr = copy_i32(&rp->IsrNodes, &mp->nisr);
        if (mp->replicas == NULL || mp->isr == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    qsort(t->partitions, (size_t)t->npartitions, sizeof(*t->partitions),
          cmp_part);
    return SAMSA_OK;
}

static samsa_err_t copy_metadata(samsa_client_t *c,
                                 const samsa_MetadataResponse_t *r,
                                 samsa_metadata_t *md)
{
    samsa_err_t err = SAMSA_OK;
    md->cluster_id =
        r->ClusterId.len >= 0 ? samsa_client_strdup(r->ClusterId) : NULL;
    md->controller = r->ControllerId;
    md->nbrokers = r->Brokers.count > 0 ? r->Brokers.count : 0;
    md->brokers = calloc((size_t)md->nbrokers + 1, sizeof(*md->brokers));
    md->ntopics = r->Topics.count > 0 ? r->Topics.count : 0;
    md->topics = calloc((size_t)md->ntopics + 1, sizeof(*md->topics));
    if (md->brokers == NULL || md->topics == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; i < md->nbrokers && err == SAMSA_OK; i++) {
        const samsa_MetadataResponse_MetadataResponseBroker_t *b =
            &r->Brokers.items[i];
        md->brokers[i].id = b->NodeId;
        md->brokers[i].port = b->Port;
        md->brokers[i].host = samsa_client_strdup(b->Host);
        md->brokers[i].rack =
            b->Rack.len >= 0 ? samsa_client_strdup(b->Rack) : NULL;
        err = samsa_client_add_broker(c, b->NodeId, b->Host, b->Port);
    }
    for (int32_t i = 0; i < md->ntopics && err == SAMSA_OK; i++) {
        err = copy_topic(&md->topics[i], &r->Topics.items[i]);
    }
    if (err == SAMSA_OK) {
        qsort(md->topics, (size_t)md->ntopics, sizeof(*md->topics), cmp_topic);
    }
    return err;
}

samsa_err_t samsa_client_metadata(samsa_client_t *c, const char *const *topics,
                                  int ntopics, bool auto_create,
                                  samsa_metadata_t **out)
{
    samsa_MetadataRequest_t req;
    samsa_MetadataResponse_t *resp = NULL;
    samsa_MetadataRequest_MetadataRequestTopic_t *items = NULL;
    samsa_arena_t arena;
    samsa_metadata_t *md = NULL;
    samsa_err_t err;

    samsa_arena_init(&arena);
    samsa_MetadataRequest_init(&req);
    req.AllowAutoTopicCreation = auto_create;
    if (topics == NULL) {
        req.Topics.count = -1; /* all topics */
    } else {
        items = calloc((size_t)ntopics + 1, sizeof(*items));
        if (items == NULL) {
            err = SAMSA_ERR_NOMEM;
            goto out;
        }
        for (int i = 0; i < ntopics; i++) {
            samsa_MetadataRequest_MetadataRequestTopic_init(&items[i]);
            items[i].Name = samsa_str_from_cstr(topics[i]);
        }
        req.Topics.count = ntopics;
        req.Topics.items = items;
    }
    err = samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_METADATA, &req, &arena,
                            (void **)&resp, NULL);
    if (err != SAMSA_OK) {
        goto out;
    }
    md = calloc(1, sizeof(*md));
    if (md == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    err = copy_metadata(c, resp, md);
out:
    if (err != SAMSA_OK) {
        samsa_metadata_free(md);
        md = NULL;
    }
    *out = md;
    free(items);
    samsa_arena_destroy(&arena);
    return err;
}

static samsa_err_t list_offset(samsa_client_t *c, const char *topic,
                               int32_t partition, int32_t leader, int64_t ts,
                               int8_t isolation, int64_t *offset)
{
    samsa_ListOffsetsRequest_t req;
    samsa_ListOffsetsRequest_ListOffsetsTopic_t t;
    samsa_ListOffsetsRequest_ListOffsetsPartition_t p;
    samsa_ListOffsetsResponse_t *resp = NULL;
    samsa_arena_t arena;
    int16_t version = 0;
    samsa_err_t err;

    samsa_arena_init(&arena);
    samsa_ListOffsetsRequest_init(&req);
    samsa_ListOffsetsRequest_ListOffsetsTopic_init(&t);
    samsa_ListOffsetsRequest_ListOffsetsPartition_init(&p);
    req.ReplicaId = -1;
    req.IsolationLevel = isolation;
    p.PartitionIndex = partition;
    p.Timestamp = ts;
    t.Name = samsa_str_from_cstr(topic);
    t.Partitions.count = 1;
    t.Partitions.items = &p;
    req.Topics.count = 1;
    req.Topics.items = &t;
    err = samsa_client_call(c, leader, SAMSA_API_LIST_OFFSETS, &req, &arena,
                            (void **)&resp, &version);
    if (err == SAMSA_OK) {
        if (resp->Topics.count != 1 ||
            resp->Topics.items[0].Partitions.count != 1) {
            err = samsa_client_fail(c, SAMSA_ERR_PROTOCOL,
                                    "ListOffsets: unexpected response shape");
        } else {
            const samsa_ListOffsetsResponse_ListOffsetsPartitionResponse_t *r =
                &resp->Topics.items[0].Partitions.items[0];
            if (r->ErrorCode != 0) {
                err = samsa_client_fail(
                    c, (samsa_err_t)r->ErrorCode, "ListOffsets %s/%d: %s",
                    topic, partition, samsa_err_name(r->ErrorCode));
            } else if (version == 0) {
                *offset = r->OldStyleOffsets.count > 0
                              ? r->OldStyleOffsets.items[0]
                              : -1;
            } else {
                *offset = r->Offset;
            }
        }
    }
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_list_offset(samsa_client_t *c, const char *topic,
                                     int32_t partition, int32_t leader,
                                     int64_t ts, int64_t *offset)
{
    return list_offset(c, topic, partition, leader, ts, 0, offset);
}

samsa_err_t samsa_client_last_stable_offset(samsa_client_t *c,
                                            const char *topic,
                                            int32_t partition, int32_t leader,
                                            int64_t *offset)
{
    /* A broker without read_committed ListOffsets (v < 2) answers with
     * the high watermark: no transactions there. */
    return list_offset(c, topic, partition, leader, SAMSA_OFFSET_END, 1,
                       offset);
}

void samsa_client_forget_coordinator(samsa_client_t *c)
{
    free(c->coord_group);
    c->coord_group = NULL;
    c->coord_node = -1;
}

/* FindCoordinator (key type 0: group, 1: transactional id), retried while
 * the coordinator is not available or loading; the node is added to the
 * client's brokers. */
static samsa_err_t find_coordinator(samsa_client_t *c, int8_t key_type,
                                    const char *group, int32_t *node)
{
    samsa_FindCoordinatorRequest_t req;
    samsa_FindCoordinatorResponse_t *resp = NULL;
    samsa_arena_t arena;
    samsa_str_t key = samsa_str_from_cstr(group);
    samsa_err_t err = SAMSA_OK;

    samsa_arena_init(&arena);
    for (int attempt = 0; attempt < 20; attempt++) {
        samsa_FindCoordinatorRequest_init(&req);
        req.Key = key;
        req.KeyType = key_type;
        req.CoordinatorKeys.count = 1;
        req.CoordinatorKeys.items = &key;
        samsa_arena_reset(&arena);
        err = samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_FIND_COORDINATOR,
                                &req, &arena, (void **)&resp, NULL);
        if (err != SAMSA_OK) {
            break;
        }
        int16_t ec = resp->ErrorCode;
        int32_t id = resp->NodeId;
        samsa_str_t host = resp->Host;
        int32_t port = resp->Port;
        if (resp->Coordinators.count > 0) {
            ec = resp->Coordinators.items[0].ErrorCode;
            id = resp->Coordinators.items[0].NodeId;
            host = resp->Coordinators.items[0].Host;
            port = resp->Coordinators.items[0].Port;
        }
        if (ec == SAMSA_ERR_COORDINATOR_NOT_AVAILABLE ||
            ec == SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
            err =
                samsa_client_fail(c, (samsa_err_t)ec, "FindCoordinator %s: %s",
                                  group, samsa_err_name(ec));
            struct timespec ts = {0, 200 * 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (ec != 0) {
            err =
                samsa_client_fail(c, (samsa_err_t)ec, "FindCoordinator %s: %s",
                                  group, samsa_err_name(ec));
            break;
        }
        err = samsa_client_add_broker(c, id, host, port);
        *node = id;
        break;
    }
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_coordinator(samsa_client_t *c, const char *group,
                                     int32_t *node)
{
    if (c->coord_group != NULL && strcmp(c->coord_group, group) == 0) {
        *node = c->coord_node;
        return SAMSA_OK;
    }
    samsa_err_t err = find_coordinator(c, 0, group, node);
    if (err == SAMSA_OK) {
        free(c->coord_group);
        c->coord_group = strdup(group);
        c->coord_node = *node;
    }
    return err;
}

samsa_err_t samsa_client_txn_coordinator(samsa_client_t *c, const char *txn_id,
                                         int32_t *node)
{
    return find_coordinator(c, 1, txn_id, node);
}

int32_t samsa_client_controller(samsa_client_t *c)
{
    samsa_metadata_t *md = NULL;
    int32_t node = SAMSA_NODE_ANY;
    if (samsa_client_metadata(c, NULL, 0, false, &md) == SAMSA_OK &&
        md->controller >= 0) {
        for (int32_t i = 0; i < md->nbrokers; i++) {
            if (md->brokers[i].id == md->controller) {
                node = md->controller;
            }
        }
    }
    samsa_metadata_free(md);
    return node;
}
