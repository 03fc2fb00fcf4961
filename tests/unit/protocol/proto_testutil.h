/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/unit/protocol/proto_testutil.h - generic helpers for protocol
 * tests: fill any generated message with pseudo-random non-default values
 * (driven by its descriptor), compare two messages field by field, hex.
 */
#ifndef SAMSA_TEST_PROTO_TESTUTIL_H
#define SAMSA_TEST_PROTO_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/generated/messages.h"

/* Fill every field present in `version` (others keep their defaults). */
void proto_testfill(const samsa_msg_desc_t *d, int16_t version,
                    samsa_arena_t *arena, uint32_t seed, void *msg);
/* Compare the fields present in `version`; on a difference, *where names
 * the field. */
bool proto_equal(const samsa_msg_desc_t *d, int16_t version, const void *a,
                 const void *b, const char **where);
/* Encode to a flat malloc'd buffer (NULL on error; *err set). */
uint8_t *proto_encode_flat(const samsa_msg_desc_t *d, int16_t version,
                           const void *msg, size_t *len, samsa_err_t *err);
/* True for the int16 "...ErrorCode" fields of the Kafka messages. */
bool proto_is_error_code(const samsa_field_desc_t *f);
/* Hex string to bytes (malloc'd); NULL on bad input. */
uint8_t *proto_unhex(const char *hex, size_t hexlen, size_t *len);

#endif
