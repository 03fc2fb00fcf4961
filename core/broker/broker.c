/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/broker.c - see broker.h. */
#include "broker/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/broker_configs.h"
#include "broker/observe.h"
#include "broker/observe_history.h"
#include "broker/admin_worker.h"
#include "broker/produce_check.h"
#include "broker/cluster.h"
#include "broker/coord_follow.h"
#include "broker/interbroker.h"
#include "broker/txn_marker_writer.h"
#include "broker/txn_verify.h"
#include "broker/parked.h"
#include "group/coordinator.h"
#include "txn/coordinator.h"
#include "broker/request.h"
#include "connect/connect.h"
#include "security/auth.h"
#include "security/credentials.h"
#include "security/quota.h"
#include "security/tls_context.h"
#include "util/log.h"
#include "durable_file.h"

static samsa_err_t engine_lookup(void *arg, const char *name,
                                 const samsa_storage_ops_t **ops, void **state)
{
    samsa_broker_t *b = arg;
    const samsa_registry_entry_t *e =
        samsa_registry_find(b->reg, SAMSA_KIND_STORAGE, name);
    if (!e) {
        return SAMSA_ERR_NOT_FOUND;
    }
    *ops = samsa_entry_storage_ops(e);
    *state = e->state;
    return SAMSA_OK;
}

const samsa_codec_ops_t *samsa_broker_codec(samsa_broker_t *b, int codec_id,
                                            void **state)
{
    const samsa_registry_entry_t *e =
        samsa_registry_codec(b->reg, (uint32_t)codec_id);
    if (!e) {
        return NULL;
    }
    *state = e->state;
    return samsa_entry_codec_ops(e);
}

samsa_topic_t *samsa_broker_topic(samsa_broker_t *b, const char *name,
                                  bool allow_create, samsa_err_t *err)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(b->logs, name);
    if (t) {
        *err = SAMSA_OK;
        return t;
    }
    if (!samsa_topic_name_valid(name)) {
        *err = SAMSA_ERR_INVALID_TOPIC_EXCEPTION;
        return NULL;
    }
    if (samsa_logmgr_topic_offline(b->logs, name, NULL, 0)) {
        /* Logged once when it went offline; answered on every request. */
        *err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
        return NULL;
    }
    if (!allow_create || !b->cfg->auto_create_topics) {
        *err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    char errbuf[256] = "";
    samsa_err_t e =
        samsa_logmgr_create_topic(b->logs, name, b->cfg->num_partitions, NULL,
                                  false, errbuf, sizeof(errbuf));
    if (e == SAMSA_OK) {
        samsa_log(SAMSA_LOG_INFO, "auto-created topic '%s' with %d partitions",
                  name, b->cfg->num_partitions);
    } else if (e != SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
        samsa_log(SAMSA_LOG_WARN, "auto-creating topic '%s' failed: %s", name,
                  errbuf);
        *err = e;
        return NULL;
    }
    t = samsa_logmgr_topic_get(b->logs, name);
    *err = t ? SAMSA_OK : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    return t;
}

samsa_partition_t *samsa_broker_partition(samsa_topic_t *topic,
                                          samsa_err_t topic_err, int32_t index,
                                          samsa_err_t *err)
{
    samsa_partition_t *part = NULL;
    *err = topic_err;
    if (topic_err == SAMSA_OK) {
        part = samsa_topic_partition(topic, index);
        *err = part ? SAMSA_OK : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    return part;
}

/* Kafka's cluster ids are base64url (22 characters for a UUID); other
 * tools may pick longer ones, so allow any short run of that alphabet. */
static bool cluster_id_valid(const char *id, size_t n)
{
    if (n == 0 || n > 63) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

/* @p n bytes as printable text, others as \xNN. */
static void escape_bytes(const char *in, size_t n, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 <= len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\') {
            out[o++] = (char)c;
        } else {
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
        }
    }
    out[o] = 0;
}

/* The cluster id is made once and kept in the data dir, like Kafka's
 * meta.properties, so clients see the same cluster across restarts. */
