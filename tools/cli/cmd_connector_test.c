/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_connector_test.c - `samsa connector test`: the SDK's test
 * kit (sdk/testkit) as a command. Runs a connector .so in a broker
 * embedded in this process, feeds a sink records or lets a source run,
 * and prints what the sink's put() was given or what the source produced
 * as JSON lines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "connect/config_file.h"
#include "samsa_testkit.h"
#include "util/err.h"

#define WHO    "samsa connector test"
#define MAX_KV 256

static void usage(FILE *out)
{
    fprintf(out,
            "usage: samsa connector test PLUGIN.so [--config FILE] "
            "[--set KEY=VALUE]...\n"
            "           [--option KEY=VALUE]... [--records FILE | --lines "
            "FILE]\n"
            "           [--max-records N] [--timeout-ms MS] [--output FILE] "
            "[--verbose]\n"
            "\n"
            "Run a source or sink connector .so against a broker embedded in "
            "this process\n"
            "(memory storage, the real Connect worker) and print, as JSON "
            "lines, what a\n"
            "sink's put() was given or what a source produced: {\"topic\", "
            "\"partition\",\n"
            "\"offset\", \"timestamp\", \"key\", \"value\", \"headers\"}.\n"
            "  --config FILE     the connector's config: a Kafka .properties "
            "or JSON file\n"
            "  --set KEY=VALUE   one config key (after --config; "
            "connector.class defaults\n"
            "                    to the .so's name, name to \"test\")\n"
            "  --option KEY=VALUE  one of the plugin's own options (its "
            "manifest config)\n"
            "  --records FILE    sink input: JSON lines like the output "
            "(only \"value\" is\n"
            "                    needed; topic defaults to the first of "
            "\"topics\"); - is stdin\n"
            "  --lines FILE      sink input: one value per line\n"
            "  --max-records N   source: stop once N records were produced "
            "(fewer: exit 1)\n"
            "  --timeout-ms MS   how long to wait (default 10000); a source "
            "without\n"
            "                    --max-records runs this long\n"
            "  --output FILE     the JSON lines there instead of stdout\n"
            "  --verbose         the broker's info log on stderr\n"
            "The broker's plugins come from --plugin-dir (before "
            "`connector`), else\n"
            "$SAMSA_PLUGIN_DIR, else the installed plugin dir.\n"
            "\n"
            "Exit codes: 0 success, 1 the connector failed, was refused or "
            "timed out\n"
            "(the reason on stderr), 2 bad command line.\n");
}

/* "KEY=VALUE" into @p kv (pointing into @p arg, which is modified). */
static bool split_kv(char *arg, samsa_connect_kv_t *kv)
{
    char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        return false;
    }
    *eq = '\0';
    kv->key = arg;
    kv->value = eq + 1;
    return true;
}

typedef struct args {
    const char *so, *config, *input, *output;
    bool lines, verbose;
    long long max_records, timeout_ms;
    samsa_connect_kv_t set[MAX_KV], opt[MAX_KV];
    size_t nset, nopt;
} args_t;

/* Parse argv; -1 usage error, 1 help, 0 go. */
static int parse(int argc, char **argv, args_t *a)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        bool has = i + 1 < argc;
        char *end = NULL;
        if (samsa_cli_is_help(o)) {
            return 1;
        } else if (strcmp(o, "--config") == 0 && has) {
            a->config = argv[++i];
        } else if (strcmp(o, "--set") == 0 && has && a->nset < MAX_KV) {
            if (!split_kv(argv[++i], &a->set[a->nset++])) {
                fprintf(stderr, WHO ": --set wants KEY=VALUE\n");
                return -1;
            }
        } else if (strcmp(o, "--option") == 0 && has && a->nopt < MAX_KV) {
            if (!split_kv(argv[++i], &a->opt[a->nopt++])) {
                fprintf(stderr, WHO ": --option wants KEY=VALUE\n");
                return -1;
            }
        } else if ((strcmp(o, "--records") == 0 || strcmp(o, "--lines") == 0) &&
                   has && a->input == NULL) {
            a->lines = strcmp(o, "--lines") == 0;
            a->input = argv[++i];
        } else if (strcmp(o, "--max-records") == 0 && has) {
            a->max_records = strtoll(argv[++i], &end, 10);
            if (*end != '\0' || a->max_records < 1) {
                fprintf(stderr, WHO ": --max-records wants N >= 1\n");
                return -1;
            }
        } else if (strcmp(o, "--timeout-ms") == 0 && has) {
            a->timeout_ms = strtoll(argv[++i], &end, 10);
            if (*end != '\0' || a->timeout_ms < 1) {
                fprintf(stderr, WHO ": --timeout-ms wants MS >= 1\n");
                return -1;
            }
        } else if (strcmp(o, "--output") == 0 && has) {
            a->output = argv[++i];
        } else if (strcmp(o, "--verbose") == 0) {
            a->verbose = true;
        } else if (o[0] != '-' && a->so == NULL) {
            a->so = o;
        } else {
            fprintf(stderr, WHO ": unexpected argument %s\n", o);
            return -1;
        }
    }
    if (a->so == NULL) {
        fprintf(stderr, WHO ": which connector .so?\n");
        return -1;
    }
    return 0;
}

