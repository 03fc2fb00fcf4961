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

/** Ops table of an authorizer. Every op is mandatory unless marked. */
typedef struct samsa_authorizer_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_authorizer_ops_t) */

    /**
     * Decide @p req (see the file comment for the three answers).
     * Reactor thread, concurrent; never blocks.
     */
    samsa_err_t (*authorize)(void *state, const samsa_authz_request_t *req);
} samsa_authorizer_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_AUTHORIZER_H */
