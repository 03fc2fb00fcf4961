/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_acls.c - CreateAcls, DescribeAcls, DeleteAcls: handed
 * to the first authorizer plugin that manages ACLs (authorizer.h, minor 3),
 * on the admin worker since it persists them. Kafka asks ALTER on the
 * cluster to change ACLs and DESCRIBE to list them.
 *
 * In a cluster, when that authorizer takes its ACLs from the broker
 * (set_acls), changes are ACL records of the metadata log: the controller
 * proposes them (other nodes forward the request to it) and every node
 * hands the committed set to its authorizer (cluster_security.c).
 */
#include <samsa/authorizer.h>

#include <stdlib.h>

#include "broker/admin_worker.h"
#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/image_security.h"
#include "security/auth.h"

typedef struct acl_node {
    samsa_acl_binding_t b;
    struct acl_node *next;
} acl_node_t;

typedef struct collected {
    samsa_req_t *req;
    acl_node_t *head, **tail;
    int32_t count;
} collected_t;

static void collect(void *arg, const samsa_acl_binding_t *acl)
{
    collected_t *c = arg;
    acl_node_t *n = samsa_req_alloc(c->req, sizeof(*n));
    if (!n) {
        return;
    }
    n->b = *acl;
    n->b.resource_name = samsa_req_str(c->req, acl->resource_name).ptr;
    n->b.principal = samsa_req_str(c->req, acl->principal).ptr;
    n->b.host = samsa_req_str(c->req, acl->host).ptr;
    *c->tail = n;
    c->tail = &n->next;
    c->count++;
}

static const samsa_authorizer_ops_t *manager(samsa_req_t *req, void **state,
                                             uint32_t op, samsa_err_t *err)
{
    const samsa_authorizer_ops_t *ops =
        samsa_security_acl_manager(req->broker->security, state);
    *err = ops ? samsa_req_authorize(req, op, SAMSA_RESOURCE_CLUSTER,
                                     SAMSA_CLUSTER_RESOURCE)
               : SAMSA_ERR_SECURITY_DISABLED;
    return *err ? NULL : ops;
}

/* Do ACL changes go through the metadata log? */
static bool replicated(samsa_req_t *req)
{
    return req->broker->meta &&
           samsa_security_acls_hosted(req->broker->security);
}

static samsa_meta_acl_t meta_acl(const samsa_acl_binding_t *b)
{
    return (samsa_meta_acl_t){.resource_type = (int8_t)b->resource_type,
                              .pattern_type = (int8_t)b->pattern_type,
                              .operation = (int8_t)b->operation,
                              .permission = (int8_t)b->permission,
                              .resource_name = (char *)b->resource_name,
                              .principal = (char *)b->principal,
                              .host = (char *)b->host};
}

/* On the controller: one ACL record per binding of @p bs, committed;
 * outcomes[i] for each (INVALID_REQUEST for an ACL Kafka refuses). */
static void propose_acls(samsa_req_t *req, const samsa_acl_binding_t *bs,
                         size_t n, bool add, samsa_err_t *outcomes)
{
    samsa_meta_rec_t *recs = calloc(n + 1, sizeof(*recs));
    size_t *at = calloc(n + 1, sizeof(*at));
    samsa_err_t *got = calloc(n + 1, sizeof(*got));
    size_t nrec = 0;
    for (size_t i = 0; i < n; i++) {
        samsa_meta_acl_t a = meta_acl(&bs[i]);
        outcomes[i] = !recs || !at || !got ? SAMSA_ERR_NOMEM
                      : add && !samsa_acl_binding_valid(&bs[i])
                          ? SAMSA_ERR_INVALID_REQUEST
                          : samsa_mdrec_acl(&a, add, &recs[nrec]);
        if (outcomes[i] == SAMSA_OK) {
            at[nrec++] = i;
        }
    }
    if (nrec > 0) {
        samsa_cluster_propose_wait(req->broker, recs, nrec, got);
    }
    for (size_t k = 0; k < nrec; k++) {
        outcomes[at[k]] = got[k];
    }
    free(recs);
    free(at);
    free(got);
}

