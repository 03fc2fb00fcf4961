/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_scram_credentials.c - DescribeUserScramCredentials and
 * AlterUserScramCredentials over core/security/credentials.h. Alter
 * persists (fsync), so it runs on the admin worker, off the reactors.
 * In a cluster the credentials are SCRAM records of the metadata log:
 * the controller proposes them (other nodes forward the request to it)
 * and every node's store follows the image (cluster_security.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <samsa/authorizer.h>

#include "broker/admin_worker.h"
#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/image_security.h"
#include "security/credentials.h"

typedef samsa_DescribeUserScramCredentialsResponse_DescribeUserScramCredentialsResult_t
    describe_result_t;
typedef samsa_AlterUserScramCredentialsResponse_AlterUserScramCredentialsResult_t
    alter_result_t;

static void describe_user(samsa_req_t *req, samsa_str_t name,
                          describe_result_t *r)
{
    samsa_err_t denied =
        samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE, SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE);
    samsa_DescribeUserScramCredentialsResponse_DescribeUserScramCredentialsResult_init(
        r);
    r->User = name;
    int8_t mechs[2];
    int32_t iters[2];
    size_t n = samsa_credentials_describe(
        req->broker->credentials, samsa_req_cstr(req, name), mechs, iters);
    if (denied) {
        n = 0;
        r->ErrorCode = (int16_t)denied;
    } else if (n == 0) {
        r->ErrorCode = SAMSA_ERR_RESOURCE_NOT_FOUND;
        r->ErrorMessage = samsa_req_str(
            req, "Attempt to describe a user credential that does not exist");
    }
    SAMSA_REQ_ARRAY(req, r->CredentialInfos, n);
    for (size_t i = 0; i < n; i++) {
        r->CredentialInfos.items[i].Mechanism = mechs[i];
        r->CredentialInfos.items[i].Iterations = iters[i];
    }
}

void samsa_handle_describe_user_scram_credentials(samsa_req_t *req)
{
    samsa_DescribeUserScramCredentialsRequest_t *dreq = req->body;
    samsa_DescribeUserScramCredentialsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeUserScramCredentialsResponse_init(resp);
    if (dreq->Users.count < 0) { /* null: every user */
        char **names = NULL;
        size_t n = 0;
        resp->ErrorCode = (int16_t)samsa_credentials_users(
            req->broker->credentials, &names, &n);
        SAMSA_REQ_ARRAY(req, resp->Results, n);
        for (size_t i = 0; i < n; i++) {
            describe_user(req, samsa_req_str(req, names[i]),
                          &resp->Results.items[i]);
            free(names[i]);
        }
        free(names);
        samsa_req_respond(req, resp);
        return;
    }
    SAMSA_REQ_ARRAY(req, resp->Results, dreq->Users.count);
    for (int32_t i = 0; i < dreq->Users.count; i++) {
        describe_user(req, dreq->Users.items[i].Name, &resp->Results.items[i]);
        for (int32_t j = 0; j < i; j++) {
            samsa_str_t a = dreq->Users.items[i].Name;
            samsa_str_t b = dreq->Users.items[j].Name;
            if (a.len == b.len && memcmp(a.ptr, b.ptr, (size_t)a.len) == 0) {
                resp->Results.items[i].ErrorCode = SAMSA_ERR_DUPLICATE_RESOURCE;
                resp->Results.items[i].ErrorMessage =
                    samsa_req_str(req, "Cannot describe the same user twice");
                resp->Results.items[i].CredentialInfos.count = 0;
            }
        }
    }
    samsa_req_respond(req, resp);
}

/* Kafka answers one result per user, refusing a user named twice in one
 * request. */
static bool user_repeats(const samsa_AlterUserScramCredentialsRequest_t *areq,
                         samsa_str_t name)
{
    int n = 0;
    for (int32_t i = 0; i < areq->Deletions.count; i++) {
        samsa_str_t d = areq->Deletions.items[i].Name;
        n += d.len == name.len && !memcmp(d.ptr, name.ptr, (size_t)d.len);
    }
    for (int32_t i = 0; i < areq->Upsertions.count; i++) {
        samsa_str_t u = areq->Upsertions.items[i].Name;
        n += u.len == name.len && !memcmp(u.ptr, name.ptr, (size_t)u.len);
    }
    return n > 1;
}

/* One deletion (i < nd) or upsertion: standalone, done here; in a cluster
 * (on the controller), turned into its record in *rec. */
