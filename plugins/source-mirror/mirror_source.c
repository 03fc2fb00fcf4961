/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-mirror: MirrorMaker 2's MirrorSourceConnector (and its
 * checkpoints). Copies the topics of another Kafka-compatible cluster
 * that match `topics` into remote topics of this worker's cluster (or
 * target.cluster.bootstrap.servers), partition for partition, with keys,
 * values, headers and timestamps, in offset order per partition; and
 * translates the committed offsets of the source cluster's consumer
 * groups to the remote topics (mirror_checkpoint.c).
 *
 * The source offset of each copied record is MM2's: partition
 * {"cluster":ALIAS,"topic":T,"partition":P}, offset {"offset":N}; a
 * restarted task resumes at N+1. The remote cluster is read through the
 * host's Kafka client services (ABI minor 5); commit_record() (minor 5)
 * tells where each record landed, which feeds the offset syncs.
 *
 * Settings: see README.md (MM2's key names where they exist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "connect_setting.h"
#include "mirror_task.h"

#define DEFAULT_TOPICS_EXCLUDE                                                 \
    "mirrormaker2.*, .*[-.]internal, .*\\.replica, __.*"
#define DEFAULT_GROUPS_EXCLUDE "console-consumer-.*, connect-.*, __.*"
#define FETCH_WAIT_MAX_MS      500
/* At most this many settings go to each cluster's client. */
#define MAX_PROPS 32

typedef struct mirror_source {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
} mirror_source_t;

/* One polled record and the memory it points into (one block). */
typedef struct mirror_rec {
    samsa_connect_record_t rec; /* first: the worker hands it back */
    mirror_part_t *part;
    int64_t up; /* its offset on the source */
    char offset[40];
} mirror_rec_t;

static samsa_err_t ms_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    if (!SAMSA_ABI_HAS(samsa_services_t, svc, kafka_commit)) {
        snprintf(errbuf, errbuf_size,
                 "source-mirror needs the host's Kafka client services (ABI "
                 "minor 5): upgrade samsad");
        return SAMSA_ERR_ABI;
    }
    mirror_source_t *ms = svc->alloc(sizeof(*ms));
    if (ms == NULL) {
        snprintf(errbuf, errbuf_size, "source-mirror: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    ms->svc = svc;
    ms->inst = inst;
    *state = ms;
    return SAMSA_OK;
}

static void ms_fini(void *state)
{
    mirror_source_t *ms = state;
    if (ms != NULL) {
        ms->svc->free(ms);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A positive integer setting, or -1 with the reason in errbuf. */
static int64_t int_setting(const samsa_connect_task_info_t *info,
                           const char *key, const char *def, char *errbuf,
                           size_t errlen)
{
    const char *v = samsa_connect_setting(info, key, def);
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || n <= 0) {
        snprintf(errbuf, errlen, "%s %s: expected a positive integer", key, v);
        return -1;
    }
    return n;
}

/* The client settings of one cluster: the task's keys starting with
 * "source.cluster." or "target.cluster." (MM2's prefixes), prefix
 * removed. */
static size_t cluster_props(const samsa_connect_task_info_t *info,
                            const char *prefix, samsa_connect_kv_t *out)
{
    size_t n = 0, pl = strlen(prefix);
    for (uint64_t i = 0; i < info->config_count && n < MAX_PROPS; i++) {
        const char *k = info->config[i].key;
        if (strncmp(k, prefix, pl) == 0 &&
            strcmp(k + pl, "bootstrap.servers") != 0 &&
            strcmp(k + pl, "alias") != 0) {
            out[n].key = k + pl;
            out[n].value = info->config[i].value;
            n++;
        }
    }
    return n;
}

/* The stored offsets of this alias's partitions, for resuming. */
static samsa_err_t read_resume(samsa_connect_task_t *t,
                               const samsa_connect_task_info_t *info)
{
    const samsa_services_t *svc = t->svc;
    t->resume_part = svc->alloc((info->offset_count + 1) * sizeof(char *));
    t->resume_off = svc->alloc((info->offset_count + 1) * sizeof(int64_t));
    if (t->resume_part == NULL || t->resume_off == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (uint64_t i = 0; i < info->offset_count; i++) {
        json_t *o = json_loads(info->offsets[i].source_offset, 0, NULL);
        json_t *off = json_object_get(o, "offset");
        if (json_is_integer(off)) {
            t->resume_part[t->nresume] =
                samsa_connect_strdup(svc, info->offsets[i].source_partition);
            t->resume_off[t->nresume] = json_integer_value(off);
            if (t->resume_part[t->nresume] != NULL) {
                t->nresume++;
            }
        }
        json_decref(o);
    }
    return SAMSA_OK;
}

/* The source partition JSON of @p topic / @p partition, as the worker
 * stores it (compact). */
static char *partition_json(const samsa_connect_task_t *t, const char *topic,
                            int32_t partition)
{
    json_t *o = json_pack("{s:s, s:s, s:i}", "cluster", t->policy.alias,
                          "topic", topic, "partition", (int)partition);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    char *copy = text != NULL ? samsa_connect_strdup(t->svc, text) : NULL;
    free(text);
    json_decref(o);
    return copy;
}

/* Where to start @p spart: after its stored offset, else -1. */
static int64_t resume_at(const samsa_connect_task_t *t, const char *spart)
{
    json_t *want = json_loads(spart, 0, NULL);
    int64_t at = -1;
    for (size_t i = 0; want != NULL && i < t->nresume; i++) {
        json_t *have = json_loads(t->resume_part[i], 0, NULL);
        if (have != NULL && json_equal(want, have)) {
            at = t->resume_off[i] + 1;
        }
        json_decref(have);
    }
    json_decref(want);
    return at;
}

static void part_free(const samsa_services_t *svc, mirror_part_t *p)
{
    if (p != NULL) {
        svc->free(p->topic);
        svc->free(p->remote);
        svc->free(p->spart);
        svc->free(p);
    }
}

static bool have_part(const samsa_connect_task_t *t, const char *topic,
                      int32_t partition)
{
    for (size_t i = 0; i < t->nparts; i++) {
        if (t->parts[i]->partition == partition &&
            strcmp(t->parts[i]->topic, topic) == 0) {
            return true;
        }
    }
    return false;
}

/* Start mirroring @p topic / @p partition (remote name @p remote). */
static samsa_err_t add_part(samsa_connect_task_t *t, const char *topic,
                            const char *remote, int32_t partition)
{
    const samsa_services_t *svc = t->svc;
    mirror_part_t *p = svc->alloc(sizeof(*p));
    if (p == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memset(p, 0, sizeof(*p));
    p->topic = samsa_connect_strdup(svc, topic);
    p->remote = samsa_connect_strdup(svc, remote);
    p->spart = partition_json(t, topic, partition);
    p->partition = partition;
    samsa_err_t err =
        p->topic && p->remote && p->spart ? SAMSA_OK : SAMSA_ERR_NOMEM;
    p->next = err == SAMSA_OK ? resume_at(t, p->spart) : -1;
    if (err == SAMSA_OK && p->next < 0) {
        /* Never copied: from the start, as MM2's consumers do. */
        err = svc->kafka_list_offset(t->src, topic, partition,
                                     SAMSA_KAFKA_OFFSET_BEGINNING, &p->next);
    }
    mirror_part_t **v =
        err == SAMSA_OK ? svc->realloc(t->parts, (t->nparts + 1) * sizeof(*v))
                        : NULL;
    if (v == NULL) {
        part_free(svc, p);
        return err != SAMSA_OK ? err : SAMSA_ERR_NOMEM;
    }
    t->parts = v;
    t->parts[t->nparts++] = p;
    svc->log(t->inst, SAMSA_LOG_INFO, "mirroring %s/%d to %s from offset %lld",
             topic, (int)partition, remote, (long long)p->next);
    return SAMSA_OK;
}

typedef struct topic_scan {
    samsa_connect_task_t *t;
    samsa_err_t err;
    int index; /* partitions seen so far, for spreading over tasks */
} topic_scan_t;

static void on_topic(void *arg, const char *topic, int32_t partitions)
{
    topic_scan_t *s = arg;
    samsa_connect_task_t *t = s->t;
    char remote[512];
    if (!samsa_mirror_filter_match(&t->topics, topic) ||
        !samsa_mirror_remote_topic(&t->policy, topic, remote, sizeof(remote))) {
        return;
    }
    bool created = false;
    for (int32_t p = 0; p < partitions; p++) {
        int mine = s->index++ % t->task_count == t->task_id;
        if (!mine || have_part(t, topic, p) || s->err != SAMSA_OK) {
            continue;
        }
        if (!created) {
            /* MM2 creates remote topics with the source's partitions. */
            samsa_err_t err =
                t->svc->kafka_create_topic(t->tgt, remote, partitions);
            if (err != SAMSA_OK) {
                t->svc->log(t->inst, SAMSA_LOG_WARN,
                            "creating %s on the target: %s", remote,
                            t->svc->kafka_errmsg(t->tgt));
                s->err = err;
                return;
            }
            created = true;
        }
        s->err = add_part(t, topic, remote, p);
    }
}

/* Pick up topics and partitions created on the source since the last
 * look. */
static void refresh_topics(samsa_connect_task_t *t)
{
    topic_scan_t s = {.t = t};
    samsa_err_t err = t->svc->kafka_topics(t->src, on_topic, &s);
    if (err != SAMSA_OK || s.err != SAMSA_OK) {
        t->svc->log(t->inst, SAMSA_LOG_WARN,
                    "listing topics of the source cluster: %s",
                    t->svc->kafka_errmsg(t->src));
        t->next_refresh = 0; /* again at the next poll */
    }
}

static void task_free(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    svc->kafka_close(t->src);
    svc->kafka_close(t->tgt);
    samsa_mirror_filter_free(&t->topics);
    samsa_mirror_filter_free(&t->groups);
    for (size_t i = 0; i < t->nparts; i++) {
        part_free(svc, t->parts[i]);
    }
    svc->free(t->parts);
    for (size_t i = 0; i < t->nresume; i++) {
        svc->free(t->resume_part[i]);
    }
    svc->free(t->resume_part);
    svc->free(t->resume_off);
    svc->free(t);
}

static samsa_err_t ms_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **task, char *errbuf,
                                 size_t errbuf_size)
{
    mirror_source_t *ms = state;
    const samsa_services_t *svc = ms->svc;
    samsa_connect_kv_t props[MAX_PROPS];
    samsa_connect_task_t *t = svc->alloc(sizeof(*t));
    if (t == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memset(t, 0, sizeof(*t));
    t->svc = svc;
    t->inst = ms->inst;
    t->task_id = info->task_id;
    t->task_count = info->task_count > 0 ? info->task_count : 1;
    const char *src =
        samsa_connect_setting(info, "source.cluster.bootstrap.servers", NULL);
    const char *tgt =
        samsa_connect_setting(info, "target.cluster.bootstrap.servers", NULL);
    samsa_err_t err = SAMSA_ERR_CONFIG;
    int64_t refresh_s = -1, sync_s = -1, max = -1;
    const char *sync =
        samsa_connect_setting(info, "sync.group.offsets.enabled", "true");
    if (src == NULL || src[0] == '\0') {
        snprintf(errbuf, errbuf_size,
                 "source.cluster.bootstrap.servers is required (the cluster "
                 "to mirror, host:port[,host:port])");
    } else if (samsa_mirror_policy_init(
                   &t->policy,
                   samsa_connect_setting(info, "replication.policy.class",
                                         "DefaultReplicationPolicy"),
                   samsa_connect_setting(info, "source.cluster.alias",
                                         "source"),
                   samsa_connect_setting(info, "target.cluster.alias", ""),
                   samsa_connect_setting(info, "replication.policy.separator",
                                         "."),
                   errbuf, errbuf_size) != 0) {
        /* errbuf says why */
    } else if (samsa_mirror_filter_init(
                   &t->topics, "topics",
                   samsa_connect_setting(info, "topics", ".*"),
                   samsa_connect_setting(info, "topics.exclude",
                                         DEFAULT_TOPICS_EXCLUDE),
                   errbuf, errbuf_size) != 0) {
        /* errbuf says why */
    } else if (samsa_mirror_filter_init(
                   &t->groups, "groups",
                   samsa_connect_setting(info, "groups", ".*"),
                   samsa_connect_setting(info, "groups.exclude",
                                         DEFAULT_GROUPS_EXCLUDE),
                   errbuf, errbuf_size) != 0) {
        samsa_mirror_filter_free(&t->topics);
    } else if ((refresh_s = int_setting(info, "refresh.topics.interval.seconds",
                                        "5", errbuf, errbuf_size)) < 0 ||
               (sync_s =
                    int_setting(info, "sync.group.offsets.interval.seconds",
                                "5", errbuf, errbuf_size)) < 0 ||
               (max = int_setting(info, "max.poll.records", "500", errbuf,
                                  errbuf_size)) < 0) {
        /* errbuf says why */
    } else if (strcmp(sync, "true") != 0 && strcmp(sync, "false") != 0) {
        snprintf(errbuf, errbuf_size,
                 "sync.group.offsets.enabled %s: expected true or false", sync);
    } else {
        err = SAMSA_OK;
    }
    if (err != SAMSA_OK) {
        svc->free(t);
        return err;
    }
    t->refresh_ms = refresh_s * 1000;
    t->sync_ms = sync_s * 1000;
    t->max_records = (size_t)max;
    t->sync_groups = strcmp(sync, "true") == 0;
    err = svc->kafka_open(ms->inst, src, props,
                          cluster_props(info, "source.cluster.", props),
                          &t->src, errbuf, errbuf_size);
    if (err == SAMSA_OK) {
        err = svc->kafka_open(ms->inst, tgt, props,
                              cluster_props(info, "target.cluster.", props),
                              &t->tgt, errbuf, errbuf_size);
    }
    if (err == SAMSA_OK) {
        err = read_resume(t, info);
    }
    if (err != SAMSA_OK) {
        task_free(t);
        return err;
    }
    *task = t;
    return SAMSA_OK;
}

typedef struct fetch_out {
    samsa_connect_task_t *t;
    samsa_err_t err;
} fetch_out_t;

static mirror_part_t *part_of(samsa_connect_task_t *t, const char *topic,
                              int32_t partition)
{
    for (size_t i = 0; i < t->nparts; i++) {
        if (t->parts[i]->partition == partition &&
            strcmp(t->parts[i]->topic, topic) == 0) {
            return t->parts[i];
        }
    }
    return NULL;
}

/* Copy one fetched record, in one block, into the poll's records. */
static int on_fetched(void *arg, const samsa_connect_record_t *in)
{
    fetch_out_t *o = arg;
    samsa_connect_task_t *t = o->t;
    const samsa_services_t *svc = t->svc;
    mirror_part_t *part = part_of(t, in->topic, in->partition);
    if (part == NULL) {
        return 0;
    }
    size_t size = sizeof(mirror_rec_t) +
                  in->header_count * sizeof(samsa_connect_header_t) +
                  (size_t)in->key_len + (size_t)in->value_len;
    for (uint64_t i = 0; i < in->header_count; i++) {
        size +=
            strlen(in->headers[i].key) + 1 + (size_t)in->headers[i].value_len;
    }
    mirror_rec_t *m = svc->alloc(size);
    if (m == NULL) {
        o->err = SAMSA_ERR_NOMEM;
        return 1;
    }
    samsa_connect_header_t *h = (samsa_connect_header_t *)(m + 1);
    char *p = (char *)(h + in->header_count);
    m->rec = *in;
    m->part = part;
    m->up = in->offset;
    m->rec.topic = part->remote;
    m->rec.partition = in->partition; /* partition for partition */
    m->rec.source_partition = part->spart;
    snprintf(m->offset, sizeof(m->offset), "{\"offset\":%lld}",
             (long long)in->offset);
    m->rec.source_offset = m->offset;
    if (in->key != NULL) {
        memcpy(p, in->key, (size_t)in->key_len);
        m->rec.key = p;
        p += in->key_len;
    }
    if (in->value != NULL) {
        memcpy(p, in->value, (size_t)in->value_len);
        m->rec.value = p;
        p += in->value_len;
    }
    for (uint64_t i = 0; i < in->header_count; i++) {
        size_t kl = strlen(in->headers[i].key) + 1;
        memcpy(p, in->headers[i].key, kl);
        h[i].key = p;
        p += kl;
        h[i].value = NULL;
        h[i].value_len = in->headers[i].value_len;
        if (in->headers[i].value != NULL) {
            memcpy(p, in->headers[i].value, (size_t)in->headers[i].value_len);
            h[i].value = p;
            p += in->headers[i].value_len;
        }
    }
    m->rec.headers = in->header_count ? h : NULL;
    t->recs[t->nrecs++] = &m->rec;
    return t->nrecs >= t->max_records;
}

static samsa_err_t ms_poll(samsa_connect_task_t *t, int64_t timeout_ms,
                           samsa_connect_record_t *const **records,
                           size_t *count)
{
    const samsa_services_t *svc = t->svc;
    *records = NULL;
    *count = 0;
    int64_t now = svc->monotonic_ms();
    if (now >= t->next_refresh) {
        t->next_refresh = now + t->refresh_ms;
        refresh_topics(t);
    }
    if (t->sync_groups && now >= t->next_sync) {
        t->next_sync = now + t->sync_ms;
        samsa_mirror_checkpoint(t);
    }
    int64_t wait =
        timeout_ms < FETCH_WAIT_MAX_MS ? timeout_ms : FETCH_WAIT_MAX_MS;
    if (t->nparts == 0) {
        sleep_ms((long)wait);
        return SAMSA_OK;
    }
    samsa_kafka_pos_t *pos = svc->alloc(t->nparts * sizeof(*pos));
    t->recs = svc->alloc(t->max_records * sizeof(*t->recs));
    if (pos == NULL || t->recs == NULL) {
        svc->free(pos);
        svc->free(t->recs);
        t->recs = NULL;
        return SAMSA_ERR_NOMEM;
    }
    t->nrecs = 0;
    for (size_t i = 0; i < t->nparts; i++) {
        pos[i] = (samsa_kafka_pos_t){.topic = t->parts[i]->topic,
                                     .partition = t->parts[i]->partition,
                                     .offset = t->parts[i]->next,
                                     .high_watermark = -1};
    }
    fetch_out_t o = {.t = t};
    samsa_err_t err =
        svc->kafka_fetch(t->src, pos, t->nparts, (int32_t)wait, on_fetched, &o);
    for (size_t i = 0; i < t->nparts; i++) {
        t->parts[i]->next = pos[i].offset;
        if (pos[i].error == SAMSA_ERR_OFFSET_OUT_OF_RANGE) {
            /* Retention passed us: MM2's consumers reset to earliest. */
            svc->kafka_list_offset(t->src, pos[i].topic, pos[i].partition,
                                   SAMSA_KAFKA_OFFSET_BEGINNING,
                                   &t->parts[i]->next);
        }
    }
    svc->free(pos);
    if (err != SAMSA_OK && t->nrecs == 0) {
        svc->log(t->inst, SAMSA_LOG_WARN, "fetch from the source cluster: %s",
                 svc->kafka_errmsg(t->src));
        svc->free(t->recs);
        t->recs = NULL;
        return SAMSA_ERR_AGAIN;
    }
    *records = t->recs;
    *count = t->nrecs;
    return o.err;
}

static void ms_poll_release(samsa_connect_task_t *t,
                            samsa_connect_record_t *const *records,
                            size_t count)
{
    for (size_t i = 0; i < count; i++) {
        t->svc->free((mirror_rec_t *)records[i]);
    }
    if (records != NULL && records == t->recs) {
        t->svc->free(t->recs);
        t->recs = NULL;
        t->nrecs = 0;
    }
}

/* Where a copied record landed: an offset sync. */
static void ms_commit_record(samsa_connect_task_t *t,
                             const samsa_connect_record_t *rec,
                             int32_t partition, int64_t offset)
{
    (void)t;
    const mirror_rec_t *m = (const mirror_rec_t *)rec;
    if (offset >= 0 && partition == m->part->partition) {
        samsa_mirror_sync_add(&m->part->syncs, m->up, offset);
    }
}

static void ms_task_stop(samsa_connect_task_t *t)
{
    if (t != NULL) {
        task_free(t);
    }
}

static const samsa_option_t ms_options[] = {
    SAMSA_OPTION_LIST(
        "connector_classes",
        "[MirrorSourceConnector, "
        "org.apache.kafka.connect.mirror.MirrorSourceConnector]",
        "connector.class values this plugin answers to (MirrorMaker 2's "
        "short and full class names)."),
    SAMSA_OPTION_END,
};

static const samsa_source_ops_t ms_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_source_ops_t),
    .task_start = ms_task_start,
    .poll = ms_poll,
    .poll_release = ms_poll_release,
    .task_stop = ms_task_stop,
    .commit_record = ms_commit_record,
};

static const samsa_plugin_t ms_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SOURCE,
    .name = "source-mirror",
    .version = "1.0.0",
    .summary = "MirrorMaker 2: copy topics and translate group offsets "
               "from another Kafka cluster",
    .options = ms_options,
    .init = ms_init,
    .fini = ms_fini,
    .ops = &ms_ops,
};

SAMSA_PLUGIN_DECLARE(ms_desc)
