/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/config/cluster.h - a node's identity in a cluster, from Kafka's
 * KRaft keys (dots as underscores): node_id, process_roles,
 * controller_quorum_voters, controller_listener_names, listeners in the
 * NAME://host:port form, advertised_listeners, inter_broker_listener_name,
 * broker_rack, broker_heartbeat_interval_ms, broker_session_timeout_ms.
 *
 * Modes:
 *   - a lone voter (controller_quorum_voters empty, the default): the
 *     same code as a cluster's, with this node as the only voter
 *     (node_id); nobody can join, so it needs no controller listener and
 *     its Raft transport binds nothing but an ephemeral loopback port
 *     (solo below). Its first start moves a standalone data dir of an
 *     earlier release into the metadata log (core/broker/
 *     cluster_migrate.c);
 *   - standalone (no metadata quorum; topics live in the log manager's
 *     files): only for a standalone data dir of an earlier release that
 *     holds a store the metadata log does not take over yet (SCRAM
 *     credentials, quotas, ACLs, dynamic broker configs), with
 *     process_roles not set; logged at start (standalone_store);
 *   - quorum (controller_quorum_voters set): the metadata quorum runs on
 *     libraft (core/metadata) with the voters listed; the node's
 *     controller listener is where its Raft transport listens.
 *
 * Resolved once at start by samsa_cluster_config_resolve(), which also
 * checks the keys against each other (every error names the key and the
 * file:line it was set at). Owned by samsa_broker_config_t.
 */
#ifndef SAMSA_CONFIG_CLUSTER_H
#define SAMSA_CONFIG_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

struct samsa_broker_config;

/** One metadata quorum voter: "ID@HOST:PORT". */
typedef struct samsa_voter {
    int32_t id;
    char *host;
    uint16_t port;
} samsa_voter_t;

typedef struct samsa_cluster_config {
    bool broker_role;      /**< process_roles has "broker" */
    bool controller_role;  /**< process_roles has "controller" */
    samsa_voter_t *voters; /**< controller_quorum_voters; none: standalone */
    size_t voter_count;
    /** A lone voter without controller_quorum_voters: voters is this node
     *  alone at 127.0.0.1 port 0 (ephemeral, never reached). */
    bool solo;
    /** Standalone because of this store (path) of an earlier release's
     *  data dir, which the metadata log does not take over yet; else
     *  NULL. */
    char *standalone_store;
    /** Index into cfg->listeners of this node's controller listener (Raft
     *  transport), or -1 (standalone or broker only). */
    int controller_listener;
    /** Index into cfg->listeners of inter_broker_listener_name. */
    int inter_broker_listener;
    /** advertised_listeners, one per broker listener, same order as
     *  cfg->listeners (NULL host: advertise the listener's own address). */
    char **advertised_host;
    uint16_t *advertised_port;
    char *rack;                           /**< broker_rack, or NULL */
    int64_t broker_heartbeat_interval_ms; /**< broker.heartbeat.interval.ms */
    int64_t broker_session_timeout_ms;    /**< broker.session.timeout.ms */
    bool broker_session_probe;            /**< Samsa's probe of a silent
                                               broker (broker_probe.h) */
    bool unclean_leader_election;         /**< unclean.leader.election.enable */
    bool auto_leader_rebalance;           /**< auto.leader.rebalance.enable */
    int64_t leader_imbalance_check_interval_seconds;
    int64_t leader_imbalance_per_broker_percentage;
} samsa_cluster_config_t;

/** True when this node runs the metadata quorum. */
static inline bool samsa_cluster_is_quorum(const samsa_cluster_config_t *cc)
{
    return cc->voter_count > 0;
}

/** True when this node is the quorum's only voter: it commits alone
 *  (solo, or controller_quorum_voters naming only itself). */
static inline bool samsa_cluster_is_lone_voter(const samsa_cluster_config_t *cc,
                                               int32_t node_id)
{
    return cc->voter_count == 1 && cc->voters[0].id == node_id;
}

/**
 * Read the cluster keys of @p cfg->values (listeners already parsed) into
 * @p cfg->cluster and check them against each other.
 * @return SAMSA_OK, SAMSA_ERR_CONFIG (errbuf says which key, where, what
 *         was expected) or SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_cluster_config_resolve(struct samsa_broker_config *cfg,
                                         char *errbuf, size_t errbuf_size);

/** Release what resolve allocated. */
void samsa_cluster_config_free(samsa_cluster_config_t *cc, size_t listeners);

/** Parse "ID@HOST:PORT[,ID@HOST:PORT...]" (Kafka's
 *  controller.quorum.voters). On error *bad points at the entry. */
samsa_err_t samsa_voters_parse(const char *text, samsa_voter_t **out,
                               size_t *count, const char **bad);
void samsa_voters_free(samsa_voter_t *voters, size_t count);

#endif /* SAMSA_CONFIG_CLUSTER_H */
