/* SPDX-License-Identifier: Apache-2.0 */
/* samsad's configuration: defaults, samsa.yaml, flags overriding YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/broker.h"
#include "util/log.h"

typedef struct fx {
    char root[256]; /* temp dir */
    char conf[300]; /* root/conf.d (empty) */
    char errbuf[1024];
    samsa_broker_config_t cfg;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));

    snprintf(f->root, sizeof(f->root), "/tmp/samsa-cfg-XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        return -1;
    }
    snprintf(f->conf, sizeof(f->conf), "%s/conf.d", f->root);
    mkdir(f->conf, 0700);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    char cmd[300];

    samsa_broker_config_free(&f->cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
    if (system(cmd) != 0) {
        return -1;
    }
    free(f);
    return 0;
}

static void write_yaml(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Run the loader with "--conf-dir <tmp>/conf.d" plus @p extra args. */
static samsa_err_t run(fx_t *f, int n, const char *const *extra)
{
    char *argv[16];
    int argc = 0;

    argv[argc++] = "samsad";
    argv[argc++] = "--conf-dir";
    argv[argc++] = f->conf;
    for (int i = 0; i < n; i++) {
        argv[argc++] = (char *)extra[i];
    }
    argv[argc] = NULL;
    return samsa_broker_config_load(argc, argv, &f->cfg, f->errbuf,
                                    sizeof(f->errbuf));
}

static void defaults_give_the_embedded_single_node(void **state)
{
    fx_t *f = *state;
    char cwd[512], want[600];

    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_int_equal(f->cfg.action, SAMSA_BROKER_RUN);
    assert_null(f->cfg.config_file);
    assert_int_equal(f->cfg.listener_count, 1);
    assert_string_equal(f->cfg.listeners[0].host, "127.0.0.1");
    assert_int_equal(f->cfg.listeners[0].port, 9092);
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(want, sizeof(want), "%s/data", cwd);
    assert_string_equal(f->cfg.data_dir, want);
    assert_string_equal(f->cfg.conf_dir, f->conf);
    assert_non_null(f->cfg.plugin_dir);
    assert_int_equal(f->cfg.node_id, 1);
    assert_int_equal(f->cfg.log_level, 3);
    assert_true(f->cfg.auto_create_topics);
    assert_int_equal(f->cfg.num_partitions, 1);
    assert_int_equal(f->cfg.socket_request_max_bytes, 104857600);
    assert_int_equal(f->cfg.log_segment_bytes, 1073741824);
    assert_int_equal(f->cfg.log_retention_bytes, -1);
    assert_string_equal(f->cfg.log_cleanup_policy, "delete");
    /* Kafka's group.initial.rebalance.delay.ms, so a packaged broker
     * batches the first joins of a group into one generation. */
    assert_int_equal(f->cfg.group_initial_rebalance_delay_ms, 3000);
    assert_null(f->cfg.cluster_id);
}

static void samsa_yaml_in_conf_dir_sets_values(void **state)
{
    fx_t *f = *state;
    char path[400];

    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path, "listeners: [\"0.0.0.0:19092\", \"[::1]:19093\"]\n"
                     "data_dir: /var/tmp/samsa-x\n"
                     "node_id: 7\n"
                     "log_level: debug\n"
                     "auto_create_topics: false\n"
                     "num_partitions: 3\n"
                     "log_retention_ms: -1\n"
                     "log_cleanup_policy: compact\n"
                     "cluster_id: abc\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_string_equal(f->cfg.config_file, path);
    assert_int_equal(f->cfg.listener_count, 2);
    assert_string_equal(f->cfg.listeners[0].host, "0.0.0.0");
    assert_string_equal(f->cfg.listeners[1].host, "::1");
    assert_int_equal(f->cfg.listeners[1].port, 19093);
    assert_string_equal(f->cfg.data_dir, "/var/tmp/samsa-x");
    assert_int_equal(f->cfg.node_id, 7);
    assert_int_equal(f->cfg.log_level, 4);
    assert_false(f->cfg.auto_create_topics);
    assert_int_equal(f->cfg.num_partitions, 3);
    assert_int_equal(f->cfg.log_retention_ms, -1);
    assert_string_equal(f->cfg.log_cleanup_policy, "compact");
    assert_string_equal(f->cfg.cluster_id, "abc");
}

static void samsa_yaml_beside_conf_dir_is_found(void **state)
{
    fx_t *f = *state;
    char path[400];

    snprintf(path, sizeof(path), "%s/samsa.yaml", f->root);
    write_yaml(path, "node_id: 9\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_int_equal(f->cfg.node_id, 9);
    assert_non_null(strstr(f->cfg.config_file, "conf.d/../samsa.yaml"));
}

static void flags_win_over_yaml(void **state)
{
    fx_t *f = *state;
    char path[400];
    const char *args[] = {"--listen",
                          "127.0.0.1:1111",
                          "--listen=[::1]:2222",
                          "--data-dir",
                          "/tmp/d2",
                          "--plugin-dir=/tmp/p2",
                          "--config",
                          path};

    snprintf(path, sizeof(path), "%s/other.yaml", f->root);
    write_yaml(path, "listeners: [\"0.0.0.0:9999\"]\n"
                     "data_dir: /tmp/d1\n"
                     "plugin_dir: /tmp/p1\n"
                     "conf_dir: /tmp/c1\n");
    assert_int_equal(run(f, 8, args), SAMSA_OK);
    assert_int_equal(f->cfg.listener_count, 2);
    assert_int_equal(f->cfg.listeners[0].port, 1111);
    assert_string_equal(f->cfg.listeners[1].host, "::1");
    assert_string_equal(f->cfg.data_dir, "/tmp/d2");
    assert_string_equal(f->cfg.plugin_dir, "/tmp/p2");
    assert_string_equal(f->cfg.conf_dir, f->conf); /* --conf-dir given */
    assert_string_equal(f->cfg.config_file, path);
}

static void yaml_conf_dir_applies_without_the_flag(void **state)
{
    fx_t *f = *state;
    char path[400];
    samsa_broker_config_t cfg;
    char *argv[] = {"samsad", "--config", path, NULL};

    (void)state;
    snprintf(path, sizeof(path), "%s/x.yaml", f->root);
    write_yaml(path, "conf_dir: /tmp/c1\n");
    assert_int_equal(
        samsa_broker_config_load(3, argv, &cfg, f->errbuf, sizeof(f->errbuf)),
        SAMSA_OK);
    assert_string_equal(cfg.conf_dir, "/tmp/c1");
    samsa_broker_config_free(&cfg);
}

static void expect_yaml_error(fx_t *f, const char *yaml, unsigned line,
                              const char *want)
{
    char path[400], prefix[450];

    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path, yaml);
    assert_int_equal(run(f, 0, NULL), SAMSA_ERR_CONFIG);
    snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
    if (strncmp(f->errbuf, prefix, strlen(prefix)) != 0 ||
        strstr(f->errbuf, want) == NULL) {
        fail_msg("got:  %s\nwant: %s%s", f->errbuf, prefix, want);
    }
}

static void unknown_key_is_an_error_with_file_line(void **state)
{
    expect_yaml_error(*state, "node_id: 1\nlisten: x\n", 2,
                      "broker config: unknown option 'listen'; allowed: "
                      "listeners, data_dir, conf_dir");
}

static void wrong_type_is_an_error_with_file_line(void **state)
{
    expect_yaml_error(*state, "\n\nnum_partitions: many\n", 3,
                      "option 'num_partitions' expects an int in [1, "
                      "1000000], got 'many'");
}

static void duplicate_key_is_an_error_with_file_line(void **state)
{
    expect_yaml_error(*state, "node_id: 1\nnode_id: 2\n", 2,
                      "duplicate key 'node_id' (first set at line 1)");
}

static void bad_enum_values_are_errors(void **state)
{
    fx_t *f = *state;

    expect_yaml_error(f, "log_level: loud\n", 1,
                      "log_level 'loud' is not one of error, warn, info, "
                      "debug");
    samsa_broker_config_free(&f->cfg);
    expect_yaml_error(f, "listeners: [\"nohost\"]\n", 1,
                      "listeners entry 'nohost' is not HOST:PORT");
}

static void usage_errors_are_inval(void **state)
{
    fx_t *f = *state;
    const char *bad_listen[] = {"--listen", "localhost"};
    const char *unknown[] = {"--frobnicate"};
    const char *no_value[] = {"--data-dir"};
    const char *missing[] = {"--config", "/nonexistent/samsa.yaml"};

    assert_int_equal(run(f, 2, bad_listen), SAMSA_ERR_INVAL);
    assert_string_equal(f->errbuf, "--listen 'localhost' is not HOST:PORT "
                                   "(e.g. 127.0.0.1:9092, [::1]:9092, "
                                   "0.0.0.0:9092)");
    assert_int_equal(run(f, 1, unknown), SAMSA_ERR_INVAL);
    assert_string_equal(f->errbuf,
                        "unknown argument '--frobnicate' (try --help)");
    assert_int_equal(run(f, 1, no_value), SAMSA_ERR_INVAL);
    assert_string_equal(f->errbuf, "--data-dir needs a value");
    assert_int_equal(run(f, 2, missing), SAMSA_ERR_IO);
    assert_string_equal(f->errbuf, "/nonexistent/samsa.yaml: config file not "
                                   "found (given with --config)");
}

static void action_flags_are_reported(void **state)
{
    fx_t *f = *state;
    const char *help[] = {"--help"};
    const char *version[] = {"--version"};
    const char *check[] = {"--check-config"};

    assert_int_equal(run(f, 1, help), SAMSA_OK);
    assert_int_equal(f->cfg.action, SAMSA_BROKER_HELP);
    samsa_broker_config_free(&f->cfg);
    assert_int_equal(run(f, 1, version), SAMSA_OK);
    assert_int_equal(f->cfg.action, SAMSA_BROKER_VERSION);
    samsa_broker_config_free(&f->cfg);
    assert_int_equal(run(f, 1, check), SAMSA_OK);
    assert_int_equal(f->cfg.action, SAMSA_BROKER_CHECK_CONFIG);
    assert_int_equal(f->cfg.listener_count, 1);
}

static void listener_parser_accepts_v4_v6_and_names(void **state)
{
    samsa_listener_t l;

    (void)state;
    assert_int_equal(samsa_listener_parse("localhost:0", &l), SAMSA_OK);
    assert_string_equal(l.host, "localhost");
    assert_int_equal(l.port, 0);
    free(l.host);
    assert_int_equal(samsa_listener_parse("[fe80::1]:65535", &l), SAMSA_OK);
    assert_string_equal(l.host, "fe80::1");
    free(l.host);
    assert_int_equal(samsa_listener_parse("::1:9092", &l), SAMSA_ERR_INVAL);
    assert_int_equal(samsa_listener_parse("h:65536", &l), SAMSA_ERR_INVAL);
    assert_int_equal(samsa_listener_parse(":9092", &l), SAMSA_ERR_INVAL);
    assert_int_equal(samsa_listener_parse("h:", &l), SAMSA_ERR_INVAL);
}

static void listener_parser_accepts_kafka_names(void **state)
{
    samsa_listener_t l;

    (void)state;
    assert_int_equal(samsa_listener_parse("controller://[::1]:9093", &l),
                     SAMSA_OK);
    assert_string_equal(l.name, "CONTROLLER");
    assert_string_equal(l.host, "::1");
    assert_int_equal(l.port, 9093);
    free(l.host);
    free(l.name);
    assert_int_equal(samsa_listener_parse("://h:1", &l), SAMSA_ERR_INVAL);
    assert_int_equal(samsa_listener_parse("A B://h:1", &l), SAMSA_ERR_INVAL);
}

static void default_node_is_a_lone_voter_broker_and_controller(void **state)
{
    fx_t *f = *state;

    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_string_equal(f->cfg.listeners[0].name, "PLAINTEXT");
    assert_true(f->cfg.cluster.broker_role);
    assert_true(f->cfg.cluster.controller_role);
    /* The same code as a cluster's, with this node its only voter. */
    assert_true(samsa_cluster_is_quorum(&f->cfg.cluster));
    assert_true(f->cfg.cluster.solo);
    assert_true(samsa_cluster_is_lone_voter(&f->cfg.cluster, f->cfg.node_id));
    assert_int_equal(f->cfg.cluster.voters[0].port, 0);
    assert_null(f->cfg.cluster.standalone_store);
    assert_int_equal(f->cfg.cluster.controller_listener, -1);
    assert_int_equal(f->cfg.cluster.inter_broker_listener, 0);
    assert_null(f->cfg.cluster.rack);
}

static void quorum_node_resolves_its_listeners(void **state)
{
    fx_t *f = *state;
    char path[400];

    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path, "node_id: 2\ncluster_id: c1\n"
                     "controller_quorum_voters: 1@h1:9093,2@h2:9094,3@h3:95\n"
                     "listeners: [\"CONTROLLER://0.0.0.0:9094\", "
                     "\"INTERNAL://0.0.0.0:9092\"]\n"
                     "inter_broker_listener_name: internal\n"
                     "listener_security_protocol_map: INTERNAL:SSL\n"
                     "ssl_keystore_location: /dev/null\n"
                     "advertised_listeners: INTERNAL://b2.example:19092\n"
                     "broker_rack: r2\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    samsa_cluster_config_t *cc = &f->cfg.cluster;
    assert_true(samsa_cluster_is_quorum(cc));
    assert_int_equal(cc->voter_count, 3);
    assert_int_equal(cc->voters[2].id, 3);
    assert_string_equal(cc->voters[2].host, "h3");
    assert_int_equal(cc->voters[2].port, 95);
    assert_int_equal(cc->controller_listener, 0);
    assert_int_equal(cc->inter_broker_listener, 1);
    assert_string_equal(cc->advertised_host[1], "b2.example");
    assert_int_equal(cc->advertised_port[1], 19092);
    assert_null(cc->advertised_host[0]);
    assert_string_equal(cc->rack, "r2");
    /* The controller listener needs no map entry (PLAINTEXT). */
    assert_int_equal(f->cfg.security.protocol[0], SAMSA_SECURITY_PLAINTEXT);
    assert_int_equal(f->cfg.security.protocol[1], SAMSA_SECURITY_SSL);
    assert_true(f->cfg.security.any_tls);
    assert_false(f->cfg.security.any_sasl);
}

/* A broker-only node is no voter: its controller listener is where it
 * receives the metadata log as a non-voting member. */
static void broker_only_node_follows_the_quorum(void **state)
{
    fx_t *f = *state;
    char path[400];

    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path, "node_id: 4\ncluster_id: c1\nprocess_roles: broker\n"
                     "controller_quorum_voters: 1@h1:9093,2@h2:9094\n"
                     "listeners: [\"127.0.0.1:9092\", "
                     "\"CONTROLLER://127.0.0.1:9095\"]\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    samsa_cluster_config_t *cc = &f->cfg.cluster;
    assert_true(samsa_cluster_is_quorum(cc));
    assert_true(cc->broker_role);
    assert_false(cc->controller_role);
    assert_int_equal(cc->controller_listener, 1);
    assert_int_equal(cc->inter_broker_listener, 0);
}

/* process_roles without controller_quorum_voters: a lone voter (solo),
 * this node alone, with no controller listener and no cluster_id needed;
 * without either key, standalone as before. */
static void roles_without_voters_make_a_solo_quorum(void **state)
{
    fx_t *f = *state;
    char path[400];

    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path, "node_id: 7\nprocess_roles: broker,controller\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    samsa_cluster_config_t *cc = &f->cfg.cluster;
    assert_true(samsa_cluster_is_quorum(cc));
    assert_true(cc->solo);
    assert_true(samsa_cluster_is_lone_voter(cc, 7));
    assert_int_equal(cc->voters[0].id, 7);
    assert_int_equal(cc->controller_listener, -1);
    samsa_broker_config_free(&f->cfg);

    /* The default: the same lone voter. */
    char yaml[600], store[600];
    snprintf(yaml, sizeof(yaml), "node_id: 7\ndata_dir: %s/data\n", f->root);
    write_yaml(path, yaml);
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_true(samsa_cluster_is_lone_voter(&f->cfg.cluster, 7));
    assert_true(f->cfg.cluster.solo);
    samsa_broker_config_free(&f->cfg);

    /* An earlier release's standalone data dir with a store the metadata
     * log does not take yet stays standalone, naming it; an empty one is
     * no reason to. */
    snprintf(store, sizeof(store), "%s/data", f->root);
    assert_int_equal(mkdir(store, 0755), 0);
    snprintf(store, sizeof(store), "%s/data/__samsa_meta", f->root);
    assert_int_equal(mkdir(store, 0755), 0);
    snprintf(store, sizeof(store), "%s/data/__samsa_meta/acls", f->root);
    write_yaml(store, "");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_true(f->cfg.cluster.solo);
    samsa_broker_config_free(&f->cfg);
    write_yaml(store, "User:alice\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_false(samsa_cluster_is_quorum(&f->cfg.cluster));
    assert_false(f->cfg.cluster.solo);
    assert_non_null(strstr(f->cfg.cluster.standalone_store, "acls"));
    samsa_broker_config_free(&f->cfg);
    /* Asked for by process_roles: the quorum (whose start then refuses,
     * naming the store). */
    snprintf(yaml, sizeof(yaml),
             "node_id: 7\ndata_dir: %s/data\nprocess_roles: "
             "broker,controller\n",
             f->root);
    write_yaml(path, yaml);
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_true(f->cfg.cluster.solo);
    assert_null(f->cfg.cluster.standalone_store);
    /* A data dir that has a metadata log is a lone voter's already. */
    samsa_broker_config_free(&f->cfg);
    snprintf(yaml, sizeof(yaml), "node_id: 7\ndata_dir: %s/data\n", f->root);
    write_yaml(path, yaml);
    snprintf(store, sizeof(store), "%s/data/__samsa_meta/raft", f->root);
    assert_int_equal(mkdir(store, 0755), 0);
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_true(f->cfg.cluster.solo);
}

static void listeners_get_kafkas_security_protocols(void **state)
{
    fx_t *f = *state;
    char path[400];

    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path,
               "listeners: [\"127.0.0.1:9092\", \"SSL://127.0.0.1:9093\", "
               "\"SASL_SSL://127.0.0.1:9094\", \"CLIENTS://127.0.0.1:9095\"]\n"
               "listener_security_protocol_map: "
               "clients:sasl_plaintext,SSL:SSL\n"
               "ssl_keystore_location: /dev/null\n"
               "ssl_client_auth: required\n"
               "ssl_truststore_location: /dev/null\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    const samsa_security_config_t *sc = &f->cfg.security;
    assert_int_equal(sc->protocol[0], SAMSA_SECURITY_PLAINTEXT);
    assert_int_equal(sc->protocol[1], SAMSA_SECURITY_SSL);
    assert_int_equal(sc->protocol[2], SAMSA_SECURITY_SASL_SSL);
    assert_int_equal(sc->protocol[3], SAMSA_SECURITY_SASL_PLAINTEXT);
    assert_true(sc->any_tls && sc->any_sasl);
    assert_int_equal(sc->ssl_client_auth, SAMSA_SSL_CLIENT_AUTH_REQUIRED);
    assert_string_equal(sc->ssl_keystore_location, "/dev/null");
    assert_null(sc->ssl_key_location);
}

static void bad_security_keys_are_errors(void **state)
{
    fx_t *f = *state;

    expect_yaml_error(f,
                      "listeners: [\"APP://127.0.0.1:1\"]\n"
                      "inter_broker_listener_name: APP\n",
                      1, "listener APP has no security protocol");
    expect_yaml_error(f, "listener_security_protocol_map: PLAINTEXT:TLS\n", 1,
                      "'PLAINTEXT:TLS' is not NAME:PROTOCOL");
    expect_yaml_error(f,
                      "listeners: [\"SSL://127.0.0.1:1\"]\n"
                      "inter_broker_listener_name: SSL\n",
                      1, "an SSL or SASL_SSL listener needs");
    expect_yaml_error(f, "ssl_client_auth: requested\n", 1,
                      "needs the PEM file of the CAs");
    expect_yaml_error(f, "ssl_client_auth: maybe\n", 1,
                      "expected none, requested or required");
    expect_yaml_error(f,
                      "listeners: [\"SSL://127.0.0.1:1\"]\n"
                      "inter_broker_listener_name: SSL\n"
                      "ssl_keystore_location: /nonexistent.pem\n",
                      3, "cannot read PEM file '/nonexistent.pem'");
    /* Raft speaks TLS or clear text, never SASL. */
    expect_yaml_error(f,
                      "node_id: 1\n"
                      "cluster_id: 7b0c7a9e-3a61-4f0e-9a52-0f3b1c2d4e5f\n"
                      "controller_quorum_voters: 1@127.0.0.1:19093\n"
                      "listeners: [\"PLAINTEXT://127.0.0.1:19092\", "
                      "\"CONTROLLER://127.0.0.1:19093\"]\n"
                      "listener_security_protocol_map: "
                      "\"PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL\"\n",
                      5,
                      "controller listener CONTROLLER: SASL is not "
                      "supported");
    /* A SASL inter-broker listener needs this broker's own login. */
    expect_yaml_error(f,
                      "listeners: [\"SASL_PLAINTEXT://127.0.0.1:1\"]\n"
                      "inter_broker_listener_name: SASL_PLAINTEXT\n"
                      "sasl_mechanism_inter_broker_protocol: GSSAPI\n",
                      3, "expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
    char path[400];
    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    /* Standalone, nobody needs it (a Connect worker has its own login). */
    write_yaml(path, "listeners: [\"SASL_PLAINTEXT://127.0.0.1:1\"]\n"
                     "inter_broker_listener_name: SASL_PLAINTEXT\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    samsa_broker_config_free(&f->cfg);
    write_yaml(path, "node_id: 1\ncluster_id: c1\n"
                     "controller_quorum_voters: 1@h1:9093\n"
                     "listeners: [\"CONTROLLER://0.0.0.0:9093\", "
                     "\"SASL_PLAINTEXT://127.0.0.1:1\"]\n"
                     "inter_broker_listener_name: SASL_PLAINTEXT\n"
                     "sasl_mechanism_inter_broker_protocol: PLAIN\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_ERR_CONFIG);
    assert_non_null(strstr(f->errbuf, "sasl_inter_broker_username: the "
                                      "inter-broker listener is SASL"));
}

static void inconsistent_cluster_keys_are_errors(void **state)
{
    fx_t *f = *state;
    const char *voters = "cluster_id: c1\n"
                         "controller_quorum_voters: 1@h:9093,2@h:9094\n";
    char yaml[600];

    expect_yaml_error(f, "controller_quorum_voters: 1@h:9093,1@h:9094\n", 1,
                      "controller_quorum_voters: '1@h:9094' is not "
                      "ID@HOST:PORT with distinct ids");
    expect_yaml_error(f, "controller_quorum_voters: 1h:9093\n", 1,
                      "'1h:9093' is not ID@HOST:PORT");
    expect_yaml_error(f, "controller_quorum_voters: 1@h:9093\n", 1,
                      "a node of a quorum needs cluster_id");
    expect_yaml_error(f,
                      "node_id: 3\ncluster_id: c\n"
                      "controller_quorum_voters: 1@h:9093\n",
                      3, "node_id 3 must be one of controller_quorum_voters");
    snprintf(yaml, sizeof(yaml), "%slisteners: [\"127.0.0.1:9092\"]\n", voters);
    expect_yaml_error(f, yaml, 3,
                      "a controller needs a listener named in "
                      "controller_listener_names");
    snprintf(yaml, sizeof(yaml),
             "%slisteners: [\"127.0.0.1:9092\", \"CONTROLLER://h:9099\"]\n",
             voters);
    expect_yaml_error(f, yaml, 3, "port 9099 differs from node 1's port 9093");
    expect_yaml_error(f,
                      "node_id: 4\nprocess_roles: broker\ncluster_id: c\n"
                      "controller_quorum_voters: 1@h:9093\n"
                      "listeners: [\"127.0.0.1:9092\"]\n",
                      5,
                      "a broker-only node needs a listener named in "
                      "controller_listener_names");
    expect_yaml_error(f,
                      "node_id: 4\nprocess_roles: broker\ncluster_id: c\n"
                      "controller_quorum_voters: 1@h:9093\n"
                      "listeners: [\"127.0.0.1:9092\", "
                      "\"CONTROLLER://0.0.0.0:9095\"]\n",
                      5, "needs the host and port the controllers reach it");
    expect_yaml_error(f, "process_roles: broker,zookeeper\n", 1,
                      "process_roles: expected broker, controller");
    expect_yaml_error(f, "inter_broker_listener_name: X\n", 1,
                      "'X' names no broker listener");
    expect_yaml_error(f, "advertised_listeners: OTHER://h:1\n", 1,
                      "'OTHER://h:1' is not NAME://HOST:PORT naming a broker "
                      "listener");
    expect_yaml_error(f, "broker_heartbeat_interval_ms: 9000\n", 1,
                      "must be shorter than broker_session_timeout_ms");
}

/* Values the option bounds let through but start could not honour
 * (issue 11): each is an error with file:line. */
static void values_start_cannot_use_are_errors(void **state)
{
    fx_t *f = *state;

    expect_yaml_error(f, "node_id: 1\ndata_dir: \"\"\n", 2,
                      "broker config: data_dir is empty");
    expect_yaml_error(f, "plugin_dir: ''\n", 1, "plugin_dir is empty");
    expect_yaml_error(f, "\nlog_flush_interval_messages: 0\n", 2,
                      "log_flush_interval_messages 0 is not allowed");
    expect_yaml_error(f,
                      "group_max_session_timeout_ms: 1000\n"
                      "group_min_session_timeout_ms: 6000\n",
                      2,
                      "group_min_session_timeout_ms (6000) is above "
                      "group_max_session_timeout_ms (1000)");
    /* The default minimum (6000) above a lower maximum: the line is the
     * maximum's. */
    expect_yaml_error(f, "\ngroup_max_session_timeout_ms: 5000\n", 2,
                      "group_min_session_timeout_ms (6000) is above");
    expect_yaml_error(f, "listeners: [\"nosuch.invalid:9092\"]\n", 1,
                      "cannot resolve host 'nosuch.invalid'");
    expect_yaml_error(f, "http_listeners: [\"nosuch.invalid:8080\"]\n", 1,
                      "http_listeners: cannot resolve host 'nosuch.invalid'");
    expect_yaml_error(f, "http_listeners: [\"8080\"]\n", 1,
                      "http_listeners: '8080' is not HOST:PORT");
    char path[400];
    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path, "log_flush_interval_messages: 1\n"
                     "group_min_session_timeout_ms: 1000\n"
                     "group_max_session_timeout_ms: 1000\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_int_equal(f->cfg.log_flush_interval_messages, 1);
}

static void http_listeners_default_flag_and_off(void **state)
{
    fx_t *f = *state;
    char path[400];

    /* Default: 127.0.0.1:8083. */
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_int_equal(f->cfg.http_listener_count, 1);
    assert_string_equal(f->cfg.http_listeners[0], "127.0.0.1:8083");
    samsa_broker_config_free(&f->cfg);
    /* An empty list turns HTTP off; the flag wins over the YAML. */
    snprintf(path, sizeof(path), "%s/samsa.yaml", f->conf);
    write_yaml(path, "http_listeners: []\nlog_format: json\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_OK);
    assert_int_equal(f->cfg.http_listener_count, 0);
    assert_int_equal(f->cfg.log_format, SAMSA_LOG_JSON);
    samsa_broker_config_free(&f->cfg);
    const char *flag[] = {"--http-listen", "127.0.0.1:0", "--http-listen",
                          "[::1]:9"};
    assert_int_equal(run(f, 4, flag), SAMSA_OK);
    assert_int_equal(f->cfg.http_listener_count, 2);
    assert_string_equal(f->cfg.http_listeners[1], "[::1]:9");
    samsa_broker_config_free(&f->cfg);
    const char *off[] = {"--http-listen", "none"};
    write_yaml(path, "http_listeners: [\"127.0.0.1:1\"]\n");
    assert_int_equal(run(f, 2, off), SAMSA_OK);
    assert_int_equal(f->cfg.http_listener_count, 0);
    samsa_broker_config_free(&f->cfg);
    /* A bad address is a config error naming the key. */
    write_yaml(path, "http_listeners: [\"nope\"]\n");
    assert_int_equal(run(f, 0, NULL), SAMSA_ERR_CONFIG);
    assert_non_null(strstr(f->errbuf, "http_listeners"));
    assert_non_null(strstr(f->errbuf, "nope"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(defaults_give_the_embedded_single_node),
        T(samsa_yaml_in_conf_dir_sets_values),
        T(samsa_yaml_beside_conf_dir_is_found),
        T(flags_win_over_yaml),
        T(yaml_conf_dir_applies_without_the_flag),
        T(unknown_key_is_an_error_with_file_line),
        T(wrong_type_is_an_error_with_file_line),
        T(duplicate_key_is_an_error_with_file_line),
        T(bad_enum_values_are_errors),
        T(usage_errors_are_inval),
        T(action_flags_are_reported),
        T(listener_parser_accepts_v4_v6_and_names),
        T(listener_parser_accepts_kafka_names),
        T(default_node_is_a_lone_voter_broker_and_controller),
        T(quorum_node_resolves_its_listeners),
        T(broker_only_node_follows_the_quorum),
        T(roles_without_voters_make_a_solo_quorum),
        T(inconsistent_cluster_keys_are_errors),
        T(values_start_cannot_use_are_errors),
        T(listeners_get_kafkas_security_protocols),
        T(bad_security_keys_are_errors),
        T(http_listeners_default_flag_and_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