/* Feed the sink and wait, or let the source run. */
static samsa_err_t exercise(samsa_testkit_t *kit, const args_t *a, char *errbuf,
                            size_t errlen)
{
    if (a->max_records > 0 || a->input == NULL) {
        samsa_err_t err = samsa_testkit_wait_source(
            kit, a->max_records, a->timeout_ms, errbuf, errlen);
        if (err != SAMSA_ERR_INVAL) {
            return err;
        }
        if (a->max_records > 0) {
            return err; /* --max-records for a sink */
        }
        errbuf[0] = '\0'; /* a sink without input: nothing to wait for */
    }
    samsa_err_t err = SAMSA_OK;
    if (a->input != NULL) {
        FILE *in = strcmp(a->input, "-") == 0 ? stdin : fopen(a->input, "r");
        if (in == NULL) {
            snprintf(errbuf, errlen, "%s: %s", a->input, strerror(errno));
            return SAMSA_ERR_IO;
        }
        const samsa_testkit_record_t *recs = NULL;
        size_t n = 0;
        char why[512] = "";
        err = samsa_testkit_read_records(kit, in, a->lines, &recs, &n, why,
                                         sizeof(why));
        if (in != stdin) {
            fclose(in);
        }
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "%s: %s", a->input, why);
            return err;
        }
        err = samsa_testkit_feed(kit, recs, n, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = samsa_testkit_wait_sink(kit, a->timeout_ms, errbuf, errlen);
    }
    return err;
}

static int report(samsa_testkit_t *kit, const char *output)
{
    FILE *out = output ? fopen(output, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, WHO ": %s: %s\n", output, strerror(errno));
        return SAMSA_EXIT_ERROR;
    }
    const samsa_testkit_record_t *const *recs = NULL;
    size_t n = 0;
    int rc = 0;
    samsa_testkit_records(kit, &recs, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = samsa_testkit_write_json(out, recs[i]);
    }
    if ((out != stdout ? fclose(out) : fflush(out)) != 0 || rc != 0) {
        fprintf(stderr, WHO ": cannot write the records\n");
        return SAMSA_EXIT_ERROR;
    }
    return SAMSA_EXIT_OK;
}

int samsa_cli_connector_test(int argc, char **argv)
{
    args_t a = {.timeout_ms = 10000};
    int p = parse(argc, argv, &a);
    if (p != 0) {
        usage(p > 0 ? stdout : stderr);
        return p > 0 ? SAMSA_EXIT_OK : SAMSA_EXIT_USAGE;
    }
    samsa_testkit_opts_t opts = {
        .plugin_path = a.so,
        .plugin_options = a.opt,
        .plugin_option_count = a.nopt,
        .plugin_dir = samsa_cli_global_paths.plugin_dir,
        .log_level = a.verbose ? SAMSA_LOG_INFO : 0,
    };
    char errbuf[2048] = "";
    samsa_testkit_t *kit = NULL;
    samsa_err_t err = samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf));
    /* --config first, then each --set over it. */
    json_t *cfg = NULL;
    if (err == SAMSA_OK && a.config != NULL) {
        err = samsa_connect_config_load(a.config, &cfg, errbuf, sizeof(errbuf));
    }
    samsa_connect_kv_t kv[2 * MAX_KV];
    size_t nkv = 0;
    const char *k;
    json_t *v;
    json_object_foreach(cfg, k, v)
    {
        if (nkv < MAX_KV && json_is_string(v)) {
            kv[nkv++] = (samsa_connect_kv_t){k, json_string_value(v)};
        }
    }
    for (size_t i = 0; i < a.nset; i++) {
        kv[nkv++] = a.set[i];
    }
    if (err == SAMSA_OK) {
        err = samsa_testkit_start(kit, kv, nkv, errbuf, sizeof(errbuf));
    }
    if (err == SAMSA_OK) {
        err = exercise(kit, &a, errbuf, sizeof(errbuf));
    }
    int rc = SAMSA_EXIT_OK;
    if (kit != NULL && (err == SAMSA_OK || err == SAMSA_ERR_TIMEOUT)) {
        /* What arrived is printed even when it was too little. */
        rc = report(kit, a.output);
    }
    if (err != SAMSA_OK) {
        fprintf(stderr, WHO ": %s\n", errbuf[0] ? errbuf : samsa_err_str(err));
        rc = SAMSA_EXIT_ERROR;
    }
    json_decref(cfg);
    samsa_testkit_close(kit);
    return rc;
}
