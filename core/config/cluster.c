/* SPDX-License-Identifier: Apache-2.0 */
/* core/config/cluster.c - see cluster.h. */
#include "config/cluster.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/broker.h"
#include "config/options.h"

void samsa_voters_free(samsa_voter_t *voters, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(voters[i].host);
    }
    free(voters);
}

samsa_err_t samsa_voters_parse(const char *text, samsa_voter_t **out,
                               size_t *count, const char **bad)
{
    samsa_voter_t *v = NULL;
    size_t n = 0;
    const char *p = text;
    samsa_err_t rc = SAMSA_OK;

    *out = NULL;
    *count = 0;
    *bad = text;
    while (rc == SAMSA_OK && *p) {
        size_t len = strcspn(p, ",");
        char item[512];
        char *end;
        samsa_listener_t l = {0};
        *bad = p;
        if (len == 0 || len >= sizeof(item)) {
            rc = SAMSA_ERR_CONFIG;
            break;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        char *at = strchr(item, '@');
        long id = at ? strtol(item, &end, 10) : -1;
        if (!at || end != at || at == item || id < 0 || id > INT32_MAX ||
            samsa_listener_parse(at + 1, &l) != SAMSA_OK || l.name != NULL) {
            free(l.host);
            free(l.name);
            rc = SAMSA_ERR_CONFIG;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (v[i].id == (int32_t)id) {
                rc = SAMSA_ERR_CONFIG;
            }
        }
        samsa_voter_t *nv =
            rc == SAMSA_OK ? realloc(v, (n + 1) * sizeof(*v)) : NULL;
        if (nv == NULL) {
            free(l.host);
            rc = rc == SAMSA_OK ? SAMSA_ERR_NOMEM : rc;
            break;
        }
        v = nv;
        v[n++] = (samsa_voter_t){(int32_t)id, l.host, l.port};
        p += len;
        if (*p == ',') {
            p++;
            if (*p == '\0') {
                *bad = p - 1;
                rc = SAMSA_ERR_CONFIG;
            }
        }
    }
    if (rc != SAMSA_OK) {
        samsa_voters_free(v, n);
        return rc;
    }
    *out = v;
    *count = n;
    return SAMSA_OK;
}

#define fail samsa_broker_config_fail

static const char *str(const samsa_broker_config_t *cfg, const char *key)
{
    const char *s = NULL;
    samsa_config_string(cfg->values, key, &s);
    return s ? s : "";
}

/* Is @p name one of the comma-separated names in @p list (case-blind)? */
static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncasecmp(p, name, n) == 0) {
            return true;
        }
        p += len;
        p += *p == ',';
    }
    return false;
}

