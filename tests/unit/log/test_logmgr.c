/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log manager over real storage plugins (loaded through the registry):
 * topics are created, appended to, read, altered, grown, trimmed, deleted,
 * and survive a reopen.
 */
#include <semaphore.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/logmgr.h"
#include "log/partition_int.h" /* white-box: flush counters */
#include "record/batch.h"
#include "record/builder.h"
#include "registry/registry.h"

typedef struct fixture {
    char dir[256];
    char conf[300];
    samsa_registry_t *reg;
    samsa_logmgr_t *mgr;
} fixture_t;

/* Engine "gated": storage-memory whose flush waits for the test to open
 * the gate, so a test can see what happens before a flush has returned. */
static const samsa_storage_ops_t *memory_ops;
static samsa_storage_ops_t gated_ops;
static sem_t flush_gate;
static atomic_bool flush_returned;

static samsa_err_t gated_flush(samsa_storage_log_t *log)
{
    sem_wait(&flush_gate);
    samsa_err_t err = memory_ops->flush(log);
    atomic_store(&flush_returned, true);
    return err;
}

static samsa_err_t lookup(void *arg, const char *name,
                          const samsa_storage_ops_t **ops, void **state)
{
    fixture_t *f = arg;
    bool gated = strcmp(name, "gated") == 0;
    const samsa_registry_entry_t *e = samsa_registry_find(
        f->reg, SAMSA_KIND_STORAGE, gated ? "memory" : name);
    if (!e) {
        return SAMSA_ERR_NOT_FOUND;
    }
    *ops = samsa_entry_storage_ops(e);
    *state = e->state;
    if (gated) {
        memory_ops = *ops;
        gated_ops = *memory_ops;
        gated_ops.flush = gated_flush;
        *ops = &gated_ops;
    }
    return SAMSA_OK;
}

