/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/record/validate.h - record framing checks for the records section of
 * a record batch v2 (../shared/kafka-protocol/README.md §6.2), what Kafka's
 * LogValidator and DefaultRecord.readFrom refuse: every record's length
 * varint covers exactly its fields, key, value and header lengths fit the
 * record, header counts and header key lengths are not negative, offset
 * deltas count 0, 1, ... n-1, and recordCount records fill the section
 * exactly (no missing record, no trailing byte).
 *
 * The checker is fed the (decompressed) records section in pieces of any
 * size, so a compressed batch is checked as its codec streams it out,
 * without holding the whole output. It keeps no pointer into the bytes.
 * Owned by core/record; callers (core/broker) decompress.
 */
#ifndef SAMSA_RECORD_VALIDATE_H
#define SAMSA_RECORD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

/* State of one batch's check; plain data, no allocation. */
typedef struct samsa_records_check {
    int32_t expected;     /* recordCount from the batch header */
    int32_t seen;         /* records completed */
    int32_t headers_left; /* headers still to read in this record */
    int step;             /* which field the next bytes belong to */
    uint64_t acc;         /* varint being assembled */
    unsigned acc_len;     /* its bytes so far */
    int64_t rec_left;     /* bytes left in the current record's body */
    int64_t skip;         /* key/value bytes still to pass over */
    int64_t total;        /* bytes fed so far */
    /* Set after init for a compacted topic: a null key is then
     * SAMSA_ERR_INVALID_RECORD (Kafka's "Compacted topic cannot accept
     * message without key"). */
    bool key_required;
    bool null_key; /* why it failed, when it did for that */
} samsa_records_check_t;

/* Start checking a records section that must hold record_count records. */
void samsa_records_check_init(samsa_records_check_t *chk, int32_t record_count);

/*
 * Feed the next len bytes. SAMSA_ERR_CORRUPT_MESSAGE at the first framing
 * error, SAMSA_ERR_INVALID_RECORD at a null key when key_required (the
 * state is then final). Feeding zero bytes is allowed.
 */
samsa_err_t samsa_records_check_feed(samsa_records_check_t *chk,
                                     const uint8_t *p, size_t len);

/* After the last byte: SAMSA_OK when exactly recordCount whole records
 * were fed, SAMSA_ERR_CORRUPT_MESSAGE otherwise (a cut record, a missing
 * one). */
samsa_err_t samsa_records_check_end(const samsa_records_check_t *chk);

/* init + feed + end over one contiguous (uncompressed) records section. */
samsa_err_t samsa_records_check_all(int32_t record_count, const uint8_t *p,
                                    size_t len);

#endif /* SAMSA_RECORD_VALIDATE_H */
