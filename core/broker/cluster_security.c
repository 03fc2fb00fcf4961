/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster_security.c - in a cluster, what every node enforces
 * follows the metadata image's security part (image_security.h): the
 * ACLs go to the authorizer that takes them from the broker (set_acls),
 * the SCRAM credentials to core/security/credentials.c's store (which the
 * sasl-scram plugins read through services->scram_credential), the client
 * quotas to core/security/quota.c. None of them learns about the quorum.
 *
 * Runs on the quorum thread, before the image is published (so a proposer
 * woken by the commit finds its change in force on this node): in-memory
 * swaps only, no I/O. Broker configs apply on the applier thread
 * (cluster_broker_configs.c) since they touch every topic.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "metadata/image_security.h"
#include "security/auth.h"
#include "security/credentials.h"
#include "security/quota.h"
#include "util/log.h"

static void apply_acls(samsa_broker_t *b, const samsa_meta_security_t *s)
{
    size_t n = s ? s->acl_count : 0;
    samsa_acl_binding_t *bs = calloc(n + 1, sizeof(*bs));
    samsa_err_t err = bs ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (size_t i = 0; bs && i < n; i++) {
        const samsa_meta_acl_t *a = &s->acls[i];
        bs[i] = (samsa_acl_binding_t){
            .hdr = SAMSA_ABI_HEADER(samsa_acl_binding_t),
            .resource_name = a->resource_name,
            .principal = a->principal,
            .host = a->host,
            .resource_type = (uint32_t)a->resource_type,
            .pattern_type = (uint32_t)a->pattern_type,
            .operation = (uint32_t)a->operation,
            .permission = (uint32_t)a->permission,
        };
    }
    if (err == SAMSA_OK) {
        err = samsa_security_set_acls(b->security, bs, n);
    }
    free(bs);
    if (err != SAMSA_OK && err != SAMSA_ERR_DECLINED) {
        samsa_log(SAMSA_LOG_ERROR, "cluster: cannot apply %zu ACLs: %s", n,
                  samsa_err_str(err));
    }
}

static void apply_scram(samsa_broker_t *b, const samsa_meta_security_t *s)
{
    samsa_err_t err = samsa_credentials_replace(
        b->credentials, s ? s->scram : NULL, s ? s->scram_count : 0);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR,
                  "cluster: cannot apply the SCRAM credentials: %s",
                  samsa_err_str(err));
    }
}

/* The image keeps one record per entity and key; the quota store one
 * entry per entity with a value per kind. */
static void apply_quotas(samsa_broker_t *b, const samsa_meta_security_t *s)
{
    size_t n = s ? s->quota_count : 0, count = 0;
    samsa_quota_entry_t *es = calloc(n + 1, sizeof(*es));
    if (!es) {
        samsa_log(SAMSA_LOG_ERROR, "cluster: cannot apply client quotas: %s",
                  samsa_err_str(SAMSA_ERR_NOMEM));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const samsa_meta_quota_t *q = &s->quotas[i];
        int kind = samsa_quota_kind_of(q->key);
        samsa_quota_name_t user = {q->has_user, q->user};
        samsa_quota_name_t client = {q->has_client, q->client};
        size_t at = 0;
        while (at < count &&
               !(es[at].user.present == user.present &&
                 es[at].client.present == client.present &&
                 (es[at].user.name == user.name ||
                  (es[at].user.name && user.name &&
                   strcmp(es[at].user.name, user.name) == 0)) &&
                 (es[at].client.name == client.name ||
                  (es[at].client.name && client.name &&
                   strcmp(es[at].client.name, client.name) == 0)))) {
            at++;
        }
        if (kind < 0) {
            continue; /* a key this version does not enforce */
        }
        if (at == count) {
            es[count++] = (samsa_quota_entry_t){
                .user = user, .client = client, .value = {NAN, NAN, NAN}};
        }
        es[at].value[kind] = q->value;
    }
    samsa_err_t err = samsa_quotas_replace(b->quotas, es, count);
    free(es);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR, "cluster: cannot apply client quotas: %s",
                  samsa_err_str(err));
    }
}

/* Once, at start: say what of a standalone node's per-node stores a
 * cluster does not use, so an operator who turned one into a node knows
 * to set them again. */
static void warn_unused_stores(samsa_broker_t *b)
{
    static const char *const files[] = {"scram_credentials", "acls",
                                        "client_quotas", "broker_configs"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/__samsa_meta/%s", b->cfg->data_dir,
                 files[i]);
        if (access(path, F_OK) == 0) {
            samsa_log(SAMSA_LOG_WARN,
                      "cluster: %s is not used in a cluster (the metadata "
                      "log keeps these): set them again through any node",
                      path);
        }
    }
    void *state = NULL;
    if (samsa_security_acl_manager(b->security, &state) &&
        !samsa_security_acls_hosted(b->security)) {
        samsa_log(SAMSA_LOG_WARN,
                  "cluster: the authorizer keeps its own ACLs (no set_acls): "
                  "ACLs are not replicated, each node has its own");
    }
}

void samsa_cluster_security_apply(samsa_broker_t *b,
                                  const samsa_meta_image_t *prev,
                                  const samsa_meta_image_t *next)
{
    const samsa_meta_security_t *s = next ? next->security : NULL;
    if (prev && next && prev->security == s) {
        return; /* shared: unchanged */
    }
    if (!prev && !next) {
        warn_unused_stores(b);
    }
    apply_acls(b, s);
    apply_scram(b, s);
    apply_quotas(b, s);
}
