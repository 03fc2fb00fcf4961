/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/secrets.h - Kafka's config providers and secret hiding for
 * connector configs. A connector config may reference
 * ${file:/path/to/x.properties:key} (a key of a Java properties file,
 * Kafka's FileConfigProvider), ${dir:/path:name} (a file's content,
 * DirectoryConfigProvider) and ${env:VAR} (EnvVarConfigProvider), for the
 * providers the broker enables (config_providers, Kafka's worker key
 * config.providers; none by default, as in Kafka). References are kept
 * as written everywhere (connect-configs, REST answers) and resolved only
 * when a task starts; the resolved values never leave the task: they are
 * scrubbed from its failure trace and logs. Literal values of sensitive
 * keys (a name containing "password" or "secret") are answered as
 * "[hidden]" by the REST API, and a "[hidden]" PUT back keeps the stored
 * value.
 */
#ifndef SAMSA_CONNECT_SECRETS_H
#define SAMSA_CONNECT_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

#define SAMSA_CONNECT_HIDDEN "[hidden]"

typedef struct samsa_connect_providers {
    bool file, dir, env;
} samsa_connect_providers_t;

/** Enable provider @p name ("file", "dir" or "env"); SAMSA_ERR_CONFIG
 *  with a message for another. */
samsa_err_t samsa_connect_provider_enable(samsa_connect_providers_t *p,
                                          const char *name, char *errbuf,
                                          size_t errlen);

/** A copy of @p config with every reference of an enabled provider
 *  replaced by its value; *secrets (an array, may be NULL) gets the
 *  values substituted. A reference naming a missing key or variable
 *  stays as written (Kafka's behaviour); an unreadable file is
 *  SAMSA_ERR_CONFIG with a message naming the key, never the value. */
samsa_err_t samsa_connect_resolve(const samsa_connect_providers_t *p,
                                  const json_t *config, json_t **out,
                                  json_t **secrets, char *errbuf,
                                  size_t errlen);

/** True for a key whose literal value is a secret. */
bool samsa_connect_sensitive(const char *key);

/** A copy of @p config for REST answers: sensitive keys' literal values
 *  (not references) become "[hidden]". */
json_t *samsa_connect_redact(const json_t *config);

/** In @p config (being PUT for a connector stored as @p old), put back
 *  the stored value of every sensitive key given as "[hidden]". */
void samsa_connect_unredact(json_t *config, const json_t *old);

/** Replace every occurrence of a value of @p secrets in @p text (NUL-
 *  terminated, in place) with "[hidden]", within @p cap bytes. */
void samsa_connect_scrub(char *text, size_t cap, const json_t *secrets);

#endif /* SAMSA_CONNECT_SECRETS_H */
