/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_configs.c - DescribeConfigs (32), AlterConfigs (33),
 * IncrementalAlterConfigs (44) for topic resources; broker resources are
 * described (read-only) but not altered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/handlers.h"

#define RESOURCE_TOPIC  2
#define RESOURCE_BROKER 4

typedef samsa_DescribeConfigsResponse_DescribeConfigsResourceResult_t entry_t;

static bool wanted(const samsa_string_array_t *keys, const char *name)
{
    if (keys->count < 0) {
        return true;
    }
    for (int32_t i = 0; i < keys->count; i++) {
        if (samsa_str_eq_cstr(keys->items[i], name)) {
            return true;
        }
    }
    return false;
}

static void fill_entry(samsa_req_t *req, entry_t *e, const char *name,
                       const char *value, int8_t source, int8_t type,
                       const char *doc, bool read_only, bool synonyms)
{
    samsa_DescribeConfigsResponse_DescribeConfigsResourceResult_init(e);
    e->Name = samsa_req_str(req, name);
    e->Value = samsa_req_str(req, value);
    e->ReadOnly = read_only;
    e->IsDefault = source == SAMSA_CONFIG_SOURCE_DEFAULT;
    e->ConfigSource = source;
    e->IsSensitive = false;
    e->ConfigType = type;
    e->Documentation = doc ? samsa_req_str(req, doc) : SAMSA_STR_NULL;
    if (synonyms) {
        SAMSA_REQ_ARRAY(req, e->Synonyms, 1);
        samsa_DescribeConfigsResponse_DescribeConfigsSynonym_init(
            &e->Synonyms.items[0]);
        e->Synonyms.items[0].Name = e->Name;
        e->Synonyms.items[0].Value = e->Value;
        e->Synonyms.items[0].Source = source;
    } else {
        SAMSA_REQ_ARRAY(req, e->Synonyms, 0);
    }
}

static samsa_err_t
describe_topic(samsa_req_t *req, samsa_DescribeConfigsRequest_t *dreq,
               samsa_DescribeConfigsRequest_DescribeConfigsResource_t *rs,
               samsa_DescribeConfigsResponse_DescribeConfigsResult_t *r)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(
        req->broker->logs, samsa_req_cstr(req, rs->ResourceName));
    if (!t) {
        SAMSA_REQ_ARRAY(req, r->Configs, 0);
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    samsa_tcfg_t overrides;
    if (samsa_topic_config_copy(t, &overrides) != SAMSA_OK) {
        samsa_topic_put(t);
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    const samsa_tcfg_t *bd = samsa_logmgr_broker_defaults(req->broker->logs);
    const samsa_tcfg_def_t *defs = samsa_tcfg_defs();
    int n = 0;
    for (const samsa_tcfg_def_t *d = defs; d->name; d++) {
        n += wanted(&rs->ConfigurationKeys, d->name);
    }
    SAMSA_REQ_ARRAY(req, r->Configs, n);
    int i = 0;
    for (const samsa_tcfg_def_t *d = defs; d->name; d++) {
        if (!wanted(&rs->ConfigurationKeys, d->name)) {
            continue;
        }
        int8_t source;
        const char *v = samsa_tcfg_resolve(&overrides, bd, d, &source);
        fill_entry(req, &r->Configs.items[i++], d->name, v, source,
                   (int8_t)samsa_tcfg_wire_type(d),
                   dreq->IncludeDocumentation ? d->doc : NULL, false,
                   dreq->IncludeSynonyms);
    }
    samsa_tcfg_free(&overrides);
    samsa_topic_put(t);
    return SAMSA_OK;
}

static samsa_err_t
describe_broker(samsa_req_t *req, samsa_DescribeConfigsRequest_t *dreq,
                samsa_DescribeConfigsRequest_DescribeConfigsResource_t *rs,
                samsa_DescribeConfigsResponse_DescribeConfigsResult_t *r)
{
    const samsa_broker_config_t *c = req->broker->cfg;
    char id[16];
    snprintf(id, sizeof(id), "%d", req->broker->node_id);
    if (rs->ResourceName.len > 0 && !samsa_str_eq_cstr(rs->ResourceName, id)) {
        SAMSA_REQ_ARRAY(req, r->Configs, 0);
        return SAMSA_ERR_INVALID_REQUEST;
    }
    struct {
        const char *name;
        long long value;
        int8_t type;
    } rows[] = {
        {"broker.id", req->broker->node_id, SAMSA_CONFIG_TYPE_INT},
        {"node.id", req->broker->node_id, SAMSA_CONFIG_TYPE_INT},
        {"num.partitions", c->num_partitions, SAMSA_CONFIG_TYPE_INT},
        {"auto.create.topics.enable", c->auto_create_topics,
         SAMSA_CONFIG_TYPE_BOOLEAN},
        {"message.max.bytes", c->message_max_bytes, SAMSA_CONFIG_TYPE_INT},
        {"socket.request.max.bytes", c->socket_request_max_bytes,
         SAMSA_CONFIG_TYPE_INT},
        {"log.retention.ms", c->log_retention_ms, SAMSA_CONFIG_TYPE_LONG},
        {"log.retention.bytes", c->log_retention_bytes, SAMSA_CONFIG_TYPE_LONG},
        {"log.segment.bytes", c->log_segment_bytes, SAMSA_CONFIG_TYPE_INT},
        {"default.replication.factor", c->default_replication_factor,
         SAMSA_CONFIG_TYPE_INT},
        {"min.insync.replicas", c->min_insync_replicas, SAMSA_CONFIG_TYPE_INT},
    };
    int n = 0;
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        n += wanted(&rs->ConfigurationKeys, rows[k].name);
    }
    SAMSA_REQ_ARRAY(req, r->Configs, n);
    int i = 0;
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        if (!wanted(&rs->ConfigurationKeys, rows[k].name)) {
            continue;
        }
        char v[32];
        if (rows[k].type == SAMSA_CONFIG_TYPE_BOOLEAN) {
            snprintf(v, sizeof(v), "%s", rows[k].value ? "true" : "false");
        } else {
            snprintf(v, sizeof(v), "%lld", rows[k].value);
        }
        fill_entry(req, &r->Configs.items[i++], rows[k].name, v,
                   SAMSA_CONFIG_SOURCE_STATIC_BROKER, rows[k].type, NULL, true,
                   dreq->IncludeSynonyms);
    }
    return SAMSA_OK;
}

