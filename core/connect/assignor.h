/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/assignor.h - Kafka Connect's group protocol ("connect",
 * eager protocol "default", ConnectProtocol v0): the member metadata a
 * worker sends with JoinGroup (its REST URL and the config topic offset
 * it has read), the assignment the leader hands each worker in
 * SyncGroup (connectors and task ids, -1 standing for the connector
 * itself), and the leader's assignor (Kafka's EagerAssignor).
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

/* One connector's share of a worker's assignment. */
typedef struct samsa_connect_share {
    char *connector;
    int32_t *tasks; /* task ids, SAMSA_CONNECT_CONNECTOR_TASK first if any */
    int32_t ntasks;
} samsa_connect_share_t;

/* A worker's assignment (ConnectProtocol Assignment v0). */
typedef struct samsa_connect_assignment {
    int16_t error; /* 0, or 1: the leader's config was behind (rejoin) */
    char *leader;  /* the leader's member id */
    char *leader_url;
    int64_t config_offset; /* the config topic offset the leader read */
    int32_t nshares;
    samsa_connect_share_t *shares;
} samsa_connect_assignment_t;

/* Worker state (JoinGroup metadata): version 0, URL, config offset.
 * *out malloc'd. */
samsa_err_t samsa_connect_state_encode(const char *url, int64_t config_offset,
                                       uint8_t **out, size_t *len);
/* *url malloc'd. SAMSA_ERR_PROTOCOL for a malformed one. */
samsa_err_t samsa_connect_state_decode(const uint8_t *p, size_t len, char **url,
                                       int64_t *config_offset);

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

#endif /* SAMSA_CONNECT_ASSIGNOR_H */
