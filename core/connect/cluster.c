/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/cluster.c - see cluster.h: group membership of a
 * distributed worker, applying assignments and following the internal
 * topics. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/properties.h"
#include "connect/assignor.h"
#include "connect/worker_int.h"
#include "util/clock.h"
#include "util/log.h"

#define PROTOCOL_TYPE "connect"
#define TAIL_EVERY_MS 500

/* Kafka's ConnectProtocolCompatibility names, by version. */
static const char *const protocol_names[] = {"default", "compatible",
                                             "sessioned"};

struct samsa_connect_cluster {
    samsa_connect_t *w;
    samsa_client_t *client; /* the group membership's own */
    samsa_client_member_t member;
    char url[400]; /* http://HOST:PORT/ */
    /* Under w->admin: the current assignment and the tail positions. */
    samsa_connect_assignment_t assignment;
    bool assigned;
    int64_t configs_pos, offsets_pos, status_pos;
    /* Membership thread only: name -> task count the leader assigned. */
    json_t *basis;
    int version;          /* the protocol of the last generation joined */
    bool led_last;        /* we led it: the leader's memory is ours */
    int64_t rejoin_at_ms; /* the leader's scheduled rebalance (0: none) */
    samsa_connect_coop_memory_t memory;
    atomic_bool rebalancing;
    /* Under w->lock: the applied generation's leader (REST forwards
     * writes there); leader_url "" while none is known. */
    bool leader_self;
    char leader_url[400];
    pthread_t thread;
    bool has_thread;
};

/* ------------------------------------------------------------ config */

static samsa_err_t parse_ms(const char *key, const char *value, int *out,
                            char *errbuf, size_t errlen)
{
    char *end = NULL;
    long v = strtol(value, &end, 10);
    if (end == value || *end != '\0' || v < 1 || v > 3600000) {
        snprintf(errbuf, errlen, "%s %s: expected milliseconds in [1, 3600000]",
                 key, value);
        return SAMSA_ERR_CONFIG;
    }
    *out = (int)v;
    return SAMSA_OK;
}

/* connect.protocol: Kafka's names ("eager" for the protocol it calls
 * "default" on the wire). */
