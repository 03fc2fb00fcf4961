/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_configs.c - DescribeConfigs (32), AlterConfigs (33),
 * IncrementalAlterConfigs (44) for topic and broker resources. A broker
 * resource is this broker (name = node id) or the cluster default (empty
 * name); what its keys mean is core/broker/broker_configs.c's. The alters
 * run on the admin worker (core/broker/admin_worker.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/admin_worker.h"
#include "broker/broker_configs.h"
#include "broker/cluster.h"
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

/* A topic entry's synonyms as Kafka lists them: the topic's own override,
 * then every level of the broker config behind its default
 * (log.retention.ms for retention.ms); just the entry itself when there is
 * no such broker config. */
static void topic_synonyms(samsa_req_t *req, entry_t *e, const char *override)
{
    samsa_bcfg_level_t lv[4];
    const char *bname = NULL;
    size_t n = samsa_broker_topic_synonyms(
        req->broker, samsa_req_cstr(req, e->Name), &bname, lv);
    if (n == 0) {
        return; /* fill_entry's single self synonym stands */
    }
    size_t total = n + (override != NULL);
    SAMSA_REQ_ARRAY(req, e->Synonyms, (int32_t)total);
    size_t k = 0;
    samsa_DescribeConfigsResponse_DescribeConfigsSynonym_t *sy;
    if (override) {
        sy = &e->Synonyms.items[k++];
        samsa_DescribeConfigsResponse_DescribeConfigsSynonym_init(sy);
        sy->Name = e->Name;
        sy->Value = samsa_req_str(req, override);
        sy->Source = SAMSA_CONFIG_SOURCE_DYNAMIC_TOPIC;
    }
    for (size_t j = 0; j < n; j++) {
        sy = &e->Synonyms.items[k++];
        samsa_DescribeConfigsResponse_DescribeConfigsSynonym_init(sy);
        sy->Name = samsa_req_str(req, bname);
        sy->Value = samsa_req_str(req, lv[j].value);
        sy->Source = lv[j].source;
    }
}

static samsa_err_t
describe_topic(samsa_req_t *req, samsa_DescribeConfigsRequest_t *dreq,
               samsa_DescribeConfigsRequest_DescribeConfigsResource_t *rs,
               samsa_DescribeConfigsResponse_DescribeConfigsResult_t *r)
{
    samsa_tcfg_t overrides = {0};
    samsa_topic_t *t = NULL;
    samsa_err_t err;
    if (req->broker->meta) {
        /* In a cluster the quorum's image has every topic's configs, on
         * brokers without a replica of it too. */
        err = samsa_cluster_topic_configs(
            req->broker, samsa_req_cstr(req, rs->ResourceName), &overrides);
    } else {
        t = samsa_logmgr_topic_get(req->broker->logs,
                                   samsa_req_cstr(req, rs->ResourceName));
        err = !t ? SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION
                 : samsa_topic_config_copy(t, &overrides);
    }
    if (err != SAMSA_OK) {
        SAMSA_REQ_ARRAY(req, r->Configs, 0);
        samsa_topic_put(t);
        return err == SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION
                   ? err
                   : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    samsa_tcfg_t bd = {0};
    if (samsa_logmgr_broker_defaults_copy(req->broker->logs, &bd) != SAMSA_OK) {
        samsa_tcfg_free(&overrides);
        samsa_topic_put(t);
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
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
        const char *v = samsa_broker_topic_config_resolve(
            req->broker, &overrides, &bd, d, &source);
        entry_t *e = &r->Configs.items[i++];
        fill_entry(req, e, d->name, v, source, (int8_t)samsa_tcfg_wire_type(d),
                   dreq->IncludeDocumentation ? d->doc : NULL, false,
                   dreq->IncludeSynonyms);
        if (dreq->IncludeSynonyms) {
            topic_synonyms(req, e, samsa_tcfg_get(&overrides, d->name));
        }
    }
    samsa_tcfg_free(&overrides);
    samsa_tcfg_free(&bd);
    samsa_topic_put(t);
    return SAMSA_OK;
}

/* The broker resource named @p name: this broker (its node id) or the
 * cluster default (""); with @p any_id (alters in a cluster, which the
 * controller commits for every broker) any broker id. */
static samsa_err_t broker_scope_of(samsa_req_t *req, samsa_str_t name,
                                   bool any_id, samsa_dyncfg_scope_t *scope,
                                   samsa_str_t *msg)
{
    char id[16];
    snprintf(id, sizeof(id), "%d", req->broker->node_id);
    if (name.len <= 0) {
        *scope = SAMSA_DYNCFG_DEFAULT;
        return SAMSA_OK;
    }
    bool digits = name.len < 10;
    for (int32_t i = 0; i < name.len; i++) {
        digits = digits && name.ptr[i] >= '0' && name.ptr[i] <= '9';
    }
    if (samsa_str_eq_cstr(name, id) || (any_id && digits)) {
        *scope = SAMSA_DYNCFG_BROKER;
        return SAMSA_OK;
    }
    char why[96];
    snprintf(why, sizeof(why), "this broker is node %s", id);
    *msg = samsa_req_str(req, why);
    return SAMSA_ERR_INVALID_REQUEST;
}

static samsa_err_t broker_scope(samsa_req_t *req, samsa_str_t name,
                                samsa_dyncfg_scope_t *scope, samsa_str_t *msg)
{
    return broker_scope_of(req, name, false, scope, msg);
}

static void fill_broker_entry(samsa_req_t *req, entry_t *e,
                              const samsa_bcfg_def_t *d,
                              const samsa_bcfg_level_t *lv, size_t n,
                              samsa_DescribeConfigsRequest_t *dreq)
{
    fill_entry(req, e, d->name, lv[0].value, lv[0].source, d->type,
               dreq->IncludeDocumentation ? d->doc : NULL,
               d->mode == SAMSA_BCFG_READ_ONLY, false);
    if (!dreq->IncludeSynonyms) {
        return;
    }
    /* Every level that has a value, highest priority first, as Kafka. */
    SAMSA_REQ_ARRAY(req, e->Synonyms, (int32_t)n);
    for (size_t k = 0; k < n; k++) {
        samsa_DescribeConfigsResponse_DescribeConfigsSynonym_t *sy =
            &e->Synonyms.items[k];
        samsa_DescribeConfigsResponse_DescribeConfigsSynonym_init(sy);
        sy->Name = e->Name;
        sy->Value = samsa_req_str(req, lv[k].value);
        sy->Source = lv[k].source;
    }
}

static samsa_err_t
describe_broker(samsa_req_t *req, samsa_DescribeConfigsRequest_t *dreq,
                samsa_DescribeConfigsRequest_DescribeConfigsResource_t *rs,
                samsa_DescribeConfigsResponse_DescribeConfigsResult_t *r)
{
    samsa_dyncfg_scope_t scope;
    samsa_err_t err =
        broker_scope(req, rs->ResourceName, &scope, &r->ErrorMessage);
    if (err != SAMSA_OK) {
        SAMSA_REQ_ARRAY(req, r->Configs, 0);
        return err;
    }
    /* The default resource shows only what is set there (Kafka). */
    bool per_broker = scope == SAMSA_DYNCFG_BROKER;
    const samsa_bcfg_def_t *defs = samsa_bcfg_defs();
    size_t ndefs = 0;
    while (defs[ndefs].name) {
        ndefs++;
    }
    samsa_bcfg_level_t *lv = samsa_req_alloc(req, ndefs * 4 * sizeof(*lv));
    size_t *nlv = samsa_req_alloc(req, ndefs * sizeof(*nlv));
    int32_t n = 0;
    for (size_t k = 0; k < ndefs; k++) {
        nlv[k] = wanted(&rs->ConfigurationKeys, defs[k].name)
                     ? samsa_broker_config_levels(req->broker, &defs[k],
                                                  per_broker, &lv[k * 4])
                     : 0;
        n += nlv[k] > 0;
    }
    SAMSA_REQ_ARRAY(req, r->Configs, n);
    int32_t i = 0;
    for (size_t k = 0; k < ndefs; k++) {
        if (nlv[k] > 0) {
            fill_broker_entry(req, &r->Configs.items[i++], &defs[k], &lv[k * 4],
                              nlv[k], dreq);
        }
    }
    return SAMSA_OK;
}

/* Kafka: DESCRIBE_CONFIGS or ALTER_CONFIGS on the topic, or on the
 * cluster for a broker's configs. */
static samsa_err_t configs_denied(samsa_req_t *req, int8_t type,
                                  samsa_str_t name, uint32_t op)
{
    return type == RESOURCE_BROKER
               ? samsa_req_authorize(req, op, SAMSA_RESOURCE_CLUSTER,
                                     SAMSA_CLUSTER_RESOURCE)
               : samsa_req_authorize(req, op, SAMSA_RESOURCE_TOPIC,
                                     samsa_req_cstr(req, name));
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
        samsa_err_t err =
            configs_denied(req, rs->ResourceType, rs->ResourceName,
                           SAMSA_ACL_OP_DESCRIBE_CONFIGS);
        if (err != SAMSA_OK) {
            SAMSA_REQ_ARRAY(req, r->Configs, 0);
        } else if (rs->ResourceType == RESOURCE_TOPIC) {
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
    samsa_err_t err =
        req->broker->meta
            /* In a cluster through the quorum (cluster_configs.c). */
            ? samsa_cluster_alter_topic_config(
                  req->broker, samsa_req_cstr(req, name), changes, count,
                  incremental, validate_only, errbuf, sizeof(errbuf))
            : samsa_logmgr_alter_config(
                  req->broker->logs, samsa_req_cstr(req, name), changes, count,
                  incremental, validate_only, errbuf, sizeof(errbuf));
    if (err != SAMSA_OK && errbuf[0]) {
        *msg = samsa_req_str(req, errbuf);
    }
    return err;
}

/* Apply @p changes to the cluster default or this broker. */
static samsa_err_t alter_broker(samsa_req_t *req, samsa_str_t name,
                                const samsa_tcfg_kv_t *changes, size_t count,
                                bool incremental, bool validate_only,
                                samsa_str_t *msg)
{
    samsa_dyncfg_scope_t scope;
    bool quorum = req->broker->meta != NULL;
    samsa_err_t err = broker_scope_of(req, name, quorum, &scope, msg);
    if (err != SAMSA_OK) {
        return err;
    }
    char errbuf[512] = "";
    /* In a cluster through the metadata log (cluster_broker_configs.c). */
    err = quorum ? samsa_cluster_alter_broker_config(
                       req->broker, samsa_req_cstr(req, name), changes, count,
                       incremental, validate_only, errbuf, sizeof(errbuf))
                 : samsa_broker_config_alter(req->broker, scope, changes, count,
                                             incremental, validate_only, errbuf,
                                             sizeof(errbuf));
    if (err != SAMSA_OK && errbuf[0]) {
        *msg = samsa_req_str(req, errbuf);
    }
    return err;
}

static samsa_err_t alter_resource(samsa_req_t *req, int8_t type,
                                  samsa_str_t name,
                                  const samsa_tcfg_kv_t *changes, size_t count,
                                  bool incremental, bool validate_only,
                                  samsa_str_t *msg)
{
    samsa_err_t denied =
        configs_denied(req, type, name, SAMSA_ACL_OP_ALTER_CONFIGS);
    if (denied) {
        return denied;
    }
    return type == RESOURCE_BROKER
               ? alter_broker(req, name, changes, count, incremental,
                              validate_only, msg)
               : alter_topic(req, name, changes, count, incremental,
                             validate_only, msg);
}

/* In a cluster an alter naming a BROKER resource goes whole to the
 * controller, which commits it for every broker: its answer, or NULL
 * (handled here; *ferr: the controller could not be reached). The
 * controller authorizes a forwarded request as this broker (a super
 * user), so only a request whose every resource the client may alter is
 * forwarded; any other is answered here, each denied resource with its
 * authorization error. */
static void *forward_broker_alter(samsa_req_t *req, bool names_broker,
                                  bool allowed, samsa_err_t *ferr)
{
    void *fwd = NULL;
    if (names_broker && allowed) {
        samsa_cluster_forward(req, &fwd, ferr);
    }
    return fwd;
}

/* Alters write metadata files durably (fsync) and reconfigure partitions:
 * the admin worker runs them, off the reactors. */
static void *build_alter_configs(samsa_req_t *req)
{
    samsa_AlterConfigsRequest_t *areq = req->body;
    bool names_broker = false, allowed = true;
    for (int32_t i = 0; i < areq->Resources.count; i++) {
        int8_t type = areq->Resources.items[i].ResourceType;
        names_broker |= type == RESOURCE_BROKER;
        allowed =
            allowed &&
            configs_denied(req, type, areq->Resources.items[i].ResourceName,
                           SAMSA_ACL_OP_ALTER_CONFIGS) == SAMSA_OK;
    }
    samsa_err_t ferr = SAMSA_OK;
    void *fwd = forward_broker_alter(req, names_broker, allowed, &ferr);
    if (fwd) {
        return fwd;
    }
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
        if (rs->ResourceType != RESOURCE_TOPIC &&
            rs->ResourceType != RESOURCE_BROKER) {
            r->ErrorCode = SAMSA_ERR_INVALID_REQUEST;
            r->ErrorMessage = SAMSA_STR("unsupported resource type");
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
            ferr ? (int16_t)ferr
                 : (int16_t)alter_resource(
                       req, rs->ResourceType, rs->ResourceName, changes, count,
                       false, areq->ValidateOnly, &r->ErrorMessage);
    }
    return resp;
}

void samsa_handle_alter_configs(samsa_req_t *req)
{
    samsa_admin_run(req->broker->admin, req, build_alter_configs);
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

/* What an incremental alter edits: a topic, or a broker scope. */
typedef struct target {
    bool is_topic;
    samsa_tcfg_t overrides; /* a topic's, with the broker defaults in bd */
    samsa_tcfg_t bd;
    samsa_broker_t *broker;
    bool per_broker;
} target_t;

/* A topic's overrides: in a cluster from the quorum's image (brokers
 * without a replica of the topic alter it too), else from its local log. */
static samsa_err_t topic_target(samsa_broker_t *b, const char *name,
                                target_t *tg)
{
    tg->is_topic = true;
    samsa_err_t err;
    if (b->meta) {
        err = samsa_cluster_topic_configs(b, name, &tg->overrides);
    } else {
        samsa_topic_t *t = samsa_logmgr_topic_get(b->logs, name);
        err = !t ? SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION
                 : samsa_topic_config_copy(t, &tg->overrides);
        samsa_topic_put(t);
    }
    return err == SAMSA_OK ? samsa_logmgr_broker_defaults_copy(b->logs, &tg->bd)
                           : err;
}

static const samsa_bcfg_def_t *broker_def(const char *name)
{
    for (const samsa_bcfg_def_t *d = samsa_bcfg_defs(); d->name; d++) {
        if (strcmp(d->name, name) == 0) {
            return d;
        }
    }
    return NULL;
}

static bool is_list(const target_t *tg, const char *name)
{
    if (tg->is_topic) {
        const samsa_tcfg_def_t *d = samsa_tcfg_def_find(name);
        return d && (d->type == SAMSA_TCFG_LIST ||
                     d->type == SAMSA_TCFG_REPLICA_LIST);
    }
    const samsa_bcfg_def_t *d = broker_def(name);
    return d && d->type == SAMSA_CONFIG_TYPE_LIST;
}

/* The value a list config has after the changes collected so far. */
static const char *current_value(const target_t *tg, const samsa_tcfg_kv_t *kv,
                                 size_t count, const char *name, char *buf,
                                 size_t len)
{
    for (size_t i = count; i-- > 0;) {
        if (strcmp(kv[i].name, name) == 0) {
            return kv[i].value ? kv[i].value : "";
        }
    }
    if (tg->is_topic) {
        const char *v =
            samsa_tcfg_effective(&tg->overrides, &tg->bd, name, NULL);
        snprintf(buf, len, "%s", v ? v : "");
        return buf;
    }
    /* Kafka (ConfigurationControlManager): the resource's own dynamic
     * value, else the config's default, never another level's. */
    samsa_bcfg_level_t lv[4];
    size_t n =
        samsa_broker_config_levels(tg->broker, broker_def(name), true, lv);
    int8_t own = tg->per_broker ? SAMSA_CONFIG_SOURCE_DYNAMIC_BROKER
                                : SAMSA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER;
    size_t k = n - 1;
    for (size_t i = 0; i < n; i++) {
        if (lv[i].source == own) {
            k = i;
        }
    }
    snprintf(buf, len, "%s", lv[k].value);
    return buf;
}

static samsa_err_t incremental_changes(
    samsa_req_t *req,
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_t *rs,
    samsa_tcfg_kv_t *kv, size_t *count, samsa_str_t *msg)
{
    target_t tg = {.broker = req->broker};
    if (rs->ResourceType == RESOURCE_BROKER) {
        samsa_dyncfg_scope_t scope;
        samsa_err_t err = broker_scope_of(
            req, rs->ResourceName, req->broker->meta != NULL, &scope, msg);
        if (err != SAMSA_OK) {
            return err;
        }
        tg.per_broker = scope == SAMSA_DYNCFG_BROKER;
    } else {
        samsa_err_t err = topic_target(
            req->broker, samsa_req_cstr(req, rs->ResourceName), &tg);
        if (err != SAMSA_OK) {
            samsa_tcfg_free(&tg.overrides);
            samsa_tcfg_free(&tg.bd);
            return err == SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION
                       ? err
                       : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        }
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
            if (!is_list(&tg, name) || !value) {
                *msg = SAMSA_STR("APPEND/SUBTRACT need a list config");
                err = SAMSA_ERR_INVALID_CONFIG;
                break;
            }
            char buf[256];
            const char *cur =
                current_value(&tg, kv, *count, name, buf, sizeof(buf));
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
    samsa_tcfg_free(&tg.overrides);
    samsa_tcfg_free(&tg.bd);
    return err;
}

static void *build_incremental_alter_configs(samsa_req_t *req)
{
    samsa_IncrementalAlterConfigsRequest_t *areq = req->body;
    bool names_broker = false, allowed = true;
    for (int32_t i = 0; i < areq->Resources.count; i++) {
        int8_t type = areq->Resources.items[i].ResourceType;
        names_broker |= type == RESOURCE_BROKER;
        allowed =
            allowed &&
            configs_denied(req, type, areq->Resources.items[i].ResourceName,
                           SAMSA_ACL_OP_ALTER_CONFIGS) == SAMSA_OK;
    }
    samsa_err_t ferr = SAMSA_OK;
    void *fwd = forward_broker_alter(req, names_broker, allowed, &ferr);
    if (fwd) {
        return fwd;
    }
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
        if (rs->ResourceType != RESOURCE_TOPIC &&
            rs->ResourceType != RESOURCE_BROKER) {
            r->ErrorCode = SAMSA_ERR_INVALID_REQUEST;
            r->ErrorMessage = SAMSA_STR("unsupported resource type");
            continue;
        }
        int32_t nc = rs->Configs.count > 0 ? rs->Configs.count : 0;
        samsa_tcfg_kv_t *kv = samsa_req_alloc(req, sizeof(*kv) * (size_t)nc);
        size_t count = 0;
        samsa_err_t err =
            ferr ? ferr
                 : incremental_changes(req, rs, kv, &count, &r->ErrorMessage);
        if (err == SAMSA_OK) {
            err = alter_resource(req, rs->ResourceType, rs->ResourceName, kv,
                                 count, true, areq->ValidateOnly,
                                 &r->ErrorMessage);
        }
        r->ErrorCode = (int16_t)err;
    }
    return resp;
}

void samsa_handle_incremental_alter_configs(samsa_req_t *req)
{
    samsa_admin_run(req->broker->admin, req, build_incremental_alter_configs);
}
