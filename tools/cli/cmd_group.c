/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_group.c - `samsa group list|describe|reset-offsets|delete`.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_client.h"
#include "util/err.h"

#define MAX_ITEMS 64

static void group_usage(FILE *out)
{
    fprintf(out, "usage: samsa group list\n"
                 "       samsa group describe GROUP\n"
                 "       samsa group reset-offsets GROUP --topic T "
                 "(--to-earliest|--to-latest|--to-offset N) [--execute]\n"
                 "       samsa group delete GROUP...\n"
                 "\n"
                 "list           groups of every broker: id, protocol type, "
                 "state\n"
                 "describe       state and members, then per partition: "
                 "committed offset,\n"
                 "               log end offset, lag and the member that owns "
                 "it\n"
                 "reset-offsets  commit new offsets for every partition of T; "
                 "a dry run\n"
                 "               (prints the plan) unless --execute. The group "
                 "must be empty.\n"
                 "delete         DeleteGroups (the group must be empty)\n"
                 "\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct group_args {
    samsa_cli_conn_opts_t conn;
    const char *names[MAX_ITEMS];
    int nnames;
    const char *topic;
    int reset; /* 0 none, 1 earliest, 2 latest, 3 offset */
    long long to_offset;
    bool execute;
} group_args_t;

static int parse(int argc, char **argv, group_args_t *a)
{
    const char *v = NULL;
    memset(a, 0, sizeof(*a));
    samsa_cli_conn_opts_init(&a->conn);
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            group_usage(stdout);
            return 1;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &a->conn)) != 0 ||
            (r = samsa_cli_opt(argc, argv, &i, "--topic", &a->topic)) != 0 ||
            (r = samsa_cli_opt(argc, argv, &i, "-t", &a->topic)) != 0) {
            if (r < 0) {
                return -1;
            }
            continue;
        }
        if (strcmp(argv[i], "--to-earliest") == 0) {
            a->reset = 1;
        } else if (strcmp(argv[i], "--to-latest") == 0) {
            a->reset = 2;
        } else if (strcmp(argv[i], "--execute") == 0) {
            a->execute = true;
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            a->execute = false;
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--to-offset", &v)) !=
                   0) {
            if (r < 0 || !samsa_cli_int("group", "--to-offset", v, 0, INT64_MAX,
                                        &a->to_offset)) {
                return -1;
            }
            a->reset = 3;
        } else if (argv[i][0] == '-' || a->nnames >= MAX_ITEMS) {
            fprintf(stderr, "samsa group: unexpected argument '%s'\n", argv[i]);
            return -1;
        } else {
            a->names[a->nnames++] = argv[i];
        }
    }
    return 0;
}

static int do_list(samsa_client_t *c)
{
    samsa_metadata_t *md = NULL;
    samsa_arena_t arena;
    int rc = SAMSA_EXIT_OK;

    if (samsa_client_metadata(c, NULL, 0, false, &md) != SAMSA_OK) {
        return samsa_cli_client_error("group list", c);
    }
    samsa_arena_init(&arena);
    for (int32_t b = 0; b < md->nbrokers; b++) {
        samsa_ListGroupsRequest_t req;
        samsa_ListGroupsResponse_t *resp = NULL;
        samsa_ListGroupsRequest_init(&req);
        samsa_arena_reset(&arena);
        if (samsa_client_call(c, md->brokers[b].id, SAMSA_API_LIST_GROUPS, &req,
                              &arena, (void **)&resp, NULL) != SAMSA_OK) {
            rc = samsa_cli_client_error("group list", c);
            continue;
        }
        if (resp->ErrorCode != 0) {
            fprintf(stderr, "samsa group list: broker %d: %s\n",
                    md->brokers[b].id, samsa_err_name(resp->ErrorCode));
            rc = SAMSA_EXIT_ERROR;
            continue;
        }
        for (int32_t i = 0; i < resp->Groups.count; i++) {
            const samsa_ListGroupsResponse_ListedGroup_t *g =
                &resp->Groups.items[i];
            printf("%.*s\t%.*s\t%.*s\n", (int)g->GroupId.len, g->GroupId.ptr,
                   g->ProtocolType.len > 0 ? (int)g->ProtocolType.len : 0,
                   g->ProtocolType.len > 0 ? g->ProtocolType.ptr : "",
                   g->GroupState.len > 0 ? (int)g->GroupState.len : 0,
                   g->GroupState.len > 0 ? g->GroupState.ptr : "");
        }
    }
    samsa_arena_destroy(&arena);
    samsa_metadata_free(md);
    return rc;
}