void samsa_handle_describe_configs(samsa_req_t *req)
{
    samsa_DescribeConfigsRequest_t *dreq = req->body;
    samsa_DescribeConfigsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeConfigsResponse_init(resp);
    int32_t n = dreq->Resources.count > 0 ? dreq->Resources.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Results, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_DescribeConfigsRequest_DescribeConfigsResource_t *rs =
            &dreq->Resources.items[i];
        samsa_DescribeConfigsResponse_DescribeConfigsResult_t *r =
            &resp->Results.items[i];
        samsa_DescribeConfigsResponse_DescribeConfigsResult_init(r);
        r->ResourceType = rs->ResourceType;
        r->ResourceName = rs->ResourceName;
        samsa_err_t err;
        if (rs->ResourceType == RESOURCE_TOPIC) {
            err = describe_topic(req, dreq, rs, r);
        } else if (rs->ResourceType == RESOURCE_BROKER) {
            err = describe_broker(req, dreq, rs, r);
        } else {
            SAMSA_REQ_ARRAY(req, r->Configs, 0);
            err = SAMSA_ERR_INVALID_REQUEST;
            r->ErrorMessage = SAMSA_STR("unsupported resource type");
        }
        r->ErrorCode = (int16_t)err;
    }
    samsa_req_respond(req, resp);
}

/* Apply @p changes to a topic; the reason for a failure goes to *msg. */
static samsa_err_t alter_topic(samsa_req_t *req, samsa_str_t name,
                               const samsa_tcfg_kv_t *changes, size_t count,
                               bool incremental, bool validate_only,
                               samsa_str_t *msg)
{
    char errbuf[256] = "";
    samsa_err_t err = samsa_logmgr_alter_config(
        req->broker->logs, samsa_req_cstr(req, name), changes, count,
        incremental, validate_only, errbuf, sizeof(errbuf));
    if (err != SAMSA_OK && errbuf[0]) {
        *msg = samsa_req_str(req, errbuf);
    }
    return err;
}

void samsa_handle_alter_configs(samsa_req_t *req)
{
    samsa_AlterConfigsRequest_t *areq = req->body;
    samsa_AlterConfigsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_AlterConfigsResponse_init(resp);
    int32_t n = areq->Resources.count > 0 ? areq->Resources.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Responses, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_AlterConfigsRequest_AlterConfigsResource_t *rs =
            &areq->Resources.items[i];
        samsa_AlterConfigsResponse_AlterConfigsResourceResponse_t *r =
            &resp->Responses.items[i];
        samsa_AlterConfigsResponse_AlterConfigsResourceResponse_init(r);
        r->ResourceType = rs->ResourceType;
        r->ResourceName = rs->ResourceName;
        r->ErrorMessage = SAMSA_STR_NULL;
        if (rs->ResourceType != RESOURCE_TOPIC) {
            r->ErrorCode = SAMSA_ERR_INVALID_REQUEST;
            r->ErrorMessage = SAMSA_STR("only topic configs can be altered");
            continue;
        }
        int32_t nc = rs->Configs.count > 0 ? rs->Configs.count : 0;
        samsa_tcfg_kv_t *changes =
            samsa_req_alloc(req, sizeof(*changes) * (size_t)nc);
        size_t count = 0;
        for (int32_t c = 0; c < nc; c++) {
            samsa_AlterConfigsRequest_AlterableConfig_t *ac =
                &rs->Configs.items[c];
            /* A full replace: a null value simply leaves the key unset. */
            if (ac->Value.len >= 0) {
                changes[count].name = samsa_req_cstr(req, ac->Name);
                changes[count].value = samsa_req_cstr(req, ac->Value);
                count++;
            }
        }
        r->ErrorCode =
            (int16_t)alter_topic(req, rs->ResourceName, changes, count, false,
                                 areq->ValidateOnly, &r->ErrorMessage);
    }
    samsa_req_respond(req, resp);
}

