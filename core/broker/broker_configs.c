/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/broker_configs.c - see broker_configs.h. */
#include "broker/broker_configs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"
#include "replica/replica.h"

#define T_BOOL SAMSA_CONFIG_TYPE_BOOLEAN
#define T_STR  SAMSA_CONFIG_TYPE_STRING
#define T_INT  SAMSA_CONFIG_TYPE_INT
#define T_LONG SAMSA_CONFIG_TYPE_LONG
#define T_LIST SAMSA_CONFIG_TYPE_LIST
#define RO     SAMSA_BCFG_READ_ONLY
#define PB     SAMSA_BCFG_PER_BROKER
#define CW     SAMSA_BCFG_CLUSTER_WIDE

/* Modes are Kafka 3.8's (the "Update Mode" of each broker config). The
 * cluster-wide ones with a topic_key are the broker defaults of topic
 * configs and apply to every topic at once; producer.id.expiration.ms
 * applies to every partition's producer state. sasl.kerberos.min.time.
 * before.relogin is kept and shown only: Samsa has no GSSAPI yet, as a
 * Kafka broker without it. */
/* clang-format off */
static const samsa_bcfg_def_t defs[] = {
    {"broker.id", T_INT, RO, "node_id", NULL, NULL, "This broker's id."},
    {"node.id", T_INT, RO, "node_id", NULL, NULL, "This node's id."},
    {"log.dirs", T_STR, RO, "data_dir", NULL, NULL, "Data directory."},
    {"num.partitions", T_INT, RO, "num_partitions", NULL, NULL,
     "Partitions of an auto-created topic."},
    {"default.replication.factor", T_INT, RO, "default_replication_factor",
     NULL, NULL, "Replication factor of an auto-created topic."},
    {"auto.create.topics.enable", T_BOOL, RO, "auto_create_topics", NULL,
     NULL, "Create a topic when a client names an unknown one."},
    {"socket.request.max.bytes", T_INT, RO, "socket_request_max_bytes", NULL,
     NULL, "Largest request accepted."},
    {"log.retention.check.interval.ms", T_LONG, RO,
     "log_retention_check_interval_ms", NULL, NULL,
     "Cadence of retention, roll and compaction."},
    {"producer.id.expiration.ms", T_INT, CW, "producer_id_expiration_ms",
     NULL, NULL, "Idle time after which a producer id's state is dropped."},
    {"group.initial.rebalance.delay.ms", T_INT, RO,
     "group_initial_rebalance_delay_ms", NULL, NULL,
     "Wait before the first rebalance of a new group."},
    {"group.min.session.timeout.ms", T_INT, RO,
     "group_min_session_timeout_ms", NULL, NULL,
     "Smallest session timeout a member may ask for."},
    {"group.max.session.timeout.ms", T_INT, RO,
     "group_max_session_timeout_ms", NULL, NULL,
     "Largest session timeout a member may ask for."},
    {"message.max.bytes", T_INT, CW, "message_max_bytes", "max.message.bytes",
     NULL, "Largest record batch a topic accepts (max.message.bytes)."},
    {"min.insync.replicas", T_INT, CW, "min_insync_replicas",
     "min.insync.replicas", NULL, "Replicas an acks=all write needs."},
    {"log.segment.bytes", T_INT, CW, "log_segment_bytes", "segment.bytes",
     NULL, "Segment size before a new one is rolled."},
    {"log.roll.ms", T_LONG, CW, "log_segment_ms", "segment.ms", NULL,
     "Age of the active segment before a new one is rolled."},
    {"log.retention.ms", T_LONG, CW, "log_retention_ms", "retention.ms", NULL,
     "Age after which old segments go; -1 = forever."},
    {"log.retention.bytes", T_LONG, CW, "log_retention_bytes",
     "retention.bytes", NULL, "Partition size above which old segments go."},
    {"log.index.interval.bytes", T_INT, CW, "log_index_interval_bytes",
     "index.interval.bytes", NULL, "Bytes between offset index entries."},
    {"log.flush.interval.messages", T_LONG, CW, "log_flush_interval_messages",
     "flush.messages", NULL, "fsync after this many messages."},
    {"log.flush.interval.ms", T_LONG, CW, "log_flush_interval_ms", "flush.ms",
     NULL, "fsync after this many milliseconds."},
    {"log.cleanup.policy", T_LIST, CW, "log_cleanup_policy", "cleanup.policy",
     NULL, "delete, compact or both."},
    {"log.cleaner.delete.retention.ms", T_LONG, CW, NULL,
     "delete.retention.ms", "86400000", "How long tombstones survive."},
    {"log.message.timestamp.type", T_STR, CW, NULL, "message.timestamp.type",
     "CreateTime", "CreateTime or LogAppendTime."},
    {"compression.type", T_STR, CW, NULL, "compression.type", "producer",
     "Codec of stored batches; producer keeps the producer's."},
    {"unclean.leader.election.enable", T_BOOL, RO,
     "unclean_leader_election_enable", "unclean.leader.election.enable", NULL,
     "A live replica outside the ISR may lead when no ISR member lives."},
    {"auto.leader.rebalance.enable", T_BOOL, RO,
     "auto_leader_rebalance_enable", NULL, NULL,
     "The controller moves leadership back to preferred replicas."},
    {"leader.imbalance.check.interval.seconds", T_LONG, RO,
     "leader_imbalance_check_interval_seconds", NULL, NULL,
     "How often the controller checks leader imbalance."},
    {"leader.imbalance.per.broker.percentage", T_INT, RO,
     "leader_imbalance_per_broker_percentage", NULL, NULL,
     "Imbalance above which leadership moves back."},
    /* Reassignment throttles as kafka-reassign-partitions.sh sets and
     * clears them (bytes/s of replication traffic on this broker). */
    {"leader.replication.throttled.rate", T_LONG, PB, NULL, NULL,
     "9223372036854775807",
     "Bytes/s leaders send to throttled replicas."},
    {"follower.replication.throttled.rate", T_LONG, PB, NULL, NULL,
     "9223372036854775807",
     "Bytes/s followers fetch for throttled replicas."},
    {"replica.alter.log.dirs.io.max.bytes.per.second", T_LONG, PB, NULL, NULL,
     "9223372036854775807",
     "Bytes/s moving replicas between log directories."},
    {"sasl.kerberos.min.time.before.relogin", T_LONG, PB, NULL, NULL, "60000",
     "Login thread sleep time between refresh attempts (GSSAPI)."},
    {NULL, 0, 0, NULL, NULL, NULL, NULL},
};
/* clang-format on */

