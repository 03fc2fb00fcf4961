/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_describe_topic_partitions.c - DescribeTopicPartitions
 * (75, KIP-966), what Kafka 3.7+'s admin client describes topics with:
 * the partitions of the named topics (or of every topic the principal may
 * describe), sorted by topic name, from the Cursor on, at most
 * ResponsePartitionLimit partitions (and Kafka's
 * max.request.partition.size.limit, 2000) per answer; NextCursor says
 * where the next request starts. The partitions are Metadata's
 * (samsa_metadata_answer: the image in a cluster, the local logs
 * standalone); Samsa has no eligible leader replicas (KIP-966's ELR is
 * off), so those lists are empty, as in Kafka with ELR disabled.
 */
#include <stdlib.h>
#include <string.h>

#include "broker/handlers.h"

#define PARTITION_LIMIT 2000 /* max.request.partition.size.limit */

typedef samsa_MetadataResponse_MetadataResponseTopic_t md_topic_t;
typedef samsa_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic_t
    dtp_topic_t;
typedef samsa_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponsePartition_t
    dtp_part_t;

static int by_name(const void *a, const void *b)
{
    const md_topic_t *x = a, *y = b;
    int32_t n = x->Name.len < y->Name.len ? x->Name.len : y->Name.len;
    int c = memcmp(x->Name.ptr, y->Name.ptr, (size_t)(n > 0 ? n : 0));
    return c ? c : (x->Name.len > y->Name.len) - (x->Name.len < y->Name.len);
}

static int cmp_str(samsa_str_t a, samsa_str_t b)
{
    md_topic_t x = {.Name = a}, y = {.Name = b};
    return by_name(&x, &y);
}

static void
copy_part(samsa_req_t *req,
          const samsa_MetadataResponse_MetadataResponsePartition_t *mp,
          dtp_part_t *dp)
{
    samsa_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponsePartition_init(
        dp);
    dp->ErrorCode = mp->ErrorCode;
    dp->PartitionIndex = mp->PartitionIndex;
    dp->LeaderId = mp->LeaderId;
    dp->LeaderEpoch = mp->LeaderEpoch;
    dp->ReplicaNodes = mp->ReplicaNodes;
    dp->IsrNodes = mp->IsrNodes;
    dp->OfflineReplicas = mp->OfflineReplicas;
    SAMSA_REQ_ARRAY(req, dp->EligibleLeaderReplicas, 0);
    SAMSA_REQ_ARRAY(req, dp->LastKnownElr, 0);
}

/* The Metadata request for the topics asked (none: every topic). */
static samsa_MetadataRequest_t *
metadata_request(samsa_req_t *req,
                 const samsa_DescribeTopicPartitionsRequest_t *dreq)
{
    samsa_MetadataRequest_t *mreq = samsa_req_alloc(req, sizeof(*mreq));
    samsa_MetadataRequest_init(mreq);
    int32_t n = dreq->Topics.count > 0 ? dreq->Topics.count : 0;
    SAMSA_REQ_ARRAY(req, mreq->Topics, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_MetadataRequest_MetadataRequestTopic_init(&mreq->Topics.items[i]);
        mreq->Topics.items[i].Name = dreq->Topics.items[i].Name;
    }
    return mreq;
}

/* The next answer starts at partition @p index of topic @p name. */
static void set_cursor(samsa_req_t *req,
                       samsa_DescribeTopicPartitionsResponse_t *resp,
                       samsa_str_t name, int32_t index)
{
    resp->NextCursor = samsa_req_alloc(req, sizeof(*resp->NextCursor));
    samsa_DescribeTopicPartitionsResponse_Cursor_init(resp->NextCursor);
    resp->NextCursor->TopicName = name;
    resp->NextCursor->PartitionIndex = index;
}

void samsa_handle_describe_topic_partitions(samsa_req_t *req)
{
    samsa_DescribeTopicPartitionsRequest_t *dreq = req->body;
    samsa_DescribeTopicPartitionsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeTopicPartitionsResponse_init(resp);
    bool all = dreq->Topics.count <= 0;
    samsa_MetadataResponse_t *md =
        samsa_metadata_answer(req, metadata_request(req, dreq), all, false);
    int32_t nt = md->Topics.count > 0 ? md->Topics.count : 0;
    qsort(md->Topics.items, (size_t)nt, sizeof(md_topic_t), by_name);
    int32_t limit = dreq->ResponsePartitionLimit;
    limit = limit > 0 && limit < PARTITION_LIMIT ? limit : PARTITION_LIMIT;
    const samsa_DescribeTopicPartitionsRequest_Cursor_t *cur = dreq->Cursor;

    SAMSA_REQ_ARRAY(req, resp->Topics, nt);
    resp->Topics.count = 0;
    for (int32_t i = 0; i < nt; i++) {
        md_topic_t *mt = &md->Topics.items[i];
        int32_t from = 0;
        if (cur && cur->TopicName.len >= 0) {
            int c = cmp_str(mt->Name, cur->TopicName);
            if (c < 0) {
                continue;
            }
            from = c == 0 && cur->PartitionIndex > 0 ? cur->PartitionIndex : 0;
        }
        int32_t np = mt->Partitions.count > 0 ? mt->Partitions.count : 0;
        if (limit == 0 && np > from) {
            /* Full: the next answer starts with this topic. */
            set_cursor(req, resp, mt->Name, from);
            break;
        }
        dtp_topic_t *dt = &resp->Topics.items[resp->Topics.count++];
        samsa_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic_init(
            dt);
        dt->ErrorCode = mt->ErrorCode;
        dt->Name = mt->Name;
        dt->TopicId = mt->TopicId;
        dt->IsInternal = mt->IsInternal;
        int32_t take = np - from < limit ? np - from : limit;
        take = take > 0 ? take : 0;
        SAMSA_REQ_ARRAY(req, dt->Partitions, take);
        /* Metadata lists partitions in index order. */
        for (int32_t p = 0; p < take; p++) {
            copy_part(req, &mt->Partitions.items[from + p],
                      &dt->Partitions.items[p]);
        }
        limit -= take;
        if (from + take < np) {
            set_cursor(req, resp, mt->Name, from + take);
            break;
        }
    }
    samsa_req_respond(req, resp);
}
