/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/eos.c - see eos.h. */
#include "connect/eos.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <samsa/connect.h>

samsa_err_t samsa_connect_eos_worker_set(samsa_connect_eos_mode_t *mode,
                                         const char *key, const char *value,
                                         char *errbuf, size_t errlen)
{
    if (strcmp(key, "exactly.once.source.support") != 0) {
        return SAMSA_OK;
    }
    if (strcmp(value, "disabled") == 0) {
        *mode = SAMSA_CONNECT_EOS_DISABLED;
    } else if (strcmp(value, "preparing") == 0) {
        *mode = SAMSA_CONNECT_EOS_PREPARING;
    } else if (strcmp(value, "enabled") == 0) {
        *mode = SAMSA_CONNECT_EOS_ENABLED;
    } else {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration "
                 "exactly.once.source.support: String must be one of: "
                 "disabled, enabled, preparing",
                 value);
        return SAMSA_ERR_CONFIG;
    }
    return SAMSA_OK;
}

static const char *str_of(const json_t *config, const char *key)
{
    return json_string_value(json_object_get(config, key));
}

samsa_err_t samsa_connect_eos_from_config(const json_t *config,
                                          samsa_connect_eos_conf_t *out,
                                          char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->interval_ms = SAMSA_CONNECT_BOUNDARY_INTERVAL_MS;
    const char *v = str_of(config, "exactly.once.support");
    if (v != NULL && strcmp(v, "required") == 0) {
        out->required = true;
    } else if (v != NULL && strcmp(v, "requested") != 0) {
        snprintf(errbuf, errlen,
                 "exactly.once.support: Invalid value %s for configuration "
                 "exactly.once.support: String must be one of: requested, "
                 "required",
                 v);
        return SAMSA_ERR_CONFIG;
    }
    v = str_of(config, "transaction.boundary");
    if (v == NULL || strcmp(v, "poll") == 0) {
        out->boundary = SAMSA_CONNECT_BOUNDARY_POLL;
    } else if (strcmp(v, "interval") == 0) {
        out->boundary = SAMSA_CONNECT_BOUNDARY_INTERVAL;
    } else if (strcmp(v, "connector") == 0) {
        out->boundary = SAMSA_CONNECT_BOUNDARY_CONNECTOR;
    } else {
        snprintf(errbuf, errlen,
                 "transaction.boundary: Invalid value %s for configuration "
                 "transaction.boundary: String must be one of: poll, "
                 "interval, connector",
                 v);
        return SAMSA_ERR_CONFIG;
    }
    v = str_of(config, "transaction.boundary.interval.ms");
    if (v != NULL) {
        char *end = NULL;
        errno = 0;
        long long ms = strtoll(v, &end, 10);
        if (end == v || *end != '\0' || errno != 0 || ms < 0) {
            snprintf(errbuf, errlen,
                     "transaction.boundary.interval.ms: Invalid value %s for "
                     "configuration transaction.boundary.interval.ms: must "
                     "be a number of milliseconds >= 0",
                     v);
            return SAMSA_ERR_CONFIG;
        }
        out->interval_ms = ms;
    }
    v = str_of(config, "offsets.storage.topic");
    out->offsets_topic = v != NULL && v[0] != '\0' ? v : NULL;
    return SAMSA_OK;
}

/* The config as the plugin's ops take it; NULL when out of memory. */
static samsa_connect_kv_t *kv_of(const json_t *config, uint64_t *n)
{
    samsa_connect_kv_t *kv = calloc(json_object_size(config) + 1, sizeof(*kv));
    *n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)config, k, v)
    {
        if (kv != NULL && json_is_string(v)) {
            kv[(*n)++] = (samsa_connect_kv_t){k, json_string_value(v)};
        }
    }
    return kv;
}

void samsa_connect_eos_validate(samsa_connect_eos_mode_t mode,
                                const samsa_registry_entry_t *plugin,
                                const json_t *config, json_t *errs,
                                void (*add)(json_t *errs, const char *key,
                                            const char *msg))
{
    if (plugin->kind != SAMSA_KIND_SOURCE) {
        return;
    }
    samsa_connect_eos_conf_t eos;
    char msg[400];
    if (samsa_connect_eos_from_config(config, &eos, msg, sizeof(msg)) !=
        SAMSA_OK) {
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)strcspn(msg, ":"), msg);
        add(errs, key, msg + strlen(key) + 2);
        return;
    }
    /* Kafka checks these only on a worker with exactly-once enabled. */
    if (mode != SAMSA_CONNECT_EOS_ENABLED) {
        if (eos.required) {
            add(errs, "exactly.once.support",
                "This worker does not have exactly-once source support "
                "enabled.");
        }
        return;
    }
    const samsa_source_ops_t *ops = plugin->ops;
    uint64_t n = 0;
    samsa_connect_kv_t *kv = kv_of(config, &n);
    if (kv == NULL) {
        return;
    }
    if (eos.required) {
        bool ok = false;
        if (ops->exactly_once_support == NULL ||
            ops->exactly_once_support(plugin->state, kv, n, &ok) != SAMSA_OK) {
            add(errs, "exactly.once.support",
                "The connector does not implement the API required for "
                "preflight validation of exactly-once source support. "
                "Please consult the documentation for the connector to "
                "determine whether it supports exactly-once semantics, and "
                "then consider reconfiguring the connector to use the value "
                "\"requested\" for this property (which will disable this "
                "preflight check and allow the connector to be created).");
        } else if (!ok) {
            add(errs, "exactly.once.support",
                "The connector does not support exactly-once semantics "
                "with the provided configuration.");
        }
    }
    if (eos.boundary == SAMSA_CONNECT_BOUNDARY_CONNECTOR) {
        bool ok = false;
        if (ops->can_define_transaction_boundaries == NULL ||
            ops->can_define_transaction_boundaries(plugin->state, kv, n, &ok) !=
                SAMSA_OK ||
            !ok) {
            add(errs, "transaction.boundary",
                "The connector does not support connector-defined "
                "transaction boundaries with the given configuration. "
                "Please reconfigure it to use a different transaction "
                "boundary definition.");
        }
    }
    free(kv);
}

void samsa_connect_eos_txn_id(const char *group, const char *connector,
                              int32_t task, char *out, size_t len)
{
    snprintf(out, len, "%s-%s-%d",
             group[0] != '\0' ? group : SAMSA_CONNECT_EOS_GROUP, connector,
             (int)task);
}

void samsa_connect_eos_leader_txn_id(const char *group, char *out, size_t len)
{
    snprintf(out, len, "connect-cluster-%s",
             group[0] != '\0' ? group : SAMSA_CONNECT_EOS_GROUP);
}