const samsa_bcfg_def_t *samsa_bcfg_defs(void)
{
    return defs;
}

static const samsa_bcfg_def_t *find(const char *name)
{
    for (const samsa_bcfg_def_t *d = defs; d->name; d++) {
        if (strcmp(d->name, name) == 0) {
            return d;
        }
    }
    return NULL;
}

/* samsa.yaml's "-1 = left to the OS" for flushes (and 0 messages) is
 * Kafka's Long.MAX_VALUE. */
static void kafka_form(const samsa_bcfg_def_t *d, char *buf, size_t len)
{
    if (!d->topic_key || strncmp(d->topic_key, "flush.", 6) != 0) {
        return;
    }
    long long x = strtoll(buf, NULL, 10);
    if (x < 0 || (x == 0 && !strcmp(d->topic_key, "flush.messages"))) {
        snprintf(buf, len, "%lld", (long long)INT64_MAX);
    }
}

/* The value when samsa.yaml does not set the key. */
static void default_value(const samsa_bcfg_def_t *d, char *buf, size_t len)
{
    const char *v = d->kafka_default;
    for (const samsa_option_t *o = samsa_broker_options; d->yaml_key && o->name;
         o++) {
        if (strcmp(o->name, d->yaml_key) == 0) {
            v = o->default_value;
        }
    }
    snprintf(buf, len, "%s", v ? v : "");
    kafka_form(d, buf, len);
}