/* The member owning topic/partition in a DescribeGroups answer, or "-". */
static const char *
owner_of(const samsa_DescribeGroupsResponse_DescribedGroup_t *g,
         samsa_str_t topic, int32_t partition, samsa_arena_t *arena, char *buf,
         size_t buflen)
{
    for (int32_t m = 0; g != NULL && m < g->Members.count; m++) {
        const samsa_DescribeGroupsResponse_DescribedGroupMember_t *mem =
            &g->Members.items[m];
        samsa_ConsumerProtocolAssignment_t a;
        if (mem->MemberAssignment.len <= 0 ||
            samsa_consumer_assignment_decode(mem->MemberAssignment.ptr,
                                             (size_t)mem->MemberAssignment.len,
                                             arena, &a) != SAMSA_OK) {
            continue;
        }
        for (int32_t t = 0; t < a.AssignedPartitions.count; t++) {
            const samsa_ConsumerProtocolAssignment_TopicPartition_t *tp =
                &a.AssignedPartitions.items[t];
            if (!samsa_str_eq(tp->Topic, topic)) {
                continue;
            }
            for (int32_t k = 0; k < tp->Partitions.count; k++) {
                if (tp->Partitions.items[k] == partition) {
                    snprintf(buf, buflen, "%.*s", (int)mem->MemberId.len,
                             mem->MemberId.ptr);
                    return buf;
                }
            }
        }
    }
    return "-";
}

static int32_t leader_of(const samsa_metadata_t *md, const char *topic,
                         int32_t partition)
{
    const samsa_md_topic_t *t = md ? samsa_metadata_topic(md, topic) : NULL;
    for (int32_t i = 0; t != NULL && i < t->npartitions; i++) {
        if (t->partitions[i].id == partition) {
            return t->partitions[i].leader;
        }
    }
    return -1;
}

static void
print_members(const samsa_DescribeGroupsResponse_DescribedGroup_t *g)
{
    printf("Group: %.*s\tState: %.*s\tProtocol: %.*s\tMembers: %d\n",
           (int)g->GroupId.len, g->GroupId.ptr, (int)g->GroupState.len,
           g->GroupState.ptr,
           g->ProtocolData.len > 0 ? (int)g->ProtocolData.len : 0,
           g->ProtocolData.len > 0 ? g->ProtocolData.ptr : "",
           g->Members.count);
    for (int32_t m = 0; m < g->Members.count; m++) {
        const samsa_DescribeGroupsResponse_DescribedGroupMember_t *mem =
            &g->Members.items[m];
        printf("\tMember: %.*s\tClient: %.*s\tHost: %.*s\n",
               (int)mem->MemberId.len, mem->MemberId.ptr,
               (int)mem->ClientId.len, mem->ClientId.ptr,
               (int)mem->ClientHost.len, mem->ClientHost.ptr);
    }
}

