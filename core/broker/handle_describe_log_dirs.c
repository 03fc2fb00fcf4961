/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_describe_log_dirs.c - DescribeLogDirs (35, v0-v4), as
 * kafka-log-dirs.sh asks each broker: its one log directory (data_dir),
 * with the size of every partition it holds a replica of and its offset
 * lag (the high watermark over the log end, Kafka's getLogEndOffsetLag),
 * all read from the local logs through core/log; v4 adds the file
 * system's total and usable bytes. DESCRIBE on the cluster.
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/partition_change.h"

typedef samsa_DescribeLogDirsResponse_DescribeLogDirsTopic_t topic_out_t;
typedef samsa_DescribeLogDirsResponse_DescribeLogDirsPartition_t part_out_t;
typedef samsa_DescribeLogDirsRequest_DescribableLogDirTopic_t topic_in_t;

/* The request's entry for topic @p name, NULL when it asks for it not at
 * all; *all when it asks for every topic (a null list). */
static const topic_in_t *asked(const samsa_DescribeLogDirsRequest_t *dreq,
                               const char *name, bool *all)
{
    *all = dreq->Topics.count < 0;
    for (int32_t i = 0; !*all && i < dreq->Topics.count; i++) {
        if (samsa_str_eq_cstr(dreq->Topics.items[i].Topic, name)) {
            return &dreq->Topics.items[i];
        }
    }
    return NULL;
}

/* Whether this broker holds partition @p p of @p topic: in a cluster, when
 * the image makes it a replica (the other local logs of a topic are
 * placeholders); standalone, always. */
static bool held(const samsa_meta_image_t *img, int32_t node, const char *topic,
                 int32_t p)
{
    if (!img) {
        return true;
    }
    const samsa_meta_partition_t *mp = samsa_meta_partition(img, topic, p);
    return mp && samsa_meta_ids_has(mp->replicas, mp->replica_count, node);
}

static void describe_topic(samsa_req_t *req, const samsa_meta_image_t *img,
                           samsa_topic_t *t, const topic_in_t *in,
                           topic_out_t *out)
{
    samsa_DescribeLogDirsResponse_DescribeLogDirsTopic_init(out);
    out->Name = samsa_req_str(req, t->name);
    SAMSA_REQ_ARRAY(req, out->Partitions, t->partition_count);
    int32_t n = 0;
    for (int32_t p = 0; p < t->partition_count; p++) {
        samsa_partition_t *part = samsa_topic_partition(t, p);
        if (!part || !held(img, req->broker->node_id, t->name, p) ||
            (in && !samsa_meta_ids_has(in->Partitions.items,
                                       in->Partitions.count, p))) {
            continue;
        }
        samsa_log_offsets_t off;
        samsa_partition_offsets(part, &off);
        int64_t lag = samsa_partition_hw(part) - samsa_partition_leo(part);
        part_out_t *o = &out->Partitions.items[n++];
        samsa_DescribeLogDirsResponse_DescribeLogDirsPartition_init(o);
        o->PartitionIndex = p;
        o->PartitionSize = off.size_bytes;
        o->OffsetLag = lag > 0 ? lag : 0;
    }
    out->Partitions.count = n;
}

void samsa_handle_describe_log_dirs(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_DescribeLogDirsRequest_t *dreq = req->body;
    samsa_DescribeLogDirsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeLogDirsResponse_init(resp);
    if (samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE, SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE) != SAMSA_OK) {
        resp->ErrorCode = SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        SAMSA_REQ_ARRAY(req, resp->Results, 0);
        samsa_req_respond(req, resp);
        return;
    }
    samsa_topic_t **topics = NULL;
    size_t count = 0;
    samsa_err_t err = samsa_logmgr_list(b->logs, &topics, &count);
    SAMSA_REQ_ARRAY(req, resp->Results, 1);
    samsa_DescribeLogDirsResponse_DescribeLogDirsResult_t *r =
        &resp->Results.items[0];
    samsa_DescribeLogDirsResponse_DescribeLogDirsResult_init(r);
    char dir[PATH_MAX];
    r->LogDir = samsa_req_str(
        req, realpath(b->cfg->data_dir, dir) ? dir : b->cfg->data_dir);
    r->ErrorCode =
        (int16_t)(err == SAMSA_OK ? SAMSA_OK : SAMSA_ERR_KAFKA_STORAGE_ERROR);
    struct statvfs fs;
    if (statvfs(b->cfg->data_dir, &fs) == 0) {
        r->TotalBytes = (int64_t)fs.f_blocks * (int64_t)fs.f_frsize;
        r->UsableBytes = (int64_t)fs.f_bavail * (int64_t)fs.f_frsize;
    }
    samsa_meta_image_t *img = b->meta ? samsa_meta_image_get(b->meta) : NULL;
    SAMSA_REQ_ARRAY(req, r->Topics, count);
    int32_t n = 0;
    for (size_t i = 0; i < count; i++) {
        bool all;
        const topic_in_t *in = asked(dreq, topics[i]->name, &all);
        if (!all && !in) {
            continue;
        }
        describe_topic(req, img, topics[i], in, &r->Topics.items[n]);
        n += r->Topics.items[n].Partitions.count > 0;
    }
    r->Topics.count = n;
    samsa_meta_image_put(img);
    samsa_logmgr_list_free(topics, count);
    samsa_req_respond(req, resp);
}
