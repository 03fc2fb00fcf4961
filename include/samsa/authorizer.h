/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/authorizer.h - authorizer plugins (kind SAMSA_KIND_AUTHORIZER).
 *
 * After a request is decoded, the broker asks the authorizer chain, in
 * manifest order, whether the connection's principal may perform an
 * operation on a resource. Each authorizer answers one of three ways:
 *
 *   SAMSA_OK             allow; the chain stops.
 *   SAMSA_ERR_DECLINED   not mine: this authorizer has no rule for the
 *                        request; ask the next one. When every authorizer
 *                        declines the broker denies (no authorizer loaded
 *                        at all means everything is allowed).
 *   a Kafka *_AUTHORIZATION_FAILED code (TOPIC_, GROUP_, CLUSTER_,
 *                        TRANSACTIONAL_ID_, DELEGATION_TOKEN_) deny; the
 *                        chain stops and the code goes into the response.
 *
 * Any other return is treated as deny with the resource's
 * *_AUTHORIZATION_FAILED code and is logged.
 *
 * Threads: authorize() runs on reactors, concurrently for one instance, and
 * must not block (keep ACLs in memory; reload them on a timer).
 */
#ifndef SAMSA_AUTHORIZER_H
#define SAMSA_AUTHORIZER_H

#include <samsa/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Kafka's AclOperation, with its wire values (0 and 1 never appear in an
 *  authorize() request: they are match-all markers of the ACL APIs). */
typedef enum samsa_acl_operation {
    SAMSA_ACL_OP_UNKNOWN = 0,
    SAMSA_ACL_OP_ANY = 1,
    SAMSA_ACL_OP_ALL = 2,
    SAMSA_ACL_OP_READ = 3,
    SAMSA_ACL_OP_WRITE = 4,
    SAMSA_ACL_OP_CREATE = 5,
    SAMSA_ACL_OP_DELETE = 6,
    SAMSA_ACL_OP_ALTER = 7,
    SAMSA_ACL_OP_DESCRIBE = 8,
    SAMSA_ACL_OP_CLUSTER_ACTION = 9,
    SAMSA_ACL_OP_DESCRIBE_CONFIGS = 10,
    SAMSA_ACL_OP_ALTER_CONFIGS = 11,
    SAMSA_ACL_OP_IDEMPOTENT_WRITE = 12,
    SAMSA_ACL_OP_CREATE_TOKENS = 13,
    SAMSA_ACL_OP_DESCRIBE_TOKENS = 14,
} samsa_acl_operation_t;

/** Kafka's ResourceType, with its wire values. */
typedef enum samsa_resource_type {
    SAMSA_RESOURCE_UNKNOWN = 0,
    SAMSA_RESOURCE_ANY = 1,
    SAMSA_RESOURCE_TOPIC = 2,
    SAMSA_RESOURCE_GROUP = 3,
    SAMSA_RESOURCE_CLUSTER = 4,
    SAMSA_RESOURCE_TRANSACTIONAL_ID = 5,
    SAMSA_RESOURCE_DELEGATION_TOKEN = 6,
    SAMSA_RESOURCE_USER = 7,
} samsa_resource_type_t;

/** One question to the authorizer. Everything is borrowed for the call. */
typedef struct samsa_authz_request {
    samsa_abi_header_t hdr;    /**< SAMSA_ABI_HEADER(samsa_authz_request_t) */
    const char *principal;     /**< "User:alice"; "User:ANONYMOUS" when the
                                    connection did not authenticate */
    const char *host;          /**< client address as text */
    const char *resource_name; /**< topic, group, transactional id...;
                                    "kafka-cluster" for the cluster */
    uint32_t operation;        /**< samsa_acl_operation_t */
    uint32_t resource_type;    /**< samsa_resource_type_t */
    int16_t api_key;           /**< Kafka API key of the request */
    int16_t api_version;       /**< its version */
    uint32_t reserved0;        /**< zero */
} samsa_authz_request_t;

/** Kafka's PatternType, with its wire values. */
typedef enum samsa_acl_pattern {
    SAMSA_ACL_PATTERN_UNKNOWN = 0,
    SAMSA_ACL_PATTERN_ANY = 1,      /**< filters only: literal or prefixed */
    SAMSA_ACL_PATTERN_MATCH = 2,    /**< filters only: what would apply */
    SAMSA_ACL_PATTERN_LITERAL = 3,  /**< the name, or "*" for every name */
    SAMSA_ACL_PATTERN_PREFIXED = 4, /**< every name starting with it */
} samsa_acl_pattern_t;

/** Kafka's AclPermissionType, with its wire values. */
typedef enum samsa_acl_permission {
    SAMSA_ACL_PERMISSION_UNKNOWN = 0,
    SAMSA_ACL_PERMISSION_ANY = 1, /**< filters only */
    SAMSA_ACL_PERMISSION_DENY = 2,
    SAMSA_ACL_PERMISSION_ALLOW = 3,
} samsa_acl_permission_t;

/** One ACL (Kafka's AclBinding), or a filter over them (AclBindingFilter:
 *  NULL strings and the ANY values match everything). Added in ABI minor
 *  3. Strings are borrowed for the call that passes the binding. */
