/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/transforms-basic/routers.c - TimestampRouter and RegexRouter:
 * they change the record's topic. RegexRouter's regex is POSIX extended
 * (glibc regcomp), which covers the usual Java patterns but not \d or
 * lookaround; it must match the whole topic, as Java's matches() does,
 * and $N in the replacement is group N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xform.h"

/* TimestampRouter ------------------------------------------------------ */

/* Java SimpleDateFormat letters -> strftime; %L is our milliseconds. */
static samsa_err_t java_date_format(const char *in, char **out, char *eb,
                                    size_t el)
{
    static const struct {
        const char *java, *c;
    } map[] = {{"yyyy", "%Y"}, {"yy", "%y"}, {"MM", "%m"}, {"dd", "%d"},
               {"HH", "%H"},   {"mm", "%M"}, {"ss", "%S"}, {"SSS", "%L"}};
    size_t cap = strlen(in) * 2 + 1;
    char *o = malloc(cap), *w = o;
    if (o == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (const char *p = in; *p != '\0';) {
        if (*p == '\'') { /* quoted literal text */
            const char *q = strchr(p + 1, '\'');
            const char *end = q ? q : p + strlen(p);
            for (const char *c = p + 1; c < end; c++) {
                if (*c == '%') {
                    *w++ = '%';
                }
                *w++ = *c;
            }
            p = q ? q + 1 : end;
            continue;
        }
        bool done = false;
        for (size_t i = 0; !done && i < sizeof(map) / sizeof(map[0]); i++) {
            size_t n = strlen(map[i].java);
            if (strncmp(p, map[i].java, n) == 0) {
                memcpy(w, map[i].c, 2);
                w += 2;
                p += n;
                done = true;
            }
        }
        if (done) {
            continue;
        }
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
            snprintf(eb, el,
                     "Invalid value %s for configuration timestamp.format: "
                     "only yyyy, yy, MM, dd, HH, mm, ss and SSS are "
                     "supported",
                     in);
            free(o);
            return SAMSA_ERR_CONFIG;
        }
        if (*p == '%') {
            *w++ = '%';
        }
        *w++ = *p++;
    }
    *w = '\0';
    *out = o;
    return SAMSA_OK;
}

static samsa_err_t ts_configure(xform_t *x, char *eb, size_t el)
{
    samsa_err_t err = xform_string(x, "topic.format", "${topic}-${timestamp}",
                                   false, &x->format, eb, el);
    const char *tf = xform_get(x, "timestamp.format");
    if (err == SAMSA_OK) {
        err = java_date_format(tf && tf[0] ? tf : "yyyyMMdd", &x->ts_format, eb,
                               el);
    }
    return err;
}

/* Append @p s to the growing string at *buf. */
static bool append(char **buf, size_t *len, size_t *cap, const char *s,
                   size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = (*len + n + 1) * 2;
        char *p = realloc(*buf, c);
        if (p == NULL) {
            return false;
        }
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

static samsa_err_t ts_apply(xform_t *x, const samsa_connect_record_t *in,
                            samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    if (in->timestamp < 0) {
        xform_fail(x, "Timestamp missing on record");
        return SAMSA_ERR_INVAL;
    }
    /* Kafka formats in UTC. */
    time_t secs = (time_t)(in->timestamp / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char ms[8], stamp[128] = "", fmt[256];
    snprintf(ms, sizeof(ms), "%03d", (int)(in->timestamp % 1000));
    /* %L -> the milliseconds, before strftime sees the rest. */
    size_t w = 0;
    for (const char *p = x->ts_format; *p && w + 4 < sizeof(fmt); p++) {
        if (p[0] == '%' && p[1] == 'L') {
            memcpy(fmt + w, ms, 3);
            w += 3;
            p++;
        } else if (p[0] == '%' && p[1] != '\0') {
            fmt[w++] = *p++;
            fmt[w++] = *p;
        } else {
            fmt[w++] = *p;
        }
    }
    fmt[w] = '\0';
    /* The format is ours, built from timestamp.format at configure. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    strftime(stamp, sizeof(stamp), fmt, &tm);
#pragma GCC diagnostic pop
    char *t = NULL;
    size_t len = 0, cap = 0;
    bool ok = append(&t, &len, &cap, "", 0);
    for (const char *p = x->format; ok && *p;) {
        if (strncmp(p, "${topic}", 8) == 0) {
            ok = append(&t, &len, &cap, in->topic, strlen(in->topic));
            p += 8;
        } else if (strncmp(p, "${timestamp}", 12) == 0) {
            ok = append(&t, &len, &cap, stamp, strlen(stamp));
            p += 12;
        } else {
            ok = append(&t, &len, &cap, p, 1);
            p++;
        }
    }
    out->topic = ok ? xform_keep(x, t) : (free(t), NULL);
    return out->topic ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* RegexRouter ---------------------------------------------------------- */

static samsa_err_t regex_configure(xform_t *x, char *eb, size_t el)
{
    char *re = NULL;
    samsa_err_t err = xform_string(x, "regex", NULL, true, &re, eb, el);
    if (err == SAMSA_OK) {
        err =
            xform_string(x, "replacement", NULL, true, &x->replacement, eb, el);
    }
    if (err == SAMSA_OK) {
        err = xform_regex(x, re, eb, el);
    }
    free(re);
    return err;
}

static samsa_err_t regex_apply(xform_t *x, const samsa_connect_record_t *in,
                               samsa_connect_record_t *out, bool *drop)
{
    (void)drop;
    regmatch_t m[10];
    if (regexec(&x->re, in->topic, 10, m, 0) != 0) {
        return SAMSA_OK; /* no match: the topic stays */
    }
    char *t = NULL;
    size_t len = 0, cap = 0;
    bool ok = append(&t, &len, &cap, "", 0);
    for (const char *p = x->replacement; ok && *p;) {
        if (p[0] == '\\' && p[1] != '\0') {
            ok = append(&t, &len, &cap, p + 1, 1);
            p += 2;
        } else if (p[0] == '$' && p[1] >= '0' && p[1] <= '8') {
            /* Group N is m[N + 1]: the pattern is wrapped in ^(...)$. */
            regmatch_t g = m[p[1] - '0' + 1];
            if (g.rm_so >= 0) {
                ok = append(&t, &len, &cap, in->topic + g.rm_so,
                            (size_t)(g.rm_eo - g.rm_so));
            }
            p += 2;
        } else {
            ok = append(&t, &len, &cap, p, 1);
            p++;
        }
    }
    out->topic = ok ? xform_keep(x, t) : (free(t), NULL);
    return out->topic ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* clang-format off */
const xform_type_t xform_router_types[] = {
    {"TimestampRouter", false, false, ts_configure, ts_apply, NULL},
    {"RegexRouter", false, false, regex_configure, regex_apply, NULL},
    {NULL, false, false, NULL, NULL, NULL},
};
/* clang-format on */
