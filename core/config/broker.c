/* SPDX-License-Identifier: Apache-2.0 */
/* core/config/broker.c - samsad flags + samsa.yaml -> samsa_broker_config_t */
#include "config/broker.h"

#include <ctype.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/options.h"
#include "config/yaml.h"
#include "util/log.h"

#ifndef SAMSA_VERSION
#define SAMSA_VERSION "0.0.0"
#endif
#ifndef SAMSA_DEFAULT_CONF_DIR
#define SAMSA_DEFAULT_CONF_DIR "conf.d"
#endif
#ifndef SAMSA_INSTALLED_CONF_DIR
#define SAMSA_INSTALLED_CONF_DIR "/etc/samsa"
#endif
#ifndef SAMSA_DEFAULT_PLUGIN_DIR
#define SAMSA_DEFAULT_PLUGIN_DIR "plugins"
#endif
#ifndef SAMSA_INSTALLED_PLUGIN_DIR
#define SAMSA_INSTALLED_PLUGIN_DIR "/usr/lib/samsa/plugins"
#endif

#define I32MAX INT32_MAX
#define I64MAX INT64_MAX

/* clang-format off */
const samsa_option_t samsa_broker_options[] = {
    SAMSA_OPTION_LIST("listeners", "[\"127.0.0.1:9092\"]",
        "Addresses to listen on, each [NAME://]HOST:PORT ([v6addr]:PORT for "
        "IPv6; no NAME means PLAINTEXT). Listeners named in "
        "controller_listener_names carry the metadata quorum, the others "
        "Kafka clients. Flag: --listen (repeatable)."),
    SAMSA_OPTION_STRING("data_dir", "./data",
        "Directory holding partition logs and broker state; relative paths "
        "are taken from the working directory. Flag: --data-dir."),
    SAMSA_OPTION_STRING("conf_dir", NULL,
        "Directory of plugin manifests (*.yaml, read in name order). "
        "Default: the source tree's conf.d, else <sysconfdir>/samsa/conf.d, "
        "or $SAMSA_CONF_DIR. Flag: --conf-dir."),
    SAMSA_OPTION_STRING("plugin_dir", NULL,
        "Directory searched for plugin .so files. Default: the build tree's "
        "plugins/, else <libdir>/samsa/plugins, or $SAMSA_PLUGIN_DIR. "
        "Flag: --plugin-dir."),
    SAMSA_OPTION_INT("node_id", "1", 0, I32MAX,
        "This broker's id (node.id), unique in the cluster."),
    SAMSA_OPTION_STRING("process_roles", "broker,controller",
        "Roles of this node (process.roles): broker,controller, "
        "controller or broker. Set without controller_quorum_voters: a "
        "one-voter quorum of this node alone (no controller listener)."),
    SAMSA_OPTION_STRING("controller_quorum_voters", "",
        "The metadata quorum (controller.quorum.voters), "
        "ID@HOST:PORT,...; empty: a standalone node without a quorum, or "
        "a one-voter quorum when process_roles is set."),
    SAMSA_OPTION_STRING("controller_listener_names", "CONTROLLER",
        "Listener names that carry the metadata quorum "
        "(controller.listener.names), comma-separated."),
    SAMSA_OPTION_STRING("inter_broker_listener_name", "PLAINTEXT",
        "Listener other brokers and the controller reach this broker on "
        "(inter.broker.listener.name)."),
    SAMSA_OPTION_STRING("advertised_listeners", "",
        "Addresses given to clients, NAME://HOST:PORT,... "
        "(advertised.listeners); unset: the listener's own address."),
    SAMSA_OPTION_STRING("listener_security_protocol_map", "",
        "Security protocol of each listener, NAME:PROTOCOL comma-separated "
        "(listener.security.protocol.map), PROTOCOL one of PLAINTEXT, SSL, "
        "SASL_PLAINTEXT, SASL_SSL; a listener named after a protocol needs "
        "no entry."),
    SAMSA_OPTION_STRING("ssl_keystore_location", "",
        "PEM file with the broker's certificate chain, leaf first, and its "
        "private key unless ssl_key_location is set "
        "(ssl.keystore.location, PEM)."),
    SAMSA_OPTION_STRING("ssl_key_location", "",
        "PEM file with the broker's private key (default: read from "
        "ssl_keystore_location)."),
    SAMSA_OPTION_STRING("ssl_key_password", "",
        "Password of an encrypted private key (ssl.key.password)."),
    SAMSA_OPTION_STRING("ssl_truststore_location", "",
        "PEM file of the CA certificates trusted to sign client "
        "certificates (ssl.truststore.location, PEM)."),
    SAMSA_OPTION_STRING("ssl_client_auth", "none",
        "Client certificates on SSL listeners (ssl.client.auth): none, "
        "requested (verified when sent) or required."),
    SAMSA_OPTION_STRING("ssl_principal_mapping_rules", "DEFAULT",
        "How a client certificate's subject (RFC 2253 DN) becomes the "
        "principal on SSL listeners (ssl.principal.mapping.rules): "
        "RULE:pattern/replacement/[L|U] or DEFAULT, comma-separated, the "
        "first whose POSIX extended regex matches the whole DN wins; none "
        "matching refuses the connection."),
    SAMSA_OPTION_STRING("sasl_enabled_mechanisms", "",
        "SASL mechanisms offered on SASL listeners, comma-separated "
        "(sasl.enabled.mechanisms), each served by a loaded sasl plugin "
        "instance; empty: every loaded one."),
    SAMSA_OPTION_STRING("sasl_mechanism_inter_broker_protocol", "",
        "SASL mechanism this broker logs in with when the inter-broker "
        "listener is SASL_PLAINTEXT or SASL_SSL "
        "(sasl.mechanism.inter.broker.protocol): PLAIN, SCRAM-SHA-256 or "
        "SCRAM-SHA-512; required then."),
    SAMSA_OPTION_STRING("sasl_inter_broker_username", "",
        "User this broker logs in as on a SASL inter-broker listener "
        "(Kafka: username in listener.name.<l>.<mech>.sasl.jaas.config); "
        "with the authorizer on, User:<it> must be a super user or hold "
        "ClusterAction."),
    SAMSA_OPTION_STRING("sasl_inter_broker_password", "",
        "Its password (Kafka: password in the listener's "
        "sasl.jaas.config)."),
    SAMSA_OPTION_INT("connections_max_reauth_ms", "0", 0, I64MAX,
        "Longest SASL session before the client must re-authenticate on "
        "its connection (connections.max.reauth.ms, KIP-368); the broker "
        "closes a connection whose session passed at its next request. "
        "0: no limit but the credential's own expiry (OAUTHBEARER)."),
    SAMSA_OPTION_STRING("broker_rack", "",
        "Rack of this broker (broker.rack), for rack-aware replica "
        "placement."),
    SAMSA_OPTION_INT("broker_heartbeat_interval_ms", "2000", 10, I32MAX,
        "How often a broker heartbeats to the controller "
        "(broker.heartbeat.interval.ms)."),
    SAMSA_OPTION_INT("broker_session_timeout_ms", "9000", 20, I32MAX,
        "A broker without a heartbeat this long is fenced "
        "(broker.session.timeout.ms)."),
    SAMSA_OPTION_BOOL("broker_session_probe_enable", "true",
        "Samsa only (Kafka has no such key). When a broker's heartbeat is "
        "overdue by half an interval, the controller tries a TCP connect to "
        "its inter-broker listener, without waiting on it; a refused connect "
        "means no process listens there (it died: kill -9, a crash), and the "
        "broker is fenced at once rather than after "
        "broker_session_timeout_ms. A connect that succeeds or times out "
        "proves nothing and changes nothing, so a partitioned or stopped "
        "broker is fenced after the session timeout, as in Kafka."),
    SAMSA_OPTION_BOOL("unclean_leader_election_enable", "false",
        "Let the controller make a live replica outside the ISR leader of a "
        "partition with no live ISR member, at the cost of the records only "
        "the lost ones had (unclean.leader.election.enable; the topic "
        "config overrides it)."),
    SAMSA_OPTION_BOOL("auto_leader_rebalance_enable", "true",
        "The controller moves leadership back to the preferred (first) "
        "replica of partitions when a broker's share of such partitions "
        "led elsewhere exceeds leader_imbalance_per_broker_percentage "
        "(auto.leader.rebalance.enable)."),
    SAMSA_OPTION_INT("leader_imbalance_check_interval_seconds", "300", 1,
        I32MAX,
        "How often the controller checks leader imbalance "
        "(leader.imbalance.check.interval.seconds)."),
    SAMSA_OPTION_INT("leader_imbalance_per_broker_percentage", "10", 0, 100,
        "Share of a broker's preferred partitions led elsewhere above "
        "which the rebalance moves them back "
        "(leader.imbalance.per.broker.percentage)."),
    SAMSA_OPTION_STRING("cluster_id", NULL,
        "Cluster id; unset: generated at first start and kept in data_dir."),
    SAMSA_OPTION_INT("reactors", "0", 0, 1024,
        "Event-loop threads; 0 = one per online CPU."),
    SAMSA_OPTION_BOOL("connect_enabled", "false",
        "Run the Connect worker in samsad: source and sink connector "
        "plugins, Kafka Connect's REST API on the HTTP listener "
        "(http_listeners) and its internal topics connect-configs, "
        "connect-offsets and connect-status."),
    SAMSA_OPTION_STRING("connect_client_config", NULL,
        "Kafka client properties file for the Connect worker's clients, "
        "the security keys of a Kafka Connect worker.properties "
        "(security.protocol, sasl.mechanism, sasl.jaas.config, "
        "ssl.truststore.location as PEM, ssl.keystore.location, ...); the "
        "worker connects to the broker's first listener of that "
        "security.protocol. Unset: PLAINTEXT, on the first PLAINTEXT "
        "listener."),
    SAMSA_OPTION_LIST("config_providers", "[]",
        "Config providers connector configs may reference (Kafka's "
        "config.providers): file (${file:PATH:KEY}, a key of a properties "
        "file), dir (${dir:DIR:NAME}, a file's content) and env "
        "(${env:VAR}); resolved when a task starts, never echoed."),
    SAMSA_OPTION_INT("lag_history_interval_ms", "10000", 100, 3600000,
        "How often the HTTP listener samples every group's lag for the "
        "console's lag-over-time chart (the last 360 samples are kept)."),
    SAMSA_OPTION_LIST("http_listeners", "[\"127.0.0.1:8083\"]",
        "Addresses of the HTTP listener (/metrics, /health/live, "
        "/health/ready, the web console), each HOST:PORT; port 0 picks a "
        "free port; an empty list [] turns HTTP off. "
        "Flag: --http-listen (repeatable; 'none' turns it off)."),
    SAMSA_OPTION_STRING("log_format", "auto",
        "Broker log lines: text (time, level, message), journald (syslog "
        "priority prefixes like <6>, journald adds the time), json (one "
        "object per line: ts, level, msg), or auto (journald when stderr "
        "goes to the journal, i.e. $JOURNAL_STREAM is set; else text)."),
    SAMSA_OPTION_STRING("log_level", "info",
        "Broker log level: error, warn, info or debug."),
    SAMSA_OPTION_BOOL("auto_create_topics", "true",
        "Create a topic on first use (auto.create.topics.enable)."),
    SAMSA_OPTION_INT("num_partitions", "1", 1, 1000000,
        "Partitions of an auto-created topic (num.partitions)."),
    SAMSA_OPTION_INT("max_partitions_per_request", "10000", 1, 1000000,
        "Partitions one CreateTopics or CreatePartitions request may "
        "create in all (Kafka's controller caps a request at 10000 "
        "records); more is refused with POLICY_VIOLATION."),
    SAMSA_OPTION_INT("max_broker_partitions", "150000", 1, 10000000,
        "Partitions this broker may hold in all (max.broker.partitions, "
        "KIP-578); creating more is refused with POLICY_VIOLATION."),
    SAMSA_OPTION_INT("default_replication_factor", "1", 1, 32767,
        "Replicas of an auto-created topic "
        "(default.replication.factor)."),
    SAMSA_OPTION_INT("min_insync_replicas", "1", 1, 32767,
        "Default min.insync.replicas for acks=all."),
    SAMSA_OPTION_INT("replica_lag_time_max_ms", "30000", 1, I64MAX,
        "A follower that has not caught up to the leader's log end for "
        "this long leaves the ISR (replica.lag.time.max.ms)."),
    SAMSA_OPTION_INT("num_replica_fetchers", "1", 1, 64,
        "Follower fetcher threads; each has its own epoll and one "
        "connection per leader broker (num.replica.fetchers)."),
    SAMSA_OPTION_INT("replica_fetch_max_bytes", "1048576", 0, I32MAX,
        "Bytes a follower asks for per partition in one fetch "
        "(replica.fetch.max.bytes); a larger batch still comes whole."),
    SAMSA_OPTION_INT("replica_fetch_response_max_bytes", "10485760", 0,
        I32MAX,
        "Bytes a follower asks for in one fetch, all partitions together "
        "(replica.fetch.response.max.bytes)."),
    SAMSA_OPTION_INT("replica_fetch_wait_max_ms", "500", 0, I32MAX,
        "How long the leader may hold a follower's fetch waiting for new "
        "data (replica.fetch.wait.max.ms); keep it below "
        "replica_lag_time_max_ms."),
    SAMSA_OPTION_INT("replica_fetch_min_bytes", "1", 1, I32MAX,
        "Bytes the leader waits for before answering a follower's fetch "
        "(replica.fetch.min.bytes)."),
    SAMSA_OPTION_INT("replica_socket_timeout_ms", "30000", 1, I32MAX,
        "A follower's connection to a leader that sends no answer this "
        "long (beyond replica_fetch_wait_max_ms) is closed and opened "
        "again (replica.socket.timeout.ms)."),
    SAMSA_OPTION_INT("replica_fetch_backoff_ms", "1000", 0, I32MAX,
        "Pause after a failed follower fetch or connection before the "
        "next try (replica.fetch.backoff.ms)."),
    SAMSA_OPTION_INT("socket_request_max_bytes", "104857600", 1024, I32MAX,
        "Largest request frame accepted, in bytes "
        "(socket.request.max.bytes)."),
    SAMSA_OPTION_INT("quota_window_num", "11", 2, 1000,
        "Samples a client quota's rate is measured over "
        "(quota.window.num)."),
    SAMSA_OPTION_INT("quota_window_size_seconds", "1", 1, 3600,
        "Length of one quota sample (quota.window.size.seconds)."),
    SAMSA_OPTION_INT("connections_max_idle_ms", "600000", 0, I32MAX,
        "Close a connection after this long without a byte read or "
        "written: idle, or its client stopped reading its responses "
        "(logged as a WARN). 0 = never (connections.max.idle.ms)."),
    SAMSA_OPTION_INT("log_retention_check_interval_ms", "5000", 10, I64MAX,
        "How often retention, time-based roll, the flush policy's checks "
        "and compaction run (log.retention.check.interval.ms)."),
    SAMSA_OPTION_INT("producer_id_expiration_ms", "86400000", 1, I64MAX,
        "Idle time after which a partition forgets an idempotent producer "
        "(producer.id.expiration.ms)."),
    SAMSA_OPTION_BOOL("fetch_copy", "false",
        "Send fetched record data with pread+write instead of sendfile; "
        "faster on some loopback setups (see tools/bench)."),
    SAMSA_OPTION_INT("message_max_bytes", "1048588", 0, I32MAX,
        "Largest record batch accepted, in bytes (message.max.bytes)."),
    SAMSA_OPTION_INT("message_max_decompressed_bytes", "67108864", 65536,
        I32MAX,
        "Most bytes the compressed batches of one produce request may "
        "decompress to, all partitions together (Samsa's own bound on "
        "one request's decompression work, done on the samsa-produce "
        "thread; a batch stored uncompressed must also fit "
        "max.message.bytes)."),
    SAMSA_OPTION_INT("log_segment_bytes", "1073741824", 1024, I32MAX,
        "Default segment size before a roll, bytes (log.segment.bytes)."),
    SAMSA_OPTION_INT("log_segment_ms", "604800000", 1, I64MAX,
        "Default segment age before a roll, ms (log.roll.ms)."),
    SAMSA_OPTION_INT("log_retention_ms", "604800000", -1, I64MAX,
        "Default time to keep data, ms; -1 = forever (log.retention.ms)."),
    SAMSA_OPTION_INT("log_retention_bytes", "-1", -1, I64MAX,
        "Default bytes kept per partition; -1 = unlimited "
        "(log.retention.bytes)."),
    SAMSA_OPTION_INT("log_flush_interval_messages", "-1", -1, I64MAX,
        "fsync after this many messages; -1 = leave it to the OS "
        "(log.flush.interval.messages)."),
    SAMSA_OPTION_INT("log_flush_interval_ms", "-1", -1, I64MAX,
        "fsync at least this often, ms; -1 = leave it to the OS "
        "(log.flush.interval.ms)."),
    SAMSA_OPTION_INT("log_index_interval_bytes", "4096", 0, I32MAX,
        "Bytes between sparse index entries (log.index.interval.bytes)."),
    SAMSA_OPTION_STRING("log_cleanup_policy", "delete",
        "Default cleanup.policy: delete, compact, or delete,compact."),
    SAMSA_OPTION_INT("group_min_session_timeout_ms", "6000", 0, I32MAX,
        "Smallest session timeout a group member may ask for, ms."),
    SAMSA_OPTION_INT("group_max_session_timeout_ms", "1800000", 0, I32MAX,
        "Largest session timeout a group member may ask for, ms."),
    SAMSA_OPTION_INT("group_initial_rebalance_delay_ms", "3000", 0, I32MAX,
        "Wait before the first rebalance of a new group, so members "
        "starting together get one generation, ms; extended by as much "
        "for each member joining meanwhile, up to the rebalance timeout. "
        "0 = instant groups (tools/dev.sh run, the tests)."),
    SAMSA_OPTION_INT("offsets_retention_ms", "604800000", -1, I64MAX,
        "Committed offsets of an empty group are kept this long, ms."),
    SAMSA_OPTION_INT("offsets_topic_num_partitions", "50", 1, 1000000,
        "Partitions of __consumer_offsets when a cluster creates it; a "
        "group's coordinator is the leader of partition "
        "abs(hash(group)) % this (standalone: 1, one node coordinates "
        "every group)."),
    SAMSA_OPTION_INT("offsets_topic_replication_factor", "3", 1, 32767,
        "Replicas of __consumer_offsets; its creation is refused (groups "
        "get COORDINATOR_NOT_AVAILABLE) until this many brokers are live, "
        "as Kafka's."),
    SAMSA_OPTION_INT("transaction_state_log_num_partitions", "50", 1,
        1000000,
        "Partitions of __transaction_state when a cluster creates it "
        "(standalone: 1)."),
    SAMSA_OPTION_INT("transaction_state_log_replication_factor", "3", 1,
        32767,
        "Replicas of __transaction_state; refused until this many brokers "
        "are live, as Kafka's."),
    SAMSA_OPTION_INT("transaction_max_timeout_ms", "900000", 1, I32MAX,
        "Longest transaction timeout a producer may ask for, ms."),
    SAMSA_OPTION_INT(
        "transaction_abort_timed_out_transaction_cleanup_interval_ms",
        "10000", 1, I32MAX,
        "How often transactions past their timeout are looked for and "
        "aborted, ms."),
    SAMSA_OPTION_END,
};
/* clang-format on */

