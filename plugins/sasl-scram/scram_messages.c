/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/sasl-scram/scram_messages.c - see scram_messages.h. */
#include "scram_messages.h"

#include <string.h>

#include <openssl/evp.h>

void scram_b64_encode(const unsigned char *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

long scram_b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    unsigned char tmp[SCRAM_MSG_MAX];
    if (n == 0 || n % 4 || n / 4 * 3 > sizeof(tmp)) {
        return -1;
    }
    int len = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n);
    if (len < 0) {
        return -1;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    len -= (in[n - 1] == '=') + (in[n - 2] == '=');
    if ((size_t)len > cap) {
        return -1;
    }
    memcpy(out, tmp, (size_t)len);
    return len;
}

/* Copy attribute @p name's value ("n=...") from the start of @p p up to
 * the next ',' into @p out; returns the position after it (at ',' or the
 * end) or NULL. */
static const char *attr(const char *p, char name, char *out, size_t cap)
{
    if (p[0] != name || p[1] != '=') {
        return NULL;
    }
    p += 2;
    size_t n = strcspn(p, ",");
    if (n == 0 || n >= cap) {
        return NULL;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return p + n;
}

/* saslname: "=2C" is ',' and "=3D" is '='; any other '=' is an error. */
static bool unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (*r == '=') {
            if (strncmp(r, "=2C", 3) == 0) {
                *w++ = ',';
            } else if (strncmp(r, "=3D", 3) == 0) {
                *w++ = '=';
            } else {
                return false;
            }
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s[0] != '\0';
}

bool scram_parse_client_first(const char *msg, scram_client_first_t *out)
{
    memset(out, 0, sizeof(*out));
    /* gs2-cbind-flag: 'n' or 'y' (no channel binding); 'p' needs it. */
    if ((msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',') {
        return false;
    }
    const char *p = msg + 2;
    if (p[0] == 'a' && p[1] == '=') {
        p += strcspn(p, ",");
    }
    if (*p != ',') {
        return false;
    }
    p++;
    out->gs2_len = (size_t)(p - msg);
    out->bare = p;
    if (p[0] == 'm') {
        return false; /* reserved mandatory extension */
    }
    p = attr(p, 'n', out->user, sizeof(out->user));
    if (!p || *p != ',' || !unescape(out->user)) {
        return false;
    }
    p = attr(p + 1, 'r', out->nonce, sizeof(out->nonce));
    return p != NULL && (*p == '\0' || *p == ',');
}

bool scram_parse_client_final(const char *msg, scram_client_final_t *out)
{
    memset(out, 0, sizeof(*out));
    const char *proof = strstr(msg, ",p=");
    if (!proof) {
        return false;
    }
    const char *next;
    while ((next = strstr(proof + 1, ",p=")) != NULL) {
        proof = next; /* the proof is the last attribute */
    }
    out->without_proof_len = (size_t)(proof - msg);
    const char *p = attr(msg, 'c', out->channel, sizeof(out->channel));
    if (!p || *p != ',') {
        return false;
    }
    p = attr(p + 1, 'r', out->nonce, sizeof(out->nonce));
    if (!p || p > proof) {
        return false;
    }
    const char *b64 = proof + 3;
    long n = scram_b64_decode(b64, strlen(b64), out->proof, sizeof(out->proof));
    if (n <= 0) {
        return false;
    }
    out->proof_len = (size_t)n;
    return true;
}
