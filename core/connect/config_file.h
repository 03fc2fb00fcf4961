/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/config_file.h - a connector's configuration read from a
 * file, in the two forms Kafka's tools take: a Kafka .properties file
 * (config/connect-file-source.properties as shipped: key=value or
 * key: value lines, # and ! comments) or a JSON file, either the REST
 * API's create body {"name": ..., "config": {...}} or the config object
 * alone. The one reader of `samsa connector create|validate` and the
 * SDK's test kit.
 */
#ifndef SAMSA_CONNECT_CONFIG_FILE_H
#define SAMSA_CONNECT_CONFIG_FILE_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

/**
 * Read @p path. A file whose content is not JSON is read as properties,
 * unless its name ends in .json (then the JSON error is the answer).
 * @param config out: the config object (string values as written; numbers
 *        and booleans of a JSON file turned into strings, as Kafka Connect
 *        reads them); the caller's, json_decref(). Its "name" key holds
 *        the connector's name when the file gave one (a create body's
 *        "name" is copied into it).
 * @return SAMSA_OK; SAMSA_ERR_IO or SAMSA_ERR_CONFIG with "PATH: why" (or
 *         "PATH:LINE: why") in @p errbuf.
 */
samsa_err_t samsa_connect_config_load(const char *path, json_t **config,
                                      char *errbuf, size_t errlen);

#endif /* SAMSA_CONNECT_CONFIG_FILE_H */
