/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/loader.c - dlopen a plugin and check it against the ABI. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/options.h"
#include "registry/kinds.h"
#include "registry/registry_int.h"

/* The smallest descriptor ABI 1.0 defines: everything up to `ops`. */
#define DESC_MIN_SIZE (offsetof(samsa_plugin_t, ops) + sizeof(void *))

static samsa_err_t lfail(char *errbuf, size_t size, samsa_err_t err,
                         const samsa_registry_entry_t *e, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static samsa_err_t lfail(char *errbuf, size_t size, samsa_err_t err,
                         const samsa_registry_entry_t *e, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(errbuf, size, "%s:%u: instance '%s' (plugin %s): %s", e->manifest,
             e->line, e->name, e->plugin, msg);
    return err;
}

/* plugin: NAME -> <plugin_dir>/NAME.so; an absolute path as is; a relative
 * path with a '/' from the manifest's directory. */
static char *resolve_path(const samsa_registry_t *reg,
                          const samsa_registry_entry_t *e)
{
    const char *p = e->plugin;
    const char *ext =
        strlen(p) > 3 && strcmp(p + strlen(p) - 3, ".so") == 0 ? "" : ".so";
    size_t n;
    char *out;

    if (p[0] == '/') {
        return strdup(p);
    }
    if (strchr(p, '/') != NULL) {
        const char *slash = strrchr(e->manifest, '/');
        int dirlen = slash ? (int)(slash - e->manifest) : 1;
        const char *dir = slash ? e->manifest : ".";
        n = (size_t)dirlen + strlen(p) + 2;
        out = malloc(n);
        if (out != NULL) {
            snprintf(out, n, "%.*s/%s", dirlen, dir, p);
        }
        return out;
    }
    n = strlen(reg->plugin_dir) + strlen(p) + strlen(ext) + 2;
    out = malloc(n);
    if (out != NULL) {
        snprintf(out, n, "%s/%s%s", reg->plugin_dir, p, ext);
    }
    return out;
}

static samsa_err_t open_so(const samsa_registry_t *reg,
                           samsa_registry_entry_t *e, char *errbuf, size_t size)
{
    struct stat st;

    e->path = resolve_path(reg, e);
    if (e->path == NULL) {
        return lfail(errbuf, size, SAMSA_ERR_NOMEM, e, "out of memory");
    }
    if (stat(e->path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return lfail(errbuf, size, SAMSA_ERR_CONFIG, e,
                     "plugin file %s not found (plugin_dir is %s); build "
                     "the plugin, fix 'plugin:', or set --plugin-dir",
                     e->path, reg->plugin_dir);
    }
    e->file_dev = (int64_t)st.st_dev;
    e->file_ino = (int64_t)st.st_ino;
    e->file_mtime_ns =
        (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    e->file_size = (int64_t)st.st_size;
    char copy[4096] = "";
    if (e->load_copy &&
        samsa_loader_copy_so(reg, e->path, copy, sizeof(copy)) != SAMSA_OK) {
        return lfail(errbuf, size, SAMSA_ERR_IO, e,
                     "cannot copy %s for loading into %s: %s", e->path,
                     reg->data_dir, strerror(errno));
    }
    dlerror();
    e->handle = dlopen(copy[0] ? copy : e->path, RTLD_NOW | RTLD_LOCAL);
    if (copy[0]) {
        unlink(copy); /* mapped now; nothing left on disk */
    }
    if (e->handle == NULL) {
        const char *why = dlerror();
        return lfail(errbuf, size, SAMSA_ERR_ABI, e, "cannot load %s: %s",
                     e->path, why ? why : "unknown dlopen error");
    }
    return SAMSA_OK;
}

/* Read the descriptor: header first, then min(host, plugin) bytes into a
 * zeroed host-size copy. Never reads sizeof() bytes of plugin memory. */
static samsa_err_t read_descriptor(samsa_registry_entry_t *e, char *errbuf,
                                   size_t size)
{
    samsa_plugin_entry_fn entry;
    const samsa_plugin_t *desc;
    samsa_abi_header_t hdr;
    size_t n;

    dlerror();
    *(void **)&entry = dlsym(e->handle, SAMSA_PLUGIN_ENTRY);
    if (entry == NULL) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                     "%s does not export the entry point %s(); declare it "
                     "with SAMSA_PLUGIN_DECLARE(descriptor)",
                     e->path, SAMSA_PLUGIN_ENTRY);
    }
    desc = entry();
    if (desc == NULL) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e, "%s: %s() returned NULL",
                     e->path, SAMSA_PLUGIN_ENTRY);
    }
    memcpy(&hdr, desc, sizeof(hdr));
    e->plugin_abi_major = hdr.abi_major;
    e->plugin_abi_minor = hdr.abi_minor;
    if (hdr.abi_major != SAMSA_ABI_MAJOR) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                     "%s was built for plugin ABI %u.%u, but this samsad "
                     "provides ABI %d.%d (accepts %d.x); rebuild the plugin "
                     "against the installed Samsa SDK",
                     e->path, hdr.abi_major, hdr.abi_minor, SAMSA_ABI_MAJOR,
                     SAMSA_ABI_MINOR, SAMSA_ABI_MAJOR);
    }
    if (hdr.struct_size < DESC_MIN_SIZE) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                     "%s: descriptor struct_size %u is smaller than the %zu "
                     "bytes of samsa_plugin_t in ABI %d.0; declare it with "
                     "SAMSA_ABI_HEADER(samsa_plugin_t)",
                     e->path, hdr.struct_size, DESC_MIN_SIZE, SAMSA_ABI_MAJOR);
    }
    n = hdr.struct_size < sizeof(e->desc) ? hdr.struct_size : sizeof(e->desc);
    memset(&e->desc, 0, sizeof(e->desc));
    memcpy(&e->desc, desc, n);
    return SAMSA_OK;
}