static samsa_err_t parse_protocol(const char *value, int *out, char *errbuf,
                                  size_t errlen)
{
    if (strcmp(value, "eager") == 0) {
        *out = SAMSA_CONNECT_PROTOCOL_EAGER;
    } else if (strcmp(value, "compatible") == 0) {
        *out = SAMSA_CONNECT_PROTOCOL_COMPATIBLE;
    } else if (strcmp(value, "sessioned") == 0) {
        *out = SAMSA_CONNECT_PROTOCOL_SESSIONED;
    } else {
        snprintf(errbuf, errlen,
                 "connect.protocol %s: expected eager, compatible or "
                 "sessioned",
                 value);
        return SAMSA_ERR_CONFIG;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_connect_dist_set(samsa_connect_dist_conf_t *d,
                                   const char *key, const char *value,
                                   char *errbuf, size_t errlen)
{
    if (strcmp(key, "group.id") == 0) {
        snprintf(d->group_id, sizeof(d->group_id), "%s", value);
    } else if (strcmp(key, "session.timeout.ms") == 0) {
        return parse_ms(key, value, &d->session_timeout_ms, errbuf, errlen);
    } else if (strcmp(key, "heartbeat.interval.ms") == 0) {
        return parse_ms(key, value, &d->heartbeat_interval_ms, errbuf, errlen);
    } else if (strcmp(key, "rebalance.timeout.ms") == 0) {
        return parse_ms(key, value, &d->rebalance_timeout_ms, errbuf, errlen);
    } else if (strcmp(key, "config.storage.topic") == 0) {
        snprintf(d->configs_topic, sizeof(d->configs_topic), "%s", value);
    } else if (strcmp(key, "offset.storage.topic") == 0) {
        snprintf(d->offsets_topic, sizeof(d->offsets_topic), "%s", value);
    } else if (strcmp(key, "status.storage.topic") == 0) {
        snprintf(d->status_topic, sizeof(d->status_topic), "%s", value);
    } else if (strcmp(key, "rest.advertised.host.name") == 0) {
        snprintf(d->advertised_host, sizeof(d->advertised_host), "%s", value);
    } else if (strcmp(key, "rest.advertised.port") == 0) {
        return parse_ms(key, value, &d->advertised_port, errbuf, errlen);
    } else if (strcmp(key, "connect.protocol") == 0) {
        return parse_protocol(value, &d->protocol, errbuf, errlen);
    } else if (strcmp(key, "scheduled.rebalance.max.delay.ms") == 0) {
        char *end = NULL;
        long v = strtol(value, &end, 10);
        if (end == value || *end != '\0' || v < 0 || v > INT32_MAX) {
            snprintf(errbuf, errlen,
                     "%s %s: expected milliseconds in [0, 2147483647]", key,
                     value);
            return SAMSA_ERR_CONFIG;
        }
        d->max_delay_ms = (int)v;
    }
    return SAMSA_OK;
}

static samsa_err_t worker_prop(void *arg, const char *key, const char *value,
                               char *errbuf, size_t errlen)
{
    samsa_connect_t *w = arg;
    samsa_err_t err =
        samsa_client_props_set(&w->client_props, key, value, errbuf, errlen);
    if (err == SAMSA_OK) {
        err = samsa_connect_eos_worker_set(&w->eos, key, value, errbuf, errlen);
    }
    if (err == SAMSA_OK && strcmp(key, "consumer.isolation.level") == 0) {
        /* Kafka's consumer.* worker keys for every sink's consumer; a
         * connector's consumer.override.isolation.level wins. */
        if (strcmp(value, "read_committed") != 0 &&
            strcmp(value, "read_uncommitted") != 0) {
            snprintf(errbuf, errlen,
                     "Invalid value %s for configuration isolation.level: "
                     "String must be one of: read_committed, "
                     "read_uncommitted",
                     value);
            return SAMSA_ERR_CONFIG;
        }
        w->sink_read_committed = strcmp(value, "read_committed") == 0;
    }
    return err == SAMSA_OK
               ? samsa_connect_dist_set(&w->dist, key, value, errbuf, errlen)
               : err;
}

samsa_err_t samsa_connect_configure(samsa_connect_t *w, const char *path,
                                    char *errbuf, size_t errlen)
{
    return samsa_properties_read(path, worker_prop, w, errbuf, errlen);
}

void samsa_connect_listener_host(samsa_connect_dist_conf_t *d, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
        addr++;
        n -= 2;
    }
    if (n == 0 || (n == 7 && strncmp(addr, "0.0.0.0", 7) == 0) ||
        (n == 2 && strncmp(addr, "::", 2) == 0)) {
        if (gethostname(d->listener_host, sizeof(d->listener_host)) != 0) {
            snprintf(d->listener_host, sizeof(d->listener_host), "localhost");
        }
        d->listener_host[sizeof(d->listener_host) - 1] = '\0';
        return;
    }
    snprintf(d->listener_host, sizeof(d->listener_host), "%.*s", (int)n, addr);
}

void samsa_connect_dist_worker_id(const samsa_connect_dist_conf_t *d,
                                  unsigned port, char *out, size_t len)
{
    const char *host = d->advertised_host[0] ? d->advertised_host
                       : d->listener_host[0] ? d->listener_host
                                             : "localhost";
    unsigned p = d->advertised_port > 0 ? (unsigned)d->advertised_port : port;
    snprintf(out, len, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, p);
}

/* ------------------------------------------------------------ helpers */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

bool samsa_connect_cluster_owns(const samsa_connect_t *w, const char *name,
                                int32_t task)
{
    if (w->dist.group_id[0] == '\0') {
        return true;
    }
    const samsa_connect_cluster_t *cl = w->cluster;
    return cl != NULL && cl->assigned &&
           samsa_connect_assignment_has(&cl->assignment, name, task);
}

samsa_connect_leader_t samsa_connect_cluster_leader(samsa_connect_t *w,
                                                    char *url, size_t len)
{
    if (w->dist.group_id[0] == '\0') {
        return SAMSA_CONNECT_LEADER_SELF;
    }
    samsa_connect_leader_t who = SAMSA_CONNECT_LEADER_UNKNOWN;
    pthread_mutex_lock(&w->lock);
    const samsa_connect_cluster_t *cl = w->cluster;
    if (cl != NULL && !atomic_load(&cl->rebalancing) && cl->leader_url[0]) {
        who = cl->leader_self ? SAMSA_CONNECT_LEADER_SELF
                              : SAMSA_CONNECT_LEADER_OTHER;
        snprintf(url, len, "%s", cl->leader_url);
    }
    pthread_mutex_unlock(&w->lock);
    return who;
}

bool samsa_connect_cluster_rebalancing(samsa_connect_t *w)
{
    pthread_mutex_lock(&w->lock);
    bool r = w->cluster != NULL && atomic_load(&w->cluster->rebalancing);
    pthread_mutex_unlock(&w->lock);
    return r;
}

/* What the assignment covers: name -> task count (0 when STOPPED). */
static json_t *fingerprint(samsa_connect_t *w)
{
    json_t *fp = json_object();
    pthread_mutex_lock(&w->lock);
    for (connector_t *c = w->connectors; c != NULL && fp; c = c->next) {
        json_object_set_new(
            fp, c->name,
            json_integer(c->stopped ? 0 : samsa_connect_tasks_for(c)));
    }
    pthread_mutex_unlock(&w->lock);
    return fp;
}

bool samsa_connect_cluster_restart(samsa_connect_t *w, connector_t *c,
                                   int32_t task, samsa_err_t *err_out)
{
    if (w->dist.group_id[0] == '\0') {
        return false;
    }
    char key[600];
    snprintf(key, sizeof(key), "restart-connector-%s", c->name);
    json_t *v = json_pack("{s:b,s:b}", "include-tasks", 1, "only-failed", 0);
    if (v != NULL && task >= 0) {
        json_object_set_new(v, "task", json_integer(task));
    }
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    samsa_err_t err =
        text ? samsa_connect_store_put(w->store, SAMSA_CONNECT_CONFIGS_TOPIC,
                                       key, text)
             : SAMSA_ERR_NOMEM;
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN, "connect: cannot ask for a restart of %s: %s",
                  c->name, samsa_err_str(err));
    }
    free(text);
    json_decref(v);
    *err_out = err;
    return true;
}

