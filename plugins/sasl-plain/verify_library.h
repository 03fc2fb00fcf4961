/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/sasl-plain/verify_library.h - the user's verify library
 * (include/samsa/sasl_plain_verify.h): loaded once at init, then its
 * function is called from any reactor; the handle is owned by the plugin
 * instance and closed by plain_verify_library_close().
 */
#ifndef SASL_PLAIN_VERIFY_LIBRARY_H
#define SASL_PLAIN_VERIFY_LIBRARY_H

#include <stddef.h>

#include <samsa/plugin.h>
#include <samsa/sasl_plain_verify.h>

typedef struct plain_verify_library {
    void *handle;
    samsa_plain_verify_fn verify;
} plain_verify_library_t;

/** dlopen @p path and find samsa_plain_verify; on failure the reason
 *  (dlerror's text, naming the path) is in @p errbuf. */
samsa_err_t plain_verify_library_open(const char *path,
                                      plain_verify_library_t *out, char *errbuf,
                                      size_t errbuf_size);
void plain_verify_library_close(plain_verify_library_t *lib);

#endif /* SASL_PLAIN_VERIFY_LIBRARY_H */
