/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdk/testkit/testkit_int.h - the test kit's records, shared by testkit.c
 * (the broker and the connector) and records.c (copies, JSON lines).
 */
#ifndef SAMSA_TESTKIT_INT_H
#define SAMSA_TESTKIT_INT_H

#include "client/client.h"
#include "samsa_testkit.h"

/* A growable list of records the list owns: each record and everything
 * it points to is one malloc'd block. */
typedef struct kit_records {
    samsa_testkit_record_t **v;
    size_t n, cap;
} kit_records_t;

/* Append a copy of @p r. */
samsa_err_t kit_records_add(kit_records_t *l, const samsa_testkit_record_t *r);
/* Append a copy of what a sink's put() was given. */
samsa_err_t kit_records_add_connect(kit_records_t *l,
                                    const samsa_connect_record_t *r);
/* Append a copy of a consumed record. */
samsa_err_t kit_records_add_client(kit_records_t *l,
                                   const samsa_client_record_t *r);
/* Append the records of JSON lines (or, with @p lines, plain lines as
 * values) read from @p in; SAMSA_ERR_INVAL with "line N: why". */
samsa_err_t kit_records_read(kit_records_t *l, FILE *in, int lines,
                             char *errbuf, size_t errlen);
/* Move @p src's records to the end of @p dst (src is then empty but
 * keeps its array: clear it). */
samsa_err_t kit_records_take(kit_records_t *dst, kit_records_t *src);
void kit_records_clear(kit_records_t *l);

#endif /* SAMSA_TESTKIT_INT_H */
