/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/worker_int.h - the worker's connector table, shared by
 * worker.c (lifecycle, internal topics), task.c (task threads) and rest.c
 * (Kafka Connect's REST API). Not for use outside core/connect.
 *
 * Locking: w->admin serialises every change (REST calls, boot), which
 * may wait for a task thread to end; w->lock is held only briefly, guards
 * the table, the connectors' fields and w->offsets, and is the only lock
 * task threads take. A connector is freed only under w->admin after its
 * thread was joined.
 */
#ifndef SAMSA_CONNECT_WORKER_INT_H
#define SAMSA_CONNECT_WORKER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>

#include "client/properties.h"
#include "connect/cluster.h"
#include "connect/connect.h"
#include "connect/eos.h"
#include "connect/limits.h"
#include "connect/plugin_reload.h"
#include "connect/secrets.h"
#include "connect/store.h"

/* At most this many tasks per connector (tasks.max above it is cut). */
#define SAMSA_CONNECT_MAX_TASKS 64

struct connector;

/* One task of a connector: a thread running the plugin's task. */
typedef struct connect_task {
    struct connector *c;
    int32_t id;
    char state[16];  /* RUNNING, FAILED, PAUSED, STOPPED, UNASSIGNED */
    char *trace;     /* why FAILED, else NULL */
    char worker[80]; /* distributed: the worker_id running it, "" = us */
    bool has_thread; /* thread joinable */
    pthread_t thread;
    atomic_bool stop;            /* asks the task thread to end */
    samsa_connect_usage_t usage; /* under its limits (limits.h) */
} connect_task_t;

typedef struct connector {
    struct connector *next;
    char *name;
    json_t *config; /* object of strings, as given */
    const samsa_registry_entry_t *plugin;
    bool paused;     /* target state PAUSED or STOPPED: no task runs */
    bool stopped;    /* target state STOPPED (KIP-875): no tasks at all */
    char state[16];  /* the connector's: derived from its tasks' */
    char *trace;     /* why FAILED, else NULL */
    char worker[80]; /* distributed: the worker_id that wrote state, "" = us */
    json_t *topics;  /* active topics (KIP-558): name -> discover time */
    atomic_uint topics_gen; /* bumped by a reset: tasks report anew */
    int32_t ntasks;         /* tasks of the current config (sinks: tasks.max) */
    connect_task_t tasks[SAMSA_CONNECT_MAX_TASKS];
    struct samsa_connect *w;
} connector_t;

struct samsa_connect {
    const samsa_registry_t *reg;
    pthread_mutex_t admin;
    pthread_mutex_t lock;
    connector_t *connectors;
    json_t *offsets; /* name -> {partition JSON text -> offset JSON text} */
    samsa_connect_store_t *store;
    samsa_connect_providers_t providers; /* config_providers */
    bool ready; /* internal topics replayed; REST serves */
    char *bootstrap;
    /* connect_client_config: how the worker's clients authenticate (a
     * Kafka Connect worker's security.protocol, sasl.*, ssl.*). */
    samsa_client_props_t client_props;
    char *cluster_id;
    char worker_id[80];
    bool has_boot;
    pthread_t boot;
    atomic_bool stopping;
    /* samsa_connect_observe_puts(): set before start, read by tasks. */
    samsa_connect_put_observer_t put_observer;
    void *put_observer_ctx;
    /* Distributed mode (group.id in the worker properties): the group of
     * workers this one joins; NULL cluster = standalone, every task
     * runs here. See cluster.h. */
    samsa_connect_dist_conf_t dist;
    /* exactly.once.source.support (worker properties; eos.h) */
    samsa_connect_eos_mode_t eos;
    /* consumer.isolation.level=read_committed (worker properties): the
     * sinks' default, read_uncommitted otherwise, as Kafka's. */
    bool sink_read_committed;
    struct samsa_connect_cluster *cluster; /* w->lock */
    /* The group generation this worker applied last, which its status
     * records carry as Kafka Connect's do; 0 in standalone mode (Kafka's
     * StandaloneHerder). Written by the membership thread. */
    atomic_int generation;
    samsa_http_t *http;                /* the REST listener */
    samsa_connect_version_t *versions; /* reloaded plugins, newest first */
    struct samsa_connect_watch *watch; /* plugin_watch.c; NULL: none */
    /* REST writes on their way to the leader (forward.h); w->lock. */
    int forwards;
    pthread_cond_t forwards_done;
    /* Exactly-once zombie fencing (fencing.h): its view of
     * connect-configs and its rounds, under fence_lock alone. */
    pthread_mutex_t fence_lock;
    json_t *fencing;
    int64_t fencing_pos;
};

/* worker.c */
/* A client of the worker's broker named @p client_id, with the security
 * settings of connect_client_config: every client of the worker is made
 * here. */
samsa_err_t samsa_connect_client_new(const samsa_connect_t *w,
                                     const char *client_id,
                                     samsa_client_t **out);
connector_t *samsa_connect_find(samsa_connect_t *w, const char *name);
bool samsa_connect_is_source(const connector_t *c);
/* The class names a plugin instance answers to: its instance and plugin
 * names, and the list option @p option (connector_classes,
 * transform_classes: Kafka's short and full class names). */
bool samsa_connect_answers_to(const samsa_registry_entry_t *e,
                              const char *option, const char *cls);
/* The plugin instance answering to connector.class @p cls, or NULL. */
const samsa_registry_entry_t *samsa_connect_plugin(const samsa_connect_t *w,
                                                   const char *cls);
/* Kafka's connector class name for a plugin instance (for listings). */
const char *samsa_connect_class_name(const samsa_registry_entry_t *e);
/* Create or replace, pause/resume, restart and delete: update the table,
 * write connect-configs, start or stop the task. Called with w->admin
 * held (not w->lock). A connect-configs write refused fails the call
 * with Kafka's message in @p errbuf and the table as it was (the REST
 * API answers it as a 500). */
samsa_err_t samsa_connect_put(samsa_connect_t *w, const char *name,
                              json_t *config, bool *created, char *errbuf,
                              size_t errlen);
samsa_err_t samsa_connect_set_target(samsa_connect_t *w, connector_t *c,
                                     const char *target, char *errbuf,
                                     size_t errlen);
/* A target state (STARTED, PAUSED, STOPPED) read from connect-configs or
 * just written: stop or start our tasks and record the states we own.
 * w->admin held. */
void samsa_connect_apply_target(samsa_connect_t *w, connector_t *c,
                                const char *target);
/* The connector's owner derives its state from its tasks' and writes its
 * status record when it changed (always with @p force). Takes the lock
 * itself; no-op on other workers. */
void samsa_connect_connector_status(samsa_connect_t *w, connector_t *c,
                                    bool force);
samsa_err_t samsa_connect_restart(samsa_connect_t *w, connector_t *c);
/* Restart @p c's tasks that run on this worker (on its newest plugin
 * version), whatever the mode: a new .so seen here. w->admin held. */
void samsa_connect_restart_local(samsa_connect_t *w, connector_t *c);
/* Restart task @p id of @p c only. w->admin held. */
samsa_err_t samsa_connect_restart_task(samsa_connect_t *w, connector_t *c,
                                       int id);
/* Stop task @p id of @p c (a cooperative revocation). w->admin held. */
void samsa_connect_stop_task(connector_t *c, int id);
samsa_err_t samsa_connect_delete(samsa_connect_t *w, connector_t *c,
                                 char *errbuf, size_t errlen);
/* Record a state (and trace, may be NULL) of every task and the
 * connector in memory and connect-status; distributed, only of the tasks
 * (and the connector) this worker owns. Takes the lock itself. */
void samsa_connect_status(samsa_connect_t *w, connector_t *c, const char *state,
                          const char *trace);
/* Record one task's state; the connector's follows on the worker that
 * owns it (FAILED when every task failed, RUNNING when one runs). Takes
 * the lock itself. */
void samsa_connect_task_status(samsa_connect_t *w, connect_task_t *t,
                               const char *state, const char *trace);

/* Record that @p c's task used @p topic (KIP-558's active topics): kept
 * in the table and as topic-TOPIC-connector-NAME in connect-status. Takes
 * the lock itself; a topic already known costs only the lookup. */
void samsa_connect_topic_seen(samsa_connect_t *w, connector_t *c,
                              const char *topic);
/* Forget @p c's active topics (tombstones in connect-status). */
void samsa_connect_topics_reset(samsa_connect_t *w, connector_t *c);
/* @p text parsed as JSON, or as a JSON string when it is not JSON. */
json_t *samsa_connect_as_json(const char *text);
/* Write one source offset of connector @p name (partition and offset as
 * JSON text; offset NULL: a tombstone) to connect-offsets and the
 * connector's own offsets.storage.topic if it has one, then the table.
 * Takes the lock itself. */
samsa_err_t samsa_connect_put_offset(samsa_connect_t *w, const char *name,
                                     const char *partition, const char *offset);
/* The same to connect-offsets only (an exactly-once task's copy of what
 * its transaction wrote to the connector's own topic: Kafka's secondary
 * store, never the primary, which only transactions write). */
samsa_err_t samsa_connect_put_worker_offset(samsa_connect_t *w,
                                            const char *name,
                                            const char *partition,
                                            const char *offset);
/* The connect-offsets record of one source offset: key
 * ["name",{partition}] and value {offset} as JSON text (*value NULL for
 * a tombstone, @p offset NULL). Both malloc'd. */
samsa_err_t samsa_connect_offset_texts(const char *name, const char *partition,
                                       const char *offset, char **key,
                                       char **value);
/* Note a stored source offset in the worker's table (no write). Takes the
 * lock itself. */
void samsa_connect_offset_note(samsa_connect_t *w, const char *name,
                               const char *partition, const char *offset);
/* One connect-offsets record into @p offsets (name -> {partition text ->
 * offset text}), as w->offsets keeps them. */
void samsa_connect_offsets_apply(json_t *offsets, const char *key,
                                 const char *value);
/* A producer as samsa_connect_producer_new() makes, transactional with
 * @p txn_id (NULL: not). */
samsa_err_t samsa_connect_txn_producer_new(const samsa_registry_t *reg,
                                           samsa_client_t *client,
                                           const char *txn_id,
                                           samsa_producer_t **out);
/* The topics of a sink's "topics" setting (comma-separated, trimmed, in
 * place in @p list); at most @p max. */
int samsa_connect_split_topics(char *list, char **out, int max);
/* The consumer group of sink connector @p name: connect-NAME. */
#define SAMSA_CONNECT_GROUP_FMT "connect-%s"

/* For cluster.c: the table operations a config record read from
 * connect-configs applies (w->admin held). */
int32_t samsa_connect_tasks_for(const connector_t *c);
void samsa_connect_start_tasks(samsa_connect_t *w, connector_t *c);
void samsa_connect_stop_tasks(connector_t *c);
samsa_err_t samsa_connect_table_put(samsa_connect_t *w, const char *name,
                                    json_t *config, connector_t **out,
                                    bool *created, char *errbuf, size_t errlen);
/* Unlink @p c from the table and free it (its tasks stopped). */
void samsa_connect_forget(samsa_connect_t *w, connector_t *c);
/* One connect-offsets record into w->offsets (w->lock held). */
void samsa_connect_offset_record(samsa_connect_t *w, const char *key,
                                 const char *value);

/* task.c: how many tasks source @p c splits into, at most @p max (the
 * plugin's task_count op; 1 without one). */
int32_t samsa_connect_source_tasks(const connector_t *c, int32_t max);

/* task.c: the thread of one task (arg: its connect_task_t). */
void *samsa_connect_task_main(void *arg);

/* rest.c */
samsa_err_t samsa_connect_rest_routes(samsa_connect_t *w, samsa_http_t *http);
/* Answer @p status with JSON @p v (taken; NULL: no body). */
void samsa_connect_reply(samsa_http_response_t *resp, int status, json_t *v);
/* Kafka Connect's error body {"error_code": @p status, "message"}. */
void samsa_connect_reply_error(samsa_http_response_t *resp, int status,
                               const char *msg);

/* offsets.c: GET/PATCH/DELETE /connectors/{name}/offsets (KIP-875), with
 * w->admin held and w->lock not. */
void samsa_connect_rest_offsets(samsa_connect_t *w, connector_t *c,
                                const samsa_http_request_t *req,
                                samsa_http_response_t *resp);

#endif /* SAMSA_CONNECT_WORKER_INT_H */
