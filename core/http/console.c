/* SPDX-License-Identifier: Apache-2.0 */
/* core/http/console.c - see console.h. */
#include "http/console.h"

/* Generated at build time (console_html.c). */
extern const unsigned char samsa_console_html[];
extern const unsigned long samsa_console_html_len;

static void console_page(const samsa_http_request_t *req,
                         samsa_http_response_t *resp, void *arg)
{
    (void)req;
    (void)arg;
    resp->content_type = "text/html; charset=utf-8";
    samsa_http_append(resp, samsa_console_html, (size_t)samsa_console_html_len);
}

samsa_err_t samsa_http_console_routes(samsa_http_t *http)
{
    samsa_err_t err = samsa_http_route(http, "GET", "/", console_page, NULL);
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, "GET", "/console", console_page, NULL);
    }
    return err;
}
