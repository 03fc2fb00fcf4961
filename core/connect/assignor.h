/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/assignor.h - Kafka Connect's group protocol ("connect"):
 * the member metadata a worker sends with JoinGroup (its REST URL, the
 * config topic offset it has read and, from v1, what it runs), the
 * assignment the leader hands each worker in SyncGroup (connectors and
 * task ids, -1 standing for the connector itself; from v1 only what is
 * new, what to stop and a delay), and the leader's assignors: Kafka's
 * EagerAssignor (protocol "default", ConnectProtocol v0) here and its
 * IncrementalCooperativeAssignor (KIP-415: "compatible" v1, "sessioned"
 * v2, the same layout) in assignor_coop.c.
 *
 * Pure functions, no locking, no I/O: unit-tested on their own
 * (tests/unit/connect/test_assignor.c); core/connect/cluster.c drives
 * them.
 */
#ifndef SAMSA_CONNECT_ASSIGNOR_H
#define SAMSA_CONNECT_ASSIGNOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* The task id that stands for the connector instance itself. */
#define SAMSA_CONNECT_CONNECTOR_TASK (-1)

/* ConnectProtocol versions (Kafka's ConnectProtocolCompatibility). */
#define SAMSA_CONNECT_PROTOCOL_EAGER      0 /* "default" */
#define SAMSA_CONNECT_PROTOCOL_COMPATIBLE 1 /* "compatible" */
#define SAMSA_CONNECT_PROTOCOL_SESSIONED  2 /* "sessioned" */

/* One connector's share of a worker's assignment. */
typedef struct samsa_connect_share {
    char *connector;
    int32_t *tasks; /* task ids, SAMSA_CONNECT_CONNECTOR_TASK first if any */
    int32_t ntasks;
} samsa_connect_share_t;

/* A worker's assignment (ConnectProtocol Assignment v0, or Kafka's
 * ExtendedAssignment from v1). */
typedef struct samsa_connect_assignment {
    int16_t version; /* SAMSA_CONNECT_PROTOCOL_*: the layout on the wire */
    int16_t error;   /* 0, or 1: the leader's config was behind (rejoin) */
    char *leader;    /* the leader's member id */
    char *leader_url;
    int64_t config_offset; /* the config topic offset the leader read */
    int32_t nshares;       /* v0: all it runs; v1+: what is new to it */
    samsa_connect_share_t *shares;
    int32_t nrevoked; /* v1+: what it must stop running */
    samsa_connect_share_t *revoked;
    int32_t delay; /* v1+: rejoin after this many ms (0: no need) */
} samsa_connect_assignment_t;

/* Worker state (JoinGroup metadata): @p version, URL, config offset and
 * from v1 the worker's current assignment (@p current, encoded as a v1+
 * assignment; NULL or empty: a null allocation). *out malloc'd. */
samsa_err_t samsa_connect_state_encode(
    int16_t version, const char *url, int64_t config_offset,
    const samsa_connect_assignment_t *current, uint8_t **out, size_t *len);
/* *url malloc'd; @p current (may be NULL) gets the v1+ allocation (empty
 * for v0 or a null one; free it). SAMSA_ERR_PROTOCOL for a malformed
 * one. */
samsa_err_t samsa_connect_state_decode(const uint8_t *p, size_t len, char **url,
                                       int64_t *config_offset,
                                       samsa_connect_assignment_t *current);

samsa_err_t samsa_connect_assignment_encode(const samsa_connect_assignment_t *a,
                                            uint8_t **out, size_t *len);
/* Fills @p a (free with samsa_connect_assignment_free); an empty buffer
 * is an empty assignment. SAMSA_ERR_PROTOCOL for a malformed one. */
samsa_err_t samsa_connect_assignment_decode(const uint8_t *p, size_t len,
                                            samsa_connect_assignment_t *a);
void samsa_connect_assignment_free(samsa_connect_assignment_t *a);

/* Does @p a hold task @p task (or the connector, with -1) of @p name? */
int samsa_connect_assignment_has(const samsa_connect_assignment_t *a,
                                 const char *name, int32_t task);
/* Add task @p task of @p name to the shares (*shares, *n): to that
 * connector's share, or a new one. */
samsa_err_t samsa_connect_share_add(samsa_connect_share_t **shares, int32_t *n,
                                    const char *name, int32_t task);
/* @p n empty assignments (what each assignor fills). */
void samsa_connect_assignments_clear(samsa_connect_assignment_t *out, int n);
/* Indexes 0..n-1 sorted by names[i] (malloc'd; NULL out of memory):
 * both assignors walk members and connectors in name order. */
int *samsa_connect_sorted_order(int n, const char *const *names);
/* What a worker runs after an incremental assignment: @p current minus
 * @p delta's revoked plus its shares, into @p out (shares only; free
 * with samsa_connect_assignment_free). */
samsa_err_t
samsa_connect_assignment_merge(const samsa_connect_assignment_t *current,
                               const samsa_connect_assignment_t *delta,
                               samsa_connect_assignment_t *out);

/*
 * Kafka's EagerAssignor: members in id order, connectors in name order;
 * one circular walk over the members hands out each connector and then
 * each of its ntasks[c] tasks, so connectors and tasks spread evenly.
 * out[m] (for member_ids[m]) gets its shares; error, leader and
 * config_offset are left for the caller. Free each out[m] with
 * samsa_connect_assignment_free.
 */
samsa_err_t samsa_connect_assign_eager(int nmembers,
                                       const char *const *member_ids,
                                       int nconnectors,
                                       const char *const *connectors,
                                       const int32_t *ntasks,
                                       samsa_connect_assignment_t *out);

/*
 * The leader's memory between generations for the cooperative assignor:
 * what it assigned last (every worker's full assignment, plus the lost
 * tasks it holds back) and when the held ones are due.
 */
typedef struct samsa_connect_coop_memory {
    int32_t n;
    samsa_connect_assignment_t *previous; /* shares only */
    int64_t deadline_ms;                  /* scheduled rebalance (0: none) */
    int revoked; /* the last round revoked to balance */
} samsa_connect_coop_memory_t;

void samsa_connect_coop_memory_clear(samsa_connect_coop_memory_t *mem);

/*
 * Kafka's IncrementalCooperativeAssignor (KIP-415). @p running[m] is
 * what member_ids[m] reports it runs (its JoinGroup allocation). What
 * stays where it runs is not touched. Tasks no longer configured, or
 * run twice, are revoked. Tasks assigned last time that no member runs
 * (their worker left) are held back until @p max_delay_ms after they
 * were first missed (Kafka's scheduled.rebalance.max.delay.ms), with
 * that delay sent to every member so they rejoin then; a worker that
 * comes back in time keeps them. When a member has fewer than its fair
 * share (connectors and tasks balanced separately), the most loaded
 * give up their excess: revoked now, handed out at the next round
 * (never two revoking rounds in a row). Everything else unassigned goes
 * to the least loaded members. out[m] gets the new shares, revoked and
 * delay (error, leader, version and config_offset left for the caller);
 * @p mem is read and updated. @p now_ms any monotonic clock.
 */
samsa_err_t samsa_connect_assign_cooperative(
    int nmembers, const char *const *member_ids,
    const samsa_connect_assignment_t *running, int nconnectors,
    const char *const *connectors, const int32_t *ntasks, int64_t now_ms,
    int32_t max_delay_ms, samsa_connect_coop_memory_t *mem,
    samsa_connect_assignment_t *out);

#endif /* SAMSA_CONNECT_ASSIGNOR_H */
