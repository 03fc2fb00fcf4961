/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metrics/prom.h - writing Prometheus text exposition format 0.0.4:
 * a family header (# HELP, # TYPE) then samples with escaped labels.
 * Labels are given as a NULL-terminated list of name, value pairs.
 */
#ifndef SAMSA_METRICS_PROM_H
#define SAMSA_METRICS_PROM_H

#include "http/http.h"

#define SAMSA_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/** "# HELP name help\n# TYPE name type\n" (type: counter, gauge,
 *  histogram). */
void samsa_prom_family(samsa_http_response_t *out, const char *name,
                       const char *type, const char *help);

/** name{l1="v1",...} value; @p labels is {"l1", "v1", ..., NULL}. */
void samsa_prom_sample(samsa_http_response_t *out, const char *name,
                       const char *const *labels, double value);

/** Same with an integer value (printed exactly). */
void samsa_prom_sample_i(samsa_http_response_t *out, const char *name,
                         const char *const *labels, int64_t value);

/** Copy @p in into @p buf as a valid metric name part: [a-zA-Z0-9_],
 *  everything else becomes '_'. */
void samsa_prom_sanitize(const char *in, char *buf, size_t len);

#endif /* SAMSA_METRICS_PROM_H */
