/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/log.c - see log.h. */
#include "util/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* The log manager's level and target: process-wide by design. -1 means
 * "not yet read from the environment". */
static atomic_int g_level = -1;
static atomic_int g_fd = -1;
static atomic_int g_format = SAMSA_LOG_TEXT;

static const char *level_name(samsa_log_level_t lvl)
{
    switch (lvl) {
    case SAMSA_LOG_ERROR:
        return "ERROR";
    case SAMSA_LOG_WARN:
        return "WARN";
    case SAMSA_LOG_INFO:
        return "INFO";
    case SAMSA_LOG_DEBUG:
        return "DEBUG";
    }
    return "?";
}

static int level_from_env(void)
{
    const char *e = getenv("SAMSA_LOG_LEVEL");
    if (!e) {
        return SAMSA_LOG_INFO;
    }
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(e, names[i]) == 0) {
            return i + 1;
        }
    }
    return SAMSA_LOG_INFO;
}

void samsa_log_set_level(samsa_log_level_t min)
{
    atomic_store(&g_level, (int)min);
}

samsa_log_level_t samsa_log_get_level(void)
{
    int l = atomic_load_explicit(&g_level, memory_order_relaxed);
    if (l < 0) {
        int want = level_from_env();
        /* Lose the race gracefully: someone may have set it meanwhile. */
        atomic_compare_exchange_strong(&g_level, &l, want);
        l = atomic_load(&g_level);
    }
    return (samsa_log_level_t)l;
}

bool samsa_log_enabled(samsa_log_level_t lvl)
{
    return (int)lvl <= (int)samsa_log_get_level();
}

void samsa_log_set_format(samsa_log_format_t fmt)
{
    atomic_store(&g_format, (int)fmt);
}

bool samsa_log_format_parse(const char *name, samsa_log_format_t *out)
{
    if (strcmp(name, "text") == 0) {
        *out = SAMSA_LOG_TEXT;
    } else if (strcmp(name, "journald") == 0) {
        *out = SAMSA_LOG_JOURNALD;
    } else if (strcmp(name, "json") == 0) {
        *out = SAMSA_LOG_JSON;
    } else if (strcmp(name, "auto") == 0) {
        const char *js = getenv("JOURNAL_STREAM");
        *out = js && js[0] ? SAMSA_LOG_JOURNALD : SAMSA_LOG_TEXT;
    } else {
        return false;
    }
    return true;
}

void samsa_log_set_fd(int fd)
{
    atomic_store(&g_fd, fd);
}

static size_t format_time(char *buf, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, cap - n, ".%03ldZ ", ts.tv_nsec / 1000000L);
    return n + (m > 0 ? (size_t)m : 0);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

/* syslog(3) priorities: what journald reads from a "<N>" prefix. */
static int syslog_priority(samsa_log_level_t lvl)
{
    switch (lvl) {
    case SAMSA_LOG_ERROR:
        return 3;
    case SAMSA_LOG_WARN:
        return 4;
    case SAMSA_LOG_INFO:
        return 6;
    case SAMSA_LOG_DEBUG:
        return 7;
    }
    return 6;
}

/* The message alone, in buf or (long lines) a heap copy *heap. */
static const char *format_message(char *buf, size_t cap, char **heap,
                                  const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(buf, cap, fmt, ap);
    *heap = NULL;
    if (n >= 0 && (size_t)n >= cap) {
        *heap = malloc((size_t)n + 1);
        if (*heap) {
            vsnprintf(*heap, (size_t)n + 1, fmt, ap2);
        }
    }
    va_end(ap2);
    if (n < 0) {
        buf[0] = 0;
    }
    return *heap ? *heap : buf;
}

static void emit(samsa_log_level_t lvl, const char *msg)
{
    int fd = atomic_load_explicit(&g_fd, memory_order_relaxed);
    fd = fd >= 0 ? fd : STDERR_FILENO;
    char ts[64];
    char small[1200];
    size_t need = strlen(msg) + 80; /* prefix, time, level, newline */
    char *line = need <= sizeof(small) ? small : malloc(need);
    char *text = NULL;
    int n = -1;
    if (!line) {
        return;
    }
    switch ((samsa_log_format_t)atomic_load_explicit(&g_format,
                                                     memory_order_relaxed)) {
    case SAMSA_LOG_JOURNALD:
        n = snprintf(line, need, "<%d>%s\n", syslog_priority(lvl), msg);
        break;
    case SAMSA_LOG_JSON: {
        format_time(ts, sizeof(ts));
        ts[strcspn(ts, " ")] = 0;
        char lower[8];
        snprintf(lower, sizeof(lower), "%s", level_name(lvl));
        for (char *p = lower; *p; p++) {
            *p = (char)(*p | 0x20);
        }
        /* nocheck: a message with invalid UTF-8 still gets logged. */
        json_t *obj = json_object();
        json_object_set_new(obj, "ts", json_string(ts));
        json_object_set_new(obj, "level", json_string(lower));
        json_object_set_new(obj, "msg", json_string_nocheck(msg));
        text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
        json_decref(obj);
        break;
    }
    default:
        format_time(ts, sizeof(ts));
        n = snprintf(line, need, "%s%-5s %s\n", ts, level_name(lvl), msg);
        break;
    }
    if (text) {
        /* The object's text and its newline in one write. */
        size_t len = strlen(text);
        char *t = realloc(text, len + 2);
        if (t) {
            t[len] = '\n';
            write_all(fd, t, len + 1);
            text = t;
        }
    } else if (n > 0) {
        write_all(fd, line, (size_t)n);
    }
    free(text);
    if (line != small) {
        free(line);
    }
}

void samsa_logv(samsa_log_level_t lvl, const char *fmt, va_list ap)
{
    if (!samsa_log_enabled(lvl)) {
        return;
    }
    char stack[1024];
    char *heap;
    const char *msg = format_message(stack, sizeof(stack), &heap, fmt, ap);
    emit(lvl, msg);
    free(heap);
}

void samsa_log(samsa_log_level_t lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    samsa_logv(lvl, fmt, ap);
    va_end(ap);
}
