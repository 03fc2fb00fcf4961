/* SPDX-License-Identifier: Apache-2.0 */
/* log_fixture.c - see log_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "log_fixture.h"

samsa_err_t tl_lookup(void *arg, const char *name,
                      const samsa_storage_ops_t **ops, void **state)
{
    tl_logs_t *t = arg;
    const samsa_registry_entry_t *e =
        samsa_registry_find(t->reg, SAMSA_KIND_STORAGE, name);
    if (!e) {
        return SAMSA_ERR_NOT_FOUND;
    }
    *ops = samsa_entry_storage_ops(e);
    *state = e->state;
    return SAMSA_OK;
}

void tl_open(tl_logs_t *t)
{
    samsa_logmgr_options_t o = {.data_dir = t->dir,
                                .engine_lookup = tl_lookup,
                                .engine_lookup_arg = t,
                                .housekeep_interval_ms = 60000};
    char err[256];
    assert_int_equal(samsa_logmgr_open(&o, &t->mgr, err, sizeof(err)),
                     SAMSA_OK);
}

void tl_setup(tl_logs_t *t, const char *prefix)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/%s-XXXXXX", prefix);
    assert_non_null(mkdtemp(t->dir));
    char conf[300], path[512];
    snprintf(conf, sizeof(conf), "%s/conf", t->dir);
    assert_int_equal(mkdir(conf, 0755), 0);
    snprintf(path, sizeof(path), "%s/storage.yaml", conf);
    FILE *y = fopen(path, "w");
    assert_non_null(y);
    fprintf(y, "plugins:\n  - name: segment\n    plugin: storage-segment\n"
               "  - name: memory\n    plugin: storage-memory\n");
    fclose(y);
    samsa_registry_opts_t ro = {.conf_dir = conf,
                                .plugin_dir = getenv("SAMSA_TEST_PLUGIN_DIR"),
                                .data_dir = t->dir};
    char err[512];
    assert_int_equal(samsa_registry_load(&ro, &t->reg, err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_registry_init(t->reg, err, sizeof(err)), SAMSA_OK);
    tl_open(t);
}

void tl_teardown(tl_logs_t *t)
{
    samsa_logmgr_close(t->mgr);
    samsa_registry_shutdown(t->reg);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

static int setup_engine(void **state, const char *engine)
{
    tl_engine_fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->engine = engine;
    tl_setup(&f->logs, "samsa-log");
    *state = f;
    return 0;
}

int tl_setup_segment(void **state)
{
    return setup_engine(state, "segment");
}

int tl_setup_memory(void **state)
{
    return setup_engine(state, "memory");
}

int tl_teardown_engine(void **state)
{
    tl_engine_fx_t *f = *state;
    tl_teardown(&f->logs);
    free(f);
    return 0;
}
