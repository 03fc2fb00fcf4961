/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl-plain: the PLAIN mechanism (RFC 4616) against a users file, like
 * Kafka's PlainLoginModule, or against a user's verify library (Kafka's
 * sasl.server.callback.handler.class; include/samsa/sasl_plain_verify.h):
 * exactly one of the two is configured. One token: [authzid] NUL authcid NUL
 * password; an authzid other than the authcid is refused, as Kafka does. The
 * principal is "User:<authcid>". Use it over SASL_SSL: the password
 * travels as sent.
 */
#include <stdio.h>
#include <string.h>

#include <samsa/sasl.h>

#include "plain_message.h"
#include "users.h"
#include "verify_library.h"

#define PRINCIPAL_MAX 300

typedef struct plain_state {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    plain_users_t *users;       /* users_file, or NULL */
    plain_verify_library_t lib; /* verify_library, or handle NULL */
} plain_state_t;

struct samsa_sasl_session {
    plain_state_t *st;
    char principal[PRINCIPAL_MAX];
};

static samsa_err_t plain_init(const samsa_services_t *svc,
                              const samsa_instance_t *inst, void **state,
                              char *errbuf, size_t errbuf_size)
{
    const char *path = "";
    const char *lib = "";
    svc->config_string(inst->config, "users_file", &path);
    svc->config_string(inst->config, "verify_library", &lib);
    if ((path && *path) == (lib && *lib)) {
        snprintf(errbuf, errbuf_size,
                 "set exactly one of users_file and verify_library");
        return SAMSA_ERR_CONFIG;
    }
    plain_state_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->svc = svc;
    st->inst = inst;
    samsa_err_t rc =
        (lib && *lib)
            ? plain_verify_library_open(lib, &st->lib, errbuf, errbuf_size)
            : plain_users_load(svc, path, &st->users, errbuf, errbuf_size);
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
        if (st->users) {
            plain_users_free(st->users);
        }
        plain_verify_library_close(&st->lib);
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
    const plain_state_t *st = sess->st;
    bool ok = st->users ? plain_users_check(st->users, m.user, m.user_len,
                                            m.password, m.password_len)
                        : st->lib.verify(m.user, m.user_len, m.password,
                                         m.password_len) == 0;
    if (!ok) {
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
    SAMSA_OPTION_STRING("users_file", "",
                        "File of `name:password` lines (# comments), read at "
                        "start; keep it readable by the broker only. Set it "
                        "or verify_library, not both."),
    SAMSA_OPTION_STRING("verify_library", "",
                        "Shared library exporting samsa_plain_verify "
                        "(<samsa/sasl_plain_verify.h>), loaded at start and "
                        "called on the reactors to check each login. Set it "
                        "or users_file, not both."),
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
    .summary = "SASL PLAIN against a users file or a verify library",
    .options = plain_options,
    .init = plain_init,
    .fini = plain_fini,
    .ops = &plain_ops,
};

SAMSA_PLUGIN_DECLARE(plain_plugin)
