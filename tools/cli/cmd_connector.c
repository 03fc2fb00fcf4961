/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_connector.c - `samsa connector`: manage connectors through
 * Kafka Connect's REST API (samsad with connect_enabled, or any Kafka
 * Connect worker): list, status, create from a Kafka .properties file
 * (config/connect-file-source.properties as shipped) or a JSON file,
 * validate such a file, pause, resume, stop, restart, delete, and show or
 * reset a stopped connector's offsets (KIP-875).
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"
#include "connect/config_file.h"
#include "http_json.h"

#define WHO "samsa connector"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: samsa connector list|status NAME|create FILE|validate "
            "FILE|pause NAME|\n"
            "                       resume NAME|stop NAME|restart NAME|"
            "delete NAME|\n"
            "                       offsets NAME|reset-offsets NAME "
            "[--http HOST:PORT] [-b HOST:PORT]\n"
            "\n"
            "       samsa connector test PLUGIN.so ...  (see samsa connector "
            "test --help)\n"
            "\n"
            "Connectors of a Connect worker, through Kafka Connect's REST "
            "API; `test` runs\n"
            "a connector .so in an embedded broker instead (the SDK's test "
            "kit).\n"
            "  create FILE  a Kafka .properties file (name=..., "
            "connector.class=...) or a\n"
            "               JSON file ({\"name\":...,\"config\":{...}} or "
            "the config alone)\n"
            "  validate FILE  check FILE's config "
            "(/connector-plugins/CLASS/config/validate)\n"
            "  offsets NAME   the connector's offsets, one per line\n"
            "  reset-offsets NAME  forget them (the connector must be "
            "stopped: stop NAME)\n"
            "  --http HOST:PORT  the worker's REST listener (default: "
            "$SAMSA_HTTP, else the\n"
            "                    bootstrap host on port 8083)\n"
            "  -b, --bootstrap HOST:PORT  used for the default --http host\n"
            "\n"
            "Exit codes: 0 success, 1 the call failed, 2 bad command line.\n");
}

/* The body of POST /connectors from FILE (.properties or JSON). */
static json_t *create_body(const char *path)
{
    char errbuf[1024];
    json_t *cfg = NULL;
    if (samsa_connect_config_load(path, &cfg, errbuf, sizeof(errbuf)) !=
        SAMSA_OK) {
        fprintf(stderr, WHO ": %s\n", errbuf);
        return NULL;
    }
    json_t *name = json_object_get(cfg, "name");
    if (!json_is_string(name)) {
        fprintf(stderr, WHO ": %s: no name\n", path);
        json_decref(cfg);
        return NULL;
    }
    return json_pack("{s:O,s:o}", "name", name, "config", cfg);
}

static int report(json_t *doc, long status)
{
    if (status == 0) {
        json_decref(doc);
        return SAMSA_EXIT_ERROR;
    }
    if (status >= 300) {
        const char *msg = json_string_value(json_object_get(doc, "message"));
        fprintf(stderr, WHO ": %s (HTTP %ld)\n", msg ? msg : "failed", status);
        json_decref(doc);
        return SAMSA_EXIT_ERROR;
    }
    return SAMSA_EXIT_OK;
}

/* validate FILE: the errors Kafka Connect's validation finds; exit 1 if
 * there are some. */
static int validate(const char *base, const char *path)
{
    json_t *body = create_body(path);
    json_t *config = json_object_get(body, "config");
    const char *cls =
        json_string_value(json_object_get(config, "connector.class"));
    if (body == NULL || cls == NULL) {
        if (body != NULL) {
            fprintf(stderr, WHO ": %s: no connector.class\n", path);
        }
        json_decref(body);
        return SAMSA_EXIT_ERROR;
    }
    json_object_set(config, "name", json_object_get(body, "name"));
    char url[2048];
    CURL *esc = curl_easy_init();
    char *q = esc ? curl_easy_escape(esc, cls, 0) : NULL;
    snprintf(url, sizeof(url), "%s/connector-plugins/%s/config/validate", base,
             q ? q : cls);
    long status = 0;
    json_t *doc = samsa_cli_http_json(WHO, "PUT", url, config, &status);
    int rc = report(doc, status);
    if (rc == SAMSA_EXIT_OK) {
        json_int_t n = json_integer_value(json_object_get(doc, "error_count"));
        printf("%lld error(s)\n", (long long)n);
        size_t i, j;
        json_t *c, *e;
        json_array_foreach(json_object_get(doc, "configs"), i, c)
        {
            json_t *v = json_object_get(c, "value");
            json_array_foreach(json_object_get(v, "errors"), j, e)
            {
                printf("  %s: %s\n",
                       json_string_value(json_object_get(v, "name")),
                       json_string_value(e));
            }
        }
        rc = n > 0 ? SAMSA_EXIT_ERROR : SAMSA_EXIT_OK;
        json_decref(doc);
    }
    curl_free(q);
    curl_easy_cleanup(esc);
    json_decref(body);
    return rc;
}

static void print_status(json_t *st)
{
    json_t *conn = json_object_get(st, "connector");
    printf("%s (%s): %s\n", json_string_value(json_object_get(st, "name")),
           json_string_value(json_object_get(st, "type")),
           json_string_value(json_object_get(conn, "state")));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(st, "tasks"), i, t)
    {
        const char *trace = json_string_value(json_object_get(t, "trace"));
        printf("  task %lld: %s%s%s\n",
               (long long)json_integer_value(json_object_get(t, "id")),
               json_string_value(json_object_get(t, "state")),
               trace ? ": " : "", trace ? trace : "");
    }
}

