/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-postgres/pgoutput.h - decodes the messages of
 * PostgreSQL's pgoutput logical decoding plugin (protocol version 1, the
 * payload of a replication stream's XLogData) into change rows as JSON.
 * libpq carries the stream but does not decode pgoutput, so this is the
 * one piece of PostgreSQL's wire format the plugin reads itself.
 *
 * The decoder owns a cache of the Relation messages seen (pgoutput sends
 * one before the first change of a table in a session, and again when the
 * table changes). One decoder per task; not thread-safe.
 */
#ifndef SAMSA_PGOUTPUT_H
#define SAMSA_PGOUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct samsa_pgo samsa_pgo_t;

/** One decoded message. JSON members are new references the caller owns
 *  (json_decref), NULL when absent. */
typedef struct samsa_pgo_msg {
    char type;          /**< 'B','C','I','U','D', or 0 for one we skip */
    uint64_t final_lsn; /**< B: the commit's LSN; C: the commit's LSN */
    uint64_t end_lsn;   /**< C: the end of the commit record */
    int64_t commit_ts;  /**< B, C: microseconds since 2000-01-01 */
    uint32_t xid;       /**< B */
    const char *schema; /**< I/U/D: the table, borrowed from the cache */
    const char *table;
    json_t *key;     /**< I/U/D: the primary key columns of the row */
    json_t *before;  /**< U/D: the old row (key columns only unless
                        REPLICA IDENTITY FULL), NULL when not sent */
    json_t *after;   /**< I/U: the new row */
    json_t *old_key; /**< U: the old row's key, when sent (the key changed,
                        or REPLICA IDENTITY FULL) */
} samsa_pgo_msg_t;

samsa_pgo_t *samsa_pgo_new(void);
void samsa_pgo_free(samsa_pgo_t *d);

/** Decode @p len bytes at @p buf into @p out. Returns 0, or -1 with a
 *  one-line reason in @p errbuf for a malformed message or a change of an
 *  unknown relation. */
int samsa_pgo_decode(samsa_pgo_t *d, const uint8_t *buf, size_t len,
                     samsa_pgo_msg_t *out, char *errbuf, size_t errlen);

/** A column value in PostgreSQL's text form (NUL-terminated at @p len) as
 *  JSON: booleans, integers and floats as JSON booleans and numbers,
 *  everything else as a string. For the stream's rows and the snapshot's
 *  (pg_snapshot.h) alike, so both read the same. */
json_t *samsa_pgo_value(uint32_t type_oid, const char *text, size_t len);

/** Free the JSON members of @p m. */
void samsa_pgo_msg_clear(samsa_pgo_msg_t *m);

#endif /* SAMSA_PGOUTPUT_H */
