/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugin.c - descriptor, options and instance lifecycle of storage-segment.
 */
#include "seg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const samsa_option_t sg_options[] = {
    SAMSA_OPTION_STRING("dir", "",
                        "Directory holding <topic>-<partition>/ logs; empty "
                        "means the broker's data_dir, a relative path is "
                        "taken under it."),
    SAMSA_OPTION_INT("segment_bytes", "1073741824", 1024, 2147483647,
                     "Default segment.bytes: roll the active segment when "
                     "the next append would make it larger (bytes)."),
    SAMSA_OPTION_INT("segment_ms", "604800000", 1, INT64_MAX,
                     "Default segment.ms: roll the active segment when its "
                     "first append is older than this (ms)."),
    SAMSA_OPTION_INT("index_interval_bytes", "4096", 1, 2147483647,
                     "Default index.interval.bytes: bytes of batches between "
                     "two sparse index entries."),
    SAMSA_OPTION_INT("max_open_segments", "0", 0, 100000000,
                     "Segment files kept open at most (the fd cache); the "
                     "least recently opened unused ones are closed past it. "
                     "0 = half of the process's RLIMIT_NOFILE."),
    SAMSA_OPTION_END,
};

static samsa_err_t int_opt(const samsa_services_t *svc,
                           const samsa_instance_t *inst, const char *name,
                           int64_t def, int64_t *out)
{
    *out = def;
    if (inst == NULL || inst->config == NULL) {
        return SAMSA_OK;
    }
    samsa_err_t err = svc->config_int(inst->config, name, out);
    if (err == SAMSA_ERR_NOT_FOUND) {
        *out = def;
        return SAMSA_OK;
    }
    return err;
}

static char *resolve_dir(const samsa_services_t *svc,
                         const samsa_instance_t *inst)
{
    const char *dir = "";
    const char *data = inst->data_dir != NULL ? inst->data_dir : ".";
    if (inst->config != NULL &&
        svc->config_string(inst->config, "dir", &dir) != SAMSA_OK) {
        dir = "";
    }
    size_t len = strlen(data) + strlen(dir) + 2;
    char *out = malloc(len);
    if (out == NULL) {
        return NULL;
    }
    if (dir[0] == '/') {
        snprintf(out, len, "%s", dir);
    } else if (dir[0] == '\0') {
        snprintf(out, len, "%s", data);
    } else {
        snprintf(out, len, "%s/%s", data, dir);
    }
    return out;
}

static samsa_err_t sg_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    sg_state_t *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->inst = inst;
    samsa_log_config_t *d = &st->defs;
    *d = (samsa_log_config_t){
        .hdr = SAMSA_ABI_HEADER(samsa_log_config_t),
        .retention_bytes = -1,
        .retention_ms = 7 * 24 * 3600 * 1000LL,
        .delete_retention_ms = 24 * 3600 * 1000LL,
        .flush_messages = SAMSA_FLUSH_OS,
        .flush_ms = SAMSA_FLUSH_OS,
        .cleanup_policy = SAMSA_CLEANUP_DELETE,
    };
    samsa_err_t err = SAMSA_OK;
    if ((err = int_opt(svc, inst, "segment_bytes", 1 << 30,
                       &d->segment_bytes)) != SAMSA_OK ||
        (err = int_opt(svc, inst, "segment_ms", 7 * 24 * 3600 * 1000LL,
                       &d->segment_ms)) != SAMSA_OK ||
        (err = int_opt(svc, inst, "index_interval_bytes", 4096,
                       &d->index_interval_bytes)) != SAMSA_OK ||
        (err = int_opt(svc, inst, "max_open_segments", 0, &st->max_open)) !=
            SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "bad option: %s", svc->err_str(err));
        free(st);
        return err;
    }
    st->dir = resolve_dir(svc, inst);
    if (st->dir == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        free(st);
        return SAMSA_ERR_NOMEM;
    }
    atomic_init(&st->offline, false);
    if (st->max_open <= 0) {
        struct rlimit rl;
        st->max_open =
            getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                ? (int64_t)rl.rlim_cur / 2
                : 65536;
    }
    if (st->max_open < 16) {
        st->max_open = 16;
    }
    pthread_mutex_init(&st->lru_mu, NULL);
    *state = st;
    return SAMSA_OK;
}

static void sg_fini(void *state)
{
    sg_state_t *st = state;
    pthread_mutex_destroy(&st->lru_mu);
    free(st->dir);
    free(st);
}

static const samsa_plugin_t sg_descriptor = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_STORAGE,
    .name = "storage-segment",
    .version = "0.1.0",
    .summary = "Kafka's on-disk segment log (.log/.index/.timeindex)",
    .options = sg_options,
    .init = sg_init,
    .fini = sg_fini,
    .ops = &sg_ops,
};

SAMSA_PLUGIN_DECLARE(sg_descriptor)
