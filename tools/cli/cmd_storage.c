/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_storage.c - `samsa storage format --add-scram SPEC`:
 * Kafka's `kafka-storage format --add-scram`. A cluster whose brokers log
 * in to each other with SCRAM (sasl_mechanism_inter_broker_protocol) needs
 * their credential in the metadata log before any of them can register,
 * and nothing can be written there through a broker before that. So the
 * credential is salted here, before the first start, into the node's
 * bootstrap file (security/credentials.h, SAMSA_SCRAM_BOOTSTRAP_FILE);
 * the first controller of the new log writes it in. Run it on every
 * controller node with the same SPEC. The password never leaves this
 * process; the file holds the salted form only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "cmd_client.h"
#include "security/credentials.h"
#include "util/err.h"

#define MAX_SPECS 16

static void storage_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa storage format [--config FILE] [--data-dir DIR]\n"
            "                            --add-scram SPEC [--add-scram SPEC]"
            "...\n"
            "\n"
            "format  salt SCRAM credentials into DIR's bootstrap file, for a "
            "new\n"
            "        cluster's metadata log (Kafka's kafka-storage format "
            "--add-scram):\n"
            "        the first controller writes them into the log, so "
            "brokers logging\n"
            "        in with SCRAM (sasl_mechanism_inter_broker_protocol) "
            "can register.\n"
            "        Run it on every controller node before its first start.\n"
            "\n"
            "  --add-scram SPEC  MECHANISM=[name=USER,password=PASSWORD"
            "[,iterations=N]],\n"
            "                    e.g. 'SCRAM-SHA-512=[name=broker,password="
            "secret]';\n"
            "                    a value may be double-quoted; iterations "
            "4096..16384\n"
            "                    (default 4096, as Kafka's)\n"
            "  --data-dir DIR    the node's data_dir (default: the one "
            "samsad would use)\n"
            "  --config FILE     broker YAML (default <conf-dir>/samsa.yaml)"
            "\n\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct scram_spec {
    int8_t mechanism;
    char user[256];
    char password[256];
    long long iterations;
} scram_spec_t;

/* The next "key=value" of a SPEC body at *@p p (value maybe quoted), up to
 * ',' or ']'. False when malformed. */
static bool next_pair(const char **p, char *key, size_t klen, char *val,
                      size_t vlen)
{
    const char *s = *p;
    const char *eq = strchr(s, '=');
    if (!eq || (size_t)(eq - s) >= klen) {
        return false;
    }
    memcpy(key, s, (size_t)(eq - s));
    key[eq - s] = '\0';
    s = eq + 1;
    size_t n = 0;
    bool quoted = *s == '"';
    s += quoted;
    while (*s && (quoted ? *s != '"' : *s != ',' && *s != ']')) {
        if (n + 1 >= vlen) {
            return false;
        }
        val[n++] = *s++;
    }
    val[n] = '\0';
    if (quoted && *s++ != '"') {
        return false;
    }
    *p = s;
    return *s == ',' || *s == ']';
}

static bool parse_spec(const char *spec, scram_spec_t *out)
{
    memset(out, 0, sizeof(*out));
    out->iterations = SAMSA_SCRAM_MIN_ITERATIONS;
    const char *open = strstr(spec, "=[");
    size_t mlen = open ? (size_t)(open - spec) : 0;
    for (int8_t m = SAMSA_SCRAM_SHA_256; m <= SAMSA_SCRAM_SHA_512; m++) {
        const char *name = samsa_scram_mechanism_name(m);
        if (mlen == strlen(name) && strncmp(spec, name, mlen) == 0) {
            out->mechanism = m;
        }
    }
    if (!out->mechanism) {
        return false;
    }
    const char *p = open + 2;
    while (true) {
        char key[32], val[256];
        if (!next_pair(&p, key, sizeof(key), val, sizeof(val))) {
            return false;
        }
        if (strcmp(key, "name") == 0) {
            snprintf(out->user, sizeof(out->user), "%s", val);
        } else if (strcmp(key, "password") == 0) {
            snprintf(out->password, sizeof(out->password), "%s", val);
        } else if (strcmp(key, "iterations") == 0) {
            char *end = NULL;
            out->iterations = strtoll(val, &end, 10);
            if (!val[0] || *end) {
                return false;
            }
        } else {
            return false;
        }
        OPENSSL_cleanse(val, sizeof(val));
        if (*p++ == ']') {
            return *p == '\0' && out->user[0] && out->password[0];
        }
    }
}

