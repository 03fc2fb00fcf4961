/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/authorizer-acl/acl_store.c - see acl_store.h. */
#include "acl_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable_file.h"

typedef struct acl {
    char *name, *principal, *host;
    uint32_t resource_type, pattern_type, operation, permission;
} acl_t;

struct acl_store {
    const samsa_services_t *svc;
    pthread_rwlock_t lock;
    char path[4096];
    acl_t *acls;
    size_t count;
    bool hosted; /* the host keeps the ACLs: never save */
};

/* ---- matching --------------------------------------------------------- */

static bool name_applies(const acl_t *a, const char *name)
{
    if (a->pattern_type == SAMSA_ACL_PATTERN_PREFIXED) {
        return strncmp(name, a->name, strlen(a->name)) == 0;
    }
    return strcmp(a->name, "*") == 0 || strcmp(a->name, name) == 0;
}

/* Kafka: ALL covers every operation; an ALLOW of READ, WRITE, DELETE or
 * ALTER also allows DESCRIBE, and ALTER_CONFIGS allows DESCRIBE_CONFIGS. */
static bool op_applies(const acl_t *a, uint32_t op)
{
    if (a->operation == SAMSA_ACL_OP_ALL || a->operation == op) {
        return true;
    }
    if (a->permission != SAMSA_ACL_PERMISSION_ALLOW) {
        return false;
    }
    if (op == SAMSA_ACL_OP_DESCRIBE) {
        return a->operation == SAMSA_ACL_OP_READ ||
               a->operation == SAMSA_ACL_OP_WRITE ||
               a->operation == SAMSA_ACL_OP_DELETE ||
               a->operation == SAMSA_ACL_OP_ALTER;
    }
    return op == SAMSA_ACL_OP_DESCRIBE_CONFIGS &&
           a->operation == SAMSA_ACL_OP_ALTER_CONFIGS;
}

bool acl_store_allows(acl_store_t *st, const samsa_authz_request_t *req,
                      bool allow_if_none)
{
    bool any = false, allow = false, deny = false;
    pthread_rwlock_rdlock(&st->lock);
    for (size_t i = 0; i < st->count && !deny; i++) {
        const acl_t *a = &st->acls[i];
        if (a->resource_type != req->resource_type ||
            !name_applies(a, req->resource_name)) {
            continue;
        }
        any = true;
        if ((strcmp(a->principal, req->principal) != 0 &&
             strcmp(a->principal, "User:*") != 0) ||
            (strcmp(a->host, "*") != 0 && strcmp(a->host, req->host) != 0) ||
            !op_applies(a, req->operation)) {
            continue;
        }
        deny = a->permission == SAMSA_ACL_PERMISSION_DENY;
        allow = allow || a->permission == SAMSA_ACL_PERMISSION_ALLOW;
    }
    pthread_rwlock_unlock(&st->lock);
    return !deny && (allow || (!any && allow_if_none));
}

static bool str_matches(const char *filter, const char *value)
{
    return !filter || strcmp(filter, value) == 0;
}

static bool filter_matches(const samsa_acl_binding_t *f, const acl_t *a)
{
    if ((f->resource_type != SAMSA_RESOURCE_ANY &&
         f->resource_type != a->resource_type) ||
        (f->operation != SAMSA_ACL_OP_ANY && f->operation != a->operation) ||
        (f->permission != SAMSA_ACL_PERMISSION_ANY &&
         f->permission != a->permission) ||
        !str_matches(f->principal, a->principal) ||
        !str_matches(f->host, a->host)) {
        return false;
    }
    switch (f->pattern_type) {
    case SAMSA_ACL_PATTERN_ANY:
        return str_matches(f->resource_name, a->name);
    case SAMSA_ACL_PATTERN_MATCH:
        return !f->resource_name || name_applies(a, f->resource_name);
    default:
        return f->pattern_type == a->pattern_type &&
               str_matches(f->resource_name, a->name);
    }
}

/* ---- persistence: one ACL per line, strings hex-encoded --------------- */

static void hex(FILE *f, const char *s)
{
    for (; *s; s++) {
        fprintf(f, "%02x", (unsigned char)*s);
    }
    fputc(' ', f);
}

