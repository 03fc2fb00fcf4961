/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/log.h - the broker's log lines on stderr.
 *
 * One line per call, written with a single write(2) so lines from several
 * threads never interleave, in one of three formats:
 *   text      "2026-11-25T14:00:00.123Z LEVEL message" (the default)
 *   journald  "<6>message": a syslog priority prefix that journald (and
 *             systemd's SyslogLevelPrefix=) reads; journald adds the time
 *   json      {"ts":"2026-11-25T14:00:00.123Z","level":"info","msg":"..."}
 *             one object per line, encoded with jansson
 * Safe from any thread. Levels are samsa_log_level_t from samsa/plugin.h.
 */
#ifndef SAMSA_LOG_H
#define SAMSA_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include <samsa/plugin.h>

/* Lines above this level are dropped (default SAMSA_LOG_INFO, or the value
 * of SAMSA_LOG_LEVEL=error|warn|info|debug read at the first log call). */
void samsa_log_set_level(samsa_log_level_t min);
samsa_log_level_t samsa_log_get_level(void);
bool samsa_log_enabled(samsa_log_level_t lvl);

typedef enum samsa_log_format {
    SAMSA_LOG_TEXT = 0,
    SAMSA_LOG_JOURNALD = 1,
    SAMSA_LOG_JSON = 2,
} samsa_log_format_t;

void samsa_log_set_format(samsa_log_format_t fmt);

/* Parse "text", "journald", "json" or "auto" (journald when stderr is
 * connected to the journal: $JOURNAL_STREAM is set, else text). */
bool samsa_log_format_parse(const char *name, samsa_log_format_t *out);

/* Write to fd instead of stderr (tests); -1 restores stderr. */
void samsa_log_set_fd(int fd);

void samsa_log(samsa_log_level_t lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void samsa_logv(samsa_log_level_t lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif /* SAMSA_LOG_H */