static void open_mgr(fixture_t *f)
{
    samsa_logmgr_options_t o = {.data_dir = f->dir,
                                .engine_lookup = lookup,
                                .engine_lookup_arg = f,
                                .housekeep_interval_ms = 60000};
    char err[256];
    assert_int_equal(samsa_logmgr_open(&o, &f->mgr, err, sizeof(err)),
                     SAMSA_OK);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/samsa-logmgr-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->conf, sizeof(f->conf), "%s/conf", f->dir);
    assert_int_equal(mkdir(f->conf, 0755), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/storage.yaml", f->conf);
    FILE *y = fopen(path, "w");
    fprintf(y, "plugins:\n  - name: segment\n    plugin: storage-segment\n"
               "  - name: memory\n    plugin: storage-memory\n");
    fclose(y);
    samsa_registry_opts_t ro = {.conf_dir = f->conf,
                                .plugin_dir = getenv("SAMSA_TEST_PLUGIN_DIR"),
                                .data_dir = f->dir};
    char err[512];
    assert_int_equal(samsa_registry_load(&ro, &f->reg, err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_registry_init(f->reg, err, sizeof(err)), SAMSA_OK);
    open_mgr(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    samsa_logmgr_close(f->mgr);
    samsa_registry_shutdown(f->reg);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* One uncompressed batch of n records "v<i>". */
static uint8_t *make_batch(int n, size_t *len)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    for (int i = 0; i < n; i++) {
        char v[16];
        int vl = snprintf(v, sizeof(v), "v%d", i);
        assert_int_equal(
            samsa_batch_builder_add(&b, 1000 + i, NULL, -1, v, vl, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *out;
    assert_int_equal(samsa_batch_builder_finish(&b, &out, len), SAMSA_OK);
    samsa_batch_builder_free(&b);
    return out;
}

static void append_n(samsa_partition_t *part, int n, int64_t expect_base)
{
    size_t len;
    uint8_t *b = make_batch(n, &len);
    samsa_batches_info_t info;
    assert_int_equal(samsa_batches_validate(b, len, 0, &info), SAMSA_OK);
    int64_t base;
    assert_int_equal(samsa_partition_append(part, b, len, -1, &base, NULL),
                     SAMSA_OK);
    assert_int_equal(base, expect_base);
    free(b);
}

static void create_append_read_and_reopen(void **state)
{
    fixture_t *f = *state;
    char err[256];
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "orders", 3, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, "orders");
    assert_non_null(t);
    assert_int_equal(t->partition_count, 3);
    samsa_partition_t *p = samsa_topic_partition(t, 1);
    append_n(p, 5, 0);
    append_n(p, 3, 5);
    assert_int_equal(samsa_partition_hw(p), 8);
    uint8_t id[16];
    memcpy(id, t->id, 16);
    samsa_topic_put(t);

    samsa_logmgr_close(f->mgr);
    open_mgr(f);
    t = samsa_logmgr_topic_get(f->mgr, "orders");
    assert_non_null(t);
    assert_memory_equal(t->id, id, 16);
    assert_int_equal(t->partition_count, 3);
    p = samsa_topic_partition(t, 1);
    assert_int_equal(samsa_partition_hw(p), 8);
    samsa_storage_read_t rd;
    assert_int_equal(samsa_partition_read(p, 5, -1, 1 << 20, 0, &rd), SAMSA_OK);
    assert_int_equal(rd.next_offset, 8);
    samsa_partition_read_release(p, &rd);
    samsa_topic_put(t);
}

/* In a cluster the controller's topic id is every broker's: a topic
 * created with it keeps it, marked as assigned, across a reopen; one
 * created alone has its own, not marked. */
static void an_assigned_topic_id_is_kept_across_a_reopen(void **state)
{
    fixture_t *f = *state;
    char err[256];
    const uint8_t id[16] = {0x5a, 0x3c, 1, 2,  3,  4,  0x45, 6,
                            0x87, 8,    9, 10, 11, 12, 13,   14};
    assert_int_equal(samsa_logmgr_create_topic_id(f->mgr, "given", id, 2, NULL,
                                                  err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "minted", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_logmgr_close(f->mgr);
    open_mgr(f);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, "given");
    assert_non_null(t);
    assert_memory_equal(t->id, id, 16);
    assert_true(t->id_assigned);
    assert_int_equal(t->partition_count, 2);
    samsa_topic_put(t);
    t = samsa_logmgr_topic_get_by_id(f->mgr, id);
    assert_non_null(t);
    assert_string_equal(t->name, "given");
    samsa_topic_put(t);
    t = samsa_logmgr_topic_get(f->mgr, "minted");
    assert_non_null(t);
    assert_false(t->id_assigned);
    assert_memory_not_equal(t->id, id, 16);
    samsa_topic_put(t);
}

static void bad_names_counts_and_configs_are_refused(void **state)
{
    fixture_t *f = *state;
    char err[256];
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "bad/name", 1, NULL,
                                               false, err, sizeof(err)),
                     SAMSA_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "t", 0, NULL, false, err,
                                               sizeof(err)),
                     SAMSA_ERR_INVALID_PARTITIONS);
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "retention.ms", "soon");
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "t", 1, &cfg, false, err,
                                               sizeof(err)),
                     SAMSA_ERR_INVALID_CONFIG);
    assert_non_null(strstr(err, "retention.ms"));
    samsa_tcfg_free(&cfg);
    samsa_tcfg_set(&cfg, "colour", "blue");
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "t", 1, &cfg, false, err,
                                               sizeof(err)),
                     SAMSA_ERR_INVALID_CONFIG);
    samsa_tcfg_free(&cfg);
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "t", 1, NULL, false, err,
                                               sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "t", 1, NULL, false, err,
                                               sizeof(err)),
                     SAMSA_ERR_TOPIC_ALREADY_EXISTS);
}

