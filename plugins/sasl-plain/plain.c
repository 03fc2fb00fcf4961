/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl-plain: the PLAIN mechanism (RFC 4616) against a users file, like
 * Kafka's PlainLoginModule. One token: [authzid] NUL authcid NUL password;
 * an authzid other than the authcid is refused, as Kafka does. The
 * principal is "User:<authcid>". Use it over SASL_SSL: the password
 * travels as sent.
 */
#include <stdio.h>
#include <string.h>

#include <samsa/sasl.h>

#include "plain_message.h"
#include "users.h"

#define PRINCIPAL_MAX 300

typedef struct plain_state {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    plain_users_t *users;
} plain_state_t;

struct samsa_sasl_session {
    plain_state_t *st;
    char principal[PRINCIPAL_MAX];
};

static samsa_err_t plain_init(const samsa_services_t *svc,
                              const samsa_instance_t *inst, void **state,
                              char *errbuf, size_t errbuf_size)
{
    const char *path = NULL;
    svc->config_string(inst->config, "users_file", &path);
    plain_state_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->inst = inst;
    samsa_err_t rc =
        plain_users_load(svc, path, &st->users, errbuf, errbuf_size);
    if (rc != SAMSA_OK) {
        svc->free(st);
        return rc;
    }
    *state = st;
    return SAMSA_OK;
}

static void plain_fini(void *state)
{
    plain_state_t *st = state;
    if (st) {
        plain_users_free(st->users);
        st->svc->free(st);
    }
}

static samsa_err_t plain_session_new(void *state,
                                     const samsa_sasl_conn_info_t *info,
                                     samsa_sasl_session_t **sess)
{
    (void)info;
    plain_state_t *st = state;
    samsa_sasl_session_t *s = st->svc->alloc(sizeof(*s));
    if (!s) {
        return SAMSA_ERR_NOMEM;
    }
    s->st = st;
    s->principal[0] = '\0';
    *sess = s;
    return SAMSA_OK;
}

static samsa_err_t plain_step(samsa_sasl_session_t *sess, const void *in,
                              size_t in_len, void **out, size_t *out_len,
                              bool *done)
{
    *out = NULL;
    *out_len = 0;
    *done = false;
    plain_message_t m;
    samsa_err_t rc = plain_parse_message(in, in_len, PRINCIPAL_MAX - 6, &m);
    if (rc != SAMSA_OK) {
        return rc;
    }
    if (!plain_users_check(sess->st->users, m.user, m.user_len, m.password,
                           m.password_len)) {
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    snprintf(sess->principal, sizeof(sess->principal), "User:%.*s",
             (int)m.user_len, m.user);
    *done = true;
    return SAMSA_OK;
}

static const char *plain_principal(const samsa_sasl_session_t *sess)
{
    return sess->principal;
}

static void plain_session_free(samsa_sasl_session_t *sess)
{
    sess->st->svc->free(sess);
}

static const samsa_option_t plain_options[] = {
    {"users_file", SAMSA_OPT_STRING, SAMSA_OPT_REQUIRED, NULL, 0, 0,
     "File of `name:password` lines (# comments), read at start; keep it "
     "readable by the broker only."},
    SAMSA_OPTION_END,
};

static const samsa_sasl_ops_t plain_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_sasl_ops_t),
    .mechanism = "PLAIN",
    .session_new = plain_session_new,
    .step = plain_step,
    .principal = plain_principal,
    .session_free = plain_session_free,
};

static const samsa_plugin_t plain_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SASL,
    .name = "sasl-plain",
    .version = "1.0.0",
    .summary = "SASL PLAIN against a users file",
    .options = plain_options,
    .init = plain_init,
    .fini = plain_fini,
    .ops = &plain_ops,
};

SAMSA_PLUGIN_DECLARE(plain_plugin)
