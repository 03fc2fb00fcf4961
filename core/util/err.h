/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/err.h - names and descriptions of samsa_err_t values.
 *
 * Both tables are generated from the X-macros in samsa/errors.h, so every
 * value has a name and a string. Thread-safe: static data only.
 */
#ifndef SAMSA_UTIL_ERR_H
#define SAMSA_UTIL_ERR_H

#include <samsa/errors.h>

/** Symbolic name without prefix, e.g. "UNKNOWN_TOPIC_OR_PARTITION", "NOMEM";
 *  "NONE" for SAMSA_OK; "UNKNOWN_ERROR_CODE" for a value not in the enum. */
const char *samsa_err_name(samsa_err_t err);

/** One-line description, e.g. "out of memory"; never NULL. */
const char *samsa_err_str(samsa_err_t err);

/** The code to put on the wire for @p err: a Kafka code unchanged; an
 *  internal one (errors.h: never sent) mapped to the nearest Kafka code,
 *  KAFKA_STORAGE_ERROR for I/O and stored-data faults, MESSAGE_TOO_LARGE,
 *  REQUEST_TIMED_OUT and UNSUPPORTED_VERSION where those fit, else
 *  UNKNOWN_SERVER_ERROR. */
samsa_err_t samsa_err_to_wire(samsa_err_t err);

#endif /* SAMSA_UTIL_ERR_H */