typedef struct broker_flags {
    char **listen;
    size_t listen_count;
    char **http_listen;
    size_t http_listen_count;
    const char *data_dir, *conf_dir, *plugin_dir, *config_file;
    samsa_broker_action_t action;
} broker_flags_t;

static bool is_dir(const char *path)
{
    struct stat st;
    return path != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* True when this program runs from the build tree that produced it (the
 * parent of SAMSA_DEFAULT_PLUGIN_DIR): only then do the tree's conf.d and
 * plugins take the place of the installed ones, so a package built on a
 * machine that still has its build tree uses its own files. */
static bool from_build_tree(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        return false;
    }
    exe[n] = '\0';
    const char *plugins = SAMSA_DEFAULT_PLUGIN_DIR;
    const char *slash = strrchr(plugins, '/');
    size_t root = slash ? (size_t)(slash - plugins) : 0;
    return root > 0 && strncmp(exe, plugins, root) == 0 && exe[root] == '/';
}

const char *samsa_default_conf_dir(void)
{
    const char *env = getenv("SAMSA_CONF_DIR");

    if (env != NULL && env[0] != '\0') {
        return env;
    }
    if (from_build_tree() && is_dir(SAMSA_DEFAULT_CONF_DIR)) {
        return SAMSA_DEFAULT_CONF_DIR;
    }
    return SAMSA_INSTALLED_CONF_DIR "/conf.d";
}