static int print_offsets(samsa_client_t *c, const char *group,
                         const samsa_DescribeGroupsResponse_DescribedGroup_t *g,
                         int32_t node, samsa_arena_t *arena)
{
    samsa_OffsetFetchRequest_t req;
    samsa_OffsetFetchResponse_t *resp = NULL;
    samsa_metadata_t *md = NULL;
    char owner[256];

    samsa_OffsetFetchRequest_init(&req);
    req.GroupId = samsa_str_from_cstr(group);
    req.Topics.count = -1; /* all committed partitions (v2+) */
    if (samsa_client_call(c, node, SAMSA_API_OFFSET_FETCH, &req, arena,
                          (void **)&resp, NULL) != SAMSA_OK) {
        return samsa_cli_client_error("group describe", c);
    }
    if (resp->ErrorCode != 0) {
        fprintf(stderr, "samsa group describe: %s: %s\n", group,
                samsa_err_name(resp->ErrorCode));
        return SAMSA_EXIT_ERROR;
    }
    if (samsa_client_metadata(c, NULL, 0, false, &md) != SAMSA_OK) {
        return samsa_cli_client_error("group describe", c);
    }
    printf("%-24s %-20s %9s %15s %15s %10s  %s\n", "GROUP", "TOPIC",
           "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
           "CONSUMER-ID");
    for (int32_t t = 0; t < resp->Topics.count; t++) {
        const samsa_OffsetFetchResponse_OffsetFetchResponseTopic_t *rt =
            &resp->Topics.items[t];
        char *topic = samsa_client_strdup(rt->Name);
        for (int32_t k = 0; topic != NULL && k < rt->Partitions.count; k++) {
            const samsa_OffsetFetchResponse_OffsetFetchResponsePartition_t *p =
                &rt->Partitions.items[k];
            int64_t end = -1;
            int32_t leader = leader_of(md, topic, p->PartitionIndex);
            if (leader >= 0) {
                samsa_client_list_offset(c, topic, p->PartitionIndex, leader,
                                         SAMSA_OFFSET_END, &end);
            }
            char cur[32], endb[32], lag[32];
            snprintf(cur, sizeof(cur), "%" PRId64, p->CommittedOffset);
            snprintf(endb, sizeof(endb), "%" PRId64, end);
            snprintf(lag, sizeof(lag), "%" PRId64,
                     end - (p->CommittedOffset < 0 ? 0 : p->CommittedOffset));
            printf("%-24s %-20s %9d %15s %15s %10s  %s\n", group, topic,
                   p->PartitionIndex, p->CommittedOffset < 0 ? "-" : cur,
                   end < 0 ? "-" : endb, end < 0 ? "-" : lag,
                   owner_of(g, rt->Name, p->PartitionIndex, arena, owner,
                            sizeof(owner)));
        }
        free(topic);
    }
    samsa_metadata_free(md);
    return SAMSA_EXIT_OK;
}

