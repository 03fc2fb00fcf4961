/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/interbroker.h - how this broker's own clients (registration
 * and heartbeats, forwarded admin requests, AlterPartition, transaction
 * markers) reach other brokers: over the inter-broker listener, speaking
 * its security protocol, as Kafka's broker-to-broker channels do.
 */
#ifndef SAMSA_BROKER_INTERBROKER_H
#define SAMSA_BROKER_INTERBROKER_H

#include "client/client.h"
#include "config/broker.h"
#include "registry/registry.h"

/* Fill @p conf's security fields for the inter-broker listener of @p cfg: when
 * it is SSL or SASL_SSL, TLS with the broker's ssl_keystore_location (and
 * ssl_key_location) as client certificate, so the peer maps it to this
 * broker's principal, and ssl_truststore_location as the CAs; the peer's
 * certificate must name the host connected to; ssl_key_password for an
 * encrypted key. SASL_PLAINTEXT and SASL_SSL: also the SASL login,
 * sasl_mechanism_inter_broker_protocol as sasl_inter_broker_username
 * with sasl_inter_broker_password (the replica fetchers log in the same
 * way, replica/sasl_login.h). PLAINTEXT: unchanged. The strings are
 * borrowed from @p cfg. @p tls (from samsa_interbroker_tls_new, may be
 * NULL) becomes the clients' shared context, so they present what the
 * last SIGHUP loaded rather than whatever the files hold when a client
 * happens to connect. */
void samsa_interbroker_client_conf(const samsa_broker_config_t *cfg,
                                   samsa_client_tls_ctx_t *tls,
                                   samsa_client_conf_t *conf);

/* The TLS context every inter-broker client shares, read from the files
 * above, when the inter-broker listener is SSL or SASL_SSL (*out NULL
 * otherwise); samsa_broker_reload_tls reads it again on SIGHUP. */
samsa_err_t samsa_interbroker_tls_new(const samsa_broker_config_t *cfg,
                                      samsa_client_tls_ctx_t **out,
                                      char *errbuf, size_t errlen);

/* The transport plugin instance for listener @p listener's security
 * protocol, as Kafka's broker-to-broker channels speak it: SSL (and
 * SASL_SSL) through the first transport-tls instance, PLAINTEXT through
 * the first other transport. NULL when none is loaded. Used for follower
 * fetches (the inter-broker listener) and the controllers' Raft traffic
 * (the controller listener). */
const samsa_registry_entry_t *
samsa_interbroker_transport(samsa_registry_t *reg,
                            const samsa_broker_config_t *cfg, int listener);

#endif /* SAMSA_BROKER_INTERBROKER_H */