static samsa_err_t load_cluster_id(samsa_broker_t *b, char *errbuf,
                                   size_t errlen)
{
    if (b->cfg->cluster_id && b->cfg->cluster_id[0]) {
        snprintf(b->cluster_id, sizeof(b->cluster_id), "%s",
                 b->cfg->cluster_id);
        return SAMSA_OK;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/__samsa_meta/cluster_id",
             b->cfg->data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char raw[128] = "";
        size_t n = fread(raw, 1, sizeof(raw) - 1, f);
        fclose(f);
        raw[n] = 0;
        if (n > 0 && raw[n - 1] == '\n') {
            raw[--n] = 0;
        }
        if (n == 0) {
            /* Empty (crash while first written): make a new one. */
        } else if (cluster_id_valid(raw, n) && n < sizeof(b->cluster_id)) {
            memcpy(b->cluster_id, raw, n + 1);
            return SAMSA_OK;
        } else {
            char shown[4 * 40 + 1];
            escape_bytes(raw, n < 40 ? n : 40, shown, sizeof(shown));
            snprintf(errbuf, errlen,
                     "%s is damaged (it reads \"%s\"%s; a cluster id is up "
                     "to 63 characters of [A-Za-z0-9_-]): restore it from a "
                     "backup, or remove it to start as a new cluster (clients "
                     "will see a different cluster id)",
                     path, shown, n > 40 ? "..." : "");
            return SAMSA_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t rnd[22];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        snprintf(errbuf, errlen, "getrandom: %s", strerror(errno));
        return SAMSA_ERR_IO;
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        b->cluster_id[i] = alphabet[rnd[i] & 63];
    }
    b->cluster_id[sizeof(rnd)] = 0;
    /* Durable and whole: a crash must not leave a damaged id behind. */
    char text[80];
    int n = snprintf(text, sizeof(text), "%s\n", b->cluster_id);
    int rc = samsa_file_replace(path, NULL, text, (size_t)n, true);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot write %s: %s", path, strerror(rc));
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    return SAMSA_OK;
}

/* The address clients are given for cfg listener @p li bound as server
 * listener @p bound: its advertised address, else its own (a wildcard is
 * not an address clients can dial: the host name then). */
static void pick_endpoint(samsa_broker_t *b, int li, size_t bound,
                          samsa_broker_endpoint_t *ep)
{
    const samsa_cluster_config_t *cc = &b->cfg->cluster;
    const samsa_listener_t *l = &b->cfg->listeners[li];
    const char *host = l->host;
    snprintf(ep->name, sizeof(ep->name), "%s", l->name);
    ep->port = samsa_server_port(b->server, bound);
    if (cc->advertised_host && cc->advertised_host[li]) {
        host = cc->advertised_host[li];
        ep->port = cc->advertised_port[li];
    }
    if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
        if (gethostname(ep->host, sizeof(ep->host)) != 0) {
            snprintf(ep->host, sizeof(ep->host), "127.0.0.1");
        }
    } else {
        snprintf(ep->host, sizeof(ep->host), "%s", host);
    }
}

/* Every server listener's endpoint; the broker's own advertised address
 * is the inter-broker listener's. */
static void pick_advertised(samsa_broker_t *b)
{
    const samsa_cluster_config_t *cc = &b->cfg->cluster;
    /* The server binds the broker listeners in order, skipping the
     * controller listener (the Raft transport binds that one). */
    size_t bound = 0;
    for (size_t i = 0; i < b->cfg->listener_count; i++) {
        if ((int)i == cc->controller_listener) {
            continue;
        }
        pick_endpoint(b, (int)i, bound, &b->endpoints[bound]);
        if ((int)i == cc->inter_broker_listener) {
            snprintf(b->advertised_host, sizeof(b->advertised_host), "%s",
                     b->endpoints[bound].host);
            b->advertised_port = b->endpoints[bound].port;
        }
        bound++;
    }
    b->endpoint_count = bound;
}

