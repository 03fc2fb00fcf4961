/* SPDX-License-Identifier: Apache-2.0 */
/* core/log/topic_config.c - see topic_config.h. */
#include "log/topic_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const cleanup_choices[] = {
    "delete", "compact", "compact,delete", "delete,compact", NULL};
static const char *const compression_choices[] = {
    "producer", "uncompressed", "gzip", "snappy", "lz4", "zstd", NULL};
static const char *const timestamp_choices[] = {"CreateTime", "LogAppendTime",
                                                NULL};

#define I64MAX 9223372036854775807LL

/* Defaults follow Kafka 3.8's LogConfig/TopicConfig. */
static const samsa_tcfg_def_t defs[] = {
    {"cleanup.policy", SAMSA_TCFG_LIST, "delete", 0, 0, cleanup_choices,
     "delete: drop old segments by retention; compact: keep the latest "
     "value per key"},
    {"compression.type", SAMSA_TCFG_STRING, "producer", 0, 0,
     compression_choices,
     "codec for stored batches; producer keeps what the producer sent"},
    {"delete.retention.ms", SAMSA_TCFG_LONG, "86400000", 0, I64MAX, NULL,
     "how long tombstones survive compaction"},
    {"file.delete.delay.ms", SAMSA_TCFG_LONG, "60000", 0, I64MAX, NULL,
     "delay before a deleted segment's file is removed"},
    {"flush.messages", SAMSA_TCFG_LONG, "9223372036854775807", 1, I64MAX, NULL,
     "fsync after this many messages (default: leave it to the OS)"},
    {"flush.ms", SAMSA_TCFG_LONG, "9223372036854775807", 0, I64MAX, NULL,
     "fsync after this many milliseconds (default: leave it to the OS)"},
    {"follower.replication.throttled.replicas", SAMSA_TCFG_REPLICA_LIST, "", 0,
     0, NULL,
     "replicas whose fetches this topic's followers throttle: \"*\" or "
     "partition:broker,..."},
    {"index.interval.bytes", SAMSA_TCFG_INT, "4096", 0, 2147483647, NULL,
     "bytes between offset index entries"},
    {"leader.replication.throttled.replicas", SAMSA_TCFG_REPLICA_LIST, "", 0, 0,
     NULL,
     "replicas whose fetches this topic's leaders throttle: \"*\" or "
     "partition:broker,..."},
    {"max.message.bytes", SAMSA_TCFG_INT, "1048588", 0, 2147483647, NULL,
     "largest record batch the topic accepts"},
    {"message.timestamp.type", SAMSA_TCFG_STRING, "CreateTime", 0, 0,
     timestamp_choices,
     "CreateTime keeps the producer's timestamp; "
     "LogAppendTime stamps the broker's"},
    {"min.insync.replicas", SAMSA_TCFG_INT, "1", 1, 2147483647, NULL,
     "replicas that must acknowledge an acks=all write"},
    {"retention.bytes", SAMSA_TCFG_LONG, "-1", -1, I64MAX, NULL,
     "maximum bytes per partition before old segments go; -1 = unlimited"},
    {"retention.ms", SAMSA_TCFG_LONG, "604800000", -1, I64MAX, NULL,
     "maximum age of data before old segments go; -1 = forever"},
    {"segment.bytes", SAMSA_TCFG_INT, "1073741824", 14, 2147483647, NULL,
     "segment file size before a new segment is rolled"},
    {"segment.index.bytes", SAMSA_TCFG_INT, "10485760", 4, 2147483647, NULL,
     "maximum size of a segment's offset index"},
    {"segment.ms", SAMSA_TCFG_LONG, "604800000", 1, I64MAX, NULL,
     "age of the active segment before a new one is rolled"},
    {"unclean.leader.election.enable", SAMSA_TCFG_BOOLEAN, "false", 0, 0, NULL,
     "a live replica outside the ISR may lead when no ISR member lives"},
    {"samsa.storage.engine", SAMSA_TCFG_STRING, "segment", 0, 0, NULL,
     "instance name of the storage engine plugin holding the topic"},
    {"samsa.memory.max.bytes", SAMSA_TCFG_LONG, "0", 0, I64MAX, NULL,
     "storage-memory: bytes kept per partition (0 = engine default)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const samsa_tcfg_def_t *samsa_tcfg_defs(void)
{
    return defs;
}

const samsa_tcfg_def_t *samsa_tcfg_def_find(const char *name)
{
    for (const samsa_tcfg_def_t *d = defs; d->name; d++) {
        if (strcmp(d->name, name) == 0) {
            return d;
        }
    }
    return NULL;
}

int32_t samsa_tcfg_wire_type(const samsa_tcfg_def_t *def)
{
    switch (def->type) {
    case SAMSA_TCFG_LONG:
        return SAMSA_CONFIG_TYPE_LONG;
    case SAMSA_TCFG_INT:
        return SAMSA_CONFIG_TYPE_INT;
    case SAMSA_TCFG_LIST:
    case SAMSA_TCFG_REPLICA_LIST:
        return SAMSA_CONFIG_TYPE_LIST;
    case SAMSA_TCFG_BOOLEAN:
        return SAMSA_CONFIG_TYPE_BOOLEAN;
    case SAMSA_TCFG_DOUBLE:
        return SAMSA_CONFIG_TYPE_DOUBLE;
    default:
        return SAMSA_CONFIG_TYPE_STRING;
    }
}

/* Kafka's ThrottledReplicaListValidator: the literal "*", or a list whose
 * entries (trimmed) are empty or partition:broker. */
static bool replica_list_ok(const char *v)
{
    while (isspace((unsigned char)*v)) {
        v++;
    }
    if (v[0] == '*') {
        const char *p = v + 1;
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (!*p) {
            return true;
        }
    }
    for (;;) {
        while (*v == ' ' || *v == '\t') {
            v++;
        }
        if (*v && *v != ',') {
            int digits = 0;
            while (isdigit((unsigned char)*v)) {
                v++, digits++;
            }
            if (!digits || *v++ != ':') {
                return false;
            }
            for (digits = 0; isdigit((unsigned char)*v); v++) {
                digits++;
            }
            if (!digits) {
                return false;
            }
            while (*v == ' ' || *v == '\t') {
                v++;
            }
        }
        if (!*v) {
            return true;
        }
        if (*v++ != ',') {
            return false;
        }
    }
}

static bool in_choices(const char *const *choices, const char *v)
{
    for (; *choices; choices++) {
        if (strcmp(*choices, v) == 0) {
            return true;
        }
    }
    return false;
}

samsa_err_t samsa_tcfg_validate(const char *name, const char *value,
                                char *errbuf, size_t errlen)
{
    const samsa_tcfg_def_t *d = samsa_tcfg_def_find(name);
    if (!d) {
        snprintf(errbuf, errlen, "unknown topic config '%s'", name);
        return SAMSA_ERR_INVALID_CONFIG;
    }
    if (!value) {
        return SAMSA_OK;
    }
    if (d->type == SAMSA_TCFG_LONG || d->type == SAMSA_TCFG_INT) {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end) {
            snprintf(errbuf, errlen, "%s: '%s' is not an integer", name, value);
            return SAMSA_ERR_INVALID_CONFIG;
        }
        if (d->min < d->max && (v < d->min || v > d->max)) {
            snprintf(errbuf, errlen, "%s: %lld is outside [%lld, %lld]", name,
                     v, (long long)d->min, (long long)d->max);
            return SAMSA_ERR_INVALID_CONFIG;
        }
    } else if (d->type == SAMSA_TCFG_REPLICA_LIST && !replica_list_ok(value)) {
        snprintf(errbuf, errlen,
                 "%s: invalid value '%s': must be the literal '*' or a list "
                 "of replicas in the format "
                 "[partitionId]:[brokerId],[partitionId]:[brokerId],...",
                 name, value);
        return SAMSA_ERR_INVALID_CONFIG;
    } else if (d->type == SAMSA_TCFG_BOOLEAN && strcasecmp(value, "true") &&
               strcasecmp(value, "false")) {
        snprintf(errbuf, errlen, "%s: '%s' is not a boolean (true or false)",
                 name, value);
        return SAMSA_ERR_INVALID_CONFIG;
    } else if (d->choices && !in_choices(d->choices, value)) {
        snprintf(errbuf, errlen, "%s: invalid value '%s'", name, value);
        return SAMSA_ERR_INVALID_CONFIG;
    }
    return SAMSA_OK;
}

const char *samsa_tcfg_get(const samsa_tcfg_t *c, const char *name)
{
    for (size_t i = 0; c && i < c->count; i++) {
        if (strcmp(c->items[i].name, name) == 0) {
            return c->items[i].value;
        }
    }
    return NULL;
}

samsa_err_t samsa_tcfg_set(samsa_tcfg_t *c, const char *name, const char *value)
{
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->items[i].name, name) != 0) {
            continue;
        }
        if (!value) {
            free(c->items[i].name);
            free(c->items[i].value);
            c->items[i] = c->items[--c->count];
            return SAMSA_OK;
        }
        char *v = strdup(value);
        if (!v) {
            return SAMSA_ERR_NOMEM;
        }
        free(c->items[i].value);
        c->items[i].value = v;
        return SAMSA_OK;
    }
    if (!value) {
        return SAMSA_OK;
    }
    samsa_tcfg_kv_t *n = realloc(c->items, (c->count + 1) * sizeof(*n));
    if (!n) {
        return SAMSA_ERR_NOMEM;
    }
    c->items = n;
    n[c->count].name = strdup(name);
    n[c->count].value = strdup(value);
    if (!n[c->count].name || !n[c->count].value) {
        free(n[c->count].name);
        free(n[c->count].value);
        return SAMSA_ERR_NOMEM;
    }
    c->count++;
    return SAMSA_OK;
}