/* APPEND/SUBTRACT on a comma-separated list value. */
static char *list_edit(const char *current, const char *item, bool append)
{
    size_t cap = strlen(current) + strlen(item) + 2;
    char *out = calloc(1, cap);
    if (!out) {
        return NULL;
    }
    char *copy = strdup(current);
    bool present = false;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, item) == 0) {
            present = true;
            if (!append) {
                continue;
            }
        }
        if (out[0]) {
            strcat(out, ",");
        }
        strcat(out, tok);
    }
    if (append && !present) {
        if (out[0]) {
            strcat(out, ",");
        }
        strcat(out, item);
    }
    free(copy);
    return out;
}

/* The value a list config has after the changes collected so far. */
static const char *current_value(samsa_topic_t *t, const samsa_tcfg_kv_t *kv,
                                 size_t count, const char *name, char *buf,
                                 size_t len)
{
    for (size_t i = count; i-- > 0;) {
        if (strcmp(kv[i].name, name) == 0) {
            return kv[i].value ? kv[i].value : "";
        }
    }
    samsa_topic_config_string(t, name, buf, len);
    return buf;
}

static samsa_err_t incremental_changes(
    samsa_req_t *req,
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_t *rs,
    samsa_tcfg_kv_t *kv, size_t *count, samsa_str_t *msg)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(
        req->broker->logs, samsa_req_cstr(req, rs->ResourceName));
    if (!t) {
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    samsa_err_t err = SAMSA_OK;
    *count = 0;
    for (int32_t c = 0; err == SAMSA_OK && c < rs->Configs.count; c++) {
        samsa_IncrementalAlterConfigsRequest_AlterableConfig_t *ac =
            &rs->Configs.items[c];
        char *name = samsa_req_cstr(req, ac->Name);
        char *value =
            ac->Value.len >= 0 ? samsa_req_cstr(req, ac->Value) : NULL;
        switch (ac->ConfigOperation) {
        case 0: /* SET */
            break;
        case 1: /* DELETE */
            value = NULL;
            break;
        case 2:   /* APPEND */
        case 3: { /* SUBTRACT */
            const samsa_tcfg_def_t *d = samsa_tcfg_def_find(name);
            if (!d || d->type != SAMSA_TCFG_LIST || !value) {
                *msg = SAMSA_STR("APPEND/SUBTRACT need a list config");
                err = SAMSA_ERR_INVALID_CONFIG;
                break;
            }
            char buf[256];
            const char *cur =
                current_value(t, kv, *count, name, buf, sizeof(buf));
            char *edited = list_edit(cur, value, ac->ConfigOperation == 2);
            err = edited ? SAMSA_OK : SAMSA_ERR_NOMEM;
            value = edited ? (char *)samsa_req_str(req, edited).ptr : NULL;
            free(edited);
            break;
        }
        default:
            *msg = SAMSA_STR("unknown config operation");
            err = SAMSA_ERR_INVALID_REQUEST;
        }
        kv[*count].name = name;
        kv[*count].value = value;
        (*count)++;
    }
    samsa_topic_put(t);
    return err;
}

void samsa_handle_incremental_alter_configs(samsa_req_t *req)
{
    samsa_IncrementalAlterConfigsRequest_t *areq = req->body;
    samsa_IncrementalAlterConfigsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_IncrementalAlterConfigsResponse_init(resp);
    int32_t n = areq->Resources.count > 0 ? areq->Resources.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Responses, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_t *rs =
            &areq->Resources.items[i];
        samsa_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_t
            *r = &resp->Responses.items[i];
        samsa_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_init(
            r);
        r->ResourceType = rs->ResourceType;
        r->ResourceName = rs->ResourceName;
        r->ErrorMessage = SAMSA_STR_NULL;
        if (rs->ResourceType != RESOURCE_TOPIC) {
            r->ErrorCode = SAMSA_ERR_INVALID_REQUEST;
            r->ErrorMessage = SAMSA_STR("only topic configs can be altered");
            continue;
        }
        int32_t nc = rs->Configs.count > 0 ? rs->Configs.count : 0;
        samsa_tcfg_kv_t *kv = samsa_req_alloc(req, sizeof(*kv) * (size_t)nc);
        size_t count = 0;
        samsa_err_t err =
            incremental_changes(req, rs, kv, &count, &r->ErrorMessage);
        if (err == SAMSA_OK) {
            err = alter_topic(req, rs->ResourceName, kv, count, true,
                              areq->ValidateOnly, &r->ErrorMessage);
        }
        r->ErrorCode = (int16_t)err;
    }
    samsa_req_respond(req, resp);
}
