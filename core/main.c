/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/main.c - samsad: parse the command line and the broker YAML, load
 * plugins, open the logs, serve until SIGTERM/SIGINT, shut down in order.
 *
 * Exit codes: 0 clean shutdown (or --check-config success), 1 start-up or
 * configuration error, 2 usage error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "broker/broker.h"
#include "config/broker.h"
#include "loop/signals.h"
#include "registry/registry.h"
#include "util/dir_lock.h"
#include "util/err.h"
#include "util/log.h"

static int run(const samsa_broker_config_t *cfg, samsa_signals_t *sig)
{
    char errbuf[1024] = "";
    samsa_broker_t *b = NULL;
    /* What --check-config checks (manifests, plugins, the default storage
     * engine) fails start here, before anything is written to the data
     * dir; the config file's own checks ran when it was loaded. */
    samsa_err_t err =
        samsa_registry_check_broker(cfg, false, NULL, errbuf, sizeof(errbuf));
    /* Held until the process exits, so a second samsad on this data dir
     * stops here instead of writing the same segments. */
    int lock_fd = -1;
    if (err == SAMSA_OK) {
        err = samsa_dir_lock(cfg->data_dir, &lock_fd, errbuf, sizeof(errbuf));
    }
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR, "samsad: %s", errbuf);
        return 1;
    }
    err = samsa_broker_create(cfg, &b, errbuf, sizeof(errbuf));
    if (err == SAMSA_OK) {
        err = samsa_broker_start(b);
        if (err != SAMSA_OK) {
            snprintf(errbuf, sizeof(errbuf), "cannot start: %s",
                     samsa_err_str(err));
        }
    }
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR, "samsad: %s", errbuf);
        samsa_broker_destroy(b);
        close(lock_fd);
        return 1;
    }
    samsa_log(SAMSA_LOG_INFO,
              "samsad %s listening on %s:%d (node %d, cluster %s, data %s)",
              SAMSA_VERSION, b->advertised_host, b->advertised_port, b->node_id,
              b->cluster_id, cfg->data_dir);
    /* systemd Type=notify: serving from here on (a no-op without
     * $NOTIFY_SOCKET). */
    sd_notifyf(0, "READY=1\nSTATUS=serving Kafka on %s:%d", b->advertised_host,
               b->advertised_port);
    int signo = 0;
    while (samsa_signals_wait(sig, -1, &signo) == SAMSA_OK) {
        if (signo != SIGHUP) {
            break;
        }
        /* SIGHUP: new TLS certificates for new connections. */
        if (samsa_broker_reload_tls(b, errbuf, sizeof(errbuf)) != SAMSA_OK) {
            samsa_log(SAMSA_LOG_ERROR,
                      "samsad: SIGHUP: %s; keeping the current certificates",
                      errbuf);
        }
    }
    samsa_log(SAMSA_LOG_INFO, "samsad: signal %d, shutting down", signo);
    sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
    samsa_broker_stop(b);
    samsa_broker_destroy(b);
    close(lock_fd);
    samsa_log(SAMSA_LOG_INFO, "samsad: stopped");
    return 0;
}

int main(int argc, char **argv)
{
    samsa_signals_t sig;
    if (samsa_signals_init(&sig) != SAMSA_OK) {
        fprintf(stderr, "samsad: cannot set up signal handling\n");
        return 1;
    }
    samsa_broker_config_t cfg;
    char errbuf[1024] = "";
    samsa_err_t err =
        samsa_broker_config_load(argc, argv, &cfg, errbuf, sizeof(errbuf));
    if (err != SAMSA_OK) {
        fprintf(stderr, "samsad: %s\n", errbuf);
        if (err == SAMSA_ERR_INVAL) {
            fprintf(stderr, "Try 'samsad --help'.\n");
            return 2;
        }
        return 1;
    }
    int rc = 0;
    switch (cfg.action) {
    case SAMSA_BROKER_VERSION:
        printf("samsad %s (plugin ABI %d.%d)\n", SAMSA_VERSION, SAMSA_ABI_MAJOR,
               SAMSA_ABI_MINOR);
        break;
    case SAMSA_BROKER_HELP:
        samsa_broker_config_usage(stdout, argv[0]);
        break;
    case SAMSA_BROKER_CHECK_CONFIG:
        err = samsa_dir_check(cfg.data_dir, errbuf, sizeof(errbuf));
        if (err == SAMSA_OK) {
            err = samsa_registry_check_broker(&cfg, true, stdout, errbuf,
                                              sizeof(errbuf));
        }
        if (err != SAMSA_OK) {
            fprintf(stderr, "samsad: %s\n", errbuf);
            rc = 1;
        }
        break;
    case SAMSA_BROKER_RUN:
        samsa_log_set_level((samsa_log_level_t)cfg.log_level);
        samsa_log_set_format((samsa_log_format_t)cfg.log_format);
        rc = run(&cfg, &sig);
        break;
    }
    samsa_broker_config_free(&cfg);
    samsa_signals_close(&sig);
    return rc;
}