const char *samsa_default_plugin_dir(void)
{
    const char *env = getenv("SAMSA_PLUGIN_DIR");

    if (env != NULL && env[0] != '\0') {
        return env;
    }
    if (from_build_tree() && is_dir(SAMSA_DEFAULT_PLUGIN_DIR)) {
        return SAMSA_DEFAULT_PLUGIN_DIR;
    }
    return SAMSA_INSTALLED_PLUGIN_DIR;
}

/* "NAME://" prefix of a listener: its length (0 without one), or -1 when
 * the name is not [A-Za-z0-9_-]+. */
static ssize_t listener_name_len(const char *text)
{
    const char *sep = strstr(text, "://");
    size_t n;
    if (sep == NULL) {
        return 0;
    }
    n = (size_t)(sep - text);
    if (n == 0 || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        return -1;
    }
    return (ssize_t)n;
}

samsa_err_t samsa_listener_parse(const char *text, samsa_listener_t *out)
{
    const char *colon, *host;
    size_t host_len;
    char *end;
    long port;
    ssize_t name_len = listener_name_len(text);

    out->host = NULL;
    out->name = NULL;
    if (name_len < 0) {
        return SAMSA_ERR_INVAL;
    }
    const char *name = text;
    text += name_len > 0 ? name_len + 3 : 0;
    host = text;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':') {
            return SAMSA_ERR_INVAL;
        }
        host = text + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL || memchr(text, ':', (size_t)(colon - text))) {
            return SAMSA_ERR_INVAL;
        }
        host_len = (size_t)(colon - text);
    }
    port = strtol(colon + 1, &end, 10);
    if (host_len == 0 || colon[1] == '\0' || *end != '\0' || port < 0 ||
        port > 65535) {
        return SAMSA_ERR_INVAL;
    }
    out->host = strndup(host, host_len);
    out->port = (uint16_t)port;
    if (out->host != NULL && name_len > 0) {
        out->name = strndup(name, (size_t)name_len);
        for (char *c = out->name; c && *c; c++) {
            *c = (char)toupper((unsigned char)*c);
        }
    }
    if (out->host == NULL || (name_len > 0 && out->name == NULL)) {
        free(out->host);
        free(out->name);
        out->host = out->name = NULL;
        return SAMSA_ERR_NOMEM;
    }
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Command line                                                           */
/* ---------------------------------------------------------------------- */

