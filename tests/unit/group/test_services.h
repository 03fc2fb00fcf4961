/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/unit/group/test_services.h - a minimal host for unit tests that
 * need a real log manager: a samsa_services_t, storage engines loaded with
 * dlopen from SAMSA_TEST_PLUGIN_DIR, and a log manager over a temporary
 * data directory.
 */
#ifndef SAMSA_TEST_SERVICES_H
#define SAMSA_TEST_SERVICES_H

#include <limits.h>
#include <stdbool.h>

#include <samsa/plugin.h>
#include <samsa/storage.h>

#include "log/logmgr.h"

const samsa_services_t *test_services(void);

typedef struct test_engine {
    void *dl;
    const samsa_plugin_t *desc;
    void *state;
    samsa_instance_t inst;
} test_engine_t;

typedef struct test_env {
    char dir[PATH_MAX];
    test_engine_t segment, memory;
    samsa_logmgr_t *mgr;
} test_env_t;

/* Make a fresh temp data dir, load storage-segment and storage-memory, open
 * a log manager. false (with a message on stderr) when the plugins are not
 * built. */
bool test_env_open(test_env_t *env);
/* Close the log manager and unload the engines, keeping the data dir. */
void test_env_shutdown(test_env_t *env);
/* Load engines and reopen the log manager over the same data dir. */
bool test_env_reopen(test_env_t *env);
/* test_env_shutdown, then remove the data dir. */
void test_env_close(test_env_t *env);

#endif /* SAMSA_TEST_SERVICES_H */
