/* SPDX-License-Identifier: Apache-2.0 */
/* A verify library for sasl-plain accepting only "cb-user" / "cb-pass". */
#include <string.h>

#include <samsa/sasl_plain_verify.h>

static int equal(const char *p, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(p, want, n) == 0;
}

int samsa_plain_verify(const char *user, size_t user_len, const char *password,
                       size_t password_len)
{
    return equal(user, user_len, "cb-user") &&
                   equal(password, password_len, "cb-pass")
               ? 0
               : 1;
}
