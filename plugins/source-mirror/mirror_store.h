/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_store.h - the offset syncs of many source
 * partitions, by topic and partition: what a source task copied (and read
 * back from the offset-syncs topic at start), or what a checkpoint task
 * read from that topic. Entries keep their address until the store is
 * freed. One thread (the task's).
 */
#ifndef SAMSA_MIRROR_STORE_H
#define SAMSA_MIRROR_STORE_H

#include <stdbool.h>

#include "mirror_sync.h"

/* The last checkpoint emitted for one group on one partition. */
typedef struct samsa_mirror_ckpt {
    char *group;
    int64_t up, down;
} samsa_mirror_ckpt_t;

typedef struct samsa_mirror_entry {
    char *topic; /* on the source cluster */
    int32_t partition;
    samsa_mirror_syncs_t syncs;
    samsa_mirror_ckpt_t *ckpts; /* by group, in no order */
    size_t nckpts, capckpts;
} samsa_mirror_entry_t;

typedef struct samsa_mirror_store {
    samsa_mirror_entry_t **v;
    size_t n, cap;
} samsa_mirror_store_t;

/* The entry of @p topic / @p partition, made (empty) when missing; NULL
 * only when out of memory. */
samsa_mirror_entry_t *samsa_mirror_store_get(samsa_mirror_store_t *st,
                                             const char *topic,
                                             int32_t partition);
void samsa_mirror_store_free(samsa_mirror_store_t *st);

/* MM2's checkpointIsMoreRecent: whether a checkpoint of @p group at
 * upstream @p up, downstream @p down on @p e's partition is worth
 * emitting (the group's first, the group went back upstream, or its
 * downstream offset moved on), remembered when it is. Out of memory:
 * true, not remembered. */
bool samsa_mirror_checkpoint_new(samsa_mirror_entry_t *e, const char *group,
                                 int64_t up, int64_t down);
/* What the checkpoints topic says was emitted last, read back at start
 * (MM2 3.8's CheckpointsStore): a restarted task emits none again. */
void samsa_mirror_checkpoint_seed(samsa_mirror_entry_t *e, const char *group,
                                  int64_t up, int64_t down);

#endif /* SAMSA_MIRROR_STORE_H */
