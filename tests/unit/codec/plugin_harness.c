/* SPDX-License-Identifier: Apache-2.0 */
#include "plugin_harness.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Test-only globals: the harness plays the host, which may keep them. */
static _Atomic size_t live_bytes;
static _Atomic size_t peak_bytes;
static _Atomic int64_t fake_clock = -1;

static void h_log(const samsa_instance_t *inst, samsa_log_level_t level,
                  const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[plugin %s L%d] ", inst != NULL ? inst->name : "-",
            (int)level);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *h_err_str(samsa_err_t err)
{
    return err == SAMSA_OK ? "ok" : "samsa error";
}

static const samsa_option_t *find_row(const samsa_config_t *cfg,
                                      const char *name)
{
    for (const samsa_option_t *o = cfg->table; o && o->name; o++) {
        if (strcmp(o->name, name) == 0) {
            return o;
        }
    }
    return NULL;
}

static const harness_opt_t *find_set(const samsa_config_t *cfg,
                                     const char *name)
{
    for (const harness_opt_t *o = cfg->set; o && o->name; o++) {
        if (strcmp(o->name, name) == 0) {
            return o;
        }
    }
    return NULL;
}

/* Looks up a scalar option of @p type: override or default text. */
static samsa_err_t scalar(const samsa_config_t *cfg, const char *name,
                          uint32_t type, const char **text)
{
    const samsa_option_t *row = find_row(cfg, name);
    if (row == NULL) {
        return SAMSA_ERR_NOT_FOUND;
    }
    if (row->type != type) {
        return SAMSA_ERR_INVAL;
    }
    const harness_opt_t *set = find_set(cfg, name);
    *text = set != NULL ? set->value : row->default_value;
    return *text != NULL ? SAMSA_OK : SAMSA_ERR_NOT_FOUND;
}

static samsa_err_t h_config_bool(const samsa_config_t *cfg, const char *name,
                                 bool *out)
{
    const char *t = NULL;
    samsa_err_t err = scalar(cfg, name, SAMSA_OPT_BOOL, &t);
    if (err == SAMSA_OK) {
        *out = strcmp(t, "true") == 0 || strcmp(t, "yes") == 0;
    }
    return err;
}

static samsa_err_t h_config_int(const samsa_config_t *cfg, const char *name,
                                int64_t *out)
{
    const char *t = NULL;
    samsa_err_t err = scalar(cfg, name, SAMSA_OPT_INT, &t);
    if (err == SAMSA_OK) {
        *out = strtoll(t, NULL, 0);
    }
    return err;
}

static samsa_err_t h_config_double(const samsa_config_t *cfg, const char *name,
                                   double *out)
{
    const char *t = NULL;
    samsa_err_t err = scalar(cfg, name, SAMSA_OPT_DOUBLE, &t);
    if (err == SAMSA_OK) {
        *out = strtod(t, NULL);
    }
    return err;
}

static samsa_err_t h_config_string(const samsa_config_t *cfg, const char *name,
                                   const char **out)
{
    return scalar(cfg, name, SAMSA_OPT_STRING, out);
}

static samsa_err_t h_config_list(const samsa_config_t *cfg, const char *name,
                                 const char *const **items, size_t *count)
{
    const samsa_option_t *row = find_row(cfg, name);
    if (row == NULL) {
        return SAMSA_ERR_NOT_FOUND;
    }
    if (row->type != SAMSA_OPT_LIST) {
        return SAMSA_ERR_INVAL;
    }
    const harness_opt_t *set = find_set(cfg, name);
    *items = set != NULL ? set->items : NULL;
    *count = set != NULL ? set->count : 0;
    return SAMSA_OK;
}

/* Allocations carry their size in a 16-byte prefix so live bytes can be
 * counted exactly. */
#define HDR 16

static void note_alloc(size_t n)
{
    size_t now = atomic_fetch_add(&live_bytes, n) + n;
    size_t peak = atomic_load(&peak_bytes);
    while (now > peak &&
           !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
    }
}

