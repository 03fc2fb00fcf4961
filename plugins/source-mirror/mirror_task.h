/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_task.h - one mirror task's state, shared by
 * the files of the plugin: mirror_source.c (settings, polling, records),
 * mirror_topics.c (which partitions, remote topics, their configs),
 * mirror_offset_syncs.c (the offset-syncs topic), mirror_checkpoint.c
 * (group offsets) and mirror_acls.c (topic ACLs). Owned by the task
 * thread.
 *
 * One plugin plays MM2's three connectors, by connector.class:
 * MirrorSourceConnector copies (and translates groups itself),
 * MirrorCheckpointConnector emits checkpoints from the offset-syncs
 * topic, MirrorHeartbeatConnector emits heartbeats.
 */
#ifndef SAMSA_MIRROR_TASK_H
#define SAMSA_MIRROR_TASK_H

#include <samsa/connect.h>

#include "mirror_policy.h"
#include "mirror_store.h"

typedef enum mirror_role {
    MIRROR_SOURCE,
    MIRROR_CHECKPOINT,
    MIRROR_HEARTBEAT,
} mirror_role_t;

/* One mirrored partition (MIRROR_SOURCE). */
typedef struct mirror_part {
    char *topic;  /* on the source cluster */
    char *remote; /* on the target cluster */
    int32_t partition;
    int64_t next;                /* next source offset to fetch */
    char *spart;                 /* source partition, JSON */
    samsa_mirror_entry_t *entry; /* its syncs, in the task's store */
    /* MM2's offset-sync writer state of this partition. */
    int64_t prev_up, prev_down, last_sync_down;
    bool delayed; /* (delayed_up, delayed_down) not written yet */
    int64_t delayed_up, delayed_down;
} mirror_part_t;

/* An offset sync waiting to be written. */
typedef struct mirror_sync_out {
    const mirror_part_t *part;
    int64_t up, down;
} mirror_sync_out_t;

struct samsa_connect_task {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    mirror_role_t role;
    samsa_kafka_t *src, *tgt;
    samsa_mirror_policy_t policy;
    char target_alias[128]; /* target.cluster.alias, default "target" */
    samsa_mirror_filter_t topics, groups, config_props;
    bool sync_groups, emit_checkpoints, sync_configs, sync_acls;
    bool emit_heartbeats;
    bool source_defaults;      /* use.defaults.from=source */
    bool replicate_heartbeats; /* heartbeats.replication.enabled */
    bool acls_disabled_logged; /* the source has no authorizer (said once) */
    int64_t refresh_ms, sync_ms, configs_ms, acls_ms, heartbeat_ms;
    int64_t next_refresh, next_sync, next_configs, next_acls, next_heartbeat;
    size_t max_records;
    int32_t task_id, task_count;
    mirror_part_t **parts;
    size_t nparts;
    /* Offset syncs: this task's (source) or everyone's (checkpoint). */
    samsa_mirror_store_t store;
    bool emit_syncs;
    samsa_kafka_t *syncs_k; /* the cluster holding the topic (src or tgt) */
    char syncs_topic[300];
    bool syncs_created;
    int64_t syncs_next;       /* next offset of the topic to read */
    bool syncs_failing;       /* reading it failed last time (logged once) */
    bool syncs_write_failing; /* writing to it, the same */
    int64_t lag_max;          /* offset.lag.max */
    mirror_sync_out_t *outbox;
    size_t nout, capout;
    char checkpoints_topic[300];
    bool checkpoints_created;
    /* Offsets stored by the worker: source partition JSON -> offset. */
    char **resume_part;
    int64_t *resume_off;
    size_t nresume;
    /* The last poll's records (freed in poll_release). */
    samsa_connect_record_t **recs;
    size_t nrecs, caprecs;
};

/* mirror_source.c: append a record for @p topic partition @p partition
 * to the poll's records (key and value copied); false when out of
 * memory. For checkpoints and heartbeats. */
