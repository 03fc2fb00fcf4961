/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/worker.c - see connect.h: the connector table, the boot
 * thread and the internal topics' records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/options.h"
#include "connect/assignor.h"
#include "connect/forward.h"
#include "connect/kafka_service.h"
#include "connect/plugin_watch.h"
#include "connect/secrets.h"
#include "connect/validate.h"
#include "connect/worker_int.h"
#include "util/log.h"

connector_t *samsa_connect_find(samsa_connect_t *w, const char *name)
{
    for (connector_t *c = w->connectors; c != NULL; c = c->next) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

bool samsa_connect_is_source(const connector_t *c)
{
    return c->plugin->kind == SAMSA_KIND_SOURCE;
}

bool samsa_connect_answers_to(const samsa_registry_entry_t *e,
                              const char *option, const char *cls)
{
    if (strcmp(e->name, cls) == 0 || strcmp(e->plugin, cls) == 0) {
        return true;
    }
    const char *const *items = NULL;
    size_t n = 0;
    if (samsa_services()->config_list(e->config, option, &items, &n) !=
        SAMSA_OK) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        /* Kafka also takes a class's simple name (after the last dot). */
        const char *dot = strrchr(items[i], '.');
        if (strcmp(items[i], cls) == 0 || (dot && strcmp(dot + 1, cls) == 0)) {
            return true;
        }
    }
    return false;
}

const samsa_registry_entry_t *samsa_connect_plugin(const samsa_connect_t *w,
                                                   const char *cls)
{
    for (size_t i = 0; i < samsa_registry_count(w->reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(w->reg, i);
        if (e->inited &&
            (e->kind == SAMSA_KIND_SOURCE || e->kind == SAMSA_KIND_SINK) &&
            samsa_connect_answers_to(e, "connector_classes", cls)) {
            return samsa_connect_newest(w, e);
        }
    }
    return NULL;
}

const char *samsa_connect_class_name(const samsa_registry_entry_t *e)
{
    const char *const *items = NULL;
    size_t n = 0;
    const char *best = e->name;
    if (samsa_services()->config_list(e->config, "connector_classes", &items,
                                      &n) == SAMSA_OK) {
        for (size_t i = 0; i < n; i++) {
            if (strchr(items[i], '.') != NULL) {
                return items[i]; /* the full Java-style class name */
            }
            best = items[i];
        }
    }
    return best;
}

/* ------------------------------------------------------------------ */
/* Internal topics                                                     */
/* ------------------------------------------------------------------ */

/* Writes one record of an internal topic. A connect-status record that
 * fails is only logged (the task rewrites it on its next change); the
 * caller of a connect-configs write answers its failure (rest.c). */
static samsa_err_t put_json(samsa_connect_t *w, const char *topic,
                            const char *key, json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    samsa_err_t err = value != NULL && text == NULL
                          ? SAMSA_ERR_NOMEM
                          : samsa_connect_store_put(w->store, topic, key, text);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN, "connect: cannot write %s to %s: %s", key,
                  topic, samsa_err_str(err));
    }
    free(text);
    json_decref(value);
    return err;
}

/* Kafka's KafkaConfigBackingStore message for a failed connect-configs
 * write, answered as a 500 by the REST API. */
static samsa_err_t configs_failed(samsa_err_t err, const char *what,
                                  char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "Error writing %s to Kafka: %s", what,
             samsa_err_str(err));
    return err;
}

/* The topics of a sink's "topics" setting (comma-separated). */
int samsa_connect_split_topics(char *list, char **out, int max)
{
    int n = 0;
    for (char *save = NULL, *s = strtok_r(list, ",", &save);
         s != NULL && n < max; s = strtok_r(NULL, ",", &save)) {
        while (*s == ' ') {
            s++;
        }
        char *e = s + strlen(s);
        while (e > s && e[-1] == ' ') {
            *--e = '\0';
        }
        if (*s != '\0') {
            out[n++] = s;
        }
    }
    return n;
}

