/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_fixture.h - a log manager over the real storage-segment and
 * storage-memory plugins (loaded through the registry) in a fresh
 * temporary data directory, for unit tests of core/log and its users.
 * Assertions are cmocka's: include <cmocka.h> first.
 */
#ifndef TL_LOG_FIXTURE_H
#define TL_LOG_FIXTURE_H

#include "log/logmgr.h"
#include "registry/registry.h"

typedef struct tl_logs {
    char dir[256];
    samsa_registry_t *reg;
    samsa_logmgr_t *mgr;
} tl_logs_t;

/* Make the directory (/tmp/<prefix>-XXXXXX), load the plugins, open. */
void tl_setup(tl_logs_t *t, const char *prefix);
/* (Re)open the log manager on the directory (after a close). */
void tl_open(tl_logs_t *t);
/* Close the log manager and the plugins, remove the directory. */
void tl_teardown(tl_logs_t *t);
/* The engine lookup tl_open gives the log manager (@p arg: the tl_logs_t),
 * for fixtures that wrap it. */
samsa_err_t tl_lookup(void *arg, const char *name,
                      const samsa_storage_ops_t **ops, void **state);

/* A cmocka fixture: the log manager and the engine ("segment" or
 * "memory") the test creates its topics on. */
typedef struct tl_engine_fx {
    tl_logs_t logs; /* first: tl_lookup's argument */
    const char *engine;
} tl_engine_fx_t;
int tl_setup_segment(void **state);
int tl_setup_memory(void **state);
int tl_teardown_engine(void **state);

#endif
