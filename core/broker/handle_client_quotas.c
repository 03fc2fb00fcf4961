/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_client_quotas.c - DescribeClientQuotas and
 * AlterClientQuotas (kafka-configs --entity-type users/clients) over
 * core/security/quota.h. Alter persists (fsync), so it runs on the admin
 * worker, off the reactors. Entity types: "user" and "client-id"; Kafka's
 * "ip" (connection_creation_rate) is not supported and answers
 * INVALID_REQUEST. In a cluster the quotas are CLIENT_QUOTA records of the
 * metadata log: the controller proposes them (other nodes forward the
 * request to it) and every node's quotas follow the image
 * (cluster_security.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/admin_worker.h"
#include "broker/cluster.h"
#include "broker/handlers.h"
#include "metadata/image_security.h"
#include "security/quota.h"

#define ENTITY_USER   "user"
#define ENTITY_CLIENT "client-id"

static bool str_is(samsa_str_t s, const char *c)
{
    return s.len >= 0 && (size_t)s.len == strlen(c) &&
           memcmp(s.ptr, c, (size_t)s.len) == 0;
}

/* One entity's sides from the request; NULL or a message for the client. */
static const char *
parse_entity(samsa_req_t *req,
             const samsa_AlterClientQuotasRequest_EntityData_array_t *ent,
             samsa_quota_name_t *user, samsa_quota_name_t *client)
{
    *user = (samsa_quota_name_t){0};
    *client = (samsa_quota_name_t){0};
    if (ent->count <= 0) {
        return "Invalid empty client quota entity";
    }
    for (int32_t i = 0; i < ent->count; i++) {
        samsa_str_t type = ent->items[i].EntityType;
        samsa_quota_name_t *side = str_is(type, ENTITY_USER)     ? user
                                   : str_is(type, ENTITY_CLIENT) ? client
                                                                 : NULL;
        if (!side) {
            return str_is(type, "ip")
                       ? "ip quotas (connection_creation_rate) are not "
                         "supported"
                       : "Unhandled client quota entity type";
        }
        if (side->present) {
            return "Duplicate entity type in client quota entity";
        }
        side->present = true;
        samsa_str_t name = ent->items[i].EntityName;
        side->name = name.len < 0 ? NULL : samsa_req_cstr(req, name);
    }
    return NULL;
}

/* On the controller: the entry's ops as CLIENT_QUOTA records, committed
 * together; the first failure, if any. */
static samsa_err_t
propose_entry(samsa_req_t *req,
              const samsa_AlterClientQuotasRequest_EntryData_t *e,
              const samsa_quota_name_t *user, const samsa_quota_name_t *client)
{
    size_t n = e->Ops.count > 0 ? (size_t)e->Ops.count : 0;
    samsa_meta_rec_t *recs = calloc(n + 1, sizeof(*recs));
    samsa_err_t *got = calloc(n + 1, sizeof(*got));
    samsa_err_t err = recs && got ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t made = 0;
    for (; err == SAMSA_OK && made < n; made++) {
        const samsa_AlterClientQuotasRequest_OpData_t *op = &e->Ops.items[made];
        samsa_meta_quota_t q = {.has_user = user->present,
                                .user = (char *)user->name,
                                .has_client = client->present,
                                .client = (char *)client->name,
                                .key = samsa_req_cstr(req, op->Key),
                                .value = op->Value};
        err = samsa_mdrec_client_quota(&q, op->Remove, &recs[made]);
    }
    if (err == SAMSA_OK && n > 0) {
        err = samsa_cluster_propose_wait(req->broker, recs, n, got);
        for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
            err = got[i];
        }
    } else {
        for (size_t i = 0; recs && i < made; i++) {
            free(recs[i].p);
        }
    }
    free(recs);
    free(got);
    return err;
}

static void *build_alter(samsa_req_t *req)
{
    samsa_AlterClientQuotasRequest_t *areq = req->body;
    samsa_AlterClientQuotasResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_AlterClientQuotasResponse_init(resp);
    int32_t n = areq->Entries.count > 0 ? areq->Entries.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Entries, n);
    samsa_err_t denied =
        samsa_req_authorize(req, SAMSA_ACL_OP_ALTER_CONFIGS,
                            SAMSA_RESOURCE_CLUSTER, SAMSA_CLUSTER_RESOURCE);
    samsa_quotas_t *q = req->broker->quotas;
    void *fwd = NULL;
    if (!denied && samsa_cluster_forward(req, &fwd, &denied) && fwd) {
        return fwd;
    }
    bool quorum = req->broker->meta != NULL;
    for (int32_t i = 0; i < n; i++) {
        samsa_AlterClientQuotasRequest_EntryData_t *e = &areq->Entries.items[i];
        samsa_AlterClientQuotasResponse_EntryData_t *r =
            &resp->Entries.items[i];
        samsa_AlterClientQuotasResponse_EntryData_init(r);
        int32_t ne = e->Entity.count > 0 ? e->Entity.count : 0;
        SAMSA_REQ_ARRAY(req, r->Entity, ne);
        for (int32_t j = 0; j < ne; j++) {
            r->Entity.items[j].EntityType = e->Entity.items[j].EntityType;
            r->Entity.items[j].EntityName = e->Entity.items[j].EntityName;
        }
        samsa_quota_name_t user, client;
        const char *msg = NULL;
        samsa_err_t err = denied;
        if (!err) {
            msg = parse_entity(req, &e->Entity, &user, &client);
            err = msg ? SAMSA_ERR_INVALID_REQUEST : SAMSA_OK;
        }
        /* Validate every op before applying any: an entry is all or
         * nothing, as in Kafka. */
        for (int32_t k = 0; !err && k < e->Ops.count; k++) {
            samsa_AlterClientQuotasRequest_OpData_t *op = &e->Ops.items[k];
            err = samsa_quotas_check(samsa_req_cstr(req, op->Key), op->Value,
                                     op->Remove, &msg);
        }
        if (!err && !areq->ValidateOnly && quorum) {
            err = propose_entry(req, e, &user, &client);
        } else if (!err && !areq->ValidateOnly) {
            for (int32_t k = 0; !err && k < e->Ops.count; k++) {
                samsa_AlterClientQuotasRequest_OpData_t *op = &e->Ops.items[k];
                err = samsa_quotas_set(
                    q, &user, &client,
                    samsa_quota_kind_of(samsa_req_cstr(req, op->Key)),
                    op->Value, op->Remove);
            }
            if (!err && e->Ops.count > 0) {
                err = samsa_quotas_commit(q);
            }
        }
        r->ErrorCode = (int16_t)err;
        if (err) {
            r->ErrorMessage =
                samsa_req_str(req, msg ? msg : samsa_err_str(err));
        }
    }
    return resp;
}

