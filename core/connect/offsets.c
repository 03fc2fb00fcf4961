/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/offsets.c - KIP-875's GET/PATCH/DELETE
 * /connectors/{name}/offsets. A source's offsets are its records in
 * connect-offsets (["name",{partition}] -> {offset}); a sink's are the
 * committed offsets of its consumer group connect-NAME, shown as
 * {"kafka_topic","kafka_partition"} -> {"kafka_offset"}. Changing them
 * is allowed only on a STOPPED connector, with Kafka Connect's messages.
 * Runs on an HTTP thread with w->admin held (no task can start meanwhile),
 * w->lock not held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "connect/worker_int.h"

#define MAX_TOPICS 64

static json_t *source_offsets(samsa_connect_t *w, const char *name)
{
    json_t *list = json_array();
    pthread_mutex_lock(&w->lock);
    const char *part;
    json_t *off;
    json_object_foreach(json_object_get(w->offsets, name), part, off)
    {
        json_array_append_new(
            list,
            json_pack("{s:o,s:o}", "partition", samsa_connect_as_json(part),
                      "offset", samsa_connect_as_json(json_string_value(off))));
    }
    pthread_mutex_unlock(&w->lock);
    return list;
}

/* A client of the worker's broker for one REST call. */
static samsa_err_t admin_client(samsa_connect_t *w, samsa_client_t **out)
{
    return samsa_connect_client_new(w, "connect-rest", out);
}

/* The committed offsets of the sink's group over its topics' partitions. */
static samsa_err_t sink_offsets(samsa_connect_t *w, const json_t *config,
                                const char *group, json_t **out, char *errbuf,
                                size_t errlen)
{
    char *copy =
        strdup(json_string_value(json_object_get(config, "topics"))
                   ? json_string_value(json_object_get(config, "topics"))
                   : "");
    char *topics[MAX_TOPICS];
    int nt = copy ? samsa_connect_split_topics(copy, topics, MAX_TOPICS) : 0;
    samsa_client_t *c = NULL;
    samsa_metadata_t *md = NULL;
    samsa_tp_t *tps = NULL;
    int64_t *offs = NULL;
    int n = 0;
    samsa_err_t err = copy ? admin_client(w, &c) : SAMSA_ERR_NOMEM;
    if (err == SAMSA_OK && nt > 0) {
        err = samsa_client_metadata(c, (const char *const *)topics, nt, false,
                                    &md);
    }
    for (int i = 0; err == SAMSA_OK && md && i < md->ntopics; i++) {
        n += md->topics[i].error == 0 ? md->topics[i].npartitions : 0;
    }
    tps = calloc((size_t)n + 1, sizeof(*tps));
    offs = calloc((size_t)n + 1, sizeof(*offs));
    if (err == SAMSA_OK && (tps == NULL || offs == NULL)) {
        err = SAMSA_ERR_NOMEM;
    }
    int k = 0;
    for (int i = 0; err == SAMSA_OK && md && i < md->ntopics; i++) {
        for (int j = 0;
             md->topics[i].error == 0 && j < md->topics[i].npartitions; j++) {
            tps[k].topic = md->topics[i].name;
            tps[k].partition = md->topics[i].partitions[j].id;
            k++;
        }
    }
    if (err == SAMSA_OK && n > 0) {
        err = samsa_client_committed(c, group, tps, offs, n);
    }
    *out = json_array();
    for (int i = 0; err == SAMSA_OK && i < n; i++) {
        if (offs[i] >= 0) {
            json_array_append_new(
                *out,
                json_pack("{s:{s:s,s:i},s:{s:I}}", "partition", "kafka_topic",
                          tps[i].topic, "kafka_partition", tps[i].partition,
                          "offset", "kafka_offset", (json_int_t)offs[i]));
        }
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen,
                 "Failed to read the offsets of group %.600s: %.600s", group,
                 c ? samsa_client_errmsg(c) : samsa_err_str(err));
    }
    free(tps);
    free(offs);
    samsa_metadata_free(md);
    samsa_client_free(c);
    free(copy);
    return err;
}

