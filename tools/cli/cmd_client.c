/* SPDX-License-Identifier: Apache-2.0 */
/* tools/cli/cmd_client.c - helpers for the subcommands that talk to brokers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_client.h"
#include "util/err.h"

void samsa_cli_conn_opts_init(samsa_cli_conn_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->bootstrap = getenv("SAMSA_BOOTSTRAP");
    if (o->bootstrap == NULL || o->bootstrap[0] == '\0') {
        o->bootstrap = SAMSA_CLIENT_DEFAULT_BOOTSTRAP;
    }
    o->timeout_ms = 30000;
    o->paths = samsa_cli_global_paths;
}

int samsa_cli_opt(int argc, char **argv, int *i, const char *name,
                  const char **val)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];

    if (strncmp(arg, name, n) != 0) {
        return 0;
    }
    if (arg[n] == '=') {
        *val = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') {
        return 0;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "samsa: %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

bool samsa_cli_int(const char *cmd, const char *name, const char *s,
                   long long min, long long max, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr,
                "samsa %s: %s: '%s' is not an integer in [%lld, %lld]\n", cmd,
                name, s, min, max);
        return false;
    }
    *out = v;
    return true;
}

/* Kafka client properties, as Kafka's tools take them
 * (core/client/properties.h). */
static int read_command_config(const char *path, samsa_cli_conn_opts_t *o)
{
    char err[512];
    if (samsa_client_props_read(&o->props, path, err, sizeof(err)) !=
        SAMSA_OK) {
        fprintf(stderr, "samsa: --command-config %s: %s\n", path, err);
        return -1;
    }
    return 1;
}

int samsa_cli_conn_opt(int argc, char **argv, int *i, samsa_cli_conn_opts_t *o)
{
    const char *v = NULL;
    int r;

    if ((r = samsa_cli_opt(argc, argv, i, "--command-config", &v)) != 0) {
        return r < 0 ? r : read_command_config(v, o);
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--bootstrap", &o->bootstrap)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-b", &o->bootstrap)) != 0) {
        return r;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--request-timeout-ms", &v)) != 0) {
        long long n = 0;
        if (r < 0 ||
            !samsa_cli_int("", "--request-timeout-ms", v, 1, 3600000, &n)) {
            return -1;
        }
        o->timeout_ms = (int)n;
        return 1;
    }
    return samsa_cli_path_option(argc, argv, i, &o->paths);
}

int samsa_cli_client(const char *cmd, const samsa_cli_conn_opts_t *o,
                     samsa_client_t **out)
{
    samsa_client_conf_t conf = {
        .bootstrap = o->bootstrap,
        .client_id = "samsa-cli",
        .timeout_ms = o->timeout_ms,
    };
    samsa_client_props_apply(&o->props, &conf);
    if (samsa_client_new(&conf, out) != SAMSA_OK) {
        fprintf(stderr, "samsa %s: out of memory\n", cmd);
        return SAMSA_EXIT_ERROR;
    }
    return SAMSA_EXIT_OK;
}

int samsa_cli_client_error(const char *cmd, samsa_client_t *c)
{
    fprintf(stderr, "samsa %s: %s\n", cmd, samsa_client_errmsg(c));
    return SAMSA_EXIT_ERROR;
}

int samsa_cli_registry(const char *cmd, const samsa_cli_paths_t *paths,
                       samsa_registry_t **out)
{
    samsa_broker_config_t cfg;
    char errbuf[1024];
    int rc = samsa_cli_broker_config(paths, &cfg);

    if (rc != SAMSA_EXIT_OK) {
        return rc;
    }
    /* Storage plugins are inited but never opened: the CLI has no log. */
    if (samsa_registry_open(&cfg, out, errbuf, sizeof(errbuf)) != SAMSA_OK) {
        fprintf(stderr, "samsa %s: loading plugins: %s\n", cmd, errbuf);
        samsa_broker_config_free(&cfg);
        return SAMSA_EXIT_ERROR;
    }
    samsa_broker_config_free(&cfg);
    return SAMSA_EXIT_OK;
}

int samsa_cli_codec_id(const char *name)
{
    static const char *const names[] = {"none", "gzip", "snappy", "lz4",
                                        "zstd"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const samsa_codec_ops_t *samsa_cli_codec_lookup(void *arg, int codec_id,
                                                void **state)
{
    const samsa_registry_entry_t *e =
        arg != NULL ? samsa_registry_codec(arg, (uint32_t)codec_id) : NULL;
    if (e == NULL) {
        return NULL;
    }
    *state = e->state;
    return samsa_entry_codec_ops(e);
}

void samsa_cli_json_str(FILE *out, const void *s, size_t n)
{
    const unsigned char *p = s;
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        switch (ch) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        default:
            if (ch < 0x20 || ch == 0x7f) {
                fprintf(out, "\\u%04x", ch);
            } else {
                fputc(ch, out);
            }
        }
    }
    fputc('"', out);
}
