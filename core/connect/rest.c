/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/rest.c - Kafka Connect's REST API on the broker's HTTP
 * listener: the same paths, verbs, JSON bodies and status codes, so
 * Kafka Connect's documented curl calls work unchanged. Errors are
 * {"error_code": N, "message": "..."} as Kafka Connect answers them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/fencing.h"
#include "connect/forward.h"
#include "connect/validate.h"
#include "connect/worker_int.h"

void samsa_connect_reply(samsa_http_response_t *resp, int status, json_t *v)
{
    resp->status = status;
    resp->content_type = "application/json";
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (v != NULL && text == NULL) {
        resp->nomem = true;
    } else if (text != NULL) {
        samsa_http_append(resp, text, strlen(text));
    }
    free(text);
    json_decref(v);
}

void samsa_connect_reply_error(samsa_http_response_t *resp, int status,
                               const char *msg)
{
    samsa_connect_reply(
        resp, status,
        json_pack("{s:i,s:s}", "error_code", status, "message", msg));
}

static const char *type_of(const connector_t *c)
{
    return samsa_connect_is_source(c) ? "source" : "sink";
}

/* {"name","config","tasks","type"}: GET /connectors/{name}, POST. */
static json_t *info_json(const connector_t *c)
{
    json_t *tasks = json_array();
    for (int i = 0; i < c->ntasks && !c->stopped; i++) {
        json_array_append_new(
            tasks, json_pack("{s:s,s:i}", "connector", c->name, "task", i));
    }
    return json_pack("{s:s,s:o,s:o,s:s}", "name", c->name, "config",
                     samsa_connect_redact(c->config), "tasks", tasks, "type",
                     type_of(c));
}

/* {"id","state","worker_id"[,"trace"]}: one task's entry of the status,
 * and GET /connectors/{name}/tasks/{id}/status. */
static json_t *task_status_json(const samsa_connect_t *w, const connector_t *c,
                                int i)
{
    const connect_task_t *t = &c->tasks[i];
    json_t *task =
        json_pack("{s:i,s:s,s:s}", "id", i, "state", t->state, "worker_id",
                  t->worker[0] ? t->worker : w->worker_id);
    if (t->trace != NULL) {
        json_object_set_new(task, "trace", json_string(t->trace));
    }
    return task;
}

static json_t *status_json(const samsa_connect_t *w, const connector_t *c)
{
    json_t *conn = json_pack("{s:s,s:s}", "state", c->state, "worker_id",
                             c->worker[0] ? c->worker : w->worker_id);
    if (c->trace != NULL) {
        json_object_set_new(conn, "trace", json_string(c->trace));
    }
    json_t *tasks = json_array();
    /* KIP-875: a stopped connector has no tasks. */
    for (int i = 0; i < c->ntasks && !c->stopped; i++) {
        json_array_append_new(tasks, task_status_json(w, c, i));
    }
    return json_pack("{s:s,s:o,s:o,s:s}", "name", c->name, "connector", conn,
                     "tasks", tasks, "type", type_of(c));
}

/* GET /connectors/NAME/limits (beyond Kafka Connect): the limits and
 * what each task did under them. */
static json_t *limits_json(const connector_t *c)
{
    const samsa_connect_usage_t *usage[SAMSA_CONNECT_MAX_TASKS];
    int32_t n = c->stopped ? 0 : c->ntasks;
    for (int32_t i = 0; i < n; i++) {
        usage[i] = &c->tasks[i].usage;
    }
    return samsa_connect_limits_json(c->config, usage, n);
}

/* GET / */
static void root(const samsa_http_request_t *req, samsa_http_response_t *resp,
                 void *arg)
{
    (void)req;
    samsa_connect_t *w = arg;
    samsa_connect_reply(resp, 200,
                        json_pack("{s:s,s:s,s:s}", "version", SAMSA_VERSION,
                                  "commit", "samsa", "kafka_cluster_id",
                                  w->cluster_id ? w->cluster_id : ""));
}

/* The body as a JSON object of string values (numbers and booleans are
 * turned into strings, as Kafka Connect's config maps hold strings). */
