/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_topics.c - which source partitions a task
 * copies, and the remote topics kept like their source: created with the
 * source's partition count (and its own configs with
 * sync.topic.configs.enabled), grown when the source topic grows
 * (refresh.topics.interval.seconds), configs copied again every
 * sync.topic.configs.interval.seconds (config.properties.exclude), those
 * back at their default on the source removed (Kafka 3.8's incremental
 * sync).
 */
#include <stdio.h>
#include <string.h>

#include "connect_setting.h"
#include "mirror_task.h"

#define MAX_CONFIGS 128

/* A stable share for every task: a topic's partitions go round the tasks
 * from a point its name picks (FNV-1a), so adding a topic moves nothing. */
bool samsa_mirror_mine(const samsa_connect_task_t *t, const char *topic,
                       int32_t partition)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return (int32_t)((h + (uint32_t)partition) % (uint32_t)t->task_count) ==
           t->task_id;
}

bool samsa_mirror_replicated(const samsa_connect_task_t *t, const char *topic,
                             char *remote, size_t len)
{
    return (samsa_mirror_filter_match(&t->topics, topic) ||
            (t->replicate_heartbeats &&
             samsa_mirror_heartbeats_topic(&t->policy, topic))) &&
           samsa_mirror_remote_topic(&t->policy, topic, remote, len);
}

bool samsa_mirror_wanted(const samsa_connect_task_t *t, const char *topic,
                         int32_t partition)
{
    char remote[512];
    if (!samsa_mirror_replicated(t, topic, remote, sizeof(remote))) {
        return false;
    }
    /* A checkpoint task needs every partition: it splits groups. */
    return t->role != MIRROR_SOURCE || samsa_mirror_mine(t, topic, partition);
}

/* The topics of one cluster, names owned. */
typedef struct topic_list {
    const samsa_services_t *svc;
    char **names;
    int32_t *parts;
    size_t n, cap;
} topic_list_t;

static void on_topic(void *arg, const char *topic, int32_t partitions)
{
    topic_list_t *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **names = l->svc->realloc(l->names, cap * sizeof(*names));
        if (names == NULL) {
            return;
        }
        l->names = names;
        int32_t *parts = l->svc->realloc(l->parts, cap * sizeof(*parts));
        if (parts == NULL) {
            return;
        }
        l->parts = parts;
        l->cap = cap;
    }
    char *name = samsa_connect_strdup(l->svc, topic);
    if (name != NULL) {
        l->names[l->n] = name;
        l->parts[l->n++] = partitions;
    }
}

static void list_free(topic_list_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        l->svc->free(l->names[i]);
    }
    l->svc->free(l->names);
    l->svc->free(l->parts);
}

/* Partitions of @p name in @p l, -1 when it has no such topic. */
static int32_t partitions_of(const topic_list_t *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->names[i], name) == 0) {
            return l->parts[i];
        }
    }
    return -1;
}

/* What a remote topic gets of its source topic's configs, as MM2's
 * targetConfig: no sensitive one, none from the source broker's static
 * config, none config.properties.exclude names. At creation only those not
 * at their default are set; a sync also DELETEs (value NULL) those at
 * their default on the source, so one removed there goes on the target.
 * With use.defaults.from=source, the source's defaults are set too. */
typedef struct config_list {
    samsa_connect_task_t *t;
    bool sync; /* else creation */
    samsa_connect_kv_t kv[MAX_CONFIGS];
    size_t n;
} config_list_t;

static void on_config(void *arg, const char *name, const char *value,
                      int source)
{
    config_list_t *c = arg;
    const samsa_services_t *svc = c->t->svc;
    bool deflt = source == SAMSA_KAFKA_CONFIG_DEFAULT && !c->t->source_defaults;
    if (c->n == MAX_CONFIGS || value == NULL ||
        source == SAMSA_KAFKA_CONFIG_STATIC_BROKER || (deflt && !c->sync) ||
        !samsa_mirror_filter_match(&c->t->config_props, name)) {
        return;
    }
    char *k = samsa_connect_strdup(svc, name);
    char *v = deflt ? NULL : samsa_connect_strdup(svc, value);
    if (k == NULL || (!deflt && v == NULL)) {
        svc->free(k);
        svc->free(v);
        return;
    }
    c->kv[c->n++] = (samsa_connect_kv_t){k, v};
}

static void configs_free(config_list_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        c->t->svc->free((char *)c->kv[i].key);
        c->t->svc->free((char *)c->kv[i].value);
    }
    c->n = 0;
}

/* The configs to give @p topic's remote topic (none without
 * sync.topic.configs.enabled). */
