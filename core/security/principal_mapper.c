/* SPDX-License-Identifier: Apache-2.0 */
/* core/security/principal_mapper.c - see principal_mapper.h. */
#include "security/principal_mapper.h"

#include <ctype.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 10 /* $0..$9 */

typedef struct rule {
    bool is_default;
    bool compiled;
    regex_t re;
    char *replacement; /* as written, escapes kept: applied in apply() */
    char casing;       /* 0, 'L' or 'U' */
} rule_t;

struct samsa_principal_mapper {
    rule_t *rules;
    size_t count;
};

void samsa_principal_mapper_free(samsa_principal_mapper_t *m)
{
    if (!m) {
        return;
    }
    for (size_t i = 0; i < m->count; i++) {
        if (m->rules[i].compiled) {
            regfree(&m->rules[i].re);
        }
        free(m->rules[i].replacement);
    }
    free(m->rules);
    free(m);
}

/* The text up to the next unescaped '/' of *p, into a new string; "\/"
 * becomes "/" when @p unquote_slash. NULL when there is no '/'. */
static char *until_slash(const char **p, bool unquote_slash)
{
    const char *s = *p;
    size_t n = 0;
    char *out = malloc(strlen(s) + 1);
    if (!out) {
        return NULL;
    }
    while (*s && *s != '/') {
        if (*s == '\\' && s[1]) {
            if (!(unquote_slash && s[1] == '/')) {
                out[n++] = '\\';
            }
            out[n++] = s[1];
            s += 2;
        } else {
            out[n++] = *s++;
        }
    }
    if (*s != '/') {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *p = s + 1;
    return out;
}

static samsa_err_t bad_rule(char *errbuf, size_t errbuf_size, const char *at,
                            const char *why)
{
    snprintf(errbuf, errbuf_size,
             "%s at '%.60s' (expected "
             "RULE:pattern/replacement/[L|U] or DEFAULT, comma-separated)",
             why, at);
    return SAMSA_ERR_CONFIG;
}

static samsa_err_t parse_rule(const char **p, rule_t *r, char *errbuf,
                              size_t errbuf_size)
{
    const char *s = *p;
    if (strncmp(s, "DEFAULT", 7) == 0) {
        r->is_default = true;
        *p = s + 7;
        return SAMSA_OK;
    }
    if (strncmp(s, "RULE:", 5) != 0) {
        return bad_rule(errbuf, errbuf_size, s, "unknown rule");
    }
    const char *q = s + 5;
    char *pattern = until_slash(&q, true);
    if (!pattern) {
        return bad_rule(errbuf, errbuf_size, s, "no '/' after the pattern");
    }
    r->replacement = until_slash(&q, false);
    if (!r->replacement) {
        free(pattern);
        return bad_rule(errbuf, errbuf_size, s, "no '/' after the replacement");
    }
    int rc = regcomp(&r->re, pattern, REG_EXTENDED);
    free(pattern);
    if (rc != 0) {
        char why[200], msg[260];
        regerror(rc, &r->re, why, sizeof(why));
        snprintf(msg, sizeof(msg), "bad pattern (%s)", why);
        return bad_rule(errbuf, errbuf_size, s, msg);
    }
    r->compiled = true;
    if (*q == 'L' || *q == 'U') {
        r->casing = *q++;
    }
    *p = q;
    return SAMSA_OK;
}

samsa_err_t samsa_principal_mapper_create(const char *rules,
                                          samsa_principal_mapper_t **out,
                                          char *errbuf, size_t errbuf_size)
{
    if (!rules || !rules[0]) {
        rules = "DEFAULT";
    }
    samsa_principal_mapper_t *m = calloc(1, sizeof(*m));
    /* A rule needs at least 7 characters and a separator. */
    size_t cap = strlen(rules) / 2 + 1;
    if (!m || !(m->rules = calloc(cap, sizeof(*m->rules)))) {
        samsa_principal_mapper_free(m);
        return SAMSA_ERR_NOMEM;
    }
    const char *p = rules;
    for (;;) {
        p += strspn(p, " \t\r\n");
        if (!*p) {
            break;
        }
        samsa_err_t rc =
            m->count < cap
                ? parse_rule(&p, &m->rules[m->count++], errbuf, errbuf_size)
                : bad_rule(errbuf, errbuf_size, p, "too many rules");
        if (rc != SAMSA_OK) {
            samsa_principal_mapper_free(m);
            return rc;
        }
        p += strspn(p, " \t\r");
        if (*p && *p != ',' && *p != '\n') {
            samsa_principal_mapper_free(m);
            return bad_rule(errbuf, errbuf_size, p,
                            "text after the rule's end");
        }
        p += *p != '\0';
    }
    if (m->count == 0) {
        samsa_principal_mapper_free(m);
        return bad_rule(errbuf, errbuf_size, rules, "no rule");
    }
    *out = m;
    return SAMSA_OK;
}

/* Java's Matcher.replaceAll on a whole-string match: $n is group n, \c is
 * c. */
static samsa_err_t substitute(const rule_t *r, const char *dn,
                              const regmatch_t *g, char *out, size_t len)
{
    size_t n = 0;
    for (const char *s = r->replacement; *s; s++) {
        const char *piece = s;
        size_t piece_len = 1;
        if (*s == '\\' && s[1]) {
            piece = ++s;
        } else if (*s == '$' && isdigit((unsigned char)s[1])) {
            int k = *++s - '0';
            if (g[k].rm_so < 0) {
                continue; /* a group that took no part: empty */
            }
            piece = dn + g[k].rm_so;
            piece_len = (size_t)(g[k].rm_eo - g[k].rm_so);
        }
        if (n + piece_len >= len) {
            return SAMSA_ERR_TOO_LARGE;
        }
        memcpy(out + n, piece, piece_len);
        n += piece_len;
    }
    out[n] = '\0';
    for (size_t i = 0; r->casing && i < n; i++) {
        out[i] = (char)(r->casing == 'L' ? tolower((unsigned char)out[i])
                                         : toupper((unsigned char)out[i]));
    }
    return SAMSA_OK;
}

samsa_err_t samsa_principal_mapper_apply(const samsa_principal_mapper_t *m,
                                         const char *dn, char *out, size_t len)
{
    size_t dn_len = strlen(dn);
    for (size_t i = 0; i < m->count; i++) {
        const rule_t *r = &m->rules[i];
        if (r->is_default) {
            if (dn_len >= len) {
                return SAMSA_ERR_TOO_LARGE;
            }
            memcpy(out, dn, dn_len + 1);
            return SAMSA_OK;
        }
        regmatch_t g[MAX_GROUPS];
        /* Java's matches(): the whole DN. POSIX takes the longest match
         * at the leftmost start, so a whole-DN match is found if any. */
        if (regexec(&r->re, dn, MAX_GROUPS, g, 0) == 0 && g[0].rm_so == 0 &&
            (size_t)g[0].rm_eo == dn_len) {
            return substitute(r, dn, g, out, len);
        }
    }
    return SAMSA_ERR_NOT_FOUND;
}
