/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_user.c - `samsa user set|delete|list`: SCRAM credentials
 * through AlterUserScramCredentials and DescribeUserScramCredentials, as
 * Kafka's `kafka-configs --entity-type users` does. The salted password is
 * computed here (PBKDF2 with a random salt): the password never leaves
 * this process.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmd_client.h"
#include "protocol/generated/messages.h"
#include "security/credentials.h"
#include "util/err.h"

#define MAX_USERS 64

static void user_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa user set NAME --password P [--mechanism M] "
            "[--iterations N]\n"
            "       samsa user delete NAME [--mechanism M]\n"
            "       samsa user list [NAME...]\n"
            "\n"
            "set     store NAME's salted SCRAM credential (the password is "
            "salted here)\n"
            "delete  remove NAME's credential\n"
            "list    users and their SCRAM mechanisms and iterations\n"
            "\n"
            "  --mechanism M     SCRAM-SHA-256, SCRAM-SHA-512 or both "
            "(default both)\n"
            "  --iterations N    PBKDF2 iterations, 4096..16384 (default "
            "8192)\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct user_args {
    samsa_cli_conn_opts_t conn;
    const char *names[MAX_USERS];
    int nnames;
    const char *password;
    int8_t mechs[2];
    int nmechs;
    long long iterations;
} user_args_t;

static bool parse_mechanism(const char *v, user_args_t *a)
{
    a->nmechs = 0;
    for (int8_t m = SAMSA_SCRAM_SHA_256; m <= SAMSA_SCRAM_SHA_512; m++) {
        if (strcmp(v, "both") == 0 ||
            strcmp(v, samsa_scram_mechanism_name(m)) == 0) {
            a->mechs[a->nmechs++] = m;
        }
    }
    return a->nmechs > 0;
}

static int parse(int argc, char **argv, user_args_t *a)
{
    const char *v = NULL;
    memset(a, 0, sizeof(*a));
    samsa_cli_conn_opts_init(&a->conn);
    parse_mechanism("both", a);
    a->iterations = 8192;
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            user_usage(stdout);
            return 1;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &a->conn)) != 0 ||
            (r = samsa_cli_opt(argc, argv, &i, "--password", &a->password)) !=
                0) {
            if (r < 0) {
                return -1;
            }
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--mechanism", &v)) !=
                   0) {
            if (r < 0 || !parse_mechanism(v, a)) {
                fprintf(stderr, "samsa user: --mechanism: expected "
                                "SCRAM-SHA-256, SCRAM-SHA-512 or both\n");
                return -1;
            }
        } else if ((r = samsa_cli_opt(argc, argv, &i, "--iterations", &v)) !=
                   0) {
            if (r < 0 ||
                !samsa_cli_int("user", "--iterations", v,
                               SAMSA_SCRAM_MIN_ITERATIONS,
                               SAMSA_SCRAM_MAX_ITERATIONS, &a->iterations)) {
                return -1;
            }
        } else if (argv[i][0] == '-' || a->nnames >= MAX_USERS) {
            fprintf(stderr, "samsa user: unexpected '%s'\n", argv[i]);
            return -1;
        } else {
            a->names[a->nnames++] = argv[i];
        }
    }
    return 0;
}

