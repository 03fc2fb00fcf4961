/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/sasl-plain/verify_library.c - see verify_library.h. */
#include "verify_library.h"

#include <dlfcn.h>
#include <stdio.h>

samsa_err_t plain_verify_library_open(const char *path,
                                      plain_verify_library_t *out, char *errbuf,
                                      size_t errbuf_size)
{
    out->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    out->verify = NULL;
    if (!out->handle) {
        snprintf(errbuf, errbuf_size, "verify_library '%s': %s", path,
                 dlerror());
        return SAMSA_ERR_CONFIG;
    }
    dlerror();
    void *sym = dlsym(out->handle, SAMSA_PLAIN_VERIFY_SYMBOL);
    if (!sym) {
        snprintf(errbuf, errbuf_size,
                 "verify_library '%s' has no symbol " SAMSA_PLAIN_VERIFY_SYMBOL,
                 path);
        dlclose(out->handle);
        out->handle = NULL;
        return SAMSA_ERR_CONFIG;
    }
    /* POSIX allows the object-to-function pointer conversion dlsym needs. */
    *(void **)&out->verify = sym;
    return SAMSA_OK;
}

void plain_verify_library_close(plain_verify_library_t *lib)
{
    if (lib->handle) {
        dlclose(lib->handle);
        lib->handle = NULL;
    }
    lib->verify = NULL;
}
