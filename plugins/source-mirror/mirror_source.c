/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-mirror: MirrorMaker 2's three connectors (mirror_task.h).
 *
 * MirrorSourceConnector copies the topics of another Kafka-compatible
 * cluster that match `topics` into remote topics of this worker's cluster
 * (or target.cluster.bootstrap.servers), partition for partition, with
 * keys, values, headers and timestamps, in offset order per partition;
 * writes MM2's offset syncs (mirror_offset_syncs.c); and translates the
 * committed offsets of the source cluster's consumer groups to the remote
 * topics (mirror_checkpoint.c). MirrorCheckpointConnector translates
 * from the offset-syncs topic and emits checkpoints;
 * MirrorHeartbeatConnector emits heartbeats.
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
#include "mirror_format.h"
#include "mirror_task.h"

#define DEFAULT_TOPICS_EXCLUDE                                                 \
    "mirrormaker2.*, .*[-.]internal, .*\\.replica, __.*"
#define DEFAULT_GROUPS_EXCLUDE "console-consumer-.*, connect-.*, __.*"
/* MM2's DefaultConfigPropertyFilter: configs never copied to a remote
 * topic (replication and timestamp policy stay the target's own). */
#define DEFAULT_CONFIG_EXCLUDE                                                 \
    "follower\\.replication\\.throttled\\.replicas, "                          \
    "leader\\.replication\\.throttled\\.replicas, "                            \
    "message\\.timestamp\\.difference\\.max\\.ms, "                            \
    "message\\.timestamp\\.type, unclean\\.leader\\.election\\.enable, "       \
    "min\\.insync\\.replicas"
#define HEARTBEATS_TOPIC  "heartbeats"
#define HB_KEY_MAX        600
#define HB_VAL_MAX        16
#define FETCH_WAIT_MAX_MS 500
/* At most this many settings go to each cluster's client. */
#define MAX_PROPS 32

typedef struct mirror_source {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
} mirror_source_t;

/* One polled record and the memory it points into (one block). */
typedef struct mirror_rec {
    samsa_connect_record_t rec; /* first: the worker hands it back */
    mirror_part_t *part;        /* NULL: a checkpoint or heartbeat */
    int64_t up;                 /* its offset on the source */
    char offset[40];
} mirror_rec_t;