/* A restart asked through any worker (KIP-745's record): ours restart. */
static void on_restart(samsa_connect_t *w, connector_t *c, json_t *v)
{
    bool only_failed = json_is_true(json_object_get(v, "only-failed"));
    json_t *one = json_object_get(v, "task");
    for (int i = 0; i < c->ntasks; i++) {
        if (!samsa_connect_cluster_owns(w, c->name, i) ||
            (one != NULL && json_integer_value(one) != i) ||
            (only_failed && strcmp(c->tasks[i].state, "FAILED") != 0)) {
            continue;
        }
        (void)samsa_connect_restart_task(w, c, i); /* local: no write */
    }
}

/* ------------------------------------------------------------ the tail */

static void on_config(void *arg, int64_t offset, const char *key,
                      const char *value)
{
    (void)offset;
    samsa_connect_t *w = arg;
    json_t *v = value ? json_loads(value, 0, NULL) : NULL;
    if (strncmp(key, "connector-", 10) == 0) {
        const char *name = key + 10;
        connector_t *c = samsa_connect_find(w, name);
        json_t *props = json_object_get(v, "properties");
        if (!json_is_object(props)) {
            if (c != NULL) { /* deleted through another worker */
                samsa_connect_stop_tasks(c);
                samsa_connect_forget(w, c);
            }
        } else if (c == NULL || !json_equal(c->config, props)) {
            char errbuf[512];
            bool created;
            if (c != NULL) {
                samsa_connect_stop_tasks(c); /* restarts with the new one */
            }
            if (samsa_connect_table_put(w, name, props, &c, &created, errbuf,
                                        sizeof(errbuf)) != SAMSA_OK) {
                samsa_log(SAMSA_LOG_ERROR, "connect: connector %s: %s", name,
                          errbuf);
            } else if (!c->paused) {
                samsa_connect_start_tasks(w, c);
            } else {
                pthread_mutex_lock(&w->lock);
                c->ntasks = samsa_connect_tasks_for(c);
                pthread_mutex_unlock(&w->lock);
            }
        }
    } else if (strncmp(key, "restart-connector-", 18) == 0) {
        connector_t *c = samsa_connect_find(w, key + 18);
        if (c != NULL && v != NULL) { /* old ones: nothing is ours yet */
            on_restart(w, c, v);
        }
    } else if (strncmp(key, "target-state-", 13) == 0) {
        connector_t *c = samsa_connect_find(w, key + 13);
        const char *st = json_string_value(json_object_get(v, "state"));
        bool paused = st != NULL && strcmp(st, "STARTED") != 0;
        bool stopped = st != NULL && strcmp(st, "STOPPED") == 0;
        if (c != NULL && (paused != c->paused || stopped != c->stopped)) {
            samsa_connect_apply_target(w, c, st != NULL ? st : "STARTED");
        }
    }
    json_decref(v);
}

