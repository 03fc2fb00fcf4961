/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/quorum.h - the metadata quorum: libraft (Debian's
 * libraft-dev, the C Raft of dqlite/LXD) on its own thread with its own
 * libuv loop; its log and snapshots under <data_dir>/__samsa_meta/raft.
 *
 * Committed records (image.h) are applied on that thread to a clone of
 * the current image, which is then published with a pointer swap;
 * readers take a reference and never wait on Raft. The Raft leader is the
 * controller: it accepts proposals, tracks broker heartbeats in memory and
 * fences (a record) a broker whose heartbeats stop for
 * broker_session_timeout_ms, and makes the elections brokers coming and
 * going do not (unclean, preferred rebalance).
 *
 * Threads: every function here is safe from any thread. Callbacks
 * (samsa_meta_done_fn, samsa_meta_image_fn) run on the quorum thread and
 * must only hand work off or do short local work; they must not call
 * samsa_meta_close().
 */
#ifndef SAMSA_METADATA_QUORUM_H
#define SAMSA_METADATA_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/transport.h>

#include "config/cluster.h"
#include "metadata/image.h"

typedef struct samsa_meta samsa_meta_t;

/* A proposal's outcome: SAMSA_OK or the record's Kafka error once it is
 * committed and applied (the new image is published by then), or
 * NOT_CONTROLLER when this node is not (or stopped being) the leader. */
typedef void (*samsa_meta_done_fn)(void *arg, samsa_err_t err);
/* Called with each new image just before it is published (@p prev is the
 * current one, maybe empty); it may take a reference to @p next. */
typedef void (*samsa_meta_image_fn)(void *arg, const samsa_meta_image_t *prev,
                                    const samsa_meta_image_t *next);

typedef struct samsa_meta_options {
    int32_t node_id;
    const samsa_voter_t *voters; /* copied */
    size_t voter_count;
    /* The controller listener: where the Raft transport listens. A voter
     * is reached at its controller_quorum_voters address; a node not
     * among the voters (broker only) at bind_host:listen_port, and joins
     * as a non-voting member that receives the log (libraft's standby
     * role): it introduces itself to the voters, and the leader adds it. */
    const char *bind_host; /* NULL: the voter's host */
    uint16_t listen_port;
    const char *dir; /* Raft log and snapshots (created) */
    int64_t session_timeout_ms;
    /* broker_heartbeat_interval_ms: how long a live broker may take to
     * heartbeat a new controller (samsa_meta_session_start). */
    int64_t heartbeat_interval_ms;
    /* broker_session_probe_enable: probe the listener of a broker whose
     * heartbeat is overdue and fence it at once when the connect is
     * refused (broker_probe.h says why that is safe). */
    bool session_probe;
    /* The controller's own elections (partition_change.h): unclean ones
     * for leaderless partitions (topic config overrides), and preferred
     * ones when leadership is out of balance (0 ms: never). */
    bool unclean_leader_election;
    int64_t rebalance_interval_ms;
    int32_t imbalance_pct;
    samsa_meta_image_fn on_image;
    void *on_image_arg;
    /* Raft connections through this transport plugin (raft_transport.h;
     * e.g. transport-tls for an SSL controller listener); NULL: libraft's
     * own clear-text TCP. Borrowed until samsa_meta_close. */
    const samsa_transport_ops_t *transport_ops;
    void *transport_state;
    /* Records the first controller writes into a log that holds none yet
     * (Kafka's bootstrap.checkpoint from `kafka-storage format`; here the
     * SCRAM credentials of `samsa storage format --add-scram`), so that
     * brokers logging in with them can register. Copied. Never written
     * into a log that already has a record. */
    const samsa_meta_rec_t *bootstrap;
    size_t bootstrap_count;
    /* libraft's heartbeat_timeout, also its tick (0: its default, 100
     * ms; else the election timeout is 10 times it). Followers learn a
     * commit at once (the leader pushes it), not at the next heartbeat; a
     * test raises this to see that. */
    unsigned raft_heartbeat_ms;
} samsa_meta_options_t;

#define SAMSA_META_MAX_VOTERS 16