json_t *samsa_connect_as_json(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

samsa_err_t samsa_connect_offset_texts(const char *name, const char *partition,
                                       const char *offset, char **key,
                                       char **value)
{
    json_t *k = json_pack("[s,o]", name, samsa_connect_as_json(partition));
    json_t *v = offset ? samsa_connect_as_json(offset) : NULL;
    *key = k ? json_dumps(k, JSON_COMPACT) : NULL;
    *value = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(k);
    json_decref(v);
    if (*key == NULL || (offset && *value == NULL)) {
        free(*key);
        free(*value);
        *key = *value = NULL;
        return SAMSA_ERR_NOMEM;
    }
    return SAMSA_OK;
}

/* Write one source offset to the worker's offsets topic and, with
 * @p own_too, to the connector's own offsets.storage.topic. */
static samsa_err_t put_offset(samsa_connect_t *w, const char *name,
                              const char *partition, const char *offset,
                              bool own_too)
{
    char *ktext = NULL, *vtext = NULL;
    samsa_err_t err =
        samsa_connect_offset_texts(name, partition, offset, &ktext, &vtext);
    if (err == SAMSA_OK) {
        err = samsa_connect_store_put(w->store, SAMSA_CONNECT_OFFSETS_TOPIC,
                                      ktext, vtext);
    }
    /* The connector's own offsets.storage.topic (KIP-618) too: a task
     * resumes from it over the worker's topic. */
    char own[256] = "";
    pthread_mutex_lock(&w->lock);
    connector_t *c = samsa_connect_find(w, name);
    const char *topic = c ? json_string_value(json_object_get(
                                c->config, "offsets.storage.topic"))
                          : NULL;
    snprintf(own, sizeof(own), "%s", topic && own_too ? topic : "");
    pthread_mutex_unlock(&w->lock);
    if (err == SAMSA_OK && own[0] != '\0') {
        char why[256];
        err = samsa_connect_store_create(w->store, own, why, sizeof(why));
        if (err == SAMSA_OK) {
            err = samsa_connect_store_put(w->store, own, ktext, vtext);
        }
    }
    free(ktext);
    free(vtext);
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_connect_offset_note(w, name, partition, offset);
    return SAMSA_OK;
}

samsa_err_t samsa_connect_put_offset(samsa_connect_t *w, const char *name,
                                     const char *partition, const char *offset)
{
    return put_offset(w, name, partition, offset, true);
}

samsa_err_t samsa_connect_put_worker_offset(samsa_connect_t *w,
                                            const char *name,
                                            const char *partition,
                                            const char *offset)
{
    return put_offset(w, name, partition, offset, false);
}

void samsa_connect_offset_note(samsa_connect_t *w, const char *name,
                               const char *partition, const char *offset)
{
    pthread_mutex_lock(&w->lock);
    json_t *per = json_object_get(w->offsets, name);
    if (per == NULL && offset != NULL) {
        per = json_object();
        json_object_set_new(w->offsets, name, per);
    }
    if (offset != NULL) {
        json_object_set_new(per, partition, json_string(offset));
    } else if (per != NULL) {
        json_object_del(per, partition);
    }
    pthread_mutex_unlock(&w->lock);
}

/* Kafka Connect's status record of the connector or of task @p id (-1:
 * the connector), with the group generation it is written in. */
static void put_status(samsa_connect_t *w, const char *name, int id,
                       const char *state, const char *trace)
{
    char key[600];
    if (id < 0) {
        snprintf(key, sizeof(key), "status-connector-%s", name);
    } else {
        snprintf(key, sizeof(key), "status-task-%s-%d", name, id);
    }
    put_json(w, SAMSA_CONNECT_STATUS_TOPIC, key,
             state ? json_pack("{s:s,s:s?,s:s,s:i}", "state", state, "trace",
                               trace, "worker_id", w->worker_id, "generation",
                               atomic_load(&w->generation))
                   : NULL);
}

/* Distributed: the worker the assignment gives the connector itself is
 * the one that writes its status record, as in Kafka Connect; the others
 * show what it wrote (cluster.c). Standalone: this worker. */
static bool owns_connector(const samsa_connect_t *w, const connector_t *c)
{
    return samsa_connect_cluster_owns(w, c->name, SAMSA_CONNECT_CONNECTOR_TASK);
}

/* The connector's state: its target's when paused or stopped, else from
 * its tasks'. w->lock held. */
static void derive_state(connector_t *c)
{
    int failed = 0, running = 0;
    const char *trace = NULL;
    for (int i = 0; i < c->ntasks; i++) {
        if (strcmp(c->tasks[i].state, "FAILED") == 0) {
            failed++;
            trace = trace ? trace : c->tasks[i].trace;
        } else if (strcmp(c->tasks[i].state, "RUNNING") == 0) {
            running++;
        }
    }
    const char *st = c->stopped                             ? "STOPPED"
                     : c->paused                            ? "PAUSED"
                     : c->ntasks > 0 && failed == c->ntasks ? "FAILED"
                     : running > 0                          ? "RUNNING"
                                                            : "UNASSIGNED";
    snprintf(c->state, sizeof(c->state), "%s", st);
    free(c->trace);
    c->trace =
        !c->paused && failed == c->ntasks && trace ? strdup(trace) : NULL;
    c->worker[0] = '\0';
}

/* The connector status record to write, when this worker owns the
 * connector and its derived state changed (or always with @p force). */
typedef struct conn_record {
    char *name; /* NULL: nothing to write */
    char state[16];
    char *trace;
} conn_record_t;

/* w->lock held: derive the owner's connector state, in the same critical
 * section as the task state it follows from, so REST never shows tasks
 * RUNNING beside a connector not derived from them yet. */
static conn_record_t derive_locked(samsa_connect_t *w, connector_t *c,
                                   bool force)
{
    conn_record_t r = {0};
    if (!owns_connector(w, c)) {
        return r;
    }
    char old[16];
    snprintf(old, sizeof(old), "%s", c->state);
    bool was_other = c->worker[0] != '\0';
    derive_state(c);
    if (force || was_other || strcmp(old, c->state) != 0) {
        r.name = strdup(c->name);
        snprintf(r.state, sizeof(r.state), "%s", c->state);
        r.trace = c->trace ? strdup(c->trace) : NULL;
    }
    return r;
}

/* Write @p r (after w->lock is released) and free it. */
static void put_conn_record(samsa_connect_t *w, conn_record_t *r)
{
    if (r->name != NULL) {
        put_status(w, r->name, -1, r->state, r->trace);
    }
    free(r->name);
    free(r->trace);
}

/* The connector's owner: derive its state, and write its status record
 * when it changed (or always with @p force: it just became ours). */
void samsa_connect_connector_status(samsa_connect_t *w, connector_t *c,
                                    bool force)
{
    pthread_mutex_lock(&w->lock);
    conn_record_t r = derive_locked(w, c, force);
    pthread_mutex_unlock(&w->lock);
    put_conn_record(w, &r);
}

/* Resumed: the owner records the connector RUNNING at once (Kafka
 * Connect's connector state), its tasks report as they start. */
static void connector_running(samsa_connect_t *w, connector_t *c)
{
    pthread_mutex_lock(&w->lock);
    bool conn = owns_connector(w, c);
    if (conn) {
        snprintf(c->state, sizeof(c->state), "RUNNING");
        free(c->trace);
        c->trace = NULL;
        c->worker[0] = '\0';
    }
    pthread_mutex_unlock(&w->lock);
    if (conn) {
        put_status(w, c->name, -1, "RUNNING", NULL);
    }
}

void samsa_connect_task_status(samsa_connect_t *w, connect_task_t *t,
                               const char *state, const char *trace)
{
    connector_t *c = t->c;
    pthread_mutex_lock(&w->lock);
    snprintf(t->state, sizeof(t->state), "%s", state);
    free(t->trace);
    t->trace = trace ? strdup(trace) : NULL;
    char *name = strdup(c->name);
    conn_record_t r = derive_locked(w, c, false);
    pthread_mutex_unlock(&w->lock);
    if (name != NULL) {
        put_status(w, name, t->id, state, trace);
    }
    free(name);
    put_conn_record(w, &r);
}

void samsa_connect_status(samsa_connect_t *w, connector_t *c, const char *state,
                          const char *trace)
{
    /* Distributed: each worker records the tasks it owns, the connector's
     * owner the connector. */
    bool mine[SAMSA_CONNECT_MAX_TASKS];
    pthread_mutex_lock(&w->lock);
    bool conn = owns_connector(w, c);
    if (conn) {
        snprintf(c->state, sizeof(c->state), "%s", state);
        free(c->trace);
        c->trace = trace ? strdup(trace) : NULL;
        c->worker[0] = '\0';
    }
    for (int i = 0; i < c->ntasks; i++) {
        mine[i] = samsa_connect_cluster_owns(w, c->name, i);
        if (mine[i]) {
            connect_task_t *t = &c->tasks[i];
            snprintf(t->state, sizeof(t->state), "%s", state);
            free(t->trace);
            t->trace = trace ? strdup(trace) : NULL;
            t->worker[0] = '\0';
        }
    }
    int n = c->ntasks;
    char *name = strdup(c->name);
    pthread_mutex_unlock(&w->lock);
    if (name == NULL) {
        return;
    }
    if (conn) {
        put_status(w, name, -1, state, trace);
    }
    for (int i = 0; i < n; i++) {
        if (mine[i]) {
            put_status(w, name, i, state, trace);
        }
    }
    free(name);
}

/* Kafka Connect's key of an active-topic record. */
static void topic_key(char *buf, size_t len, const char *topic,
                      const char *name)
{
    snprintf(buf, len, "topic-%s-connector-%s", topic, name);
}

void samsa_connect_topic_seen(samsa_connect_t *w, connector_t *c,
                              const char *topic)
{
    int64_t now = (int64_t)time(NULL) * 1000;
    pthread_mutex_lock(&w->lock);
    if (c->topics == NULL) {
        c->topics = json_object();
    }
    if (json_object_get(c->topics, topic) != NULL) {
        pthread_mutex_unlock(&w->lock);
        return;
    }
    json_object_set_new(c->topics, topic, json_integer(now));
    char *name = strdup(c->name);
    pthread_mutex_unlock(&w->lock);
    if (name == NULL) {
        return;
    }
    char key[1200];
    topic_key(key, sizeof(key), topic, name);
    put_json(w, SAMSA_CONNECT_STATUS_TOPIC, key,
             json_pack("{s:{s:s,s:s,s:i,s:I}}", "topic", "name", topic,
                       "connector", name, "task", 0, "discoverTimestamp",
                       (json_int_t)now));
    free(name);
}

void samsa_connect_topics_reset(samsa_connect_t *w, connector_t *c)
{
    pthread_mutex_lock(&w->lock);
    json_t *old = c->topics;
    c->topics = json_object();
    atomic_fetch_add(&c->topics_gen, 1);
    char *name = strdup(c->name);
    pthread_mutex_unlock(&w->lock);
    const char *topic;
    json_t *v;
    char key[1200];
    json_object_foreach(old, topic, v)
    {
        if (name != NULL) {
            topic_key(key, sizeof(key), topic, name);
            put_json(w, SAMSA_CONNECT_STATUS_TOPIC, key, NULL);
        }
    }
    json_decref(old);
    free(name);
}

/* ------------------------------------------------------------------ */
/* Tasks                                                               */
/* ------------------------------------------------------------------ */

/* How many tasks the connector's config asks for: a sink's tasks.max
 * (its tasks share the consumer group, which splits the partitions); a
 * source's own answer up to tasks.max (task.c), one for most. */
static int32_t tasks_for(const connector_t *c)
{
    const char *v = json_string_value(json_object_get(c->config, "tasks.max"));
    long n = v ? strtol(v, NULL, 10) : 1;
    int32_t max = n < 1                         ? 1
                  : n > SAMSA_CONNECT_MAX_TASKS ? SAMSA_CONNECT_MAX_TASKS
                                                : (int32_t)n;
    return samsa_connect_is_source(c) ? samsa_connect_source_tasks(c, max)
                                      : max;
}

/* Start one task's thread if it is not running. w->admin held. */
static void start_one(samsa_connect_t *w, connector_t *c, int id)
{
    connect_task_t *t = &c->tasks[id];
    if (t->has_thread || atomic_load(&w->stopping) ||
        !samsa_connect_cluster_owns(w, c->name, id)) {
        return; /* distributed: another worker's task */
    }
    t->c = c;
    t->id = id;
    atomic_store(&t->stop, false);
    if (pthread_create(&t->thread, NULL, samsa_connect_task_main, t) != 0) {
        samsa_connect_task_status(w, t, "FAILED",
                                  "cannot create a task thread");
        return;
    }
    t->has_thread = true;
}

/* Start c's tasks that are not running (tasks.max of them for a sink).
 * w->admin held. */
static void start_task(samsa_connect_t *w, connector_t *c)
{
    pthread_mutex_lock(&w->lock);
    int32_t n = tasks_for(c);
    for (int i = n; i < c->ntasks; i++) { /* fewer than before */
        free(c->tasks[i].trace);
        c->tasks[i].trace = NULL;
    }
    for (int i = c->ntasks; i < n; i++) {
        snprintf(c->tasks[i].state, sizeof(c->tasks[i].state), "UNASSIGNED");
    }
    c->ntasks = n;
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < n; i++) {
        start_one(w, c, i);
    }
}

