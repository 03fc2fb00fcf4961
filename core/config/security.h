/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/config/security.h - listener security settings, from Kafka's keys
 * (dots as underscores): listener_security_protocol_map, ssl_keystore_location,
 * ssl_key_location, ssl_key_password, ssl_truststore_location,
 * ssl_client_auth, ssl_principal_mapping_rules, sasl_enabled_mechanisms.
 *
 * Each listener gets one of Kafka's security protocols: the map's entry
 * for its name, else the protocol of that name (a listener named SSL is
 * SSL), else (the controller listener only) PLAINTEXT. Key paths are PEM
 * files. Resolved once at start by samsa_security_config_resolve(); the
 * strings point into cfg->values and live as long as the broker config.
 */
#ifndef SAMSA_CONFIG_SECURITY_H
#define SAMSA_CONFIG_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

struct samsa_broker_config;
struct samsa_principal_mapper;

/** Kafka's SecurityProtocol. */
typedef enum samsa_security_protocol {
    SAMSA_SECURITY_PLAINTEXT = 0,
    SAMSA_SECURITY_SSL = 1,
    SAMSA_SECURITY_SASL_PLAINTEXT = 2,
    SAMSA_SECURITY_SASL_SSL = 3,
} samsa_security_protocol_t;

/** ssl.client.auth */
typedef enum samsa_ssl_client_auth {
    SAMSA_SSL_CLIENT_AUTH_NONE = 0,
    SAMSA_SSL_CLIENT_AUTH_REQUESTED = 1,
    SAMSA_SSL_CLIENT_AUTH_REQUIRED = 2,
} samsa_ssl_client_auth_t;

typedef struct samsa_security_config {
    /** One per cfg->listeners entry (samsa_security_protocol_t). */
    uint8_t *protocol;
    bool any_tls;  /**< some broker listener is SSL or SASL_SSL */
    bool any_sasl; /**< some broker listener is SASL_* */
    /* PEM paths; NULL when unset. */
    const char *ssl_keystore_location;   /**< certificate chain (and key) */
    const char *ssl_key_location;        /**< private key; NULL: keystore */
    const char *ssl_key_password;        /**< for an encrypted key */
    const char *ssl_truststore_location; /**< CAs trusted for clients */
    samsa_ssl_client_auth_t ssl_client_auth;
    /** ssl_principal_mapping_rules, compiled (owned). */
    struct samsa_principal_mapper *principal_mapper;
    /** sasl_enabled_mechanisms as written (comma-separated); NULL: every
     *  loaded sasl instance. */
    const char *sasl_enabled_mechanisms;
    /** What this broker logs in with on a SASL inter-broker listener
     *  (sasl_mechanism_inter_broker_protocol, sasl_inter_broker_username,
     *  sasl_inter_broker_password); NULL when unset. Checked at start
     *  when the inter-broker listener is SASL_*. */
    const char *sasl_inter_broker_mechanism;
    const char *sasl_inter_broker_username;
    const char *sasl_inter_broker_password;
    /** connections_max_reauth_ms; 0: sessions last as their credential. */
    int64_t connections_max_reauth_ms;
    /** Kafka's listener.name.<l>.sasl.enabled.mechanisms, written
     *  listener_name_<l>_sasl_enabled_mechanisms: one per cfg->listeners
     *  entry, that listener's list or NULL (the global one applies). The
     *  strings are owned here. */
    char **listener_mechanisms;
    /** The keys as found in the YAML before the listeners were known
     *  (samsa_security_config_take_overrides), owned. */
    struct samsa_listener_override *overrides;
    size_t override_count;
} samsa_security_config_t;

/** One listener_name_<l>_sasl_enabled_mechanisms key. */
typedef struct samsa_listener_override {
    char *listener; /* <l> as written */
    char *value;
    char *file;
    uint32_t line;
} samsa_listener_override_t;

struct samsa_ynode;

/**
 * Copy the listener_name_<l>_sasl_enabled_mechanisms keys of the broker
 * YAML mapping @p root into @p sc->overrides and move them to its end,
 * out of root->count (so the option table checks the rest); the caller
 * adds *taken back to root->count before freeing the document.
 * samsa_security_config_resolve() later gives each to its listener.
 * Other listener_name_ keys stay (and are refused as unknown).
 * @return SAMSA_OK, SAMSA_ERR_CONFIG (a value that is not a string),
 *         SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_security_config_take_overrides(samsa_security_config_t *sc,
                                                 struct samsa_ynode *root,
                                                 size_t *taken, char *errbuf,
                                                 size_t errbuf_size);

static inline bool samsa_security_is_tls(samsa_security_protocol_t p)
{
    return p == SAMSA_SECURITY_SSL || p == SAMSA_SECURITY_SASL_SSL;
}

static inline bool samsa_security_is_sasl(samsa_security_protocol_t p)
{
    return p == SAMSA_SECURITY_SASL_PLAINTEXT || p == SAMSA_SECURITY_SASL_SSL;
}

/** "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL". */
const char *samsa_security_protocol_name(samsa_security_protocol_t p);

/**
 * Read the security keys of @p cfg->values (listeners and cluster already
 * resolved) into @p cfg->security and check them: every listener has a
 * protocol, TLS listeners have a keystore, files exist.
 * @return SAMSA_OK, SAMSA_ERR_CONFIG (errbuf names the key, file:line and
 *         what was expected), SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_security_config_resolve(struct samsa_broker_config *cfg,
                                          char *errbuf, size_t errbuf_size);

void samsa_security_config_free(samsa_security_config_t *sc);

#endif /* SAMSA_CONFIG_SECURITY_H */
