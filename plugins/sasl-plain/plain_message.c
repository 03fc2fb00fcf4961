/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/sasl-plain/plain_message.c - the PLAIN token's three fields
 * (see plain_message.h).
 */
#include <string.h>

#include "plain_message.h"

samsa_err_t plain_parse_message(const void *in, size_t in_len, size_t user_max,
                                plain_message_t *m)
{
    const char *p = in;
    const char *nul1 = in_len ? memchr(p, '\0', in_len) : NULL;
    const char *nul2 =
        nul1 ? memchr(nul1 + 1, '\0', in_len - (size_t)(nul1 + 1 - p)) : NULL;
    if (!nul1 || !nul2) {
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    const char *authzid = p, *user = nul1 + 1, *password = nul2 + 1;
    size_t authzid_len = (size_t)(nul1 - p);
    size_t user_len = (size_t)(nul2 - user);
    if (user_len == 0 || user_len >= user_max ||
        (authzid_len &&
         (authzid_len != user_len || memcmp(authzid, user, user_len) != 0))) {
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    m->user = user;
    m->user_len = user_len;
    m->password = password;
    m->password_len = in_len - (size_t)(password - p);
    return SAMSA_OK;
}