typedef struct samsa_acl_binding {
    samsa_abi_header_t hdr;    /**< SAMSA_ABI_HEADER(samsa_acl_binding_t) */
    const char *resource_name; /**< topic, group...; "*" with LITERAL: all */
    const char *principal;     /**< "User:alice", "User:*" */
    const char *host;          /**< client address, "*" for any */
    uint32_t resource_type;    /**< samsa_resource_type_t */
    uint32_t pattern_type;     /**< samsa_acl_pattern_t */
    uint32_t operation;        /**< samsa_acl_operation_t */
    uint32_t permission;       /**< samsa_acl_permission_t */
} samsa_acl_binding_t;

/** Called once per ACL by describe_acls()/delete_acls(); @p acl is
 *  borrowed for the call. */
typedef void (*samsa_acl_each_fn)(void *arg, const samsa_acl_binding_t *acl);

/** The Kafka error that denies an operation on @p resource_type
 *  (samsa_resource_type_t): TOPIC_AUTHORIZATION_FAILED and its siblings.
 *  Added in ABI minor 3. */
static inline samsa_err_t samsa_authz_deny_code(uint32_t resource_type)
{
    switch (resource_type) {
    case SAMSA_RESOURCE_GROUP:
        return SAMSA_ERR_GROUP_AUTHORIZATION_FAILED;
    case SAMSA_RESOURCE_CLUSTER:
        return SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    case SAMSA_RESOURCE_TRANSACTIONAL_ID:
        return SAMSA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    case SAMSA_RESOURCE_DELEGATION_TOKEN:
        return SAMSA_ERR_DELEGATION_TOKEN_AUTHORIZATION_FAILED;
    default:
        return SAMSA_ERR_TOPIC_AUTHORIZATION_FAILED;
    }
}

/** True when @p acl is a concrete ACL Kafka accepts (CreateAcls): a
 *  resource type from TOPIC to USER, a LITERAL or PREFIXED pattern, an
 *  operation from ALL on, ALLOW or DENY, a name, a "User:" principal and a
 *  host. Added in ABI minor 4. */
static inline bool samsa_acl_binding_valid(const samsa_acl_binding_t *acl)
{
    return acl->resource_type >= SAMSA_RESOURCE_TOPIC &&
           acl->resource_type <= SAMSA_RESOURCE_USER &&
           (acl->pattern_type == SAMSA_ACL_PATTERN_LITERAL ||
            acl->pattern_type == SAMSA_ACL_PATTERN_PREFIXED) &&
           acl->operation >= SAMSA_ACL_OP_ALL &&
           acl->operation <= SAMSA_ACL_OP_DESCRIBE_TOKENS &&
           (acl->permission == SAMSA_ACL_PERMISSION_ALLOW ||
            acl->permission == SAMSA_ACL_PERMISSION_DENY) &&
           acl->resource_name && acl->resource_name[0] && acl->principal &&
           acl->principal[0] == 'U' && acl->principal[1] == 's' &&
           acl->principal[2] == 'e' && acl->principal[3] == 'r' &&
           acl->principal[4] == ':' && acl->host && acl->host[0];
}

/** Ops table of an authorizer. Every op is mandatory unless marked. */
typedef struct samsa_authorizer_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_authorizer_ops_t) */

    /**
     * Decide @p req (see the file comment for the three answers).
     * Reactor thread, concurrent; never blocks.
     */
    samsa_err_t (*authorize)(void *state, const samsa_authz_request_t *req);

    /* ACL management (CreateAcls, DescribeAcls, DeleteAcls), optional,
     * added in ABI minor 3: the broker sends those requests to the first
     * authorizer that has these ops, and answers SECURITY_DISABLED when
     * none has. They may block (persisting) and run on the broker's admin
     * worker thread, concurrently with authorize() on the reactors. */

    /** Add @p acl (a concrete binding: no ANY/MATCH values). Adding an ACL
     *  that exists is no error. @return SAMSA_OK, INVALID_REQUEST,
     *  KAFKA_STORAGE_ERROR. */
    samsa_err_t (*create_acl)(void *state, const samsa_acl_binding_t *acl);
    /** Remove every ACL @p filter matches, calling @p each for each. */
    samsa_err_t (*delete_acls)(void *state, const samsa_acl_binding_t *filter,
                               samsa_acl_each_fn each, void *arg);
    /** Call @p each for every ACL @p filter matches. */
    samsa_err_t (*describe_acls)(void *state, const samsa_acl_binding_t *filter,
                                 samsa_acl_each_fn each, void *arg);

    /**
     * Optional, added in ABI minor 4: the host keeps the ACLs. The broker
     * calls it when ACLs live somewhere it owns (a cluster's replicated
     * metadata, so every node enforces the same ones): first at start
     * (maybe with none), then with the whole set after every change.
     * From the first call on, the instance's ACLs are exactly @p acls
     * (copied: borrowed for the call), held in memory only, not in its own
     * store; the broker no longer calls create_acl and delete_acls, only
     * describe_acls. Without this op the instance keeps its own ACLs.
     * Never on a reactor (but concurrently with authorize() on them);
     * short: no I/O. @return SAMSA_OK or NOMEM (the old set stays).
     */
    samsa_err_t (*set_acls)(void *state, const samsa_acl_binding_t *acls,
                            size_t count);
} samsa_authorizer_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_AUTHORIZER_H */