/* A filter from the wire: null strings match everything. */
static samsa_acl_binding_t filter_of(samsa_req_t *req, int8_t rtype,
                                     samsa_str_t name, int8_t pattern,
                                     samsa_str_t principal, samsa_str_t host,
                                     int8_t op, int8_t perm)
{
    return (samsa_acl_binding_t){
        .hdr = SAMSA_ABI_HEADER(samsa_acl_binding_t),
        .resource_name = name.len >= 0 ? samsa_req_cstr(req, name) : NULL,
        .principal = principal.len >= 0 ? samsa_req_cstr(req, principal) : NULL,
        .host = host.len >= 0 ? samsa_req_cstr(req, host) : NULL,
        .resource_type = (uint32_t)rtype,
        /* v0 has no pattern type: literal. */
        .pattern_type = req->api_version >= 1 ? (uint32_t)pattern
                                              : SAMSA_ACL_PATTERN_LITERAL,
        .operation = (uint32_t)op,
        .permission = (uint32_t)perm,
    };
}

static void *build_create(samsa_req_t *req)
{
    samsa_CreateAclsRequest_t *creq = req->body;
    samsa_CreateAclsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_CreateAclsResponse_init(resp);
    void *state = NULL;
    samsa_err_t denied;
    const samsa_authorizer_ops_t *ops =
        manager(req, &state, SAMSA_ACL_OP_ALTER, &denied);
    int32_t n = creq->Creations.count > 0 ? creq->Creations.count : 0;
    bool quorum = ops && replicated(req);
    void *fwd = NULL;
    if (quorum && samsa_cluster_forward(req, &fwd, &denied)) {
        if (fwd) {
            return fwd;
        }
        ops = NULL;
    }
    samsa_acl_binding_t *bs =
        samsa_req_alloc(req, sizeof(*bs) * (size_t)(n + 1));
    samsa_err_t *outcomes =
        samsa_req_alloc(req, sizeof(*outcomes) * (size_t)(n + 1));
    for (int32_t i = 0; i < n; i++) {
        samsa_CreateAclsRequest_AclCreation_t *c = &creq->Creations.items[i];
        bs[i] = filter_of(req, c->ResourceType, c->ResourceName,
                          c->ResourcePatternType, c->Principal, c->Host,
                          c->Operation, c->PermissionType);
        outcomes[i] = !ops     ? denied
                      : quorum ? SAMSA_OK
                               : ops->create_acl(state, &bs[i]);
    }
    if (ops && quorum) {
        propose_acls(req, bs, (size_t)n, true, outcomes);
    }
    SAMSA_REQ_ARRAY(req, resp->Results, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_CreateAclsResponse_AclCreationResult_t *r =
            &resp->Results.items[i];
        samsa_CreateAclsResponse_AclCreationResult_init(r);
        samsa_err_t err = outcomes[i];
        r->ErrorCode = (int16_t)err;
        if (err) {
            r->ErrorMessage = samsa_req_str(req, samsa_err_str(err));
        }
    }
    return resp;
}

static void *build_describe(samsa_req_t *req)
{
    samsa_DescribeAclsRequest_t *dreq = req->body;
    samsa_DescribeAclsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeAclsResponse_init(resp);
    void *state = NULL;
    samsa_err_t err;
    const samsa_authorizer_ops_t *ops =
        manager(req, &state, SAMSA_ACL_OP_DESCRIBE, &err);
    collected_t c = {req, NULL, NULL, 0};
    c.tail = &c.head;
    if (ops) {
        samsa_acl_binding_t f =
            filter_of(req, dreq->ResourceTypeFilter, dreq->ResourceNameFilter,
                      dreq->PatternTypeFilter, dreq->PrincipalFilter,
                      dreq->HostFilter, dreq->Operation, dreq->PermissionType);
        err = ops->describe_acls(state, &f, collect, &c);
    }
    resp->ErrorCode = (int16_t)err;
    if (err) {
        resp->ErrorMessage = samsa_req_str(req, samsa_err_str(err));
        c.count = 0;
    }
    /* One resource entry per ACL: clients flatten them into bindings. */
    SAMSA_REQ_ARRAY(req, resp->Resources, c.count);
    acl_node_t *n = c.head;
    for (int32_t i = 0; i < c.count; i++, n = n->next) {
        samsa_DescribeAclsResponse_DescribeAclsResource_t *r =
            &resp->Resources.items[i];
        samsa_DescribeAclsResponse_DescribeAclsResource_init(r);
        r->ResourceType = (int8_t)n->b.resource_type;
        r->ResourceName = samsa_req_str(req, n->b.resource_name);
        r->PatternType = (int8_t)n->b.pattern_type;
        SAMSA_REQ_ARRAY(req, r->Acls, 1);
        samsa_DescribeAclsResponse_AclDescription_init(&r->Acls.items[0]);
        r->Acls.items[0].Principal = samsa_req_str(req, n->b.principal);
        r->Acls.items[0].Host = samsa_req_str(req, n->b.host);
        r->Acls.items[0].Operation = (int8_t)n->b.operation;
        r->Acls.items[0].PermissionType = (int8_t)n->b.permission;
    }
    return resp;
}

