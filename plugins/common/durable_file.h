/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/durable_file.h - replace a small file atomically: write
 * <path>.tmp, fsync it, rename it over <path>, fsync the directory. After a
 * crash at any point the file holds either the old or the new content, and
 * once the call returned 0 the new content survives a power loss.
 *
 * The one copy of this sequence for samsad (topic metadata, producer id
 * block, producer snapshots) and the storage plugins (log start offset,
 * clean-shutdown marker), which link this static library.
 * Safe from any thread; it blocks on fsync, so never call it on a reactor.
 */
#ifndef SAMSA_COMMON_DURABLE_FILE_H
#define SAMSA_COMMON_DURABLE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Replace @p path with the @p len bytes at @p data, written first to @p tmp
 * (same directory; NULL means "<path>.tmp", which callers with names near
 * NAME_MAX replace by a fixed name they serialize themselves). With
 * @p durable false the two fsyncs are skipped (still atomic, not durable:
 * for files that are only hints). Returns 0, or the errno of the step that
 * failed; on failure the old file is untouched and the temporary is gone.
 */
int samsa_file_replace(const char *path, const char *tmp, const void *data,
                       size_t len, bool durable);

/* One file of samsa_files_replace. */
typedef struct samsa_file_write {
    const char *path;
    const void *data;
    size_t len;
    int rc; /* out: as samsa_file_replace returns */
} samsa_file_write_t;

/**
 * samsa_file_replace(path, NULL, data, len, true) for each of @p n files,
 * many at once: each file's sequence (and guarantee) is unchanged, and
 * concurrent fsyncs share the filesystem's journal commits, where one
 * after another each waits for its own (ext4: about 10 ms each, so a
 * takeover of 1,000 partitions spent 10 s writing leader-epoch
 * checkpoints; see tools/bench/cluster_takeover.py). Runs them on up to
 * SAMSA_FILES_REPLACE_THREADS threads it starts and joins (none for one
 * file); returns once every file is done, each ->rc set.
 */
#define SAMSA_FILES_REPLACE_THREADS 32
void samsa_files_replace(samsa_file_write_t *files, size_t n);

#endif /* SAMSA_COMMON_DURABLE_FILE_H */
