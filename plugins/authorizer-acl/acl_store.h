/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/authorizer-acl/acl_store.h - the ACLs of one instance, in memory
 * behind a read-write lock (authorize() reads on every reactor) and in
 * <data_dir>/__samsa_meta/acls, replaced durably on every change; or,
 * once the host gives the ACLs (acl_store_replace: a cluster's metadata
 * log keeps them), in memory only.
 */
#ifndef AUTHORIZER_ACL_STORE_H
#define AUTHORIZER_ACL_STORE_H

#include <stdbool.h>

#include <samsa/authorizer.h>

typedef struct acl_store acl_store_t;

samsa_err_t acl_store_open(const samsa_services_t *svc, const char *data_dir,
                           acl_store_t **out, char *errbuf, size_t errbuf_size);
void acl_store_close(acl_store_t *st);

samsa_err_t acl_store_add(acl_store_t *st, const samsa_acl_binding_t *acl);
/** Remove what @p filter matches, calling @p each (may be NULL). */
samsa_err_t acl_store_remove(acl_store_t *st, const samsa_acl_binding_t *filter,
                             samsa_acl_each_fn each, void *arg);
void acl_store_each(acl_store_t *st, const samsa_acl_binding_t *filter,
                    samsa_acl_each_fn each, void *arg);

/** Make the ACLs exactly @p acls (copied), in memory only: from now on
 *  the store never writes its file (the host keeps the ACLs). NOMEM
 *  leaves the old set. */
samsa_err_t acl_store_replace(acl_store_t *st, const samsa_acl_binding_t *acls,
                              size_t count);

/** Kafka's decision for one request (super users decided by the caller):
 *  a matching DENY wins, then a matching ALLOW; with no ACL on the
 *  resource at all, @p allow_if_none. */
bool acl_store_allows(acl_store_t *st, const samsa_authz_request_t *req,
                      bool allow_if_none);

#endif /* AUTHORIZER_ACL_STORE_H */