static samsa_err_t source_configs(samsa_connect_task_t *t, const char *topic,
                                  bool sync, config_list_t *c)
{
    c->t = t;
    c->sync = sync;
    c->n = 0;
    if (!t->sync_configs) {
        return SAMSA_OK;
    }
    samsa_err_t err =
        t->svc->kafka_topic_configs_all(t->src, topic, on_config, c);
    if (err != SAMSA_OK) {
        t->svc->log(t->inst, SAMSA_LOG_WARN, "configs of %s on the source: %s",
                    topic, t->svc->kafka_errmsg(t->src));
        configs_free(c);
    }
    return err;
}

/* Make @p remote exist with at least @p partitions (@p have: its count
 * now, -1 when missing). */
static samsa_err_t ensure_remote(samsa_connect_task_t *t, const char *topic,
                                 const char *remote, int32_t partitions,
                                 int32_t have)
{
    const samsa_services_t *svc = t->svc;
    samsa_err_t err = SAMSA_OK;
    if (have < 0) {
        /* MM2 creates remote topics like the source: partitions, configs. */
        config_list_t c;
        err = source_configs(t, topic, false, &c);
        if (err == SAMSA_OK) {
            err = svc->kafka_create_topic_configs(t->tgt, remote, partitions,
                                                  c.kv, c.n);
            configs_free(&c);
        }
    } else if (have < partitions) {
        err = svc->kafka_create_partitions(t->tgt, remote, partitions);
        if (err == SAMSA_ERR_INVALID_PARTITIONS) {
            err = SAMSA_OK; /* another task grew it first */
        } else if (err == SAMSA_OK) {
            svc->log(t->inst, SAMSA_LOG_INFO,
                     "%s grew to %d partitions on the source: so did %s", topic,
                     (int)partitions, remote);
        }
    }
    if (err != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "creating %s on the target: %s",
                 remote, svc->kafka_errmsg(t->tgt));
    }
    return err;
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

void samsa_mirror_refresh_topics(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    topic_list_t src = {.svc = svc}, tgt = {.svc = svc};
    char remote[512];
    samsa_err_t err = svc->kafka_topics(t->src, on_topic, &src);
    if (err != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN,
                 "listing topics of the source cluster: %s",
                 svc->kafka_errmsg(t->src));
    } else if ((err = svc->kafka_topics(t->tgt, on_topic, &tgt)) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN,
                 "listing topics of the target cluster: %s",
                 svc->kafka_errmsg(t->tgt));
    }
    for (size_t i = 0; err == SAMSA_OK && i < src.n; i++) {
        const char *topic = src.names[i];
        if (!samsa_mirror_replicated(t, topic, remote, sizeof(remote))) {
            continue;
        }
        bool ensured = false;
        for (int32_t p = 0; err == SAMSA_OK && p < src.parts[i]; p++) {
            if (!samsa_mirror_mine(t, topic, p) || have_part(t, topic, p)) {
                continue;
            }
            if (!ensured) {
                err = ensure_remote(t, topic, remote, src.parts[i],
                                    partitions_of(&tgt, remote));
                ensured = true;
            }
            if (err == SAMSA_OK) {
                err = samsa_mirror_add_part(t, topic, remote, p);
            }
        }
    }
    if (err != SAMSA_OK) {
        t->next_refresh = 0; /* again at the next poll */
    }
    list_free(&src);
    list_free(&tgt);
}

void samsa_mirror_sync_configs(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    topic_list_t src = {.svc = svc}, tgt = {.svc = svc};
    char remote[512];
    if (svc->kafka_topics(t->src, on_topic, &src) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN,
                 "listing topics of the source cluster: %s",
                 svc->kafka_errmsg(t->src));
    } else if (svc->kafka_topics(t->tgt, on_topic, &tgt) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN,
                 "listing topics of the target cluster: %s",
                 svc->kafka_errmsg(t->tgt));
        list_free(&src);
        return;
    }
    for (size_t i = 0; i < src.n; i++) {
        config_list_t c;
        /* Only topics being replicated: their remote topic exists. */
        if (!samsa_mirror_replicated(t, src.names[i], remote, sizeof(remote)) ||
            partitions_of(&tgt, remote) < 0 ||
            source_configs(t, src.names[i], true, &c) != SAMSA_OK) {
            continue;
        }
        if (c.n > 0 && svc->kafka_alter_topic_configs(t->tgt, remote, c.kv,
                                                      c.n) != SAMSA_OK) {
            svc->log(t->inst, SAMSA_LOG_WARN, "configs of %s on the target: %s",
                     remote, svc->kafka_errmsg(t->tgt));
        }
        configs_free(&c);
    }
    list_free(&src);
    list_free(&tgt);
}
