/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/log_limit.c - see log_limit.h. */
#include "util/log_limit.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/clock.h"

void samsa_log_limited(samsa_log_limit_t *lim, samsa_log_level_t lvl,
                       const char *fmt, ...)
{
    if (!samsa_log_enabled(lvl)) {
        return;
    }
    int64_t now = samsa_mono_ms();
    uint64_t dropped = 0;
    bool write = false;
    pthread_mutex_lock(&lim->mu);
    if (lim->window_start < 0 || now - lim->window_start >= lim->window_ms) {
        lim->window_start = now;
        lim->written = 0;
    }
    if (lim->written < lim->burst) {
        lim->written++;
        dropped = lim->suppressed;
        lim->suppressed = 0;
        write = true;
    } else {
        lim->suppressed++;
    }
    pthread_mutex_unlock(&lim->mu);
    if (!write) {
        return;
    }
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (dropped > 0) {
        samsa_log(lvl, "%s (%llu more like it suppressed since the last one)",
                  line, (unsigned long long)dropped);
    } else {
        samsa_log(lvl, "%s", line);
    }
}
