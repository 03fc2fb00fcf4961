/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/broker.h - the broker: what samsad wires together.
 *
 * Owns the registry (plugins), the log manager (topics), the network server
 * and the group coordinator, plus the identity the broker announces (node
 * id, cluster id, advertised address). Created and destroyed on the main
 * thread; request handlers read it from reactor threads (read-only after
 * start).
 */
#ifndef SAMSA_BROKER_H
#define SAMSA_BROKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/broker.h"
#include "http/http.h"
#include "log/dynamic_config_store.h"
#include "log/logmgr.h"
#include "net/server.h"
#include "registry/registry.h"

typedef struct samsa_group_coordinator samsa_group_coordinator_t;
typedef struct samsa_txn_coordinator samsa_txn_coordinator_t;
typedef struct samsa_meta samsa_meta_t;
typedef struct samsa_member samsa_member_t;
typedef struct samsa_security samsa_security_t;

typedef struct samsa_broker_endpoint {
    char name[64]; /* the listener's name (PLAINTEXT, CLIENTS, ...) */
    char host[256];
    int32_t port;
} samsa_broker_endpoint_t;

typedef struct samsa_broker {
    const samsa_broker_config_t *cfg;
    samsa_registry_t *reg;
    samsa_logmgr_t *logs;
    samsa_server_t *server;
    samsa_group_coordinator_t *groups;
    samsa_http_t *http; /* NULL when http_listeners is empty */
    /* The Connect worker (connect_enabled), a client of this broker. */
    struct samsa_connect *connect;
    /* With http: every group's lag over time (observe_history.h). */
    struct samsa_lag_history *lag_history;
    struct ssl_ctx_st *tls; /* SSL and SASL_SSL listeners' context, or NULL */
    /* This broker's own clients' context when the inter-broker listener
     * is SSL or SASL_SSL (interbroker.h), or NULL. */
    struct samsa_client_tls_ctx *client_tls;
    /* Security protocol (samsa_security_protocol_t) of each server
     * listener, indexed like samsa_conn_listener(). */
    uint8_t *listener_protocol;
    /* Per server listener: its SASL mechanisms (comma-separated, the
     * listener's override or sasl_enabled_mechanisms), NULL: all. */
    const char **listener_mechanisms;
    /* Address clients are given for each server listener (its advertised
     * listener, else its own address): Kafka answers Metadata with the
     * endpoint of the listener the request came in on. */
    samsa_broker_endpoint_t *endpoints;
    size_t endpoint_count;
    struct samsa_admin_worker *admin; /* CreateTopics/CreatePartitions */
    /* SASL mechanisms and each connection's authentication. */
    samsa_security_t *security;
    struct samsa_credentials *credentials; /* SCRAM credentials */
    struct samsa_quotas *quotas;           /* client quotas */
    /* Produce: compressed records decompressed and checked off the
     * reactors (core/broker/produce_check.c), one worker per reactor */
    struct samsa_admin_worker **produce_checks;
    size_t produce_check_count;
    _Atomic bool ready; /* serving: started and not yet stopping */
    int32_t node_id;
    char cluster_id[64];
    char advertised_host[256];
    int32_t advertised_port;
    int64_t max_request_bytes;
    samsa_txn_coordinator_t *txn; /* transactions (core/txn) */
    /* Dynamic broker configs (core/broker/broker_configs.h); config_lock
     * serializes their alterations. */
    samsa_dyncfg_t *dyncfg;
    pthread_mutex_t config_lock;
    /* Quorum mode only (core/broker/cluster.h); NULL standalone. */
    samsa_meta_t *meta;
    samsa_member_t *member;
    /* This process's registration (drawn at samsa_cluster_open, before
     * any image is applied; core/broker/member.c registers with it). */
    uint8_t incarnation[16];
    /* The applied image holds that registration: everything committed
     * before it was applied (Kafka's broker catching up with the metadata
     * log before it leads, follows or serves partitions). */
    _Atomic bool meta_caught_up;
    /* Monotonic ms until which the controller counts this broker alive
     * and unfenced: the send time of the last heartbeat it answered so,
     * plus the session timeout (core/broker/member.c). A broker stopped
     * longer (SIGSTOP, a stall) leads nothing until it heartbeats again,
     * whatever its image, which may still name it leader. */
    _Atomic int64_t heartbeat_lease_ms;
    struct samsa_applier *applier; /* local logs follow the image */
    /* Coordinators follow their partitions' leaders (coord_follow.h). */
    struct samsa_coord_follow *_Atomic coord_follow;
    /* Markers to other leaders' partitions (txn_marker_writer.h). */
    struct samsa_txn_marker_writer *txn_markers;
    /* KIP-890 verification with other brokers' coordinators
     * (txn_verify.h); NULL when standalone. */
    struct samsa_txn_verify *txn_verify;
    /* Replicated partitions (core/replica); NULL standalone. */
    struct samsa_replica_mgr *replica;
    /* This node's `samsa storage format --add-scram` users, NULL: none;
     * whether the log's were compared yet (scram_bootstrap.h). */
    char *scram_bootstrap_users;
    bool scram_bootstrap_checked;
} samsa_broker_t;

/* Load plugins, open the logs, bind the listeners (not yet accepting). */
samsa_err_t samsa_broker_create(const samsa_broker_config_t *cfg,
                                samsa_broker_t **out, char *errbuf,
                                size_t errlen);
/* Start the reactors and accept connections, then the HTTP listener
 * (binding it may fail: the reason is logged, the broker not started). */
samsa_err_t samsa_broker_start(samsa_broker_t *b);
/* Graceful stop: stop accepting, drain in-flight requests, close. */
void samsa_broker_stop(samsa_broker_t *b);
/* Close logs, fini plugins, free. */
void samsa_broker_destroy(samsa_broker_t *b);

/* SIGHUP: read the TLS certificate chain, key and truststore again (same
 * ssl_* paths) and accept new connections with them; connections already
 * open keep theirs. The transport plugins that can (transport-tls, whose
 * connections carry follower fetches and the controllers' Raft traffic)
 * reload theirs too, for the connections they make or accept next. On a
 * bad file the current ones stay and errbuf says why. Reads files: the
 * main thread, never a reactor. SAMSA_OK also when nothing uses TLS. */
samsa_err_t samsa_broker_reload_tls(samsa_broker_t *b, char *errbuf,
                                    size_t errlen);

/* The advertised endpoint of the listener @p conn came in on. */
const samsa_broker_endpoint_t *samsa_broker_endpoint(const samsa_broker_t *b,
                                                     const samsa_conn_t *conn);

/* The codec plugin for a Kafka codec id, or NULL. */
const samsa_codec_ops_t *samsa_broker_codec(samsa_broker_t *b, int codec_id,
                                            void **state);

/* Look a topic up, creating it with the broker defaults when auto-creation
 * is on and allowed. NULL with *err set when it does not exist (or
 * cannot be created). */
samsa_topic_t *samsa_broker_topic(samsa_broker_t *b, const char *name,
                                  bool allow_create, samsa_err_t *err);

/* The partition @p index of a topic looked up with samsa_broker_topic():
 * NULL with *err set to @p topic_err when the lookup failed, or to
 * UNKNOWN_TOPIC_OR_PARTITION when the index is out of range. */
samsa_partition_t *samsa_broker_partition(samsa_topic_t *topic,
                                          samsa_err_t topic_err, int32_t index,
                                          samsa_err_t *err);

#endif /* SAMSA_BROKER_H */
