/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/image_security.c - see image_security.h. */
#include "metadata/image_security.h"

#include <stdlib.h>
#include <string.h>

#include "metadata/mdrec_codec.h"

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */
/* ------------------------------------------------------------------ */

static void acl_free(samsa_meta_acl_t *a)
{
    free(a->resource_name);
    free(a->principal);
    free(a->host);
}

static void quota_free(samsa_meta_quota_t *q)
{
    free(q->user);
    free(q->client);
    free(q->key);
}

static void config_free(samsa_meta_broker_config_t *c)
{
    free(c->resource);
    free(c->key);
    free(c->value);
}

void samsa_meta_security_put(samsa_meta_security_t *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) {
        return;
    }
    for (size_t i = 0; i < s->acl_count; i++) {
        acl_free(&s->acls[i]);
    }
    for (size_t i = 0; i < s->scram_count; i++) {
        free(s->scram[i].user);
    }
    for (size_t i = 0; i < s->quota_count; i++) {
        quota_free(&s->quotas[i]);
    }
    for (size_t i = 0; i < s->config_count; i++) {
        config_free(&s->configs[i]);
    }
    free(s->acls);
    free(s->scram);
    free(s->quotas);
    free(s->configs);
    free(s->bootstrap_users);
    free(s);
}

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    *ok = *ok && (!s || d);
    return d;
}

/* A private copy of @p s (NULL: an empty part). */
static samsa_meta_security_t *security_copy(const samsa_meta_security_t *s)
{
    samsa_meta_security_t *c = calloc(1, sizeof(*c));
    bool ok = c != NULL;
    if (!ok) {
        return NULL;
    }
    atomic_init(&c->refs, 1);
    if (!s) {
        return c;
    }
    c->acls = calloc(s->acl_count + 1, sizeof(*c->acls));
    c->scram = calloc(s->scram_count + 1, sizeof(*c->scram));
    c->quotas = calloc(s->quota_count + 1, sizeof(*c->quotas));
    c->configs = calloc(s->config_count + 1, sizeof(*c->configs));
    ok = c->acls && c->scram && c->quotas && c->configs;
    for (size_t i = 0; ok && i < s->acl_count; i++) {
        samsa_meta_acl_t *d = &c->acls[c->acl_count++];
        *d = s->acls[i];
        d->resource_name = dup_or_null(s->acls[i].resource_name, &ok);
        d->principal = dup_or_null(s->acls[i].principal, &ok);
        d->host = dup_or_null(s->acls[i].host, &ok);
    }
    for (size_t i = 0; ok && i < s->scram_count; i++) {
        samsa_meta_scram_t *d = &c->scram[c->scram_count++];
        *d = s->scram[i];
        d->user = dup_or_null(s->scram[i].user, &ok);
    }
    for (size_t i = 0; ok && i < s->quota_count; i++) {
        samsa_meta_quota_t *d = &c->quotas[c->quota_count++];
        *d = s->quotas[i];
        d->user = dup_or_null(s->quotas[i].user, &ok);
        d->client = dup_or_null(s->quotas[i].client, &ok);
        d->key = dup_or_null(s->quotas[i].key, &ok);
    }
    for (size_t i = 0; ok && i < s->config_count; i++) {
        samsa_meta_broker_config_t *d = &c->configs[c->config_count++];
        d->resource = dup_or_null(s->configs[i].resource, &ok);
        d->key = dup_or_null(s->configs[i].key, &ok);
        d->value = dup_or_null(s->configs[i].value, &ok);
    }
    c->bootstrapped = s->bootstrapped;
    c->bootstrap_node = s->bootstrap_node;
    c->bootstrap_users = dup_or_null(s->bootstrap_users, &ok);
    if (!ok) {
        samsa_meta_security_put(c);
        return NULL;
    }
    return c;
}

/* The image's part, made private to it (copy on write). */
static samsa_meta_security_t *security_mut(samsa_meta_image_t *img)
{
    samsa_meta_security_t *s = img->security;
    if (s && atomic_load(&s->refs) == 1) {
        return s;
    }
    samsa_meta_security_t *c = security_copy(s);
    if (c) {
        samsa_meta_security_put(s);
        img->security = c;
    }
    return c;
}

/* ------------------------------------------------------------------ */
/* Records: encoding                                                  */
/* ------------------------------------------------------------------ */

