/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/scram_bootstrap.c - see scram_bootstrap.h. */
#include "broker/scram_bootstrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "metadata/image_security.h"
#include "security/credentials.h"
#include "util/log.h"

/* "alice/SCRAM-SHA-256, broker/SCRAM-SHA-512": users sorted, each one's
 * mechanisms by number; NULL for none (or out of memory: *err). */
static char *users_of(samsa_credentials_t *creds, samsa_err_t *err)
{
    char **names = NULL;
    size_t n = 0;
    *err = samsa_credentials_users(creds, &names, &n);
    size_t cap = 1;
    for (size_t i = 0; *err == SAMSA_OK && i < n; i++) {
        cap += 2 * (strlen(names[i]) + sizeof("/SCRAM-SHA-512, "));
    }
    char *out = *err == SAMSA_OK && n ? calloc(1, cap) : NULL;
    *err = *err == SAMSA_OK && n && !out ? SAMSA_ERR_NOMEM : *err;
    size_t len = 0;
    for (size_t i = 0; out && i < n; i++) {
        int8_t mech[2];
        int32_t iters[2];
        size_t m = samsa_credentials_describe(creds, names[i], mech, iters);
        if (m == 2 && mech[0] > mech[1]) {
            int8_t t = mech[0];
            mech[0] = mech[1];
            mech[1] = t;
        }
        for (size_t j = 0; j < m; j++) {
            len += (size_t)snprintf(out + len, cap - len, "%s%s/%s",
                                    len ? ", " : "", names[i],
                                    samsa_scram_mechanism_name(mech[j]));
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return out;
}

samsa_err_t samsa_scram_bootstrap_records(samsa_broker_t *b,
                                          samsa_meta_rec_t **recs,
                                          size_t *count, char *errbuf,
                                          size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/" SAMSA_SCRAM_BOOTSTRAP_FILE,
             b->cfg->data_dir);
    samsa_credentials_t *creds = NULL;
    samsa_meta_rec_t *creds_recs = NULL;
    size_t n = 0;
    samsa_err_t err = SAMSA_OK;
    *recs = NULL;
    *count = 0;
    if (access(path, F_OK) == 0) {
        err = samsa_credentials_open_file(path, &creds, errbuf, errlen);
        if (err == SAMSA_OK) {
            err = samsa_credentials_records(creds, &creds_recs, &n);
        }
        if (err == SAMSA_OK) {
            free(b->scram_bootstrap_users);
            b->scram_bootstrap_users = users_of(creds, &err);
        }
        samsa_credentials_close(creds);
        if (err == SAMSA_ERR_NOMEM) {
            snprintf(errbuf, errlen, "%s: %s", path, samsa_err_str(err));
        }
    }
    samsa_meta_rec_t *all =
        err == SAMSA_OK ? realloc(creds_recs, (n + 1) * sizeof(*all)) : NULL;
    if (err == SAMSA_OK && !all) {
        err = SAMSA_ERR_NOMEM;
    }
    if (all) {
        creds_recs = all;
        err = samsa_mdrec_scram_bootstrap(b->node_id, b->scram_bootstrap_users,
                                          &all[n]);
    }
    if (err != SAMSA_OK) {
        for (size_t i = 0; i < n; i++) {
            OPENSSL_cleanse(creds_recs[i].p, creds_recs[i].len);
            free(creds_recs[i].p);
        }
        free(creds_recs);
        return err;
    }
    if (n) {
        samsa_log(SAMSA_LOG_INFO,
                  "cluster: %zu bootstrap SCRAM credential(s) in %s (%s), "
                  "for a new metadata log",
                  n, path, b->scram_bootstrap_users);
    }
    *recs = all;
    *count = n + 1;
    return SAMSA_OK;
}

void samsa_scram_bootstrap_check(samsa_broker_t *b,
                                 const samsa_meta_image_t *img)
{
    const samsa_meta_security_t *s = img->security;
    if (b->scram_bootstrap_checked || !s || !s->bootstrapped) {
        return;
    }
    b->scram_bootstrap_checked = true;
    const char *mine = b->scram_bootstrap_users;
    const char *theirs = s->bootstrap_users;
    if (!mine || (theirs && strcmp(mine, theirs) == 0)) {
        return; /* nothing of ours to miss */
    }
    samsa_log(SAMSA_LOG_ERROR,
              "cluster: this node's data dir was formatted with `samsa "
              "storage format --add-scram` for %s, but node %d started the "
              "metadata log %s%s: the log's credentials stand, and logins "
              "with a credential it lacks are refused. Format every voter "
              "alike before its first start (as Kafka's kafka-storage "
              "format), or set what is missing with `samsa user set`",
              mine, s->bootstrap_node,
              theirs ? "bootstrapping " : "without bootstrap credentials",
              theirs ? theirs : "");
}