static void on_offset(void *arg, int64_t offset, const char *key,
                      const char *value)
{
    (void)offset;
    samsa_connect_t *w = arg;
    pthread_mutex_lock(&w->lock);
    samsa_connect_offset_record(w, key, value);
    pthread_mutex_unlock(&w->lock);
}

/* Another worker's status record (Kafka Connect's status-connector-NAME
 * and status-task-NAME-ID): what REST shows for the connector and the
 * tasks that worker owns. The connector's owner derives the connector's
 * state again from the tasks'. w->admin held. */
static void on_status(void *arg, int64_t offset, const char *key,
                      const char *value)
{
    (void)offset;
    samsa_connect_t *w = arg;
    json_t *v = value ? json_loads(value, 0, NULL) : NULL;
    const char *who = json_string_value(json_object_get(v, "worker_id"));
    const char *state = json_string_value(json_object_get(v, "state"));
    const char *trace = json_string_value(json_object_get(v, "trace"));
    bool task = strncmp(key, "status-task-", 12) == 0;
    if (who == NULL || state == NULL || strcmp(who, w->worker_id) == 0 ||
        (!task && strncmp(key, "status-connector-", 17) != 0)) {
        json_decref(v);
        return;
    }
    char name[600];
    snprintf(name, sizeof(name), "%s", key + (task ? 12 : 17));
    long id = SAMSA_CONNECT_CONNECTOR_TASK;
    char *dash = task ? strrchr(name, '-') : NULL;
    if (dash != NULL) {
        id = strtol(dash + 1, NULL, 10);
        *dash = '\0';
    }
    pthread_mutex_lock(&w->lock);
    connector_t *c = samsa_connect_find(w, name);
    bool derive = false;
    if (c != NULL && !task &&
        !samsa_connect_cluster_owns(w, name, SAMSA_CONNECT_CONNECTOR_TASK)) {
        snprintf(c->state, sizeof(c->state), "%s", state);
        snprintf(c->worker, sizeof(c->worker), "%s", who);
        free(c->trace);
        c->trace = trace ? strdup(trace) : NULL;
    } else if (c != NULL && task && id >= 0 && id < SAMSA_CONNECT_MAX_TASKS &&
               !c->tasks[id].has_thread) {
        connect_task_t *t = &c->tasks[id];
        snprintf(t->state, sizeof(t->state), "%s", state);
        snprintf(t->worker, sizeof(t->worker), "%s", who);
        free(t->trace);
        t->trace = trace ? strdup(trace) : NULL;
        derive = true;
    }
    pthread_mutex_unlock(&w->lock);
    if (derive) {
        samsa_connect_connector_status(w, c, false);
    }
    json_decref(v);
}

/* Read the three topics up to their ends. w->admin held. */
static samsa_err_t catch_up(samsa_connect_cluster_t *cl)
{
    samsa_connect_t *w = cl->w;
    samsa_err_t err = samsa_connect_store_read(
        w->store, SAMSA_CONNECT_CONFIGS_TOPIC, &cl->configs_pos, on_config, w);
    if (err == SAMSA_OK) {
        err = samsa_connect_store_read(w->store, SAMSA_CONNECT_OFFSETS_TOPIC,
                                       &cl->offsets_pos, on_offset, w);
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_store_read(w->store, SAMSA_CONNECT_STATUS_TOPIC,
                                       &cl->status_pos, on_status, w);
    }
    return err;
}

/* ------------------------------------------------------------ the leader */

static int version_of(const char *protocol)
{
    for (int v = SAMSA_CONNECT_PROTOCOL_SESSIONED; v > 0; v--) {
        if (strcmp(protocol, protocol_names[v]) == 0) {
            return v;
        }
    }
    return SAMSA_CONNECT_PROTOCOL_EAGER;
}