static int find_listener(const samsa_broker_config_t *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->listener_count; i++) {
        if (strcasecmp(cfg->listeners[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static samsa_err_t resolve_roles(samsa_broker_config_t *cfg, char *errbuf,
                                 size_t errbuf_size)
{
    samsa_cluster_config_t *cc = &cfg->cluster;
    const char *roles = str(cfg, "process_roles");
    for (const char *p = roles; *p;) {
        size_t len = strcspn(p, ",");
        if (len == 6 && strncmp(p, "broker", 6) == 0) {
            cc->broker_role = true;
        } else if (len == 10 && strncmp(p, "controller", 10) == 0) {
            cc->controller_role = true;
        } else {
            return fail(cfg, "process_roles", errbuf, errbuf_size,
                        "expected broker, controller or broker,controller");
        }
        p += len;
        p += *p == ',';
    }
    if (!cc->broker_role && !cc->controller_role) {
        return fail(cfg, "process_roles", errbuf, errbuf_size,
                    "expected broker, controller or broker,controller");
    }
    return SAMSA_OK;
}

static samsa_err_t resolve_voters(samsa_broker_config_t *cfg, char *errbuf,
                                  size_t errbuf_size)
{
    samsa_cluster_config_t *cc = &cfg->cluster;
    const char *bad;
    char what[700];
    samsa_err_t rc = samsa_voters_parse(str(cfg, "controller_quorum_voters"),
                                        &cc->voters, &cc->voter_count, &bad);
    if (rc == SAMSA_ERR_CONFIG) {
        snprintf(what, sizeof(what),
                 "'%.*s' is not ID@HOST:PORT with distinct ids "
                 "(e.g. 1@127.0.0.1:9093,2@127.0.0.1:9094)",
                 (int)strcspn(bad, ","), bad);
        return fail(cfg, "controller_quorum_voters", errbuf, errbuf_size, what);
    }
    return rc;
}

/* The controller listener, named in controller_listener_names: where the
 * node's Raft transport listens. A voter's is its address in
 * controller_quorum_voters; a broker-only node's is where it receives
 * the metadata log as a non-voting member (libraft's standby role). */
static samsa_err_t resolve_controller(samsa_broker_config_t *cfg, char *errbuf,
                                      size_t errbuf_size)
{
    samsa_cluster_config_t *cc = &cfg->cluster;
    const char *names = str(cfg, "controller_listener_names");
    const samsa_voter_t *self = NULL;
    char what[600];

    cc->controller_listener = -1;
    for (size_t i = 0; i < cc->voter_count; i++) {
        if (cc->voters[i].id == cfg->node_id) {
            self = &cc->voters[i];
        }
    }
    if (cc->controller_role != (self != NULL)) {
        snprintf(what, sizeof(what),
                 self ? "node_id %d is a voter, so process_roles must "
                        "include controller"
                      : "process_roles has controller, so node_id %d must "
                        "be one of controller_quorum_voters",
                 cfg->node_id);
        return fail(cfg, self ? "process_roles" : "controller_quorum_voters",
                    errbuf, errbuf_size, what);
    }
    for (size_t i = 0; i < cfg->listener_count; i++) {
        if (!in_list(names, cfg->listeners[i].name)) {
            continue;
        }
        cc->controller_listener = (int)i;
    }
    if (cc->controller_listener < 0) {
        return fail(cfg, "listeners", errbuf, errbuf_size,
                    self ? "a controller needs a listener named in "
                           "controller_listener_names (e.g. "
                           "CONTROLLER://127.0.0.1:9093)"
                         : "a broker-only node needs a listener named in "
                           "controller_listener_names, where it receives "
                           "the metadata log (e.g. "
                           "CONTROLLER://127.0.0.1:9093)");
    }
    const samsa_listener_t *l = &cfg->listeners[cc->controller_listener];
    if (!self) {
        if (!l->host[0] || strcmp(l->host, "0.0.0.0") == 0 ||
            strcmp(l->host, "::") == 0 || l->port == 0) {
            snprintf(what, sizeof(what),
                     "the controller listener %s of a broker-only node "
                     "needs the host and port the controllers reach it at "
                     "(not a wildcard, not port 0)",
                     l->name);
            return fail(cfg, "listeners", errbuf, errbuf_size, what);
        }
        return SAMSA_OK;
    }
    if (l->port != self->port) {
        snprintf(what, sizeof(what),
                 "controller listener %s port %u differs from node %d's "
                 "port %u in controller_quorum_voters",
                 l->name, l->port, self->id, self->port);
        return fail(cfg, "listeners", errbuf, errbuf_size, what);
    }
    return SAMSA_OK;
}

static samsa_err_t resolve_advertised(samsa_broker_config_t *cfg, char *errbuf,
                                      size_t errbuf_size)
{
    samsa_cluster_config_t *cc = &cfg->cluster;
    const char *text = str(cfg, "advertised_listeners");
    char what[700];

    cc->advertised_host = calloc(cfg->listener_count, sizeof(char *));
    cc->advertised_port = calloc(cfg->listener_count, sizeof(uint16_t));
    if (!cc->advertised_host || !cc->advertised_port) {
        return SAMSA_ERR_NOMEM;
    }
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, ",");
        char item[512];
        samsa_listener_t l = {0};
        int idx = -1;
        if (len > 0 && len < sizeof(item)) {
            memcpy(item, p, len);
            item[len] = '\0';
            if (samsa_listener_parse(item, &l) == SAMSA_OK) {
                idx = find_listener(cfg, l.name ? l.name : "PLAINTEXT");
            }
        }
        if (idx < 0 || idx == cc->controller_listener ||
            cc->advertised_host[idx] != NULL) {
            free(l.host);
            free(l.name);
            snprintf(what, sizeof(what),
                     "'%.*s' is not NAME://HOST:PORT naming a broker "
                     "listener once",
                     (int)len, p);
            return fail(cfg, "advertised_listeners", errbuf, errbuf_size, what);
        }
        free(l.name);
        cc->advertised_host[idx] = l.host;
        cc->advertised_port[idx] = l.port;
        p += len;
        p += *p == ',';
    }
    return SAMSA_OK;
}

/* The lone voter: this node, on loopback, port 0 (solo in cluster.h). */
static samsa_err_t solo_voter(samsa_broker_config_t *cfg)
{
    samsa_cluster_config_t *cc = &cfg->cluster;
    cc->voters = calloc(1, sizeof(*cc->voters));
    char *host = strdup("127.0.0.1");
    if (!cc->voters || !host) {
        free(host);
        return SAMSA_ERR_NOMEM;
    }
    cc->voters[0] = (samsa_voter_t){cfg->node_id, host, 0};
    cc->voter_count = 1;
    cc->solo = true;
    return SAMSA_OK;
}

/* A data dir a standalone node of an earlier release wrote (no metadata
 * log yet) holding a store the metadata log does not take over yet
 * (core/broker/cluster_migrate.c): its path, to be freed; else NULL. */
static char *standalone_store(const samsa_broker_config_t *cfg)
{
    static const char *const stores[] = {"scram_credentials", "client_quotas",
                                         "acls", "broker_configs"};
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/__samsa_meta/raft", cfg->data_dir);
    if (stat(path, &st) == 0) {
        return NULL; /* a one-voter node already */
    }
    for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
        snprintf(path, sizeof(path), "%s/__samsa_meta/%s", cfg->data_dir,
                 stores[i]);
        if (stat(path, &st) == 0 && st.st_size > 0) {
            return strdup(path);
        }
    }
    return NULL;
}

samsa_err_t samsa_cluster_config_resolve(samsa_broker_config_t *cfg,
                                         char *errbuf, size_t errbuf_size)
{
    samsa_cluster_config_t *cc = &cfg->cluster;
    samsa_err_t rc;
    char what[600];

    samsa_config_int(cfg->values, "broker_heartbeat_interval_ms",
                     &cc->broker_heartbeat_interval_ms);
    samsa_config_int(cfg->values, "broker_session_timeout_ms",
                     &cc->broker_session_timeout_ms);
    samsa_config_bool(cfg->values, "broker_session_probe_enable",
                      &cc->broker_session_probe);
    samsa_config_bool(cfg->values, "unclean_leader_election_enable",
                      &cc->unclean_leader_election);
    samsa_config_bool(cfg->values, "auto_leader_rebalance_enable",
                      &cc->auto_leader_rebalance);
    samsa_config_int(cfg->values, "leader_imbalance_check_interval_seconds",
                     &cc->leader_imbalance_check_interval_seconds);
    samsa_config_int(cfg->values, "leader_imbalance_per_broker_percentage",
                     &cc->leader_imbalance_per_broker_percentage);
    const char *rack = str(cfg, "broker_rack");
    if (rack[0] && !(cc->rack = strdup(rack))) {
        return SAMSA_ERR_NOMEM;
    }
    rc = resolve_roles(cfg, errbuf, errbuf_size);
    if (rc == SAMSA_OK) {
        rc = resolve_voters(cfg, errbuf, errbuf_size);
    }
    if (rc != SAMSA_OK) {
        return rc;
    }
    if (cc->voter_count == 0) {
        /* Standalone or solo: every listener serves clients. */
        cc->controller_listener = -1;
        if (!cc->broker_role || !cc->controller_role) {
            return fail(cfg, "process_roles", errbuf, errbuf_size,
                        "a node without controller_quorum_voters is "
                        "its only voter and must be broker,controller");
        }
        /* A node without voters is its own only voter: the same code as
         * a cluster's. Only a standalone data dir of an earlier release
         * whose stores cannot be moved into the metadata log yet keeps
         * running standalone (unless process_roles asks for the quorum,
         * which then refuses to start, naming the store). */
        cc->standalone_store = samsa_config_is_set(cfg->values, "process_roles")
                                   ? NULL
                                   : standalone_store(cfg);
        if (!cc->standalone_store) {
            rc = solo_voter(cfg);
        }
        if (rc != SAMSA_OK) {
            return rc;
        }
    } else if (!str(cfg, "cluster_id")[0]) {
        return fail(cfg, "controller_quorum_voters", errbuf, errbuf_size,
                    "a node of a quorum needs cluster_id, the same on every "
                    "node (e.g. the output of `uuidgen`)");
    } else {
        rc = resolve_controller(cfg, errbuf, errbuf_size);
        if (rc != SAMSA_OK) {
            return rc;
        }
    }
    const char *ib = str(cfg, "inter_broker_listener_name");
    cc->inter_broker_listener = find_listener(cfg, ib);
    if (cc->inter_broker_listener < 0 ||
        cc->inter_broker_listener == cc->controller_listener) {
        snprintf(what, sizeof(what),
                 "'%s' names no broker listener (listeners without a "
                 "NAME:// prefix are PLAINTEXT)",
                 ib);
        return fail(cfg, "inter_broker_listener_name", errbuf, errbuf_size,
                    what);
    }
    if (cc->broker_heartbeat_interval_ms >= cc->broker_session_timeout_ms) {
        return fail(cfg, "broker_heartbeat_interval_ms", errbuf, errbuf_size,
                    "must be shorter than broker_session_timeout_ms");
    }
    return resolve_advertised(cfg, errbuf, errbuf_size);
}

void samsa_cluster_config_free(samsa_cluster_config_t *cc, size_t listeners)
{
    samsa_voters_free(cc->voters, cc->voter_count);
    for (size_t i = 0; cc->advertised_host && i < listeners; i++) {
        free(cc->advertised_host[i]);
    }
    free(cc->advertised_host);
    free(cc->advertised_port);
    free(cc->rack);
    free(cc->standalone_store);
    memset(cc, 0, sizeof(*cc));
}
