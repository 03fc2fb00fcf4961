/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/security/principal_mapper.h - Kafka's ssl.principal.mapping.rules:
 * from a client certificate's distinguished name to a principal name.
 *
 * Rules, comma- or newline-separated, tried in order; the first that
 * applies wins:
 *
 *   RULE:pattern/replacement/[L|U]   the pattern must match the whole DN;
 *                                    the DN becomes the replacement, with
 *                                    $1..$9 the pattern's groups (\ quotes
 *                                    the next character), then lower- (L)
 *                                    or upper-cased (U)
 *   DEFAULT                          the DN unchanged
 *
 * Patterns are POSIX extended regular expressions (glibc's regcomp), not
 * Java's: no lazy quantifiers or \d; `(.*?)` is read as `(.*)`. "/" in a
 * pattern or replacement is written "\/". No rule applying is an error,
 * as in Kafka (the connection is refused). A mapper is immutable once
 * built and used from every reactor at once.
 */
#ifndef SAMSA_SECURITY_PRINCIPAL_MAPPER_H
#define SAMSA_SECURITY_PRINCIPAL_MAPPER_H

#include <stddef.h>

#include <samsa/errors.h>

typedef struct samsa_principal_mapper samsa_principal_mapper_t;

/**
 * Parse and compile @p rules (NULL or empty: DEFAULT).
 * @return SAMSA_OK; SAMSA_ERR_CONFIG with the rule at fault and regerror's
 *         reason in errbuf; SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_principal_mapper_create(const char *rules,
                                          samsa_principal_mapper_t **out,
                                          char *errbuf, size_t errbuf_size);
void samsa_principal_mapper_free(samsa_principal_mapper_t *m);

/**
 * Map the RFC 2253 @p dn to a principal name (without "User:") in @p out.
 * @return SAMSA_OK; SAMSA_ERR_NOT_FOUND when no rule applies;
 *         SAMSA_ERR_TOO_LARGE when @p len is too small.
 */
samsa_err_t samsa_principal_mapper_apply(const samsa_principal_mapper_t *m,
                                         const char *dn, char *out, size_t len);

#endif /* SAMSA_SECURITY_PRINCIPAL_MAPPER_H */