static samsa_err_t alter_one(samsa_req_t *req, int32_t i, int32_t nd,
                             samsa_str_t *user, samsa_meta_rec_t *rec)
{
    samsa_AlterUserScramCredentialsRequest_t *areq = req->body;
    samsa_credentials_t *creds = req->broker->credentials;
    bool quorum = req->broker->meta != NULL;
    if (i < nd) {
        const samsa_AlterUserScramCredentialsRequest_ScramCredentialDeletion_t
            *d = &areq->Deletions.items[i];
        const char *name = samsa_req_cstr(req, d->Name);
        *user = d->Name;
        if (user_repeats(areq, d->Name)) {
            return SAMSA_ERR_DUPLICATE_RESOURCE;
        }
        return quorum ? samsa_mdrec_scram_delete(name, d->Mechanism, rec)
                      : samsa_credentials_delete(creds, name, d->Mechanism);
    }
    const samsa_AlterUserScramCredentialsRequest_ScramCredentialUpsertion_t *u =
        &areq->Upsertions.items[i - nd];
    *user = u->Name;
    if (user_repeats(areq, u->Name)) {
        return SAMSA_ERR_DUPLICATE_RESOURCE;
    }
    const char *name = samsa_req_cstr(req, u->Name);
    size_t salt_len = u->Salt.len > 0 ? (size_t)u->Salt.len : 0;
    size_t salted_len =
        u->SaltedPassword.len > 0 ? (size_t)u->SaltedPassword.len : 0;
    if (!quorum) {
        return samsa_credentials_upsert(creds, name, u->Mechanism,
                                        u->Iterations, u->Salt.ptr, salt_len,
                                        u->SaltedPassword.ptr, salted_len);
    }
    samsa_meta_scram_t s = {.user = (char *)name, .mechanism = u->Mechanism};
    samsa_err_t err = samsa_credentials_make(
        name, u->Mechanism, u->Iterations, u->Salt.ptr, salt_len,
        u->SaltedPassword.ptr, salted_len, &s.cred);
    if (err == SAMSA_OK) {
        err = samsa_mdrec_scram_upsert(&s, rec);
    }
    OPENSSL_cleanse(&s.cred, sizeof(s.cred));
    return err;
}

static void *build_alter(samsa_req_t *req)
{
    samsa_AlterUserScramCredentialsRequest_t *areq = req->body;
    samsa_AlterUserScramCredentialsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_AlterUserScramCredentialsResponse_init(resp);
    int32_t nd = areq->Deletions.count > 0 ? areq->Deletions.count : 0;
    int32_t nu = areq->Upsertions.count > 0 ? areq->Upsertions.count : 0;
    samsa_err_t denied =
        samsa_req_authorize(req, SAMSA_ACL_OP_ALTER, SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE);
    void *fwd = NULL;
    if (!denied && samsa_cluster_forward(req, &fwd, &denied) && fwd) {
        return fwd;
    }
    size_t n = (size_t)(nd + nu);
    samsa_meta_rec_t *recs = calloc(n + 1, sizeof(*recs));
    samsa_err_t *errs = calloc(n + 1, sizeof(*errs));
    samsa_err_t *got = calloc(n + 1, sizeof(*got));
    size_t *at = calloc(n + 1, sizeof(*at));
    size_t nrec = 0;
    SAMSA_REQ_ARRAY(req, resp->Results, n);
    for (size_t i = 0; i < n; i++) {
        alter_result_t *r = &resp->Results.items[i];
        samsa_AlterUserScramCredentialsResponse_AlterUserScramCredentialsResult_init(
            r);
        r->User = (int32_t)i < nd ? areq->Deletions.items[i].Name
                                  : areq->Upsertions.items[i - (size_t)nd].Name;
        errs[i] = !recs || !errs || !got || !at ? SAMSA_ERR_NOMEM
                  : denied
                      ? denied
                      : alter_one(req, (int32_t)i, nd, &r->User, &recs[nrec]);
        if (errs[i] == SAMSA_OK && recs[nrec].p) {
            at[nrec++] = i;
        }
    }
    if (nrec > 0) {
        samsa_cluster_propose_wait(req->broker, recs, nrec, got);
        for (size_t k = 0; k < nrec; k++) {
            errs[at[k]] = got[k];
        }
    }
    for (size_t i = 0; errs && i < n; i++) {
        alter_result_t *r = &resp->Results.items[i];
        r->ErrorCode = (int16_t)errs[i];
        if (errs[i] != SAMSA_OK) {
            r->ErrorMessage =
                samsa_req_str(req, errs[i] == SAMSA_ERR_RESOURCE_NOT_FOUND
                                       ? "Attempt to delete a user "
                                         "credential that does not exist"
                                       : samsa_err_str(errs[i]));
        }
    }
    free(recs);
    free(errs);
    free(got);
    free(at);
    return resp;
}

void samsa_handle_alter_user_scram_credentials(samsa_req_t *req)
{
    samsa_admin_run(req->broker->admin, req, build_alter);
}