static json_t *config_body(json_t *obj, char *errbuf, size_t errlen)
{
    if (!json_is_object(obj)) {
        snprintf(errbuf, errlen, "the connector config must be a JSON object");
        return NULL;
    }
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (json_is_string(v)) {
            json_object_set(out, k, v);
        } else if (json_is_integer(v) || json_is_real(v) ||
                   json_is_boolean(v)) {
            char *t = json_dumps(v, JSON_ENCODE_ANY);
            json_object_set_new(out, k, json_string(t ? t : ""));
            free(t);
        } else if (!json_is_null(v)) {
            snprintf(errbuf, errlen, "config %s must be a string", k);
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* A refused config is the client's 400; anything else (out of memory,
 * connect-configs refusing the write) is Kafka Connect's 500. */
static int status_for(samsa_err_t err)
{
    return err == SAMSA_ERR_CONFIG ? 400 : 500;
}

/* Create or update @p name with @p config (string object); replies. */
static void do_put(samsa_connect_t *w, samsa_http_response_t *resp,
                   const char *name, json_t *config, bool must_be_new)
{
    char errbuf[2048] = "";
    if (name[0] == '\0' || strchr(name, '/') != NULL) {
        samsa_connect_reply_error(resp, 400,
                                  "Connector name is empty or contains '/'");
        return;
    }
    json_object_set_new(config, "name", json_string(name));
    pthread_mutex_lock(&w->admin);
    pthread_mutex_lock(&w->lock);
    connector_t *old = samsa_connect_find(w, name);
    bool exists = old != NULL;
    if (old != NULL && !must_be_new) {
        /* A GET-edit-PUT round trip keeps the secrets GET hid. */
        samsa_connect_unredact(config, old->config);
    }
    pthread_mutex_unlock(&w->lock);
    if (must_be_new && exists) {
        pthread_mutex_unlock(&w->admin);
        snprintf(errbuf, sizeof(errbuf), "Connector %s already exists", name);
        samsa_connect_reply_error(resp, 409, errbuf);
        return;
    }
    bool created = false;
    samsa_err_t err =
        samsa_connect_put(w, name, config, &created, errbuf, sizeof(errbuf));
    if (err != SAMSA_OK) {
        pthread_mutex_unlock(&w->admin);
        samsa_connect_reply_error(resp, status_for(err), errbuf);
        return;
    }
    pthread_mutex_lock(&w->lock);
    json_t *info = info_json(samsa_connect_find(w, name));
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_unlock(&w->admin);
    samsa_connect_reply(resp, created ? 201 : 200, info);
}

/* GET/POST /connectors */
static void connectors(const samsa_http_request_t *req,
                       samsa_http_response_t *resp, samsa_connect_t *w)
{
    if (strcmp(req->method, "GET") == 0) {
        /* ?expand=status&expand=info: both, as Kafka Connect answers. */
        bool status = samsa_http_query_has(req, "expand", "status");
        bool info = samsa_http_query_has(req, "expand", "info");
        bool expand = samsa_http_query(req, "expand") != NULL;
        json_t *out = expand ? json_object() : json_array();
        pthread_mutex_lock(&w->lock);
        for (connector_t *c = w->connectors; c != NULL; c = c->next) {
            if (!expand) {
                json_array_append_new(out, json_string(c->name));
                continue;
            }
            json_t *e = json_object();
            if (status) {
                json_object_set_new(e, "status", status_json(w, c));
            }
            if (info) {
                json_object_set_new(e, "info", info_json(c));
            }
            json_object_set_new(out, c->name, e);
        }
        pthread_mutex_unlock(&w->lock);
        samsa_connect_reply(resp, 200, out);
        return;
    }
    if (strcmp(req->method, "POST") != 0) {
        samsa_connect_reply_error(resp, 405, "HTTP 405 Method Not Allowed");
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(req->body, req->body_len, 0, &jerr);
    const char *name = json_string_value(json_object_get(body, "name"));
    char errbuf[512] = "";
    json_t *config = name ? config_body(json_object_get(body, "config"), errbuf,
                                        sizeof(errbuf))
                          : NULL;
    if (body == NULL) {
        snprintf(errbuf, sizeof(errbuf), "Request body is not JSON: %s",
                 jerr.text);
    } else if (name == NULL) {
        snprintf(errbuf, sizeof(errbuf), "Connector name must be a string");
    }
    if (config == NULL) {
        samsa_connect_reply_error(resp, 400, errbuf);
    } else {
        do_put(w, resp, name, config, true);
    }
    json_decref(config);
    json_decref(body);
}

static bool query_true(const samsa_http_request_t *req, const char *name)
{
    const char *v = samsa_http_query(req, name);
    return v != NULL && strcmp(v, "true") == 0;
}

/* POST .../restart (KIP-745). The connector has no thread of its own
 * here: restarting it restarts its tasks (re-split by tasks.max).
 * includeTasks=true restarts every task, with onlyFailed=true only the
 * FAILED ones; onlyFailed alone restarts a FAILED connector. Returns the
 * 202 body (NULL: 204). */
static json_t *restart(const samsa_http_request_t *req, samsa_connect_t *w,
                       connector_t *c, int *status, samsa_err_t *err)
{
    bool with_tasks = query_true(req, "includeTasks");
    bool only_failed = query_true(req, "onlyFailed");
    bool which[SAMSA_CONNECT_MAX_TASKS] = {false};
    pthread_mutex_lock(&w->lock);
    bool conn = !only_failed || strcmp(c->state, "FAILED") == 0;
    int n = c->ntasks;
    for (int i = 0; i < n; i++) {
        which[i] = (with_tasks || conn) &&
                   (!only_failed || strcmp(c->tasks[i].state, "FAILED") == 0);
    }
    pthread_mutex_unlock(&w->lock);
    if (!with_tasks && !only_failed) {
        *err = samsa_connect_restart(w, c);
        return NULL; /* 204 */
    }
    for (int i = 0; i < n && *err == SAMSA_OK; i++) {
        if (which[i]) {
            *err = samsa_connect_restart_task(w, c, i);
        }
    }
    if (*err != SAMSA_OK) {
        return NULL;
    }
    /* 202 with the status; what is being restarted shows RESTARTING. */
    *status = 202;
    pthread_mutex_lock(&w->lock);
    json_t *st = status_json(w, c);
    pthread_mutex_unlock(&w->lock);
    if (conn) {
        json_object_set_new(json_object_get(st, "connector"), "state",
                            json_string("RESTARTING"));
    }
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(st, "tasks"), i, t)
    {
        if (i < SAMSA_CONNECT_MAX_TASKS && which[i]) {
            json_object_set_new(t, "state", json_string("RESTARTING"));
        }
    }
    return st;
}

/* Everything under /connectors/{name} */
static void one_connector(const samsa_http_request_t *req,
                          samsa_http_response_t *resp, samsa_connect_t *w)
{
    char name[512];
    const char *p = req->path + strlen("/connectors/");
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    const char *sub = slash ? slash + 1 : "";
    if (len == 0 || len >= sizeof(name)) {
        samsa_connect_reply_error(resp, 404, "HTTP 404 Not Found");
        return;
    }
    memcpy(name, p, len);
    name[len] = '\0';
    const char *m = req->method;
    char msg[600];
    snprintf(msg, sizeof(msg), "Connector %s not found", name);

    if (strcmp(sub, "config") == 0 && strcmp(m, "PUT") == 0) {
        json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
        char errbuf[512] = "Request body is not a JSON object";
        json_t *config =
            body ? config_body(body, errbuf, sizeof(errbuf)) : NULL;
        const char *bname = json_string_value(json_object_get(body, "name"));
        if (config != NULL && bname != NULL && strcmp(bname, name) != 0) {
            samsa_connect_reply_error(
                resp, 400,
                "Connector name configuration must match connector "
                "name in request URL");
        } else if (config == NULL) {
            samsa_connect_reply_error(resp, 400, errbuf);
        } else {
            do_put(w, resp, name, config, false);
        }
        json_decref(config);
        json_decref(body);
        return;
    }

    if (strcmp(sub, "fence") == 0 && strcmp(m, "PUT") == 0) {
        /* Kafka's internal PUT /connectors/{name}/fence: a worker about
         * to start an exactly-once task asks the leader for a round of
         * zombie fencing (fencing.h). Not under w->admin: the round
         * only reads and writes connect-configs. */
        pthread_mutex_lock(&w->lock);
        connector_t *c = samsa_connect_find(w, name);
        bool source = c != NULL && samsa_connect_is_source(c);
        pthread_mutex_unlock(&w->lock);
        char errbuf[600];
        if (c == NULL) {
            samsa_connect_reply_error(resp, 404, msg);
        } else if (!source) {
            snprintf(errbuf, sizeof(errbuf),
                     "Connector %s is not a source connector", name);
            samsa_connect_reply_error(resp, 400, errbuf);
        } else if (samsa_connect_fencing_round(w, name, errbuf,
                                               sizeof(errbuf)) != SAMSA_OK) {
            samsa_connect_reply_error(resp, 500, errbuf);
        } else {
            samsa_connect_reply(resp, 204, NULL);
        }
        return;
    }

    /* tasks/{id}/restart and tasks/{id}/status */
    int task_id = -1, status_id = -1, used = 0;
    if (sscanf(sub, "tasks/%d/restart%n", &task_id, &used) != 1 ||
        sub[used] != '\0' || task_id < 0) {
        task_id = -1;
    }
    used = 0;
    if (sscanf(sub, "tasks/%d/status%n", &status_id, &used) != 1 ||
        sub[used] != '\0' || status_id < 0) {
        status_id = -1;
    }
    pthread_mutex_lock(&w->admin);
    pthread_mutex_lock(&w->lock);
    connector_t *c = samsa_connect_find(w, name);
    json_t *out = NULL;
    int status = 200;
    bool change = false;
    if (c == NULL) {
        status = 404;
    } else if (strcmp(m, "GET") == 0 && sub[0] == '\0') {
        out = info_json(c);
    } else if (strcmp(m, "GET") == 0 && strcmp(sub, "config") == 0) {
        out = samsa_connect_redact(c->config);
    } else if (strcmp(m, "GET") == 0 && strcmp(sub, "status") == 0) {
        out = status_json(w, c);
    } else if (strcmp(m, "GET") == 0 && status_id >= 0) {
        if (status_id < c->ntasks && !c->stopped) {
            out = task_status_json(w, c, status_id);
        } else { /* Kafka's AbstractHerder.taskStatus */
            status = 404;
            snprintf(msg, sizeof(msg), "No status found for task %s-%d", name,
                     status_id);
        }
    } else if (strcmp(m, "GET") == 0 && strcmp(sub, "limits") == 0) {
        out = limits_json(c);
    } else if (strcmp(m, "GET") == 0 && strcmp(sub, "topics") == 0) {
        json_t *names = json_array();
        const char *topic;
        json_t *v;
        json_object_foreach(c->topics, topic, v)
        {
            json_array_append_new(names, json_string(topic));
        }
        out = json_pack("{s:{s:o}}", c->name, "topics", names);
    } else if (strcmp(m, "PUT") == 0 && strcmp(sub, "topics/reset") == 0) {
        status = 202;
        change = true;
    } else if (strcmp(sub, "offsets") == 0) {
        change = true; /* below, with the lock released */
    } else if (strcmp(m, "GET") == 0 && strcmp(sub, "tasks") == 0) {
        out = json_array();
        for (int i = 0; i < c->ntasks && !c->stopped; i++) {
            json_array_append_new(
                out, json_pack("{s:{s:s,s:i},s:o}", "id", "connector", c->name,
                               "task", i, "config",
                               samsa_connect_redact(c->config)));
        }
    } else if (strcmp(m, "PUT") == 0 &&
               (strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0 ||
                strcmp(sub, "stop") == 0)) {
        status = 202;
        change = true;
    } else if (strcmp(m, "POST") == 0 && strcmp(sub, "restart") == 0) {
        status = 204;
        change = true;
    } else if (strcmp(m, "POST") == 0 && task_id >= 0) {
        status = task_id < c->ntasks ? 204 : 404;
        snprintf(msg, sizeof(msg), "Task %s-%d not found", name, task_id);
        change = status == 204;
    } else if (strcmp(m, "DELETE") == 0 && sub[0] == '\0') {
        status = 204;
        change = true;
    } else {
        status = 405;
    }
    pthread_mutex_unlock(&w->lock);
    if (change && strcmp(sub, "offsets") == 0) {
        samsa_connect_rest_offsets(w, c, req, resp);
        pthread_mutex_unlock(&w->admin);
        return;
    }
    samsa_err_t err = SAMSA_OK;
    if (change && strcmp(sub, "topics/reset") == 0) {
        samsa_connect_topics_reset(w, c);
    } else if (change && strcmp(sub, "pause") == 0) {
        err = samsa_connect_set_target(w, c, "PAUSED", msg, sizeof(msg));
    } else if (change && strcmp(sub, "resume") == 0) {
        err = samsa_connect_set_target(w, c, "STARTED", msg, sizeof(msg));
    } else if (change && strcmp(sub, "stop") == 0) {
        err = samsa_connect_set_target(w, c, "STOPPED", msg, sizeof(msg));
    } else if (change && strcmp(m, "POST") == 0 && task_id >= 0) {
        err = samsa_connect_restart_task(w, c, task_id);
    } else if (change && strcmp(m, "POST") == 0) {
        out = restart(req, w, c, &status, &err);
    } else if (change) {
        err = samsa_connect_delete(w, c, msg, sizeof(msg));
    }
    pthread_mutex_unlock(&w->admin);
    if (err != SAMSA_OK && strcmp(m, "POST") == 0) {
        /* Kafka's message for a refused restart-connector record. */
        snprintf(msg, sizeof(msg), "Error writing restart request to Kafka: %s",
                 samsa_err_str(err));
        samsa_connect_reply_error(resp, 500, msg);
    } else if (err != SAMSA_OK) {
        samsa_connect_reply_error(resp, 500, msg);
    } else if (status == 404) {
        samsa_connect_reply_error(resp, 404, msg);
    } else if (status == 405) {
        samsa_connect_reply_error(resp, 405, "HTTP 405 Method Not Allowed");
    } else {
        samsa_connect_reply(resp, status, out);
    }
}

static bool serving(samsa_connect_t *w, samsa_http_response_t *resp)
{
    pthread_mutex_lock(&w->lock);
    bool ready = w->ready;
    pthread_mutex_unlock(&w->lock);
    if (!ready) {
        samsa_connect_reply_error(
            resp, 503, "The Connect worker is starting or stopping; retry");
    }
    return ready;
}

static void connectors_route(const samsa_http_request_t *req,
                             samsa_http_response_t *resp, void *arg)
{
    samsa_connect_t *w = arg;
    if (!serving(w, resp)) {
        return;
    }
    if (strcmp(req->method, "GET") != 0 &&
        samsa_connect_cluster_rebalancing(w)) {
        /* Distributed mode: no write between two generations. */
        samsa_connect_reply_error(
            resp, 409,
            "Cannot complete request because of a conflicting "
            "operation (e.g. worker rebalance)");
        return;
    }
    if (strcmp(req->method, "GET") != 0 &&
        samsa_connect_forward(w, req, resp)) {
        return; /* distributed mode: the leader applies writes */
    }
    if (strcmp(req->path, "/connectors") == 0 ||
        strcmp(req->path, "/connectors/") == 0) {
        connectors(req, resp, w);
    } else {
        one_connector(req, resp, w);
    }
}

/* PUT /connector-plugins/{type}/config/validate */
static void validate_route(const samsa_http_request_t *req,
                           samsa_http_response_t *resp, samsa_connect_t *w)
{
    char type[512];
    const char *p = req->path + strlen("/connector-plugins/");
    const char *end = strstr(p, "/config/validate");
    if (end == NULL || strcmp(end, "/config/validate") != 0 ||
        (size_t)(end - p) >= sizeof(type) || end == p) {
        samsa_connect_reply_error(resp, 404, "HTTP 404 Not Found");
        return;
    }
    if (strcmp(req->method, "PUT") != 0) {
        samsa_connect_reply_error(resp, 405, "HTTP 405 Method Not Allowed");
        return;
    }
    memcpy(type, p, (size_t)(end - p));
    type[end - p] = '\0';
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    char errbuf[512] = "Request body is not a JSON object";
    json_t *config = body ? config_body(body, errbuf, sizeof(errbuf)) : NULL;
    json_decref(body);
    if (config == NULL) {
        samsa_connect_reply_error(resp, 400, errbuf);
        return;
    }
    char msg[1600];
    const samsa_registry_entry_t *e = samsa_connect_plugin(w, type);
    const char *cls =
        json_string_value(json_object_get(config, "connector.class"));
    if (e == NULL) {
        snprintf(msg, sizeof(msg),
                 "Failed to find any class that implements Connector and "
                 "which name matches %s",
                 type);
        samsa_connect_reply_error(resp, 400, msg);
    } else if (cls != NULL && samsa_connect_plugin(w, cls) != e) {
        snprintf(msg, sizeof(msg),
                 "Included connector type %.512s does not match request type "
                 "%s",
                 cls, type);
        samsa_connect_reply_error(resp, 400, msg);
    } else {
        json_object_set_new(config, "connector.class", json_string(type));
        int n = 0;
        samsa_connect_reply(resp, 200,
                            samsa_connect_validate(w, e, config, &n));
    }
    json_decref(config);
}

/* GET /connector-plugins, PUT /connector-plugins/{type}/config/validate */
static void plugins_route(const samsa_http_request_t *req,
                          samsa_http_response_t *resp, void *arg)
{
    samsa_connect_t *w = arg;
    if (strncmp(req->path, "/connector-plugins/", 19) == 0) {
        validate_route(req, resp, w);
        return;
    }
    if (strcmp(req->method, "GET") != 0) {
        samsa_connect_reply_error(resp, 405, "HTTP 405 Method Not Allowed");
        return;
    }
    json_t *out = json_array();
    for (size_t i = 0; i < samsa_registry_count(w->reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(w->reg, i);
        if (!e->inited ||
            (e->kind != SAMSA_KIND_SOURCE && e->kind != SAMSA_KIND_SINK)) {
            continue;
        }
        /* The newest version loaded (a replaced .so, plugin_reload.h). */
        pthread_mutex_lock(&w->lock);
        const char *version = samsa_connect_newest(w, e)->desc.version;
        json_array_append_new(
            out,
            json_pack("{s:s,s:s,s:s}", "class", samsa_connect_class_name(e),
                      "type", e->kind == SAMSA_KIND_SOURCE ? "source" : "sink",
                      "version", version ? version : ""));
        pthread_mutex_unlock(&w->lock);
    }
    /* KIP-769: ?connectorsOnly=false lists transforms and predicates too
     * (by their full class names; Kafka's predicates live in a
     * ".predicates." package). */
    const char *only = samsa_http_query(req, "connectorsOnly");
    for (size_t i = 0;
         only && strcmp(only, "false") == 0 && i < samsa_registry_count(w->reg);
         i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(w->reg, i);
        const char *const *items = NULL;
        size_t n = 0;
        if (!e->inited || e->kind != SAMSA_KIND_TRANSFORM ||
            samsa_services()->config_list(e->config, "transform_classes",
                                          &items, &n) != SAMSA_OK) {
            continue;
        }
        for (size_t j = 0; j < n; j++) {
            if (strchr(items[j], '.') == NULL) {
                continue; /* a short alias of a full name listed too */
            }
            json_array_append_new(
                out,
                json_pack("{s:s,s:s,s:s}", "class", items[j], "type",
                          strstr(items[j], ".predicates.") ? "predicate"
                                                           : "transformation",
                          "version", e->desc.version ? e->desc.version : ""));
        }
    }
    samsa_connect_reply(resp, 200, out);
}

samsa_err_t samsa_connect_rest_routes(samsa_connect_t *w, samsa_http_t *http)
{
    samsa_err_t err = samsa_http_route(http, "GET", "/", root, w);
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, NULL, "/connectors", connectors_route, w);
    }
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, NULL, "/connectors/", connectors_route, w);
    }
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, NULL, "/connector-plugins", plugins_route,
                               w);
    }
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, NULL, "/connector-plugins/", plugins_route,
                               w);
    }
    return err;
}
