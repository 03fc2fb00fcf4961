/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster_configs.c - topic configs in quorum mode: an
 * AlterConfigs / IncrementalAlterConfigs on a topic becomes TOPIC_CONFIG
 * records (one per key that changes), proposed by the controller; another
 * node forwards the changes to it as an IncrementalAlterConfigs. Every
 * broker then applies the committed configs to its local logs (cluster.c).
 *
 * Runs on the admin worker (handle_configs.c), never on a reactor: it may
 * wait for the commit, bounded by CONFIG_WAIT_MS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster.h"
#include "client/client.h"

#define CONFIG_WAIT_MS 10000

/* The topic's configs after the change: the current ones (incremental)
 * or none (a full replace), with @p changes applied. */
static samsa_err_t desired(const samsa_meta_topic_t *t,
                           const samsa_tcfg_kv_t *changes, size_t count,
                           bool incremental, samsa_tcfg_t *out, char *errbuf,
                           size_t errlen)
{
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; incremental && err == SAMSA_OK && i < t->config_count;
         i++) {
        err = samsa_tcfg_set(out, t->configs[i].key, t->configs[i].value);
    }
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        if (changes[i].value) {
            err = samsa_tcfg_validate(changes[i].name, changes[i].value, errbuf,
                                      errlen);
        }
        if (err == SAMSA_OK) {
            err = samsa_tcfg_set(out, changes[i].name, changes[i].value);
        }
    }
    return err;
}

/* The keys whose value differs between @p t and @p want (NULL: removed). */
static size_t diff(const samsa_meta_topic_t *t, const samsa_tcfg_t *want,
                   samsa_tcfg_kv_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < want->count; i++) {
        const char *cur = NULL;
        for (size_t k = 0; k < t->config_count; k++) {
            if (strcmp(t->configs[k].key, want->items[i].name) == 0) {
                cur = t->configs[k].value;
            }
        }
        if (!cur || strcmp(cur, want->items[i].value) != 0) {
            out[n++] = want->items[i];
        }
    }
    for (size_t k = 0; k < t->config_count; k++) {
        if (!samsa_tcfg_get(want, t->configs[k].key)) {
            out[n++] = (samsa_tcfg_kv_t){t->configs[k].key, NULL};
        }
    }
    return n;
}

static samsa_err_t propose_and_wait(samsa_broker_t *b, const char *topic,
                                    const samsa_tcfg_kv_t *kv, size_t n)
{
    samsa_meta_rec_t *recs = calloc(n + 1, sizeof(*recs));
    samsa_err_t *outcomes = calloc(n + 1, sizeof(*outcomes));
    samsa_err_t err = recs && outcomes ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t made = 0;
    while (err == SAMSA_OK && made < n) {
        err = samsa_mdrec_topic_config(topic, kv[made].name, kv[made].value,
                                       &recs[made]);
        made += err == SAMSA_OK;
    }
    if (err == SAMSA_OK) {
        err = samsa_cluster_propose_wait(b, recs, n, outcomes);
        for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
            err = outcomes[i];
        }
    } else {
        for (size_t i = 0; i < made; i++) {
            free(recs[i].p);
        }
    }
    free(recs);
    free(outcomes);
    return err;
}

/* Not the controller: send the same changes to it. */
static samsa_err_t forward(samsa_broker_t *b, const samsa_meta_image_t *img,
                           const char *topic, const samsa_tcfg_kv_t *kv,
                           size_t n, char *errbuf, size_t errlen)
{
    samsa_client_t *c = NULL;
    samsa_err_t err =
        samsa_cluster_controller_client(b, img, CONFIG_WAIT_MS, &c);
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_IncrementalAlterConfigsRequest_t req;
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_t rs;
    samsa_IncrementalAlterConfigsRequest_AlterableConfig_t *acs =
        calloc(n + 1, sizeof(*acs));
    samsa_arena_t arena;
    void *resp = NULL;
    samsa_arena_init(&arena);
    samsa_IncrementalAlterConfigsRequest_init(&req);
    samsa_IncrementalAlterConfigsRequest_AlterConfigsResource_init(&rs);
    rs.ResourceType = 2; /* TOPIC */
    rs.ResourceName = samsa_str_from_cstr(topic);
    rs.Configs.items = acs;
    rs.Configs.count = (int32_t)n;
    for (size_t i = 0; acs && i < n; i++) {
        samsa_IncrementalAlterConfigsRequest_AlterableConfig_init(&acs[i]);
        acs[i].Name = samsa_str_from_cstr(kv[i].name);
        acs[i].ConfigOperation = kv[i].value ? 0 : 1; /* SET : DELETE */
        acs[i].Value = samsa_str_from_cstr(kv[i].value);
    }
    req.Resources.items = &rs;
    req.Resources.count = 1;
    err = acs ? samsa_client_call(c, SAMSA_NODE_ANY,
                                  SAMSA_API_INCREMENTAL_ALTER_CONFIGS, &req,
                                  &arena, &resp, NULL)
              : SAMSA_ERR_NOMEM;
    if (err == SAMSA_OK) {
        samsa_IncrementalAlterConfigsResponse_t *r = resp;
        err = r->Responses.count == 1 ? r->Responses.items[0].ErrorCode
                                      : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
        samsa_str_t msg = r->Responses.count == 1
                              ? r->Responses.items[0].ErrorMessage
                              : SAMSA_STR_NULL;
        if (err != SAMSA_OK && msg.len > 0) {
            snprintf(errbuf, errlen, "%.*s", (int)msg.len, msg.ptr);
        }
    } else {
        snprintf(errbuf, errlen, "controller: %s", samsa_client_errmsg(c));
        err = SAMSA_ERR_NOT_CONTROLLER; /* retriable for the client */
    }
    free(acs);
    samsa_arena_destroy(&arena);
    samsa_client_free(c);
    return err;
}

samsa_err_t samsa_cluster_alter_topic_config(samsa_broker_t *b,
                                             const char *topic,
                                             const samsa_tcfg_kv_t *changes,
                                             size_t count, bool incremental,
                                             bool validate_only, char *errbuf,
                                             size_t errlen)
{
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, topic);
    samsa_tcfg_t want = {0};
    samsa_tcfg_kv_t *kv = NULL;
    samsa_err_t err = t ? SAMSA_OK : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (err == SAMSA_OK) {
        err = desired(t, changes, count, incremental, &want, errbuf, errlen);
    }
    size_t n = 0;
    if (err == SAMSA_OK && !validate_only) {
        kv = calloc(want.count + t->config_count + 1, sizeof(*kv));
        err = kv ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    if (err == SAMSA_OK && kv) {
        n = diff(t, &want, kv);
    }
    if (err == SAMSA_OK && n > 0) {
        err = samsa_meta_controller(b->meta) == b->node_id
                  ? propose_and_wait(b, topic, kv, n)
                  : forward(b, img, topic, kv, n, errbuf, errlen);
    }
    free(kv);
    samsa_tcfg_free(&want);
    samsa_meta_image_put(img);
    return err;
}

samsa_err_t samsa_cluster_topic_configs(samsa_broker_t *b, const char *topic,
                                        samsa_tcfg_t *out)
{
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, topic);
    samsa_err_t err = t ? SAMSA_OK : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    for (size_t i = 0; err == SAMSA_OK && i < t->config_count; i++) {
        err = samsa_tcfg_set(out, t->configs[i].key, t->configs[i].value);
    }
    samsa_meta_image_put(img);
    if (err != SAMSA_OK) {
        samsa_tcfg_free(out);
    }
    return err;
}
