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

#include "mirror_sync.h"

typedef struct samsa_mirror_entry {
    char *topic; /* on the source cluster */
    int32_t partition;
    samsa_mirror_syncs_t syncs;
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

#endif /* SAMSA_MIRROR_STORE_H */