/* What DescribeQuorum reports, as this node knows it. */
typedef struct samsa_meta_quorum {
    int32_t leader_id;      /* -1: no leader known */
    int64_t leader_epoch;   /* Raft term */
    int64_t high_watermark; /* Raft commit index */
    size_t voter_count;     /* voters, then observers (standbys) */
    struct {
        int32_t id;
        bool observer;          /* a non-voting member (broker only) */
        int64_t log_end_offset; /* -1 unknown (only the leader knows) */
        int64_t last_fetch_ms;  /* wall clock, -1 unknown */
        int64_t last_caught_up_ms;
    } voters[SAMSA_META_MAX_VOTERS];
} samsa_meta_quorum_t;

/* Start the quorum thread and Raft; returns once Raft started (not once a
 * leader is elected). */
samsa_err_t samsa_meta_open(const samsa_meta_options_t *opts,
                            samsa_meta_t **out, char *errbuf, size_t errlen);
/* Stop Raft and the thread; pending proposals complete with
 * NOT_CONTROLLER. */
void samsa_meta_close(samsa_meta_t *m);

/* The current image, referenced (release with samsa_meta_image_put). */
samsa_meta_image_t *samsa_meta_image_get(samsa_meta_t *m);
void samsa_meta_quorum_get(samsa_meta_t *m, samsa_meta_quorum_t *out);
/* The controller (Raft leader) node id, or -1. */
int32_t samsa_meta_controller(samsa_meta_t *m);
int32_t samsa_meta_node_id(const samsa_meta_t *m);

/* Propose a record (taken: freed by the quorum). @p done (may be NULL)
 * runs on the quorum thread. */
void samsa_meta_propose(samsa_meta_t *m, samsa_meta_rec_t rec,
                        samsa_meta_done_fn done, void *arg);

/* Controller side of BrokerHeartbeat: note that broker @p id with @p epoch
 * is alive (proposing an unfence when it was fenced). @p want_shutdown
 * (controlled shutdown, Kafka's WantShutDown): fence it instead, so it
 * leaves every ISR and its leaderships move, and never unfence this epoch
 * again. *fenced gets its fenced state in the current image.
 * NOT_CONTROLLER, BROKER_ID_NOT_REGISTERED, STALE_BROKER_EPOCH. */
samsa_err_t samsa_meta_heartbeat(samsa_meta_t *m, int32_t id, int64_t epoch,
                                 bool want_shutdown, bool *fenced);

/* A controller-only node (no broker registration): the listener where it
 * serves brokers (BrokerRegistration, BrokerHeartbeat, forwarded admin
 * requests), written to the log whenever it leads and the image lacks it
 * (a CONTROLLER record). Nodes that register as brokers do not call it. */
samsa_err_t samsa_meta_set_endpoint(samsa_meta_t *m, const char *host,
                                    int32_t port);

/* Whether this node votes in the quorum (it is in controller_quorum_voters);
 * a broker-only node follows the log as a standby. */
bool samsa_meta_is_voter(const samsa_meta_t *m);

/* This node's broker is shutting down and no longer takes requests, so
 * no heartbeat reaches it: as the controller it stops fencing brokers for
 * missed heartbeats (and probing them) from now on. Without this, a
 * controller whose shutdown took longer than the session fenced every
 * live broker and led their partitions alone. NULL is fine. */
void samsa_meta_deafen(samsa_meta_t *m);

/* Shutting down: if this node leads the quorum, hand the leadership to
 * another voter now (libraft's raft_transfer), so the controller moves
 * while this node still answers. Returns at once; samsa_meta_controller
 * shows when it moved. Nothing happens without another voter. NULL is
 * fine. */
void samsa_meta_hand_off(samsa_meta_t *m);

/* Where a new controller starts the session clock of the broker on the
 * node that led before it (all times monotonic ms). Kafka restarts every
 * clock at the election, so a controller killed with its broker is fenced
 * a whole session after the election. This node heard that broker's
 * process last at @p heard_ms (the old leader's last AppendEntries), so
 * the clock starts there; but a live old leader that merely lost the
 * election gets @p grace_ms from @p now to heartbeat the new controller.
 * Never later than @p now. */
int64_t samsa_meta_session_start(int64_t now, int64_t heard_ms,
                                 int64_t session_ms, int64_t grace_ms);

#endif /* SAMSA_METADATA_QUORUM_H */