const samsa_broker_endpoint_t *samsa_broker_endpoint(const samsa_broker_t *b,
                                                     const samsa_conn_t *conn)
{
    return &b->endpoints[conn ? samsa_conn_listener(conn) : 0];
}

/* The transaction coordinator's producer ids in a cluster. */
static samsa_err_t cluster_producer_id(void *arg, int64_t *pid)
{
    return samsa_cluster_producer_id(arg, pid);
}

samsa_err_t samsa_broker_create(const samsa_broker_config_t *cfg,
                                samsa_broker_t **out, char *errbuf,
                                size_t errlen)
{
    samsa_broker_t *b = calloc(1, sizeof(*b));
    if (!b) {
        return SAMSA_ERR_NOMEM;
    }
    b->cfg = cfg;
    pthread_mutex_init(&b->config_lock, NULL);
    b->node_id = cfg->node_id;
    b->max_request_bytes = cfg->socket_request_max_bytes;
    samsa_err_t err = SAMSA_OK;
    if (mkdir(cfg->data_dir, 0755) < 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "cannot create data dir %s: %s", cfg->data_dir,
                 strerror(errno));
        err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    if (err == SAMSA_OK) {
        err = samsa_registry_open(cfg, &b->reg, errbuf, errlen);
    }
    samsa_tcfg_t defaults = {0};
    if (err == SAMSA_OK) {
        /* In a cluster the metadata log keeps them (in memory here). */
        err = samsa_dyncfg_open(
            samsa_cluster_is_quorum(&cfg->cluster) ? NULL : cfg->data_dir,
            cfg->node_id, &b->dyncfg, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = samsa_broker_configs_topic_defaults(cfg, b->dyncfg, &defaults);
    }
    if (err == SAMSA_OK) {
        samsa_logmgr_options_t lo = {
            .data_dir = cfg->data_dir,
            .engine_lookup = engine_lookup,
            .engine_lookup_arg = b,
            .broker_defaults = &defaults,
            .producer_id_expiration_ms =
                samsa_broker_configs_producer_expiration(cfg, b->dyncfg),
            .housekeep_interval_ms = cfg->log_retention_check_interval_ms,
            .max_partitions = cfg->max_broker_partitions,
        };
        err = samsa_logmgr_open(&lo, &b->logs, errbuf, errlen);
    }
    samsa_tcfg_free(&defaults);
    if (err == SAMSA_OK) {
        err = samsa_admin_worker_start(&b->admin, "samsa-admin");
    }
    if (err == SAMSA_OK) {
        err = samsa_produce_checks_start(b);
    }
    if (err == SAMSA_OK) {
        err = load_cluster_id(b, errbuf, errlen);
    }
    /* Before the quorum: its image hook fills these. In a cluster the
     * metadata log keeps credentials and quotas (cluster_security.c), so
     * the stores are in memory only. */
    const char *store_dir =
        samsa_cluster_is_quorum(&cfg->cluster) ? NULL : cfg->data_dir;
    if (err == SAMSA_OK) {
        err =
            samsa_credentials_open(store_dir, &b->credentials, errbuf, errlen);
        samsa_credentials_publish(b->credentials);
    }
    if (err == SAMSA_OK) {
        err = samsa_quotas_open(store_dir, cfg->quota_window_num,
                                (int64_t)cfg->quota_window_size_seconds * 1000,
                                &b->quotas, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = samsa_security_create(b->reg, &cfg->security, &b->security,
                                    errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = samsa_cluster_open(b, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        samsa_group_options_t go;
        samsa_group_options_init(&go);
        go.logmgr = b->logs;
        go.initial_rebalance_delay_ms = cfg->group_initial_rebalance_delay_ms;
        go.min_session_timeout_ms = (int32_t)cfg->group_min_session_timeout_ms;
        go.max_session_timeout_ms = (int32_t)cfg->group_max_session_timeout_ms;
        go.offsets_retention_ms = cfg->offsets_retention_ms;
        if (b->meta) {
            go.follow_leadership = true;
            go.offsets_topic_partitions = cfg->offsets_topic_num_partitions;
        }
        err = samsa_group_coordinator_start(&go, &b->groups, errbuf, errlen);
    }
    if (err == SAMSA_OK && cfg->security.any_sasl &&
        samsa_security_mechanism_count(b->security) == 0) {
        snprintf(errbuf, errlen,
                 "a SASL_PLAINTEXT or SASL_SSL listener needs a sasl plugin "
                 "instance (e.g. conf.d/40-sasl-plain.yaml)");
        err = SAMSA_ERR_CONFIG;
    }
    if (err == SAMSA_OK) {
        samsa_txn_options_t to;
        samsa_txn_options_init(&to);
        to.logmgr = b->logs;
        to.groups = b->groups;
        to.max_timeout_ms = cfg->transaction_max_timeout_ms;
        to.abort_check_interval_ms =
            cfg->transaction_abort_timed_out_transaction_cleanup_interval_ms;
        if (b->meta) {
            to.follow_leadership = true;
            to.state_topic_partitions =
                cfg->transaction_state_log_num_partitions;
            err = samsa_txn_marker_writer_new(b, &b->txn_markers);
            if (err == SAMSA_OK) {
                err = samsa_txn_verify_new(b, &b->txn_verify);
            }
            to.marker_ops = &samsa_txn_marker_writer_ops;
            to.marker_arg = b->txn_markers;
            to.new_producer_id = cluster_producer_id;
            to.new_producer_id_arg = b;
        }
        if (err == SAMSA_OK) {
            err = samsa_txn_coordinator_start(&to, &b->txn, errbuf, errlen);
        }
    }
    if (err == SAMSA_OK && cfg->security.any_tls) {
        err = samsa_tls_context_create(&cfg->security, &b->tls, errbuf, errlen);
    }
    if (err == SAMSA_OK && b->meta) {
        err = samsa_interbroker_tls_new(cfg, &b->client_tls, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        const char **addrs = calloc(cfg->listener_count, sizeof(*addrs));
        char(*bufs)[300] = calloc(cfg->listener_count, sizeof(*bufs));
        void **tls = calloc(cfg->listener_count, sizeof(*tls));
        b->listener_protocol = calloc(cfg->listener_count, 1);
        b->listener_mechanisms =
            calloc(cfg->listener_count, sizeof(*b->listener_mechanisms));
        b->endpoints = calloc(cfg->listener_count, sizeof(*b->endpoints));
        if (!addrs || !bufs || !tls || !b->listener_protocol || !b->endpoints ||
            !b->listener_mechanisms) {
            err = SAMSA_ERR_NOMEM;
        }
        size_t n = 0;
        for (size_t i = 0; err == SAMSA_OK && i < cfg->listener_count; i++) {
            const samsa_listener_t *l = &cfg->listeners[i];
            if ((int)i == cfg->cluster.controller_listener) {
                continue; /* the metadata quorum's Raft transport */
            }
            snprintf(bufs[n], sizeof(bufs[n]),
                     strchr(l->host, ':') ? "[%s]:%u" : "%s:%u", l->host,
                     l->port);
            addrs[n] = bufs[n];
            b->listener_protocol[n] = cfg->security.protocol[i];
            b->listener_mechanisms[n] =
                cfg->security.listener_mechanisms[i]
                    ? cfg->security.listener_mechanisms[i]
                    : cfg->security.sasl_enabled_mechanisms;
            tls[n] = samsa_security_is_tls(cfg->security.protocol[i]) ? b->tls
                                                                      : NULL;
            n++;
        }
        if (err == SAMSA_OK) {
            samsa_server_config_t sc;
            samsa_server_config_init(&sc);
            sc.listeners = addrs;
            sc.listener_count = n;
            sc.reactors = cfg->reactors > 0 ? (size_t)cfg->reactors : 0;
            sc.max_request_bytes = (size_t)cfg->socket_request_max_bytes;
            sc.max_idle_ms = (uint32_t)cfg->connections_max_idle_ms;
            sc.send_file_copy = cfg->fetch_copy;
            sc.listener_tls = tls;
            sc.on_request = samsa_broker_on_request;
            sc.on_close = samsa_broker_on_close;
            sc.app = b;
            err = samsa_server_create(&sc, NULL, &b->server, errbuf, errlen);
        }
        free(addrs);
        free(bufs);
        free(tls);
    }
    if (err == SAMSA_OK && cfg->http_listener_count > 0) {
        err = samsa_http_create((const char *const *)cfg->http_listeners,
                                cfg->http_listener_count, &b->http);
        /* Connect first: its GET / (Kafka Connect's version info) wins
         * over the console's, which stays at /console. */
        if (err == SAMSA_OK && cfg->connect_enabled) {
            err = samsa_connect_create(b->reg, b->http, cfg, &b->connect,
                                       errbuf, errlen);
        }
        if (err == SAMSA_OK) {
            err = samsa_observe_routes(b, b->http);
        }
    } else if (err == SAMSA_OK && cfg->connect_enabled) {
        snprintf(errbuf, errlen,
                 "connect_enabled needs an HTTP listener (http_listeners) "
                 "for its REST API");
        err = SAMSA_ERR_CONFIG;
    }
    if (err != SAMSA_OK) {
        samsa_broker_destroy(b);
        return err;
    }
    pick_advertised(b);
    *out = b;
    return SAMSA_OK;
}

/* Registering and heartbeating, and the coordinators following the
 * leadership of their partitions. */
static samsa_err_t cluster_start(samsa_broker_t *b)
{
    samsa_err_t err = samsa_cluster_start(b);
    if (err == SAMSA_OK && b->meta) {
        /* After the member exists (b->member): the thread reads it. */
        samsa_coord_follow_t *cf = NULL;
        err = samsa_coord_follow_start(b, &cf);
        atomic_store(&b->coord_follow, cf);
    }
    return err;
}

/* How long a lone voter waits to be registered before it serves. */
#define LONE_VOTER_START_MS 5000

samsa_err_t samsa_broker_start(samsa_broker_t *b)
{
    /* HTTP first, so /health/ready answers (503) before Kafka clients can
     * connect and a harness that waits for the Kafka port finds it up. */
    if (b->http) {
        char errbuf[512];
        samsa_err_t err = samsa_http_start(b->http, errbuf, sizeof(errbuf));
        if (err != SAMSA_OK) {
            samsa_log(SAMSA_LOG_ERROR, "samsad: %s", errbuf);
            return err;
        }
        for (size_t i = 0; i < samsa_http_listener_count(b->http); i++) {
            samsa_log(SAMSA_LOG_INFO, "http listening on %s (port %u)",
                      b->cfg->http_listeners[i],
                      (unsigned)samsa_http_port(b->http, i));
        }
    }
    /* A lone voter needs nobody to register and commits locally in a
     * few ms: its clients' first requests find it registered, with its
     * log replayed and producer ids at hand, as a single node's would.
     * Others start serving first (the controller may be reached through
     * this node's own listener). */
    bool lone =
        b->meta && samsa_cluster_is_lone_voter(&b->cfg->cluster, b->node_id);
    samsa_err_t err = lone ? cluster_start(b) : SAMSA_OK;
    if (err == SAMSA_OK && lone &&
        !samsa_cluster_await_lone_voter(b, LONE_VOTER_START_MS)) {
        samsa_log(SAMSA_LOG_WARN,
                  "cluster: not registered with the metadata log after "
                  "%d ms; serving anyway",
                  LONE_VOTER_START_MS);
    }
    if (err == SAMSA_OK) {
        err = samsa_server_start(b->server);
    }
    if (err == SAMSA_OK && !lone) {
        err = cluster_start(b);
    }
    if (err == SAMSA_OK && b->connect) {
        /* The worker is a client like any other: it connects to the first
         * listener speaking its security protocol (connect_client_config;
         * PLAINTEXT without one), else to the inter-broker one. */
        samsa_security_protocol_t want =
            samsa_connect_security_protocol(b->connect);
        const char *host = b->advertised_host;
        int port = (int)b->advertised_port;
        for (size_t i = 0; i < b->endpoint_count; i++) {
            if (b->listener_protocol[i] == want) {
                host = b->endpoints[i].host;
                port = (int)b->endpoints[i].port;
                break;
            }
        }
        char bootstrap[300];
        snprintf(bootstrap, sizeof(bootstrap),
                 strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
        err = samsa_connect_start(b->connect, bootstrap, b->cluster_id);
    }
    if (err == SAMSA_OK && b->http && b->groups) {
        err = samsa_lag_history_start(b, b->cfg->lag_history_interval_ms,
                                      &b->lag_history);
    }
    atomic_store(&b->ready, err == SAMSA_OK);
    return err;
}

void samsa_broker_stop(samsa_broker_t *b)
{
    /* Connectors first, while this broker serves in full: their tasks
     * flush and commit through its own listener, and a task joining its
     * group must find the coordinator (once the broker is no longer ready
     * or leads nothing, FindCoordinator retries held the stop ~40 s). */
    samsa_connect_stop(b->connect);
    atomic_store(&b->ready, false);
    /* Kafka's order: leaderships move away while this broker still
     * serves, so clients are redirected (NOT_LEADER_OR_FOLLOWER) rather
     * than disconnected; bounded by a session, after which the controller
     * would have fenced a broker it stopped hearing anyway. */
    samsa_cluster_controlled_shutdown(
        b, b->cfg->cluster.broker_session_timeout_ms);
    /* No more loads or unloads of the coordinators' partitions. */
    samsa_coord_follow_stop(atomic_exchange(&b->coord_follow, NULL));
    /* Groups first: members parked in JoinGroup/SyncGroup get their answer
     * (COORDINATOR_NOT_AVAILABLE) while connections can still carry it. */
    if (b->groups) {
        samsa_group_coordinator_stop(b->groups);
    }
    if (b->txn) {
        samsa_txn_coordinator_stop(b->txn);
    }
    /* Queued admin requests finish while reactors can still answer. */
    samsa_admin_worker_stop(b->admin);
    samsa_produce_checks_stop(b);
    if (b->server) {
        samsa_meta_deafen(b->meta); /* before heartbeats stop arriving */
        samsa_server_stop(b->server, 0);
    }
}

/* The SSL and SASL_SSL listeners' context; *n: how many listeners took
 * the new one (0: no TLS listener). */
static samsa_err_t reload_listeners(samsa_broker_t *b, size_t *n, char *errbuf,
                                    size_t errlen)
{
    *n = 0;
    if (!b->tls || !b->server) {
        return SAMSA_OK;
    }
    SSL_CTX *fresh = NULL;
    samsa_err_t err =
        samsa_tls_context_create(&b->cfg->security, &fresh, errbuf, errlen);
    if (err != SAMSA_OK) {
        return err;
    }
    SSL_CTX *old = b->tls;
    *n = samsa_server_replace_tls(b->server, old, fresh);
    b->tls = fresh;
    samsa_tls_context_free(old); /* open connections hold their own ref */
    samsa_log(SAMSA_LOG_INFO,
              "samsad: TLS certificates reloaded from %s for %zu listener(s); "
              "open connections keep theirs",
              b->cfg->security.ssl_keystore_location, *n);
    return SAMSA_OK;
}

/* The transport instances that can reload (transport-tls: follower
 * fetches and the controllers' Raft traffic); *n: how many did. Every
 * one is tried; errbuf names the first that failed. */
static samsa_err_t reload_transports(samsa_broker_t *b, size_t *n, char *errbuf,
                                     size_t errlen)
{
    *n = 0;
    samsa_err_t first = SAMSA_OK;
    for (size_t i = 0; b->reg && i < samsa_registry_count(b->reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(b->reg, i);
        const samsa_transport_ops_t *ops = e->ops;
        if (!e->inited || e->kind != SAMSA_KIND_TRANSPORT || !ops->reload) {
            continue;
        }
        char why[512] = "";
        samsa_err_t err = ops->reload(e->state, why, sizeof(why));
        if (err == SAMSA_OK) {
            (*n)++;
        } else if (first == SAMSA_OK) {
            first = err;
            snprintf(errbuf, errlen, "transport instance '%s': %s", e->name,
                     why);
        }
    }
    return first;
}

/* The broker's own clients (registration, heartbeats, forwarding,
 * transaction markers): their next connections. */
static samsa_err_t reload_clients(samsa_broker_t *b, size_t *n, char *errbuf,
                                  size_t errlen)
{
    *n = 0;
    if (!b->client_tls) {
        return SAMSA_OK;
    }
    char why[400] = "";
    samsa_err_t err =
        samsa_client_tls_ctx_reload(b->client_tls, why, sizeof(why));
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "the inter-broker clients' TLS %s", why);
        return err;
    }
    *n = 1;
    samsa_log(SAMSA_LOG_INFO,
              "samsad: TLS certificates reloaded for the inter-broker "
              "clients' new connections");
    return SAMSA_OK;
}

samsa_err_t samsa_broker_reload_tls(samsa_broker_t *b, char *errbuf,
                                    size_t errlen)
{
    size_t listeners = 0;
    size_t transports = 0;
    size_t clients = 0;
    samsa_err_t err = reload_listeners(b, &listeners, errbuf, errlen);
    char why[600] = "";
    samsa_err_t terr = reload_transports(b, &transports, why, sizeof(why));
    if (terr != SAMSA_OK && err == SAMSA_OK) {
        snprintf(errbuf, errlen, "%s", why);
        err = terr;
    }
    samsa_err_t cerr = reload_clients(b, &clients, why, sizeof(why));
    if (cerr != SAMSA_OK && err == SAMSA_OK) {
        snprintf(errbuf, errlen, "%s", why);
        err = cerr;
    }
    if (err == SAMSA_OK && listeners == 0 && transports == 0 && clients == 0) {
        samsa_log(SAMSA_LOG_INFO,
                  "samsad: SIGHUP: no SSL or SASL_SSL listener and no TLS "
                  "transport, no certificates to reload");
    }
    return err;
}

void samsa_broker_destroy(samsa_broker_t *b)
{
    if (!b) {
        return;
    }
    atomic_store(&b->ready, false);
    /* HTTP first: its handlers read every other part. */
    samsa_connect_stop(b->connect);
    samsa_http_destroy(b->http);
    b->http = NULL;
    samsa_connect_destroy(b->connect); /* after HTTP: its routes use it */
    b->connect = NULL;
    /* After HTTP (whose /api/groups reads it), before the groups and logs
     * it samples. */
    samsa_lag_history_stop(b->lag_history);
    b->lag_history = NULL;
    samsa_coord_follow_stop(atomic_exchange(&b->coord_follow, NULL));
    if (b->groups) {
        samsa_group_coordinator_stop(b->groups);
    }
    samsa_admin_worker_stop(b->admin);
    samsa_produce_checks_stop(b);
    if (b->server) {
        samsa_server_stop(b->server, 0);
        samsa_server_destroy(b->server);
    }
    samsa_admin_worker_free(b->admin);
    samsa_produce_checks_free(b);
    samsa_txn_coordinator_destroy(b->txn);
    samsa_txn_marker_writer_free(b->txn_markers);
    samsa_txn_verify_free(b->txn_verify);
    samsa_group_coordinator_destroy(b->groups);
    samsa_cluster_close(b);
    samsa_logmgr_close(b->logs);
    samsa_dyncfg_close(b->dyncfg);
    pthread_mutex_destroy(&b->config_lock);
    samsa_registry_shutdown(b->reg);
    samsa_tls_context_free(b->tls);
    samsa_client_tls_ctx_free(b->client_tls); /* its clients are gone */
    samsa_security_destroy(b->security);
    samsa_credentials_publish(NULL);
    samsa_credentials_close(b->credentials);
    samsa_quotas_close(b->quotas);
    free(b->scram_bootstrap_users);
    free(b->listener_protocol);
    free(b->listener_mechanisms);
    free(b->endpoints);
    free(b);
}