/* On the controller: remove the ACLs a filter matched (what the
 * authorizer holds is the committed set). The first failure, if any. */
static samsa_err_t remove_matches(samsa_req_t *req, const collected_t *c)
{
    samsa_acl_binding_t *bs =
        samsa_req_alloc(req, sizeof(*bs) * (size_t)c->count);
    samsa_err_t *outcomes =
        samsa_req_alloc(req, sizeof(*outcomes) * (size_t)c->count);
    const acl_node_t *n = c->head;
    for (int32_t i = 0; i < c->count; i++, n = n->next) {
        bs[i] = n->b;
    }
    propose_acls(req, bs, (size_t)c->count, false, outcomes);
    for (int32_t i = 0; i < c->count; i++) {
        if (outcomes[i] != SAMSA_OK) {
            return outcomes[i];
        }
    }
    return SAMSA_OK;
}

static void *build_delete(samsa_req_t *req)
{
    samsa_DeleteAclsRequest_t *dreq = req->body;
    samsa_DeleteAclsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DeleteAclsResponse_init(resp);
    void *state = NULL;
    samsa_err_t denied;
    const samsa_authorizer_ops_t *ops =
        manager(req, &state, SAMSA_ACL_OP_ALTER, &denied);
    int32_t nf = dreq->Filters.count > 0 ? dreq->Filters.count : 0;
    bool quorum = ops && replicated(req);
    void *fwd = NULL;
    if (quorum && samsa_cluster_forward(req, &fwd, &denied)) {
        if (fwd) {
            return fwd;
        }
        ops = NULL;
    }
    SAMSA_REQ_ARRAY(req, resp->FilterResults, nf);
    for (int32_t i = 0; i < nf; i++) {
        samsa_DeleteAclsRequest_DeleteAclsFilter_t *f = &dreq->Filters.items[i];
        samsa_DeleteAclsResponse_DeleteAclsFilterResult_t *r =
            &resp->FilterResults.items[i];
        samsa_DeleteAclsResponse_DeleteAclsFilterResult_init(r);
        collected_t c = {req, NULL, NULL, 0};
        c.tail = &c.head;
        samsa_acl_binding_t b =
            filter_of(req, f->ResourceTypeFilter, f->ResourceNameFilter,
                      f->PatternTypeFilter, f->PrincipalFilter, f->HostFilter,
                      f->Operation, f->PermissionType);
        samsa_err_t err = !ops     ? denied
                          : quorum ? ops->describe_acls(state, &b, collect, &c)
                                   : ops->delete_acls(state, &b, collect, &c);
        if (err == SAMSA_OK && quorum && c.count > 0) {
            err = remove_matches(req, &c);
        }
        r->ErrorCode = (int16_t)err;
        SAMSA_REQ_ARRAY(req, r->MatchingAcls, c.count);
        acl_node_t *n = c.head;
        for (int32_t j = 0; j < c.count; j++, n = n->next) {
            samsa_DeleteAclsResponse_DeleteAclsMatchingAcl_t *m =
                &r->MatchingAcls.items[j];
            samsa_DeleteAclsResponse_DeleteAclsMatchingAcl_init(m);
            m->ResourceType = (int8_t)n->b.resource_type;
            m->ResourceName = samsa_req_str(req, n->b.resource_name);
            m->PatternType = (int8_t)n->b.pattern_type;
            m->Principal = samsa_req_str(req, n->b.principal);
            m->Host = samsa_req_str(req, n->b.host);
            m->Operation = (int8_t)n->b.operation;
            m->PermissionType = (int8_t)n->b.permission;
        }
    }
    return resp;
}

void samsa_handle_create_acls(samsa_req_t *req)
{
    samsa_admin_run(req->broker->admin, req, build_create);
}

void samsa_handle_describe_acls(samsa_req_t *req)
{
    samsa_admin_run(req->broker->admin, req, build_describe);
}

void samsa_handle_delete_acls(samsa_req_t *req)
{
    samsa_admin_run(req->broker->admin, req, build_delete);
}
