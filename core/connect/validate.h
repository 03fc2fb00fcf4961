/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/validate.h - Kafka Connect's connector config validation:
 * the ConfigInfos answer of PUT /connector-plugins/{type}/config/validate
 * ({"name","error_count","groups","configs":[{"definition","value"}]}),
 * and the same checks refusing a bad POST/PUT of a connector. What is
 * checked: the worker's keys (name, connector.class, tasks.max,
 * converters, errors.*, a sink's topics, the transform chain, a source's
 * exactly-once keys: core/connect/eos.h); a
 * plugin's own keys are checked by its task_start().
 */
#ifndef SAMSA_CONNECT_VALIDATE_H
#define SAMSA_CONNECT_VALIDATE_H

#include <stddef.h>

#include <jansson.h>

#include "connect/worker_int.h"

/** Validate @p config (string values) for plugin @p plugin (known to
 *  answer to its connector.class). Returns the ConfigInfos object (NULL
 *  when out of memory); *errors is its error_count. */
json_t *samsa_connect_validate(const samsa_connect_t *w,
                               const samsa_registry_entry_t *plugin,
                               const json_t *config, int *errors);

/** Kafka Connect's 400 message for a config with errors: "Connector
 *  configuration is invalid and contains the following N error(s): ...",
 *  from a ConfigInfos object, into @p buf. */
void samsa_connect_validate_message(const json_t *infos, char *buf, size_t len);

#endif /* SAMSA_CONNECT_VALIDATE_H */
