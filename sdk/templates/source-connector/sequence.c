/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-sequence: a source connector template. Each task produces numbered
 * records ("key-<task>-<n>" -> "record <n> of task <task>") to one topic,
 * records_per_poll at a time every interval_ms, and records its position so
 * a restarted task resumes after the last durable record instead of
 * starting over.
 *
 * Copy this directory, rename "sequence" everywhere, and replace
 * fill_record() with reads from the external system. What stays the same
 * for every source (see samsa/connect.h for the contracts):
 *   - init() reads and checks the options once; the instance state is then
 *     read-only, so tasks (one worker thread each) share it without locks;
 *   - task_start() copies what it keeps from the task info and resumes from
 *     info->offsets;
 *   - poll() returns records the task owns until poll_release();
 *   - every allocation goes through the services table.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <samsa/connect.h>

/* Instance: the validated options, shared read-only by all tasks. */
typedef struct sequence {
    const samsa_services_t *svc;
    const char *topic; /* owned by the config, valid until fini() */
    int64_t records_per_poll;
    int64_t interval_ms;
    int64_t max_records; /* per task; 0 = no end */
} sequence_t;

/* One record and the bytes it points to, owned by the task. */
typedef struct slot {
    samsa_connect_record_t rec;
    char key[48];
    char value[96];
    char offset[24];
} slot_t;

struct samsa_connect_task {
    const sequence_t *seq;
    char source_partition[32]; /* "sequence-<task_id>" */
    int32_t task_id;
    uint64_t next;       /* number of the next record */
    int64_t next_due_ms; /* monotonic time of the next batch */
    slot_t *slots;       /* records_per_poll entries */
    samsa_connect_record_t **records;
};