static samsa_err_t check_descriptor(samsa_registry_entry_t *e,
                                    const samsa_kind_info_t **kind,
                                    char *errbuf, size_t size)
{
    const char *missing = NULL;

    *kind = samsa_kind_info(e->desc.kind);
    if (*kind == NULL) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                     "%s declares unknown plugin kind %u; this samsad knows "
                     "1-9 (storage, partitioner, codec, sasl, authorizer, "
                     "transport, source, sink, transform)",
                     e->path, e->desc.kind);
    }
    e->kind = e->desc.kind;
    if (e->desc.name == NULL) {
        missing = "name";
    } else if (e->desc.init == NULL) {
        missing = "init";
    } else if (e->desc.fini == NULL) {
        missing = "fini";
    } else if (e->desc.ops == NULL) {
        missing = "ops";
    }
    if (missing != NULL) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                     "%s: descriptor is missing mandatory field '%s'", e->path,
                     missing);
    }
    return SAMSA_OK;
}

static samsa_err_t read_ops(samsa_registry_entry_t *e,
                            const samsa_kind_info_t *kind, char *errbuf,
                            size_t size)
{
    samsa_abi_header_t hdr;
    void *copy;
    size_t n;

    memcpy(&hdr, e->desc.ops, sizeof(hdr));
    if (hdr.abi_major != SAMSA_ABI_MAJOR) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                     "%s: %s was built for ABI %u.%u, this samsad provides "
                     "%d.%d; rebuild the plugin against the installed Samsa "
                     "SDK",
                     e->path, kind->ops_type, hdr.abi_major, hdr.abi_minor,
                     SAMSA_ABI_MAJOR, SAMSA_ABI_MINOR);
    }
    if (hdr.struct_size < sizeof(hdr)) {
        return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                     "%s: %s struct_size %u is too small; declare it with "
                     "SAMSA_ABI_HEADER(%s)",
                     e->path, kind->ops_type, hdr.struct_size, kind->ops_type);
    }
    copy = calloc(1, kind->ops_size);
    if (copy == NULL) {
        return lfail(errbuf, size, SAMSA_ERR_NOMEM, e, "out of memory");
    }
    n = hdr.struct_size < kind->ops_size ? hdr.struct_size : kind->ops_size;
    memcpy(copy, e->desc.ops, n);
    e->ops = copy;
    for (const samsa_kind_op_t *op = kind->mandatory; op->name; op++) {
        void *ptr;
        memcpy(&ptr, (const char *)copy + op->offset, sizeof(ptr));
        if (ptr == NULL) {
            return lfail(errbuf, size, SAMSA_ERR_ABI, e,
                         "%s: missing mandatory op '%s' in %s", e->path,
                         op->name, kind->ops_type);
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_loader_load(const samsa_registry_t *reg,
                              samsa_registry_entry_t *e,
                              const samsa_ynode_t *config_node, char *errbuf,
                              size_t errbuf_size)
{
    const samsa_kind_info_t *kind = NULL;
    char what[512];
    samsa_err_t rc;

    if ((rc = open_so(reg, e, errbuf, errbuf_size)) ||
        (rc = read_descriptor(e, errbuf, errbuf_size)) ||
        (rc = check_descriptor(e, &kind, errbuf, errbuf_size)) ||
        (rc = read_ops(e, kind, errbuf, errbuf_size))) {
        return rc;
    }
    snprintf(what, sizeof(what), "plugin %s", e->path);
    rc = samsa_options_check_table(e->desc.options, what, errbuf, errbuf_size);
    if (rc != SAMSA_OK) {
        char inner[768];
        snprintf(inner, sizeof(inner), "%s", errbuf);
        return lfail(errbuf, errbuf_size, SAMSA_ERR_ABI, e, "%s", inner);
    }
    if (reg->skip_config) {
        e->loaded = true;
        return SAMSA_OK;
    }
    snprintf(what, sizeof(what), "instance '%s' (plugin %s)", e->name,
             e->plugin);
    rc = samsa_config_build(e->desc.options, config_node, what, e->manifest,
                            e->line, &e->config, errbuf, errbuf_size);
    if (rc != SAMSA_OK) {
        return rc;
    }
    e->loaded = true;
    return SAMSA_OK;
}

void samsa_loader_unload(samsa_registry_entry_t *e)
{
    free((void *)e->ops);
    e->ops = NULL;
    samsa_config_free(e->config);
    e->config = NULL;
    if (e->handle != NULL) {
        dlclose(e->handle);
        e->handle = NULL;
    }
    e->loaded = false;
}
