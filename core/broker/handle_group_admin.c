/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/handle_group_admin.c - ListGroups (16), DescribeGroups (15),
 * DeleteGroups (42). */
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/handlers.h"
#include "group/coordinator.h"

void samsa_handle_list_groups(samsa_req_t *req)
{
    samsa_ListGroupsRequest_t *lreq = req->body;
    samsa_ListGroupsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_ListGroupsResponse_init(resp);
    size_t ns =
        lreq->StatesFilter.count > 0 ? (size_t)lreq->StatesFilter.count : 0;
    const char **states = samsa_req_alloc(req, sizeof(*states) * ns);
    for (size_t i = 0; i < ns; i++) {
        states[i] = samsa_req_cstr(req, lreq->StatesFilter.items[i]);
    }
    samsa_group_listing_t *list = NULL;
    size_t count = 0;
    samsa_err_t err = samsa_group_list(
        req->broker->groups, (const char *const *)states, ns, &list, &count);
    resp->ErrorCode = (int16_t)err;
    SAMSA_REQ_ARRAY(req, resp->Groups, err == SAMSA_OK ? count : 0);
    int32_t listed = resp->Groups.count;
    resp->Groups.count = 0;
    for (int32_t i = 0; i < listed; i++) {
        /* Kafka lists only the groups the principal may describe. */
        if (samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                SAMSA_RESOURCE_GROUP,
                                list[i].group_id) != SAMSA_OK) {
            continue;
        }
        samsa_ListGroupsResponse_ListedGroup_t *g =
            &resp->Groups.items[resp->Groups.count++];
        samsa_ListGroupsResponse_ListedGroup_init(g);
        g->GroupId = samsa_req_str(req, list[i].group_id);
        g->ProtocolType = samsa_req_str(req, list[i].protocol_type);
        g->GroupState = samsa_req_str(req, list[i].state);
        g->GroupType = SAMSA_STR("classic");
    }
    samsa_group_listings_free(list, count);
    samsa_req_respond(req, resp);
}

static samsa_bytes_t arena_bytes(samsa_req_t *req, const uint8_t *p, size_t n)
{
    uint8_t *c = samsa_req_alloc(req, n);
    if (n) {
        memcpy(c, p, n);
    }
    return (samsa_bytes_t){c, (int32_t)n};
}

void samsa_handle_describe_groups(samsa_req_t *req)
{
    samsa_DescribeGroupsRequest_t *dreq = req->body;
    samsa_DescribeGroupsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeGroupsResponse_init(resp);
    int32_t n = dreq->Groups.count > 0 ? dreq->Groups.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Groups, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_DescribeGroupsResponse_DescribedGroup_t *g =
            &resp->Groups.items[i];
        samsa_DescribeGroupsResponse_DescribedGroup_init(g);
        g->GroupId = dreq->Groups.items[i];
        samsa_group_desc_t d;
        const char *gid = samsa_req_cstr(req, g->GroupId);
        samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_DESCRIBE,
                                              SAMSA_RESOURCE_GROUP, gid);
        if (err == SAMSA_OK) {
            err = samsa_group_describe(req->broker->groups, gid, &d);
        }
        if (err != SAMSA_OK) {
            g->ErrorCode = (int16_t)err;
            g->GroupState = SAMSA_STR("");
            g->ProtocolType = SAMSA_STR("");
            g->ProtocolData = SAMSA_STR("");
            SAMSA_REQ_ARRAY(req, g->Members, 0);
            continue;
        }
        /* v6 would report GROUP_ID_NOT_FOUND; v0-5 report state "Dead". */
        g->ErrorCode = d.error == SAMSA_ERR_GROUP_ID_NOT_FOUND
                           ? SAMSA_OK
                           : (int16_t)d.error;
        g->GroupState = samsa_req_str(req, d.state);
        g->ProtocolType = samsa_req_str(req, d.protocol_type);
        g->ProtocolData = samsa_req_str(req, d.protocol);
        SAMSA_REQ_ARRAY(req, g->Members, d.member_count);
        for (size_t m = 0; m < d.member_count; m++) {
            samsa_DescribeGroupsResponse_DescribedGroupMember_t *gm =
                &g->Members.items[m];
            samsa_group_member_desc_t *md = &d.members[m];
            samsa_DescribeGroupsResponse_DescribedGroupMember_init(gm);
            gm->MemberId = samsa_req_str(req, md->member_id);
            gm->GroupInstanceId =
                md->group_instance_id
                    ? samsa_req_str(req, md->group_instance_id)
                    : SAMSA_STR_NULL;
            gm->ClientId = samsa_req_str(req, md->client_id);
            gm->ClientHost = samsa_req_str(req, md->client_host);
            gm->MemberMetadata =
                arena_bytes(req, md->metadata, md->metadata_len);
            gm->MemberAssignment =
                arena_bytes(req, md->assignment, md->assignment_len);
        }
        samsa_group_desc_free(&d);
    }
    samsa_req_respond(req, resp);
}

void samsa_handle_delete_groups(samsa_req_t *req)
{
    samsa_DeleteGroupsRequest_t *dreq = req->body;
    samsa_DeleteGroupsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DeleteGroupsResponse_init(resp);
    int32_t n = dreq->GroupsNames.count > 0 ? dreq->GroupsNames.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Results, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_DeleteGroupsResponse_DeletableGroupResult_t *r =
            &resp->Results.items[i];
        samsa_DeleteGroupsResponse_DeletableGroupResult_init(r);
        r->GroupId = dreq->GroupsNames.items[i];
        const char *gid = samsa_req_cstr(req, r->GroupId);
        samsa_err_t err = samsa_req_authorize(req, SAMSA_ACL_OP_DELETE,
                                              SAMSA_RESOURCE_GROUP, gid);
        r->ErrorCode =
            (int16_t)(err ? err : samsa_group_delete(req->broker->groups, gid));
    }
    samsa_req_respond(req, resp);
}