samsa_err_t samsa_tcfg_copy(samsa_tcfg_t *dst, const samsa_tcfg_t *src)
{
    *dst = (samsa_tcfg_t){0};
    for (size_t i = 0; src && i < src->count; i++) {
        samsa_err_t err =
            samsa_tcfg_set(dst, src->items[i].name, src->items[i].value);
        if (err != SAMSA_OK) {
            samsa_tcfg_free(dst);
            return err;
        }
    }
    return SAMSA_OK;
}

void samsa_tcfg_free(samsa_tcfg_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].name);
        free(c->items[i].value);
    }
    free(c->items);
    *c = (samsa_tcfg_t){0};
}

const char *samsa_tcfg_effective(const samsa_tcfg_t *topic,
                                 const samsa_tcfg_t *broker_defaults,
                                 const char *name, bool *is_default)
{
    const char *v = samsa_tcfg_get(topic, name);
    if (is_default) {
        *is_default = v == NULL;
    }
    if (!v) {
        v = samsa_tcfg_get(broker_defaults, name);
    }
    if (!v) {
        const samsa_tcfg_def_t *d = samsa_tcfg_def_find(name);
        v = d ? d->default_value : NULL;
    }
    return v;
}

int64_t samsa_tcfg_effective_long(const samsa_tcfg_t *topic,
                                  const samsa_tcfg_t *broker_defaults,
                                  const char *name)
{
    const char *v = samsa_tcfg_effective(topic, broker_defaults, name, NULL);
    return v ? strtoll(v, NULL, 10) : 0;
}

