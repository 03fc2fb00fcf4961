/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_connect.c - `samsa connect WORKER.properties`: a Connect
 * worker process of its own (Kafka's connect-distributed.sh). It loads
 * the connector plugins of the conf dir, serves Kafka Connect's REST API
 * on `listeners`, keeps its state in the three internal topics of the
 * cluster at `bootstrap.servers` and, with a group.id, joins the group of
 * workers that splits the connectors and tasks (core/connect/cluster.h).
 * Runs until SIGTERM or SIGINT, then stops its tasks (each flushes and
 * commits) and leaves the group.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client/properties.h"
#include "connect/connect.h"
#include "http/http.h"
#include "loop/signals.h"
#include "registry/registry.h"
#include "util/log.h"

#define WHO "samsa connect"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: samsa [--conf-dir DIR] [--plugin-dir DIR] connect "
            "WORKER.properties\n"
            "\n"
            "Run a Kafka Connect worker (connect-distributed.sh's job) with "
            "the connector\n"
            "plugins of the conf dir. WORKER.properties holds Kafka Connect's "
            "worker keys:\n"
            "  bootstrap.servers   the cluster (required)\n"
            "  group.id            the group of workers sharing connectors "
            "(distributed mode;\n"
            "                      without it the worker runs them all "
            "itself)\n"
            "  listeners           the REST listener, http://HOST:PORT "
            "(default http://:8083)\n"
            "  rest.advertised.host.name, rest.advertised.port, "
            "session.timeout.ms,\n"
            "  heartbeat.interval.ms, rebalance.timeout.ms, "
            "config.storage.topic,\n"
            "  offset.storage.topic, status.storage.topic, the client "
            "security keys\n"
            "  (security.protocol, sasl.*, ssl.*)\n"
            "  connect.protocol    sessioned (default), compatible: "
            "incremental cooperative\n"
            "                      rebalancing; eager: every task stops "
            "at each rebalance\n"
            "  scheduled.rebalance.max.delay.ms  how long a departed "
            "worker's tasks wait\n"
            "                      for it (default 300000)\n"
            "\n"
            "Exit codes: 0 stopped by a signal, 1 cannot start, 2 bad "
            "command line.\n");
}

typedef struct worker_keys {
    char bootstrap[1024];
    char listen[300]; /* HOST:PORT for --http-listen */
} worker_keys_t;

static samsa_err_t worker_key(void *arg, const char *key, const char *value,
                              char *errbuf, size_t errlen)
{
    worker_keys_t *k = arg;
    if (strcmp(key, "bootstrap.servers") == 0) {
        snprintf(k->bootstrap, sizeof(k->bootstrap), "%s", value);
    } else if (strcmp(key, "listeners") == 0) {
        /* Kafka's http://HOST:PORT[,...]: the first; an empty host is
         * every interface. */
        const char *v = value;
        if (strncmp(v, "http://", 7) == 0) {
            v += 7;
        } else if (strstr(v, "://") != NULL) {
            snprintf(errbuf, errlen, "listeners %s: only http:// is served",
                     value);
            return SAMSA_ERR_CONFIG;
        }
        size_t n = strcspn(v, ",");
        snprintf(k->listen, sizeof(k->listen), "%s%.*s",
                 v[0] == ':' ? "0.0.0.0" : "", (int)n, v);
    }
    return SAMSA_OK;
}

static int run_worker(const char *props, const worker_keys_t *k,
                      samsa_signals_t *sig)
{
    char errbuf[1024] = "";
    samsa_broker_config_t cfg;
    samsa_registry_t *reg = NULL;
    samsa_http_t *http = NULL;
    samsa_connect_t *w = NULL;
    const char *const extra[] = {"--http-listen", k->listen, NULL};
    int rc = samsa_cli_broker_config_args(&samsa_cli_global_paths, extra, &cfg);
    if (rc != SAMSA_EXIT_OK) {
        return rc;
    }
    samsa_err_t err = samsa_registry_open(&cfg, &reg, errbuf, sizeof(errbuf));
    if (err == SAMSA_OK) {
        err = samsa_http_create((const char *const *)cfg.http_listeners,
                                cfg.http_listener_count, &http);
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_create(reg, http, &cfg, &w, errbuf, sizeof(errbuf));
    }
    if (err == SAMSA_OK) {
        char why[512] = "";
        err = samsa_connect_configure(w, props, why, sizeof(why));
        if (err != SAMSA_OK) {
            snprintf(errbuf, sizeof(errbuf), "%s: %s", props, why);
        }
    }
    if (err == SAMSA_OK) {
        err = samsa_http_start(http, errbuf, sizeof(errbuf));
    }
    if (err == SAMSA_OK) {
        err = samsa_connect_start(w, k->bootstrap, "");
    }
    if (err != SAMSA_OK) {
        fprintf(stderr, WHO ": %s\n", errbuf[0] ? errbuf : samsa_err_str(err));
        rc = SAMSA_EXIT_ERROR;
    } else {
        samsa_log(SAMSA_LOG_INFO,
                  "samsa connect: REST on %s (port %u), cluster %s", k->listen,
                  (unsigned)samsa_http_port(http, 0), k->bootstrap);
        int signo = 0;
        while (samsa_signals_wait(sig, -1, &signo) == SAMSA_OK &&
               signo == SIGHUP) {
        }
        samsa_log(SAMSA_LOG_INFO, "samsa connect: signal %d, stopping", signo);
    }
    samsa_connect_stop(w);
    samsa_http_destroy(http); /* before the worker: its routes use it */
    samsa_connect_destroy(w);
    samsa_registry_shutdown(reg);
    samsa_broker_config_free(&cfg);
    return rc;
}

static int connect_run(int argc, char **argv)
{
    const char *props = NULL;
    for (int i = 1; i < argc; i++) {
        if (samsa_cli_is_help(argv[i])) {
            usage(stdout);
            return SAMSA_EXIT_OK;
        }
        int r = samsa_cli_path_option(argc, argv, &i, &samsa_cli_global_paths);
        if (r < 0) {
            return SAMSA_EXIT_USAGE;
        }
        if (r > 0) {
            continue;
        }
        if (argv[i][0] == '-' || props != NULL) {
            fprintf(stderr, WHO ": unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
        props = argv[i];
    }
    if (props == NULL) {
        usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    worker_keys_t k = {.bootstrap = "", .listen = "0.0.0.0:8083"};
    char errbuf[512] = "";
    if (samsa_properties_read(props, worker_key, &k, errbuf, sizeof(errbuf)) !=
        SAMSA_OK) {
        fprintf(stderr, WHO ": %s: %s\n", props, errbuf);
        return SAMSA_EXIT_ERROR;
    }
    if (k.bootstrap[0] == '\0') {
        fprintf(stderr, WHO ": %s: bootstrap.servers is required\n", props);
        return SAMSA_EXIT_ERROR;
    }
    samsa_signals_t sig;
    if (samsa_signals_init(&sig) != SAMSA_OK) {
        fprintf(stderr, WHO ": cannot set up signal handling\n");
        return SAMSA_EXIT_ERROR;
    }
    int rc = run_worker(props, &k, &sig);
    samsa_signals_close(&sig);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_connect = {
    .name = "connect",
    .summary = "run a Kafka Connect worker (distributed mode with group.id)",
    .run = connect_run,
};