static int alter(samsa_client_t *c, user_args_t *a, bool set)
{
    samsa_AlterUserScramCredentialsRequest_t req;
    samsa_AlterUserScramCredentialsRequest_init(&req);
    samsa_AlterUserScramCredentialsRequest_ScramCredentialUpsertion_t ups[2];
    samsa_AlterUserScramCredentialsRequest_ScramCredentialDeletion_t dels[2];
    uint8_t salt[2][16], salted[2][64];
    samsa_str_t name = {a->names[0], (int32_t)strlen(a->names[0])};
    for (int i = 0; i < a->nmechs; i++) {
        int8_t m = a->mechs[i];
        size_t len = m == SAMSA_SCRAM_SHA_256 ? 32 : 64;
        if (set &&
            samsa_scram_salt_password(m, a->password, (int32_t)a->iterations,
                                      salt[i], salted[i], &len) != SAMSA_OK) {
            fprintf(stderr, "samsa user set: cannot salt the password\n");
            return SAMSA_EXIT_ERROR;
        }
        ups[i] =
            (samsa_AlterUserScramCredentialsRequest_ScramCredentialUpsertion_t){
                .Name = name,
                .Mechanism = m,
                .Iterations = (int32_t)a->iterations,
                .Salt = {salt[i], (int32_t)sizeof(salt[i])},
                .SaltedPassword = {salted[i], (int32_t)len},
            };
        dels[i] =
            (samsa_AlterUserScramCredentialsRequest_ScramCredentialDeletion_t){
                .Name = name, .Mechanism = m};
    }
    /* Kafka refuses one user twice in a request: one request per
     * mechanism. */
    int rc = SAMSA_EXIT_OK;
    for (int i = 0; rc == SAMSA_EXIT_OK && i < a->nmechs; i++) {
        if (set) {
            req.Upsertions =
                (typeof(req.Upsertions)){.items = ups + i, .count = 1};
        } else {
            req.Deletions =
                (typeof(req.Deletions)){.items = dels + i, .count = 1};
        }
        samsa_arena_t arena;
        samsa_arena_init(&arena);
        samsa_AlterUserScramCredentialsResponse_t *resp = NULL;
        samsa_err_t err = samsa_client_call(
            c, SAMSA_NODE_ANY, SAMSA_API_ALTER_USER_SCRAM_CREDENTIALS, &req,
            &arena, (void **)&resp, NULL);
        const char *mech = samsa_scram_mechanism_name(a->mechs[i]);
        if (err != SAMSA_OK) {
            rc = samsa_cli_client_error("user", c);
        } else if (resp->Results.count != 1 ||
                   resp->Results.items[0].ErrorCode != 0) {
            int16_t ec = resp->Results.count ? resp->Results.items[0].ErrorCode
                                             : SAMSA_ERR_UNKNOWN_SERVER_ERROR;
            fprintf(stderr, "samsa user %s: %s %s: %s\n",
                    set ? "set" : "delete", a->names[0], mech,
                    samsa_err_name(ec));
            rc = SAMSA_EXIT_ERROR;
        } else {
            printf("%s %s for %s\n", set ? "set" : "deleted", mech,
                   a->names[0]);
        }
        samsa_arena_destroy(&arena);
    }
    OPENSSL_cleanse(salted, sizeof(salted));
    return rc;
}

static int list(samsa_client_t *c, user_args_t *a)
{
    samsa_DescribeUserScramCredentialsRequest_t req;
    samsa_DescribeUserScramCredentialsRequest_init(&req);
    samsa_DescribeUserScramCredentialsRequest_UserName_t users[MAX_USERS];
    for (int i = 0; i < a->nnames; i++) {
        users[i].Name =
            (samsa_str_t){a->names[i], (int32_t)strlen(a->names[i])};
    }
    req.Users = (typeof(req.Users)){.items = users,
                                    .count = a->nnames ? a->nnames : -1};
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_DescribeUserScramCredentialsResponse_t *resp = NULL;
    samsa_err_t err = samsa_client_call(
        c, SAMSA_NODE_ANY, SAMSA_API_DESCRIBE_USER_SCRAM_CREDENTIALS, &req,
        &arena, (void **)&resp, NULL);
    int rc = SAMSA_EXIT_OK;
    if (err != SAMSA_OK) {
        rc = samsa_cli_client_error("user", c);
    } else {
        for (int32_t i = 0; i < resp->Results.count; i++) {
            const samsa_DescribeUserScramCredentialsResponse_DescribeUserScramCredentialsResult_t
                *r = &resp->Results.items[i];
            printf("%.*s", (int)r->User.len, r->User.ptr);
            if (r->ErrorCode != 0) {
                printf("  %s\n", samsa_err_name(r->ErrorCode));
                rc = SAMSA_EXIT_ERROR;
                continue;
            }
            for (int32_t j = 0; j < r->CredentialInfos.count; j++) {
                const char *m = samsa_scram_mechanism_name(
                    r->CredentialInfos.items[j].Mechanism);
                printf("  %s iterations=%d", m ? m : "?",
                       r->CredentialInfos.items[j].Iterations);
            }
            putchar('\n');
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int user_run(int argc, char **argv)
{
    user_args_t a;
    samsa_client_t *c = NULL;
    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        user_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    int rc = parse(argc, argv, &a);
    if (rc != 0) {
        if (rc < 0) {
            user_usage(stderr);
        }
        return rc < 0 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    const char *sub = argv[1];
    bool set = strcmp(sub, "set") == 0, del = strcmp(sub, "delete") == 0;
    if ((!set && !del && strcmp(sub, "list") != 0) ||
        ((set || del) && a.nnames != 1) || (set && !a.password)) {
        user_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("user", &a.conn, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    rc = set || del ? alter(c, &a, set) : list(c, &a);
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_user = {
    .name = "user",
    .summary = "set, delete or list SCRAM users",
    .run = user_run,
};