static samsa_err_t seq_init(const samsa_services_t *svc,
                            const samsa_instance_t *inst, void **state,
                            char *errbuf, size_t errbuf_size)
{
    sequence_t *seq = svc->alloc(sizeof(*seq));

    if (seq == NULL) {
        snprintf(errbuf, errbuf_size, "sequence: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    seq->svc = svc;
    /* The registry already checked types and bounds against the option
     * table, so these only fail on a programming error. */
    if (svc->config_string(inst->config, "topic", &seq->topic) ||
        svc->config_int(inst->config, "records_per_poll",
                        &seq->records_per_poll) ||
        svc->config_int(inst->config, "interval_ms", &seq->interval_ms) ||
        svc->config_int(inst->config, "max_records", &seq->max_records)) {
        svc->free(seq);
        snprintf(errbuf, errbuf_size, "sequence: cannot read options");
        return SAMSA_ERR_CONFIG;
    }
    if (seq->topic[0] == '\0') {
        svc->free(seq);
        snprintf(errbuf, errbuf_size, "sequence: topic must not be empty");
        return SAMSA_ERR_CONFIG;
    }
    *state = seq;
    return SAMSA_OK;
}

static void seq_fini(void *state)
{
    sequence_t *seq = state;

    if (seq != NULL) {
        seq->svc->free(seq);
    }
}

/* The committed offset of this task's source partition, if any. */
static uint64_t resume_point(const samsa_connect_task_info_t *info,
                             const char *source_partition)
{
    for (uint64_t i = 0; i < info->offset_count; i++) {
        const samsa_connect_offset_t *o = &info->offsets[i];
        uint64_t last;
        if (o->source_partition != NULL && o->source_offset != NULL &&
            strcmp(o->source_partition, source_partition) == 0 &&
            sscanf(o->source_offset, "%" SCNu64, &last) == 1) {
            return last + 1;
        }
    }
    return 0;
}

static void task_free(samsa_connect_task_t *task)
{
    const samsa_services_t *svc = task->seq->svc;

    svc->free(task->records);
    svc->free(task->slots);
    svc->free(task);
}

static samsa_err_t seq_task_start(void *state,
                                  const samsa_connect_task_info_t *info,
                                  samsa_connect_task_t **out, char *errbuf,
                                  size_t errbuf_size)
{
    const sequence_t *seq = state;
    const samsa_services_t *svc = seq->svc;
    size_t n = (size_t)seq->records_per_poll;
    samsa_connect_task_t *task = svc->alloc(sizeof(*task));

    if (task == NULL) {
        snprintf(errbuf, errbuf_size, "sequence: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    memset(task, 0, sizeof(*task));
    task->seq = seq;
    task->slots = svc->alloc(n * sizeof(*task->slots));
    task->records = svc->alloc(n * sizeof(*task->records));
    if (task->slots == NULL || task->records == NULL) {
        task_free(task);
        snprintf(errbuf, errbuf_size, "sequence: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    task->task_id = info->task_id;
    snprintf(task->source_partition, sizeof(task->source_partition),
             "sequence-%" PRId32, info->task_id);
    task->next = resume_point(info, task->source_partition);
    task->next_due_ms = svc->monotonic_ms();
    *out = task;
    return SAMSA_OK;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Replace this with a read from the external system. */
static void fill_record(samsa_connect_task_t *task, slot_t *s, int64_t now)
{
    samsa_connect_record_t *r = &s->rec;
    int klen = snprintf(s->key, sizeof(s->key), "key-%" PRId32 "-%" PRIu64,
                        task->task_id, task->next);
    int vlen = snprintf(s->value, sizeof(s->value),
                        "record %" PRIu64 " of task %" PRId32, task->next,
                        task->task_id);

    snprintf(s->offset, sizeof(s->offset), "%" PRIu64, task->next);
    *r = (samsa_connect_record_t){
        .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
        .topic = task->seq->topic,
        .key = s->key,
        .value = s->value,
        .key_len = (uint64_t)klen,
        .value_len = (uint64_t)vlen,
        .headers = NULL,
        .header_count = 0,
        .timestamp = now,
        .partition = SAMSA_CONNECT_ANY_PARTITION,
        .source_partition = task->source_partition,
        .source_offset = s->offset,
    };
    task->next++;
}

static bool finished(const samsa_connect_task_t *task)
{
    return task->seq->max_records > 0 &&
           task->next >= (uint64_t)task->seq->max_records;
}

static samsa_err_t seq_poll(samsa_connect_task_t *task, int64_t timeout_ms,
                            samsa_connect_record_t *const **records,
                            size_t *count)
{
    const sequence_t *seq = task->seq;
    const samsa_services_t *svc = seq->svc;
    int64_t wait =
        finished(task) ? timeout_ms : task->next_due_ms - svc->monotonic_ms();
    size_t n = 0;

    *records = NULL;
    *count = 0;
    /* Wait for the next batch, but never past the worker's timeout. */
    if (wait > 0) {
        sleep_ms(wait < timeout_ms ? wait : timeout_ms);
        if (finished(task) || wait > timeout_ms) {
            return SAMSA_OK; /* nothing yet */
        }
    }
    int64_t now = svc->now_ms();
    while (n < (size_t)seq->records_per_poll && !finished(task)) {
        fill_record(task, &task->slots[n], now);
        task->records[n] = &task->slots[n].rec;
        n++;
    }
    task->next_due_ms = svc->monotonic_ms() + seq->interval_ms;
    *records = task->records;
    *count = n;
    return SAMSA_OK;
}

static void seq_poll_release(samsa_connect_task_t *task,
                             samsa_connect_record_t *const *records,
                             size_t count)
{
    /* The slots are reused by the next poll(); nothing to free. A source
     * that allocates per record frees it here. */
    (void)task;
    (void)records;
    (void)count;
}

static void seq_task_stop(samsa_connect_task_t *task)
{
    task_free(task);
}

/* Kafka's taskConfigs(maxTasks): every task numbers its own records
 * (source partition "sequence-<task_id>"), so the work splits into as
 * many tasks as tasks.max allows. A source reading one thing (a file)
 * leaves this op out and runs one task. */
static samsa_err_t seq_task_count(void *state, const samsa_connect_kv_t *config,
                                  uint64_t config_count, int32_t tasks_max,
                                  int32_t *count)
{
    (void)state;
    (void)config;
    (void)config_count;
    *count = tasks_max;
    return SAMSA_OK;
}

static const samsa_option_t seq_options[] = {
    SAMSA_OPTION_STRING("topic", "sequence",
                        "Topic the records are produced to."),
    SAMSA_OPTION_INT("records_per_poll", "100", 1, 100000,
                     "Records returned by one poll (one batch)."),
    SAMSA_OPTION_INT("interval_ms", "1000", 0, 3600000,
                     "Milliseconds between batches; 0 produces as fast as "
                     "the worker takes them."),
    SAMSA_OPTION_INT("max_records", "0", 0, INT64_MAX,
                     "Records per task before it goes idle; 0 = no end."),
    SAMSA_OPTION_END,
};

static const samsa_source_ops_t seq_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_source_ops_t),
    .task_start = seq_task_start,
    .poll = seq_poll,
    .poll_release = seq_poll_release,
    .commit = NULL, /* nothing to acknowledge upstream */
    .task_stop = seq_task_stop,
    .task_count = seq_task_count,
};

static const samsa_plugin_t seq_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SOURCE,
    .name = "source-sequence",
    .version = "1.0.0",
    .summary = "Numbered records per task, resumable (connector template)",
    .options = seq_options,
    .init = seq_init,
    .fini = seq_fini,
    .ops = &seq_ops,
};

SAMSA_PLUGIN_DECLARE(seq_plugin)
