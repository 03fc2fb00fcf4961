/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/interbroker.c - see interbroker.h. */
#include "broker/interbroker.h"

#include <stdio.h>
#include <string.h>

void samsa_interbroker_client_conf(const samsa_broker_config_t *cfg,
                                   samsa_client_tls_ctx_t *tls,
                                   samsa_client_conf_t *conf)
{
    int ib = cfg->cluster.inter_broker_listener;
    const samsa_security_config_t *sc = &cfg->security;
    if (ib < 0 || !sc->protocol) {
        return;
    }
    samsa_security_protocol_t proto =
        (samsa_security_protocol_t)sc->protocol[ib];
    if (samsa_security_is_sasl(proto)) {
        conf->sasl_mechanism = sc->sasl_inter_broker_mechanism;
        conf->sasl_username = sc->sasl_inter_broker_username;
        conf->sasl_password = sc->sasl_inter_broker_password;
    }
    if (!samsa_security_is_tls(proto)) {
        return;
    }
    conf->ssl_key_password = sc->ssl_key_password;
    conf->tls = true;
    conf->ssl_ca_location = sc->ssl_truststore_location;
    conf->ssl_certificate_location = sc->ssl_keystore_location;
    conf->ssl_key_location =
        sc->ssl_key_location ? sc->ssl_key_location : sc->ssl_keystore_location;
    conf->shared_tls = tls;
}

samsa_err_t samsa_interbroker_tls_new(const samsa_broker_config_t *cfg,
                                      samsa_client_tls_ctx_t **out,
                                      char *errbuf, size_t errlen)
{
    samsa_client_conf_t conf = {0};
    *out = NULL;
    samsa_interbroker_client_conf(cfg, NULL, &conf);
    if (!conf.tls) {
        return SAMSA_OK;
    }
    char why[400] = "";
    samsa_err_t err = samsa_client_tls_ctx_new(&conf, out, why, sizeof(why));
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "the inter-broker clients' TLS %s", why);
    }
    return err;
}

const samsa_registry_entry_t *
samsa_interbroker_transport(samsa_registry_t *reg,
                            const samsa_broker_config_t *cfg, int listener)
{
    bool tls = listener >= 0 && cfg->security.protocol &&
               samsa_security_is_tls(
                   (samsa_security_protocol_t)cfg->security.protocol[listener]);
    for (size_t i = 0; i < samsa_registry_count(reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(reg, i);
        if (e->kind == SAMSA_KIND_TRANSPORT && e->enabled && e->inited &&
            (strcmp(e->plugin, "transport-tls") == 0) == tls) {
            return e;
        }
    }
    return NULL;
}
