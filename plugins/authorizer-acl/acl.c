/* SPDX-License-Identifier: Apache-2.0 */
/*
 * authorizer-acl: Kafka's ACL authorizer (StandardAuthorizer's model).
 * ACLs on topics, groups, the cluster and transactional ids, literal
 * (a name, or "*") or prefixed, ALLOW or DENY for a principal ("User:*":
 * everyone) from a host ("*": anywhere). A matching DENY beats any ALLOW;
 * super_users may do everything; with no ACL on a resource the answer is
 * allow_everyone_if_no_acl_found (false by default: deny). ACLs are
 * managed with CreateAcls, DescribeAcls and DeleteAcls and kept in the
 * data dir (acl_store.c), or, in a cluster, by the broker in its metadata
 * log, which hands them over with set_acls.
 */
#include <stdio.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "acl_store.h"

typedef struct acl_state {
    const samsa_services_t *svc;
    acl_store_t *store;
    const char *const *super_users;
    size_t super_count;
    bool allow_if_none;
} acl_state_t;

static samsa_err_t acl_authorize(void *state, const samsa_authz_request_t *req)
{
    acl_state_t *st = state;
    for (size_t i = 0; i < st->super_count; i++) {
        if (strcmp(st->super_users[i], req->principal) == 0) {
            return SAMSA_OK;
        }
    }
    return acl_store_allows(st->store, req, st->allow_if_none)
               ? SAMSA_OK
               : samsa_authz_deny_code(req->resource_type);
}

static samsa_err_t acl_create(void *state, const samsa_acl_binding_t *acl)
{
    acl_state_t *st = state;
    if (!samsa_acl_binding_valid(acl)) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    return acl_store_add(st->store, acl);
}

static samsa_err_t acl_delete(void *state, const samsa_acl_binding_t *filter,
                              samsa_acl_each_fn each, void *arg)
{
    return acl_store_remove(((acl_state_t *)state)->store, filter, each, arg);
}

static samsa_err_t acl_describe(void *state, const samsa_acl_binding_t *filter,
                                samsa_acl_each_fn each, void *arg)
{
    acl_store_each(((acl_state_t *)state)->store, filter, each, arg);
    return SAMSA_OK;
}

static samsa_err_t acl_set(void *state, const samsa_acl_binding_t *acls,
                           size_t count)
{
    return acl_store_replace(((acl_state_t *)state)->store, acls, count);
}

static samsa_err_t acl_init(const samsa_services_t *svc,
                            const samsa_instance_t *inst, void **state,
                            char *errbuf, size_t errbuf_size)
{
    acl_state_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->svc = svc;
    svc->config_list(inst->config, "super_users", &st->super_users,
                     &st->super_count);
    svc->config_bool(inst->config, "allow_everyone_if_no_acl_found",
                     &st->allow_if_none);
    samsa_err_t rc =
        acl_store_open(svc, inst->data_dir, &st->store, errbuf, errbuf_size);
    if (rc != SAMSA_OK) {
        svc->free(st);
        return rc;
    }
    *state = st;
    return SAMSA_OK;
}

static void acl_fini(void *state)
{
    acl_state_t *st = state;
    if (st) {
        acl_store_close(st->store);
        st->svc->free(st);
    }
}

static const samsa_option_t acl_options[] = {
    SAMSA_OPTION_LIST("super_users", "[]",
                      "Principals allowed everything, e.g. [\"User:admin\"] "
                      "(super.users)."),
    SAMSA_OPTION_BOOL("allow_everyone_if_no_acl_found", "false",
                      "Allow a request on a resource no ACL names "
                      "(allow.everyone.if.no.acl.found); false denies it."),
    SAMSA_OPTION_END,
};

static const samsa_authorizer_ops_t acl_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_authorizer_ops_t),
    .authorize = acl_authorize,
    .create_acl = acl_create,
    .delete_acls = acl_delete,
    .describe_acls = acl_describe,
    .set_acls = acl_set,
};

static const samsa_plugin_t acl_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_AUTHORIZER,
    .name = "authorizer-acl",
    .version = "1.0.0",
    .summary = "Kafka's ACLs: literal and prefixed, allow and deny, super "
               "users",
    .options = acl_options,
    .init = acl_init,
    .fini = acl_fini,
    .ops = &acl_ops,
};

SAMSA_PLUGIN_DECLARE(acl_plugin)