bool samsa_mirror_emit(samsa_connect_task_t *t, const char *topic,
                       int32_t partition, const void *key, size_t key_len,
                       const void *value, size_t value_len, int64_t timestamp);

/* mirror_source.c: start copying @p topic / @p partition to @p remote
 * (from its stored offset, else the log start). */
samsa_err_t samsa_mirror_add_part(samsa_connect_task_t *t, const char *topic,
                                  const char *remote, int32_t partition);

/* mirror_topics.c: whether @p topic of the source is mirrored (MM2's
 * shouldReplicateTopic: it matches topics / topics.exclude or is a
 * heartbeats topic with heartbeats.replication.enabled, is not internal
 * and is no cycle), its remote name into @p remote. */
bool samsa_mirror_replicated(const samsa_connect_task_t *t, const char *topic,
                             char *remote, size_t len);
/* Whether (topic, partition) is this task's share. */
bool samsa_mirror_mine(const samsa_connect_task_t *t, const char *topic,
                       int32_t partition);
/* Pick up topics and partitions created on the source since the last
 * look; create or grow their remote topics. */
void samsa_mirror_refresh_topics(samsa_connect_task_t *t);
/* Copy the source topics' own configs to their remote topics. */
void samsa_mirror_sync_configs(samsa_connect_task_t *t);

/* mirror_acls.c: copy the source's topic ACLs to the remote topics
 * (MM2's sync.topic.acls.enabled). Failures are logged: the next round
 * retries. */
void samsa_mirror_sync_acls(samsa_connect_task_t *t);

/* mirror_read.c: read partition 0 of @p topic on @p k from *@p next
 * (-1: its start): until its end with @p to_end, else one fetch round
 * waiting at most @p wait_ms; @p cb gets every record. *@p next moves on;
 * a partition error's description into *@p why (else NULL). */
samsa_err_t samsa_mirror_read_topic(samsa_connect_task_t *t, samsa_kafka_t *k,
                                    const char *topic, int64_t *next,
                                    bool to_end, int32_t wait_ms,
                                    int (*cb)(void *arg,
                                              const samsa_connect_record_t *),
                                    void *arg, const char **why);

/* mirror_offset_syncs.c */
/* Create the offset-syncs topic if needed (compacted, one partition);
 * false (logged) when it cannot be. */
bool samsa_mirror_syncs_topic(samsa_connect_task_t *t);
/* Read the offset-syncs topic from t->syncs_next: until its end with
 * @p to_end (a task starting), else one fetch round waiting at most
 * @p wait_ms. Syncs of partitions samsa_mirror_wanted() go to the store. */
samsa_err_t samsa_mirror_syncs_read(samsa_connect_task_t *t, bool to_end,
                                    int32_t wait_ms);
/* The source task's record @p up of @p part landed at @p down. */
void samsa_mirror_syncs_note(samsa_connect_task_t *t, mirror_part_t *part,
                             int64_t up, int64_t down);
/* Write the syncs noted since the last call (end of a poll batch). */
void samsa_mirror_syncs_flush(samsa_connect_task_t *t);

/* mirror_checkpoint.c: translate the committed offsets of the mirrored
 * groups; emit checkpoints and / or commit them on the target. Failures
 * are logged, not returned: the next round retries. */
void samsa_mirror_checkpoint(samsa_connect_task_t *t);
/* Read the checkpoints topic back (a task starting with
 * emit.checkpoints.enabled): what is there is not written again. */
void samsa_mirror_checkpoints_load(samsa_connect_task_t *t);

/* mirror_topics.c: whether a sync of @p topic / @p partition read from
 * the offset-syncs topic belongs in this task's store. */
bool samsa_mirror_wanted(const samsa_connect_task_t *t, const char *topic,
                         int32_t partition);

#endif /* SAMSA_MIRROR_TASK_H */