void samsa_handle_alter_client_quotas(samsa_req_t *req)
{
    samsa_admin_run(req->broker->admin, req, build_alter);
}

/* Does one side of a stored entity match a filter component? */
static bool
side_matches(const samsa_quota_name_t *side,
             const samsa_DescribeClientQuotasRequest_ComponentData_t *c)
{
    if (!side->present) {
        return false;
    }
    switch (c->MatchType) {
    case 0: /* exact name; a null Match means the default */
        if (c->Match.len < 0) {
            return !side->name;
        }
        return side->name && str_is(c->Match, side->name);
    case 1: /* the default */
        return !side->name;
    default: /* any specified */
        return true;
    }
}

static void put_entity(samsa_req_t *req, const samsa_quota_entry_t *e,
                       samsa_DescribeClientQuotasResponse_EntryData_t *r)
{
    int n = e->user.present + e->client.present, i = 0;
    SAMSA_REQ_ARRAY(req, r->Entity, n);
    const samsa_quota_name_t *sides[2] = {&e->user, &e->client};
    const char *types[2] = {ENTITY_USER, ENTITY_CLIENT};
    for (int s = 0; s < 2; s++) {
        if (sides[s]->present) {
            r->Entity.items[i].EntityType = samsa_req_str(req, types[s]);
            r->Entity.items[i].EntityName =
                sides[s]->name ? samsa_req_str(req, sides[s]->name)
                               : (samsa_str_t){.ptr = NULL, .len = -1};
            i++;
        }
    }
    int nv = 0;
    for (int k = 0; k < SAMSA_QUOTA_KINDS; k++) {
        nv += !isnan(e->value[k]);
    }
    SAMSA_REQ_ARRAY(req, r->Values, nv);
    for (int k = 0, j = 0; k < SAMSA_QUOTA_KINDS; k++) {
        if (!isnan(e->value[k])) {
            r->Values.items[j].Key =
                samsa_req_str(req, samsa_quota_key((samsa_quota_kind_t)k));
            r->Values.items[j].Value = e->value[k];
            j++;
        }
    }
}

void samsa_handle_describe_client_quotas(samsa_req_t *req)
{
    samsa_DescribeClientQuotasRequest_t *dreq = req->body;
    samsa_DescribeClientQuotasResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeClientQuotasResponse_init(resp);
    SAMSA_REQ_ARRAY(req, resp->Entries, 0);
    samsa_err_t err =
        samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE_CONFIGS,
                            SAMSA_RESOURCE_CLUSTER, SAMSA_CLUSTER_RESOURCE);
    /* Which side each component filters: 0 user, 1 client-id. */
    const samsa_DescribeClientQuotasRequest_ComponentData_t *filter[2] = {0};
    const char *msg = NULL;
    for (int32_t i = 0; !err && i < dreq->Components.count; i++) {
        const samsa_DescribeClientQuotasRequest_ComponentData_t *c =
            &dreq->Components.items[i];
        int side = str_is(c->EntityType, ENTITY_USER)     ? 0
                   : str_is(c->EntityType, ENTITY_CLIENT) ? 1
                                                          : -1;
        if (side < 0 || filter[side] || c->MatchType < 0 || c->MatchType > 2) {
            msg = side < 0 ? "Unhandled client quota entity type"
                  : filter[side]
                      ? "Duplicate entity type in client quota filter"
                      : "Unknown match type";
            err = SAMSA_ERR_INVALID_REQUEST;
            break;
        }
        filter[side] = c;
    }
    samsa_quota_entry_t *all = NULL;
    size_t n = 0;
    if (!err) {
        err = samsa_quotas_entries(req->broker->quotas, &all, &n);
    }
    if (err) {
        resp->ErrorCode = (int16_t)err;
        resp->ErrorMessage = samsa_req_str(req, msg ? msg : samsa_err_str(err));
        resp->Entries.count = -1;
        samsa_req_respond(req, resp);
        return;
    }
    SAMSA_REQ_ARRAY(req, resp->Entries, n);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        const samsa_quota_entry_t *e = &all[i];
        const samsa_quota_name_t *sides[2] = {&e->user, &e->client};
        bool keep = true;
        for (int s = 0; s < 2; s++) {
            if (filter[s]) {
                keep = keep && side_matches(sides[s], filter[s]);
            } else if (dreq->Strict) {
                keep = keep && !sides[s]->present;
            }
        }
        if (keep) {
            samsa_DescribeClientQuotasResponse_EntryData_init(
                &resp->Entries.items[out]);
            put_entity(req, e, &resp->Entries.items[out++]);
        }
    }
    resp->Entries.count = (int32_t)out;
    samsa_quotas_entries_free(all, n);
    samsa_req_respond(req, resp);
}