/* Cooperative: what each member runs, from its JoinGroup metadata. */
static samsa_err_t cooperative(samsa_connect_cluster_t *cl,
                               const samsa_JoinGroupResponse_t *jr,
                               const char *const *ids, int nc,
                               const char *const *names, const int32_t *ntasks,
                               samsa_connect_assignment_t *out)
{
    int nm = jr->Members.count;
    samsa_connect_assignment_t *running =
        calloc((size_t)nm + 1, sizeof(*running));
    samsa_err_t err = running ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (int m = 0; err == SAMSA_OK && m < nm; m++) {
        const samsa_bytes_t *meta = &jr->Members.items[m].Metadata;
        char *url = NULL;
        int64_t offset = -1;
        /* A member whose metadata we cannot read runs nothing we know
         * of: its tasks count as lost, never twice. */
        if (samsa_connect_state_decode(
                meta->ptr, meta->len > 0 ? (size_t)meta->len : 0, &url, &offset,
                &running[m]) == SAMSA_ERR_NOMEM) {
            err = SAMSA_ERR_NOMEM;
        }
        free(url);
    }
    if (!cl->led_last) {
        /* Another worker led the last generation: its memory is gone,
         * what runs now is all we know. */
        samsa_connect_coop_memory_clear(&cl->memory);
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_assign_cooperative(
            nm, ids, running, nc, names, ntasks, samsa_mono_ms(),
            cl->w->dist.max_delay_ms, &cl->memory, out);
    }
    for (int m = 0; running != NULL && m < nm; m++) {
        samsa_connect_assignment_free(&running[m]);
    }
    free(running);
    return err;
}