void samsa_tcfg_to_log_config(const samsa_tcfg_t *topic, const samsa_tcfg_t *bd,
                              samsa_log_config_t *out)
{
    *out = (samsa_log_config_t){0};
    out->hdr = (samsa_abi_header_t)SAMSA_ABI_HEADER(samsa_log_config_t);
    out->segment_bytes = samsa_tcfg_effective_long(topic, bd, "segment.bytes");
    out->segment_ms = samsa_tcfg_effective_long(topic, bd, "segment.ms");
    out->retention_bytes =
        samsa_tcfg_effective_long(topic, bd, "retention.bytes");
    out->retention_ms = samsa_tcfg_effective_long(topic, bd, "retention.ms");
    out->delete_retention_ms =
        samsa_tcfg_effective_long(topic, bd, "delete.retention.ms");
    out->flush_messages =
        samsa_tcfg_effective_long(topic, bd, "flush.messages");
    out->flush_ms = samsa_tcfg_effective_long(topic, bd, "flush.ms");
    /* Kafka's "never" default is Long.MAX_VALUE; engines want the sentinel. */
    if (out->flush_messages == INT64_MAX) {
        out->flush_messages = SAMSA_FLUSH_OS;
    }
    if (out->flush_ms == INT64_MAX) {
        out->flush_ms = SAMSA_FLUSH_OS;
    }
    out->index_interval_bytes =
        samsa_tcfg_effective_long(topic, bd, "index.interval.bytes");
    out->max_bytes =
        samsa_tcfg_effective_long(topic, bd, "samsa.memory.max.bytes");
    const char *policy =
        samsa_tcfg_effective(topic, bd, "cleanup.policy", NULL);
    out->cleanup_policy = 0;
    if (strstr(policy, "delete")) {
        out->cleanup_policy |= SAMSA_CLEANUP_DELETE;
    }
    if (strstr(policy, "compact")) {
        out->cleanup_policy |= SAMSA_CLEANUP_COMPACT;
    }
}

const char *samsa_tcfg_resolve(const samsa_tcfg_t *topic,
                               const samsa_tcfg_t *broker_defaults,
                               const samsa_tcfg_def_t *def, int8_t *source)
{
    const char *v = samsa_tcfg_get(topic, def->name);
    if (v) {
        *source = SAMSA_CONFIG_SOURCE_DYNAMIC_TOPIC;
        return v;
    }
    v = samsa_tcfg_get(broker_defaults, def->name);
    if (v && strcmp(v, def->default_value) != 0) {
        *source = SAMSA_CONFIG_SOURCE_STATIC_BROKER;
        return v;
    }
    *source = SAMSA_CONFIG_SOURCE_DEFAULT;
    return def->default_value;
}