/* "--name VALUE" or "--name=VALUE": returns the value or NULL. */
static const char *flag_value(const char *name, int argc, char **argv, int *i,
                              bool *matched)
{
    size_t n = strlen(name);
    const char *arg = argv[*i];

    *matched = false;
    if (strncmp(arg, name, n) != 0) {
        return NULL;
    }
    if (arg[n] == '=') {
        *matched = true;
        return arg + n + 1;
    }
    if (arg[n] != '\0') {
        return NULL;
    }
    *matched = true;
    if (*i + 1 >= argc) {
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

static samsa_err_t parse_flags(int argc, char **argv, broker_flags_t *fl,
                               char *errbuf, size_t errbuf_size)
{
    static const char *const valued[] = {
        "--listen", "--data-dir",    "--conf-dir", "--plugin-dir",
        "--config", "--http-listen", NULL};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        bool matched = false;
        int which = -1;

        if (strcmp(arg, "--check-config") == 0) {
            fl->action = SAMSA_BROKER_CHECK_CONFIG;
            continue;
        }
        if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
            fl->action = SAMSA_BROKER_VERSION;
            return SAMSA_OK;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fl->action = SAMSA_BROKER_HELP;
            return SAMSA_OK;
        }
        for (int k = 0; valued[k] != NULL && !matched; k++) {
            val = flag_value(valued[k], argc, argv, &i, &matched);
            which = k;
        }
        if (!matched) {
            snprintf(errbuf, errbuf_size, "unknown argument '%s' (try --help)",
                     arg);
            return SAMSA_ERR_INVAL;
        }
        if (val == NULL || val[0] == '\0') {
            snprintf(errbuf, errbuf_size, "%s needs a value", valued[which]);
            return SAMSA_ERR_INVAL;
        }
        switch (which) {
        case 0: {
            char **l =
                realloc(fl->listen, (fl->listen_count + 1) * sizeof(char *));
            if (l == NULL) {
                return SAMSA_ERR_NOMEM;
            }
            fl->listen = l;
            l[fl->listen_count++] = (char *)val;
            break;
        }
        case 1:
            fl->data_dir = val;
            break;
        case 2:
            fl->conf_dir = val;
            break;
        case 3:
            fl->plugin_dir = val;
            break;
        case 5: {
            char **l = realloc(fl->http_listen,
                               (fl->http_listen_count + 1) * sizeof(char *));
            if (l == NULL) {
                return SAMSA_ERR_NOMEM;
            }
            fl->http_listen = l;
            l[fl->http_listen_count++] = (char *)val;
            break;
        }
        default:
            fl->config_file = val;
            break;
        }
    }
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Resolving                                                              */
/* ---------------------------------------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (p != NULL) {
        snprintf(p, n, "%s/%s", dir, name);
    }
    return p;
}

/* --config, else conf_dir/samsa.yaml, else conf_dir/../samsa.yaml. */
static samsa_err_t find_yaml(const broker_flags_t *fl, char **out, char *errbuf,
                             size_t errbuf_size)
{
    const char *conf_dir =
        fl->conf_dir ? fl->conf_dir : samsa_default_conf_dir();
    static const char *const names[] = {"samsa.yaml", "../samsa.yaml", NULL};

    *out = NULL;
    if (fl->config_file != NULL) {
        if (!is_file(fl->config_file)) {
            snprintf(errbuf, errbuf_size,
                     "%s: config file not found (given with --config)",
                     fl->config_file);
            return SAMSA_ERR_IO;
        }
        *out = strdup(fl->config_file);
        return *out ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int i = 0; names[i] != NULL; i++) {
        char *p = path_join(conf_dir, names[i]);
        if (p == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        if (is_file(p)) {
            *out = p;
            return SAMSA_OK;
        }
        free(p);
    }
    return SAMSA_OK;
}

static samsa_err_t dup_str(char **dst, const char *src)
{
    free(*dst);
    *dst = NULL;
    if (src == NULL) {
        return SAMSA_OK;
    }
    *dst = strdup(src);
    return *dst ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* Relative data_dir -> absolute, so plugins see a stable path after any
 * chdir; the directory need not exist yet. */
static samsa_err_t absolutize(char **path)
{
    char cwd[PATH_MAX];
    char *abs;
    const char *rel = *path;

    if (rel[0] == '/') {
        return SAMSA_OK;
    }
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        return SAMSA_ERR_IO;
    }
    if (rel[0] == '.' && rel[1] == '/') {
        rel += 2;
    }
    abs = path_join(cwd, strcmp(rel, ".") == 0 ? "" : rel);
    if (abs == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    free(*path);
    *path = abs;
    return SAMSA_OK;
}

static int32_t i32(const samsa_config_t *v, const char *name)
{
    int64_t x = 0;
    samsa_config_int(v, name, &x);
    return (int32_t)x;
}

static int64_t i64(const samsa_config_t *v, const char *name)
{
    int64_t x = 0;
    samsa_config_int(v, name, &x);
    return x;
}

static const char *str(const samsa_config_t *v, const char *name)
{
    const char *s = NULL;
    samsa_config_string(v, name, &s);
    return s;
}

static void fill_numbers(samsa_broker_config_t *cfg)
{
    const samsa_config_t *v = cfg->values;

    cfg->node_id = i32(v, "node_id");
    cfg->lag_history_interval_ms = i64(v, "lag_history_interval_ms");
    samsa_config_bool(v, "connect_enabled", &cfg->connect_enabled);
    cfg->reactors = i32(v, "reactors");
    samsa_config_bool(v, "auto_create_topics", &cfg->auto_create_topics);
    cfg->num_partitions = i32(v, "num_partitions");
    cfg->max_partitions_per_request = i32(v, "max_partitions_per_request");
    cfg->max_broker_partitions = i32(v, "max_broker_partitions");
    cfg->default_replication_factor = i32(v, "default_replication_factor");
    cfg->min_insync_replicas = i32(v, "min_insync_replicas");
    cfg->socket_request_max_bytes = i64(v, "socket_request_max_bytes");
    cfg->connections_max_idle_ms = i64(v, "connections_max_idle_ms");
    cfg->quota_window_num = i32(v, "quota_window_num");
    cfg->quota_window_size_seconds = i32(v, "quota_window_size_seconds");
    cfg->message_max_bytes = i64(v, "message_max_bytes");
    cfg->message_max_decompressed_bytes =
        i64(v, "message_max_decompressed_bytes");
    samsa_config_bool(v, "fetch_copy", &cfg->fetch_copy);
    cfg->producer_id_expiration_ms = i64(v, "producer_id_expiration_ms");
    cfg->log_retention_check_interval_ms =
        i64(v, "log_retention_check_interval_ms");
    cfg->log_segment_bytes = i64(v, "log_segment_bytes");
    cfg->log_segment_ms = i64(v, "log_segment_ms");
    cfg->log_retention_ms = i64(v, "log_retention_ms");
    cfg->log_retention_bytes = i64(v, "log_retention_bytes");
    cfg->log_flush_interval_messages = i64(v, "log_flush_interval_messages");
    cfg->log_flush_interval_ms = i64(v, "log_flush_interval_ms");
    cfg->log_index_interval_bytes = i64(v, "log_index_interval_bytes");
    cfg->group_min_session_timeout_ms = i64(v, "group_min_session_timeout_ms");
    cfg->group_max_session_timeout_ms = i64(v, "group_max_session_timeout_ms");
    cfg->group_initial_rebalance_delay_ms =
        i64(v, "group_initial_rebalance_delay_ms");
    cfg->offsets_retention_ms = i64(v, "offsets_retention_ms");
    cfg->offsets_topic_num_partitions = i32(v, "offsets_topic_num_partitions");
    cfg->offsets_topic_replication_factor =
        i32(v, "offsets_topic_replication_factor");
    cfg->transaction_state_log_num_partitions =
        i32(v, "transaction_state_log_num_partitions");
    cfg->transaction_state_log_replication_factor =
        i32(v, "transaction_state_log_replication_factor");
    cfg->transaction_max_timeout_ms = i64(v, "transaction_max_timeout_ms");
    cfg->transaction_abort_timed_out_transaction_cleanup_interval_ms =
        i64(v, "transaction_abort_timed_out_transaction_cleanup_interval_ms");
}

void samsa_broker_config_where(const samsa_broker_config_t *cfg,
                               const char *key, char *buf, size_t size)
{
    uint32_t line;
    const char *file = samsa_config_where(cfg->values, key, &line);

    if (file != NULL) {
        snprintf(buf, size, "%s:%u: ", file, line);
    } else {
        buf[0] = '\0';
    }
}

/* "file:line: broker config: KEY 'value' is not one of ALLOWED". */
static samsa_err_t bad_enum(const samsa_broker_config_t *cfg, const char *key,
                            const char *allowed, char *errbuf,
                            size_t errbuf_size)
{
    char at[300];
    samsa_broker_config_where(cfg, key, at, sizeof(at));
    snprintf(errbuf, errbuf_size, "%sbroker config: %s '%s' is not one of %s",
             at, key, str(cfg->values, key), allowed);
    return SAMSA_ERR_CONFIG;
}

samsa_err_t samsa_broker_config_fail(const samsa_broker_config_t *cfg,
                                     const char *key, char *errbuf,
                                     size_t errbuf_size, const char *what)
{
    char where[300];
    samsa_broker_config_where(cfg, key, where, sizeof(where));
    snprintf(errbuf, errbuf_size, "%sbroker config: %s: %s", where, key, what);
    return SAMSA_ERR_CONFIG;
}

static samsa_err_t check_enums(samsa_broker_config_t *cfg, char *errbuf,
                               size_t errbuf_size)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    static const char *const policies[] = {"delete", "compact",
                                           "delete,compact", "compact,delete"};
    const char *level = str(cfg->values, "log_level");

    cfg->log_level = 0;
    for (int i = 0; i < 4; i++) {
        if (strcmp(level, levels[i]) == 0) {
            cfg->log_level = i + 1; /* samsa_log_level_t order */
        }
    }
    if (cfg->log_level == 0) {
        return bad_enum(cfg, "log_level", "error, warn, info, debug", errbuf,
                        errbuf_size);
    }
    samsa_log_format_t fmt;
    if (!samsa_log_format_parse(str(cfg->values, "log_format"), &fmt)) {
        return bad_enum(cfg, "log_format", "text, journald, json, auto", errbuf,
                        errbuf_size);
    }
    cfg->log_format = (int32_t)fmt;
    for (int i = 0; i < 4; i++) {
        if (strcmp(cfg->log_cleanup_policy, policies[i]) == 0) {
            return SAMSA_OK;
        }
    }
    return bad_enum(cfg, "log_cleanup_policy",
                    "delete, compact, delete,compact", errbuf, errbuf_size);
}

static samsa_err_t fill_listeners(samsa_broker_config_t *cfg,
                                  const broker_flags_t *fl, char *errbuf,
                                  size_t errbuf_size)
{
    const char *const *items = NULL;
    size_t count = 0;
    char at[300] = "";

    if (fl->listen_count > 0) {
        items = (const char *const *)fl->listen;
        count = fl->listen_count;
    } else {
        samsa_config_list(cfg->values, "listeners", &items, &count);
        samsa_broker_config_where(cfg, "listeners", at, sizeof(at));
    }
    if (count == 0) {
        snprintf(errbuf, errbuf_size,
                 "%sbroker config: listeners is empty; "
                 "expected at least one HOST:PORT",
                 at);
        return SAMSA_ERR_CONFIG;
    }
    cfg->listeners = calloc(count, sizeof(*cfg->listeners));
    if (cfg->listeners == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        samsa_err_t rc = samsa_listener_parse(items[i], &cfg->listeners[i]);
        if (rc == SAMSA_ERR_NOMEM) {
            return rc;
        }
        if (rc != SAMSA_OK) {
            snprintf(errbuf, errbuf_size,
                     "%s%s '%s' is not HOST:PORT (e.g. 127.0.0.1:9092, "
                     "[::1]:9092, 0.0.0.0:9092)",
                     at, fl->listen_count ? "--listen" : "listeners entry",
                     items[i]);
            return fl->listen_count ? SAMSA_ERR_INVAL : SAMSA_ERR_CONFIG;
        }
        cfg->listener_count = i + 1;
        samsa_listener_t *l = &cfg->listeners[i];
        if (l->name == NULL && !(l->name = strdup("PLAINTEXT"))) {
            return SAMSA_ERR_NOMEM;
        }
    }
    return SAMSA_OK;
}

/* Each listener's host is resolved here, as binding will, so --check-config
 * reports a name that does not resolve and start fails on it before
 * anything touches the data dir. */
static samsa_err_t resolve_listeners(const samsa_broker_config_t *cfg,
                                     const broker_flags_t *fl, char *errbuf,
                                     size_t errbuf_size)
{
    char at[300] = "";

    if (fl->listen_count == 0) {
        samsa_broker_config_where(cfg, "listeners", at, sizeof(at));
    }
    for (size_t i = 0; i < cfg->listener_count; i++) {
        const samsa_listener_t *l = &cfg->listeners[i];
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_PASSIVE};
        struct addrinfo *res = NULL;
        int gai = getaddrinfo(l->host, NULL, &hints, &res);
        if (gai != 0) {
            snprintf(errbuf, errbuf_size,
                     "%s%s: cannot resolve host '%s' of listener %s (port "
                     "%u): %s",
                     at, fl->listen_count ? "--listen" : "listeners", l->host,
                     l->name, (unsigned)l->port, gai_strerror(gai));
            return SAMSA_ERR_CONFIG;
        }
        freeaddrinfo(res);
    }
    return SAMSA_OK;
}

/* Parsed and resolved here too, so a bad one fails --check-config and start
 * before the data dir is touched; core/http binds them. */
static samsa_err_t check_http_listeners(const samsa_broker_config_t *cfg,
                                        const broker_flags_t *fl, char *errbuf,
                                        size_t errbuf_size)
{
    char at[300] = "";
    const char *what =
        fl->http_listen_count ? "--http-listen" : "http_listeners";

    if (fl->http_listen_count == 0) {
        samsa_broker_config_where(cfg, "http_listeners", at, sizeof(at));
    }
    for (size_t i = 0; i < cfg->http_listener_count; i++) {
        samsa_listener_t l = {0};
        samsa_err_t rc = samsa_listener_parse(cfg->http_listeners[i], &l);
        if (rc == SAMSA_ERR_NOMEM) {
            return rc;
        }
        if (rc != SAMSA_OK) {
            snprintf(errbuf, errbuf_size,
                     "%s%s: '%s' is not HOST:PORT (e.g. 127.0.0.1:8080) or "
                     "none",
                     at, what, cfg->http_listeners[i]);
            return SAMSA_ERR_CONFIG;
        }
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_PASSIVE};
        struct addrinfo *res = NULL;
        int gai = getaddrinfo(l.host, NULL, &hints, &res);
        if (gai == 0) {
            freeaddrinfo(res);
        } else {
            snprintf(errbuf, errbuf_size,
                     "%s%s: cannot resolve host '%s' of '%s': %s", at, what,
                     l.host, cfg->http_listeners[i], gai_strerror(gai));
        }
        free(l.host);
        free(l.name);
        if (gai != 0) {
            return SAMSA_ERR_CONFIG;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t fill_http_listeners(samsa_broker_config_t *cfg,
                                       const broker_flags_t *fl)
{
    const char *const *items = NULL;
    size_t count = 0;
    if (fl->http_listen_count > 0) {
        items = (const char *const *)fl->http_listen;
        count = fl->http_listen_count;
    } else {
        samsa_config_list(cfg->values, "http_listeners", &items, &count);
    }
    cfg->http_listeners = calloc(count ? count : 1, sizeof(char *));
    if (cfg->http_listeners == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        if (strcmp(items[i], "none") == 0) {
            continue;
        }
        cfg->http_listeners[cfg->http_listener_count] = strdup(items[i]);
        if (cfg->http_listeners[cfg->http_listener_count] == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        cfg->http_listener_count++;
    }
    return SAMSA_OK;
}

/* An empty path would silently mean the working directory (data written
 * wherever samsad happened to start); flags refuse "" already. */
static samsa_err_t check_paths(const samsa_broker_config_t *cfg,
                               const broker_flags_t *fl, char *errbuf,
                               size_t errbuf_size)
{
    static const char *const keys[] = {"data_dir", "conf_dir", "plugin_dir"};
    const char *const given[] = {fl->data_dir, fl->conf_dir, fl->plugin_dir};
    char at[300];

    for (int i = 0; i < 3; i++) {
        const char *v = str(cfg->values, keys[i]);
        if (given[i] == NULL && v != NULL && v[0] == '\0') {
            samsa_broker_config_where(cfg, keys[i], at, sizeof(at));
            snprintf(errbuf, errbuf_size,
                     "%sbroker config: %s is empty; expected a directory "
                     "(remove the key for the default)",
                     at, keys[i]);
            return SAMSA_ERR_CONFIG;
        }
    }
    return SAMSA_OK;
}

/* Rules between values, and values the option table's bounds cannot say
 * (a hole in a range). */
static samsa_err_t check_values(const samsa_broker_config_t *cfg, char *errbuf,
                                size_t errbuf_size)
{
    char at[300];

    if (cfg->log_flush_interval_messages == 0) {
        samsa_broker_config_where(cfg, "log_flush_interval_messages", at,
                                  sizeof(at));
        snprintf(errbuf, errbuf_size,
                 "%sbroker config: log_flush_interval_messages 0 is not "
                 "allowed; expected -1 (leave flushing to the OS) or at "
                 "least 1 (Kafka's log.flush.interval.messages minimum)",
                 at);
        return SAMSA_ERR_CONFIG;
    }
    if (cfg->group_min_session_timeout_ms > cfg->group_max_session_timeout_ms) {
        samsa_broker_config_where(cfg, "group_min_session_timeout_ms", at,
                                  sizeof(at));
        if (at[0] == '\0') {
            samsa_broker_config_where(cfg, "group_max_session_timeout_ms", at,
                                      sizeof(at));
        }
        snprintf(errbuf, errbuf_size,
                 "%sbroker config: group_min_session_timeout_ms (%lld) is "
                 "above group_max_session_timeout_ms (%lld); no session "
                 "timeout could be accepted",
                 at, (long long)cfg->group_min_session_timeout_ms,
                 (long long)cfg->group_max_session_timeout_ms);
        return SAMSA_ERR_CONFIG;
    }
    return SAMSA_OK;
}

static samsa_err_t fill_paths(samsa_broker_config_t *cfg,
                              const broker_flags_t *fl)
{
    const samsa_config_t *v = cfg->values;
    const char *data = fl->data_dir ? fl->data_dir : str(v, "data_dir");
    const char *conf = fl->conf_dir ? fl->conf_dir : str(v, "conf_dir");
    const char *plug = fl->plugin_dir ? fl->plugin_dir : str(v, "plugin_dir");

    if (dup_str(&cfg->data_dir, data) ||
        dup_str(&cfg->conf_dir, conf ? conf : samsa_default_conf_dir()) ||
        dup_str(&cfg->plugin_dir, plug ? plug : samsa_default_plugin_dir()) ||
        dup_str(&cfg->cluster_id, str(v, "cluster_id")) ||
        dup_str(&cfg->log_cleanup_policy, str(v, "log_cleanup_policy"))) {
        return SAMSA_ERR_NOMEM;
    }
    return absolutize(&cfg->data_dir);
}

static samsa_err_t load_values(samsa_broker_config_t *cfg,
                               const broker_flags_t *fl, char *errbuf,
                               size_t errbuf_size)
{
    samsa_ydoc_t *doc = NULL;
    samsa_err_t rc = find_yaml(fl, &cfg->config_file, errbuf, errbuf_size);

    if (rc == SAMSA_OK && cfg->config_file != NULL) {
        rc = samsa_yaml_load_file(cfg->config_file, &doc, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK && doc != NULL && doc->root != NULL &&
        doc->root->type != SAMSA_YNODE_MAP && !samsa_ynode_is_null(doc->root)) {
        snprintf(errbuf, errbuf_size,
                 "%s:%u: broker config must be a mapping of key: value, "
                 "found a %s",
                 doc->file, doc->root->line, samsa_ynode_type_name(doc->root));
        rc = SAMSA_ERR_CONFIG;
    }
    size_t taken = 0;
    if (rc == SAMSA_OK && doc != NULL) {
        rc = samsa_security_config_take_overrides(&cfg->security, doc->root,
                                                  &taken, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = samsa_config_build(samsa_broker_options, doc ? doc->root : NULL,
                                "broker config", cfg->config_file, 1,
                                &cfg->values, errbuf, errbuf_size);
    }
    if (doc != NULL && doc->root != NULL) {
        doc->root->count += taken; /* every node back for the free */
    }
    samsa_yaml_free(doc);
    return rc;
}

samsa_err_t samsa_broker_config_load(int argc, char **argv,
                                     samsa_broker_config_t *cfg, char *errbuf,
                                     size_t errbuf_size)
{
    broker_flags_t fl = {0};
    samsa_err_t rc;

    memset(cfg, 0, sizeof(*cfg));
    if (errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    rc = parse_flags(argc, argv, &fl, errbuf, errbuf_size);
    cfg->action = fl.action;
    if (rc != SAMSA_OK || fl.action == SAMSA_BROKER_VERSION ||
        fl.action == SAMSA_BROKER_HELP) {
        goto out;
    }
    rc = load_values(cfg, &fl, errbuf, errbuf_size);
    if (rc == SAMSA_OK) {
        rc = check_paths(cfg, &fl, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = fill_paths(cfg, &fl);
    }
    if (rc == SAMSA_OK) {
        fill_numbers(cfg);
        rc = check_enums(cfg, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = check_values(cfg, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = fill_listeners(cfg, &fl, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = samsa_cluster_config_resolve(cfg, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = resolve_listeners(cfg, &fl, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = samsa_security_config_resolve(cfg, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = fill_http_listeners(cfg, &fl);
    }
    if (rc == SAMSA_OK) {
        rc = check_http_listeners(cfg, &fl, errbuf, errbuf_size);
    }
out:
    if (rc == SAMSA_ERR_NOMEM) {
        snprintf(errbuf, errbuf_size, "out of memory loading the config");
    }
    free(fl.listen);
    free(fl.http_listen);
    if (rc != SAMSA_OK) {
        samsa_broker_config_free(cfg);
    }
    return rc;
}

void samsa_broker_config_free(samsa_broker_config_t *cfg)
{
    if (cfg == NULL) {
        return;
    }
    samsa_cluster_config_free(&cfg->cluster, cfg->listener_count);
    samsa_security_config_free(&cfg->security);
    for (size_t i = 0; i < cfg->listener_count; i++) {
        free(cfg->listeners[i].host);
        free(cfg->listeners[i].name);
    }
    free(cfg->listeners);
    for (size_t i = 0; i < cfg->http_listener_count; i++) {
        free(cfg->http_listeners[i]);
    }
    free(cfg->http_listeners);
    free(cfg->config_file);
    free(cfg->data_dir);
    free(cfg->conf_dir);
    free(cfg->plugin_dir);
    free(cfg->cluster_id);
    free(cfg->log_cleanup_policy);
    samsa_config_free(cfg->values);
    memset(cfg, 0, sizeof(*cfg));
}

void samsa_broker_config_usage(FILE *out, const char *argv0)
{
    fprintf(
        out,
        "usage: %s [options]\n"
        "\n"
        "Samsa broker %s: speaks the Kafka protocol. Without options it\n"
        "starts a single node on 127.0.0.1:9092 with data in ./data.\n"
        "\n"
        "  --listen HOST:PORT  accept clients here (repeatable;\n"
        "                      YAML: listeners)\n"
        "  --http-listen HOST:PORT  serve /metrics, /health and the\n"
        "                      console here (repeatable; 'none' = off;\n"
        "                      YAML: http_listeners)\n"
        "  --data-dir DIR      partition data (YAML: data_dir;\n"
        "                      default ./data)\n"
        "  --conf-dir DIR      plugin manifests (YAML: conf_dir;\n"
        "                      default %s)\n"
        "  --plugin-dir DIR    plugin .so files (YAML: plugin_dir;\n"
        "                      default %s)\n"
        "  --config FILE       broker YAML (default: <conf-dir>/samsa.yaml\n"
        "                      or <conf-dir>/../samsa.yaml if present)\n"
        "  --check-config      load and validate everything, then exit\n"
        "  --version           print the version and exit\n"
        "  --help              print this help and exit\n"
        "\n"
        "A flag wins over the same key in the YAML.\n"
        "Exit status: 0 ok, 1 error, 2 usage error.\n",
        argv0, SAMSA_VERSION, samsa_default_conf_dir(),
        samsa_default_plugin_dir());
}