static char *unhex(const samsa_services_t *svc, const char *s, size_t n)
{
    char *out = svc->alloc(n / 2 + 1);
    if (!out || n % 2) {
        svc->free(out);
        return NULL;
    }
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            svc->free(out);
            return NULL;
        }
        out[i] = (char)v;
    }
    out[n / 2] = '\0';
    return out;
}

static samsa_err_t save(acl_store_t *st)
{
    if (st->hosted) {
        return SAMSA_OK;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        return SAMSA_ERR_NOMEM;
    }
    fprintf(f, "# authorizer-acl: resource_type pattern_type operation "
               "permission name principal host (hex)\n");
    for (size_t i = 0; i < st->count; i++) {
        const acl_t *a = &st->acls[i];
        fprintf(f, "%u %u %u %u ", a->resource_type, a->pattern_type,
                a->operation, a->permission);
        hex(f, a->name);
        hex(f, a->principal);
        hex(f, a->host);
        fputc('\n', f);
    }
    fclose(f);
    int rc = samsa_file_replace(st->path, NULL, buf, len, true);
    free(buf);
    return rc == 0 ? SAMSA_OK : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

static void acl_free(const samsa_services_t *svc, acl_t *a)
{
    svc->free(a->name);
    svc->free(a->principal);
    svc->free(a->host);
}

static bool parse_line(const samsa_services_t *svc, const char *line, acl_t *a)
{
    char n[1024], p[1024], h[1024];
    memset(a, 0, sizeof(*a));
    if (sscanf(line, "%u %u %u %u %1023s %1023s %1023s", &a->resource_type,
               &a->pattern_type, &a->operation, &a->permission, n, p, h) != 7) {
        return false;
    }
    a->name = unhex(svc, n, strlen(n));
    a->principal = unhex(svc, p, strlen(p));
    a->host = unhex(svc, h, strlen(h));
    if (!a->name || !a->principal || !a->host) {
        acl_free(svc, a);
        return false;
    }
    return true;
}

static samsa_err_t push(acl_store_t *st, const acl_t *a)
{
    acl_t *grown =
        st->svc->realloc(st->acls, (st->count + 1) * sizeof(*st->acls));
    if (!grown) {
        return SAMSA_ERR_NOMEM;
    }
    st->acls = grown;
    st->acls[st->count++] = *a;
    return SAMSA_OK;
}

samsa_err_t acl_store_open(const samsa_services_t *svc, const char *data_dir,
                           acl_store_t **out, char *errbuf, size_t errbuf_size)
{
    acl_store_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->svc = svc;
    pthread_rwlock_init(&st->lock, NULL);
    snprintf(st->path, sizeof(st->path), "%s/__samsa_meta", data_dir);
    mkdir(st->path, 0755);
    snprintf(st->path, sizeof(st->path), "%s/__samsa_meta/acls", data_dir);
    FILE *f = fopen(st->path, "r");
    samsa_err_t rc = SAMSA_OK;
    if (!f && errno != ENOENT) {
        snprintf(errbuf, errbuf_size, "%s: %s", st->path, strerror(errno));
        rc = SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    char line[4096];
    unsigned lineno = 0;
    while (f && rc == SAMSA_OK && fgets(line, sizeof(line), f)) {
        acl_t a;
        lineno++;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        if (!parse_line(svc, line, &a)) {
            snprintf(errbuf, errbuf_size, "%s:%u: damaged ACL line", st->path,
                     lineno);
            rc = SAMSA_ERR_KAFKA_STORAGE_ERROR;
        } else if ((rc = push(st, &a)) != SAMSA_OK) {
            acl_free(svc, &a);
        }
    }
    if (f) {
        fclose(f);
    }
    if (rc != SAMSA_OK) {
        acl_store_close(st);
        return rc;
    }
    *out = st;
    return SAMSA_OK;
}

void acl_store_close(acl_store_t *st)
{
    if (!st) {
        return;
    }
    for (size_t i = 0; i < st->count; i++) {
        acl_free(st->svc, &st->acls[i]);
    }
    st->svc->free(st->acls);
    pthread_rwlock_destroy(&st->lock);
    st->svc->free(st);
}

static char *dup(const samsa_services_t *svc, const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = svc->alloc(n);
    if (c) {
        memcpy(c, s, n);
    }
    return c;
}

samsa_err_t acl_store_add(acl_store_t *st, const samsa_acl_binding_t *b)
{
    const samsa_acl_binding_t filter = *b;
    bool exists = false;
    pthread_rwlock_wrlock(&st->lock);
    for (size_t i = 0; i < st->count; i++) {
        exists = exists || filter_matches(&filter, &st->acls[i]);
    }
    samsa_err_t rc = SAMSA_OK;
    if (!exists) {
        acl_t a = {dup(st->svc, b->resource_name),
                   dup(st->svc, b->principal),
                   dup(st->svc, b->host),
                   b->resource_type,
                   b->pattern_type,
                   b->operation,
                   b->permission};
        rc = a.name && a.principal && a.host ? push(st, &a) : SAMSA_ERR_NOMEM;
        if (rc == SAMSA_OK && (rc = save(st)) != SAMSA_OK) {
            st->count--;
        }
        if (rc != SAMSA_OK) {
            acl_free(st->svc, &a);
        }
    }
    pthread_rwlock_unlock(&st->lock);
    return rc;
}

static samsa_acl_binding_t binding_of(const acl_t *a)
{
    return (samsa_acl_binding_t){
        .hdr = SAMSA_ABI_HEADER(samsa_acl_binding_t),
        .resource_name = a->name,
        .principal = a->principal,
        .host = a->host,
        .resource_type = a->resource_type,
        .pattern_type = a->pattern_type,
        .operation = a->operation,
        .permission = a->permission,
    };
}

samsa_err_t acl_store_remove(acl_store_t *st, const samsa_acl_binding_t *filter,
                             samsa_acl_each_fn each, void *arg)
{
    pthread_rwlock_wrlock(&st->lock);
    size_t kept = 0, before = st->count;
    acl_t *gone = st->svc->alloc((before ? before : 1) * sizeof(*gone));
    size_t ngone = 0;
    samsa_err_t rc = gone ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (size_t i = 0; rc == SAMSA_OK && i < before; i++) {
        if (filter_matches(filter, &st->acls[i])) {
            gone[ngone++] = st->acls[i];
        } else {
            st->acls[kept++] = st->acls[i];
        }
    }
    if (rc == SAMSA_OK && ngone > 0) {
        st->count = kept;
        rc = save(st);
        if (rc != SAMSA_OK) { /* not persisted: keep them */
            memcpy(st->acls + kept, gone, ngone * sizeof(*gone));
            st->count = before;
            ngone = 0;
        }
    }
    pthread_rwlock_unlock(&st->lock);
    for (size_t i = 0; i < ngone; i++) {
        samsa_acl_binding_t b = binding_of(&gone[i]);
        if (each) {
            each(arg, &b);
        }
        acl_free(st->svc, &gone[i]);
    }
    st->svc->free(gone);
    return rc;
}

void acl_store_each(acl_store_t *st, const samsa_acl_binding_t *filter,
                    samsa_acl_each_fn each, void *arg)
{
    pthread_rwlock_rdlock(&st->lock);
    for (size_t i = 0; i < st->count; i++) {
        if (filter_matches(filter, &st->acls[i])) {
            samsa_acl_binding_t b = binding_of(&st->acls[i]);
            each(arg, &b);
        }
    }
    pthread_rwlock_unlock(&st->lock);
}

samsa_err_t acl_store_replace(acl_store_t *st, const samsa_acl_binding_t *acls,
                              size_t count)
{
    acl_t *next = st->svc->alloc((count ? count : 1) * sizeof(*next));
    size_t n = 0;
    bool ok = next != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        const samsa_acl_binding_t *b = &acls[i];
        next[n] = (acl_t){dup(st->svc, b->resource_name),
                          dup(st->svc, b->principal),
                          dup(st->svc, b->host),
                          b->resource_type,
                          b->pattern_type,
                          b->operation,
                          b->permission};
        ok = next[n].name && next[n].principal && next[n].host;
        n++;
    }
    if (!ok) {
        for (size_t i = 0; next && i < n; i++) {
            acl_free(st->svc, &next[i]);
        }
        st->svc->free(next);
        return SAMSA_ERR_NOMEM;
    }
    pthread_rwlock_wrlock(&st->lock);
    acl_t *old = st->acls;
    size_t old_count = st->count;
    st->acls = next;
    st->count = n;
    st->hosted = true;
    pthread_rwlock_unlock(&st->lock);
    for (size_t i = 0; i < old_count; i++) {
        acl_free(st->svc, &old[i]);
    }
    st->svc->free(old);
    return SAMSA_OK;
}
