/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/manifest.c - conf.d manifests -> registry entries. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry_int.h"

static samsa_err_t mfail(char *errbuf, size_t size, const samsa_ynode_t *at,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static samsa_err_t mfail(char *errbuf, size_t size, const samsa_ynode_t *at,
                         const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(errbuf, size, "%s:%u: %s", at->file, at->line, msg);
    return SAMSA_ERR_CONFIG;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.yaml names in @p dir, except the broker's samsa.yaml. */
static samsa_err_t list_manifests(const char *dir, char ***names, size_t *count,
                                  char *errbuf, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    samsa_err_t rc = SAMSA_OK;

    *names = NULL;
    *count = 0;
    if (d == NULL) {
        snprintf(errbuf, size, "%s: cannot open conf dir: %s", dir,
                 strerror(errno));
        return SAMSA_ERR_IO;
    }
    while ((de = readdir(d)) != NULL) {
        char **grown;
        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".yaml") ||
            strcmp(de->d_name, "samsa.yaml") == 0) {
            continue;
        }
        grown = realloc(*names, (*count + 1) * sizeof(char *));
        if (grown == NULL || (grown[*count] = strdup(de->d_name)) == NULL) {
            *names = grown ? grown : *names;
            rc = SAMSA_ERR_NOMEM;
            break;
        }
        *names = grown;
        (*count)++;
    }
    closedir(d);
    if (*count > 1) {
        qsort(*names, *count, sizeof(char *), cmp_names);
    }
    return rc;
}

