/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/image_security.h - the security part of the metadata image
 * (record types 32..47): ACLs, SCRAM credentials, client quotas and dynamic
 * broker configs, so every node of a cluster enforces the same ones and
 * they outlive the loss of a node. The records mirror Kafka KRaft's:
 *
 *   ACL_ADD / ACL_REMOVE      AccessControlEntryRecord /
 *                             RemoveAccessControlEntryRecord (by content:
 *                             an ACL is its binding)
 *   SCRAM_UPSERT / _DELETE    UserScramCredentialRecord /
 *                             RemoveUserScramCredentialRecord (salted only:
 *                             salt, StoredKey, ServerKey, iterations)
 *   CLIENT_QUOTA              ClientQuotaRecord (entity, key, value|remove)
 *   BROKER_CONFIG             ConfigRecord on a BROKER resource ("" the
 *                             cluster default, "<id>" one broker; a null
 *                             value deletes)
 *
 * The part is immutable and shared by refcount between consecutive images
 * (a topic change does not copy the ACLs); applying one of these records
 * to an image copies it first when another image shares it, so readers
 * can compare the pointers of two images to know whether it changed.
 *
 * Threads: as image.h (built on the quorum thread, read anywhere).
 */
#ifndef SAMSA_METADATA_IMAGE_SECURITY_H
#define SAMSA_METADATA_IMAGE_SECURITY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/plugin.h>

#include "metadata/image.h"

enum {
    SAMSA_MDREC_ACL_ADD = 32,
    SAMSA_MDREC_ACL_REMOVE = 33,
    SAMSA_MDREC_SCRAM_UPSERT = 34,
    SAMSA_MDREC_SCRAM_DELETE = 35,
    SAMSA_MDREC_CLIENT_QUOTA = 36,
    SAMSA_MDREC_BROKER_CONFIG = 37,
    /* which node started the log and its `samsa storage format
     * --add-scram` users (the first one applied counts) */
    SAMSA_MDREC_SCRAM_BOOTSTRAP = 38,
    SAMSA_MDREC_SECURITY_FIRST = 32,
    SAMSA_MDREC_SECURITY_LAST = 47,
};

/* One ACL: Kafka's AclBinding (samsa/authorizer.h's wire values). */
typedef struct samsa_meta_acl {
    int8_t resource_type;
    int8_t pattern_type;
    int8_t operation;
    int8_t permission;
    char *resource_name;
    char *principal;
    char *host;
} samsa_meta_acl_t;

typedef struct samsa_meta_scram {
    char *user;
    int8_t mechanism; /* 1 SCRAM-SHA-256, 2 SCRAM-SHA-512 */
    samsa_scram_credential_t cred;
} samsa_meta_scram_t;

/* One key of a client-quota entity: each side absent, the default
 * (has_ and a NULL name) or named. */
typedef struct samsa_meta_quota {
    bool has_user, has_client;
    char *user, *client;
    char *key; /* producer_byte_rate, consumer_byte_rate, ... */
    double value;
} samsa_meta_quota_t;

typedef struct samsa_meta_broker_config {
    char *resource; /* "" cluster default, else a broker id */
    char *key;
    char *value;
} samsa_meta_broker_config_t;

typedef struct samsa_meta_security {
    _Atomic int refs;
    size_t acl_count;
    samsa_meta_acl_t *acls;
    size_t scram_count;
    samsa_meta_scram_t *scram;
    size_t quota_count;
    samsa_meta_quota_t *quotas;
    size_t config_count;
    samsa_meta_broker_config_t *configs;
    /* The first controller of the log wrote its bootstrap (records from
     * before this existed have none): its node id and the users and
     * mechanisms it was formatted with ("broker/SCRAM-SHA-512, ...";
     * NULL: it was not formatted with any). */
    bool bootstrapped;
    int32_t bootstrap_node;
    char *bootstrap_users;
} samsa_meta_security_t;

/* For image.c: release, and apply one record of types 32..47 (rec is the
 * whole record, header included) with image.h's contract. */
void samsa_meta_security_put(samsa_meta_security_t *s);
samsa_err_t samsa_meta_security_apply(samsa_meta_image_t *img,
                                      const uint8_t *rec, size_t len,
                                      samsa_err_t *outcome);
/* For snapshots: every record describing @p s, each passed to @p put
 * (which takes it). */
typedef samsa_err_t (*samsa_meta_rec_sink_fn)(void *arg, samsa_meta_rec_t *rec);
samsa_err_t samsa_meta_security_encode(const samsa_meta_security_t *s,
                                       samsa_meta_rec_sink_fn put, void *arg);

/* ---- records ---- */
samsa_err_t samsa_mdrec_acl(const samsa_meta_acl_t *acl, bool add,
                            samsa_meta_rec_t *out);
samsa_err_t samsa_mdrec_scram_upsert(const samsa_meta_scram_t *s,
                                     samsa_meta_rec_t *out);
/* Outcome RESOURCE_NOT_FOUND when the user has no such credential. */
samsa_err_t samsa_mdrec_scram_delete(const char *user, int8_t mechanism,
                                     samsa_meta_rec_t *out);
samsa_err_t samsa_mdrec_client_quota(const samsa_meta_quota_t *q, bool remove,
                                     samsa_meta_rec_t *out);
samsa_err_t samsa_mdrec_broker_config(const char *resource, const char *key,
                                      const char *value, samsa_meta_rec_t *out);
/* The bootstrap marker: @p users as bootstrap_users above. */
samsa_err_t samsa_mdrec_scram_bootstrap(int32_t node, const char *users,
                                        samsa_meta_rec_t *out);

/* The value of broker config @p key at @p resource in @p img, or NULL. */
const char *samsa_meta_broker_config(const samsa_meta_image_t *img,
                                     const char *resource, const char *key);

#endif /* SAMSA_METADATA_IMAGE_SECURITY_H */
