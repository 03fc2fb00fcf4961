/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/kafka_acls.c - the ACL half of services->kafka_*
 * (DescribeAcls, CreateAcls) on a samsa_kafka_t of kafka_service.c: what
 * source-mirror needs to copy the source cluster's topic ACLs to the
 * remote topics (MM2's sync.topic.acls.enabled).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "connect/kafka_service.h"
#include "util/err.h"

/* Note an error code of an answer in k->errmsg. */
static samsa_err_t acl_error(samsa_kafka_t *k, const char *what, int16_t code,
                             samsa_str_t msg)
{
    if (code == 0) {
        return SAMSA_OK;
    }
    snprintf(k->errmsg, sizeof(k->errmsg), "%s: %s%s%.*s", what,
             samsa_err_str(code), msg.len > 0 ? ": " : "",
             msg.len > 0 ? (int)msg.len : 0, msg.len > 0 ? msg.ptr : "");
    return code;
}

samsa_err_t samsa_connect_kafka_acls(
    samsa_kafka_t *k, uint32_t resource_type,
    void (*cb)(void *arg, const struct samsa_acl_binding *acl), void *arg)
{
    samsa_DescribeAclsRequest_t req;
    samsa_DescribeAclsResponse_t *resp = NULL;
    samsa_arena_t arena;

    samsa_DescribeAclsRequest_init(&req);
    req.ResourceTypeFilter = (int8_t)resource_type;
    req.ResourceNameFilter = SAMSA_STR_NULL;
    req.PatternTypeFilter = SAMSA_ACL_PATTERN_ANY;
    req.PrincipalFilter = SAMSA_STR_NULL;
    req.HostFilter = SAMSA_STR_NULL;
    req.Operation = SAMSA_ACL_OP_ANY;
    req.PermissionType = SAMSA_ACL_PERMISSION_ANY;
    samsa_arena_init(&arena);
    samsa_err_t err = samsa_connect_kafka_failed(
        k, samsa_client_call(k->client, SAMSA_NODE_ANY, SAMSA_API_DESCRIBE_ACLS,
                             &req, &arena, (void **)&resp, NULL));
    if (err == SAMSA_OK) {
        err =
            acl_error(k, "describe ACLs", resp->ErrorCode, resp->ErrorMessage);
    }
    for (int32_t i = 0; err == SAMSA_OK && i < resp->Resources.count; i++) {
        const samsa_DescribeAclsResponse_DescribeAclsResource_t *r =
            &resp->Resources.items[i];
        char *name = strndup(r->ResourceName.ptr, (size_t)r->ResourceName.len);
        for (int32_t j = 0; name != NULL && j < r->Acls.count; j++) {
            const samsa_DescribeAclsResponse_AclDescription_t *d =
                &r->Acls.items[j];
            char *principal =
                strndup(d->Principal.ptr, (size_t)d->Principal.len);
            char *host = strndup(d->Host.ptr, (size_t)d->Host.len);
            if (principal != NULL && host != NULL) {
                samsa_acl_binding_t b = {
                    .hdr = SAMSA_ABI_HEADER(samsa_acl_binding_t),
                    .resource_name = name,
                    .principal = principal,
                    .host = host,
                    .resource_type = (uint32_t)r->ResourceType,
                    .pattern_type = (uint32_t)r->PatternType,
                    .operation = (uint32_t)d->Operation,
                    .permission = (uint32_t)d->PermissionType,
                };
                cb(arg, &b);
            }
            free(principal);
            free(host);
        }
        free(name);
    }
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t
samsa_connect_kafka_create_acls(samsa_kafka_t *k,
                                const struct samsa_acl_binding *acls, size_t n)
{
    samsa_CreateAclsRequest_t req;
    samsa_CreateAclsResponse_t *resp = NULL;
    samsa_arena_t arena;
    samsa_CreateAclsRequest_AclCreation_t *cr = calloc(n + 1, sizeof(*cr));
    if (cr == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_CreateAclsRequest_init(&req);
    for (size_t i = 0; i < n; i++) {
        samsa_CreateAclsRequest_AclCreation_init(&cr[i]);
        cr[i].ResourceType = (int8_t)acls[i].resource_type;
        cr[i].ResourceName = samsa_str_from_cstr(acls[i].resource_name);
        cr[i].ResourcePatternType = (int8_t)acls[i].pattern_type;
        cr[i].Principal = samsa_str_from_cstr(acls[i].principal);
        cr[i].Host = samsa_str_from_cstr(acls[i].host);
        cr[i].Operation = (int8_t)acls[i].operation;
        cr[i].PermissionType = (int8_t)acls[i].permission;
    }
    req.Creations.count = (int32_t)n;
    req.Creations.items = cr;
    samsa_arena_init(&arena);
    samsa_err_t err = samsa_connect_kafka_failed(
        k, samsa_client_call(k->client, SAMSA_NODE_ANY, SAMSA_API_CREATE_ACLS,
                             &req, &arena, (void **)&resp, NULL));
    for (int32_t i = 0; err == SAMSA_OK && i < resp->Results.count; i++) {
        err = acl_error(k, "create ACLs", resp->Results.items[i].ErrorCode,
                        resp->Results.items[i].ErrorMessage);
    }
    samsa_arena_destroy(&arena);
    free(cr);
    return err;
}
