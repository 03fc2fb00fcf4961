/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal stand-in for the plugin registry, for unit tests of codec and
 * partitioner plugins: dlopen()s a .so from SAMSA_TEST_PLUGIN_DIR, checks
 * its descriptor, and calls init() with a services table implemented here
 * (config from the descriptor's defaults plus per-test overrides, counted
 * allocations, a controllable monotonic clock).
 */
#ifndef SAMSA_TEST_PLUGIN_HARNESS_H
#define SAMSA_TEST_PLUGIN_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <samsa/plugin.h>

/** One option override; list options set items/count, others value. */
typedef struct harness_opt {
    const char *name;
    const char *value;
    const char *const *items;
    size_t count;
} harness_opt_t;

struct samsa_config {
    const samsa_option_t *table; /* the plugin's option table (defaults) */
    const harness_opt_t *set;    /* overrides, terminated by name NULL */
};

typedef struct harness_plugin {
    void *dl;
    const samsa_plugin_t *desc;
    samsa_config_t config;
    samsa_instance_t inst;
    void *state;
    char path[1024];
    char errbuf[256];
} harness_plugin_t;

/** The services table handed to plugins. */
extern const samsa_services_t harness_services;

/** Loads plugins/<name>.so and calls init(); returns init's result (or
 *  SAMSA_ERR_NOT_FOUND / SAMSA_ERR_ABI for a load problem). */
samsa_err_t harness_load(harness_plugin_t *hp, const char *name,
                         const harness_opt_t *overrides);
/** Calls fini() and dlclose()s. */
void harness_unload(harness_plugin_t *hp);

/** Bytes currently allocated through harness_services.alloc. */
size_t harness_live_bytes(void);
/** Highest harness_live_bytes() since the last harness_reset_peak(). */
size_t harness_peak_bytes(void);
void harness_reset_peak(void);

/** Fake monotonic clock: when set (>= 0), monotonic_ms returns it. */
void harness_set_clock_ms(int64_t now_ms);

/** Reads a whole file (malloc'd) from $SAMSA_SOURCE_DIR/<rel>. */
unsigned char *harness_read_source_file(const char *rel, size_t *len);

#endif