static void enc_bytes(samsa_mdenc_t *e, const uint8_t *p, uint32_t n)
{
    samsa_wbuf_i32(&e->w, (int32_t)n);
    samsa_wbuf_raw(&e->w, p, n);
}

samsa_err_t samsa_mdrec_acl(const samsa_meta_acl_t *a, bool add,
                            samsa_meta_rec_t *out)
{
    samsa_mdenc_t e;
    samsa_mdenc_start(&e, add ? SAMSA_MDREC_ACL_ADD : SAMSA_MDREC_ACL_REMOVE);
    samsa_wbuf_i8(&e.w, a->resource_type);
    samsa_mdenc_str(&e, a->resource_name);
    samsa_wbuf_i8(&e.w, a->pattern_type);
    samsa_mdenc_str(&e, a->principal);
    samsa_mdenc_str(&e, a->host);
    samsa_wbuf_i8(&e.w, a->operation);
    samsa_wbuf_i8(&e.w, a->permission);
    return samsa_mdenc_finish(&e, out);
}

samsa_err_t samsa_mdrec_scram_upsert(const samsa_meta_scram_t *s,
                                     samsa_meta_rec_t *out)
{
    samsa_mdenc_t e;
    samsa_mdenc_start(&e, SAMSA_MDREC_SCRAM_UPSERT);
    samsa_mdenc_str(&e, s->user);
    samsa_wbuf_i8(&e.w, s->mechanism);
    samsa_wbuf_i32(&e.w, (int32_t)s->cred.iterations);
    enc_bytes(&e, s->cred.salt, s->cred.salt_len);
    enc_bytes(&e, s->cred.stored_key, s->cred.key_len);
    enc_bytes(&e, s->cred.server_key, s->cred.key_len);
    return samsa_mdenc_finish(&e, out);
}

samsa_err_t samsa_mdrec_scram_delete(const char *user, int8_t mechanism,
                                     samsa_meta_rec_t *out)
{
    samsa_mdenc_t e;
    samsa_mdenc_start(&e, SAMSA_MDREC_SCRAM_DELETE);
    samsa_mdenc_str(&e, user);
    samsa_wbuf_i8(&e.w, mechanism);
    return samsa_mdenc_finish(&e, out);
}

samsa_err_t samsa_mdrec_client_quota(const samsa_meta_quota_t *q, bool remove,
                                     samsa_meta_rec_t *out)
{
    samsa_mdenc_t e;
    samsa_mdenc_start(&e, SAMSA_MDREC_CLIENT_QUOTA);
    samsa_wbuf_i8(&e.w, q->has_user);
    samsa_mdenc_str(&e, q->user);
    samsa_wbuf_i8(&e.w, q->has_client);
    samsa_mdenc_str(&e, q->client);
    samsa_mdenc_str(&e, q->key);
    samsa_wbuf_f64(&e.w, q->value);
    samsa_wbuf_i8(&e.w, remove);
    return samsa_mdenc_finish(&e, out);
}

samsa_err_t samsa_mdrec_broker_config(const char *resource, const char *key,
                                      const char *value, samsa_meta_rec_t *out)
{
    samsa_mdenc_t e;
    samsa_mdenc_start(&e, SAMSA_MDREC_BROKER_CONFIG);
    samsa_mdenc_str(&e, resource);
    samsa_mdenc_str(&e, key);
    samsa_mdenc_str(&e, value);
    return samsa_mdenc_finish(&e, out);
}

samsa_err_t samsa_mdrec_scram_bootstrap(int32_t node, const char *users,
                                        samsa_meta_rec_t *out)
{
    samsa_mdenc_t e;
    samsa_mdenc_start(&e, SAMSA_MDREC_SCRAM_BOOTSTRAP);
    samsa_wbuf_i32(&e.w, node);
    samsa_mdenc_str(&e, users);
    return samsa_mdenc_finish(&e, out);
}

