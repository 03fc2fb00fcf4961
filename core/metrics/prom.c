/* SPDX-License-Identifier: Apache-2.0 */
/* core/metrics/prom.c - see prom.h. */
#include "metrics/prom.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void samsa_prom_family(samsa_http_response_t *out, const char *name,
                       const char *type, const char *help)
{
    samsa_http_printf(out, "# HELP %s ", name);
    /* HELP escapes backslash and newline only. */
    for (const char *p = help; *p; p++) {
        if (*p == '\\') {
            samsa_http_append(out, "\\\\", 2);
        } else if (*p == '\n') {
            samsa_http_append(out, "\\n", 2);
        } else {
            samsa_http_append(out, p, 1);
        }
    }
    samsa_http_printf(out, "\n# TYPE %s %s\n", name, type);
}

static void write_labels(samsa_http_response_t *out, const char *const *labels)
{
    if (!labels || !labels[0]) {
        return;
    }
    samsa_http_append(out, "{", 1);
    for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
        if (i) {
            samsa_http_append(out, ",", 1);
        }
        samsa_http_printf(out, "%s=\"", labels[i]);
        for (const char *p = labels[i + 1]; *p; p++) {
            if (*p == '\\' || *p == '"') {
                samsa_http_append(out, "\\", 1);
                samsa_http_append(out, p, 1);
            } else if (*p == '\n') {
                samsa_http_append(out, "\\n", 2);
            } else {
                samsa_http_append(out, p, 1);
            }
        }
        samsa_http_append(out, "\"", 1);
    }
    samsa_http_append(out, "}", 1);
}

void samsa_prom_sample(samsa_http_response_t *out, const char *name,
                       const char *const *labels, double value)
{
    samsa_http_printf(out, "%s", name);
    write_labels(out, labels);
    samsa_http_printf(out, " %.17g\n", value);
}

void samsa_prom_sample_i(samsa_http_response_t *out, const char *name,
                         const char *const *labels, int64_t value)
{
    samsa_http_printf(out, "%s", name);
    write_labels(out, labels);
    samsa_http_printf(out, " %" PRId64 "\n", value);
}

void samsa_prom_sanitize(const char *in, char *buf, size_t len)
{
    size_t n = 0;
    for (; in[n] && n + 1 < len; n++) {
        unsigned char c = (unsigned char)in[n];
        buf[n] = (char)(isalnum(c) || c == '_' ? c : '_');
    }
    if (len) {
        buf[n] = 0;
    }
}
