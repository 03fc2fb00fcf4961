/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/dir_lock.h - one process per data directory.
 *
 * Like Kafka's log dirs, a data dir holds a ".lock" file that its broker
 * keeps an exclusive flock(2) on for its whole life. A second samsad
 * pointed at the same directory fails to take it and exits naming the
 * holder's pid (written into the file by the holder), instead of both
 * writing the same segments. The kernel drops the lock when the holder
 * exits, however it exits, so a stale file never blocks a restart.
 *
 * Main thread, at start-up, before anything else writes into the dir.
 */
#ifndef SAMSA_DIR_LOCK_H
#define SAMSA_DIR_LOCK_H

#include <stddef.h>

#include <samsa/errors.h>

#define SAMSA_DIR_LOCK_FILE ".lock"

/* Create @p dir if missing (one level, like mkdir), open <dir>/.lock and
 * lock it. On success *fd is the open descriptor holding the lock (close it
 * to release; it is not inherited across exec). Errors, with one line in
 * errbuf: SAMSA_ERR_AGAIN when another process holds it (the line names its
 * pid), SAMSA_ERR_IO when the dir or file cannot be made or opened. */
samsa_err_t samsa_dir_lock(const char *dir, int *fd, char *errbuf,
                           size_t errlen);

/* What samsa_dir_lock() will need, checked without writing anything
 * (--check-config): @p dir is a writable directory, or can be made in an
 * existing writable parent. SAMSA_ERR_IO with one line in errbuf if not. */
samsa_err_t samsa_dir_check(const char *dir, char *errbuf, size_t errlen);

#endif /* SAMSA_DIR_LOCK_H */
