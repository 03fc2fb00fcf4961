/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_acl.c - `samsa acl add|list|remove`: CreateAcls,
 * DescribeAcls and DeleteAcls, as Kafka's kafka-acls tool.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <samsa/authorizer.h>

#include "cmd_client.h"
#include "protocol/generated/messages.h"
#include "util/err.h"

static void acl_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa acl add (--allow|--deny) PRINCIPAL --operation OP "
            "RESOURCE [--host H]\n"
            "       samsa acl list [RESOURCE] [--principal P]\n"
            "       samsa acl remove RESOURCE [--principal P] [--operation "
            "OP]\n"
            "\n"
            "RESOURCE  --topic NAME | --group NAME | --cluster | "
            "--transactional-id NAME\n"
            "          [--prefixed]  (the name is a prefix)\n"
            "OP        All, Read, Write, Create, Delete, Alter, Describe, "
            "ClusterAction,\n"
            "          DescribeConfigs, AlterConfigs, IdempotentWrite\n"
            "PRINCIPAL User:NAME, or User:* for everyone\n"
            "\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT);
}

static const char *const op_names[] = {"Unknown",
                                       "Any",
                                       "All",
                                       "Read",
                                       "Write",
                                       "Create",
                                       "Delete",
                                       "Alter",
                                       "Describe",
                                       "ClusterAction",
                                       "DescribeConfigs",
                                       "AlterConfigs",
                                       "IdempotentWrite"};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))
static const char *const type_names[] = {
    "Unknown", "Any", "Topic", "Group", "Cluster", "TransactionalId"};

typedef struct acl_args {
    samsa_cli_conn_opts_t conn;
    int8_t rtype, pattern, op, perm;
    const char *name, *principal, *host;
} acl_args_t;

static int parse(int argc, char **argv, acl_args_t *a)
{
    const char *v = NULL;
    memset(a, 0, sizeof(*a));
    samsa_cli_conn_opts_init(&a->conn);
    a->rtype = SAMSA_RESOURCE_ANY;
    a->pattern = SAMSA_ACL_PATTERN_LITERAL;
    a->op = SAMSA_ACL_OP_ANY;
    a->perm = SAMSA_ACL_PERMISSION_ANY;
    a->host = "*";
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            acl_usage(stdout);
            return 1;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &a->conn)) != 0 ||
            (r = samsa_cli_opt(argc, argv, &i, "--host", &a->host)) != 0 ||
            (r = samsa_cli_opt(argc, argv, &i, "--principal", &a->principal)) !=
                0) {
            if (r < 0) {
                return -1;
            }
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--allow",
                                      &a->principal)) != 0 ||
                   (r = samsa_cli_opt(argc, argv, &i, "--deny",
                                      &a->principal)) != 0) {
            if (r < 0) {
                return -1;
            }
            a->perm = strncmp(argv[i - 1], "--allow", 7) == 0 ||
                              strncmp(argv[i], "--allow=", 8) == 0
                          ? SAMSA_ACL_PERMISSION_ALLOW
                          : SAMSA_ACL_PERMISSION_DENY;
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--topic", &a->name)) !=
                   0) {
            a->rtype = SAMSA_RESOURCE_TOPIC;
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--group", &a->name)) !=
                   0) {
            a->rtype = SAMSA_RESOURCE_GROUP;
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--transactional-id",
                                      &a->name)) != 0) {
            a->rtype = SAMSA_RESOURCE_TRANSACTIONAL_ID;
        } else if (strcmp(argv[i], "--cluster") == 0) {
            a->rtype = SAMSA_RESOURCE_CLUSTER;
            a->name = "kafka-cluster";
        } else if (strcmp(argv[i], "--prefixed") == 0) {
            a->pattern = SAMSA_ACL_PATTERN_PREFIXED;
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--operation", &v)) !=
                   0) {
            a->op = 0;
            for (size_t k = 2; r > 0 && k < N_OPS; k++) {
                if (strcasecmp(v, op_names[k]) == 0) {
                    a->op = (int8_t)k;
                }
            }
            if (a->op == 0) {
                fprintf(stderr, "samsa acl: unknown operation '%s'\n",
                        v ? v : "");
                return -1;
            }
        } else {
            fprintf(stderr, "samsa acl: unexpected '%s'\n", argv[i]);
            return -1;
        }
        if (r < 0) {
            return -1;
        }
    }
    return 0;
}

static samsa_str_t opt_str(const char *s)
{
    return s ? samsa_str_from_cstr(s) : SAMSA_STR_NULL;
}