static int do_describe(samsa_client_t *c, group_args_t *a)
{
    samsa_DescribeGroupsRequest_t req;
    samsa_DescribeGroupsResponse_t *resp = NULL;
    samsa_str_t name;
    samsa_arena_t arena;
    int32_t node = -1;
    int rc = SAMSA_EXIT_OK;

    if (a->nnames != 1) {
        group_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if (samsa_client_coordinator(c, a->names[0], &node) != SAMSA_OK) {
        return samsa_cli_client_error("group describe", c);
    }
    samsa_arena_init(&arena);
    samsa_DescribeGroupsRequest_init(&req);
    name = samsa_str_from_cstr(a->names[0]);
    req.Groups.count = 1;
    req.Groups.items = &name;
    if (samsa_client_call(c, node, SAMSA_API_DESCRIBE_GROUPS, &req, &arena,
                          (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("group describe", c);
    } else if (resp->Groups.count != 1) {
        fprintf(stderr, "samsa group describe: unexpected response\n");
        rc = SAMSA_EXIT_ERROR;
    } else if (resp->Groups.items[0].ErrorCode != 0) {
        fprintf(stderr, "samsa group describe: %s: %s\n", a->names[0],
                samsa_err_name(resp->Groups.items[0].ErrorCode));
        rc = SAMSA_EXIT_ERROR;
    } else {
        print_members(&resp->Groups.items[0]);
        rc =
            print_offsets(c, a->names[0], &resp->Groups.items[0], node, &arena);
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int do_reset(samsa_client_t *c, group_args_t *a)
{
    samsa_metadata_t *md = NULL;
    samsa_tp_t *tps = NULL;
    int64_t *offs = NULL;
    int n = 0, rc = SAMSA_EXIT_OK;

    if (a->nnames != 1 || a->topic == NULL || a->reset == 0) {
        fprintf(stderr, "samsa group reset-offsets: needs GROUP, --topic "
                        "and one of --to-earliest/--to-latest/--to-offset\n");
        return SAMSA_EXIT_USAGE;
    }
    if (samsa_client_metadata(c, &a->topic, 1, false, &md) != SAMSA_OK) {
        return samsa_cli_client_error("group reset-offsets", c);
    }
    const samsa_md_topic_t *t = samsa_metadata_topic(md, a->topic);
    if (t == NULL || t->error != 0) {
        fprintf(stderr, "samsa group reset-offsets: topic %s: %s\n", a->topic,
                samsa_err_name(t ? t->error
                                 : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION));
        samsa_metadata_free(md);
        return SAMSA_EXIT_ERROR;
    }
    tps = calloc((size_t)t->npartitions + 1, sizeof(*tps));
    offs = calloc((size_t)t->npartitions + 1, sizeof(*offs));
    for (int32_t i = 0; tps && offs && i < t->npartitions; i++) {
        const samsa_md_partition_t *mp = &t->partitions[i];
        tps[n].topic = t->name;
        tps[n].partition = mp->id;
        if (a->reset == 3) {
            offs[n] = a->to_offset;
        } else if (samsa_client_list_offset(c, t->name, mp->id, mp->leader,
                                            a->reset == 1
                                                ? SAMSA_OFFSET_BEGINNING
                                                : SAMSA_OFFSET_END,
                                            &offs[n]) != SAMSA_OK) {
            rc = samsa_cli_client_error("group reset-offsets", c);
            break;
        }
        printf("%s\t%s\t%d\t%" PRId64 "\n", a->names[0], t->name, mp->id,
               offs[n]);
        n++;
    }
    if (rc == SAMSA_EXIT_OK && a->execute &&
        samsa_client_commit(c, a->names[0], NULL, tps, offs, n) != SAMSA_OK) {
        rc = samsa_cli_client_error("group reset-offsets", c);
    }
    if (rc == SAMSA_EXIT_OK && !a->execute) {
        printf("(dry run: add --execute to commit these offsets)\n");
    }
    free(tps);
    free(offs);
    samsa_metadata_free(md);
    return rc;
}

static int do_delete(samsa_client_t *c, group_args_t *a)
{
    samsa_arena_t arena;
    int rc = SAMSA_EXIT_OK;

    if (a->nnames < 1) {
        group_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    samsa_arena_init(&arena);
    for (int i = 0; i < a->nnames; i++) {
        samsa_DeleteGroupsRequest_t req;
        samsa_DeleteGroupsResponse_t *resp = NULL;
        samsa_str_t name = samsa_str_from_cstr(a->names[i]);
        int32_t node = -1;
        samsa_arena_reset(&arena);
        samsa_DeleteGroupsRequest_init(&req);
        req.GroupsNames.count = 1;
        req.GroupsNames.items = &name;
        if (samsa_client_coordinator(c, a->names[i], &node) != SAMSA_OK ||
            samsa_client_call(c, node, SAMSA_API_DELETE_GROUPS, &req, &arena,
                              (void **)&resp, NULL) != SAMSA_OK) {
            rc = samsa_cli_client_error("group delete", c);
            continue;
        }
        samsa_client_forget_coordinator(c);
        for (int32_t k = 0; k < resp->Results.count; k++) {
            int16_t ec = resp->Results.items[k].ErrorCode;
            if (ec != 0) {
                fprintf(stderr, "samsa group delete: %s: %s\n", a->names[i],
                        samsa_err_name(ec));
                rc = SAMSA_EXIT_ERROR;
            } else {
                printf("deleted group %s\n", a->names[i]);
            }
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int group_run(int argc, char **argv)
{
    group_args_t a;
    samsa_client_t *c = NULL;
    int rc;

    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        group_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    rc = parse(argc, argv, &a);
    if (rc != 0) {
        if (rc < 0) {
            group_usage(stderr);
        }
        return rc < 0 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "list") && strcmp(sub, "describe") &&
        strcmp(sub, "reset-offsets") && strcmp(sub, "delete")) {
        fprintf(stderr, "samsa group: unknown subcommand '%s'\n", sub);
        group_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("group", &a.conn, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    if (strcmp(sub, "list") == 0) {
        rc = do_list(c);
    } else if (strcmp(sub, "describe") == 0) {
        rc = do_describe(c, &a);
    } else if (strcmp(sub, "reset-offsets") == 0) {
        rc = do_reset(c, &a);
    } else {
        rc = do_delete(c, &a);
    }
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_group = {
    .name = "group",
    .summary = "list, describe (lag), reset offsets of, or delete groups",
    .run = group_run,
};
