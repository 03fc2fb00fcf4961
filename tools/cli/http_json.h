/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/http_json.h - the CLI's calls to a broker's HTTP listener
 * (hot keys, Connect's REST API): libcurl for HTTP, jansson for JSON.
 */
#ifndef SAMSA_CLI_HTTP_JSON_H
#define SAMSA_CLI_HTTP_JSON_H

#include <stddef.h>

#include <jansson.h>

/** The listener's base URL: @p http (HOST:PORT or a URL), else
 *  $SAMSA_HTTP, else the first host of @p bootstrap (or $SAMSA_BOOTSTRAP,
 *  or 127.0.0.1) on port 8083. */
void samsa_cli_http_base(const char *http, const char *bootstrap, char *out,
                         size_t len);

/**
 * @p method @p url with @p body (NULL: none) as JSON. Returns the parsed
 * response (NULL for an empty body) and its status in *status; *status is
 * 0 and a line naming @p who is printed when the call itself failed or the
 * answer is not JSON.
 */
json_t *samsa_cli_http_json(const char *who, const char *method,
                            const char *url, const json_t *body, long *status);

#endif /* SAMSA_CLI_HTTP_JSON_H */
