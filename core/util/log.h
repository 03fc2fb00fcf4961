/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/log.h - the broker's log lines on stderr.
 *
 * One line per call: "2026-11-25T14:00:00.123Z LEVEL message", written with
 * a single write(2) so lines from several threads never interleave.
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

/* Write to fd instead of stderr (tests); -1 restores stderr. */
void samsa_log_set_fd(int fd);

void samsa_log(samsa_log_level_t lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void samsa_logv(samsa_log_level_t lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif /* SAMSA_LOG_H */
