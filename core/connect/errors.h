/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/errors.h - Kafka Connect's error handling per connector
 * (KIP-298): errors.tolerance none|all, errors.log.enable,
 * errors.deadletterqueue.topic.name and
 * errors.deadletterqueue.context.headers.enable. A record a converter
 * cannot handle stops the task (none) or is skipped (all); a sink sends
 * it, as it was in the topic, to the dead-letter topic with the error
 * context in __connect.errors.* headers when asked.
 */
#ifndef SAMSA_CONNECT_ERRORS_H
#define SAMSA_CONNECT_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "client/client.h"
#include "util/err.h"

typedef struct samsa_connect_errors {
    bool tolerate_all;
    bool log;
    const char *dlq_topic; /* borrowed from the config; NULL: none */
    bool context_headers;
} samsa_connect_errors_t;

/** Read the errors.* keys of @p config (borrowed for the policy's life).
 *  SAMSA_ERR_CONFIG with a message for a value Kafka Connect refuses. */
samsa_err_t samsa_connect_errors_from_config(const json_t *config,
                                             samsa_connect_errors_t *out,
                                             char *errbuf, size_t errlen);

/** What failed, for the dead-letter record's headers. */
typedef struct samsa_connect_failure {
    const char *connector;
    int32_t task_id;
    const char *stage; /* "KEY_CONVERTER", "VALUE_CONVERTER" */
    const char *message;
    const char *topic;
    int32_t partition;
    int64_t offset;
} samsa_connect_failure_t;

/** Queue the record as consumed (key, value and its @p nheaders headers)
 *  on @p p for the dead-letter topic, followed by the context headers when
 *  enabled. */
samsa_err_t samsa_connect_dead_letter(const samsa_connect_errors_t *e,
                                      samsa_producer_t *p,
                                      const samsa_connect_failure_t *f,
                                      const void *key, int32_t key_len,
                                      const void *value, int32_t value_len,
                                      const samsa_client_header_t *headers,
                                      size_t nheaders);

#endif /* SAMSA_CONNECT_ERRORS_H */
