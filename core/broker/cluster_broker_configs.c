/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster_broker_configs.c - dynamic broker configs in a
 * cluster: AlterConfigs / IncrementalAlterConfigs on a BROKER resource
 * ("" the cluster default, "<id>" one broker) become BROKER_CONFIG records
 * (Kafka's ConfigRecord) proposed by the controller (handle_configs.c
 * forwards the request to it from other nodes), and every node applies
 * the cluster default and its own values from each new image
 * (broker_configs.h does what a value means).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker_configs.h"
#include "broker/cluster.h"
#include "metadata/image_security.h"
#include "util/log.h"

/* The values of @p resource in @p img. */
static samsa_err_t values_of(const samsa_meta_image_t *img,
                             const char *resource, samsa_tcfg_t *out)
{
    const samsa_meta_security_t *s = img ? img->security : NULL;
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; s && err == SAMSA_OK && i < s->config_count; i++) {
        if (strcmp(s->configs[i].resource, resource) == 0) {
            err = samsa_tcfg_set(out, s->configs[i].key, s->configs[i].value);
        }
    }
    return err;
}

static bool same_values(const samsa_tcfg_t *a, const samsa_tcfg_t *b)
{
    if (a->count != b->count) {
        return false;
    }
    for (size_t i = 0; i < a->count; i++) {
        const char *v = samsa_tcfg_get(b, a->items[i].name);
        if (!v || strcmp(v, a->items[i].value) != 0) {
            return false;
        }
    }
    return true;
}

void samsa_cluster_broker_configs_apply(samsa_broker_t *b,
                                        const samsa_meta_image_t *prev,
                                        const samsa_meta_image_t *next)
{
    if (prev && prev->security == next->security) {
        return;
    }
    char own_id[16];
    snprintf(own_id, sizeof(own_id), "%d", b->node_id);
    samsa_tcfg_t def = {0}, own = {0}, old_def = {0}, old_own = {0};
    samsa_err_t err = values_of(next, "", &def);
    if (err == SAMSA_OK) {
        err = values_of(next, own_id, &own);
    }
    if (err == SAMSA_OK && prev) {
        err = values_of(prev, "", &old_def);
    }
    if (err == SAMSA_OK && prev) {
        err = values_of(prev, own_id, &old_own);
    }
    char errbuf[256] = "";
    if (err == SAMSA_OK && (!prev || !same_values(&def, &old_def) ||
                            !same_values(&own, &old_own))) {
        err = samsa_broker_config_set_scopes(b, &def, &own, errbuf,
                                             sizeof(errbuf));
    }
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR, "cluster: cannot apply broker configs: %s",
                  errbuf[0] ? errbuf : samsa_err_str(err));
    }
    samsa_tcfg_free(&def);
    samsa_tcfg_free(&own);
    samsa_tcfg_free(&old_def);
    samsa_tcfg_free(&old_own);
}

samsa_err_t samsa_cluster_alter_broker_config(samsa_broker_t *b,
                                              const char *resource,
                                              const samsa_tcfg_kv_t *changes,
                                              size_t count, bool incremental,
                                              bool validate_only, char *errbuf,
                                              size_t errlen)
{
    samsa_err_t err = samsa_broker_config_check(
        resource[0] ? SAMSA_DYNCFG_BROKER : SAMSA_DYNCFG_DEFAULT, changes,
        count, errbuf, errlen);
    if (err != SAMSA_OK || validate_only) {
        return err;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    samsa_tcfg_t cur = {0}, want = {0};
    err = values_of(img, resource, &cur);
    samsa_meta_image_put(img);
    if (err == SAMSA_OK && incremental) {
        err = samsa_tcfg_copy(&want, &cur);
    }
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        err = samsa_tcfg_set(&want, changes[i].name, changes[i].value);
    }
    /* One record per key that changes: set where @p want differs, delete
     * what it no longer has. */
    size_t cap = want.count + cur.count, n = 0;
    samsa_meta_rec_t *recs = calloc(cap + 1, sizeof(*recs));
    samsa_err_t *outcomes = calloc(cap + 1, sizeof(*outcomes));
    if (err == SAMSA_OK && (!recs || !outcomes)) {
        err = SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; err == SAMSA_OK && i < want.count; i++) {
        const char *was = samsa_tcfg_get(&cur, want.items[i].name);
        if (!was || strcmp(was, want.items[i].value) != 0) {
            err = samsa_mdrec_broker_config(resource, want.items[i].name,
                                            want.items[i].value, &recs[n]);
            n += err == SAMSA_OK;
        }
    }
    for (size_t i = 0; err == SAMSA_OK && i < cur.count; i++) {
        if (!samsa_tcfg_get(&want, cur.items[i].name)) {
            err = samsa_mdrec_broker_config(resource, cur.items[i].name, NULL,
                                            &recs[n]);
            n += err == SAMSA_OK;
        }
    }
    if (err == SAMSA_OK && n > 0) {
        err = samsa_cluster_propose_wait(b, recs, n, outcomes);
        for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
            err = outcomes[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            free(recs[i].p);
        }
    }
    free(recs);
    free(outcomes);
    samsa_tcfg_free(&cur);
    samsa_tcfg_free(&want);
    return err;
}
