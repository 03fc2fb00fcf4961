/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_sync.h - offset syncs of one mirrored
 * partition (MirrorMaker 2's offset-syncs, in memory): runs of
 * records copied upstream offset u..u+len-1 to downstream d..d+len-1, and
 * the translation of a consumer group's upstream offset to the
 * downstream one. Pure functions; the task thread owns each log.
 */
#ifndef SAMSA_MIRROR_SYNC_H
#define SAMSA_MIRROR_SYNC_H

#include <stddef.h>
#include <stdint.h>

/* Runs kept per partition; past it the oldest half is dropped (a group
 * behind them is then not translated, never translated wrongly). */
#define SAMSA_MIRROR_MAX_RUNS 4096

typedef struct samsa_mirror_run {
    int64_t up;   /* first upstream offset of the run */
    int64_t down; /* where it landed downstream */
    int64_t len;  /* records, consecutive on both sides */
} samsa_mirror_run_t;

/* Zero-initialised it is empty; samsa_mirror_syncs_free() frees. */
typedef struct samsa_mirror_syncs {
    samsa_mirror_run_t *runs; /* grows with realloc, up to MAX_RUNS */
    size_t n, cap;
} samsa_mirror_syncs_t;

/* Record that upstream offset @p up was copied to downstream @p down
 * (calls come in upstream order). Out of memory, the oldest runs go. */
void samsa_mirror_sync_add(samsa_mirror_syncs_t *s, int64_t up, int64_t down);

/*
 * The same for an OffsetSync read back from the offset-syncs topic, where
 * only some copied records have one (a new run, and the last record of a
 * batch): a sync on the line of the last run (same up - down, further on)
 * extends the run to it, as everything between was copied in one go.
 */
void samsa_mirror_sync_load(samsa_mirror_syncs_t *s, int64_t up, int64_t down);

void samsa_mirror_syncs_free(samsa_mirror_syncs_t *s);

/*
 * The downstream offset for a group whose committed upstream offset is
 * @p group (the next record it will read), or -1 when it cannot be known
 * (nothing copied, or @p group before the oldest sync). Never ahead: the
 * answer is past only downstream records whose upstream offsets are below
 * @p group, so a consumer switching clusters skips nothing it had not read.
 */
int64_t samsa_mirror_translate(const samsa_mirror_syncs_t *s, int64_t group);

#endif /* SAMSA_MIRROR_SYNC_H */