/* PATCH for a source: each entry's partition and offset objects (offset
 * null: forget that partition). Checked whole before anything is
 * written. */
static samsa_err_t patch_source(samsa_connect_t *w, const char *name,
                                const json_t *list, char *errbuf, size_t errlen)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const json_t *part = json_object_get(e, "partition");
        const json_t *off = json_object_get(e, "offset");
        if (!json_is_object(part) ||
            (off != NULL && !json_is_object(off) && !json_is_null(off))) {
            snprintf(errbuf, errlen,
                     "Each entry needs a \"partition\" object and an "
                     "\"offset\" object or null");
            return SAMSA_ERR_INVAL;
        }
    }
    samsa_err_t err = SAMSA_OK;
    json_array_foreach(list, i, e)
    {
        char *ptext = json_dumps(json_object_get(e, "partition"), JSON_COMPACT);
        const json_t *off = json_object_get(e, "offset");
        char *otext =
            json_is_object(off) ? json_dumps(off, JSON_COMPACT) : NULL;
        if (ptext == NULL || (json_is_object(off) && otext == NULL)) {
            err = SAMSA_ERR_NOMEM;
        } else if (err == SAMSA_OK) {
            err = samsa_connect_put_offset(w, name, ptext, otext);
        }
        free(ptext);
        free(otext);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "Failed to write connect-offsets: %s",
                 samsa_err_str(err));
    }
    return err;
}

/* PATCH for a sink: commit {"kafka_offset": N} for each partition. */
static samsa_err_t patch_sink(samsa_connect_t *w, const char *group,
                              const json_t *list, char *errbuf, size_t errlen)
{
    size_t n = json_array_size(list), i;
    samsa_tp_t *tps = calloc(n + 1, sizeof(*tps));
    int64_t *offs = calloc(n + 1, sizeof(*offs));
    if (tps == NULL || offs == NULL) {
        free(tps);
        free(offs);
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = SAMSA_OK;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        json_t *part = json_object_get(e, "partition");
        json_t *topic = json_object_get(part, "kafka_topic");
        json_t *p = json_object_get(part, "kafka_partition");
        json_t *o =
            json_object_get(json_object_get(e, "offset"), "kafka_offset");
        if (err == SAMSA_OK && (!json_is_string(topic) || !json_is_integer(p) ||
                                json_integer_value(p) < 0)) {
            snprintf(errbuf, errlen,
                     "Each partition needs \"kafka_topic\" (a string) and "
                     "\"kafka_partition\" (an integer >= 0)");
            err = SAMSA_ERR_INVAL;
        } else if (err == SAMSA_OK &&
                   (!json_is_integer(o) || json_integer_value(o) < 0)) {
            snprintf(errbuf, errlen,
                     "Each offset needs \"kafka_offset\" (an integer >= 0); "
                     "to reset a sink's offsets use DELETE");
            err = SAMSA_ERR_INVAL;
        } else if (err == SAMSA_OK) {
            tps[i].topic = (char *)json_string_value(topic);
            tps[i].partition = (int32_t)json_integer_value(p);
            offs[i] = (int64_t)json_integer_value(o);
        }
    }
    samsa_client_t *c = NULL;
    if (err == SAMSA_OK) {
        err = admin_client(w, &c);
    }
    if (err == SAMSA_OK) {
        err = samsa_client_commit(c, group, NULL, tps, offs, (int)n);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen,
                     "Failed to alter the offsets of %.600s: %.600s", group,
                     samsa_client_errmsg(c));
        }
    }
    samsa_client_free(c);
    free(tps);
    free(offs);
    return err;
}

