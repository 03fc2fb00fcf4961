/* SPDX-License-Identifier: Apache-2.0 */
/* core/config/options.c - samsa_option_t tables -> samsa_config_t. */
#include "config/options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct config_value {
    char *name;
    uint32_t type;
    bool set;         /* from YAML, not the default */
    const char *file; /* where set (owned by cfg->files) */
    uint32_t line;
    bool b;
    int64_t i;
    double d;
    char *s;
    char **list; /* list_count entries + NULL */
    size_t list_count;
} config_value_t;

struct samsa_config {
    size_t count;
    config_value_t *values;
    char *file; /* copy of the YAML file name values point at */
};

const char *samsa_opt_type_name(uint32_t type)
{
    switch (type) {
    case SAMSA_OPT_BOOL:
        return "bool";
    case SAMSA_OPT_INT:
        return "int";
    case SAMSA_OPT_DOUBLE:
        return "double";
    case SAMSA_OPT_STRING:
        return "string";
    case SAMSA_OPT_LIST:
        return "list";
    }
    return "?";
}

static samsa_err_t cfail(char *errbuf, size_t size, samsa_err_t err,
                         const char *file, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static samsa_err_t cfail(char *errbuf, size_t size, samsa_err_t err,
                         const char *file, uint32_t line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (file != NULL) {
        snprintf(errbuf, size, "%s:%u: %s", file, line, msg);
    } else {
        snprintf(errbuf, size, "%s", msg);
    }
    return err;
}

static bool has_bounds(const samsa_option_t *opt)
{
    return !(opt->min == 0 && opt->max == 0);
}

static void value_clear(config_value_t *v)
{
    free(v->s);
    v->s = NULL;
    if (v->list != NULL) {
        for (size_t i = 0; i < v->list_count; i++) {
            free(v->list[i]);
        }
        free(v->list);
    }
    v->list = NULL;
    v->list_count = 0;
}

/* Describe what an option expects, for "expected ..." messages. */
static void expect_text(const samsa_option_t *opt, char *buf, size_t size)
{
    if (opt->type == SAMSA_OPT_INT && has_bounds(opt)) {
        snprintf(buf, size, "an int in [%lld, %lld]", (long long)opt->min,
                 (long long)opt->max);
    } else if (opt->type == SAMSA_OPT_INT) {
        snprintf(buf, size, "an int");
    } else if (opt->type == SAMSA_OPT_BOOL) {
        snprintf(buf, size, "a bool (true/false)");
    } else if (opt->type == SAMSA_OPT_DOUBLE) {
        snprintf(buf, size, "a number");
    } else if (opt->type == SAMSA_OPT_LIST) {
        snprintf(buf, size, "a list of strings");
    } else {
        snprintf(buf, size, "a string");
    }
}

static samsa_err_t set_list(config_value_t *v, const samsa_ynode_t *node)
{
    size_t n = samsa_ynode_is_null(node) ? 0 : node->count;

    v->list = calloc(n + 1, sizeof(char *));
    if (v->list == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        v->list[i] = strdup(node->items[i]->value);
        if (v->list[i] == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        v->list_count = i + 1;
    }
    return SAMSA_OK;
}

static bool list_ok(const samsa_ynode_t *node)
{
    if (samsa_ynode_is_null(node)) {
        return true;
    }
    if (node->type != SAMSA_YNODE_SEQ) {
        return false;
    }
    for (size_t i = 0; i < node->count; i++) {
        if (node->items[i]->type != SAMSA_YNODE_SCALAR) {
            return false;
        }
    }
    return true;
}

/*
 * Convert @p node to @p opt's type into @p v. Returns SAMSA_ERR_CONFIG when
 * the node does not have the type (or bounds); the caller words the error.
 */
static samsa_err_t set_value(config_value_t *v, const samsa_option_t *opt,
                             const samsa_ynode_t *node)
{
    value_clear(v);
    switch (opt->type) {
    case SAMSA_OPT_BOOL:
        return samsa_ynode_bool(node, &v->b) ? SAMSA_OK : SAMSA_ERR_CONFIG;
    case SAMSA_OPT_INT:
        if (!samsa_ynode_int(node, &v->i)) {
            return SAMSA_ERR_CONFIG;
        }
        if (has_bounds(opt) && (v->i < opt->min || v->i > opt->max)) {
            return SAMSA_ERR_CONFIG;
        }
        return SAMSA_OK;
    case SAMSA_OPT_DOUBLE:
        return samsa_ynode_double(node, &v->d) ? SAMSA_OK : SAMSA_ERR_CONFIG;
    case SAMSA_OPT_STRING:
        if (node == NULL || node->type != SAMSA_YNODE_SCALAR) {
            return SAMSA_ERR_CONFIG;
        }
        v->s = strdup(node->value);
        return v->s ? SAMSA_OK : SAMSA_ERR_NOMEM;
    case SAMSA_OPT_LIST:
        if (!list_ok(node)) {
            return SAMSA_ERR_CONFIG;
        }
        return set_list(v, node);
    }
    return SAMSA_ERR_CONFIG;
}

/* Parse an option's textual default the way YAML would read it. Strings
 * are taken literally (a default like "a: b" must not become a map). */
static samsa_err_t set_default(config_value_t *v, const samsa_option_t *opt)
{
    samsa_ydoc_t *doc = NULL;
    samsa_ynode_t str = {.type = SAMSA_YNODE_SCALAR, .quoted = true};
    char err[64];
    samsa_err_t rc;

    if (opt->default_value == NULL) {
        if (opt->type == SAMSA_OPT_LIST) {
            return set_list(v, NULL);
        }
        return opt->type == SAMSA_OPT_STRING ? SAMSA_OK : SAMSA_ERR_CONFIG;
    }
    if (opt->type == SAMSA_OPT_STRING) {
        str.value = (char *)opt->default_value;
        return set_value(v, opt, &str);
    }
    rc = samsa_yaml_load_string("default", opt->default_value,
                                strlen(opt->default_value), &doc, err,
                                sizeof(err));
    if (rc == SAMSA_OK) {
        rc = set_value(v, opt, doc->root);
    }
    samsa_yaml_free(doc);
    return rc;
}

samsa_err_t samsa_options_check_table(const samsa_option_t *opts,
                                      const char *what, char *errbuf,
                                      size_t errbuf_size)
{
    for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
        const samsa_option_t *opt = &opts[i];
        config_value_t v = {0};
        samsa_err_t rc;

        if (opt->name[0] == '\0') {
            return cfail(errbuf, errbuf_size, SAMSA_ERR_CONFIG, NULL, 0,
                         "%s: option row %zu has an empty name", what, i);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(opts[j].name, opt->name) == 0) {
                return cfail(errbuf, errbuf_size, SAMSA_ERR_CONFIG, NULL, 0,
                             "%s: option '%s' is declared twice", what,
                             opt->name);
            }
        }
        if (opt->type < SAMSA_OPT_BOOL || opt->type > SAMSA_OPT_LIST) {
            return cfail(errbuf, errbuf_size, SAMSA_ERR_CONFIG, NULL, 0,
                         "%s: option '%s' has unknown type %u (expected "
                         "1..5: bool, int, double, string, list)",
                         what, opt->name, opt->type);
        }
        if (opt->flags & SAMSA_OPT_REQUIRED) {
            continue;
        }
        rc = set_default(&v, opt);
        value_clear(&v);
        if (rc == SAMSA_ERR_NOMEM) {
            return rc;
        }
        if (rc != SAMSA_OK) {
            char expect[96];
            expect_text(opt, expect, sizeof(expect));
            return cfail(errbuf, errbuf_size, SAMSA_ERR_CONFIG, NULL, 0,
                         "%s: option '%s' has default '%s', expected %s", what,
                         opt->name,
                         opt->default_value ? opt->default_value : "(none)",
                         expect);
        }
    }
    return SAMSA_OK;
}

