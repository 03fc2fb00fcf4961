/* SPDX-License-Identifier: Apache-2.0 */
/* core/security/auth.c - see auth.h. */
#include "security/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <samsa/authorizer.h>
#include <samsa/sasl.h>

#include "protocol/generated/messages.h"
#include "security/principal_mapper.h"
#include "security/tls_context.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/log_limit.h"

/* Lines any client can trigger (a wrong password, a bad certificate, a
 * mechanism not offered): a few a minute each, the rest counted
 * (log_limit.h), so a client retrying in a loop cannot flood the log. */
static samsa_log_limit_t log_no_principal = SAMSA_LOG_LIMIT_INIT(10, 60000);
static samsa_log_limit_t log_no_mechanism = SAMSA_LOG_LIMIT_INIT(10, 60000);
static samsa_log_limit_t log_reauth = SAMSA_LOG_LIMIT_INIT(10, 60000);
static samsa_log_limit_t log_auth_failed = SAMSA_LOG_LIMIT_INIT(10, 60000);

#define PRINCIPAL_MAX 512

typedef struct mechanism {
    const char *name; /* the plugin's constant string */
    const samsa_sasl_ops_t *ops;
    void *state;
} mechanism_t;

typedef struct authorizer {
    const samsa_authorizer_ops_t *ops;
    void *state;
    const char *name; /* instance name, for the log */
} authorizer_t;

struct samsa_security {
    const samsa_security_config_t *sc; /* borrowed */
    mechanism_t *mechs;
    size_t count;
    authorizer_t *authz; /* manifest order */
    size_t authz_count;
};

struct samsa_auth {
    samsa_security_t *sec;
    samsa_conn_t *conn;
    samsa_security_protocol_t proto;
    const char *offered; /* the listener's enabled mechanisms; NULL: all */
    samsa_auth_state_t state;
    bool raw; /* v0 handshake: bare tokens */
    const mechanism_t *mech;
    samsa_sasl_session_t *sess;
    char principal[PRINCIPAL_MAX];
    /* KIP-368: the session's lifetime as told to the client (0: none),
     * and when it ends on samsa_mono_ms() (0: never). */
    int64_t lifetime_ms;
    int64_t expires_mono_ms;
    bool reauth;       /* a re-authentication is under way */
    char reason[1200]; /* the last failure, for the client */
};

/* Is @p name in the comma-separated @p list (NULL: every name is)? */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        if (len == n && strncasecmp(p, name, n) == 0) {
            return true;
        }
        p += len;
    }
    return !list;
}

/* Every name in @p list has an instance. */
static samsa_err_t check_list(const samsa_security_t *sec, const char *key,
                              const char *list, char *errbuf,
                              size_t errbuf_size)
{
    const char *p = list;
    while (p && *p) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, " ,");
        bool found = false;
        for (size_t j = 0; j < sec->count && len; j++) {
            found = found || (strlen(sec->mechs[j].name) == len &&
                              strncasecmp(sec->mechs[j].name, p, len) == 0);
        }
        if (len && !found) {
            snprintf(errbuf, errbuf_size,
                     "broker config: %s: %.*s has no sasl plugin instance "
                     "(load one, e.g. conf.d/40-sasl-plain.yaml)",
                     key, (int)len, p);
            return SAMSA_ERR_CONFIG;
        }
        p += len;
    }
    return SAMSA_OK;
}

/* sasl_enabled_mechanisms and every listener's override. */
static samsa_err_t check_enabled(const samsa_security_t *sec, char *errbuf,
                                 size_t errbuf_size)
{
    const samsa_security_config_t *sc = sec->sc;
    samsa_err_t rc = check_list(sec, "sasl_enabled_mechanisms",
                                sc ? sc->sasl_enabled_mechanisms : NULL, errbuf,
                                errbuf_size);
    for (size_t j = 0; rc == SAMSA_OK && sc && j < sc->override_count; j++) {
        char key[300];
        snprintf(key, sizeof(key), "listener_name_%s_sasl_enabled_mechanisms",
                 sc->overrides[j].listener);
        rc = check_list(sec, key, sc->overrides[j].value, errbuf, errbuf_size);
    }
    return rc;
}

