/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/http/console.h - the read-only web console: one static page
 * (core/http/console/index.html, compiled in by cmake/embed.cmake) served
 * at / and /console. It draws from the JSON under /api/ (see
 * core/broker/observe.h) and loads nothing from elsewhere.
 */
#ifndef SAMSA_HTTP_CONSOLE_H
#define SAMSA_HTTP_CONSOLE_H

#include "http/http.h"

samsa_err_t samsa_http_console_routes(samsa_http_t *http);

#endif /* SAMSA_HTTP_CONSOLE_H */