static int add(samsa_client_t *c, acl_args_t *a)
{
    samsa_CreateAclsRequest_t req;
    samsa_CreateAclsRequest_init(&req);
    samsa_CreateAclsRequest_AclCreation_t cr = {
        .ResourceType = a->rtype,
        .ResourceName = samsa_str_from_cstr(a->name),
        .ResourcePatternType = a->pattern,
        .Principal = samsa_str_from_cstr(a->principal),
        .Host = samsa_str_from_cstr(a->host),
        .Operation = a->op,
        .PermissionType = a->perm,
    };
    req.Creations.items = &cr;
    req.Creations.count = 1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_CreateAclsResponse_t *resp = NULL;
    int rc = SAMSA_EXIT_OK;
    if (samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_CREATE_ACLS, &req,
                          &arena, (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("acl", c);
    } else if (resp->Results.count != 1 ||
               resp->Results.items[0].ErrorCode != 0) {
        fprintf(stderr, "samsa acl add: %s\n",
                samsa_err_name(resp->Results.count
                                   ? resp->Results.items[0].ErrorCode
                                   : SAMSA_ERR_UNKNOWN_SERVER_ERROR));
        rc = SAMSA_EXIT_ERROR;
    } else {
        printf("added\n");
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static void print_acl(int8_t rtype, samsa_str_t name, int8_t pattern,
                      samsa_str_t principal, samsa_str_t host, int8_t op,
                      int8_t perm)
{
    printf("%s:%s%.*s  %.*s %s %s from %.*s\n",
           rtype >= 0 && rtype < 6 ? type_names[rtype] : "?",
           pattern == SAMSA_ACL_PATTERN_PREFIXED ? "prefix " : "",
           (int)name.len, name.ptr, (int)principal.len, principal.ptr,
           perm == SAMSA_ACL_PERMISSION_DENY ? "DENY" : "ALLOW",
           op >= 0 && (size_t)op < N_OPS ? op_names[op] : "?", (int)host.len,
           host.ptr);
}

static int list(samsa_client_t *c, acl_args_t *a)
{
    samsa_DescribeAclsRequest_t req;
    samsa_DescribeAclsRequest_init(&req);
    req.ResourceTypeFilter = a->rtype;
    req.ResourceNameFilter = opt_str(a->name);
    req.PatternTypeFilter = a->name ? a->pattern : SAMSA_ACL_PATTERN_ANY;
    req.PrincipalFilter = opt_str(a->principal);
    req.HostFilter = SAMSA_STR_NULL;
    req.Operation = a->op;
    req.PermissionType = SAMSA_ACL_PERMISSION_ANY;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_DescribeAclsResponse_t *resp = NULL;
    int rc = SAMSA_EXIT_OK;
    if (samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_DESCRIBE_ACLS, &req,
                          &arena, (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("acl", c);
    } else if (resp->ErrorCode != 0) {
        fprintf(stderr, "samsa acl list: %s\n",
                samsa_err_name(resp->ErrorCode));
        rc = SAMSA_EXIT_ERROR;
    } else {
        for (int32_t i = 0; i < resp->Resources.count; i++) {
            const samsa_DescribeAclsResponse_DescribeAclsResource_t *r =
                &resp->Resources.items[i];
            for (int32_t j = 0; j < r->Acls.count; j++) {
                const samsa_DescribeAclsResponse_AclDescription_t *d =
                    &r->Acls.items[j];
                print_acl(r->ResourceType, r->ResourceName, r->PatternType,
                          d->Principal, d->Host, d->Operation,
                          d->PermissionType);
            }
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int remove_acls(samsa_client_t *c, acl_args_t *a)
{
    samsa_DeleteAclsRequest_t req;
    samsa_DeleteAclsRequest_init(&req);
    samsa_DeleteAclsRequest_DeleteAclsFilter_t f = {
        .ResourceTypeFilter = a->rtype,
        .ResourceNameFilter = opt_str(a->name),
        .PatternTypeFilter = a->pattern,
        .PrincipalFilter = opt_str(a->principal),
        .HostFilter = SAMSA_STR_NULL,
        .Operation = a->op,
        .PermissionType = SAMSA_ACL_PERMISSION_ANY,
    };
    req.Filters.items = &f;
    req.Filters.count = 1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_DeleteAclsResponse_t *resp = NULL;
    int rc = SAMSA_EXIT_OK;
    if (samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_DELETE_ACLS, &req,
                          &arena, (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("acl", c);
    } else if (resp->FilterResults.count != 1 ||
               resp->FilterResults.items[0].ErrorCode != 0) {
        fprintf(stderr, "samsa acl remove: %s\n",
                samsa_err_name(resp->FilterResults.count
                                   ? resp->FilterResults.items[0].ErrorCode
                                   : SAMSA_ERR_UNKNOWN_SERVER_ERROR));
        rc = SAMSA_EXIT_ERROR;
    } else {
        printf("removed %d\n", resp->FilterResults.items[0].MatchingAcls.count);
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int acl_run(int argc, char **argv)
{
    acl_args_t a;
    samsa_client_t *c = NULL;
    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        acl_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    int rc = parse(argc, argv, &a);
    if (rc != 0) {
        if (rc < 0) {
            acl_usage(stderr);
        }
        return rc < 0 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    const char *sub = argv[1];
    bool is_add = strcmp(sub, "add") == 0, is_rm = strcmp(sub, "remove") == 0;
    if ((!is_add && !is_rm && strcmp(sub, "list") != 0) ||
        ((is_add || is_rm) && !a.name) ||
        (is_add && (!a.principal || a.op == SAMSA_ACL_OP_ANY ||
                    a.perm == SAMSA_ACL_PERMISSION_ANY))) {
        acl_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("acl", &a.conn, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    rc = is_add ? add(c, &a) : is_rm ? remove_acls(c, &a) : list(c, &a);
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_acl = {
    .name = "acl",
    .summary = "add, list or remove ACLs",
    .run = acl_run,
};
