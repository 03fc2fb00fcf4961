/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/registry/metrics.h - a process-wide set of named counters and gauges.
 *
 * Plugins register through services->metric_register (names are prefixed
 * with the instance name: "<instance>.<name>"); core code may register
 * with owner NULL and the name as given. Values are atomics: add/set/get
 * are lock-free from any thread. Registration and iteration take a mutex.
 * A metric lives until its owner's metrics are released (after the
 * instance's fini()) or samsa_metrics_release_all().
 */
#ifndef SAMSA_REGISTRY_METRICS_H
#define SAMSA_REGISTRY_METRICS_H

#include <stdint.h>

#include <samsa/plugin.h>

/** Register (or return the existing metric of the same name and kind;
 *  NULL when the name exists with another kind, or on ENOMEM). */
samsa_metric_t *samsa_metric_register(const samsa_instance_t *owner,
                                      const char *name,
                                      samsa_metric_kind_t kind,
                                      const char *help);
void samsa_metric_add(samsa_metric_t *m, int64_t delta);
void samsa_metric_set(samsa_metric_t *m, int64_t value);
int64_t samsa_metric_get(const samsa_metric_t *m);

/** Find by full name ("segment.bytes_appended"); NULL if absent. */
samsa_metric_t *samsa_metric_find(const char *full_name);

/** Call @p cb for every metric, in registration order, under the lock
 *  (the callback must not register metrics). */
void samsa_metrics_foreach(void (*cb)(const char *name, const char *help,
                                      samsa_metric_kind_t kind, int64_t value,
                                      void *arg),
                           void *arg);

/** Free every metric registered by @p owner. */
void samsa_metrics_release_owner(const samsa_instance_t *owner);
void samsa_metrics_release_all(void);

#endif /* SAMSA_REGISTRY_METRICS_H */
