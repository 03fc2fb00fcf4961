/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_policy.c - topic and group filters and the
 * replication policy (see mirror_policy.h).
 */
#include <stdio.h>
#include <string.h>

#include "mirror_policy.h"

/* Compile each item of @p list as ^(item)$ into @p out. */
static int compile_list(regex_t *out, size_t *n, const char *what,
                        const char *list, char *errbuf, size_t errlen)
{
    char item[512], pat[530];
    const char *p = list != NULL ? list : "";
    *n = 0;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
            len--;
        }
        if (len > 0) {
            if (len >= sizeof(item) || *n == SAMSA_MIRROR_MAX_PATTERNS) {
                snprintf(errbuf, errlen,
                         "%s: at most %d patterns of %zu bytes each", what,
                         SAMSA_MIRROR_MAX_PATTERNS, sizeof(item) - 1);
                return -1;
            }
            memcpy(item, p, len);
            item[len] = '\0';
            snprintf(pat, sizeof(pat), "^(%s)$", item);
            int rc = regcomp(&out[*n], pat, REG_EXTENDED | REG_NOSUB);
            if (rc != 0) {
                char why[128];
                regerror(rc, &out[*n], why, sizeof(why));
                snprintf(errbuf, errlen, "%s: %s: %s", what, item, why);
                return -1;
            }
            (*n)++;
        }
        p = end != NULL ? end + 1 : p + len;
        if (end == NULL) {
            break;
        }
    }
    return 0;
}

static void free_list(regex_t *re, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        regfree(&re[i]);
    }
    *n = 0;
}

int samsa_mirror_filter_init(samsa_mirror_filter_t *f, const char *what,
                             const char *include, const char *exclude,
                             char *errbuf, size_t errlen)
{
    char key[128];
    memset(f, 0, sizeof(*f));
    if (compile_list(f->include, &f->ninclude, what, include, errbuf, errlen) !=
        0) {
        free_list(f->include, &f->ninclude);
        return -1;
    }
    snprintf(key, sizeof(key), "%s.exclude", what);
    if (compile_list(f->exclude, &f->nexclude, key, exclude, errbuf, errlen) !=
        0) {
        samsa_mirror_filter_free(f);
        return -1;
    }
    return 0;
}

void samsa_mirror_filter_free(samsa_mirror_filter_t *f)
{
    free_list(f->include, &f->ninclude);
    free_list(f->exclude, &f->nexclude);
}

static bool any(const regex_t *re, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (regexec(&re[i], name, 0, NULL, 0) == 0) {
            return true;
        }
    }
    return false;
}

bool samsa_mirror_filter_match(const samsa_mirror_filter_t *f, const char *name)
{
    return any(f->include, f->ninclude, name) &&
           !any(f->exclude, f->nexclude, name);
}

/* The class name without its package. */
static const char *short_name(const char *cls)
{
    const char *dot = strrchr(cls, '.');
    return dot != NULL ? dot + 1 : cls;
}

int samsa_mirror_policy_init(samsa_mirror_policy_t *p, const char *cls,
                             const char *alias, const char *target,
                             const char *separator, char *errbuf, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    const char *s = short_name(cls);
    if (strcmp(s, "IdentityReplicationPolicy") == 0) {
        p->identity = true;
    } else if (strcmp(s, "DefaultReplicationPolicy") != 0) {
        snprintf(errbuf, errlen,
                 "replication.policy.class %s: expected "
                 "DefaultReplicationPolicy or IdentityReplicationPolicy",
                 cls);
        return -1;
    }
    if (alias[0] == '\0' || strlen(alias) >= sizeof(p->alias) ||
        strlen(target) >= sizeof(p->target) ||
        strlen(separator) >= sizeof(p->separator)) {
        snprintf(errbuf, errlen,
                 "source.cluster.alias, target.cluster.alias or "
                 "replication.policy.separator: empty or too long");
        return -1;
    }
    snprintf(p->alias, sizeof(p->alias), "%s", alias);
    snprintf(p->target, sizeof(p->target), "%s", target);
    snprintf(p->separator, sizeof(p->separator), "%s", separator);
    return 0;
}

bool samsa_mirror_internal_topic(const char *topic)
{
    size_t n = strlen(topic);
    return strncmp(topic, "__", 2) == 0 || topic[0] == '.' ||
           (n >= 9 && (strcmp(topic + n - 9, ".internal") == 0 ||
                       strcmp(topic + n - 9, "-internal") == 0));
}

bool samsa_mirror_heartbeats_topic(const samsa_mirror_policy_t *p,
                                   const char *topic)
{
    /* MM2's originalTopic: every "<alias><sep>" prefix taken off. */
    const char *s = topic;
    const char *next;
    while (!p->identity && p->separator[0] != '\0' &&
           (next = strstr(s, p->separator)) != NULL) {
        s = next + strlen(p->separator);
    }
    return strcmp(s, "heartbeats") == 0;
}

bool samsa_mirror_remote_topic(const samsa_mirror_policy_t *p,
                               const char *topic, char *out, size_t outlen)
{
    if (samsa_mirror_internal_topic(topic)) {
        return false;
    }
    if (p->identity) {
        return (size_t)snprintf(out, outlen, "%s", topic) < outlen;
    }
    /* A topic that came from the target, over any number of hops
     * ("<target><sep>..." or "<x><sep><target><sep>..."): copying it back
     * would loop (MM2's isCycle). */
    size_t tl = strlen(p->target), sl = strlen(p->separator);
    const char *s = topic;
    const char *sep;
    while (tl > 0 && sl > 0 && (sep = strstr(s, p->separator)) != NULL) {
        if ((size_t)(sep - s) == tl && strncmp(s, p->target, tl) == 0) {
            return false;
        }
        s = sep + sl;
    }
    return (size_t)snprintf(out, outlen, "%s%s%s", p->alias, p->separator,
                            topic) < outlen;
}

bool samsa_mirror_upstream_topic(const samsa_mirror_policy_t *p,
                                 const char *remote, char *out, size_t outlen)
{
    size_t al = strlen(p->alias), sl = strlen(p->separator);
    const char *topic = remote;
    if (!p->identity) {
        if (strncmp(remote, p->alias, al) != 0 ||
            strncmp(remote + al, p->separator, sl) != 0) {
            return false;
        }
        topic = remote + al + sl;
    }
    return (size_t)snprintf(out, outlen, "%s", topic) < outlen;
}
