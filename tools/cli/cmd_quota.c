/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_quota.c - `samsa quota set|delete|list`: client quotas
 * through AlterClientQuotas and DescribeClientQuotas, as Kafka's
 * `kafka-configs --entity-type users|clients` does.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_client.h"
#include "protocol/generated/messages.h"
#include "security/quota.h"
#include "util/err.h"

#define MAX_OPS 8

static void quota_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa quota set ENTITY KEY=VALUE...\n"
            "       samsa quota delete ENTITY KEY...\n"
            "       samsa quota list [ENTITY]\n"
            "\n"
            "ENTITY: --user NAME | --user-default, and/or\n"
            "        --client-id ID | --client-id-default\n"
            "KEY:    producer_byte_rate, consumer_byte_rate, "
            "request_percentage\n"
            "\n"
            "list without ENTITY shows every quota; with one, the entities "
            "matching it.\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct quota_args {
    samsa_cli_conn_opts_t conn;
    samsa_quota_name_t user, client;
    const char *ops[MAX_OPS];
    int nops;
} quota_args_t;

static int parse(int argc, char **argv, quota_args_t *a)
{
    const char *v = NULL;
    memset(a, 0, sizeof(*a));
    samsa_cli_conn_opts_init(&a->conn);
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            quota_usage(stdout);
            return 1;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &a->conn)) != 0) {
            if (r < 0) {
                return -1;
            }
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--user", &v)) != 0) {
            if (r < 0) {
                return -1;
            }
            a->user = (samsa_quota_name_t){true, v};
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--client-id", &v)) !=
                   0) {
            if (r < 0) {
                return -1;
            }
            a->client = (samsa_quota_name_t){true, v};
        } else if (strcmp(argv[i], "--user-default") == 0) {
            a->user = (samsa_quota_name_t){true, NULL};
        } else if (strcmp(argv[i], "--client-id-default") == 0) {
            a->client = (samsa_quota_name_t){true, NULL};
        } else if (argv[i][0] == '-' || a->nops >= MAX_OPS) {
            fprintf(stderr, "samsa quota: unexpected '%s'\n", argv[i]);
            return -1;
        } else {
            a->ops[a->nops++] = argv[i];
        }
    }
    return 0;
}

static samsa_str_t wire(const char *s)
{
    return s ? (samsa_str_t){s, (int32_t)strlen(s)} : (samsa_str_t){NULL, -1};
}

