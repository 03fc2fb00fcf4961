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

/* The log manager's level and target: process-wide by design. -1 means
 * "not yet read from the environment". */
static atomic_int g_level = -1;
static atomic_int g_fd = -1;

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

void samsa_logv(samsa_log_level_t lvl, const char *fmt, va_list ap)
{
    if (!samsa_log_enabled(lvl)) {
        return;
    }
    char stack[1024];
    char *buf = stack;
    size_t cap = sizeof(stack);
    size_t head = format_time(buf, cap);
    head += (size_t)snprintf(buf + head, cap - head, "%-5s ", level_name(lvl));
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(buf + head, cap - head, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if (head + (size_t)n + 2 > cap) {
        /* Long line: one heap buffer so it still goes out in one write. */
        char *big = malloc(head + (size_t)n + 2);
        if (big) {
            memcpy(big, buf, head);
            vsnprintf(big + head, (size_t)n + 1, fmt, ap2);
            buf = big;
        } else {
            n = (int)(cap - head - 2);
        }
    }
    va_end(ap2);
    size_t len = head + (size_t)n;
    buf[len++] = '\n';
    int fd = atomic_load_explicit(&g_fd, memory_order_relaxed);
    write_all(fd >= 0 ? fd : STDERR_FILENO, buf, len);
    if (buf != stack) {
        free(buf);
    }
}

void samsa_log(samsa_log_level_t lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    samsa_logv(lvl, fmt, ap);
    va_end(ap);
}