static void *h_alloc(size_t size)
{
    unsigned char *p = malloc(size + HDR);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, &size, sizeof(size));
    note_alloc(size);
    return p + HDR;
}

static void h_free(void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t size;
    memcpy(&size, p, sizeof(size));
    atomic_fetch_sub(&live_bytes, size);
    free(p);
}

static void *h_realloc(void *ptr, size_t size)
{
    if (ptr == NULL) {
        return h_alloc(size);
    }
    unsigned char *p = (unsigned char *)ptr - HDR;
    size_t old;
    memcpy(&old, p, sizeof(old));
    unsigned char *np = realloc(p, size + HDR);
    if (np == NULL) {
        return NULL;
    }
    memcpy(np, &size, sizeof(size));
    atomic_fetch_sub(&live_bytes, old);
    note_alloc(size);
    return np + HDR;
}

static int64_t h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t h_monotonic_ms(void)
{
    int64_t fake = atomic_load(&fake_clock);
    if (fake >= 0) {
        return fake;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const samsa_services_t harness_services = {
    .hdr = SAMSA_ABI_HEADER(samsa_services_t),
    .log = h_log,
    .err_str = h_err_str,
    .config_bool = h_config_bool,
    .config_int = h_config_int,
    .config_double = h_config_double,
    .config_string = h_config_string,
    .config_list = h_config_list,
    .alloc = h_alloc,
    .realloc = h_realloc,
    .free = h_free,
    .now_ms = h_now_ms,
    .monotonic_ms = h_monotonic_ms,
};

samsa_err_t harness_load(harness_plugin_t *hp, const char *name,
                         const harness_opt_t *overrides)
{
    memset(hp, 0, sizeof(*hp));
    const char *dir = getenv("SAMSA_TEST_PLUGIN_DIR");
    char *path = hp->path;
    snprintf(path, sizeof(hp->path), "%s/%s.so", dir != NULL ? dir : ".", name);
    hp->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (hp->dl == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return SAMSA_ERR_NOT_FOUND;
    }
    samsa_plugin_entry_fn entry;
    void *sym = dlsym(hp->dl, SAMSA_PLUGIN_ENTRY);
    memcpy(&entry, &sym, sizeof(entry));
    if (sym == NULL) {
        return SAMSA_ERR_NOT_FOUND;
    }
    hp->desc = entry();
    if (hp->desc->hdr.abi_major != SAMSA_ABI_MAJOR ||
        strcmp(hp->desc->name, name) != 0) {
        return SAMSA_ERR_ABI;
    }
    hp->config.table = hp->desc->options;
    hp->config.set = overrides;
    hp->inst.hdr = (samsa_abi_header_t)SAMSA_ABI_HEADER(samsa_instance_t);
    hp->inst.name = name;
    hp->inst.path = path;
    hp->inst.manifest = "test";
    hp->inst.data_dir = "/nonexistent";
    hp->inst.config = &hp->config;
    samsa_err_t err = hp->desc->init(&harness_services, &hp->inst, &hp->state,
                                     hp->errbuf, sizeof(hp->errbuf));
    if (err != SAMSA_OK) {
        hp->state = NULL;
    }
    return err;
}

void harness_unload(harness_plugin_t *hp)
{
    if (hp->desc != NULL && hp->state != NULL) {
        hp->desc->fini(hp->state);
    }
    if (hp->dl != NULL) {
        dlclose(hp->dl);
    }
    memset(hp, 0, sizeof(*hp));
}

size_t harness_live_bytes(void)
{
    return atomic_load(&live_bytes);
}

size_t harness_peak_bytes(void)
{
    return atomic_load(&peak_bytes);
}

void harness_reset_peak(void)
{
    atomic_store(&peak_bytes, atomic_load(&live_bytes));
}

void harness_set_clock_ms(int64_t now_ms)
{
    atomic_store(&fake_clock, now_ms);
}

unsigned char *harness_read_source_file(const char *rel, size_t *len)
{
    const char *src = getenv("SAMSA_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", src != NULL ? src : ".", rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}
