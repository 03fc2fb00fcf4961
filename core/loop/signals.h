/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/loop/signals.h - process signals for samsad's main thread.
 *
 * Call samsa_signals_init() first thing in main(), before any thread is
 * created: it blocks SIGTERM, SIGINT, SIGHUP and SIGPIPE (threads inherit
 * the mask; reactors block them again themselves), ignores SIGPIPE so a
 * write to a closed socket returns EPIPE and SIGXFSZ so a write past the
 * file-size limit returns EFBIG, and opens a signalfd on which the
 * main thread waits with samsa_signals_wait(). Main thread only.
 */
#ifndef SAMSA_SIGNALS_H
#define SAMSA_SIGNALS_H

#include <samsa/errors.h>

typedef struct samsa_signals {
    int fd; /* signalfd, -1 when closed */
} samsa_signals_t;

samsa_err_t samsa_signals_init(samsa_signals_t *s);
/* Wait up to timeout_ms (-1: forever) for SIGTERM/SIGINT/SIGHUP; *signo gets
 * the signal. SAMSA_ERR_TIMEOUT when none arrived. */
samsa_err_t samsa_signals_wait(samsa_signals_t *s, int timeout_ms, int *signo);
void samsa_signals_close(samsa_signals_t *s);

#endif /* SAMSA_SIGNALS_H */