static samsa_err_t ms_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    if (!SAMSA_ABI_HAS(samsa_services_t, svc, kafka_commit_metadata)) {
        snprintf(errbuf, errbuf_size,
                 "source-mirror needs the host's Kafka client services (ABI "
                 "minor 7, with kafka_acls): upgrade samsad");
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

/* Which of MM2's connectors connector.class names (by its simple name). */
static mirror_role_t role_of(const char *cls)
{
    const char *dot = cls != NULL ? strrchr(cls, '.') : NULL;
    const char *name = dot != NULL ? dot + 1 : cls != NULL ? cls : "";
    if (strcmp(name, "MirrorCheckpointConnector") == 0) {
        return MIRROR_CHECKPOINT;
    }
    if (strcmp(name, "MirrorHeartbeatConnector") == 0) {
        return MIRROR_HEARTBEAT;
    }
    return MIRROR_SOURCE;
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

/* A boolean setting into @p out; false with the reason in errbuf. */
static bool bool_setting(const samsa_connect_task_info_t *info, const char *key,
                         const char *def, bool *out, char *errbuf,
                         size_t errlen)
{
    const char *v = samsa_connect_setting(info, key, def);
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        snprintf(errbuf, errlen, "%s %s: expected true or false", key, v);
        return false;
    }
    *out = strcmp(v, "true") == 0;
    return true;
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

samsa_err_t samsa_mirror_add_part(samsa_connect_task_t *t, const char *topic,
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
    p->prev_up = p->prev_down = p->last_sync_down = -1;
    p->entry = samsa_mirror_store_get(&t->store, topic, partition);
    samsa_err_t err = p->topic && p->remote && p->spart && p->entry
                          ? SAMSA_OK
                          : SAMSA_ERR_NOMEM;
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

static void task_free(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    svc->kafka_close(t->src);
    svc->kafka_close(t->tgt);
    samsa_mirror_filter_free(&t->topics);
    samsa_mirror_filter_free(&t->groups);
    samsa_mirror_filter_free(&t->config_props);
    for (size_t i = 0; i < t->nparts; i++) {
        part_free(svc, t->parts[i]);
    }
    svc->free(t->parts);
    samsa_mirror_store_free(&t->store);
    svc->free(t->outbox);
    for (size_t i = 0; i < t->nresume; i++) {
        svc->free(t->resume_part[i]);
    }
    svc->free(t->resume_part);
    svc->free(t->resume_off);
    svc->free(t);
}

/* "<what>.exclude", else its deprecated alias "<what>.blacklist" (MM2
 * still reads both), else @p def. */
static const char *exclude_setting(const samsa_connect_task_info_t *info,
                                   const char *what, const char *def)
{
    char key[64], alias[64];
    snprintf(key, sizeof(key), "%s.exclude", what);
    snprintf(alias, sizeof(alias), "%s.blacklist", what);
    return samsa_connect_setting(info, key,
                                 samsa_connect_setting(info, alias, def));
}

/* Read and check the settings into @p t; SAMSA_ERR_CONFIG with the reason
 * in errbuf. Filters compiled here are freed by task_free. */
static samsa_err_t read_settings(samsa_connect_task_t *t,
                                 const samsa_connect_task_info_t *info,
                                 char *errbuf, size_t errlen)
{
    int64_t refresh_s, sync_s, configs_s, acls_s, hb_s, max, lag;
    const char *loc;
    const char *sep =
        samsa_connect_setting(info, "replication.policy.separator", ".");
    snprintf(t->target_alias, sizeof(t->target_alias), "%s",
             samsa_connect_setting(info, "target.cluster.alias", "target"));
    if (samsa_mirror_policy_init(
            &t->policy,
            samsa_connect_setting(info, "replication.policy.class",
                                  "DefaultReplicationPolicy"),
            samsa_connect_setting(info, "source.cluster.alias", "source"),
            t->target_alias, sep, errbuf, errlen) != 0 ||
        samsa_mirror_filter_init(
            &t->topics, "topics", samsa_connect_setting(info, "topics", ".*"),
            exclude_setting(info, "topics", DEFAULT_TOPICS_EXCLUDE), errbuf,
            errlen) != 0 ||
        samsa_mirror_filter_init(
            &t->groups, "groups", samsa_connect_setting(info, "groups", ".*"),
            exclude_setting(info, "groups", DEFAULT_GROUPS_EXCLUDE), errbuf,
            errlen) != 0 ||
        samsa_mirror_filter_init(
            &t->config_props, "config.properties", ".*",
            exclude_setting(info, "config.properties", DEFAULT_CONFIG_EXCLUDE),
            errbuf, errlen) != 0) {
        return SAMSA_ERR_CONFIG;
    }
    if ((refresh_s = int_setting(info, "refresh.topics.interval.seconds", "5",
                                 errbuf, errlen)) < 0 ||
        (sync_s = int_setting(info,
                              t->role == MIRROR_CHECKPOINT
                                  ? "emit.checkpoints.interval.seconds"
                                  : "sync.group.offsets.interval.seconds",
                              "5", errbuf, errlen)) < 0 ||
        (configs_s = int_setting(info, "sync.topic.configs.interval.seconds",
                                 "600", errbuf, errlen)) < 0 ||
        (acls_s = int_setting(info, "sync.topic.acls.interval.seconds", "600",
                              errbuf, errlen)) < 0 ||
        (hb_s = int_setting(info, "emit.heartbeats.interval.seconds", "1",
                            errbuf, errlen)) < 0 ||
        (max = int_setting(info, "max.poll.records", "500", errbuf, errlen)) <
            0 ||
        (lag = int_setting(info, "offset.lag.max", "100", errbuf, errlen)) <
            0 ||
        !bool_setting(info, "sync.group.offsets.enabled", "false",
                      &t->sync_groups, errbuf, errlen) ||
        !bool_setting(info, "emit.checkpoints.enabled",
                      t->role == MIRROR_CHECKPOINT ? "true" : "false",
                      &t->emit_checkpoints, errbuf, errlen) ||
        !bool_setting(info, "emit.offset-syncs.enabled", "true", &t->emit_syncs,
                      errbuf, errlen) ||
        !bool_setting(info, "sync.topic.configs.enabled", "true",
                      &t->sync_configs, errbuf, errlen) ||
        !bool_setting(info, "sync.topic.acls.enabled", "true", &t->sync_acls,
                      errbuf, errlen) ||
        !bool_setting(info, "emit.heartbeats.enabled", "true",
                      &t->emit_heartbeats, errbuf, errlen) ||
        !bool_setting(info, "heartbeats.replication.enabled", "true",
                      &t->replicate_heartbeats, errbuf, errlen)) {
        return SAMSA_ERR_CONFIG;
    }
    const char *defaults =
        samsa_connect_setting(info, "use.defaults.from", "target");
    if (strcmp(defaults, "target") != 0 && strcmp(defaults, "source") != 0) {
        snprintf(errbuf, errlen,
                 "use.defaults.from %s: expected target or source", defaults);
        return SAMSA_ERR_CONFIG;
    }
    t->source_defaults = strcmp(defaults, "source") == 0;
    loc = samsa_connect_setting(info, "offset-syncs.topic.location", "source");
    if (strcmp(loc, "source") != 0 && strcmp(loc, "target") != 0) {
        snprintf(errbuf, errlen,
                 "offset-syncs.topic.location %s: expected source or target",
                 loc);
        return SAMSA_ERR_CONFIG;
    }
    t->syncs_k = strcmp(loc, "source") == 0 ? t->src : t->tgt;
    /* MM2's DefaultReplicationPolicy names (the separator is used for
     * internal topics too). */
    snprintf(t->syncs_topic, sizeof(t->syncs_topic),
             "mm2-offset-syncs%s%s%sinternal", sep, t->target_alias, sep);
    snprintf(t->checkpoints_topic, sizeof(t->checkpoints_topic),
             "%s%scheckpoints%sinternal", t->policy.alias, sep, sep);
    t->refresh_ms = refresh_s * 1000;
    t->sync_ms = sync_s * 1000;
    t->configs_ms = configs_s * 1000;
    t->acls_ms = acls_s * 1000;
    t->heartbeat_ms = hb_s * 1000;
    t->max_records = (size_t)max;
    t->lag_max = lag;
    t->syncs_next = -1;
    return SAMSA_OK;
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
    t->role = role_of(samsa_connect_setting(info, "connector.class", ""));
    const char *src =
        samsa_connect_setting(info, "source.cluster.bootstrap.servers", NULL);
    const char *tgt =
        samsa_connect_setting(info, "target.cluster.bootstrap.servers", NULL);
    samsa_err_t err = SAMSA_OK;
    if (t->role != MIRROR_HEARTBEAT && (src == NULL || src[0] == '\0')) {
        snprintf(errbuf, errbuf_size,
                 "source.cluster.bootstrap.servers is required (the cluster "
                 "to mirror, host:port[,host:port])");
        err = SAMSA_ERR_CONFIG;
    }
    if (err == SAMSA_OK && t->role != MIRROR_HEARTBEAT) {
        err = svc->kafka_open(ms->inst, src, props,
                              cluster_props(info, "source.cluster.", props),
                              &t->src, errbuf, errbuf_size);
    }
    if (err == SAMSA_OK) {
        err = svc->kafka_open(ms->inst, tgt, props,
                              cluster_props(info, "target.cluster.", props),
                              &t->tgt, errbuf, errbuf_size);
    }
    if (err == SAMSA_OK) {
        err = read_settings(t, info, errbuf, errbuf_size);
    }
    if (err == SAMSA_OK) {
        err = read_resume(t, info);
    }
    if (err == SAMSA_OK && t->role != MIRROR_HEARTBEAT &&
        (t->role == MIRROR_CHECKPOINT || t->sync_groups ||
         t->emit_checkpoints)) {
        /* The syncs stored so far: translation works from the start, not
         * only once new records are copied. A missing topic is empty. */
        if (t->role == MIRROR_CHECKPOINT || !t->emit_syncs ||
            samsa_mirror_syncs_topic(t)) {
            (void)samsa_mirror_syncs_read(t, true, 0);
        }
        if (t->emit_checkpoints) {
            samsa_mirror_checkpoints_load(t);
        }
    }
    if (err != SAMSA_OK) {
        task_free(t);
        return err;
    }
    *task = t;
    return SAMSA_OK;
}

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

/* Room for one more record in the poll's records. */
static bool room(samsa_connect_task_t *t)
{
    if (t->nrecs < t->caprecs) {
        return true;
    }
    size_t cap = t->caprecs ? t->caprecs * 2 : 16;
    samsa_connect_record_t **v = t->svc->realloc(t->recs, cap * sizeof(*v));
    if (v == NULL) {
        return false;
    }
    t->recs = v;
    t->caprecs = cap;
    return true;
}

bool samsa_mirror_emit(samsa_connect_task_t *t, const char *topic,
                       int32_t partition, const void *key, size_t key_len,
                       const void *value, size_t value_len, int64_t timestamp)
{
    size_t tl = strlen(topic) + 1;
    mirror_rec_t *m =
        room(t) ? t->svc->alloc(sizeof(*m) + tl + key_len + value_len) : NULL;
    if (m == NULL) {
        return false;
    }
    memset(m, 0, sizeof(*m));
    char *p = (char *)(m + 1);
    memcpy(p, topic, tl);
    memcpy(p + tl, key, key_len);
    memcpy(p + tl + key_len, value, value_len);
    m->rec = (samsa_connect_record_t){
        .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
        .topic = p,
        .key = p + tl,
        .key_len = key_len,
        .value = p + tl + key_len,
        .value_len = value_len,
        .timestamp = timestamp,
        .partition = partition,
    };
    t->recs[t->nrecs++] = &m->rec;
    return true;
}

typedef struct fetch_out {
    samsa_connect_task_t *t;
    samsa_err_t err;
} fetch_out_t;

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
    mirror_rec_t *m = room(t) ? svc->alloc(size) : NULL;
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

/* MirrorSourceConnector: copy what the source has past each position. */
static samsa_err_t poll_copy(samsa_connect_task_t *t, int64_t wait)
{
    const samsa_services_t *svc = t->svc;
    int64_t now = svc->monotonic_ms();
    if (now >= t->next_refresh) {
        t->next_refresh = now + t->refresh_ms;
        samsa_mirror_refresh_topics(t);
    }
    if (t->sync_configs && t->task_id == 0 && now >= t->next_configs) {
        /* One task is enough (MM2 does it in the connector). */
        t->next_configs = now + t->configs_ms;
        samsa_mirror_sync_configs(t);
    }
    if (t->sync_acls && t->task_id == 0 && now >= t->next_acls) {
        t->next_acls = now + t->acls_ms;
        samsa_mirror_sync_acls(t);
    }
    if ((t->sync_groups || t->emit_checkpoints) && now >= t->next_sync) {
        t->next_sync = now + t->sync_ms;
        samsa_mirror_checkpoint(t);
    }
    if (t->nparts == 0) {
        if (t->nrecs == 0) {
            sleep_ms((long)wait);
        }
        return SAMSA_OK;
    }
    samsa_kafka_pos_t *pos = svc->alloc(t->nparts * sizeof(*pos));
    if (pos == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < t->nparts; i++) {
        pos[i] = (samsa_kafka_pos_t){.topic = t->parts[i]->topic,
                                     .partition = t->parts[i]->partition,
                                     .offset = t->parts[i]->next,
                                     .high_watermark = -1};
    }
    fetch_out_t o = {.t = t};
    samsa_err_t err = svc->kafka_fetch(
        t->src, pos, t->nparts, t->nrecs ? 0 : (int32_t)wait, on_fetched, &o);
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
        return SAMSA_ERR_AGAIN;
    }
    return o.err;
}

/* MirrorCheckpointConnector: follow the offset syncs, and checkpoint. */
static samsa_err_t poll_checkpoint(samsa_connect_task_t *t, int64_t wait)
{
    int64_t now = t->svc->monotonic_ms();
    if (now >= t->next_sync) {
        t->next_sync = now + t->sync_ms;
        samsa_mirror_checkpoint(t);
    }
    if (t->nrecs == 0) {
        int64_t left = t->next_sync - t->svc->monotonic_ms();
        int64_t w = left < wait ? (left > 0 ? left : 0) : wait;
        if (samsa_mirror_syncs_read(t, false, (int32_t)w) != SAMSA_OK) {
            /* No topic yet (no source task ran), or the cluster is away:
             * no busy loop. */
            sleep_ms((long)w);
        }
    }
    return SAMSA_OK;
}

/* MirrorHeartbeatConnector: a Heartbeat every interval. */
static samsa_err_t poll_heartbeat(samsa_connect_task_t *t, int64_t wait)
{
    const samsa_services_t *svc = t->svc;
    int64_t now = svc->monotonic_ms();
    if (!t->emit_heartbeats || now < t->next_heartbeat) {
        /* emit.heartbeats.enabled=false: the task idles, as MM2's. */
        int64_t left = t->emit_heartbeats ? t->next_heartbeat - now : wait;
        sleep_ms((long)(left < wait ? left : wait));
        return SAMSA_OK;
    }
    samsa_connect_kv_t compact = {"cleanup.policy", "compact"};
    if (svc->kafka_create_topic_configs(t->tgt, HEARTBEATS_TOPIC, 1, &compact,
                                        1) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "creating %s: %s", HEARTBEATS_TOPIC,
                 svc->kafka_errmsg(t->tgt));
        return SAMSA_ERR_AGAIN;
    }
    uint8_t key[HB_KEY_MAX], val[HB_VAL_MAX];
    int64_t ts = svc->now_ms();
    size_t kl = samsa_mirror_heartbeat_key(key, sizeof(key), t->policy.alias,
                                           t->target_alias);
    size_t vl = samsa_mirror_heartbeat_value(val, sizeof(val), ts);
    t->next_heartbeat = now + t->heartbeat_ms;
    if (kl > 0 && vl > 0 &&
        !samsa_mirror_emit(t, HEARTBEATS_TOPIC, 0, key, kl, val, vl, ts)) {
        return SAMSA_ERR_NOMEM;
    }
    return SAMSA_OK;
}

static samsa_err_t ms_poll(samsa_connect_task_t *t, int64_t timeout_ms,
                           samsa_connect_record_t *const **records,
                           size_t *count)
{
    int64_t wait =
        timeout_ms < FETCH_WAIT_MAX_MS ? timeout_ms : FETCH_WAIT_MAX_MS;
    samsa_err_t err;
    t->nrecs = 0;
    switch (t->role) {
    case MIRROR_CHECKPOINT:
        err = poll_checkpoint(t, wait);
        break;
    case MIRROR_HEARTBEAT:
        err = poll_heartbeat(t, wait);
        break;
    default:
        err = poll_copy(t, wait);
        break;
    }
    *records = t->recs;
    *count = t->nrecs;
    if (err != SAMSA_OK && t->nrecs > 0 && err != SAMSA_ERR_NOMEM) {
        err = SAMSA_OK; /* hand over what we have; the next poll retries */
    }
    return err;
}

static void ms_poll_release(samsa_connect_task_t *t,
                            samsa_connect_record_t *const *records,
                            size_t count)
{
    for (size_t i = 0; i < count; i++) {
        t->svc->free((mirror_rec_t *)records[i]);
    }
    t->nrecs = 0;
    if (t->role == MIRROR_SOURCE) {
        samsa_mirror_syncs_flush(t);
    }
}

/* Where a copied record landed: an offset sync. */
static void ms_commit_record(samsa_connect_task_t *t,
                             const samsa_connect_record_t *rec,
                             int32_t partition, int64_t offset)
{
    const mirror_rec_t *m = (const mirror_rec_t *)rec;
    if (m->part != NULL && offset >= 0 && partition == m->part->partition) {
        samsa_mirror_sync_add(&m->part->entry->syncs, m->up, offset);
        samsa_mirror_syncs_note(t, m->part, m->up, offset);
    }
}

static void ms_task_stop(samsa_connect_task_t *t)
{
    if (t != NULL) {
        if (t->role == MIRROR_SOURCE) {
            samsa_mirror_syncs_flush(t);
        }
        t->svc->free(t->recs);
        task_free(t);
    }
}

/* Kafka's taskConfigs: a source splits its partitions over tasks.max
 * tasks (samsa_mirror_mine), a checkpoint connector its groups; one
 * heartbeat task is enough. */
static samsa_err_t ms_task_count(void *state, const samsa_connect_kv_t *config,
                                 uint64_t config_count, int32_t tasks_max,
                                 int32_t *count)
{
    (void)state;
    const char *cls = "";
    for (uint64_t i = 0; i < config_count; i++) {
        if (strcmp(config[i].key, "connector.class") == 0) {
            cls = config[i].value;
        }
    }
    *count = role_of(cls) == MIRROR_HEARTBEAT ? 1 : tasks_max;
    return SAMSA_OK;
}

static const samsa_option_t ms_options[] = {
    SAMSA_OPTION_LIST(
        "connector_classes",
        "[MirrorSourceConnector, "
        "org.apache.kafka.connect.mirror.MirrorSourceConnector, "
        "MirrorCheckpointConnector, "
        "org.apache.kafka.connect.mirror.MirrorCheckpointConnector, "
        "MirrorHeartbeatConnector, "
        "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector]",
        "connector.class values this plugin answers to (MirrorMaker 2's "
        "three connectors, short and full class names)."),
    SAMSA_OPTION_END,
};

static const samsa_source_ops_t ms_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_source_ops_t),
    .task_start = ms_task_start,
    .poll = ms_poll,
    .poll_release = ms_poll_release,
    .task_stop = ms_task_stop,
    .commit_record = ms_commit_record,
    .task_count = ms_task_count,
};

static const samsa_plugin_t ms_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SOURCE,
    .name = "source-mirror",
    .version = "1.1.0",
    .summary = "MirrorMaker 2: copy topics, translate group offsets, "
               "checkpoints and heartbeats from another Kafka cluster",
    .options = ms_options,
    .init = ms_init,
    .fini = ms_fini,
    .ops = &ms_ops,
};

SAMSA_PLUGIN_DECLARE(ms_desc)