samsa_err_t samsa_meta_security_encode(const samsa_meta_security_t *s,
                                       samsa_meta_rec_sink_fn put, void *arg)
{
    samsa_err_t err = SAMSA_OK;
    samsa_meta_rec_t rec;
    if (s && s->bootstrapped) {
        err = samsa_mdrec_scram_bootstrap(s->bootstrap_node, s->bootstrap_users,
                                          &rec);
        err = err == SAMSA_OK ? put(arg, &rec) : err;
    }
    for (size_t i = 0; s && err == SAMSA_OK && i < s->acl_count; i++) {
        err = samsa_mdrec_acl(&s->acls[i], true, &rec);
        err = err == SAMSA_OK ? put(arg, &rec) : err;
    }
    for (size_t i = 0; s && err == SAMSA_OK && i < s->scram_count; i++) {
        err = samsa_mdrec_scram_upsert(&s->scram[i], &rec);
        err = err == SAMSA_OK ? put(arg, &rec) : err;
    }
    for (size_t i = 0; s && err == SAMSA_OK && i < s->quota_count; i++) {
        err = samsa_mdrec_client_quota(&s->quotas[i], false, &rec);
        err = err == SAMSA_OK ? put(arg, &rec) : err;
    }
    for (size_t i = 0; s && err == SAMSA_OK && i < s->config_count; i++) {
        const samsa_meta_broker_config_t *c = &s->configs[i];
        err = samsa_mdrec_broker_config(c->resource, c->key, c->value, &rec);
        err = err == SAMSA_OK ? put(arg, &rec) : err;
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Records: applying                                                  */
/* ------------------------------------------------------------------ */

/* Bytes into @p dst (at most @p cap); their number. */
static uint32_t dec_bytes(samsa_mddec_t *d, uint8_t *dst, size_t cap)
{
    int32_t n = samsa_mddec_i32(d);
    const uint8_t *p = NULL;
    if (d->err == SAMSA_OK && (n < 0 || (size_t)n > cap)) {
        d->err = SAMSA_ERR_CORRUPT;
    }
    if (d->err == SAMSA_OK) {
        d->err = samsa_rbuf_read_raw(&d->rb, (size_t)n, &p);
    }
    if (d->err != SAMSA_OK) {
        return 0;
    }
    memcpy(dst, p, (size_t)n);
    return (uint32_t)n;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool acl_eq(const samsa_meta_acl_t *a, const samsa_meta_acl_t *b)
{
    return a->resource_type == b->resource_type &&
           a->pattern_type == b->pattern_type && a->operation == b->operation &&
           a->permission == b->permission &&
           str_eq(a->resource_name, b->resource_name) &&
           str_eq(a->principal, b->principal) && str_eq(a->host, b->host);
}

/* Grow an array by one element (zeroed); NULL on out of memory. */
static void *grow(void **arr, size_t count, size_t size)
{
    char *n = realloc(*arr, (count + 1) * size);
    if (!n) {
        return NULL;
    }
    *arr = n;
    memset(n + count * size, 0, size);
    return n + count * size;
}

static samsa_err_t apply_acl(samsa_meta_image_t *img, samsa_mddec_t *d,
                             bool add)
{
    samsa_meta_acl_t a = {0};
    a.resource_type = samsa_mddec_i8(d);
    a.resource_name = samsa_mddec_str(d);
    a.pattern_type = samsa_mddec_i8(d);
    a.principal = samsa_mddec_str(d);
    a.host = samsa_mddec_str(d);
    a.operation = samsa_mddec_i8(d);
    a.permission = samsa_mddec_i8(d);
    samsa_err_t err = d->err;
    if (err == SAMSA_OK && (!a.resource_name || !a.principal || !a.host)) {
        err = SAMSA_ERR_CORRUPT;
    }
    samsa_meta_security_t *s = err == SAMSA_OK ? security_mut(img) : NULL;
    if (err == SAMSA_OK && !s) {
        err = SAMSA_ERR_NOMEM;
    }
    size_t at = 0;
    while (s && at < s->acl_count && !acl_eq(&s->acls[at], &a)) {
        at++;
    }
    if (err == SAMSA_OK && add && at == s->acl_count) {
        samsa_meta_acl_t *slot =
            grow((void **)&s->acls, s->acl_count, sizeof(*slot));
        if (!slot) {
            err = SAMSA_ERR_NOMEM;
        } else {
            *slot = a;
            s->acl_count++;
            return SAMSA_OK; /* taken */
        }
    } else if (err == SAMSA_OK && !add && at < s->acl_count) {
        acl_free(&s->acls[at]);
        memmove(&s->acls[at], &s->acls[at + 1],
                (s->acl_count - at - 1) * sizeof(*s->acls));
        s->acl_count--;
    }
    acl_free(&a); /* a duplicate add or an absent remove: no change */
    return err;
}

static samsa_meta_scram_t *scram_find(samsa_meta_security_t *s,
                                      const char *user, int8_t mechanism)
{
    for (size_t i = 0; s && i < s->scram_count; i++) {
        if (s->scram[i].mechanism == mechanism &&
            strcmp(s->scram[i].user, user) == 0) {
            return &s->scram[i];
        }
    }
    return NULL;
}

static samsa_err_t apply_scram(samsa_meta_image_t *img, samsa_mddec_t *d,
                               bool upsert, samsa_err_t *outcome)
{
    samsa_meta_scram_t n = {0};
    n.user = samsa_mddec_str(d);
    n.mechanism = samsa_mddec_i8(d);
    if (upsert) {
        n.cred = (samsa_scram_credential_t){
            .hdr = SAMSA_ABI_HEADER(samsa_scram_credential_t)};
        n.cred.iterations = (uint32_t)samsa_mddec_i32(d);
        n.cred.salt_len = dec_bytes(d, n.cred.salt, sizeof(n.cred.salt));
        n.cred.key_len =
            dec_bytes(d, n.cred.stored_key, sizeof(n.cred.stored_key));
        if (dec_bytes(d, n.cred.server_key, sizeof(n.cred.server_key)) !=
                n.cred.key_len &&
            d->err == SAMSA_OK) {
            d->err = SAMSA_ERR_CORRUPT;
        }
    }
    samsa_err_t err = d->err;
    if (err == SAMSA_OK && !n.user) {
        err = SAMSA_ERR_CORRUPT;
    }
    samsa_meta_security_t *s = err == SAMSA_OK ? security_mut(img) : NULL;
    if (err == SAMSA_OK && !s) {
        err = SAMSA_ERR_NOMEM;
    }
    samsa_meta_scram_t *old = s ? scram_find(s, n.user, n.mechanism) : NULL;
    if (err == SAMSA_OK && upsert && old) {
        old->cred = n.cred;
    } else if (err == SAMSA_OK && upsert) {
        samsa_meta_scram_t *slot =
            grow((void **)&s->scram, s->scram_count, sizeof(*slot));
        if (!slot) {
            err = SAMSA_ERR_NOMEM;
        } else {
            *slot = n;
            s->scram_count++;
            return SAMSA_OK; /* the user's name is taken */
        }
    } else if (err == SAMSA_OK && old) {
        free(old->user);
        *old = s->scram[--s->scram_count];
    } else if (err == SAMSA_OK) {
        *outcome = SAMSA_ERR_RESOURCE_NOT_FOUND;
    }
    free(n.user);
    return err;
}

static bool same_entity(const samsa_meta_quota_t *a,
                        const samsa_meta_quota_t *b)
{
    return a->has_user == b->has_user && a->has_client == b->has_client &&
           str_eq(a->user, b->user) && str_eq(a->client, b->client);
}

static samsa_err_t apply_quota(samsa_meta_image_t *img, samsa_mddec_t *d)
{
    samsa_meta_quota_t q = {0};
    q.has_user = samsa_mddec_i8(d) != 0;
    q.user = samsa_mddec_str(d);
    q.has_client = samsa_mddec_i8(d) != 0;
    q.client = samsa_mddec_str(d);
    q.key = samsa_mddec_str(d);
    if (d->err == SAMSA_OK) {
        d->err = samsa_rbuf_read_f64(&d->rb, &q.value);
    }
    bool remove = samsa_mddec_i8(d) != 0;
    samsa_err_t err = d->err;
    if (err == SAMSA_OK && (!q.key || (!q.has_user && !q.has_client))) {
        err = SAMSA_ERR_CORRUPT;
    }
    samsa_meta_security_t *s = err == SAMSA_OK ? security_mut(img) : NULL;
    if (err == SAMSA_OK && !s) {
        err = SAMSA_ERR_NOMEM;
    }
    size_t at = 0;
    while (s && at < s->quota_count &&
           !(same_entity(&s->quotas[at], &q) &&
             strcmp(s->quotas[at].key, q.key) == 0)) {
        at++;
    }
    if (err == SAMSA_OK && !remove && at < s->quota_count) {
        s->quotas[at].value = q.value;
    } else if (err == SAMSA_OK && !remove) {
        samsa_meta_quota_t *slot =
            grow((void **)&s->quotas, s->quota_count, sizeof(*slot));
        if (!slot) {
            err = SAMSA_ERR_NOMEM;
        } else {
            *slot = q;
            s->quota_count++;
            return SAMSA_OK; /* taken */
        }
    } else if (err == SAMSA_OK && at < s->quota_count) {
        quota_free(&s->quotas[at]);
        memmove(&s->quotas[at], &s->quotas[at + 1],
                (s->quota_count - at - 1) * sizeof(*s->quotas));
        s->quota_count--;
    }
    quota_free(&q);
    return err;
}

static samsa_err_t apply_config(samsa_meta_image_t *img, samsa_mddec_t *d)
{
    samsa_meta_broker_config_t c = {0};
    c.resource = samsa_mddec_str(d);
    c.key = samsa_mddec_str(d);
    c.value = samsa_mddec_str(d);
    samsa_err_t err = d->err;
    if (err == SAMSA_OK && (!c.resource || !c.key)) {
        err = SAMSA_ERR_CORRUPT;
    }
    samsa_meta_security_t *s = err == SAMSA_OK ? security_mut(img) : NULL;
    if (err == SAMSA_OK && !s) {
        err = SAMSA_ERR_NOMEM;
    }
    size_t at = 0;
    while (s && at < s->config_count &&
           !(strcmp(s->configs[at].resource, c.resource) == 0 &&
             strcmp(s->configs[at].key, c.key) == 0)) {
        at++;
    }
    if (err == SAMSA_OK && c.value && at < s->config_count) {
        free(s->configs[at].value);
        s->configs[at].value = c.value;
        c.value = NULL;
    } else if (err == SAMSA_OK && c.value) {
        samsa_meta_broker_config_t *slot =
            grow((void **)&s->configs, s->config_count, sizeof(*slot));
        if (!slot) {
            err = SAMSA_ERR_NOMEM;
        } else {
            *slot = c;
            s->config_count++;
            return SAMSA_OK; /* taken */
        }
    } else if (err == SAMSA_OK && at < s->config_count) {
        config_free(&s->configs[at]);
        memmove(&s->configs[at], &s->configs[at + 1],
                (s->config_count - at - 1) * sizeof(*s->configs));
        s->config_count--;
    }
    config_free(&c);
    return err;
}

/* Only the first marker counts: the log has one start. */
static samsa_err_t apply_bootstrap(samsa_meta_image_t *img, samsa_mddec_t *d)
{
    int32_t node = samsa_mddec_i32(d);
    char *users = samsa_mddec_str(d);
    samsa_err_t err = d->err;
    samsa_meta_security_t *s = NULL;
    if (err == SAMSA_OK && !(img->security && img->security->bootstrapped)) {
        s = security_mut(img);
        err = s ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    if (s) {
        s->bootstrapped = true;
        s->bootstrap_node = node;
        s->bootstrap_users = users;
        return SAMSA_OK; /* taken */
    }
    free(users);
    return err;
}

samsa_err_t samsa_meta_security_apply(samsa_meta_image_t *img,
                                      const uint8_t *rec, size_t len,
                                      samsa_err_t *outcome)
{
    samsa_mddec_t d = {.err = SAMSA_OK};
    samsa_rbuf_init(&d.rb, rec, len);
    int8_t format = samsa_mddec_i8(&d);
    int8_t type = samsa_mddec_i8(&d);
    *outcome = SAMSA_OK;
    if (d.err != SAMSA_OK || format != SAMSA_MDREC_FORMAT) {
        return SAMSA_ERR_CORRUPT;
    }
    switch (type) {
    case SAMSA_MDREC_ACL_ADD:
    case SAMSA_MDREC_ACL_REMOVE:
        return apply_acl(img, &d, type == SAMSA_MDREC_ACL_ADD);
    case SAMSA_MDREC_SCRAM_UPSERT:
    case SAMSA_MDREC_SCRAM_DELETE:
        return apply_scram(img, &d, type == SAMSA_MDREC_SCRAM_UPSERT, outcome);
    case SAMSA_MDREC_CLIENT_QUOTA:
        return apply_quota(img, &d);
    case SAMSA_MDREC_BROKER_CONFIG:
        return apply_config(img, &d);
    case SAMSA_MDREC_SCRAM_BOOTSTRAP:
        return apply_bootstrap(img, &d);
    default:
        return SAMSA_OK; /* a newer node's record: skipped */
    }
}

const char *samsa_meta_broker_config(const samsa_meta_image_t *img,
                                     const char *resource, const char *key)
{
    const samsa_meta_security_t *s = img ? img->security : NULL;
    for (size_t i = 0; s && i < s->config_count; i++) {
        if (strcmp(s->configs[i].resource, resource) == 0 &&
            strcmp(s->configs[i].key, key) == 0) {
            return s->configs[i].value;
        }
    }
    return NULL;
}
