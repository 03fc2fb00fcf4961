/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/config/options.h - option tables (samsa_option_t rows) checked
 * against YAML, producing the samsa_config_t handed to plugins.
 *
 * The same code validates a plugin's manifest `config:` mapping and the
 * broker's own samsa.yaml, so both report unknown keys (listing the allowed
 * ones), wrong types, out-of-bounds values and missing required options
 * with file:line.
 *
 * A samsa_config_t owns copies of every name and value (it never points
 * into plugin memory or into the YAML tree) and is immutable once built, so
 * reads are safe from any thread.
 */
#ifndef SAMSA_CONFIG_OPTIONS_H
#define SAMSA_CONFIG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/plugin.h>

#include "config/yaml.h"

/**
 * Check an option table itself (rows from a plugin): names non-empty and
 * unique, types known, defaults parse as their type and lie within bounds.
 * @p what names the table's owner in messages ("plugin /x/y.so").
 */
samsa_err_t samsa_options_check_table(const samsa_option_t *opts,
                                      const char *what, char *errbuf,
                                      size_t errbuf_size);

/**
 * Build a config from @p opts and the mapping @p map (NULL or a null
 * scalar: every option takes its default). @p what names the owner in
 * messages, e.g. "instance 'segment' (storage-segment)"; @p file and
 * @p line locate the owner for errors that have no node of their own (a
 * required option that is missing).
 * Errors: SAMSA_ERR_CONFIG with "file:line: ..." in errbuf, SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_config_build(const samsa_option_t *opts,
                               const samsa_ynode_t *map, const char *what,
                               const char *file, uint32_t line,
                               samsa_config_t **out, char *errbuf,
                               size_t errbuf_size);

void samsa_config_free(samsa_config_t *cfg);

/* Typed getters (the services table exposes these to plugins). Unknown name
 * -> SAMSA_ERR_NOT_FOUND; another type -> SAMSA_ERR_INVAL. */
samsa_err_t samsa_config_bool(const samsa_config_t *cfg, const char *name,
                              bool *out);
samsa_err_t samsa_config_int(const samsa_config_t *cfg, const char *name,
                             int64_t *out);
samsa_err_t samsa_config_double(const samsa_config_t *cfg, const char *name,
                                double *out);
samsa_err_t samsa_config_string(const samsa_config_t *cfg, const char *name,
                                const char **out);
samsa_err_t samsa_config_list(const samsa_config_t *cfg, const char *name,
                              const char *const **items, size_t *count);

/** True when the YAML set @p name (false: the default is in effect). */
bool samsa_config_is_set(const samsa_config_t *cfg, const char *name);

/** Where @p name was set ("file", line) or NULL/0 for a default. */
const char *samsa_config_where(const samsa_config_t *cfg, const char *name,
                               uint32_t *line);

/** "bool", "int", "double", "string", "list" or "?" */
const char *samsa_opt_type_name(uint32_t type);

#endif /* SAMSA_CONFIG_OPTIONS_H */