static void alter_grow_trim_and_delete(void **state)
{
    fixture_t *f = *state;
    char err[256];
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "samsa.storage.engine", "memory");
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "m", 1, &cfg, false, err,
                                               sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
    samsa_tcfg_kv_t set[] = {{"retention.ms", "1000"}};
    assert_int_equal(samsa_logmgr_alter_config(f->mgr, "m", set, 1, true, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, "m");
    assert_int_equal(samsa_topic_config_long(t, "retention.ms"), 1000);
    samsa_tcfg_kv_t del[] = {{"retention.ms", NULL}};
    assert_int_equal(samsa_logmgr_alter_config(f->mgr, "m", del, 1, true, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_topic_config_long(t, "retention.ms"), 604800000);
    samsa_tcfg_kv_t engine[] = {{"samsa.storage.engine", "segment"}};
    assert_int_equal(samsa_logmgr_alter_config(f->mgr, "m", engine, 1, true,
                                               false, err, sizeof(err)),
                     SAMSA_ERR_INVALID_CONFIG);
    /* Deleting it would change it too (back to the default segment). */
    samsa_tcfg_kv_t engine_del[] = {{"samsa.storage.engine", NULL}};
    assert_int_equal(samsa_logmgr_alter_config(f->mgr, "m", engine_del, 1, true,
                                               false, err, sizeof(err)),
                     SAMSA_ERR_INVALID_CONFIG);
    /* Setting it to what it is changes nothing (a mirror's config sync). */
    samsa_tcfg_kv_t engine_same[] = {{"samsa.storage.engine", "memory"},
                                     {"retention.ms", "2000"}};
    assert_int_equal(samsa_logmgr_alter_config(f->mgr, "m", engine_same, 2,
                                               true, false, err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_topic_config_long(t, "retention.ms"), 2000);
    /* A replace (AlterConfigs) that does not name it keeps it. */
    samsa_tcfg_kv_t replace[] = {{"retention.ms", "3000"}};
    assert_int_equal(samsa_logmgr_alter_config(f->mgr, "m", replace, 1, false,
                                               false, err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_topic_config_long(t, "retention.ms"), 3000);
    char engine_now[32];
    samsa_topic_config_string(t, "samsa.storage.engine", engine_now,
                              sizeof(engine_now));
    assert_string_equal(engine_now, "memory");

    samsa_partition_t *p = samsa_topic_partition(t, 0);
    append_n(p, 10, 0);
    int64_t low;
    assert_int_equal(samsa_partition_delete_records(p, 4, &low), SAMSA_OK);
    assert_int_equal(low, 4);
    assert_int_equal(samsa_partition_delete_records(p, 11, &low),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    samsa_topic_put(t);

    assert_int_equal(
        samsa_logmgr_add_partitions(f->mgr, "m", 1, false, err, sizeof(err)),
        SAMSA_ERR_INVALID_PARTITIONS);
    assert_int_equal(
        samsa_logmgr_add_partitions(f->mgr, "m", 4, false, err, sizeof(err)),
        SAMSA_OK);
    t = samsa_logmgr_topic_get(f->mgr, "m");
    assert_int_equal(t->partition_count, 4);
    assert_int_equal(samsa_logmgr_delete_topic(f->mgr, "m"), SAMSA_OK);
    /* Still usable by whoever holds it; gone for new lookups. */
    append_n(samsa_topic_partition(t, 3), 1, 0);
    samsa_topic_put(t);
    assert_null(samsa_logmgr_topic_get(f->mgr, "m"));
    assert_int_equal(samsa_logmgr_delete_topic(f->mgr, "m"),
                     SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
}

static void a_deleted_topic_in_use_keeps_its_name_until_released(void **state)
{
    fixture_t *f = *state;
    char err[256];
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "again", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_topic_t *old = samsa_logmgr_topic_get(f->mgr, "again");
    append_n(samsa_topic_partition(old, 0), 3, 0);
    assert_int_equal(samsa_logmgr_delete_topic(f->mgr, "again"), SAMSA_OK);
    /* A parked fetch still holds the old topic: re-creating it now would let
     * the old data's removal hit the new topic's files. */
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "again", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_ERR_TOPIC_ALREADY_EXISTS);
    assert_non_null(strstr(err, "marked for deletion"));
    samsa_topic_put(old);
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "again", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, "again");
    samsa_partition_t *p = samsa_topic_partition(t, 0);
    assert_int_equal(samsa_partition_hw(p), 0); /* a fresh log */
    append_n(p, 2, 0);
    samsa_logmgr_housekeep_now(f->mgr);
    assert_int_equal(samsa_partition_hw(p), 2);
    samsa_topic_put(t);
}

/* Poll for up to 3 s: the flusher runs on its own thread. */
static bool flushes_reach(fixture_t *f, int64_t n)
{
    for (int i = 0; i < 300; i++) {
        if (samsa_logmgr_flush_count(f->mgr) >= n) {
            return true;
        }
        usleep(10000);
    }
    return false;
}

static samsa_partition_t *append_one(samsa_topic_t *t, int64_t *ticket)
{
    samsa_partition_t *p = samsa_topic_partition(t, 0);
    size_t len;
    uint8_t *b = make_batch(1, &len);
    samsa_batches_info_t info;
    assert_int_equal(samsa_batches_validate(b, len, 0, &info), SAMSA_OK);
    int64_t base;
    assert_int_equal(samsa_partition_append(p, b, len, -1, &base, ticket),
                     SAMSA_OK);
    free(b);
    return p;
}

typedef struct ack {
    samsa_flush_waiter_t w;
    atomic_bool done;
    atomic_bool flushed_before; /* the engine's flush had returned */
    samsa_err_t err;
} ack_t;

/* Flusher thread: what the Produce handler's hand-off sees. */
static void ack_done(samsa_flush_waiter_t *w, samsa_err_t err)
{
    ack_t *a = (ack_t *)w;
    atomic_store(&a->flushed_before, atomic_load(&flush_returned));
    a->err = err;
    atomic_store(&a->done, true);
}

static bool ack_arrives(ack_t *a)
{
    for (int i = 0; i < 500 && !atomic_load(&a->done); i++) {
        usleep(10000);
    }
    return atomic_load(&a->done);
}

/* Issue 11 item 7: with flush.messages=1 the acknowledgement of an append
 * comes only after the engine's flush of it has returned (Kafka: fsync
 * before the ack), and never blocks the appending thread. */
static void ack_waits_for_the_flush_the_policy_made_due(void **state)
{
    fixture_t *f = *state;
    char err[256];
    assert_int_equal(sem_init(&flush_gate, 0, 0), 0);
    atomic_store(&flush_returned, false);
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "flush.messages", "1");
    samsa_tcfg_set(&cfg, "samsa.storage.engine", "gated");
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "durable", 1, &cfg,
                                               false, err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, "durable");

    int64_t ticket;
    samsa_partition_t *p = append_one(t, &ticket); /* returns: no fsync */
    assert_int_equal(ticket, 1);
    ack_t a = {.w = {.done = ack_done}};
    assert_true(samsa_partition_flush_wait(p, ticket, &a.w));
    usleep(50000);
    assert_false(atomic_load(&a.done)); /* the flush has not returned */
    sem_post(&flush_gate);
    assert_true(ack_arrives(&a));
    assert_true(atomic_load(&a.flushed_before));
    assert_int_equal(a.err, SAMSA_OK);
    /* Flushed already: nothing to wait for. */
    ack_t late = {.w = {.done = ack_done}};
    assert_false(samsa_partition_flush_wait(p, ticket, &late.w));

    /* The next append waits for a flush of its own. */
    atomic_store(&flush_returned, false);
    append_one(t, &ticket);
    assert_int_equal(ticket, 2);
    ack_t b = {.w = {.done = ack_done}};
    assert_true(samsa_partition_flush_wait(p, ticket, &b.w));
    sem_post(&flush_gate);
    assert_true(ack_arrives(&b));
    assert_true(atomic_load(&b.flushed_before));
    samsa_topic_put(t);

    /* Left to the OS: no append waits. */
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "lazy", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    t = samsa_logmgr_topic_get(f->mgr, "lazy");
    append_one(t, &ticket);
    assert_int_equal(ticket, -1);
    samsa_topic_put(t);
    sem_destroy(&flush_gate);
}

static void flush_policy_runs_off_the_append_path(void **state)
{
    fixture_t *f = *state;
    char err[256];
    samsa_tcfg_t every3 = {0};
    samsa_tcfg_set(&every3, "flush.messages", "3");
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "fm", 1, &every3, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&every3);
    samsa_tcfg_t timed = {0};
    samsa_tcfg_set(&timed, "flush.ms", "20");
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "ft", 1, &timed, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&timed);
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "os", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);

    /* Left to the OS: appends never trigger a flush. */
    samsa_topic_t *os = samsa_logmgr_topic_get(f->mgr, "os");
    int64_t base = samsa_logmgr_flush_count(f->mgr);
    append_n(samsa_topic_partition(os, 0), 50, 0);
    usleep(150000);
    assert_int_equal(samsa_logmgr_flush_count(f->mgr), base);
    samsa_topic_put(os);

    /* flush.messages=3: two messages wait, the third triggers a flush. */
    samsa_topic_t *fm = samsa_logmgr_topic_get(f->mgr, "fm");
    samsa_partition_t *p = samsa_topic_partition(fm, 0);
    append_n(p, 2, 0);
    usleep(150000);
    assert_int_equal(samsa_logmgr_flush_count(f->mgr), base);
    append_n(p, 1, 2);
    assert_true(flushes_reach(f, base + 1));
    assert_int_equal(atomic_load(&p->unflushed), 0);
    samsa_topic_put(fm);

    /* flush.ms=20: one message is flushed once it is old enough. */
    int64_t before = samsa_logmgr_flush_count(f->mgr);
    samsa_topic_t *ft = samsa_logmgr_topic_get(f->mgr, "ft");
    append_n(samsa_topic_partition(ft, 0), 1, 0);
    assert_true(flushes_reach(f, before + 1));
    samsa_topic_put(ft);
}

