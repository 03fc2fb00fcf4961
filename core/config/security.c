/* SPDX-License-Identifier: Apache-2.0 */
/* core/config/security.c - see security.h. */
#include "config/security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/broker.h"
#include "config/options.h"
#include "config/yaml.h"
#include "security/principal_mapper.h"

static const char *const protocol_names[] = {"PLAINTEXT", "SSL",
                                             "SASL_PLAINTEXT", "SASL_SSL"};

const char *samsa_security_protocol_name(samsa_security_protocol_t p)
{
    return (unsigned)p < 4 ? protocol_names[p] : "?";
}

static int protocol_by_name(const char *name, size_t len)
{
    for (int i = 0; i < 4; i++) {
        if (strlen(protocol_names[i]) == len &&
            strncasecmp(protocol_names[i], name, len) == 0) {
            return i;
        }
    }
    return -1;
}

#define fail samsa_broker_config_fail

/* A set, non-empty string key, or NULL. */
static const char *opt_str(const samsa_broker_config_t *cfg, const char *key)
{
    const char *s = NULL;
    samsa_config_string(cfg->values, key, &s);
    return s && s[0] ? s : NULL;
}

/* The map's protocol for listener @p name: -1 when the map has no entry,
 * -2 when the map is malformed (*bad points at the entry). */
static int map_lookup(const char *map, const char *name, const char **bad)
{
    size_t n = strlen(name);
    for (const char *p = map; *p;) {
        size_t len = strcspn(p, ",");
        const char *colon = memchr(p, ':', len);
        *bad = p;
        if (!colon || colon == p) {
            return -2;
        }
        int proto = protocol_by_name(colon + 1, len - (size_t)(colon + 1 - p));
        if (proto < 0) {
            return -2;
        }
        if ((size_t)(colon - p) == n && strncasecmp(p, name, n) == 0) {
            return proto;
        }
        p += len;
        p += *p == ',';
    }
    return -1;
}

static samsa_err_t check_file(const samsa_broker_config_t *cfg, const char *key,
                              const char *path, char *errbuf,
                              size_t errbuf_size)
{
    char what[600];
    if (path && access(path, R_OK) != 0) {
        snprintf(what, sizeof(what), "cannot read PEM file '%s'", path);
        return fail(cfg, key, errbuf, errbuf_size, what);
    }
    return SAMSA_OK;
}

/* A SASL inter-broker listener needs this broker's own login. */
static samsa_err_t resolve_inter_broker_sasl(samsa_broker_config_t *cfg,
                                             char *errbuf, size_t errbuf_size)
{
    samsa_security_config_t *sc = &cfg->security;
    sc->sasl_inter_broker_mechanism =
        opt_str(cfg, "sasl_mechanism_inter_broker_protocol");
    sc->sasl_inter_broker_username = opt_str(cfg, "sasl_inter_broker_username");
    sc->sasl_inter_broker_password = opt_str(cfg, "sasl_inter_broker_password");
    int ib = cfg->cluster.inter_broker_listener;
    if (ib < 0 ||
        !samsa_security_is_sasl((samsa_security_protocol_t)sc->protocol[ib])) {
        return SAMSA_OK;
    }
    const char *mech = sc->sasl_inter_broker_mechanism;
    if (mech && strcmp(mech, "PLAIN") != 0 &&
        strcmp(mech, "SCRAM-SHA-256") != 0 &&
        strcmp(mech, "SCRAM-SHA-512") != 0) {
        return fail(cfg, "sasl_mechanism_inter_broker_protocol", errbuf,
                    errbuf_size,
                    "the inter-broker listener is SASL: expected PLAIN, "
                    "SCRAM-SHA-256 or SCRAM-SHA-512");
    }
    /* A standalone broker or a lone voter has no peer to log in to (its
     * Connect worker logs in with connect_client_config): only a cluster
     * node needs it. */
    if (!samsa_cluster_is_quorum(&cfg->cluster) || cfg->cluster.solo) {
        return SAMSA_OK;
    }
    if (!mech) {
        return fail(cfg, "sasl_mechanism_inter_broker_protocol", errbuf,
                    errbuf_size,
                    "the inter-broker listener is SASL: expected PLAIN, "
                    "SCRAM-SHA-256 or SCRAM-SHA-512");
    }
    if (!sc->sasl_inter_broker_username) {
        return fail(cfg, "sasl_inter_broker_username", errbuf, errbuf_size,
                    "the inter-broker listener is SASL: the user this "
                    "broker logs in as is required");
    }
    return SAMSA_OK;
}

