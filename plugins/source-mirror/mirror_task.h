/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_task.h - one mirror task's state, shared by
 * mirror_source.c (topics, fetching, records) and mirror_checkpoint.c
 * (group offsets). Owned by the task thread.
 */
#ifndef SAMSA_MIRROR_TASK_H
#define SAMSA_MIRROR_TASK_H

#include <samsa/connect.h>

#include "mirror_policy.h"
#include "mirror_sync.h"

/* One mirrored partition. */
typedef struct mirror_part {
    char *topic;  /* on the source cluster */
    char *remote; /* on the target cluster */
    int32_t partition;
    int64_t next; /* next source offset to fetch */
    char *spart;  /* source partition, JSON */
    samsa_mirror_syncs_t syncs;
} mirror_part_t;

struct samsa_connect_task {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    samsa_kafka_t *src, *tgt;
    samsa_mirror_policy_t policy;
    samsa_mirror_filter_t topics, groups;
    bool sync_groups;
    int64_t refresh_ms, sync_ms, next_refresh, next_sync;
    size_t max_records;
    int32_t task_id, task_count;
    mirror_part_t **parts;
    size_t nparts;
    /* Offsets stored by the worker: source partition JSON -> offset. */
    char **resume_part;
    int64_t *resume_off;
    size_t nresume;
    /* The last poll's records (freed in poll_release). */
    samsa_connect_record_t **recs;
    size_t nrecs;
};

/* Translate the committed offsets of every mirrored group into the
 * target cluster's (mirror_checkpoint.c). Failures are logged, not
 * returned: the next round retries. */
void samsa_mirror_checkpoint(samsa_connect_task_t *t);

#endif /* SAMSA_MIRROR_TASK_H */
