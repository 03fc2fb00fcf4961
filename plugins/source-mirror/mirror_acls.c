/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_acls.c - MM2's topic ACL sync
 * (sync.topic.acls.enabled, every sync.topic.acls.interval.seconds): the
 * source cluster's ACLs on topics that are mirrored are created on their
 * remote topics. As MirrorSourceConnector does:
 *   - only LITERAL patterns (a prefixed one cannot be renamed);
 *   - ALLOW WRITE is not copied: only the mirror writes remote topics;
 *   - ALLOW ALL becomes ALLOW READ; everything else (DENY included) is
 *     copied as it is;
 *   - ACLs are only ever added, never removed from the target.
 * A source without an authorizer (SECURITY_DISABLED) is said once, and
 * asked again every interval.
 */
#include <string.h>

#include <samsa/authorizer.h>

#include "connect_setting.h"
#include "mirror_task.h"

#define REMOTE_MAX 512

typedef struct acl_list {
    samsa_connect_task_t *t;
    samsa_acl_binding_t *v;
    size_t n, cap;
} acl_list_t;

static void acl_list_free(acl_list_t *l)
{
    const samsa_services_t *svc = l->t->svc;
    for (size_t i = 0; i < l->n; i++) {
        svc->free((char *)l->v[i].resource_name);
        svc->free((char *)l->v[i].principal);
        svc->free((char *)l->v[i].host);
    }
    svc->free(l->v);
}

/* The binding MM2 creates on the target for @p acl, into @p l; nothing
 * for an ACL MM2 does not copy. */
static void on_acl(void *arg, const samsa_acl_binding_t *acl)
{
    acl_list_t *l = arg;
    samsa_connect_task_t *t = l->t;
    const samsa_services_t *svc = t->svc;
    char remote[REMOTE_MAX];
    if (acl->resource_type != SAMSA_RESOURCE_TOPIC ||
        acl->pattern_type != SAMSA_ACL_PATTERN_LITERAL ||
        (acl->permission == SAMSA_ACL_PERMISSION_ALLOW &&
         acl->operation == SAMSA_ACL_OP_WRITE) ||
        !samsa_mirror_replicated(t, acl->resource_name, remote,
                                 sizeof(remote))) {
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        samsa_acl_binding_t *v = svc->realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    samsa_acl_binding_t b = *acl;
    if (b.permission == SAMSA_ACL_PERMISSION_ALLOW &&
        b.operation == SAMSA_ACL_OP_ALL) {
        b.operation = SAMSA_ACL_OP_READ;
    }
    b.resource_name = samsa_connect_strdup(svc, remote);
    b.principal = samsa_connect_strdup(svc, acl->principal);
    b.host = samsa_connect_strdup(svc, acl->host);
    if (b.resource_name == NULL || b.principal == NULL || b.host == NULL) {
        svc->free((char *)b.resource_name);
        svc->free((char *)b.principal);
        svc->free((char *)b.host);
        return;
    }
    l->v[l->n++] = b;
}

void samsa_mirror_sync_acls(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    acl_list_t l = {.t = t};
    samsa_err_t err = svc->kafka_acls(t->src, SAMSA_RESOURCE_TOPIC, on_acl, &l);
    if (err == SAMSA_ERR_SECURITY_DISABLED) {
        if (!t->acls_disabled_logged) {
            svc->log(t->inst, SAMSA_LOG_INFO,
                     "the source cluster has no ACL authorizer: no topic ACL "
                     "is synced (sync.topic.acls.enabled=false says so)");
            t->acls_disabled_logged = true;
        }
    } else if (err != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "ACLs of the source cluster: %s",
                 svc->kafka_errmsg(t->src));
    } else if (l.n > 0 &&
               svc->kafka_create_acls(t->tgt, l.v, l.n) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN,
                 "topic ACLs on the target cluster: %s",
                 svc->kafka_errmsg(t->tgt));
    }
    acl_list_free(&l);
}
