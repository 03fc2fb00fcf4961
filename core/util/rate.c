/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/rate.c - see rate.h. */
#include "util/rate.h"

void samsa_rate_init(samsa_rate_t *r, samsa_rate_sample_t *samples, int32_t num,
                     int64_t window_ms, int64_t now_ms)
{
    r->num = num;
    r->window_ms = window_ms;
    r->cur = 0;
    r->min_windows = num - 1;
    r->s = samples;
    for (int32_t i = 0; i < num; i++) {
        samples[i] = (samsa_rate_sample_t){now_ms, 0};
    }
}

double samsa_rate_record(samsa_rate_t *r, double amount, int64_t now_ms,
                         double *span_ms)
{
    samsa_rate_sample_t *c = &r->s[r->cur];
    if (now_ms >= c->start_ms + r->window_ms) {
        r->cur = (r->cur + 1) % r->num;
        c = &r->s[r->cur];
        c->start_ms = now_ms;
        c->total = 0;
    }
    c->total += amount;
    double total = 0;
    int64_t oldest = now_ms;
    for (int32_t i = 0; i < r->num; i++) {
        samsa_rate_sample_t *x = &r->s[i];
        if (now_ms - x->start_ms >= (int64_t)r->num * r->window_ms) {
            x->start_ms = now_ms; /* obsolete: purged */
            x->total = 0;
        }
        total += x->total;
        oldest = x->start_ms < oldest ? x->start_ms : oldest;
    }
    int64_t elapsed = now_ms - oldest;
    int64_t full = elapsed / r->window_ms;
    if (full < r->min_windows) {
        elapsed += (r->min_windows - full) * r->window_ms;
    }
    if (span_ms) {
        *span_ms = (double)elapsed;
    }
    return total * 1000.0 / (double)elapsed;
}