static int alter(samsa_client_t *c, quota_args_t *a, bool set)
{
    samsa_AlterClientQuotasRequest_t req;
    samsa_AlterClientQuotasRequest_init(&req);
    samsa_AlterClientQuotasRequest_EntityData_t ent[2];
    samsa_AlterClientQuotasRequest_OpData_t ops[MAX_OPS];
    samsa_AlterClientQuotasRequest_EntryData_t entry;
    int32_t ne = 0;
    if (a->user.present) {
        ent[ne++] = (samsa_AlterClientQuotasRequest_EntityData_t){
            .EntityType = wire("user"), .EntityName = wire(a->user.name)};
    }
    if (a->client.present) {
        ent[ne++] = (samsa_AlterClientQuotasRequest_EntityData_t){
            .EntityType = wire("client-id"),
            .EntityName = wire(a->client.name)};
    }
    char keys[MAX_OPS][64];
    for (int i = 0; i < a->nops; i++) {
        const char *eq = strchr(a->ops[i], '=');
        size_t klen = eq && set ? (size_t)(eq - a->ops[i]) : strlen(a->ops[i]);
        char *end = NULL;
        double value = set && eq ? strtod(eq + 1, &end) : 0;
        if ((set && (!eq || end == eq + 1 || *end)) || (!set && eq) ||
            klen >= sizeof(keys[i])) {
            fprintf(stderr, "samsa quota %s: bad '%s' (expected %s)\n",
                    set ? "set" : "delete", a->ops[i],
                    set ? "KEY=VALUE" : "KEY");
            return SAMSA_EXIT_USAGE;
        }
        memcpy(keys[i], a->ops[i], klen);
        keys[i][klen] = '\0';
        ops[i] = (samsa_AlterClientQuotasRequest_OpData_t){
            .Key = wire(keys[i]), .Value = value, .Remove = !set};
    }
    entry.Entity = (typeof(entry.Entity)){.items = ent, .count = ne};
    entry.Ops = (typeof(entry.Ops)){.items = ops, .count = a->nops};
    req.Entries = (typeof(req.Entries)){.items = &entry, .count = 1};
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_AlterClientQuotasResponse_t *resp = NULL;
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_ALTER_CLIENT_QUOTAS,
                          &req, &arena, (void **)&resp, NULL);
    int rc = SAMSA_EXIT_OK;
    if (err != SAMSA_OK) {
        rc = samsa_cli_client_error("quota", c);
    } else if (resp->Entries.count != 1 ||
               resp->Entries.items[0].ErrorCode != 0) {
        const samsa_AlterClientQuotasResponse_EntryData_t *r =
            resp->Entries.count ? &resp->Entries.items[0] : NULL;
        samsa_str_t msg = r ? r->ErrorMessage : wire(NULL);
        fprintf(
            stderr, "samsa quota %s: %s%s%.*s\n", set ? "set" : "delete",
            samsa_err_name(r ? r->ErrorCode : SAMSA_ERR_UNKNOWN_SERVER_ERROR),
            msg.len > 0 ? ": " : "", msg.len > 0 ? (int)msg.len : 0,
            msg.len > 0 ? msg.ptr : "");
        rc = SAMSA_EXIT_ERROR;
    } else {
        printf("%s %d quota key(s)\n", set ? "set" : "deleted", a->nops);
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static void print_entry(const samsa_DescribeClientQuotasResponse_EntryData_t *e)
{
    for (int32_t j = 0; j < e->Entity.count; j++) {
        const samsa_DescribeClientQuotasResponse_EntityData_t *x =
            &e->Entity.items[j];
        printf("%s%.*s=", j ? " " : "", (int)x->EntityType.len,
               x->EntityType.ptr);
        if (x->EntityName.len < 0) {
            printf("<default>");
        } else {
            printf("%.*s", (int)x->EntityName.len, x->EntityName.ptr);
        }
    }
    for (int32_t j = 0; j < e->Values.count; j++) {
        printf("%s%.*s=%.17g", j ? " " : "  ", (int)e->Values.items[j].Key.len,
               e->Values.items[j].Key.ptr, e->Values.items[j].Value);
    }
    putchar('\n');
}

static int list(samsa_client_t *c, quota_args_t *a)
{
    samsa_DescribeClientQuotasRequest_t req;
    samsa_DescribeClientQuotasRequest_init(&req);
    samsa_DescribeClientQuotasRequest_ComponentData_t comp[2];
    int32_t n = 0;
    const samsa_quota_name_t *sides[2] = {&a->user, &a->client};
    const char *types[2] = {"user", "client-id"};
    for (int s = 0; s < 2; s++) {
        if (sides[s]->present) {
            comp[n++] = (samsa_DescribeClientQuotasRequest_ComponentData_t){
                .EntityType = wire(types[s]),
                .MatchType = sides[s]->name ? 0 : 1,
                .Match = wire(sides[s]->name)};
        }
    }
    req.Components = (typeof(req.Components)){.items = comp, .count = n};
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_DescribeClientQuotasResponse_t *resp = NULL;
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_DESCRIBE_CLIENT_QUOTAS,
                          &req, &arena, (void **)&resp, NULL);
    int rc = SAMSA_EXIT_OK;
    if (err != SAMSA_OK) {
        rc = samsa_cli_client_error("quota", c);
    } else if (resp->ErrorCode != 0) {
        fprintf(stderr, "samsa quota list: %s\n",
                samsa_err_name(resp->ErrorCode));
        rc = SAMSA_EXIT_ERROR;
    } else {
        for (int32_t i = 0; i < resp->Entries.count; i++) {
            print_entry(&resp->Entries.items[i]);
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int quota_run(int argc, char **argv)
{
    quota_args_t a;
    samsa_client_t *c = NULL;
    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        quota_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    int rc = parse(argc, argv, &a);
    if (rc != 0) {
        if (rc < 0) {
            quota_usage(stderr);
        }
        return rc < 0 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    const char *sub = argv[1];
    bool set = strcmp(sub, "set") == 0, del = strcmp(sub, "delete") == 0;
    bool entity = a.user.present || a.client.present;
    if ((!set && !del && strcmp(sub, "list") != 0) ||
        ((set || del) && (!entity || a.nops == 0)) ||
        (!set && !del && a.nops)) {
        quota_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("quota", &a.conn, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    rc = set || del ? alter(c, &a, set) : list(c, &a);
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_quota = {
    .name = "quota",
    .summary = "set, delete or list client quotas",
    .run = quota_run,
};