/* DELETE: a source's offsets become tombstones; a sink's group goes. */
static samsa_err_t reset(samsa_connect_t *w, const char *name, bool source,
                         const char *group, char *errbuf, size_t errlen)
{
    samsa_err_t err = SAMSA_OK;
    if (source) {
        pthread_mutex_lock(&w->lock);
        json_t *per = json_deep_copy(json_object_get(w->offsets, name));
        pthread_mutex_unlock(&w->lock);
        const char *part;
        json_t *off;
        json_object_foreach(per, part, off)
        {
            if (err == SAMSA_OK) {
                err = samsa_connect_put_offset(w, name, part, NULL);
            }
        }
        json_decref(per);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "Failed to write connect-offsets: %s",
                     samsa_err_str(err));
        }
        return err;
    }
    samsa_client_t *c = NULL;
    err = admin_client(w, &c);
    if (err == SAMSA_OK) {
        err = samsa_client_delete_group(c, group);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "Failed to delete group %.600s: %.600s",
                     group, samsa_client_errmsg(c));
        }
    }
    samsa_client_free(c);
    return err;
}

void samsa_connect_rest_offsets(samsa_connect_t *w, connector_t *c,
                                const samsa_http_request_t *req,
                                samsa_http_response_t *resp)
{
    char errbuf[1400] = "", group[600];
    pthread_mutex_lock(&w->lock);
    bool stopped = c->stopped;
    bool source = samsa_connect_is_source(c);
    char *name = strdup(c->name);
    json_t *config = json_deep_copy(c->config);
    pthread_mutex_unlock(&w->lock);
    if (name == NULL || config == NULL) {
        resp->nomem = true;
        free(name);
        json_decref(config);
        return;
    }
    snprintf(group, sizeof(group), SAMSA_CONNECT_GROUP_FMT, name);
    const char *m = req->method;
    int status = 200;
    json_t *out = NULL;
    samsa_err_t err = SAMSA_OK;
    if (strcmp(m, "GET") == 0) {
        json_t *list = NULL;
        if (source) {
            list = source_offsets(w, name);
        } else {
            err = sink_offsets(w, config, group, &list, errbuf, sizeof(errbuf));
        }
        out = err == SAMSA_OK ? json_pack("{s:o}", "offsets", list) : NULL;
        if (err != SAMSA_OK) {
            json_decref(list);
        }
    } else if (strcmp(m, "PATCH") != 0 && strcmp(m, "DELETE") != 0) {
        status = 405;
        snprintf(errbuf, sizeof(errbuf), "HTTP 405 Method Not Allowed");
    } else if (!stopped) {
        status = 400;
        snprintf(errbuf, sizeof(errbuf),
                 "Connectors must be in the STOPPED state before their "
                 "offsets can be modified. This can be done for the "
                 "specified connector by issuing a 'PUT' request to the "
                 "'/connectors/%.400s/stop' endpoint",
                 name);
    } else if (strcmp(m, "DELETE") == 0) {
        err = reset(w, name, source, group, errbuf, sizeof(errbuf));
        out = json_pack("{s:s}", "message",
                        "The offsets for this connector have been reset "
                        "successfully");
    } else {
        json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
        json_t *list = json_object_get(body, "offsets");
        if (!json_is_array(list) || json_array_size(list) == 0) {
            status = 400;
            snprintf(errbuf, sizeof(errbuf),
                     "Partitions / offsets need to be provided for an alter "
                     "offsets request");
        } else {
            err = source ? patch_source(w, name, list, errbuf, sizeof(errbuf))
                         : patch_sink(w, group, list, errbuf, sizeof(errbuf));
        }
        json_decref(body);
        out = json_pack("{s:s}", "message",
                        "The offsets for this connector have been altered "
                        "successfully");
    }
    if (err != SAMSA_OK && status == 200) {
        status = err == SAMSA_ERR_INVAL ? 400 : 500;
    }
    if (status != 200) {
        json_decref(out);
        out = json_pack("{s:i,s:s}", "error_code", status, "message", errbuf);
    }
    samsa_connect_reply(resp, status, out);
    free(name);
    json_decref(config);
}
