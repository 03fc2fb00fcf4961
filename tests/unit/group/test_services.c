/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/group/test_services.c - see test_services.h. */
#define _GNU_SOURCE
#include "test_services.h"

#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void svc_log(const samsa_instance_t *inst, samsa_log_level_t level,
                    const char *fmt, ...)
{
    if (level > SAMSA_LOG_WARN) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%s] ", inst && inst->name ? inst->name : "plugin");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char *svc_err_str(samsa_err_t err)
{
    (void)err;
    return "error";
}

static samsa_err_t cfg_bool(const samsa_config_t *c, const char *n, bool *o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t cfg_int(const samsa_config_t *c, const char *n, int64_t *o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t cfg_double(const samsa_config_t *c, const char *n, double *o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t cfg_string(const samsa_config_t *c, const char *n,
                              const char **o)
{
    return SAMSA_ERR_NOT_FOUND;
}
static samsa_err_t cfg_list(const samsa_config_t *c, const char *n,
                            const char *const **items, size_t *count)
{
    return SAMSA_ERR_NOT_FOUND;
}

static samsa_metric_t *metric_register(const samsa_instance_t *inst,
                                       const char *name,
                                       samsa_metric_kind_t kind,
                                       const char *help)
{
    return NULL;
}
static void metric_add(samsa_metric_t *m, int64_t d) {}
static void metric_set(samsa_metric_t *m, int64_t v) {}

static samsa_timer_t *timer_start(const samsa_instance_t *inst, uint64_t ms,
                                  bool repeat, void (*cb)(void *), void *arg)
{
    return NULL;
}
static void timer_stop(samsa_timer_t *t) {}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
static int64_t now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}
static int64_t mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static const samsa_services_t services = {
    .hdr = SAMSA_ABI_HEADER(samsa_services_t),
    .log = svc_log,
    .err_str = svc_err_str,
    .config_bool = cfg_bool,
    .config_int = cfg_int,
    .config_double = cfg_double,
    .config_string = cfg_string,
    .config_list = cfg_list,
    .alloc = malloc,
    .realloc = realloc,
    .free = free,
    .metric_register = metric_register,
    .metric_add = metric_add,
    .metric_set = metric_set,
    .timer_start = timer_start,
    .timer_stop = timer_stop,
    .now_ms = now_ms,
    .monotonic_ms = mono_ms,
};

const samsa_services_t *test_services(void)
{
    return &services;
}

static bool engine_load(test_engine_t *e, const char *plugin, const char *name,
                        const char *data_dir)
{
    const char *dir = getenv("SAMSA_TEST_PLUGIN_DIR");
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s.so", dir ? dir : ".", plugin);
    memset(e, 0, sizeof(*e));
    e->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!e->dl) {
        fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
        return false;
    }
    samsa_plugin_entry_fn entry =
        (samsa_plugin_entry_fn)dlsym(e->dl, SAMSA_PLUGIN_ENTRY);
    e->desc = entry ? entry() : NULL;
    if (!e->desc || e->desc->kind != SAMSA_KIND_STORAGE) {
        fprintf(stderr, "%s: not a storage plugin\n", path);
        return false;
    }
    e->inst = (samsa_instance_t){.hdr = SAMSA_ABI_HEADER(samsa_instance_t),
                                 .name = name,
                                 .path = "",
                                 .manifest = "",
                                 .data_dir = data_dir};
    char err[256] = "";
    if (e->desc->init(&services, &e->inst, &e->state, err, sizeof(err)) !=
        SAMSA_OK) {
        fprintf(stderr, "%s: init failed: %s\n", path, err);
        return false;
    }
    return true;
}

static void engine_unload(test_engine_t *e)
{
    if (e->desc && e->state) {
        e->desc->fini(e->state);
    }
    if (e->dl) {
        dlclose(e->dl);
    }
    memset(e, 0, sizeof(*e));
}

static samsa_err_t lookup(void *arg, const char *name,
                          const samsa_storage_ops_t **ops, void **state)
{
    test_env_t *env = arg;
    test_engine_t *e = strcmp(name, "segment") == 0  ? &env->segment
                       : strcmp(name, "memory") == 0 ? &env->memory
                                                     : NULL;
    if (!e || !e->desc) {
        return SAMSA_ERR_NOT_FOUND;
    }
    *ops = e->desc->ops;
    *state = e->state;
    return SAMSA_OK;
}

bool test_env_reopen(test_env_t *env)
{
    if (!engine_load(&env->segment, "storage-segment", "segment", env->dir) ||
        !engine_load(&env->memory, "storage-memory", "memory", env->dir)) {
        test_env_shutdown(env);
        return false;
    }
    samsa_tcfg_t defaults = {0};
    samsa_logmgr_options_t o = {.data_dir = env->dir,
                                .engine_lookup = lookup,
                                .engine_lookup_arg = env,
                                .broker_defaults = &defaults,
                                .housekeep_interval_ms = 60000};
    char err[256] = "";
    if (samsa_logmgr_open(&o, &env->mgr, err, sizeof(err)) != SAMSA_OK) {
        fprintf(stderr, "logmgr_open: %s\n", err);
        env->mgr = NULL;
        test_env_shutdown(env);
        return false;
    }
    return true;
}

bool test_env_open(test_env_t *env)
{
    memset(env, 0, sizeof(*env));
    snprintf(env->dir, sizeof(env->dir), "/tmp/samsa-group-test-XXXXXX");
    if (!mkdtemp(env->dir)) {
        return false;
    }
    return test_env_reopen(env);
}

void test_env_shutdown(test_env_t *env)
{
    if (env->mgr) {
        samsa_logmgr_close(env->mgr);
        env->mgr = NULL;
    }
    engine_unload(&env->segment);
    engine_unload(&env->memory);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_env_close(test_env_t *env)
{
    test_env_shutdown(env);
    if (env->dir[0]) {
        nftw(env->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        env->dir[0] = '\0';
    }
}
