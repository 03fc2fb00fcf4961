/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/properties.h - Kafka client properties (key=value lines, #
 * comments) read into the client's security settings: the one reader of
 * the samsa CLI's --command-config and the Connect worker's
 * connect_client_config (the keys a Kafka Connect worker.properties or a
 * Kafka tool's client.properties holds).
 *
 * Keys used: security.protocol, sasl.mechanism(s), sasl.jaas.config or
 * sasl.username/sasl.password, ssl.truststore.location (PEM) or
 * ssl.ca.location, a client certificate (ssl.keystore.location as PEM, or
 * ssl.certificate.location and ssl.key.location) and
 * ssl.endpoint.identification.algorithm; other keys are ignored.
 */
#ifndef SAMSA_CLIENT_PROPERTIES_H
#define SAMSA_CLIENT_PROPERTIES_H

#include <stdbool.h>
#include <stddef.h>

#include "client/client.h"

typedef struct samsa_client_props {
    bool tls;  /* security.protocol SSL or SASL_SSL */
    bool sasl; /* security.protocol SASL_PLAINTEXT or SASL_SSL */
    bool ssl_no_hostname_check; /* ssl.endpoint.identification.algorithm= */
    char sasl_mechanism[64];    /* "" = no SASL */
    char sasl_username[256];
    char sasl_password[256];
    char ssl_ca_location[1024]; /* "" = the system's CAs */
    char ssl_certificate_location[1024];
    char ssl_key_location[1024];
    char ssl_key_password[256];
} samsa_client_props_t;

/* One property; SAMSA_ERR_CONFIG with "KEY VALUE: why" in errbuf for a
 * value the client cannot use (an unknown security.protocol, a JKS store). */
samsa_err_t samsa_client_props_set(samsa_client_props_t *p, const char *key,
                                   const char *value, char *errbuf,
                                   size_t errlen);

/* Call @p fn for every KEY=VALUE line of the file at @p path (lines
 * starting with # are comments); stops at fn's first error. The one
 * reader of properties files: SAMSA_ERR_CONFIG with strerror in errbuf
 * when the file cannot be read. */
typedef samsa_err_t (*samsa_properties_fn)(void *arg, const char *key,
                                           const char *value, char *errbuf,
                                           size_t errlen);
samsa_err_t samsa_properties_read(const char *path, samsa_properties_fn fn,
                                  void *arg, char *errbuf, size_t errlen);

/* Every property of the file at @p path. SAMSA_ERR_CONFIG with the reason
 * (strerror, or samsa_client_props_set's) in errbuf; the caller names the
 * file. */
samsa_err_t samsa_client_props_read(samsa_client_props_t *p, const char *path,
                                    char *errbuf, size_t errlen);

/* Point @p conf's security fields at @p p's (which must outlive it until
 * samsa_client_new copied them). */
void samsa_client_props_apply(const samsa_client_props_t *p,
                              samsa_client_conf_t *conf);

#endif /* SAMSA_CLIENT_PROPERTIES_H */