static bool exists(fixture_t *f, const char *rel)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
    return access(path, F_OK) == 0;
}

static void write_text(fixture_t *f, const char *rel, const char *text)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void reopen_mgr(fixture_t *f)
{
    samsa_logmgr_close(f->mgr);
    open_mgr(f);
}

static void a_damaged_meta_takes_only_its_topic_offline(void **state)
{
    fixture_t *f = *state;
    char err[512];
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "good", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "bad", 2, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, "good");
    append_n(samsa_topic_partition(t, 0), 4, 0);
    samsa_topic_put(t);
    t = samsa_logmgr_topic_get(f->mgr, "bad");
    append_n(samsa_topic_partition(t, 1), 3, 0);
    samsa_topic_put(t);
    samsa_logmgr_close(f->mgr);
    write_text(f, "__samsa_meta/topics/bad.meta", "id=zz\npartitions=two\n");
    open_mgr(f); /* the broker comes up */

    t = samsa_logmgr_topic_get(f->mgr, "good");
    assert_non_null(t);
    assert_int_equal(samsa_partition_hw(samsa_topic_partition(t, 0)), 4);
    samsa_topic_put(t);
    assert_null(samsa_logmgr_topic_get(f->mgr, "bad"));
    char why[512];
    assert_true(samsa_logmgr_topic_offline(f->mgr, "bad", why, sizeof(why)));
    assert_non_null(strstr(why, "bad.meta:1: damaged"));
    assert_false(samsa_logmgr_topic_offline(f->mgr, "good", NULL, 0));
    /* Its name stays taken and its data stays. */
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "bad", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_ERR_KAFKA_STORAGE_ERROR);
    assert_non_null(strstr(err, "offline"));
    assert_true(exists(f, "bad-1/00000000000000000000.log"));

    /* Repaired by hand, it comes back with its data. */
    samsa_logmgr_close(f->mgr);
    write_text(f, "__samsa_meta/topics/bad.meta",
               "id=000102030405060708090a0b0c0d0e0f\npartitions=2\n"
               "engine=segment\n");
    open_mgr(f);
    t = samsa_logmgr_topic_get(f->mgr, "bad");
    assert_non_null(t);
    assert_int_equal(samsa_partition_hw(samsa_topic_partition(t, 1)), 3);
    samsa_topic_put(t);
}

