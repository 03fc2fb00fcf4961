/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/errors.c - see errors.h. */
#include "connect/errors.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str_of(const json_t *config, const char *key)
{
    return json_string_value(json_object_get(config, key));
}

static bool is_true(const char *v)
{
    return v != NULL && strcmp(v, "true") == 0;
}

samsa_err_t samsa_connect_errors_from_config(const json_t *config,
                                             samsa_connect_errors_t *out,
                                             char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *tol = str_of(config, "errors.tolerance");
    if (tol != NULL && strcmp(tol, "all") != 0 && strcmp(tol, "none") != 0) {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration errors.tolerance: "
                 "String must be one of: none, all",
                 tol);
        return SAMSA_ERR_CONFIG;
    }
    out->tolerate_all = tol != NULL && strcmp(tol, "all") == 0;
    out->log = is_true(str_of(config, "errors.log.enable"));
    const char *dlq = str_of(config, "errors.deadletterqueue.topic.name");
    out->dlq_topic = dlq != NULL && dlq[0] != '\0' ? dlq : NULL;
    out->context_headers = is_true(
        str_of(config, "errors.deadletterqueue.context.headers.enable"));
    return SAMSA_OK;
}

samsa_err_t
samsa_connect_dead_letter(const samsa_connect_errors_t *e, samsa_producer_t *p,
                          const samsa_connect_failure_t *f, const void *key,
                          int32_t key_len, const void *value, int32_t value_len,
                          const samsa_client_header_t *headers, size_t nheaders)
{
    char partition[16], offset[24], task[16];
    snprintf(partition, sizeof(partition), "%" PRId32, f->partition);
    snprintf(task, sizeof(task), "%" PRId32, f->task_id);
    snprintf(offset, sizeof(offset), "%" PRId64, f->offset);
    /* Kafka Connect's header names (DeadLetterQueueReporter). */
    const char *kv[][2] = {
        {"__connect.errors.topic", f->topic},
        {"__connect.errors.partition", partition},
        {"__connect.errors.offset", offset},
        {"__connect.errors.connector.name", f->connector},
        {"__connect.errors.task.id", task},
        {"__connect.errors.stage", f->stage},
        {"__connect.errors.class.name", "samsa.connect.converter"},
        {"__connect.errors.exception.class.name",
         "org.apache.kafka.connect.errors.DataException"},
        {"__connect.errors.exception.message", f->message},
    };
    size_t nctx = e->context_headers ? sizeof(kv) / sizeof(kv[0]) : 0;
    samsa_client_header_t *h = calloc(nheaders + nctx + 1, sizeof(*h));
    if (h == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    if (nheaders > 0) {
        memcpy(h, headers, nheaders * sizeof(*h));
    }
    for (size_t i = 0; i < nctx; i++) {
        h[nheaders + i] =
            (samsa_client_header_t){.key = kv[i][0],
                                    .key_len = strlen(kv[i][0]),
                                    .value = kv[i][1],
                                    .value_len = strlen(kv[i][1])};
    }
    samsa_err_t err =
        samsa_producer_produce(p, e->dlq_topic, -1, key, key_len, value,
                               value_len, h, nheaders + nctx, -1);
    free(h);
    return err;
}