/* Salt each spec into @p path (created or updated, durably). */
static int write_specs(const char *path, scram_spec_t *specs, int n)
{
    char errbuf[1024] = "";
    samsa_credentials_t *creds = NULL;
    samsa_err_t err =
        samsa_credentials_open_file(path, &creds, errbuf, sizeof(errbuf));
    for (int i = 0; err == SAMSA_OK && i < n; i++) {
        uint8_t salt[16], salted[64];
        size_t len = 0;
        err = samsa_scram_salt_password(specs[i].mechanism, specs[i].password,
                                        (int32_t)specs[i].iterations, salt,
                                        salted, &len);
        if (err == SAMSA_OK) {
            err = samsa_credentials_upsert(
                creds, specs[i].user, specs[i].mechanism,
                (int32_t)specs[i].iterations, salt, sizeof(salt), salted, len);
        }
        OPENSSL_cleanse(salted, sizeof(salted));
        if (err == SAMSA_OK) {
            printf("bootstrap %s credential for %s in %s\n",
                   samsa_scram_mechanism_name(specs[i].mechanism),
                   specs[i].user, path);
        } else {
            snprintf(errbuf, sizeof(errbuf), "%s for %s: %s",
                     samsa_scram_mechanism_name(specs[i].mechanism),
                     specs[i].user, samsa_err_name(err));
        }
    }
    samsa_credentials_close(creds);
    if (err != SAMSA_OK) {
        fprintf(stderr, "samsa storage format: %s\n",
                errbuf[0] ? errbuf : samsa_err_name(err));
        return SAMSA_EXIT_ERROR;
    }
    return SAMSA_EXIT_OK;
}

static int format(int argc, char **argv)
{
    samsa_cli_paths_t paths = samsa_cli_global_paths;
    const char *data_dir = NULL;
    const char *v = NULL;
    scram_spec_t specs[MAX_SPECS];
    int n = 0;
    int rc = SAMSA_EXIT_OK;
    for (int i = 2; rc == SAMSA_EXIT_OK && i < argc; i++) {
        int r = samsa_cli_path_option(argc, argv, &i, &paths);
        if (r == 0) {
            r = samsa_cli_opt(argc, argv, &i, "--data-dir", &data_dir);
        }
        if (r == 0 &&
            (r = samsa_cli_opt(argc, argv, &i, "--add-scram", &v)) > 0) {
            if (n >= MAX_SPECS || !parse_spec(v, &specs[n++])) {
                fprintf(stderr,
                        "samsa storage format: --add-scram: expected "
                        "SCRAM-SHA-256|SCRAM-SHA-512=[name=USER,password="
                        "PASSWORD[,iterations=N]]\n");
                r = -1;
            }
        }
        if (r == 0 && samsa_cli_is_help(argv[i])) {
            storage_usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if (r == 0) {
            fprintf(stderr, "samsa storage format: unexpected '%s'\n", argv[i]);
        }
        rc = r > 0 ? SAMSA_EXIT_OK : SAMSA_EXIT_USAGE;
    }
    if (rc == SAMSA_EXIT_OK && n == 0) {
        fprintf(stderr, "samsa storage format: nothing to do: give "
                        "--add-scram\n");
        rc = SAMSA_EXIT_USAGE;
    }
    samsa_broker_config_t cfg;
    const char *extra[] = {"--data-dir", data_dir, NULL};
    if (rc == SAMSA_EXIT_OK) {
        rc =
            samsa_cli_broker_config_args(&paths, data_dir ? extra : NULL, &cfg);
    }
    if (rc != SAMSA_EXIT_OK) {
        OPENSSL_cleanse(specs, sizeof(specs));
        return rc;
    }
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/__samsa_meta/raft", cfg.data_dir);
    if (stat(path, &st) == 0) {
        fprintf(stderr,
                "samsa storage format: %s already holds a metadata log: "
                "bootstrap credentials only go into a new one (on a running "
                "cluster use `samsa user set`)\n",
                cfg.data_dir);
        rc = SAMSA_EXIT_ERROR;
    }
    snprintf(path, sizeof(path), "%s/__samsa_meta", cfg.data_dir);
    if (rc == SAMSA_EXIT_OK &&
        ((mkdir(cfg.data_dir, 0755) < 0 && errno != EEXIST) ||
         (mkdir(path, 0755) < 0 && errno != EEXIST))) {
        fprintf(stderr, "samsa storage format: %s: %s\n", path,
                strerror(errno));
        rc = SAMSA_EXIT_ERROR;
    }
    if (rc == SAMSA_EXIT_OK) {
        snprintf(path, sizeof(path), "%s/" SAMSA_SCRAM_BOOTSTRAP_FILE,
                 cfg.data_dir);
        rc = write_specs(path, specs, n);
    }
    OPENSSL_cleanse(specs, sizeof(specs));
    samsa_broker_config_free(&cfg);
    return rc;
}

static int storage_run(int argc, char **argv)
{
    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        storage_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    if (strcmp(argv[1], "format") != 0) {
        storage_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    return format(argc, argv);
}

const samsa_cli_cmd_t samsa_cli_cmd_storage = {
    .name = "storage",
    .summary = "format: bootstrap SCRAM credentials for a new cluster",
    .run = storage_run,
};
