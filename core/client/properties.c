/* SPDX-License-Identifier: Apache-2.0 */
/* core/client/properties.c - see properties.h. */
#include "client/properties.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* "username=\"x\"" out of a JAAS line into @p out. */
static void jaas_value(const char *jaas, const char *key, char *out, size_t len)
{
    const char *p = strstr(jaas, key);
    if (p && p[strlen(key)] == '=' && p[strlen(key) + 1] == '"') {
        p += strlen(key) + 2;
        size_t n = strcspn(p, "\"");
        snprintf(out, len, "%.*s", (int)n, p);
    }
}

samsa_err_t samsa_client_props_set(samsa_client_props_t *p, const char *k,
                                   const char *v, char *errbuf, size_t errlen)
{
#define SET(field) snprintf(p->field, sizeof(p->field), "%s", v)
    if (strcmp(k, "security.protocol") == 0) {
        bool sasl = strncasecmp(v, "SASL_", 5) == 0;
        const char *rest = sasl ? v + 5 : v;
        if (strcasecmp(rest, "PLAINTEXT") != 0 &&
            strcasecmp(rest, "SSL") != 0) {
            snprintf(errbuf, errlen,
                     "security.protocol %s: expected PLAINTEXT, SSL, "
                     "SASL_PLAINTEXT or SASL_SSL",
                     v);
            return SAMSA_ERR_CONFIG;
        }
        p->tls = strcasecmp(rest, "SSL") == 0;
        p->sasl = sasl;
    } else if (strcmp(k, "sasl.mechanism") == 0 ||
               strcmp(k, "sasl.mechanisms") == 0) {
        SET(sasl_mechanism);
    } else if (strcmp(k, "sasl.username") == 0) {
        SET(sasl_username);
    } else if (strcmp(k, "sasl.password") == 0) {
        SET(sasl_password);
    } else if (strcmp(k, "sasl.jaas.config") == 0) {
        jaas_value(v, "username", p->sasl_username, sizeof(p->sasl_username));
        jaas_value(v, "password", p->sasl_password, sizeof(p->sasl_password));
    } else if (strcmp(k, "ssl.truststore.location") == 0 ||
               strcmp(k, "ssl.ca.location") == 0) {
        SET(ssl_ca_location);
    } else if (strcmp(k, "ssl.truststore.type") == 0 ||
               strcmp(k, "ssl.keystore.type") == 0) {
        if (strcasecmp(v, "PEM") != 0) {
            snprintf(errbuf, errlen,
                     "%s %s: the samsa client reads PEM files only", k, v);
            return SAMSA_ERR_CONFIG;
        }
    } else if (strcmp(k, "ssl.certificate.location") == 0) {
        SET(ssl_certificate_location);
    } else if (strcmp(k, "ssl.key.location") == 0) {
        SET(ssl_key_location);
    } else if (strcmp(k, "ssl.key.password") == 0) {
        SET(ssl_key_password);
    } else if (strcmp(k, "ssl.keystore.location") == 0) {
        /* A PEM keystore holds the certificate chain and the key. */
        SET(ssl_certificate_location);
        SET(ssl_key_location);
    } else if (strcmp(k, "ssl.endpoint.identification.algorithm") == 0) {
        p->ssl_no_hostname_check = v[0] == '\0';
    }
#undef SET
    return SAMSA_OK;
}

samsa_err_t samsa_properties_read(const char *path, samsa_properties_fn fn,
                                  void *arg, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errlen, "%s", strerror(errno));
        return SAMSA_ERR_CONFIG;
    }
    char line[2048];
    samsa_err_t err = SAMSA_OK;
    while (err == SAMSA_OK && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq) {
            continue;
        }
        *eq = '\0';
        err = fn(arg, line, eq + 1, errbuf, errlen);
    }
    /* The line may have held a password. */
    memset(line, 0, sizeof(line));
    fclose(f);
    return err;
}

static samsa_err_t props_set(void *arg, const char *key, const char *value,
                             char *errbuf, size_t errlen)
{
    return samsa_client_props_set(arg, key, value, errbuf, errlen);
}

samsa_err_t samsa_client_props_read(samsa_client_props_t *p, const char *path,
                                    char *errbuf, size_t errlen)
{
    return samsa_properties_read(path, props_set, p, errbuf, errlen);
}

void samsa_client_props_apply(const samsa_client_props_t *p,
                              samsa_client_conf_t *conf)
{
    conf->sasl_mechanism = p->sasl_mechanism[0] ? p->sasl_mechanism : NULL;
    conf->sasl_username = p->sasl_username;
    conf->sasl_password = p->sasl_password;
    conf->tls = p->tls;
    conf->ssl_no_hostname_check = p->ssl_no_hostname_check;
    conf->ssl_ca_location = p->ssl_ca_location;
    conf->ssl_certificate_location = p->ssl_certificate_location;
    conf->ssl_key_location = p->ssl_key_location;
    conf->ssl_key_password =
        p->ssl_key_password[0] ? p->ssl_key_password : NULL;
}