static int run(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "test") == 0) {
        return samsa_cli_connector_test(argc - 1, argv + 1);
    }
    const char *http = NULL, *bootstrap = NULL, *verb = NULL, *arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (samsa_cli_is_help(argv[i])) {
            usage(stdout);
            return SAMSA_EXIT_OK;
        } else if (strcmp(argv[i], "--http") == 0 && i + 1 < argc) {
            http = argv[++i];
        } else if ((strcmp(argv[i], "-b") == 0 ||
                    strcmp(argv[i], "--bootstrap") == 0) &&
                   i + 1 < argc) {
            bootstrap = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, WHO ": unknown option %s\n", argv[i]);
            usage(stderr);
            return SAMSA_EXIT_USAGE;
        } else if (!verb) {
            verb = argv[i];
        } else if (!arg) {
            arg = argv[i];
        } else {
            usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
    }
    bool list = verb && strcmp(verb, "list") == 0;
    if (!verb || (list == (arg != NULL))) {
        usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    char base[512], url[2048];
    samsa_cli_http_base(http, bootstrap, base, sizeof(base));
    CURL *esc = curl_easy_init();
    char *q = esc && arg ? curl_easy_escape(esc, arg, 0) : NULL;
    const char *name = q ? q : (arg ? arg : "");
    long status = 0;
    json_t *doc = NULL;
    int rc = SAMSA_EXIT_OK;
    if (list) {
        snprintf(url, sizeof(url), "%s/connectors?expand=status", base);
        doc = samsa_cli_http_json(WHO, "GET", url, NULL, &status);
        if ((rc = report(doc, status)) == SAMSA_EXIT_OK) {
            const char *k;
            json_t *v;
            json_object_foreach(doc, k, v)
            {
                print_status(json_object_get(v, "status"));
            }
        }
    } else if (strcmp(verb, "status") == 0) {
        snprintf(url, sizeof(url), "%s/connectors/%s/status", base, name);
        doc = samsa_cli_http_json(WHO, "GET", url, NULL, &status);
        if ((rc = report(doc, status)) == SAMSA_EXIT_OK) {
            print_status(doc);
        }
    } else if (strcmp(verb, "create") == 0) {
        json_t *body = create_body(arg);
        if (body == NULL) {
            rc = SAMSA_EXIT_ERROR;
        } else {
            snprintf(url, sizeof(url), "%s/connectors", base);
            doc = samsa_cli_http_json(WHO, "POST", url, body, &status);
            if ((rc = report(doc, status)) == SAMSA_EXIT_OK) {
                printf("created %s\n",
                       json_string_value(json_object_get(doc, "name")));
            }
            json_decref(body);
        }
    } else if (strcmp(verb, "validate") == 0) {
        rc = validate(base, arg);
    } else if (strcmp(verb, "offsets") == 0) {
        snprintf(url, sizeof(url), "%s/connectors/%s/offsets", base, name);
        doc = samsa_cli_http_json(WHO, "GET", url, NULL, &status);
        if ((rc = report(doc, status)) == SAMSA_EXIT_OK) {
            size_t i;
            json_t *o;
            json_array_foreach(json_object_get(doc, "offsets"), i, o)
            {
                char *p =
                    json_dumps(json_object_get(o, "partition"), JSON_COMPACT);
                char *v = json_dumps(json_object_get(o, "offset"),
                                     JSON_COMPACT | JSON_ENCODE_ANY);
                printf("%s %s\n", p ? p : "?", v ? v : "?");
                free(p);
                free(v);
            }
        }
    } else if (strcmp(verb, "reset-offsets") == 0) {
        snprintf(url, sizeof(url), "%s/connectors/%s/offsets", base, name);
        doc = samsa_cli_http_json(WHO, "DELETE", url, NULL, &status);
        if ((rc = report(doc, status)) == SAMSA_EXIT_OK) {
            printf("%s\n", json_string_value(json_object_get(doc, "message")));
        }
    } else if (strcmp(verb, "delete") == 0 || strcmp(verb, "pause") == 0 ||
               strcmp(verb, "resume") == 0 || strcmp(verb, "stop") == 0 ||
               strcmp(verb, "restart") == 0) {
        bool del = strcmp(verb, "delete") == 0;
        bool restart = strcmp(verb, "restart") == 0;
        snprintf(url, sizeof(url), "%s/connectors/%s%s%s", base, name,
                 del ? "" : "/", del ? "" : verb);
        doc = samsa_cli_http_json(WHO,
                                  del       ? "DELETE"
                                  : restart ? "POST"
                                            : "PUT",
                                  url, NULL, &status);
        rc = report(doc, status);
    } else {
        fprintf(stderr, WHO ": unknown command %s\n", verb);
        usage(stderr);
        rc = SAMSA_EXIT_USAGE;
    }
    if (rc == SAMSA_EXIT_OK) {
        json_decref(doc);
    }
    curl_free(q);
    curl_easy_cleanup(esc);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_connector = {
    .name = "connector",
    .summary = "manage Connect connectors (Kafka Connect's REST API)",
    .run = run,
};
