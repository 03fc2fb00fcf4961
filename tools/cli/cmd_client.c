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

/* "username=\"x\"" out of a JAAS line into @p out. */
static void jaas_value(const char *jaas, const char *key, char *out, size_t len)
{
    const char *p = strstr(jaas, key);
    if (p && p[strlen(key)] == '=' && p[strlen(key) + 1] == '"') {
        p += strlen(key) + 2;
        size_t n = strcspn(p, "\"");
        snprintf(out, len, "%.*s", (int)n, p);
    }
}

/* One Kafka client property this client uses; others are ignored. Returns
 * 1, or -1 after printing why the value is refused. */
static int command_property(const char *path, const char *k, const char *v,
                            samsa_cli_conn_opts_t *o)
{
#define SET(field) snprintf(o->field, sizeof(o->field), "%s", v)
    if (strcmp(k, "security.protocol") == 0) {
        bool sasl = strncasecmp(v, "SASL_", 5) == 0;
        const char *rest = sasl ? v + 5 : v;
        if (strcasecmp(rest, "PLAINTEXT") != 0 &&
            strcasecmp(rest, "SSL") != 0) {
            fprintf(stderr,
                    "samsa: --command-config %s: security.protocol %s: "
                    "expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL\n",
                    path, v);
            return -1;
        }
        o->tls = strcasecmp(rest, "SSL") == 0;
    } else if (strcmp(k, "sasl.mechanism") == 0 ||
               strcmp(k, "sasl.mechanisms") == 0) {
        SET(sasl_mechanism);
    } else if (strcmp(k, "sasl.username") == 0) {
        SET(sasl_username);
    } else if (strcmp(k, "sasl.password") == 0) {
        SET(sasl_password);
    } else if (strcmp(k, "sasl.jaas.config") == 0) {
        jaas_value(v, "username", o->sasl_username, sizeof(o->sasl_username));
        jaas_value(v, "password", o->sasl_password, sizeof(o->sasl_password));
    } else if (strcmp(k, "ssl.truststore.location") == 0 ||
               strcmp(k, "ssl.ca.location") == 0) {
        SET(ssl_ca_location);
    } else if (strcmp(k, "ssl.truststore.type") == 0 ||
               strcmp(k, "ssl.keystore.type") == 0) {
        if (strcasecmp(v, "PEM") != 0) {
            fprintf(stderr,
                    "samsa: --command-config %s: %s %s: the samsa client "
                    "reads PEM files only\n",
                    path, k, v);
            return -1;
        }
    } else if (strcmp(k, "ssl.certificate.location") == 0) {
        SET(ssl_certificate_location);
    } else if (strcmp(k, "ssl.key.location") == 0) {
        SET(ssl_key_location);
    } else if (strcmp(k, "ssl.keystore.location") == 0) {
        /* A PEM keystore holds the certificate chain and the key. */
        SET(ssl_certificate_location);
        SET(ssl_key_location);
    } else if (strcmp(k, "ssl.endpoint.identification.algorithm") == 0) {
        o->ssl_no_hostname_check = v[0] == '\0';
    }
#undef SET
    return 1;
}

/* Kafka client properties (key=value, # comments), as Kafka's tools take
 * them: security.protocol, sasl.mechanism(s), sasl.jaas.config or
 * sasl.username/sasl.password, ssl.truststore.location (PEM) or
 * ssl.ca.location, a client certificate (ssl.keystore.location as PEM, or
 * ssl.certificate.location and ssl.key.location) and
 * ssl.endpoint.identification.algorithm. */
static int read_command_config(const char *path, samsa_cli_conn_opts_t *o)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "samsa: --command-config %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    char line[2048];
    int rc = 1;
    while (rc > 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq) {
            continue;
        }
        *eq = '\0';
        rc = command_property(path, line, eq + 1, o);
    }
    memset(line, 0, sizeof(line));
    fclose(f);
    return rc;
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
        .sasl_mechanism = o->sasl_mechanism[0] ? o->sasl_mechanism : NULL,
        .sasl_username = o->sasl_username,
        .sasl_password = o->sasl_password,
        .tls = o->tls,
        .ssl_no_hostname_check = o->ssl_no_hostname_check,
        .ssl_ca_location = o->ssl_ca_location,
        .ssl_certificate_location = o->ssl_certificate_location,
        .ssl_key_location = o->ssl_key_location,
    };
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