/* Stop task threads and wait for them (each flushes and commits first):
 * all of c's, or only @p id. w->admin held, w->lock not: threads take
 * it. */
static void stop_tasks(connector_t *c, int id)
{
    for (int i = 0; i < SAMSA_CONNECT_MAX_TASKS; i++) {
        if (c->tasks[i].has_thread && (id < 0 || id == i)) {
            atomic_store(&c->tasks[i].stop, true);
        }
    }
    for (int i = 0; i < SAMSA_CONNECT_MAX_TASKS; i++) {
        if (c->tasks[i].has_thread && (id < 0 || id == i)) {
            pthread_join(c->tasks[i].thread, NULL);
            c->tasks[i].has_thread = false;
        }
    }
}

static void stop_task(connector_t *c)
{
    stop_tasks(c, -1);
}

void samsa_connect_stop_task(connector_t *c, int id)
{
    stop_tasks(c, id);
}

static void connector_free(connector_t *c)
{
    if (c != NULL) {
        free(c->name);
        free(c->trace);
        for (int i = 0; i < SAMSA_CONNECT_MAX_TASKS; i++) {
            free(c->tasks[i].trace);
        }
        json_decref(c->config);
        json_decref(c->topics);
        free(c);
    }
}

int32_t samsa_connect_tasks_for(const connector_t *c)
{
    return tasks_for(c);
}