/* samsa.yaml's value in Kafka's form; true when the file sets it. */
static bool static_value(const samsa_broker_config_t *cfg,
                         const samsa_bcfg_def_t *d, char *buf, size_t len)
{
    if (!d->yaml_key) {
        snprintf(buf, len, "%s", d->kafka_default);
        return false;
    }
    const samsa_config_t *v = cfg->values;
    if (strcmp(d->yaml_key, "data_dir") == 0) {
        /* --data-dir wins over the YAML; the resolved path is the truth. */
        snprintf(buf, len, "%s", cfg->data_dir ? cfg->data_dir : "");
        return true;
    }
    if (d->type == T_BOOL) {
        bool b = false;
        samsa_config_bool(v, d->yaml_key, &b);
        snprintf(buf, len, "%s", b ? "true" : "false");
    } else if (d->type == T_INT || d->type == T_LONG) {
        int64_t x = 0;
        samsa_config_int(v, d->yaml_key, &x);
        snprintf(buf, len, "%lld", (long long)x);
        kafka_form(d, buf, len);
    } else {
        const char *s = NULL;
        samsa_config_string(v, d->yaml_key, &s);
        snprintf(buf, len, "%s", s ? s : "");
    }
    return samsa_config_is_set(v, d->yaml_key);
}

/* The value that applies: this broker's dynamic value, else the dynamic
 * cluster default, else samsa.yaml's (or the default). */
static void effective(const samsa_broker_config_t *cfg, samsa_dyncfg_t *store,
                      const samsa_bcfg_def_t *d, char *buf, size_t len)
{
    static_value(cfg, d, buf, len);
    static const samsa_dyncfg_scope_t order[] = {SAMSA_DYNCFG_DEFAULT,
                                                 SAMSA_DYNCFG_BROKER};
    for (int i = 0; i < 2; i++) {
        samsa_tcfg_t c;
        if (samsa_dyncfg_copy(store, order[i], &c) != SAMSA_OK) {
            continue;
        }
        const char *v = samsa_tcfg_get(&c, d->name);
        if (v) {
            snprintf(buf, len, "%s", v);
        }
        samsa_tcfg_free(&c);
    }
}

samsa_err_t
samsa_broker_configs_topic_defaults(const samsa_broker_config_t *cfg,
                                    samsa_dyncfg_t *store, samsa_tcfg_t *out)
{
    samsa_err_t err = SAMSA_OK;
    *out = (samsa_tcfg_t){0};
    for (const samsa_bcfg_def_t *d = defs; err == SAMSA_OK && d->name; d++) {
        if (d->topic_key) {
            char v[128];
            effective(cfg, store, d, v, sizeof(v));
            err = samsa_tcfg_set(out, d->topic_key, v);
        }
    }
    if (err != SAMSA_OK) {
        samsa_tcfg_free(out);
    }
    return err;
}

/* The value of numeric broker config @p name that applies now. */
static int64_t effective_long(const samsa_broker_config_t *cfg,
                              samsa_dyncfg_t *store, const char *name)
{
    char v[128];
    effective(cfg, store, find(name), v, sizeof(v));
    return strtoll(v, NULL, 10);
}

int64_t
samsa_broker_configs_producer_expiration(const samsa_broker_config_t *cfg,
                                         samsa_dyncfg_t *store)
{
    return effective_long(cfg, store, "producer.id.expiration.ms");
}

size_t samsa_broker_config_levels(samsa_broker_t *b, const samsa_bcfg_def_t *d,
                                  bool per_broker, samsa_bcfg_level_t out[4])
{
    size_t n = 0;
    static const samsa_dyncfg_scope_t scopes[] = {SAMSA_DYNCFG_BROKER,
                                                  SAMSA_DYNCFG_DEFAULT};
    static const int8_t sources[] = {
        SAMSA_CONFIG_SOURCE_DYNAMIC_BROKER,
        SAMSA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER};
    for (int s = per_broker ? 0 : 1; s < 2; s++) {
        samsa_tcfg_t c;
        if (samsa_dyncfg_copy(b->dyncfg, scopes[s], &c) != SAMSA_OK) {
            continue;
        }
        const char *v = samsa_tcfg_get(&c, d->name);
        if (v) {
            snprintf(out[n].value, sizeof(out[n].value), "%s", v);
            out[n++].source = sources[s];
        }
        samsa_tcfg_free(&c);
    }
    if (!per_broker) {
        return n;
    }
    char v[128];
    if (static_value(b->cfg, d, v, sizeof(v))) {
        snprintf(out[n].value, sizeof(out[n].value), "%s", v);
        out[n++].source = SAMSA_CONFIG_SOURCE_STATIC_BROKER;
        default_value(d, v, sizeof(v));
    }
    snprintf(out[n].value, sizeof(out[n].value), "%s", v);
    out[n++].source = SAMSA_CONFIG_SOURCE_DEFAULT;
    return n;
}

