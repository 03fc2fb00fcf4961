/* SPDX-License-Identifier: Apache-2.0 */
/* core/replica/manager.c - starting and stopping replication: settings,
 * the transport plugin, the fetcher and ISR threads, metrics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/interbroker.h"
#include "config/options.h"
#include "registry/metrics.h"
#include "replica/replica_int.h"
#include "util/log.h"

static int64_t key(const samsa_broker_config_t *cfg, const char *name)
{
    int64_t v = 0;
    (void)samsa_config_int(cfg->values, name, &v);
    return v;
}

static void read_config(const samsa_broker_config_t *cfg,
                        samsa_replica_config_t *out)
{
    out->lag_time_max_ms = key(cfg, "replica_lag_time_max_ms");
    out->num_fetchers = (int32_t)key(cfg, "num_replica_fetchers");
    out->fetch_max_bytes = (int32_t)key(cfg, "replica_fetch_max_bytes");
    out->fetch_response_max_bytes =
        (int32_t)key(cfg, "replica_fetch_response_max_bytes");
    out->fetch_wait_max_ms = (int32_t)key(cfg, "replica_fetch_wait_max_ms");
    out->fetch_min_bytes = (int32_t)key(cfg, "replica_fetch_min_bytes");
    out->socket_timeout_ms = key(cfg, "replica_socket_timeout_ms");
    out->fetch_backoff_ms = key(cfg, "replica_fetch_backoff_ms");
    if (out->num_fetchers < 1) {
        out->num_fetchers = 1;
    }
    if (out->lag_time_max_ms < 1) {
        out->lag_time_max_ms = 30000;
    }
    samsa_client_conf_t cc = {0};
    samsa_interbroker_client_conf(cfg, NULL, &cc); /* its SASL login */
    out->sasl_mechanism = cc.sasl_mechanism;
    out->sasl_username = cc.sasl_username;
    out->sasl_password = cc.sasl_password;
}

samsa_err_t samsa_replica_start(samsa_broker_t *b, samsa_replica_mgr_t **out,
                                char *errbuf, size_t errlen)
{
    *out = NULL;
    const samsa_registry_entry_t *te = samsa_interbroker_transport(
        b->reg, b->cfg, b->cfg->cluster.inter_broker_listener);
    if (!te) {
        /* A one-node quorum needs none; others keep RF>1 partitions on
         * their leaders only, as before replication. */
        samsa_log(SAMSA_LOG_WARN,
                  "replication off: no transport plugin for the "
                  "inter-broker listener's protocol is loaded "
                  "(conf.d/50-transport-tcp.yaml for PLAINTEXT, "
                  "51-transport-tls.yaml for SSL); partitions live on their "
                  "leaders only");
        return SAMSA_OK;
    }
    samsa_replica_mgr_t *rm = calloc(1, sizeof(*rm));
    if (!rm) {
        return SAMSA_ERR_NOMEM;
    }
    rm->b = b;
    rm->tops = (const samsa_transport_ops_t *)te->ops;
    rm->tstate = te->state;
    read_config(b->cfg, &rm->cfg);
    pthread_rwlock_init(&rm->led_lock, NULL);
    samsa_repl_quota_init(&rm->leader_quota);
    samsa_repl_quota_init(&rm->follower_quota);
    rm->m_under_replicated = samsa_metric_register(
        NULL, "replicamanager_underreplicatedpartitions", SAMSA_METRIC_GAUGE,
        "Partitions led here whose ISR is smaller than their replicas");
    rm->m_shrinks = samsa_metric_register(
        NULL, "replicamanager_isrshrinks", SAMSA_METRIC_COUNTER,
        "ISR shrinks committed for partitions led here");
    rm->m_expands = samsa_metric_register(
        NULL, "replicamanager_isrexpands", SAMSA_METRIC_COUNTER,
        "ISR expansions committed for partitions led here");
    rm->fetchers = calloc((size_t)rm->cfg.num_fetchers, sizeof(*rm->fetchers));
    samsa_err_t err = rm->fetchers ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (int i = 0; err == SAMSA_OK && i < rm->cfg.num_fetchers; i++) {
        err = samsa_fetcher_start(rm, i, &rm->fetchers[i]);
        rm->nfetchers += err == SAMSA_OK;
    }
    if (err == SAMSA_OK) {
        err = samsa_isr_start(rm);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "cannot start the replica threads: %s",
                 samsa_err_str(err));
        samsa_replica_stop(rm);
        return err;
    }
    /* Every leader append, the coordinators' own writes too: an ISR of
     * one moves the HW at once. */
    samsa_logmgr_set_leader_append_hook(b->logs, samsa_led_appended, rm);
    *out = rm;
    return SAMSA_OK;
}

void samsa_replica_stop(samsa_replica_mgr_t *rm)
{
    if (!rm) {
        return;
    }
    samsa_logmgr_set_leader_append_hook(rm->b->logs, NULL, NULL);
    samsa_isr_stop(rm);
    if (rm->nfetchers > 0) {
        samsa_replica_forget_all(rm);
    }
    for (int i = 0; i < rm->nfetchers; i++) {
        samsa_fetcher_stop(rm->fetchers[i]);
    }
    free(rm->fetchers);
    pthread_rwlock_destroy(&rm->led_lock);
    samsa_repl_quota_destroy(&rm->leader_quota);
    samsa_repl_quota_destroy(&rm->follower_quota);
    free(rm);
}
