/* SPDX-License-Identifier: Apache-2.0 */
/* core/replica/sasl_login.c - see sasl_login.h. */
#include "replica/sasl_login.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "protocol/api.h"
#include "protocol/generated/messages.h"
#include "util/err.h"

enum { STEP_HANDSHAKE, STEP_FIRST, STEP_FINAL, STEP_DONE };

static bool is_plain(const samsa_sasl_login_t *s)
{
    return strcmp(s->mechanism, "PLAIN") == 0;
}

void samsa_sasl_login_start(samsa_sasl_login_t *s, const char *mechanism,
                            const char *username, const char *password)
{
    OPENSSL_cleanse(s, sizeof(*s));
    s->mechanism = mechanism;
    s->username = username ? username : "";
    s->password = password ? password : "";
    s->step = STEP_HANDSHAKE;
}

bool samsa_sasl_login_done(const samsa_sasl_login_t *s)
{
    return s->step == STEP_DONE;
}

/* The token of the current SaslAuthenticate round into s->msg. */
static samsa_err_t token(samsa_sasl_login_t *s, size_t *len)
{
    if (s->step == STEP_FIRST) {
        samsa_err_t err = samsa_scram_client_first(&s->scram, s->username,
                                                   s->msg, sizeof(s->msg));
        *len = strlen(s->msg);
        return err;
    }
    if (is_plain(s)) {
        size_t ul = strlen(s->username), pl = strlen(s->password);
        if (ul + pl + 2 > sizeof(s->msg)) {
            return SAMSA_ERR_INVAL;
        }
        s->msg[0] = '\0';
        memcpy(s->msg + 1, s->username, ul);
        s->msg[1 + ul] = '\0';
        memcpy(s->msg + 2 + ul, s->password, pl);
        *len = ul + pl + 2;
        return SAMSA_OK;
    }
    *len = strlen(s->msg); /* client-final, made from the server-first */
    return SAMSA_OK;
}

samsa_err_t samsa_sasl_login_request(samsa_sasl_login_t *s,
                                     samsa_arena_t *arena, int16_t *api,
                                     int16_t *version, void **body)
{
    if (s->step == STEP_HANDSHAKE) {
        samsa_SaslHandshakeRequest_t *hs =
            samsa_arena_alloc(arena, sizeof(*hs));
        if (!hs) {
            return SAMSA_ERR_NOMEM;
        }
        samsa_SaslHandshakeRequest_init(hs);
        hs->Mechanism = samsa_str_from_cstr(s->mechanism);
        *api = SAMSA_API_SASL_HANDSHAKE;
        *version = 1;
        *body = hs;
        return SAMSA_OK;
    }
    size_t len = 0;
    samsa_err_t err = token(s, &len);
    uint8_t *copy = err == SAMSA_OK ? samsa_arena_alloc(arena, len + 1) : NULL;
    samsa_SaslAuthenticateRequest_t *ar =
        copy ? samsa_arena_alloc(arena, sizeof(*ar)) : NULL;
    if (err != SAMSA_OK || !ar) {
        return err != SAMSA_OK ? err : SAMSA_ERR_NOMEM;
    }
    memcpy(copy, s->msg, len);
    samsa_SaslAuthenticateRequest_init(ar);
    ar->AuthBytes = (samsa_bytes_t){copy, (int32_t)len};
    *api = SAMSA_API_SASL_AUTHENTICATE;
    *version = 1;
    *body = ar;
    return SAMSA_OK;
}

static samsa_err_t handshake_answer(samsa_sasl_login_t *s,
                                    const samsa_SaslHandshakeResponse_t *hr,
                                    char *why, size_t why_len)
{
    if (hr->ErrorCode != 0) {
        snprintf(why, why_len, "SaslHandshake %s: %s", s->mechanism,
                 samsa_err_name(hr->ErrorCode));
        return (samsa_err_t)hr->ErrorCode;
    }
    if (is_plain(s)) {
        s->step = STEP_FINAL;
    } else if (samsa_scram_client_init(&s->scram, s->mechanism)) {
        s->step = STEP_FIRST;
    } else {
        snprintf(why, why_len, "mechanism %s: expected PLAIN or SCRAM",
                 s->mechanism);
        return SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_sasl_login_answer(samsa_sasl_login_t *s, const void *resp,
                                    char *why, size_t why_len)
{
    if (s->step == STEP_HANDSHAKE) {
        return handshake_answer(s, resp, why, why_len);
    }
    const samsa_SaslAuthenticateResponse_t *ar = resp;
    OPENSSL_cleanse(s->msg, sizeof(s->msg));
    if (ar->ErrorCode != 0) {
        snprintf(why, why_len, "SASL %s as %s: %.*s", s->mechanism, s->username,
                 ar->ErrorMessage.ptr && ar->ErrorMessage.len > 0
                     ? (int)ar->ErrorMessage.len
                     : 0,
                 ar->ErrorMessage.ptr ? ar->ErrorMessage.ptr : "");
        return (samsa_err_t)ar->ErrorCode;
    }
    size_t in_len = ar->AuthBytes.len > 0 ? (size_t)ar->AuthBytes.len : 0;
    if (s->step == STEP_FIRST) {
        const char *reason = NULL;
        samsa_err_t err =
            samsa_scram_client_final(&s->scram, s->password, ar->AuthBytes.ptr,
                                     in_len, s->msg, sizeof(s->msg), &reason);
        if (err != SAMSA_OK) {
            snprintf(why, why_len, "SASL %s: %s", s->mechanism,
                     reason ? reason : "bad server-first message");
            return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
        }
        s->step = STEP_FINAL;
        return SAMSA_OK;
    }
    if (!is_plain(s) &&
        !samsa_scram_client_verify(&s->scram, ar->AuthBytes.ptr, in_len)) {
        snprintf(why, why_len,
                 "SASL %s: the server's signature does not verify",
                 s->mechanism);
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    s->session_lifetime_ms = ar->SessionLifetimeMs;
    s->step = STEP_DONE;
    return SAMSA_OK;
}