static void allowed_list(const samsa_option_t *opts, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         opts[i].name);
        if (n < 0 || (size_t)n >= size - used) {
            return;
        }
        used += (size_t)n;
    }
    if (used == 0) {
        snprintf(buf, size, "(none: this plugin takes no options)");
    }
}

static const samsa_option_t *find_opt(const samsa_option_t *opts,
                                      const char *name, size_t *index)
{
    for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
        if (strcmp(opts[i].name, name) == 0) {
            *index = i;
            return &opts[i];
        }
    }
    return NULL;
}

static samsa_err_t check_keys(const samsa_option_t *opts,
                              const samsa_ynode_t *map, const char *what,
                              samsa_config_t *cfg, char *errbuf,
                              size_t errbuf_size)
{
    for (size_t k = 0; k < map->count; k++) {
        const samsa_ynode_t *key = map->keys[k], *val = map->items[k];
        size_t idx = 0;
        const samsa_option_t *opt = find_opt(opts, key->value, &idx);
        config_value_t *v;
        samsa_err_t rc;

        if (opt == NULL) {
            char allowed[512];
            allowed_list(opts, allowed, sizeof(allowed));
            return cfail(errbuf, errbuf_size, SAMSA_ERR_CONFIG, key->file,
                         key->line, "%s: unknown option '%s'; allowed: %s",
                         what, key->value, allowed);
        }
        v = &cfg->values[idx];
        rc = set_value(v, opt, val);
        if (rc == SAMSA_ERR_NOMEM) {
            return rc;
        }
        if (rc != SAMSA_OK) {
            char expect[96];
            expect_text(opt, expect, sizeof(expect));
            return cfail(
                errbuf, errbuf_size, SAMSA_ERR_CONFIG, val->file, val->line,
                "%s: option '%s' expects %s, got %s%s%s", what, opt->name,
                expect, val->type == SAMSA_YNODE_SCALAR ? "'" : "a ",
                val->type == SAMSA_YNODE_SCALAR ? val->value
                                                : samsa_ynode_type_name(val),
                val->type == SAMSA_YNODE_SCALAR ? "'" : "");
        }
        v->set = true;
        v->file = cfg->file;
        v->line = val->line;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_config_build(const samsa_option_t *opts,
                               const samsa_ynode_t *map, const char *what,
                               const char *file, uint32_t line,
                               samsa_config_t **out, char *errbuf,
                               size_t errbuf_size)
{
    samsa_config_t *cfg = calloc(1, sizeof(*cfg));
    samsa_err_t rc = SAMSA_ERR_NOMEM;
    size_t n = 0;

    *out = NULL;
    if (cfg == NULL) {
        goto fail;
    }
    while (opts != NULL && opts[n].name != NULL) {
        n++;
    }
    cfg->values = calloc(n ? n : 1, sizeof(*cfg->values));
    const char *src = map ? map->file : file;
    cfg->file = strdup(src ? src : "");
    if (cfg->values == NULL || cfg->file == NULL) {
        goto fail;
    }
    cfg->count = n;
    for (size_t i = 0; i < n; i++) {
        cfg->values[i].type = opts[i].type;
        cfg->values[i].name = strdup(opts[i].name);
        if (cfg->values[i].name == NULL) {
            goto fail;
        }
        if (!(opts[i].flags & SAMSA_OPT_REQUIRED)) {
            rc = set_default(&cfg->values[i], &opts[i]);
            if (rc != SAMSA_OK) {
                /* samsa_options_check_table() catches this first */
                cfail(errbuf, errbuf_size, rc, file, line,
                      "%s: option '%s' has an invalid default", what,
                      opts[i].name);
                goto fail;
            }
        }
    }
    if (map != NULL && !samsa_ynode_is_null(map)) {
        if (map->type != SAMSA_YNODE_MAP) {
            rc = cfail(errbuf, errbuf_size, SAMSA_ERR_CONFIG, map->file,
                       map->line,
                       "%s: config must be a mapping of option: "
                       "value, found a %s",
                       what, samsa_ynode_type_name(map));
            goto fail;
        }
        rc = check_keys(opts, map, what, cfg, errbuf, errbuf_size);
        if (rc != SAMSA_OK) {
            goto fail;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if ((opts[i].flags & SAMSA_OPT_REQUIRED) && !cfg->values[i].set) {
            rc = cfail(errbuf, errbuf_size, SAMSA_ERR_CONFIG,
                       map && map->type == SAMSA_YNODE_MAP ? map->file : file,
                       map && map->type == SAMSA_YNODE_MAP ? map->line : line,
                       "%s: required option '%s' (%s) is not set", what,
                       opts[i].name, samsa_opt_type_name(opts[i].type));
            goto fail;
        }
    }
    *out = cfg;
    return SAMSA_OK;
fail:
    if (rc == SAMSA_ERR_NOMEM) {
        cfail(errbuf, errbuf_size, rc, file, line, "%s: out of memory", what);
    }
    samsa_config_free(cfg);
    return rc;
}

void samsa_config_free(samsa_config_t *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = 0; i < cfg->count; i++) {
        value_clear(&cfg->values[i]);
        free(cfg->values[i].name);
    }
    free(cfg->values);
    free(cfg->file);
    free(cfg);
}

static samsa_err_t lookup(const samsa_config_t *cfg, const char *name,
                          uint32_t type, const config_value_t **out)
{
    if (cfg == NULL || name == NULL) {
        return SAMSA_ERR_INVAL;
    }
    for (size_t i = 0; i < cfg->count; i++) {
        if (strcmp(cfg->values[i].name, name) == 0) {
            *out = &cfg->values[i];
            return cfg->values[i].type == type ? SAMSA_OK : SAMSA_ERR_INVAL;
        }
    }
    return SAMSA_ERR_NOT_FOUND;
}

samsa_err_t samsa_config_bool(const samsa_config_t *cfg, const char *name,
                              bool *out)
{
    const config_value_t *v;
    samsa_err_t rc = lookup(cfg, name, SAMSA_OPT_BOOL, &v);
    if (rc == SAMSA_OK) {
        *out = v->b;
    }
    return rc;
}

samsa_err_t samsa_config_int(const samsa_config_t *cfg, const char *name,
                             int64_t *out)
{
    const config_value_t *v;
    samsa_err_t rc = lookup(cfg, name, SAMSA_OPT_INT, &v);
    if (rc == SAMSA_OK) {
        *out = v->i;
    }
    return rc;
}

samsa_err_t samsa_config_double(const samsa_config_t *cfg, const char *name,
                                double *out)
{
    const config_value_t *v;
    samsa_err_t rc = lookup(cfg, name, SAMSA_OPT_DOUBLE, &v);
    if (rc == SAMSA_OK) {
        *out = v->d;
    }
    return rc;
}

samsa_err_t samsa_config_string(const samsa_config_t *cfg, const char *name,
                                const char **out)
{
    const config_value_t *v;
    samsa_err_t rc = lookup(cfg, name, SAMSA_OPT_STRING, &v);
    if (rc == SAMSA_OK) {
        *out = v->s;
    }
    return rc;
}

samsa_err_t samsa_config_list(const samsa_config_t *cfg, const char *name,
                              const char *const **items, size_t *count)
{
    const config_value_t *v;
    samsa_err_t rc = lookup(cfg, name, SAMSA_OPT_LIST, &v);
    if (rc == SAMSA_OK) {
        *items = (const char *const *)v->list;
        *count = v->list_count;
    }
    return rc;
}

static const config_value_t *find_value(const samsa_config_t *cfg,
                                        const char *name)
{
    for (size_t i = 0; cfg != NULL && i < cfg->count; i++) {
        if (strcmp(cfg->values[i].name, name) == 0) {
            return &cfg->values[i];
        }
    }
    return NULL;
}

bool samsa_config_is_set(const samsa_config_t *cfg, const char *name)
{
    const config_value_t *v = find_value(cfg, name);
    return v != NULL && v->set;
}

const char *samsa_config_where(const samsa_config_t *cfg, const char *name,
                               uint32_t *line)
{
    const config_value_t *v = find_value(cfg, name);

    *line = v && v->set ? v->line : 0;
    return v && v->set ? v->file : NULL;
}