size_t samsa_broker_topic_synonyms(samsa_broker_t *b, const char *topic_key,
                                   const char **broker_key,
                                   samsa_bcfg_level_t out[4])
{
    for (const samsa_bcfg_def_t *d = defs; d->name; d++) {
        if (d->topic_key && strcmp(d->topic_key, topic_key) == 0) {
            *broker_key = d->name;
            return samsa_broker_config_levels(b, d, true, out);
        }
    }
    return 0;
}

static int8_t topic_source(samsa_broker_t *b, const char *topic_key)
{
    samsa_bcfg_level_t lv[4];
    const char *name;
    size_t n = samsa_broker_topic_synonyms(b, topic_key, &name, lv);
    int8_t s = n ? lv[0].source : 0;
    return s == SAMSA_CONFIG_SOURCE_DYNAMIC_BROKER ||
                   s == SAMSA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER
               ? s
               : 0;
}

const char *samsa_broker_topic_config_resolve(samsa_broker_t *b,
                                              const samsa_tcfg_t *topic,
                                              const samsa_tcfg_t *bd,
                                              const samsa_tcfg_def_t *def,
                                              int8_t *source)
{
    const char *v = samsa_tcfg_resolve(topic, bd, def, source);
    if (*source != SAMSA_CONFIG_SOURCE_DYNAMIC_TOPIC) {
        int8_t dyn = topic_source(b, def->name);
        if (dyn) {
            *source = dyn;
            v = samsa_tcfg_get(bd, def->name);
        }
    }
    return v;
}

/* Kafka's "<message>: Set(a, b)" for the changes failing @p bad. */
static bool refuse(const samsa_tcfg_kv_t *changes, size_t count,
                   bool (*bad)(const samsa_bcfg_def_t *, samsa_dyncfg_scope_t),
                   samsa_dyncfg_scope_t scope, const char *message,
                   char *errbuf, size_t errlen)
{
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        const samsa_bcfg_def_t *d = find(changes[i].name);
        if (!changes[i].value || !bad(d, scope)) {
            continue;
        }
        at += (size_t)snprintf(errbuf + at, at < errlen ? errlen - at : 0,
                               "%s%s", at ? ", " : "", d->name);
        at = at < errlen ? at : errlen;
    }
    if (at == 0) {
        return false;
    }
    char names[512];
    snprintf(names, sizeof(names), "%s", errbuf);
    snprintf(errbuf, errlen, "%s: Set(%s)", message, names);
    return true;
}

static bool is_read_only(const samsa_bcfg_def_t *d, samsa_dyncfg_scope_t s)
{
    (void)s;
    return d->mode == SAMSA_BCFG_READ_ONLY;
}

static bool is_per_broker_on_default(const samsa_bcfg_def_t *d,
                                     samsa_dyncfg_scope_t s)
{
    return d->mode == SAMSA_BCFG_PER_BROKER && s == SAMSA_DYNCFG_DEFAULT;
}

static samsa_err_t check_value(const samsa_bcfg_def_t *d, const char *value,
                               char *errbuf, size_t errlen)
{
    char why[256] = "";
    samsa_err_t err = SAMSA_OK;
    if (d->topic_key) {
        err = samsa_tcfg_validate(d->topic_key, value, why, sizeof(why));
    } else if (d->type == T_INT || d->type == T_LONG) {
        char *end;
        errno = 0;
        long long x = strtoll(value, &end, 10);
        if (errno || end == value || *end) {
            snprintf(why, sizeof(why), "not a number");
            err = SAMSA_ERR_INVALID_CONFIG;
        } else if (!strcmp(d->name, "producer.id.expiration.ms") && x < 1) {
            /* Kafka's atLeast(1); numbers with a topic_key are bounded by
             * the topic config's table. */
            snprintf(why, sizeof(why), "Value must be at least 1");
            err = SAMSA_ERR_INVALID_CONFIG;
        }
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "Invalid value %s for configuration %s: %s",
                 value, d->name, why);
    }
    return err;
}

