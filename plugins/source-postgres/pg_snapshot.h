/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-postgres/pg_snapshot.h - the initial snapshot (Debezium's
 * snapshot.mode=initial): every row of the publication's tables as of one
 * REPEATABLE READ transaction, read through a cursor in batches so a large
 * table never sits in memory whole.
 *
 * Why nothing is lost: the replication slot exists before the snapshot's
 * transaction starts, so every change committed after the snapshot was
 * taken is also in the slot's stream, which the task starts once the
 * snapshot is done. A slot created for the snapshot exports the snapshot
 * of its consistent point, which this reads: then nothing is in both.
 * With an older slot, a change committed between the slot's position and
 * the snapshot is in both (at least once, as Debezium).
 *
 * One snapshot per task, on the task's thread; its own (non-replication)
 * connection.
 */
#ifndef SAMSA_PG_SNAPSHOT_H
#define SAMSA_PG_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct samsa_pgsnap samsa_pgsnap_t;

/** One row: @p key (the replica identity's columns) and @p row are
 *  borrowed for the call. Returns 0, or -1 to stop (out of memory). */
typedef int (*samsa_pgsnap_row_fn)(void *arg, const char *schema,
                                   const char *table, json_t *key, json_t *row);

/** Connect with @p url (a libpq URI or conninfo) and open the snapshot's
 *  transaction over the tables of publication @p pub: as of @p exported
 *  (a snapshot a new slot exported, whose consistent point is @p at) when
 *  not NULL, else as of now. NULL with a reason in @p errbuf on
 *  failure. */
samsa_pgsnap_t *samsa_pgsnap_begin(const char *url, const char *pub,
                                   const char *exported, uint64_t at,
                                   char *errbuf, size_t errlen);

/** The WAL position when the snapshot was taken (its records' LSN). */
uint64_t samsa_pgsnap_lsn(const samsa_pgsnap_t *s);

/** Hand up to @p max rows to @p fn. Returns 1 when rows remain, 0 when
 *  the snapshot is complete, -1 with a reason in @p errbuf. */
int samsa_pgsnap_next(samsa_pgsnap_t *s, size_t max, samsa_pgsnap_row_fn fn,
                      void *arg, char *errbuf, size_t errlen);

/** Close the transaction and the connection. NULL is fine. */
void samsa_pgsnap_end(samsa_pgsnap_t *s);

#endif /* SAMSA_PG_SNAPSHOT_H */