void samsa_connect_start_tasks(samsa_connect_t *w, connector_t *c)
{
    start_task(w, c);
}

void samsa_connect_stop_tasks(connector_t *c)
{
    stop_task(c);
}

void samsa_connect_forget(samsa_connect_t *w, connector_t *c)
{
    pthread_mutex_lock(&w->lock);
    for (connector_t **pp = &w->connectors; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&w->lock);
    connector_free(c);
}

/* Add or update the table entry (no I/O). w->admin held. */
static samsa_err_t table_put(samsa_connect_t *w, const char *name,
                             json_t *config, connector_t **out, bool *created,
                             char *errbuf, size_t errlen)
{
    const char *cls =
        json_string_value(json_object_get(config, "connector.class"));
    if (cls == NULL) {
        snprintf(errbuf, errlen,
                 "Connector config %s contains no connector type", name);
        return SAMSA_ERR_CONFIG;
    }
    const samsa_registry_entry_t *e = samsa_connect_plugin(w, cls);
    if (e == NULL) {
        snprintf(errbuf, errlen,
                 "Failed to find any class that implements Connector and "
                 "which name matches %s",
                 cls);
        return SAMSA_ERR_CONFIG;
    }
    pthread_mutex_lock(&w->lock);
    connector_t *c = samsa_connect_find(w, name);
    *created = c == NULL;
    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL || (c->name = strdup(name)) == NULL) {
            pthread_mutex_unlock(&w->lock);
            free(c);
            return SAMSA_ERR_NOMEM;
        }
        c->w = w;
        snprintf(c->state, sizeof(c->state), "UNASSIGNED");
        c->next = w->connectors;
        w->connectors = c;
    }
    json_decref(c->config);
    c->config = json_incref(config);
    c->plugin = e;
    pthread_mutex_unlock(&w->lock);
    *out = c;
    return SAMSA_OK;
}

samsa_err_t samsa_connect_table_put(samsa_connect_t *w, const char *name,
                                    json_t *config, connector_t **out,
                                    bool *created, char *errbuf, size_t errlen)
{
    return table_put(w, name, config, out, created, errbuf, errlen);
}