static void a_lost_meta_is_not_adopted_with_defaults(void **state)
{
    fixture_t *f = *state;
    char err[512];
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "lost", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, "lost");
    append_n(samsa_topic_partition(t, 0), 5, 0);
    samsa_topic_put(t);
    samsa_logmgr_close(f->mgr);
    char meta[600];
    snprintf(meta, sizeof(meta), "%s/__samsa_meta/topics/lost.meta", f->dir);
    assert_int_equal(unlink(meta), 0);
    open_mgr(f);
    assert_null(samsa_logmgr_topic_get(f->mgr, "lost"));
    /* Auto-create (or CreateTopics) must not re-adopt the data. */
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "lost", 1, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_ERR_KAFKA_STORAGE_ERROR);
    assert_non_null(strstr(err, "lost.meta is missing"));
    assert_null(samsa_logmgr_topic_get(f->mgr, "lost"));
    assert_true(samsa_logmgr_topic_offline(f->mgr, "lost", NULL, 0));
    assert_false(access(meta, F_OK) == 0);
    char log[600];
    snprintf(log, sizeof(log), "%s/lost-0/00000000000000000000.log", f->dir);
    struct stat st;
    assert_int_equal(stat(log, &st), 0);
    assert_true(st.st_size > 0);
    /* New topics are not affected. */
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, "fresh", 2, NULL, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
}

static void a_half_created_topic_leaves_no_directories(void **state)
{
    fixture_t *f = *state;
    char err[512];
    /* Partition 3 cannot open: a file stands where its directory goes. */
    write_text(f, "half-3", "not a directory");
    assert_int_not_equal(samsa_logmgr_create_topic(f->mgr, "half", 6, NULL,
                                                   false, err, sizeof(err)),
                         SAMSA_OK);
    assert_false(exists(f, "half-0"));
    assert_false(exists(f, "half-2"));
    assert_true(exists(f, "half-3")); /* not ours: left alone */
    assert_false(exists(f, "__samsa_meta/topics/half.meta"));
    assert_null(samsa_logmgr_topic_get(f->mgr, "half"));
    reopen_mgr(f);
    assert_null(samsa_logmgr_topic_get(f->mgr, "half"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_append_read_and_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            a_damaged_meta_takes_only_its_topic_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_lost_meta_is_not_adopted_with_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_half_created_topic_leaves_no_directories, setup, teardown),
        cmocka_unit_test_setup_teardown(
            an_assigned_topic_id_is_kept_across_a_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(
            bad_names_counts_and_configs_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(alter_grow_trim_and_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            a_deleted_topic_in_use_keeps_its_name_until_released, setup,
            teardown),
        cmocka_unit_test_setup_teardown(flush_policy_runs_off_the_append_path,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            ack_waits_for_the_flush_the_policy_made_due, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
