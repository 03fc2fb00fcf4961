/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/services.c - the samsa_services_t table given to plugins. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/options.h"
#include "connect/kafka_service.h"
#include "registry/kinds.h"
#include "registry/metrics.h"
#include "registry/registry.h"
#include "registry/timers.h"
#include "security/credentials.h"
#include "util/err.h"
#include "util/log.h"
#include "util/clock.h"

/* ---------------------------------------------------------------------- */
/* Logging                                                                */
/* ---------------------------------------------------------------------- */

static void svc_log(const samsa_instance_t *inst, samsa_log_level_t level,
                    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void svc_log(const samsa_instance_t *inst, samsa_log_level_t level,
                    const char *fmt, ...)
{
    /* The instance a plugin got from init() is the first member of its
     * registry entry, which knows the kind and plugin name. */
    const samsa_registry_entry_t *e = (const samsa_registry_entry_t *)inst;
    char msg[1024];
    va_list ap;

    if (!samsa_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (e == NULL) {
        samsa_log(level, "[plugin] %s", msg);
        return;
    }
    samsa_log(level, "[%s/%s/%s] %s", samsa_kind_name(e->kind),
              e->desc.name ? e->desc.name : e->plugin, e->name, msg);
}

/* ---------------------------------------------------------------------- */
/* Memory: a 16-byte size prefix keeps max_align_t alignment and lets      */
/* free() subtract the right byte count.                                  */
/* ---------------------------------------------------------------------- */

#define MEM_HDR 16

static _Atomic int64_t mem_allocs;
static _Atomic int64_t mem_bytes;

static void *svc_alloc(size_t size)
{
    unsigned char *p;

    if (size > SIZE_MAX - MEM_HDR) {
        return NULL;
    }
    p = malloc(size + MEM_HDR);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, &size, sizeof(size));
    atomic_fetch_add(&mem_allocs, 1);
    atomic_fetch_add(&mem_bytes, (int64_t)size);
    return p + MEM_HDR;
}

static void svc_free(void *ptr)
{
    unsigned char *p = ptr;
    size_t size;

    if (p == NULL) {
        return;
    }
    p -= MEM_HDR;
    memcpy(&size, p, sizeof(size));
    atomic_fetch_sub(&mem_allocs, 1);
    atomic_fetch_sub(&mem_bytes, (int64_t)size);
    free(p);
}

static void *svc_realloc(void *ptr, size_t size)
{
    unsigned char *p = ptr, *np;
    size_t old;

    if (p == NULL) {
        return svc_alloc(size);
    }
    if (size > SIZE_MAX - MEM_HDR) {
        return NULL;
    }
    p -= MEM_HDR;
    memcpy(&old, p, sizeof(old));
    np = realloc(p, size + MEM_HDR);
    if (np == NULL) {
        return NULL;
    }
    memcpy(np, &size, sizeof(size));
    atomic_fetch_add(&mem_bytes, (int64_t)size - (int64_t)old);
    return np + MEM_HDR;
}

void samsa_services_mem_stats(int64_t *allocs, int64_t *bytes)
{
    *allocs = atomic_load(&mem_allocs);
    *bytes = atomic_load(&mem_bytes);
}

/* ---------------------------------------------------------------------- */
/* Metrics, timers, clocks                                                */
/* ---------------------------------------------------------------------- */

static samsa_metric_t *svc_metric_register(const samsa_instance_t *inst,
                                           const char *name,
                                           samsa_metric_kind_t kind,
                                           const char *help)
{
    return samsa_metric_register(inst, name, kind, help);
}

static samsa_timer_t *svc_timer_start(const samsa_instance_t *inst,
                                      uint64_t interval_ms, bool repeat,
                                      void (*cb)(void *arg), void *arg)
{
    return samsa_timer_start(inst, interval_ms, repeat, cb, arg);
}

/* ---------------------------------------------------------------------- */
/* Codecs (ABI minor 1). The table is process-global and constant, so it   */
/* reaches the codec plugins through the registry published by            */
/* samsa_registry_init() once every instance is inited; the lookup is per */
/* call because a storage engine may init before the codecs.             */
/* ---------------------------------------------------------------------- */

static _Atomic(const samsa_registry_t *) codec_registry;

void samsa_services_publish_registry(const samsa_registry_t *reg)
{
    atomic_store_explicit(&codec_registry, reg, memory_order_release);
}

void samsa_services_retract_registry(const samsa_registry_t *reg)
{
    const samsa_registry_t *expect = reg;

    /* Only the registry that was published: a second one (e.g. a
     * --check-config pass in a test) must not unplug the first. */
    atomic_compare_exchange_strong(&codec_registry, &expect, NULL);
}

static const samsa_registry_entry_t *codec_entry(int codec_id)
{
    const samsa_registry_t *reg =
        atomic_load_explicit(&codec_registry, memory_order_acquire);
    const samsa_registry_entry_t *e;

    if (reg == NULL || codec_id <= 0) {
        return NULL;
    }
    e = samsa_registry_codec(reg, (uint32_t)codec_id);
    return e != NULL && e->inited ? e : NULL;
}

static samsa_err_t svc_codec_decompress(int codec_id, const void *in,
                                        size_t in_len, size_t max_out,
                                        void **out, size_t *out_len)
{
    const samsa_registry_entry_t *e = codec_entry(codec_id);

    if (e == NULL) {
        return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    return samsa_entry_codec_ops(e)->decompress(e->state, in, in_len, max_out,
                                                out, out_len);
}

static samsa_err_t svc_codec_compress(int codec_id, const void *in,
                                      size_t in_len, void **out,
                                      size_t *out_len)
{
    const samsa_registry_entry_t *e = codec_entry(codec_id);

    if (e == NULL) {
        return SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    return samsa_entry_codec_ops(e)->compress(e->state, in, in_len, out,
                                              out_len);
}

/* The broker's settings for services->broker_config: set once by
 * samsa_registry_open/check before any init(), read from any thread. */
static _Atomic(const samsa_config_t *) broker_values;

void samsa_services_set_broker_config(const samsa_config_t *values)
{
    atomic_store_explicit(&broker_values, values, memory_order_release);
}

static const samsa_config_t *svc_broker_config(void)
{
    return atomic_load_explicit(&broker_values, memory_order_acquire);
}

static const samsa_services_t services = {
    .hdr = SAMSA_ABI_HEADER(samsa_services_t),
    .log = svc_log,
    .err_str = samsa_err_str,
    .config_bool = samsa_config_bool,
    .config_int = samsa_config_int,
    .config_double = samsa_config_double,
    .config_string = samsa_config_string,
    .config_list = samsa_config_list,
    .alloc = svc_alloc,
    .realloc = svc_realloc,
    .free = svc_free,
    .metric_register = svc_metric_register,
    .metric_add = samsa_metric_add,
    .metric_set = samsa_metric_set,
    .timer_start = svc_timer_start,
    .timer_stop = samsa_timer_stop,
    .now_ms = samsa_wall_ms,
    .monotonic_ms = samsa_mono_ms,
    .codec_decompress = svc_codec_decompress,
    .codec_compress = svc_codec_compress,
    .scram_credential = samsa_credentials_lookup,
    .broker_config = svc_broker_config,
    .kafka_open = samsa_connect_kafka_open,
    .kafka_close = samsa_connect_kafka_close,
    .kafka_errmsg = samsa_connect_kafka_errmsg,
    .kafka_topics = samsa_connect_kafka_topics,
    .kafka_create_topic = samsa_connect_kafka_create_topic,
    .kafka_list_offset = samsa_connect_kafka_list_offset,
    .kafka_fetch = samsa_connect_kafka_fetch,
    .kafka_groups = samsa_connect_kafka_groups,
    .kafka_committed = samsa_connect_kafka_committed,
    .kafka_commit = samsa_connect_kafka_commit,
    .kafka_produce = samsa_connect_kafka_produce,
    .kafka_create_topic_configs = samsa_connect_kafka_create_topic_configs,
    .kafka_topic_configs = samsa_connect_kafka_topic_configs,
    .kafka_alter_topic_configs = samsa_connect_kafka_alter_topic_configs,
    .kafka_create_partitions = samsa_connect_kafka_create_partitions,
    .kafka_topic_configs_all = samsa_connect_kafka_topic_configs_all,
    .kafka_acls = samsa_connect_kafka_acls,
    .kafka_create_acls = samsa_connect_kafka_create_acls,
    .kafka_committed_metadata = samsa_connect_kafka_committed_metadata,
    .kafka_commit_metadata = samsa_connect_kafka_commit_metadata,
};

const samsa_services_t *samsa_services(void)
{
    return &services;
}