samsa_err_t samsa_connect_put(samsa_connect_t *w, const char *name,
                              json_t *config, bool *created, char *errbuf,
                              size_t errlen)
{
    connector_t *c = NULL;
    /* Refuse a config with errors now, as Kafka Connect does, rather
     * than leave a task to fail on it. */
    const char *cls =
        json_string_value(json_object_get(config, "connector.class"));
    const samsa_registry_entry_t *e = samsa_connect_plugin(w, cls ? cls : "");
    if (e != NULL) {
        int nerr = 0;
        json_t *infos = samsa_connect_validate(w, e, config, &nerr);
        if (infos == NULL || nerr > 0) {
            samsa_connect_validate_message(infos, errbuf, errlen);
            json_decref(infos);
            return infos ? SAMSA_ERR_CONFIG : SAMSA_ERR_NOMEM;
        }
        json_decref(infos);
    }
    if (e == NULL) { /* table_put's message, before anything is written */
        return table_put(w, name, config, &c, created, errbuf, errlen);
    }
    /* Kafka Connect's records: the connector's config, each task's config
     * (the same keys: the group or the plugin splits the work) and the
     * commit that makes the task configs current. The connector's record
     * first, before anything changes here: when connect-configs refuses
     * it the request fails and the worker is as it was. */
    char key[600];
    snprintf(key, sizeof(key), "connector-%s", name);
    samsa_err_t err = put_json(w, SAMSA_CONNECT_CONFIGS_TOPIC, key,
                               json_pack("{s:O}", "properties", config));
    if (err != SAMSA_OK) {
        return configs_failed(err, "connector configuration", errbuf, errlen);
    }
    pthread_mutex_lock(&w->lock);
    connector_t *old = samsa_connect_find(w, name);
    pthread_mutex_unlock(&w->lock);
    if (old != NULL) {
        stop_task(old); /* the new config takes effect on a new task */
    }
    err = table_put(w, name, config, &c, created, errbuf, errlen);
    if (err != SAMSA_OK) {
        if (old != NULL && !old->paused) {
            start_task(w, old);
        }
        return err;
    }
    pthread_mutex_lock(&w->lock);
    int32_t old_n = c->ntasks, n = tasks_for(c);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < n && err == SAMSA_OK; i++) {
        snprintf(key, sizeof(key), "task-%s-%d", name, i);
        err = put_json(w, SAMSA_CONNECT_CONFIGS_TOPIC, key,
                       json_pack("{s:O}", "properties", config));
    }
    if (err == SAMSA_OK) {
        snprintf(key, sizeof(key), "commit-%s", name);
        err = put_json(w, SAMSA_CONNECT_CONFIGS_TOPIC, key,
                       json_pack("{s:i}", "tasks", n));
    }
    if (err != SAMSA_OK && *created) {
        /* A connector the request says failed must not come back on the
         * next replay: take its record back (best effort, the topic
         * refused the last write) and forget it. */
        snprintf(key, sizeof(key), "connector-%s", name);
        (void)put_json(w, SAMSA_CONNECT_CONFIGS_TOPIC, key, NULL);
        samsa_connect_forget(w, c);
        return configs_failed(err, "task configurations", errbuf, errlen);
    }
    for (int i = n; i < old_n; i++) {
        put_status(w, name, i, NULL, NULL); /* tasks no longer there */
    }
    if (err != SAMSA_OK) {
        /* An update: the connector's new config is in connect-configs
         * and runs, but its task records are not. */
        if (!c->paused) {
            start_task(w, c);
        }
        return configs_failed(err, "task configurations", errbuf, errlen);
    }
    if (!c->paused) {
        start_task(w, c);
    }
    return SAMSA_OK;
}

samsa_err_t samsa_connect_set_target(samsa_connect_t *w, connector_t *c,
                                     const char *target, char *errbuf,
                                     size_t errlen)
{
    char key[600];
    snprintf(key, sizeof(key), "target-state-%s", c->name);
    samsa_err_t err = put_json(w, SAMSA_CONNECT_CONFIGS_TOPIC, key,
                               json_pack("{s:s}", "state", target));
    if (err != SAMSA_OK) {
        return configs_failed(err, "target state", errbuf, errlen);
    }
    samsa_connect_apply_target(w, c, target);
    return SAMSA_OK;
}

void samsa_connect_apply_target(samsa_connect_t *w, connector_t *c,
                                const char *target)
{
    bool paused = strcmp(target, "STARTED") != 0;
    pthread_mutex_lock(&w->lock);
    c->paused = paused;
    c->stopped = strcmp(target, "STOPPED") == 0;
    pthread_mutex_unlock(&w->lock);
    if (paused) {
        stop_task(c);
        samsa_connect_status(w, c, target, NULL);
    } else {
        connector_running(w, c);
        start_task(w, c);
    }
}

void samsa_connect_restart_local(samsa_connect_t *w, connector_t *c)
{
    stop_task(c);
    samsa_connect_reload_plugin(w, c); /* its .so replaced: the new one */
    if (!c->paused) {
        start_task(w, c);
    }
}

samsa_err_t samsa_connect_restart(samsa_connect_t *w, connector_t *c)
{
    samsa_err_t err = SAMSA_OK;
    if (samsa_connect_cluster_restart(w, c, -1, &err)) {
        return err; /* every worker restarts its own tasks of c */
    }
    samsa_connect_restart_local(w, c);
    return SAMSA_OK;
}

