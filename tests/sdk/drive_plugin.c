/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/sdk/drive_plugin.c - load an out-of-tree SDK plugin the way the
 * registry does (dlopen, descriptor, init with a services table) and run
 * its ops, built against the installed headers only (pkg-config
 * samsa-plugin). Checks what `samsa plugin describe` cannot: that the
 * template and the example actually work.
 *
 *   drive_plugin source      <dir>/source-sequence.so
 *   drive_plugin partitioner <dir>/partitioner-first-byte.so
 *   drive_plugin sink        <dir>/sink-lines.so
 *
 * Exit 0 and "ok" on success; the first failed check otherwise.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <samsa/samsa.h>

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #c);                                                       \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* The host's config is opaque to plugins; this driver defines its own. */
struct samsa_config {
    const char *topic, *file;
    int64_t records_per_poll, interval_ms, max_records, unkeyed_partition;
    int64_t max_pending_bytes;
};

static long live_allocs;

static void svc_log(const samsa_instance_t *inst, samsa_log_level_t level,
                    const char *fmt, ...)
{
    va_list ap;
    (void)inst;
    (void)level;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *svc_err_str(samsa_err_t err)
{
    (void)err;
    return "error";
}

static samsa_err_t svc_int(const samsa_config_t *cfg, const char *name,
                           int64_t *out)
{
    if (strcmp(name, "records_per_poll") == 0) {
        *out = cfg->records_per_poll;
    } else if (strcmp(name, "interval_ms") == 0) {
        *out = cfg->interval_ms;
    } else if (strcmp(name, "max_records") == 0) {
        *out = cfg->max_records;
    } else if (strcmp(name, "unkeyed_partition") == 0) {
        *out = cfg->unkeyed_partition;
    } else if (strcmp(name, "max_pending_bytes") == 0) {
        *out = cfg->max_pending_bytes;
    } else {
        return SAMSA_ERR_NOT_FOUND;
    }
    return SAMSA_OK;
}

static samsa_err_t svc_string(const samsa_config_t *cfg, const char *name,
                              const char **out)
{
    if (strcmp(name, "topic") == 0) {
        *out = cfg->topic;
    } else if (strcmp(name, "file") == 0) {
        *out = cfg->file;
    } else {
        return SAMSA_ERR_NOT_FOUND;
    }
    return SAMSA_OK;
}

static void *svc_alloc(size_t n)
{
    live_allocs++;
    return malloc(n);
}

static void svc_free(void *p)
{
    if (p != NULL) {
        live_allocs--;
    }
    free(p);
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t svc_now(void)
{
    return clock_ms(CLOCK_REALTIME);
}

static int64_t svc_mono(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static const samsa_services_t svc = {
    .hdr = SAMSA_ABI_HEADER(samsa_services_t),
    .log = svc_log,
    .err_str = svc_err_str,
    .config_int = svc_int,
    .config_string = svc_string,
    .alloc = svc_alloc,
    .free = svc_free,
    .now_ms = svc_now,
    .monotonic_ms = svc_mono,
};

static const samsa_plugin_t *load(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        exit(1);
    }
    samsa_plugin_entry_fn entry;
    *(void **)&entry = dlsym(h, SAMSA_PLUGIN_ENTRY);
    CHECK(entry != NULL);
    const samsa_plugin_t *p = entry();
    CHECK(p != NULL && p->hdr.abi_major == SAMSA_ABI_MAJOR);
    return p;
}

static void *init(const samsa_plugin_t *p, const samsa_config_t *cfg)
{
    samsa_instance_t inst = {.hdr = SAMSA_ABI_HEADER(samsa_instance_t),
                             .name = "test",
                             .config = cfg};
    char err[256] = "";
    void *state = NULL;
    if (p->init(&svc, &inst, &state, err, sizeof(err)) != SAMSA_OK) {
        fprintf(stderr, "init: %s\n", err);
        exit(1);
    }
    return state;
}

static samsa_connect_task_t *start(const samsa_source_ops_t *ops, void *st,
                                   const samsa_connect_offset_t *offsets,
                                   uint64_t n)
{
    samsa_connect_task_info_t info = {
        .hdr = SAMSA_ABI_HEADER(samsa_connect_task_info_t),
        .offsets = offsets,
        .offset_count = n,
        .task_id = 0,
        .task_count = 1,
    };
    samsa_connect_task_t *task = NULL;
    char err[256] = "";
    CHECK(ops->task_start(st, &info, &task, err, sizeof(err)) == SAMSA_OK);
    return task;
}

static size_t poll_once(const samsa_source_ops_t *ops,
                        samsa_connect_task_t *task, char *first_key,
                        size_t key_size)
{
    samsa_connect_record_t *const *recs = NULL;
    size_t n = 0;
    CHECK(ops->poll(task, 20, &recs, &n) == SAMSA_OK);
    if (n > 0) {
        const samsa_connect_record_t *r = recs[0];
        CHECK(strcmp(r->topic, "generated") == 0);
        CHECK(r->partition == SAMSA_CONNECT_ANY_PARTITION);
        CHECK(r->source_partition != NULL && r->source_offset != NULL);
        snprintf(first_key, key_size, "%.*s", (int)r->key_len,
                 (const char *)r->key);
    }
    ops->poll_release(task, recs, n);
    return n;
}

static void drive_source(const samsa_plugin_t *p)
{
    samsa_config_t cfg = {.topic = "generated",
                          .records_per_poll = 5,
                          .interval_ms = 0,
                          .max_records = 12};
    const samsa_source_ops_t *ops = p->ops;
    char key[64];
    CHECK(p->kind == SAMSA_KIND_SOURCE);
    void *st = init(p, &cfg);

    samsa_connect_task_t *task = start(ops, st, NULL, 0);
    CHECK(poll_once(ops, task, key, sizeof(key)) == 5);
    CHECK(strcmp(key, "key-0-0") == 0);
    CHECK(poll_once(ops, task, key, sizeof(key)) == 5);
    CHECK(poll_once(ops, task, key, sizeof(key)) == 2);
    CHECK(strcmp(key, "key-0-10") == 0);
    CHECK(poll_once(ops, task, key, sizeof(key)) == 0); /* max reached */
    ops->task_stop(task);

    /* A restarted task resumes after the last durable offset. */
    samsa_connect_offset_t off = {"sequence-0", "6"};
    task = start(ops, st, &off, 1);
    CHECK(poll_once(ops, task, key, sizeof(key)) == 5);
    CHECK(strcmp(key, "key-0-7") == 0);
    ops->task_stop(task);
    p->fini(st);
}

static int32_t place(const samsa_partitioner_ops_t *ops, void *st,
                     const char *key, int32_t partitions)
{
    samsa_partition_input_t in = {
        .hdr = SAMSA_ABI_HEADER(samsa_partition_input_t),
        .topic = "t",
        .key = key,
        .key_len = key ? strlen(key) : 0,
        .partition_count = partitions,
    };
    int32_t part = -1;
    CHECK(ops->partition(st, &in, &part) == SAMSA_OK);
    return part;
}

static void drive_partitioner(const samsa_plugin_t *p)
{
    samsa_config_t cfg = {.unkeyed_partition = 3};
    const samsa_partitioner_ops_t *ops = p->ops;
    CHECK(p->kind == SAMSA_KIND_PARTITIONER);
    void *st = init(p, &cfg);

    CHECK(place(ops, st, "A-key", 4) == 'A' % 4);
    CHECK(place(ops, st, "Another", 4) == 'A' % 4);
    CHECK(place(ops, st, NULL, 2) == 1);
    CHECK(place(ops, st, NULL, 8) == 3);
    p->fini(st);
}

/* put() @p n records of topic "t" partition 1 from offset @p first. */
static samsa_err_t put(const samsa_sink_ops_t *ops, samsa_connect_task_t *t,
                       int64_t first, size_t n)
{
    samsa_connect_record_t recs[4];
    const samsa_connect_record_t *ptrs[4];
    char values[4][16];
    for (size_t i = 0; i < n; i++) {
        snprintf(values[i], sizeof(values[i]), "v%lld",
                 (long long)(first + (int64_t)i));
        recs[i] = (samsa_connect_record_t){
            .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
            .topic = "t",
            .value = values[i],
            .value_len = strlen(values[i]),
            .offset = first + (int64_t)i,
            .partition = 1,
        };
        ptrs[i] = &recs[i];
    }
    samsa_err_t err = ops->put(t, ptrs, n);
    memset(values, 0, sizeof(values)); /* lent only for the call */
    return err;
}

static void drive_sink(const samsa_plugin_t *p, const char *file)
{
    samsa_config_t cfg = {.file = file, .max_pending_bytes = 20};
    const samsa_sink_ops_t *ops = p->ops;
    CHECK(p->kind == SAMSA_KIND_SINK);
    void *st = init(p, &cfg);
    samsa_connect_task_info_t info = {
        .hdr = SAMSA_ABI_HEADER(samsa_connect_task_info_t),
        .task_count = 1,
    };
    samsa_connect_task_t *task = NULL;
    char err[256] = "";
    CHECK(ops->task_start(st, &info, &task, err, sizeof(err)) == SAMSA_OK);
    CHECK(put(ops, task, 0, 2) == SAMSA_OK);
    CHECK(put(ops, task, 2, 1) == SAMSA_OK); /* now past 20 bytes */
    CHECK(put(ops, task, 3, 1) == SAMSA_ERR_AGAIN);
    CHECK(ops->flush(task) == SAMSA_OK);
    CHECK(put(ops, task, 3, 1) == SAMSA_OK); /* redelivered */
    CHECK(ops->flush(task) == SAMSA_OK);
    ops->task_stop(task);
    p->fini(st);
    char text[256] = "";
    FILE *f = fopen(file, "r");
    CHECK(f != NULL);
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    CHECK(strcmp(text, "t/1/0: v0\nt/1/1: v1\nt/1/2: v2\nt/1/3: v3\n") == 0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: drive_plugin source|partitioner PLUGIN.so\n"
                        "       drive_plugin sink PLUGIN.so FILE\n");
        return 2;
    }
    const samsa_plugin_t *p = load(argv[2]);
    if (strcmp(argv[1], "source") == 0) {
        drive_source(p);
    } else if (strcmp(argv[1], "sink") == 0 && argc == 4) {
        drive_sink(p, argv[3]);
    } else {
        drive_partitioner(p);
    }
    CHECK(live_allocs == 0);
    printf("ok: %s\n", p->name);
    return 0;
}