samsa_err_t samsa_security_create(const samsa_registry_t *reg,
                                  const samsa_security_config_t *sc,
                                  samsa_security_t **out, char *errbuf,
                                  size_t errbuf_size)
{
    samsa_security_t *sec = calloc(1, sizeof(*sec));
    size_t n = samsa_registry_count(reg);
    if (!sec || !(sec->mechs = calloc(n ? n : 1, sizeof(*sec->mechs))) ||
        !(sec->authz = calloc(n ? n : 1, sizeof(*sec->authz)))) {
        samsa_security_destroy(sec);
        return SAMSA_ERR_NOMEM;
    }
    sec->sc = sc;
    for (size_t i = 0; i < n; i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(reg, i);
        if (e->enabled && e->inited && e->kind == SAMSA_KIND_AUTHORIZER) {
            sec->authz[sec->authz_count++] =
                (authorizer_t){e->ops, e->state, e->name};
        }
        if (!e->enabled || !e->inited || e->kind != SAMSA_KIND_SASL) {
            continue;
        }
        const samsa_sasl_ops_t *ops = e->ops;
        /* entry->ops is zero-filled past an older plugin's table. */
        const char *name = ops->instance_mechanism
                               ? ops->instance_mechanism(e->state)
                               : ops->mechanism;
        for (size_t j = 0; j < sec->count; j++) {
            if (strcasecmp(sec->mechs[j].name, name) == 0) {
                snprintf(errbuf, errbuf_size,
                         "%s:%u: sasl instance '%s' offers %s, which another "
                         "instance already offers",
                         e->manifest, e->line, e->name, name);
                samsa_security_destroy(sec);
                return SAMSA_ERR_CONFIG;
            }
        }
        sec->mechs[sec->count++] = (mechanism_t){name, ops, e->state};
    }
    samsa_err_t rc = check_enabled(sec, errbuf, errbuf_size);
    if (rc != SAMSA_OK) {
        samsa_security_destroy(sec);
        return rc;
    }
    *out = sec;
    return SAMSA_OK;
}

void samsa_security_destroy(samsa_security_t *sec)
{
    if (sec) {
        free(sec->mechs);
        free(sec->authz);
        free(sec);
    }
}

size_t samsa_security_mechanism_count(const samsa_security_t *sec)
{
    return sec->count;
}

const char *samsa_security_mechanism(const samsa_security_t *sec, size_t i)
{
    return i < sec->count ? sec->mechs[i].name : NULL;
}

/* An SSL connection's principal: the client certificate's DN through
 * ssl_principal_mapping_rules, or User:ANONYMOUS without one. No rule
 * applying fails the connection, as Kafka's SslPrincipalMapper does. */
static samsa_auth_state_t ssl_principal(const samsa_security_t *sec,
                                        samsa_auth_t *auth)
{
    char dn[PRINCIPAL_MAX], name[PRINCIPAL_MAX - 8];
    samsa_err_t rc =
        samsa_tls_peer_dn(samsa_conn_tls(auth->conn), dn, sizeof(dn));
    if (rc == SAMSA_ERR_NOT_FOUND) {
        return SAMSA_AUTH_AUTHENTICATED; /* User:ANONYMOUS */
    }
    if (rc == SAMSA_OK && sec->sc && sec->sc->principal_mapper) {
        rc = samsa_principal_mapper_apply(sec->sc->principal_mapper, dn, name,
                                          sizeof(name));
    } else if (rc == SAMSA_OK) {
        size_t n = strlen(dn);
        rc = n < sizeof(name) ? SAMSA_OK : SAMSA_ERR_TOO_LARGE;
        memcpy(name, dn, n < sizeof(name) ? n + 1 : 0);
    }
    if (rc != SAMSA_OK) {
        samsa_log_limited(&log_no_principal, SAMSA_LOG_WARN,
                          "%s: %s for client certificate '%s'; closing",
                          samsa_conn_peer(auth->conn),
                          rc == SAMSA_ERR_NOT_FOUND
                              ? "no ssl_principal_mapping_rules rule applies"
                              : "no principal",
                          rc == SAMSA_ERR_NOT_FOUND ? dn : "?");
        return SAMSA_AUTH_FAILED;
    }
    snprintf(auth->principal, sizeof(auth->principal), "User:%s", name);
    return SAMSA_AUTH_AUTHENTICATED;
}