samsa_err_t samsa_connect_restart_task(samsa_connect_t *w, connector_t *c,
                                       int id)
{
    samsa_err_t err = SAMSA_OK;
    if (!samsa_connect_cluster_owns(w, c->name, id) &&
        samsa_connect_cluster_restart(w, c, id, &err)) {
        return err; /* its worker restarts it */
    }
    stop_tasks(c, id);
    if (!c->paused && id >= 0 && id < c->ntasks) {
        start_one(w, c, id);
    }
    return SAMSA_OK;
}

samsa_err_t samsa_connect_delete(samsa_connect_t *w, connector_t *c,
                                 char *errbuf, size_t errlen)
{
    char key[600];
    /* Tombstones, as Kafka Connect writes them on delete. The connector's
     * first: refused, the connector stays as it was. */
    snprintf(key, sizeof(key), "connector-%s", c->name);
    samsa_err_t err = put_json(w, SAMSA_CONNECT_CONFIGS_TOPIC, key, NULL);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen,
                 "Error removing connector configuration from Kafka: %s",
                 samsa_err_str(err));
        return err;
    }
    stop_task(c);
    snprintf(key, sizeof(key), "target-state-%s", c->name);
    (void)put_json(w, SAMSA_CONNECT_CONFIGS_TOPIC, key, NULL);
    put_status(w, c->name, -1, NULL, NULL);
    for (int i = 0; i < c->ntasks; i++) {
        put_status(w, c->name, i, NULL, NULL);
    }
    samsa_connect_topics_reset(w, c);
    samsa_connect_forget(w, c);
    return SAMSA_OK;
}

/* ------------------------------------------------------------------ */
/* Boot: create and replay the internal topics                         */
/* ------------------------------------------------------------------ */

typedef struct pending {
    json_t *configs; /* name -> properties (replayed, not yet applied) */
    json_t *paused;  /* name -> "PAUSED" or "STOPPED" */
    json_t *topics;  /* topic-T-connector-N -> {"name","connector",...} */
} pending_t;

/* connect-status: the active-topic records (the rest is rewritten as the
 * tasks start). */
static void replay_status(void *arg, const char *key, const char *value)
{
    pending_t *p = arg;
    if (strncmp(key, "topic-", 6) != 0) {
        return;
    }
    json_t *v = value ? json_loads(value, 0, NULL) : NULL;
    json_t *t = json_object_get(v, "topic");
    if (json_is_object(t)) {
        json_object_set(p->topics, key, t);
    } else {
        json_object_del(p->topics, key);
    }
    json_decref(v);
}

static void replay_config(void *arg, const char *key, const char *value)
{
    pending_t *p = arg;
    json_t *v = value ? json_loads(value, 0, NULL) : NULL;
    if (strncmp(key, "connector-", 10) == 0) {
        json_t *props = json_object_get(v, "properties");
        if (json_is_object(props)) {
            json_object_set(p->configs, key + 10, props);
        } else {
            json_object_del(p->configs, key + 10);
        }
    } else if (strncmp(key, "target-state-", 13) == 0) {
        const char *st = json_string_value(json_object_get(v, "state"));
        if (st && (strcmp(st, "PAUSED") == 0 || strcmp(st, "STOPPED") == 0)) {
            json_object_set_new(p->paused, key + 13, json_string(st));
        } else {
            json_object_del(p->paused, key + 13);
        }
    }
    json_decref(v);
}

/* connect-offsets: ["name",{partition}] -> {offset}, kept as JSON text
 * per connector so the plugin gets back the strings it gave. */
void samsa_connect_offset_record(samsa_connect_t *w, const char *key,
                                 const char *value)
{
    samsa_connect_offsets_apply(w->offsets, key, value);
}

