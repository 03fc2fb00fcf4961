/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/interbroker.c - see interbroker.h. */
#include "broker/interbroker.h"

void samsa_interbroker_client_conf(const samsa_broker_config_t *cfg,
                                   samsa_client_conf_t *conf)
{
    int ib = cfg->cluster.inter_broker_listener;
    const samsa_security_config_t *sc = &cfg->security;
    if (ib < 0 || !sc->protocol ||
        !samsa_security_is_tls((samsa_security_protocol_t)sc->protocol[ib])) {
        return;
    }
    conf->tls = true;
    conf->ssl_ca_location = sc->ssl_truststore_location;
    conf->ssl_certificate_location = sc->ssl_keystore_location;
    conf->ssl_key_location =
        sc->ssl_key_location ? sc->ssl_key_location : sc->ssl_keystore_location;
}