samsa_auth_t *samsa_auth_of(samsa_security_t *sec, samsa_conn_t *conn,
                            samsa_security_protocol_t proto,
                            const char *mechanisms)
{
    samsa_auth_t *auth = samsa_conn_get_auth(conn);
    if (auth) {
        return auth;
    }
    auth = calloc(1, sizeof(*auth));
    if (!auth) {
        return NULL;
    }
    auth->sec = sec;
    auth->conn = conn;
    auth->proto = proto;
    auth->offered = mechanisms;
    snprintf(auth->principal, sizeof(auth->principal), "User:ANONYMOUS");
    if (!samsa_security_is_sasl(proto)) {
        auth->state = proto == SAMSA_SECURITY_SSL ? ssl_principal(sec, auth)
                                                  : SAMSA_AUTH_AUTHENTICATED;
    }
    samsa_conn_set_auth(conn, auth);
    return auth;
}

static void end_session(samsa_auth_t *auth)
{
    if (auth->sess) {
        auth->mech->ops->session_free(auth->sess);
        auth->sess = NULL;
    }
}

void samsa_auth_release(samsa_conn_t *conn)
{
    samsa_auth_t *auth = samsa_conn_get_auth(conn);
    if (auth) {
        end_session(auth);
        samsa_conn_set_auth(conn, NULL);
        free(auth);
    }
}

bool samsa_auth_offers(const samsa_auth_t *auth, const char *mechanism)
{
    return listed(auth->offered, mechanism);
}

samsa_auth_state_t samsa_auth_state(const samsa_auth_t *auth)
{
    return auth->state;
}

bool samsa_auth_may_serve(const samsa_auth_t *auth, int16_t api_key)
{
    switch (auth->state) {
    case SAMSA_AUTH_AUTHENTICATED:
        return true;
    case SAMSA_AUTH_AWAIT_HANDSHAKE:
        return api_key == SAMSA_API_API_VERSIONS ||
               api_key == SAMSA_API_SASL_HANDSHAKE;
    case SAMSA_AUTH_AWAIT_TOKEN:
        return api_key == SAMSA_API_SASL_AUTHENTICATE && !auth->raw;
    default:
        return false;
    }
}

bool samsa_auth_expects_raw_token(const samsa_auth_t *auth)
{
    return auth->state == SAMSA_AUTH_AWAIT_TOKEN && auth->raw;
}

/* "127.0.0.1:5321" / "[::1]:5321" -> host and port. */
static void split_peer(const char *peer, char *host, size_t len, int32_t *port)
{
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (peer[0] == '[' && n >= 2) {
        peer++;
        n -= 2;
    }
    snprintf(host, len, "%.*s", (int)n, peer);
    *port = colon ? atoi(colon + 1) : 0;
}