void samsa_connect_offsets_apply(json_t *offsets, const char *key,
                                 const char *value)
{
    json_t *k = json_loads(key, 0, NULL);
    const char *name = json_string_value(json_array_get(k, 0));
    json_t *part = json_array_get(k, 1);
    if (name != NULL && part != NULL) {
        char *ptext = json_is_string(part)
                          ? strdup(json_string_value(part))
                          : json_dumps(part, JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *per = json_object_get(offsets, name);
        if (per == NULL) {
            per = json_object();
            json_object_set_new(offsets, name, per);
        }
        if (ptext != NULL && value != NULL) {
            json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
            char *otext = json_is_string(v)
                              ? strdup(json_string_value(v))
                              : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            if (otext != NULL) {
                json_object_set_new(per, ptext, json_string(otext));
            }
            free(otext);
            json_decref(v);
        } else if (ptext != NULL) {
            json_object_del(per, ptext);
        }
        free(ptext);
    }
    json_decref(k);
}

static void replay_offset(void *arg, const char *key, const char *value)
{
    samsa_connect_offset_record(arg, key, value);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *boot_main(void *arg)
{
    samsa_connect_t *w = arg;
    char errbuf[512] = "";
    samsa_err_t err = SAMSA_ERR_CLOSED;
    /* The broker may still be electing itself: retry until it answers. */
    for (int i = 0; !atomic_load(&w->stopping); i++) {
        errbuf[0] = '\0';
        samsa_client_conf_t cc = {.bootstrap = w->bootstrap};
        samsa_client_props_apply(&w->client_props, &cc);
        samsa_connect_store_names_t names = {
            w->dist.configs_topic, w->dist.offsets_topic, w->dist.status_topic};
        err = samsa_connect_store_open(&cc, &names, &w->store, errbuf,
                                       sizeof(errbuf));
        if (err == SAMSA_OK) {
            break;
        }
        if (i % 20 == 0) {
            samsa_log(SAMSA_LOG_WARN, "%s (retrying)", errbuf);
        }
        sleep_ms(250);
    }
    if (err == SAMSA_OK && w->eos != SAMSA_CONNECT_EOS_DISABLED) {
        /* preparing and enabled: Kafka's transactional leader. A
         * standalone worker is its own leader and claims at once. */
        char id[400];
        samsa_connect_eos_leader_txn_id(w->dist.group_id, id, sizeof(id));
        samsa_connect_store_config_writer(w->store, id);
        if (w->dist.group_id[0] == '\0' &&
            samsa_connect_store_claim(w->store, true) != SAMSA_OK) {
            samsa_log(SAMSA_LOG_WARN,
                      "connect: cannot claim the config topic writer %s "
                      "(the next write tries again)",
                      id);
        }
    }
    pending_t p = {json_object(), json_object(), json_object()};
    if (err == SAMSA_OK) {
        err = samsa_connect_store_replay(w->store, SAMSA_CONNECT_OFFSETS_TOPIC,
                                         replay_offset, w);
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_store_replay(w->store, SAMSA_CONNECT_CONFIGS_TOPIC,
                                         replay_config, &p);
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_store_replay(w->store, SAMSA_CONNECT_STATUS_TOPIC,
                                         replay_status, &p);
    }
    if (err != SAMSA_OK) {
        if (!atomic_load(&w->stopping)) {
            samsa_log(SAMSA_LOG_ERROR,
                      "connect: cannot read the internal topics: %s",
                      samsa_err_str(err));
        }
        json_decref(p.configs);
        json_decref(p.paused);
        json_decref(p.topics);
        return NULL;
    }
    pthread_mutex_lock(&w->admin);
    const char *name;
    json_t *config;
    size_t n = 0;
    json_object_foreach(p.configs, name, config)
    {
        connector_t *c = NULL;
        bool created;
        if (table_put(w, name, config, &c, &created, errbuf, sizeof(errbuf)) !=
            SAMSA_OK) {
            samsa_log(SAMSA_LOG_ERROR, "connect: connector %s: %s", name,
                      errbuf);
            continue;
        }
        const char *tk;
        json_t *tv;
        json_object_foreach(p.topics, tk, tv)
        {
            const char *tc =
                json_string_value(json_object_get(tv, "connector"));
            const char *tn = json_string_value(json_object_get(tv, "name"));
            if (tc && tn && strcmp(tc, name) == 0) {
                if (c->topics == NULL) {
                    c->topics = json_object();
                }
                json_object_set(c->topics, tn,
                                json_object_get(tv, "discoverTimestamp"));
            }
        }
        const char *target = json_string_value(json_object_get(p.paused, name));
        c->paused = target != NULL;
        c->stopped = target != NULL && strcmp(target, "STOPPED") == 0;
        if (c->paused) {
            snprintf(c->state, sizeof(c->state), "%s", target);
            c->ntasks = tasks_for(c);
            for (int i = 0; i < c->ntasks; i++) {
                snprintf(c->tasks[i].state, sizeof(c->tasks[i].state), "%s",
                         target);
            }
        } else {
            start_task(w, c);
        }
        n++;
    }
    pthread_mutex_lock(&w->lock);
    w->ready = true;
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_unlock(&w->admin);
    samsa_log(SAMSA_LOG_INFO, "connect: worker ready, %zu connector(s)", n);
    if (w->dist.group_id[0] != '\0' &&
        samsa_connect_cluster_start(w) != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR, "connect: cannot start the group member");
    }
    json_decref(p.configs);
    json_decref(p.paused);
    json_decref(p.topics);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

samsa_err_t samsa_connect_create(const samsa_registry_t *reg,
                                 samsa_http_t *http,
                                 const samsa_broker_config_t *cfg,
                                 samsa_connect_t **out, char *errbuf,
                                 size_t errlen)
{
    samsa_connect_t *w = calloc(1, sizeof(*w));
    if (w == NULL || (w->offsets = json_object()) == NULL) {
        free(w);
        return SAMSA_ERR_NOMEM;
    }
    const char *const *items = NULL;
    size_t n = 0;
    if (cfg != NULL && cfg->values != NULL) {
        samsa_config_list(cfg->values, "config_providers", &items, &n);
    }
    for (size_t i = 0; i < n; i++) {
        if (samsa_connect_provider_enable(&w->providers, items[i], errbuf,
                                          errlen) != SAMSA_OK) {
            json_decref(w->offsets);
            free(w);
            return SAMSA_ERR_CONFIG;
        }
    }
    w->http = http;
    w->dist.session_timeout_ms = 10000;
    w->dist.rebalance_timeout_ms = 60000;
    w->dist.heartbeat_interval_ms = 3000;
    w->dist.protocol = SAMSA_CONNECT_PROTOCOL_SESSIONED;
    w->dist.max_delay_ms = 300000;
    if (cfg != NULL && cfg->http_listener_count > 0) {
        samsa_connect_listener_host(&w->dist, cfg->http_listeners[0]);
    }
    const char *client_config = NULL;
    if (cfg != NULL && cfg->values != NULL) {
        samsa_config_string(cfg->values, "connect_client_config",
                            &client_config);
    }
    if (client_config != NULL && client_config[0] != '\0') {
        char why[400];
        if (samsa_connect_configure(w, client_config, why, sizeof(why)) !=
            SAMSA_OK) {
            snprintf(errbuf, errlen,
                     "broker config: connect_client_config "
                     "%s: %s",
                     client_config, why);
            json_decref(w->offsets);
            free(w);
            return SAMSA_ERR_CONFIG;
        }
    }
    w->reg = reg;
    pthread_mutex_init(&w->admin, NULL);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->forwards_done, NULL);
    pthread_mutex_init(&w->fence_lock, NULL);
    samsa_connect_forward_init();
    samsa_err_t err = samsa_connect_rest_routes(w, http);
    if (err != SAMSA_OK) {
        samsa_connect_destroy(w);
        return err;
    }
    *out = w;
    return SAMSA_OK;
}

samsa_security_protocol_t
samsa_connect_security_protocol(const samsa_connect_t *w)
{
    const samsa_client_props_t *p = &w->client_props;
    return p->sasl ? (p->tls ? SAMSA_SECURITY_SASL_SSL
                             : SAMSA_SECURITY_SASL_PLAINTEXT)
                   : (p->tls ? SAMSA_SECURITY_SSL : SAMSA_SECURITY_PLAINTEXT);
}

samsa_err_t samsa_connect_client_new(const samsa_connect_t *w,
                                     const char *client_id,
                                     samsa_client_t **out)
{
    samsa_client_conf_t cc = {.bootstrap = w->bootstrap,
                              .client_id = client_id};
    samsa_client_props_apply(&w->client_props, &cc);
    return samsa_client_new(&cc, out);
}

samsa_err_t samsa_connect_producer_new(const samsa_registry_t *reg,
                                       samsa_client_t *client,
                                       samsa_producer_t **out)
{
    return samsa_connect_txn_producer_new(reg, client, NULL, out);
}

samsa_err_t samsa_connect_txn_producer_new(const samsa_registry_t *reg,
                                           samsa_client_t *client,
                                           const char *txn_id,
                                           samsa_producer_t **out)
{
    samsa_producer_conf_t pc;
    samsa_producer_conf_init(&pc);
    pc.acks = -1;
    pc.auto_create = true;
    pc.transactional_id = txn_id;
    pc.transaction_timeout_ms = SAMSA_CONNECT_EOS_TXN_TIMEOUT_MS;
    const samsa_registry_entry_t *hash =
        samsa_registry_find(reg, SAMSA_KIND_PARTITIONER, "hash");
    if (hash != NULL) {
        pc.partitioner = samsa_entry_partitioner_ops(hash);
        pc.partitioner_state = hash->state;
    }
    return samsa_producer_new(client, &pc, out);
}

samsa_err_t samsa_connect_start(samsa_connect_t *w, const char *bootstrap,
                                const char *cluster_id)
{
    w->bootstrap = strdup(bootstrap);
    w->cluster_id = strdup(cluster_id ? cluster_id : "");
    if (w->bootstrap == NULL || w->cluster_id == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    snprintf(w->worker_id, sizeof(w->worker_id), "%s", bootstrap);
    if (w->dist.group_id[0] != '\0') {
        /* Kafka Connect's worker id: the advertised REST host:port. */
        samsa_connect_dist_worker_id(&w->dist, samsa_http_port(w->http, 0),
                                     w->worker_id, sizeof(w->worker_id));
    }
    samsa_connect_kafka_publish(w);
    if (pthread_create(&w->boot, NULL, boot_main, w) != 0) {
        return SAMSA_ERR_NOMEM;
    }
    w->has_boot = true;
    return samsa_connect_watch_start(w);
}

void samsa_connect_stop(samsa_connect_t *w)
{
    if (w == NULL || atomic_exchange(&w->stopping, true)) {
        return;
    }
    if (w->has_boot) {
        pthread_join(w->boot, NULL);
        w->has_boot = false;
    }
    samsa_connect_watch_stop(w);
    pthread_mutex_lock(&w->lock);
    w->ready = false; /* REST answers 503 from here on */
    pthread_mutex_unlock(&w->lock);
    samsa_connect_cluster_stop(w);
    pthread_mutex_lock(&w->admin);
    for (connector_t *c = w->connectors; c != NULL; c = c->next) {
        stop_task(c);
    }
    pthread_mutex_unlock(&w->admin);
    samsa_connect_kafka_publish(NULL);
    samsa_connect_forward_drain(w);
}

void samsa_connect_destroy(samsa_connect_t *w)
{
    if (w == NULL) {
        return;
    }
    samsa_connect_stop(w);
    while (w->connectors != NULL) {
        connector_t *c = w->connectors;
        w->connectors = c->next;
        connector_free(c);
    }
    samsa_connect_versions_free(w);
    samsa_connect_store_close(w->store);
    json_decref(w->offsets);
    free(w->bootstrap);
    explicit_bzero(&w->client_props, sizeof(w->client_props));
    free(w->cluster_id);
    pthread_cond_destroy(&w->forwards_done);
    json_decref(w->fencing);
    pthread_mutex_destroy(&w->fence_lock);
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->admin);
    free(w);
}