static samsa_err_t validate(const samsa_tcfg_kv_t *changes, size_t count,
                            samsa_dyncfg_scope_t scope, char *errbuf,
                            size_t errlen)
{
    for (size_t i = 0; i < count; i++) {
        if (!find(changes[i].name)) {
            snprintf(errbuf, errlen, "unknown broker config '%s'",
                     changes[i].name);
            return SAMSA_ERR_INVALID_CONFIG;
        }
    }
    if (refuse(changes, count, is_read_only, scope,
               "Cannot update these configs dynamically", errbuf, errlen)) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    for (size_t i = 0; i < count; i++) {
        if (changes[i].value &&
            check_value(find(changes[i].name), changes[i].value, errbuf,
                        errlen) != SAMSA_OK) {
            return SAMSA_ERR_INVALID_REQUEST;
        }
    }
    if (refuse(changes, count, is_per_broker_on_default, scope,
               "Cannot update these configs at default cluster level, "
               "broker id must be specified",
               errbuf, errlen)) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_broker_config_check(samsa_dyncfg_scope_t scope,
                                      const samsa_tcfg_kv_t *changes,
                                      size_t count, char *errbuf, size_t errlen)
{
    return validate(changes, count, scope, errbuf, errlen);
}

/* The topic defaults and producer-id expiration from the store as it is
 * now. Caller holds b->config_lock. */
static samsa_err_t apply_stored(samsa_broker_t *b)
{
    samsa_tcfg_t defaults = {0};
    samsa_err_t err =
        samsa_broker_configs_topic_defaults(b->cfg, b->dyncfg, &defaults);
    if (err == SAMSA_OK) {
        err = samsa_logmgr_set_broker_defaults(b->logs, &defaults);
    }
    if (err == SAMSA_OK) {
        samsa_logmgr_set_producer_id_expiration(
            b->logs,
            samsa_broker_configs_producer_expiration(b->cfg, b->dyncfg));
        samsa_replica_set_throttle_rates(
            b->replica,
            effective_long(b->cfg, b->dyncfg,
                           "leader.replication.throttled.rate"),
            effective_long(b->cfg, b->dyncfg,
                           "follower.replication.throttled.rate"));
    }
    samsa_tcfg_free(&defaults);
    return err;
}

samsa_err_t samsa_broker_config_set_scopes(samsa_broker_t *b,
                                           const samsa_tcfg_t *cluster_default,
                                           const samsa_tcfg_t *own,
                                           char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&b->config_lock);
    samsa_err_t err = samsa_dyncfg_replace(b->dyncfg, SAMSA_DYNCFG_DEFAULT,
                                           cluster_default, errbuf, errlen);
    if (err == SAMSA_OK) {
        err = samsa_dyncfg_replace(b->dyncfg, SAMSA_DYNCFG_BROKER, own, errbuf,
                                   errlen);
    }
    if (err == SAMSA_OK) {
        err = apply_stored(b);
    }
    pthread_mutex_unlock(&b->config_lock);
    return err;
}

samsa_err_t samsa_broker_config_alter(samsa_broker_t *b,
                                      samsa_dyncfg_scope_t scope,
                                      const samsa_tcfg_kv_t *changes,
                                      size_t count, bool incremental,
                                      bool validate_only, char *errbuf,
                                      size_t errlen)
{
    samsa_err_t err = validate(changes, count, scope, errbuf, errlen);
    if (err != SAMSA_OK || validate_only) {
        return err;
    }
    /* One alter at a time: each recomputes the topic defaults from the
     * store it just wrote, so the last one applied holds every change. */
    pthread_mutex_lock(&b->config_lock);
    samsa_tcfg_t next = {0};
    if (incremental) {
        err = samsa_dyncfg_copy(b->dyncfg, scope, &next);
    }
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        err = samsa_tcfg_set(&next, changes[i].name, changes[i].value);
    }
    if (err == SAMSA_OK) {
        err = samsa_dyncfg_replace(b->dyncfg, scope, &next, errbuf, errlen);
    }
    samsa_tcfg_free(&next);
    if (err == SAMSA_OK) {
        err = apply_stored(b);
    }
    pthread_mutex_unlock(&b->config_lock);
    return err;
}