static samsa_err_t
leader_assign(void *arg, samsa_client_t *client,
              const samsa_JoinGroupResponse_t *jr, samsa_arena_t *arena,
              samsa_SyncGroupRequest_SyncGroupRequestAssignment_t *as,
              uint8_t **bufs)
{
    (void)client;
    (void)arena;
    samsa_connect_cluster_t *cl = arg;
    samsa_connect_t *w = cl->w;
    char chosen[32];
    snprintf(chosen, sizeof(chosen), "%.*s", (int)jr->ProtocolName.len,
             jr->ProtocolName.ptr);
    int version = version_of(chosen);
    /* Assign from the newest configs: read up to the end first. */
    pthread_mutex_lock(&w->admin);
    samsa_err_t err = catch_up(cl);
    int64_t config_offset = cl->configs_pos;
    pthread_mutex_unlock(&w->admin);
    json_t *fp = fingerprint(w);
    int nm = jr->Members.count;
    size_t nc = json_object_size(fp);
    char **ids = calloc((size_t)nm + 1, sizeof(*ids));
    const char **names = calloc(nc + 1, sizeof(*names));
    int32_t *ntasks = calloc(nc + 1, sizeof(*ntasks));
    samsa_connect_assignment_t *out = calloc((size_t)nm + 1, sizeof(*out));
    if (err == SAMSA_OK && (!fp || !ids || !names || !ntasks || !out)) {
        err = SAMSA_ERR_NOMEM;
    }
    for (int m = 0; err == SAMSA_OK && m < nm; m++) {
        ids[m] = samsa_client_strdup(jr->Members.items[m].MemberId);
        err = ids[m] ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    size_t i = 0;
    const char *name;
    json_t *n;
    json_object_foreach(fp, name, n)
    {
        names[i] = name;
        ntasks[i++] = (int32_t)json_integer_value(n);
    }
    if (err == SAMSA_OK && version == SAMSA_CONNECT_PROTOCOL_EAGER) {
        err = samsa_connect_assign_eager(nm, (const char *const *)ids, (int)nc,
                                         names, ntasks, out);
    } else if (err == SAMSA_OK) {
        err = cooperative(cl, jr, (const char *const *)ids, (int)nc, names,
                          ntasks, out);
    }
    char *leader = samsa_client_strdup(jr->Leader);
    for (int m = 0; err == SAMSA_OK && m < nm; m++) {
        size_t len = 0;
        out[m].version = (int16_t)version;
        out[m].leader = leader;
        out[m].leader_url = cl->url;
        out[m].config_offset = config_offset;
        err = samsa_connect_assignment_encode(&out[m], &bufs[m], &len);
        out[m].leader = NULL;
        out[m].leader_url = NULL;
        samsa_SyncGroupRequest_SyncGroupRequestAssignment_init(&as[m]);
        as[m].MemberId = jr->Members.items[m].MemberId;
        as[m].Assignment = (samsa_bytes_t){bufs[m], (int32_t)len};
    }
    for (int m = 0; out != NULL && m < nm; m++) {
        samsa_connect_assignment_free(&out[m]);
    }
    for (int m = 0; ids != NULL && m < nm; m++) {
        free(ids[m]);
    }
    free(leader);
    free(ids);
    free(names);
    free(ntasks);
    free(out);
    if (err == SAMSA_OK) {
        json_decref(cl->basis);
        cl->basis = fp;
    } else {
        json_decref(fp);
    }
    return err;
}

/* ------------------------------------------------------------ rebalance */

/* Eager: give everything back before joining. w->admin held. */
static void revoke_all(samsa_connect_cluster_t *cl)
{
    samsa_connect_t *w = cl->w;
    for (connector_t *c = w->connectors; c != NULL; c = c->next) {
        samsa_connect_stop_tasks(c);
    }
    samsa_connect_assignment_free(&cl->assignment);
    cl->assigned = false;
}

/* Start what the assignment gives us and record the states of what is
 * ours; tasks that ran here and went to another worker show UNASSIGNED
 * until their new worker reports.
 * w->admin held. */
static int apply_assignment(samsa_connect_cluster_t *cl)
{
    samsa_connect_t *w = cl->w;
    int here = 0;
    for (connector_t *c = w->connectors; c != NULL; c = c->next) {
        pthread_mutex_lock(&w->lock);
        for (int i = 0; i < c->ntasks; i++) {
            connect_task_t *t = &c->tasks[i];
            if (samsa_connect_cluster_owns(w, c->name, i)) {
                t->worker[0] = '\0';
                here++;
            } else if (t->worker[0] == '\0') {
                snprintf(t->state, sizeof(t->state), "UNASSIGNED");
            }
        }
        pthread_mutex_unlock(&w->lock);
        if (!c->paused) {
            samsa_connect_start_tasks(w, c);
            /* The connector's new owner says so (a no-op elsewhere). */
            samsa_connect_connector_status(w, c, true);
        } else {
            /* Paused or stopped: what is ours now shows it, as Kafka
             * Connect's workers record a task they start paused. */
            samsa_connect_status(w, c, c->stopped ? "STOPPED" : "PAUSED", NULL);
        }
    }
    return here;
}

/* Stop what runs here and the assignment no longer gives us: what an
 * incremental assignment revoked, or (the group fell back to the eager
 * protocol) what went elsewhere. w->admin held. */
static void stop_unowned(samsa_connect_cluster_t *cl)
{
    samsa_connect_t *w = cl->w;
    for (connector_t *c = w->connectors; c != NULL; c = c->next) {
        for (int i = 0; i < SAMSA_CONNECT_MAX_TASKS; i++) {
            if (c->tasks[i].has_thread &&
                !samsa_connect_cluster_owns(w, c->name, i)) {
                samsa_connect_stop_task(c, i);
            }
        }
    }
}

/* The protocols this worker offers, newest first, each with its
 * metadata (v1+ carries what runs here). */
static samsa_err_t offer(samsa_connect_cluster_t *cl, int64_t config_offset,
                         samsa_client_protocol_t *proto)
{
    const samsa_connect_assignment_t *current =
        cl->assigned ? &cl->assignment : NULL;
    samsa_err_t err = SAMSA_OK;
    proto->type = PROTOCOL_TYPE;
    proto->assign = leader_assign;
    proto->assign_arg = cl;
    for (int v = cl->w->dist.protocol; err == SAMSA_OK && v >= 0; v--) {
        int k = cl->w->dist.protocol - v; /* 0: the preferred one */
        const char **name = k == 0 ? &proto->name : &proto->more_names[k - 1];
        uint8_t **meta = k == 0 ? &proto->meta : &proto->more_metas[k - 1];
        size_t *len = k == 0 ? &proto->meta_len : &proto->more_meta_lens[k - 1];
        *name = protocol_names[v];
        err = samsa_connect_state_encode((int16_t)v, cl->url, config_offset,
                                         current, meta, len);
        proto->nmore = k;
    }
    return err;
}

static void offer_free(samsa_client_protocol_t *proto)
{
    free(proto->meta);
    for (int k = 0; k < proto->nmore; k++) {
        free(proto->more_metas[k]);
    }
}

/* Take assignment @p a (its version the group's protocol): eager, it is
 * all we run; incremental, it changes what we run. w->admin held. */
static samsa_err_t take_assignment(samsa_connect_cluster_t *cl,
                                   samsa_connect_assignment_t *a)
{
    if (a->version == SAMSA_CONNECT_PROTOCOL_EAGER) {
        samsa_connect_assignment_free(&cl->assignment);
        cl->assignment = *a;
        memset(a, 0, sizeof(*a));
    } else {
        samsa_connect_assignment_t merged;
        samsa_err_t err = samsa_connect_assignment_merge(
            cl->assigned ? &cl->assignment : NULL, a, &merged);
        if (err != SAMSA_OK) {
            return err;
        }
        merged.version = a->version;
        merged.leader = a->leader;
        merged.leader_url = a->leader_url;
        merged.config_offset = a->config_offset;
        a->leader = a->leader_url = NULL;
        samsa_connect_assignment_free(&cl->assignment);
        cl->assignment = merged;
    }
    cl->assigned = true;
    stop_unowned(cl);
    return SAMSA_OK;
}

/* Join the next generation. *again: rejoin at once (we gave up
 * something the next round hands to another worker). */
static samsa_err_t rejoin(samsa_connect_cluster_t *cl, bool *again)
{
    samsa_connect_t *w = cl->w;
    atomic_store(&cl->rebalancing, true);
    pthread_mutex_lock(&w->admin);
    if (cl->version == SAMSA_CONNECT_PROTOCOL_EAGER) {
        revoke_all(cl); /* eager: give everything back before joining */
    }
    samsa_client_protocol_t proto = {0};
    samsa_err_t err = offer(cl, cl->configs_pos, &proto);
    pthread_mutex_unlock(&w->admin);
    uint8_t *buf = NULL;
    size_t len = 0;
    if (err == SAMSA_OK) {
        cl->member.session_timeout_ms = w->dist.session_timeout_ms;
        cl->member.rebalance_timeout_ms = w->dist.rebalance_timeout_ms;
        /* Kafka's default (3 s), but never a third of the session or
         * more: the coordinator must hear from us in time. */
        int hb = w->dist.heartbeat_interval_ms;
        int cap = w->dist.session_timeout_ms / 3;
        cl->member.heartbeat_interval_ms = hb > 0 && hb < cap ? hb : cap;
        err = samsa_client_join_protocol(cl->client, &cl->member,
                                         w->dist.group_id, &proto, &buf, &len);
    }
    offer_free(&proto);
    samsa_connect_assignment_t a;
    if (err == SAMSA_OK) {
        err = samsa_connect_assignment_decode(buf, len, &a);
    }
    free(buf);
    if (err != SAMSA_OK) {
        return err;
    }
    if (a.error != 0) {
        samsa_connect_assignment_free(&a);
        return SAMSA_ERR_REBALANCE_IN_PROGRESS;
    }
    /* An empty assignment (nothing for us) carries no version: the
     * protocol is the one the coordinator chose. */
    a.version = (int16_t)version_of(cl->member.protocol);
    int nrevoked = a.nrevoked, nnew = a.nshares;
    cl->rejoin_at_ms = a.delay > 0 ? samsa_mono_ms() + a.delay : 0;
    pthread_mutex_lock(&w->admin);
    pthread_mutex_lock(&w->lock);
    cl->leader_self = cl->member.leader;
    atomic_store(&w->generation, cl->member.generation);
    snprintf(cl->leader_url, sizeof(cl->leader_url), "%s",
             a.leader_url ? a.leader_url : "");
    pthread_mutex_unlock(&w->lock);
    if (cl->member.leader != cl->led_last &&
        samsa_connect_store_claim(w->store, cl->member.leader) != SAMSA_OK) {
        /* Kafka's claimWritePrivileges on becoming the leader: its
         * InitProducerId fences the previous leader's config writer. */
        samsa_log(SAMSA_LOG_WARN, "connect: cannot claim the config topic "
                                  "writer (the next write tries again)");
    }
    err = take_assignment(cl, &a);
    cl->version = a.version;
    cl->led_last = cl->member.leader;
    samsa_connect_assignment_free(&a);
    /* Configs at least up to the leader's offset, and the offsets the
     * previous worker of a moved source task stored. */
    samsa_err_t caught = catch_up(cl);
    int here = apply_assignment(cl);
    pthread_mutex_unlock(&w->admin);
    atomic_store(&cl->rebalancing, false);
    samsa_log(SAMSA_LOG_INFO,
              "connect: joined group %s (generation %d, %s, protocol %s), "
              "%d task(s) here, %d new, %d revoked%s",
              w->dist.group_id, cl->member.generation,
              cl->member.leader ? "leader" : "follower", cl->member.protocol,
              here, nnew, nrevoked,
              cl->rejoin_at_ms > 0 ? ", a rebalance is scheduled" : "");
    *again = nrevoked > 0;
    return err != SAMSA_OK ? err : caught;
}

static bool basis_changed(samsa_connect_cluster_t *cl)
{
    if (!cl->member.leader || cl->basis == NULL) {
        return false;
    }
    json_t *fp = fingerprint(cl->w);
    bool changed = fp != NULL && !json_equal(fp, cl->basis);
    json_decref(fp);
    return changed;
}

static void *cluster_main(void *arg)
{
    samsa_connect_cluster_t *cl = arg;
    samsa_connect_t *w = cl->w;
    bool need_join = true;
    int failures = 0;
    int64_t tailed_ms = 0;
    while (!atomic_load(&w->stopping)) {
        if (need_join) {
            bool again = false;
            samsa_err_t err = rejoin(cl, &again);
            need_join = err != SAMSA_OK || again;
            if (err != SAMSA_OK && !atomic_load(&w->stopping)) {
                if (failures++ % 20 == 0) {
                    samsa_log(SAMSA_LOG_WARN,
                              "connect: cannot join group %s: %s (retrying)",
                              w->dist.group_id,
                              samsa_client_errmsg(cl->client));
                }
                sleep_ms(250);
            } else {
                failures = 0;
            }
            continue;
        }
        int64_t now = samsa_mono_ms();
        if (cl->rejoin_at_ms > 0 && now >= cl->rejoin_at_ms) {
            need_join = true; /* the leader's scheduled rebalance */
            continue;
        }
        if (now - tailed_ms >= TAIL_EVERY_MS) {
            pthread_mutex_lock(&w->admin);
            catch_up(cl);
            pthread_mutex_unlock(&w->admin);
            tailed_ms = now;
            /* The leader rebalances when connectors or task counts are
             * not what it assigned (a config change through any
             * worker). */
            need_join = basis_changed(cl);
        }
        if (!need_join &&
            samsa_client_heartbeat(&cl->member, false) != SAMSA_OK) {
            /* REBALANCE_IN_PROGRESS (another worker joined or left),
             * an expired member or a moved coordinator: join again. */
            need_join = true;
        }
        sleep_ms(100);
    }
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

samsa_err_t samsa_connect_cluster_start(samsa_connect_t *w)
{
    samsa_connect_cluster_t *cl = calloc(1, sizeof(*cl));
    if (cl == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    cl->w = w;
    cl->assignment.config_offset = -1;
    snprintf(cl->url, sizeof(cl->url), "http://%s/", w->worker_id);
    samsa_err_t err =
        samsa_connect_client_new(w, "samsa-connect-cluster", &cl->client);
    if (err == SAMSA_OK) {
        pthread_mutex_lock(&w->lock);
        w->cluster = cl;
        pthread_mutex_unlock(&w->lock);
        if (pthread_create(&cl->thread, NULL, cluster_main, cl) != 0) {
            err = SAMSA_ERR_NOMEM;
            pthread_mutex_lock(&w->lock);
            w->cluster = NULL;
            pthread_mutex_unlock(&w->lock);
        } else {
            cl->has_thread = true;
        }
    }
    if (err != SAMSA_OK) {
        samsa_client_free(cl->client);
        free(cl);
    }
    return err;
}

void samsa_connect_cluster_stop(samsa_connect_t *w)
{
    samsa_connect_cluster_t *cl = w->cluster;
    if (cl == NULL) {
        return;
    }
    if (cl->has_thread) {
        pthread_join(cl->thread, NULL);
        cl->has_thread = false;
    }
    /* Flush and commit here first, then leave: the others take the
     * tasks now, not after the session timeout, and never while they
     * still run here. */
    pthread_mutex_lock(&w->admin);
    for (connector_t *c = w->connectors; c != NULL; c = c->next) {
        samsa_connect_stop_tasks(c);
    }
    pthread_mutex_lock(&w->lock);
    w->cluster = NULL;
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_unlock(&w->admin);
    samsa_client_leave(&cl->member);
    samsa_connect_assignment_free(&cl->assignment);
    samsa_connect_coop_memory_clear(&cl->memory);
    json_decref(cl->basis);
    samsa_client_free(cl->client);
    free(cl);
}