static bool valid_instance_name(const char *s)
{
    if (s[0] == '\0') {
        return false;
    }
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

static const samsa_registry_entry_t *find_name(const samsa_registry_t *reg,
                                               const char *name)
{
    for (size_t i = 0; i < reg->count; i++) {
        if (strcmp(reg->entries[i]->name, name) == 0) {
            return reg->entries[i];
        }
    }
    return NULL;
}

static samsa_err_t want_string(const samsa_ynode_t *item, const char *key,
                               const char **out, char *errbuf, size_t size)
{
    const samsa_ynode_t *v = samsa_ynode_get(item, key);

    if (v == NULL) {
        return mfail(errbuf, size, item,
                     "plugin entry has no '%s:' (expected name, plugin, "
                     "and optionally enabled, config)",
                     key);
    }
    if (v->type != SAMSA_YNODE_SCALAR || samsa_ynode_is_null(v)) {
        return mfail(errbuf, size, v, "'%s' expects a string, got a %s", key,
                     samsa_ynode_is_null(v) ? "null"
                                            : samsa_ynode_type_name(v));
    }
    *out = v->value;
    return SAMSA_OK;
}

static samsa_err_t check_entry_keys(const samsa_ynode_t *item, char *errbuf,
                                    size_t size)
{
    static const char *const allowed[] = {"name", "plugin", "enabled", "config",
                                          NULL};

    for (size_t k = 0; k < item->count; k++) {
        bool ok = false;
        for (int a = 0; allowed[a] != NULL; a++) {
            ok = ok || strcmp(item->keys[k]->value, allowed[a]) == 0;
        }
        if (!ok) {
            return mfail(errbuf, size, item->keys[k],
                         "unknown key '%s' in plugin entry; allowed: name, "
                         "plugin, enabled, config",
                         item->keys[k]->value);
        }
    }
    return SAMSA_OK;
}

static samsa_err_t add_entry(samsa_registry_t *reg, const samsa_ynode_t *item,
                             char *errbuf, size_t size)
{
    const char *name = NULL, *plugin = NULL;
    const samsa_ynode_t *en = samsa_ynode_get(item, "enabled");
    const samsa_ynode_t *cfg = samsa_ynode_get(item, "config");
    const samsa_registry_entry_t *dup;
    samsa_registry_entry_t *e, **entries;
    const samsa_ynode_t **nodes;
    bool enabled = true;
    samsa_err_t rc;

    if (item->type != SAMSA_YNODE_MAP) {
        return mfail(errbuf, size, item,
                     "plugin entry must be a mapping (name:, plugin:, "
                     "config:), found a %s",
                     samsa_ynode_type_name(item));
    }
    if ((rc = check_entry_keys(item, errbuf, size)) ||
        (rc = want_string(item, "name", &name, errbuf, size)) ||
        (rc = want_string(item, "plugin", &plugin, errbuf, size))) {
        return rc;
    }
    if (!valid_instance_name(name)) {
        return mfail(errbuf, size, samsa_ynode_get(item, "name"),
                     "instance name '%s' may only use letters, digits, "
                     "'-', '_' and '.'",
                     name);
    }
    if (en != NULL && !samsa_ynode_bool(en, &enabled)) {
        return mfail(
            errbuf, size, en, "'enabled' expects a bool (true/false), got '%s'",
            en->type == SAMSA_YNODE_SCALAR ? en->value
                                           : samsa_ynode_type_name(en));
    }
    if (cfg != NULL && !samsa_ynode_is_null(cfg) &&
        cfg->type != SAMSA_YNODE_MAP) {
        return mfail(errbuf, size, cfg,
                     "'config' expects a mapping of option: value, found a %s",
                     samsa_ynode_type_name(cfg));
    }
    dup = find_name(reg, name);
    if (dup != NULL) {
        return mfail(errbuf, size, samsa_ynode_get(item, "name"),
                     "duplicate instance name '%s' (first defined at %s:%u)",
                     name, dup->manifest, dup->line);
    }
    e = calloc(1, sizeof(*e));
    entries = realloc(reg->entries, (reg->count + 1) * sizeof(*entries));
    reg->entries = entries ? entries : reg->entries;
    nodes = realloc(reg->config_nodes, (reg->count + 1) * sizeof(*nodes));
    reg->config_nodes = nodes ? nodes : reg->config_nodes;
    if (e == NULL || entries == NULL || nodes == NULL ||
        (e->name = strdup(name)) == NULL ||
        (e->plugin = strdup(plugin)) == NULL ||
        (e->manifest = strdup(item->file)) == NULL) {
        if (e != NULL) {
            free(e->name);
            free(e->plugin);
            free(e);
        }
        snprintf(errbuf, size, "out of memory reading manifests");
        return SAMSA_ERR_NOMEM;
    }
    e->line = item->line;
    e->enabled = enabled;
    reg->entries[reg->count] = e;
    reg->config_nodes[reg->count] = cfg;
    reg->count++;
    return SAMSA_OK;
}

static samsa_err_t read_manifest(samsa_registry_t *reg, const samsa_ydoc_t *doc,
                                 char *errbuf, size_t size)
{
    const samsa_ynode_t *root = doc->root, *list;

    if (root == NULL || samsa_ynode_is_null(root)) {
        return SAMSA_OK; /* an empty manifest is allowed */
    }
    if (root->type != SAMSA_YNODE_MAP) {
        return mfail(errbuf, size, root,
                     "a manifest is a mapping with a 'plugins:' list, "
                     "found a %s",
                     samsa_ynode_type_name(root));
    }
    for (size_t k = 0; k < root->count; k++) {
        if (strcmp(root->keys[k]->value, "plugins") != 0) {
            return mfail(errbuf, size, root->keys[k],
                         "unknown key '%s' in manifest; allowed: plugins",
                         root->keys[k]->value);
        }
    }
    list = samsa_ynode_get(root, "plugins");
    if (list == NULL || samsa_ynode_is_null(list)) {
        return SAMSA_OK;
    }
    if (list->type != SAMSA_YNODE_SEQ) {
        return mfail(errbuf, size, list,
                     "'plugins' expects a list of entries (- name: ...), "
                     "found a %s",
                     samsa_ynode_type_name(list));
    }
    for (size_t i = 0; i < list->count; i++) {
        samsa_err_t rc = add_entry(reg, list->items[i], errbuf, size);
        if (rc != SAMSA_OK) {
            return rc;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t keep_doc(samsa_registry_t *reg, samsa_ydoc_t *doc)
{
    samsa_ydoc_t **docs =
        realloc(reg->docs, (reg->doc_count + 1) * sizeof(*docs));
    if (docs == NULL) {
        samsa_yaml_free(doc);
        return SAMSA_ERR_NOMEM;
    }
    reg->docs = docs;
    docs[reg->doc_count++] = doc;
    return SAMSA_OK;
}

samsa_err_t samsa_manifest_read_dir(samsa_registry_t *reg, char *errbuf,
                                    size_t errbuf_size)
{
    char **names = NULL;
    size_t count = 0;
    samsa_err_t rc =
        list_manifests(reg->conf_dir, &names, &count, errbuf, errbuf_size);

    for (size_t i = 0; rc == SAMSA_OK && i < count; i++) {
        size_t n = strlen(reg->conf_dir) + strlen(names[i]) + 2;
        char *path = malloc(n);
        samsa_ydoc_t *doc = NULL;

        if (path == NULL) {
            rc = SAMSA_ERR_NOMEM;
            break;
        }
        snprintf(path, n, "%s/%s", reg->conf_dir, names[i]);
        rc = samsa_yaml_load_file(path, &doc, errbuf, errbuf_size);
        free(path);
        if (rc == SAMSA_OK) {
            rc = keep_doc(reg, doc);
        }
        if (rc == SAMSA_OK) {
            rc = read_manifest(reg, doc, errbuf, errbuf_size);
        }
    }
    for (size_t i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    if (rc == SAMSA_ERR_NOMEM) {
        snprintf(errbuf, errbuf_size, "out of memory reading manifests");
    }
    return rc;
}
