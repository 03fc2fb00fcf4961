/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-file: Kafka's FileStreamSource. Each line appended to a file
 * becomes one record (value: the line without its end of line, key: null)
 * in one topic; the file is followed like `tail -f`. The position after
 * the last line is the source offset ({"position": N} under the source
 * partition {"filename": "..."}, Kafka's format), so a restarted task
 * resumes after the last durable line.
 *
 * Task settings (Kafka's keys): file (required), topic (required),
 * batch.size (lines per poll, default 2000).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <samsa/connect.h>

#include "connect_setting.h"

#define DEFAULT_BATCH 2000
#define READ_CHUNK    65536

typedef struct file_source {
    const samsa_services_t *svc;
} file_source_t;

struct samsa_connect_task {
    const samsa_services_t *svc;
    char *file, *topic;
    char *partition; /* {"filename":"..."} */
    size_t batch;
    FILE *fp;
    uint64_t position; /* byte after the last line handed out */
    char *buf;         /* bytes read past position, not yet a full line */
    size_t buf_len, buf_cap;
    /* The last poll's records (freed in poll_release). */
    samsa_connect_record_t **recs;
    size_t nrecs;
};

static samsa_err_t fs_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    (void)inst;
    file_source_t *fs = svc->alloc(sizeof(*fs));
    if (fs == NULL) {
        snprintf(errbuf, errbuf_size, "source-file: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    fs->svc = svc;
    *state = fs;
    return SAMSA_OK;
}

static void fs_fini(void *state)
{
    file_source_t *fs = state;
    if (fs != NULL) {
        fs->svc->free(fs);
    }
}

/* {"filename":"<file>"} in the compact form the worker gives back. */
static char *partition_of(const samsa_services_t *svc, const char *file)
{
    size_t n = strlen(file);
    char *p = svc->alloc(n * 6 + 20);
    if (p == NULL) {
        return NULL;
    }
    char *o = p + sprintf(p, "{\"filename\":\"");
    for (const unsigned char *s = (const unsigned char *)file; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
            *o++ = (char)*s;
        } else if (*s < 0x20) {
            o += sprintf(o, "\\u%04x", *s);
        } else {
            *o++ = (char)*s;
        }
    }
    strcpy(o, "\"}");
    return p;
}

static void task_free(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    if (t->fp != NULL) {
        fclose(t->fp);
    }
    svc->free(t->file);
    svc->free(t->topic);
    svc->free(t->partition);
    svc->free(t->buf);
    svc->free(t->recs);
    svc->free(t);
}

static samsa_err_t fs_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **out, char *errbuf,
                                 size_t errbuf_size)
{
    file_source_t *fs = state;
    const samsa_services_t *svc = fs->svc;
    const char *file = samsa_connect_setting(info, "file", NULL);
    const char *topic = samsa_connect_setting(info, "topic", NULL);
    const char *batch = samsa_connect_setting(info, "batch.size", NULL);
    if (file == NULL || file[0] == '\0' || topic == NULL || topic[0] == '\0' ||
        strchr(topic, ',') != NULL) {
        snprintf(errbuf, errbuf_size,
                 "FileStreamSource needs file and topic (a single topic)");
        return SAMSA_ERR_CONFIG;
    }
    char *end = NULL;
    long long b = batch ? strtoll(batch, &end, 10) : DEFAULT_BATCH;
    if (batch != NULL && (*end != '\0' || b < 1 || b > 1000000)) {
        snprintf(errbuf, errbuf_size,
                 "batch.size must be an integer in [1, 1000000], not %s",
                 batch);
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_task_t *t = svc->alloc(sizeof(*t));
    if (t == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    memset(t, 0, sizeof(*t));
    t->svc = svc;
    t->batch = (size_t)b;
    t->file = samsa_connect_strdup(svc, file);
    t->topic = samsa_connect_strdup(svc, topic);
    t->partition = partition_of(svc, file);
    t->buf = svc->alloc(READ_CHUNK);
    t->buf_cap = READ_CHUNK;
    if (!t->file || !t->topic || !t->partition || !t->buf) {
        task_free(t);
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    /* Resume after the last line the worker stored. */
    for (uint64_t i = 0; i < info->offset_count; i++) {
        const samsa_connect_offset_t *o = &info->offsets[i];
        const char *pos =
            o->source_offset ? strstr(o->source_offset, "\"position\":") : NULL;
        if (o->source_partition &&
            strcmp(o->source_partition, t->partition) == 0 && pos) {
            t->position = strtoull(pos + 11, NULL, 10);
        }
    }
    *out = t;
    return SAMSA_OK;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Open the file at the stored position (it may not exist yet). */
static samsa_err_t open_file(samsa_connect_task_t *t)
{
    t->fp = fopen(t->file, "rb");
    if (t->fp == NULL) {
        return errno == ENOENT ? SAMSA_ERR_AGAIN : SAMSA_ERR_IO;
    }
    if (fseeko(t->fp, (off_t)t->position, SEEK_SET) != 0) {
        fclose(t->fp);
        t->fp = NULL;
        return SAMSA_ERR_IO;
    }
    t->buf_len = 0;
    return SAMSA_OK;
}

static samsa_connect_record_t *make_record(samsa_connect_task_t *t,
                                           const char *line, size_t len)
{
    /* One block: the record, the line, the offset text. */
    samsa_connect_record_t *r = t->svc->alloc(sizeof(*r) + len + 48);
    if (r == NULL) {
        return NULL;
    }
    char *text = (char *)(r + 1);
    memcpy(text, line, len);
    text[len] = '\0';
    char *offset = text + len + 1;
    snprintf(offset, 46, "{\"position\":%" PRIu64 "}", t->position);
    *r = (samsa_connect_record_t){
        .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
        .topic = t->topic,
        .value = text,
        .value_len = len,
        .timestamp = SAMSA_CONNECT_NO_TIMESTAMP,
        .partition = SAMSA_CONNECT_ANY_PARTITION,
        .source_partition = t->partition,
        .source_offset = offset,
    };
    return r;
}

static samsa_err_t fs_poll(samsa_connect_task_t *t, int64_t timeout_ms,
                           samsa_connect_record_t *const **records,
                           size_t *count)
{
    *records = NULL;
    *count = 0;
    if (t->fp == NULL) {
        samsa_err_t err = open_file(t);
        if (err != SAMSA_OK) {
            return err; /* AGAIN: the worker backs off and polls again */
        }
    }
    if (t->recs == NULL) {
        t->recs = t->svc->alloc(t->batch * sizeof(*t->recs));
        if (t->recs == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    size_t n = 0;
    int64_t deadline = t->svc->monotonic_ms() + timeout_ms;
    while (n < t->batch) {
        char *nl = memchr(t->buf, '\n', t->buf_len);
        if (nl == NULL) {
            if (t->buf_len == t->buf_cap) {
                char *nb = t->svc->realloc(t->buf, t->buf_cap * 2);
                if (nb == NULL) {
                    return SAMSA_ERR_NOMEM;
                }
                t->buf = nb;
                t->buf_cap *= 2;
            }
            size_t got =
                fread(t->buf + t->buf_len, 1, t->buf_cap - t->buf_len, t->fp);
            clearerr(t->fp); /* at EOF: the next read sees appended bytes */
            t->buf_len += got;
            if (got > 0) {
                continue;
            }
            if (n > 0 || t->svc->monotonic_ms() >= deadline) {
                break;
            }
            sleep_ms(50);
            continue;
        }
        size_t used = (size_t)(nl - t->buf) + 1;
        size_t len = used - 1;
        if (len > 0 && t->buf[len - 1] == '\r') {
            len--;
        }
        t->position += used;
        samsa_connect_record_t *r = make_record(t, t->buf, len);
        if (r == NULL) {
            t->position -= used;
            break;
        }
        memmove(t->buf, t->buf + used, t->buf_len - used);
        t->buf_len -= used;
        t->recs[n++] = r;
    }
    t->nrecs = n;
    *records = t->recs;
    *count = n;
    return SAMSA_OK;
}

static void fs_poll_release(samsa_connect_task_t *t,
                            samsa_connect_record_t *const *records,
                            size_t count)
{
    for (size_t i = 0; i < count; i++) {
        t->svc->free(records[i]);
    }
    t->nrecs = 0;
}

static void fs_task_stop(samsa_connect_task_t *t)
{
    task_free(t);
}

/* Kafka's FileStreamSourceConnector.exactlyOnceSupport: a file read
 * from a stored byte position (and only appended to) can be; Kafka's
 * stdin cannot, and this plugin needs a file anyway. */
static samsa_err_t fs_exactly_once_support(void *state,
                                           const samsa_connect_kv_t *config,
                                           uint64_t config_count,
                                           bool *supported)
{
    (void)state;
    const char *file = samsa_connect_kv_get(config, config_count, "file", "");
    *supported = file[0] != '\0';
    return SAMSA_OK;
}

static const samsa_option_t fs_options[] = {
    SAMSA_OPTION_LIST(
        "connector_classes",
        "[FileStreamSource, "
        "org.apache.kafka.connect.file.FileStreamSourceConnector]",
        "connector.class values this plugin answers to (Kafka's "
        "short and full class names)."),
    SAMSA_OPTION_END,
};

static const samsa_source_ops_t fs_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_source_ops_t),
    .task_start = fs_task_start,
    .poll = fs_poll,
    .poll_release = fs_poll_release,
    .commit = NULL,
    .task_stop = fs_task_stop,
    .exactly_once_support = fs_exactly_once_support,
};

static const samsa_plugin_t fs_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SOURCE,
    .name = "source-file",
    .version = "0.1.0",
    .summary = "Kafka's FileStreamSource: lines of a file to a topic",
    .options = fs_options,
    .init = fs_init,
    .fini = fs_fini,
    .ops = &fs_ops,
};

SAMSA_PLUGIN_DECLARE(fs_desc)
