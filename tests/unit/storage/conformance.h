/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conformance.h - the shared storage-engine conformance table.
 *
 * Any engine .so implementing include/samsa/storage.h can run it:
 *     return sc_run("/path/to/storage-foo.so", &caps);
 * The suite loads the .so with dlopen, calls init() with a minimal services
 * table (fake clock, no config: option defaults apply) and runs every case
 * of the table against fresh logs in a temporary data directory.
 */
#ifndef SC_CONFORMANCE_H
#define SC_CONFORMANCE_H

#include <stdbool.h>
#include <stdint.h>

#include <samsa/storage.h>

typedef struct sc_caps {
    bool persistent; /* data survives close()/open() */
    bool segmented;  /* segment.bytes makes segment_count grow */
} sc_caps_t;

/** Loaded engine plus the fixture state the cases share. */
typedef struct sc_engine {
    void *dl;
    const samsa_plugin_t *plug;
    const samsa_storage_ops_t *ops;
    void *state;
    char dir[256];
    bool owns_dir; /* sc_unload removes dir */
    samsa_instance_t inst;
} sc_engine_t;

/** Run the whole table; returns the number of failed cases. */
int sc_run(const char *so_path, const sc_caps_t *caps);

/* Helpers also used by engine-specific tests. */
extern const samsa_services_t sc_services;
extern int64_t sc_clock_ms;
/** Load and init with a fresh temporary data dir (removed by sc_unload). */
bool sc_load(sc_engine_t *eng, const char *so_path);
/** Load and init over an existing data dir (left in place). */
bool sc_load_at(sc_engine_t *eng, const char *so_path, const char *dir);
void sc_unload(sc_engine_t *eng);
samsa_log_config_t sc_config(void);
/** Append one batch of @p n fill records at LEO; returns its size. */
size_t sc_append_fill(const samsa_storage_ops_t *ops, samsa_storage_log_t *log,
                      int n, size_t value_size, int64_t ts);
/** Copy what a read returned into @p buf (must hold total_bytes). */
void sc_copy_read(const samsa_storage_read_t *rd, uint8_t *buf);
/** Read everything from @p from to LEO and check batches are whole, CRC-
 *  valid and contiguous in offset order; returns the batches seen. */
int sc_verify_all(const samsa_storage_ops_t *ops, samsa_storage_log_t *log,
                  int64_t from);

#endif