static samsa_err_t resolve_ssl(samsa_broker_config_t *cfg, char *errbuf,
                               size_t errbuf_size)
{
    samsa_security_config_t *sc = &cfg->security;
    static const char *const auths[] = {"none", "requested", "required"};
    const char *auth = opt_str(cfg, "ssl_client_auth");
    bool known = false;
    for (int i = 0; auth && i < 3; i++) {
        if (strcasecmp(auth, auths[i]) == 0) {
            sc->ssl_client_auth = (samsa_ssl_client_auth_t)i;
            known = true;
        }
    }
    if (!known) {
        return fail(cfg, "ssl_client_auth", errbuf, errbuf_size,
                    "expected none, requested or required");
    }
    sc->ssl_keystore_location = opt_str(cfg, "ssl_keystore_location");
    sc->ssl_key_location = opt_str(cfg, "ssl_key_location");
    sc->ssl_key_password = opt_str(cfg, "ssl_key_password");
    sc->ssl_truststore_location = opt_str(cfg, "ssl_truststore_location");
    sc->sasl_enabled_mechanisms = opt_str(cfg, "sasl_enabled_mechanisms");
    samsa_config_int(cfg->values, "connections_max_reauth_ms",
                     &sc->connections_max_reauth_ms);
    samsa_err_t irc = resolve_inter_broker_sasl(cfg, errbuf, errbuf_size);
    if (irc != SAMSA_OK) {
        return irc;
    }
    char why[400];
    samsa_err_t mrc = samsa_principal_mapper_create(
        opt_str(cfg, "ssl_principal_mapping_rules"), &sc->principal_mapper, why,
        sizeof(why));
    if (mrc == SAMSA_ERR_NOMEM) {
        return mrc;
    }
    if (mrc != SAMSA_OK) {
        return fail(cfg, "ssl_principal_mapping_rules", errbuf, errbuf_size,
                    why);
    }
    if (sc->ssl_client_auth != SAMSA_SSL_CLIENT_AUTH_NONE &&
        !sc->ssl_truststore_location) {
        return fail(cfg, "ssl_client_auth", errbuf, errbuf_size,
                    "ssl_client_auth requested or required needs the PEM "
                    "file of the CAs that sign client certificates");
    }
    if (!sc->any_tls) {
        return SAMSA_OK;
    }
    if (!sc->ssl_keystore_location) {
        return fail(cfg, "listeners", errbuf, errbuf_size,
                    "an SSL or SASL_SSL listener needs ssl_keystore_location, "
                    "the broker's PEM certificate chain (and "
                    "ssl_key_location for its key unless the same file "
                    "holds it)");
    }
    samsa_err_t rc = check_file(cfg, "ssl_keystore_location",
                                sc->ssl_keystore_location, errbuf, errbuf_size);
    if (rc == SAMSA_OK) {
        rc = check_file(cfg, "ssl_key_location", sc->ssl_key_location, errbuf,
                        errbuf_size);
    }
    if (rc == SAMSA_OK) {
        rc = check_file(cfg, "ssl_truststore_location",
                        sc->ssl_truststore_location, errbuf, errbuf_size);
    }
    return rc;
}

#define OVERRIDE_PREFIX "listener_name_"
#define OVERRIDE_SUFFIX "_sasl_enabled_mechanisms"

samsa_err_t samsa_security_config_take_overrides(samsa_security_config_t *sc,
                                                 samsa_ynode_t *root,
                                                 size_t *taken, char *errbuf,
                                                 size_t errbuf_size)
{
    *taken = 0;
    size_t pl = strlen(OVERRIDE_PREFIX), sl = strlen(OVERRIDE_SUFFIX);
    if (!root || root->type != SAMSA_YNODE_MAP) {
        return SAMSA_OK;
    }
    size_t kept = 0, n_all = root->count;
    for (size_t k = 0; k < n_all; k++) {
        const samsa_ynode_t *key = root->keys[k], *val = root->items[k];
        const char *name = key->value ? key->value : "";
        size_t n = strlen(name);
        if (n <= pl + sl || strncmp(name, OVERRIDE_PREFIX, pl) != 0 ||
            strcmp(name + n - sl, OVERRIDE_SUFFIX) != 0) {
            /* Kept in front; the taken ones move behind (swapped, so the
             * document still frees every node). */
            samsa_ynode_t *tk = root->keys[kept], *ti = root->items[kept];
            root->keys[kept] = root->keys[k];
            root->items[kept] = root->items[k];
            root->keys[k] = tk;
            root->items[k] = ti;
            kept++;
            continue;
        }
        if (val->type != SAMSA_YNODE_SCALAR) {
            snprintf(errbuf, errbuf_size,
                     "%s:%u: broker config: %s expects a comma-separated "
                     "list of mechanisms as a string",
                     val->file, val->line, name);
            return SAMSA_ERR_CONFIG;
        }
        samsa_listener_override_t *grown =
            realloc(sc->overrides, (sc->override_count + 1) * sizeof(*grown));
        if (!grown) {
            return SAMSA_ERR_NOMEM;
        }
        sc->overrides = grown;
        samsa_listener_override_t *o = &grown[sc->override_count];
        *o = (samsa_listener_override_t){
            .listener = strndup(name + pl, n - pl - sl),
            .value = strdup(val->value ? val->value : ""),
            .file = strdup(key->file ? key->file : ""),
            .line = key->line,
        };
        sc->override_count++;
        if (!o->listener || !o->value || !o->file) {
            return SAMSA_ERR_NOMEM;
        }
    }
    /* The option table sees the first *kept; the caller restores the
     * count before the document is freed. */
    *taken = n_all - kept;
    root->count = kept;
    return SAMSA_OK;
}