samsa_err_t samsa_auth_handshake(samsa_auth_t *auth, const char *mechanism,
                                 int16_t version, const char *client_id)
{
    if (!samsa_security_is_sasl(auth->proto)) {
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    /* KIP-368: an authenticated connection with a session lifetime starts
     * again with a v1 handshake for the same mechanism; its principal
     * serves nothing until that ends. */
    bool reauth = auth->state == SAMSA_AUTH_AUTHENTICATED &&
                  auth->lifetime_ms > 0 && version >= 1 && auth->mech &&
                  strcmp(auth->mech->name, mechanism) == 0;
    if (auth->state != SAMSA_AUTH_AWAIT_HANDSHAKE && !reauth) {
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    const mechanism_t *m = NULL;
    for (size_t i = 0; i < auth->sec->count; i++) {
        if (strcmp(auth->sec->mechs[i].name, mechanism) == 0 &&
            listed(auth->offered, mechanism)) {
            m = &auth->sec->mechs[i];
        }
    }
    if (!m) {
        samsa_log_limited(
            &log_no_mechanism, SAMSA_LOG_INFO,
            "%s: SASL mechanism '%s' is not enabled on this listener",
            samsa_conn_peer(auth->conn), mechanism);
        return SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM;
    }
    char host[64];
    samsa_sasl_conn_info_t info = {
        .hdr = SAMSA_ABI_HEADER(samsa_sasl_conn_info_t),
        .client_host = host,
        .listener = samsa_security_protocol_name(auth->proto),
        .client_id = client_id,
        .tls = auth->proto == SAMSA_SECURITY_SASL_SSL,
    };
    split_peer(samsa_conn_peer(auth->conn), host, sizeof(host),
               &info.client_port);
    samsa_err_t err = m->ops->session_new(m->state, &info, &auth->sess);
    if (err != SAMSA_OK) {
        return err;
    }
    auth->mech = m;
    auth->raw = version == 0;
    auth->reauth = reauth;
    auth->state = SAMSA_AUTH_AWAIT_TOKEN;
    return SAMSA_OK;
}

/* The exchange succeeded: take the principal (the same one again when
 * re-authenticating, as Kafka insists) and the session's lifetime:
 * connections_max_reauth_ms, or less when the credential expires sooner. */
static samsa_err_t authenticated(samsa_auth_t *auth)
{
    const samsa_sasl_ops_t *ops = auth->mech->ops;
    const char *p = ops->principal(auth->sess);
    char principal[PRINCIPAL_MAX];
    snprintf(principal, sizeof(principal), "%s", p ? p : "User:ANONYMOUS");
    int64_t expiry =
        ops->credential_expiry_ms ? ops->credential_expiry_ms(auth->sess) : -1;
    end_session(auth);
    if (auth->reauth && strcmp(principal, auth->principal) != 0) {
        snprintf(auth->reason, sizeof(auth->reason),
                 "Cannot change principals during re-authentication from %s "
                 "to %s",
                 auth->principal, principal);
        samsa_log_limited(&log_reauth, SAMSA_LOG_INFO, "%s: %s; closing",
                          samsa_conn_peer(auth->conn), auth->reason);
        auth->state = SAMSA_AUTH_FAILED;
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    memcpy(auth->principal, principal, sizeof(principal));
    int64_t max_ms =
        auth->sec->sc ? auth->sec->sc->connections_max_reauth_ms : 0;
    int64_t left = expiry >= 0 ? expiry - samsa_wall_ms() : -1;
    int64_t lifetime = max_ms > 0 ? max_ms : -1;
    if (left >= 0 && (lifetime < 0 || left < lifetime)) {
        lifetime = left > 0 ? left : 1;
    }
    auth->lifetime_ms = lifetime > 0 ? lifetime : 0;
    auth->expires_mono_ms =
        auth->lifetime_ms ? samsa_mono_ms() + auth->lifetime_ms : 0;
    auth->state = SAMSA_AUTH_AUTHENTICATED;
    samsa_log(SAMSA_LOG_DEBUG, "%s: %sauthenticated as %s with %s%s",
              samsa_conn_peer(auth->conn), auth->reauth ? "re-" : "",
              auth->principal, auth->mech->name,
              auth->lifetime_ms ? " (session lifetime set)" : "");
    auth->reauth = false;
    return SAMSA_OK;
}

samsa_err_t samsa_auth_step(samsa_auth_t *auth, const void *in, size_t in_len,
                            void **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (auth->state != SAMSA_AUTH_AWAIT_TOKEN || !auth->sess) {
        auth->state = SAMSA_AUTH_FAILED;
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    bool done = false;
    auth->reason[0] = '\0';
    samsa_err_t err =
        auth->mech->ops->step(auth->sess, in, in_len, out, out_len, &done);
    if (err == SAMSA_OK && done) {
        return authenticated(auth);
    }
    if (err == SAMSA_OK) {
        return SAMSA_OK;
    }
    if (err != SAMSA_ERR_ILLEGAL_SASL_STATE) {
        err = SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    const char *why = auth->mech->ops->failure_reason
                          ? auth->mech->ops->failure_reason(auth->sess)
                          : NULL;
    snprintf(auth->reason, sizeof(auth->reason), "%s", why ? why : "");
    samsa_log_limited(&log_auth_failed, SAMSA_LOG_INFO,
                      "%s: SASL %s authentication failed (%s); closing",
                      samsa_conn_peer(auth->conn), auth->mech->name,
                      why ? why
                      : err == SAMSA_ERR_ILLEGAL_SASL_STATE
                          ? "malformed token"
                          : "invalid credentials");
    auth->state = SAMSA_AUTH_FAILED;
    end_session(auth);
    return err;
}

void samsa_auth_token_free(void *token)
{
    if (token) {
        samsa_services()->free(token);
    }
}

int64_t samsa_auth_session_lifetime_ms(const samsa_auth_t *auth)
{
    return auth->lifetime_ms;
}

bool samsa_auth_session_expired(const samsa_auth_t *auth)
{
    return auth->state == SAMSA_AUTH_AUTHENTICATED && auth->expires_mono_ms &&
           samsa_mono_ms() >= auth->expires_mono_ms;
}

const char *samsa_auth_failure_reason(const samsa_auth_t *auth)
{
    return auth->reason[0] ? auth->reason : NULL;
}

const char *samsa_auth_principal(const samsa_auth_t *auth)
{
    return auth->principal;
}

samsa_err_t samsa_security_authorize(const samsa_security_t *sec,
                                     samsa_conn_t *conn,
                                     const samsa_security_identity_t *as,
                                     int16_t api_key, int16_t api_version,
                                     uint32_t operation, uint32_t resource_type,
                                     const char *name)
{
    if (!sec || sec->authz_count == 0 || !conn) {
        return SAMSA_OK;
    }
    const samsa_auth_t *auth = samsa_conn_get_auth(conn);
    char host[64];
    int32_t port;
    split_peer(samsa_conn_peer(conn), host, sizeof(host), &port);
    samsa_authz_request_t req = {
        .hdr = SAMSA_ABI_HEADER(samsa_authz_request_t),
        .principal = as     ? as->principal
                     : auth ? auth->principal
                            : "User:ANONYMOUS",
        .host = as ? as->host : host,
        .resource_name = name,
        .operation = operation,
        .resource_type = resource_type,
        .api_key = api_key,
        .api_version = api_version,
    };
    for (size_t i = 0; i < sec->authz_count; i++) {
        samsa_err_t err =
            sec->authz[i].ops->authorize(sec->authz[i].state, &req);
        if (err == SAMSA_ERR_DECLINED) {
            continue;
        }
        if (err == SAMSA_OK) {
            return SAMSA_OK;
        }
        if (err != samsa_authz_deny_code(resource_type)) {
            samsa_log(SAMSA_LOG_WARN,
                      "authorizer '%s' answered %d for %s; denying",
                      sec->authz[i].name, err, req.principal);
        }
        break;
    }
    samsa_log(
        SAMSA_LOG_DEBUG, "%s: %s denied operation %u on resource type %u '%s'",
        samsa_conn_peer(conn), req.principal, operation, resource_type, name);
    return samsa_authz_deny_code(resource_type);
}

const samsa_authorizer_ops_t *
samsa_security_acl_manager(const samsa_security_t *sec, void **state)
{
    for (size_t i = 0; sec && i < sec->authz_count; i++) {
        const samsa_authorizer_ops_t *ops = sec->authz[i].ops;
        if (ops->create_acl && ops->delete_acls && ops->describe_acls) {
            *state = sec->authz[i].state;
            return ops;
        }
    }
    return NULL;
}

bool samsa_security_acls_hosted(const samsa_security_t *sec)
{
    void *state = NULL;
    const samsa_authorizer_ops_t *ops = samsa_security_acl_manager(sec, &state);
    return ops && SAMSA_ABI_HAS(samsa_authorizer_ops_t, ops, set_acls) &&
           ops->set_acls;
}

samsa_err_t samsa_security_set_acls(const samsa_security_t *sec,
                                    const samsa_acl_binding_t *acls,
                                    size_t count)
{
    void *state = NULL;
    const samsa_authorizer_ops_t *ops = samsa_security_acl_manager(sec, &state);
    if (!samsa_security_acls_hosted(sec)) {
        return SAMSA_ERR_DECLINED;
    }
    return ops->set_acls(state, acls, count);
}
