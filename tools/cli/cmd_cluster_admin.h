/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_cluster_admin.h - the partition admin of `samsa cluster`
 * (cmd_cluster_admin.c): leaders, elections and reassignments. Each
 * prints its result and returns an exit code.
 */
#ifndef SAMSA_CLI_CMD_CLUSTER_ADMIN_H
#define SAMSA_CLI_CMD_CLUSTER_ADMIN_H

#include "cmd_client.h"

/* Every partition (of @p topic, NULL: all; @p under_only: those whose
 * ISR lacks replicas): leader, replicas, ISR, and whether it is offline,
 * led elsewhere than its preferred replica, under-replicated or being
 * reassigned. */
int samsa_cli_cluster_leaders(samsa_client_t *c, const char *topic,
                              bool under_only);

/* ElectLeaders: preferred, or @p unclean; all partitions (@p topic NULL),
 * a topic's (@p partition -1) or one. */
int samsa_cli_cluster_elect(samsa_client_t *c, bool unclean, const char *topic,
                            int32_t partition);

typedef struct samsa_cli_reassign {
    bool list;   /* list the reassignments in progress */
    bool cancel; /* cancel the one of topic/partition */
    const char *topic;
    int32_t partition;
    const int32_t *replicas; /* the target, first the preferred leader */
    int32_t nreplicas;
    int wait_ms; /* > 0: wait that long for it to complete */
} samsa_cli_reassign_t;

int samsa_cli_cluster_reassign(samsa_client_t *c,
                               const samsa_cli_reassign_t *a);

#endif /* SAMSA_CLI_CMD_CLUSTER_ADMIN_H */