/* Each override to its listener, by name (case-insensitive, as Kafka
 * lower-cases listener names in these keys). */
static samsa_err_t resolve_overrides(samsa_broker_config_t *cfg, char *errbuf,
                                     size_t errbuf_size)
{
    samsa_security_config_t *sc = &cfg->security;
    sc->listener_mechanisms =
        calloc(cfg->listener_count ? cfg->listener_count : 1, sizeof(char *));
    if (!sc->listener_mechanisms) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t j = 0; j < sc->override_count; j++) {
        const samsa_listener_override_t *o = &sc->overrides[j];
        size_t i = 0;
        while (i < cfg->listener_count &&
               strcasecmp(cfg->listeners[i].name, o->listener) != 0) {
            i++;
        }
        if (i == cfg->listener_count) {
            snprintf(errbuf, errbuf_size,
                     "%s:%u: broker config: listener_name_%s_sasl_enabled_"
                     "mechanisms: no listener is named %s",
                     o->file, o->line, o->listener, o->listener);
            return SAMSA_ERR_CONFIG;
        }
        sc->listener_mechanisms[i] = o->value;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_security_config_resolve(samsa_broker_config_t *cfg,
                                          char *errbuf, size_t errbuf_size)
{
    samsa_security_config_t *sc = &cfg->security;
    const char *map = opt_str(cfg, "listener_security_protocol_map");
    char what[700];

    sc->protocol = calloc(cfg->listener_count ? cfg->listener_count : 1, 1);
    if (!sc->protocol) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < cfg->listener_count; i++) {
        const char *name = cfg->listeners[i].name;
        const char *bad = "";
        int proto = map ? map_lookup(map, name, &bad) : -1;
        if (proto == -2) {
            snprintf(what, sizeof(what),
                     "'%.*s' is not NAME:PROTOCOL with PROTOCOL one of "
                     "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
                     (int)strcspn(bad, ","), bad);
            return fail(cfg, "listener_security_protocol_map", errbuf,
                        errbuf_size, what);
        }
        if (proto < 0) {
            proto = protocol_by_name(name, strlen(name));
        }
        if (proto < 0 && (int)i == cfg->cluster.controller_listener) {
            proto = SAMSA_SECURITY_PLAINTEXT;
        }
        if (proto < 0) {
            snprintf(what, sizeof(what),
                     "listener %s has no security protocol: map it in "
                     "listener_security_protocol_map (e.g. %s:SSL)",
                     name, name);
            return fail(cfg, "listeners", errbuf, errbuf_size, what);
        }
        if ((int)i == cfg->cluster.controller_listener &&
            samsa_security_is_sasl((samsa_security_protocol_t)proto)) {
            snprintf(what, sizeof(what),
                     "controller listener %s: SASL is not supported for the "
                     "metadata quorum; map it to SSL (mutual TLS through "
                     "transport-tls) or PLAINTEXT",
                     name);
            return fail(cfg, "listener_security_protocol_map", errbuf,
                        errbuf_size, what);
        }
        sc->protocol[i] = (uint8_t)proto;
        if ((int)i != cfg->cluster.controller_listener) {
            sc->any_tls = sc->any_tls || samsa_security_is_tls(proto);
            sc->any_sasl = sc->any_sasl || samsa_security_is_sasl(proto);
        }
    }
    samsa_err_t rc = resolve_overrides(cfg, errbuf, errbuf_size);
    return rc == SAMSA_OK ? resolve_ssl(cfg, errbuf, errbuf_size) : rc;
}

void samsa_security_config_free(samsa_security_config_t *sc)
{
    for (size_t j = 0; j < sc->override_count; j++) {
        free(sc->overrides[j].listener);
        free(sc->overrides[j].value);
        free(sc->overrides[j].file);
    }
    free(sc->overrides);
    free(sc->listener_mechanisms);
    free(sc->protocol);
    samsa_principal_mapper_free(sc->principal_mapper);
    memset(sc, 0, sizeof(*sc));
}
