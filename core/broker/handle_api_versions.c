/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/handle_api_versions.c - ApiVersions (key 18). */
#include "broker/handlers.h"

void samsa_handle_api_versions(samsa_req_t *req)
{
    samsa_ApiVersionsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_ApiVersionsResponse_init(resp);
    int n = 0;
    for (int16_t k = 0; k < samsa_broker_api_count(); k++) {
        n += samsa_broker_api(k) != NULL;
    }
    SAMSA_REQ_ARRAY(req, resp->ApiKeys, n);
    int i = 0;
    for (int16_t k = 0; k < samsa_broker_api_count(); k++) {
        const samsa_api_handler_t *h = samsa_broker_api(k);
        if (!h) {
            continue;
        }
        samsa_ApiVersionsResponse_ApiVersion_t *v = &resp->ApiKeys.items[i++];
        samsa_ApiVersionsResponse_ApiVersion_init(v);
        v->ApiKey = h->api_key;
        v->MinVersion = h->min_version;
        v->MaxVersion = h->max_version;
    }
    resp->ErrorCode = SAMSA_OK;
    resp->ThrottleTimeMs = 0;
    samsa_req_respond(req, resp);
}
