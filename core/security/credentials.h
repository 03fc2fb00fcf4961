/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/security/credentials.h - the broker's SCRAM credentials: salted
 * only (salt, iterations, StoredKey, ServerKey; RFC 5802), never a
 * password. AlterUserScramCredentials changes them, DescribeUserScram-
 * Credentials lists them, and the sasl-scram plugins read them through the
 * services table (scram_credential).
 *
 * Storage, standalone: <data_dir>/__samsa_meta/scram_credentials, replaced
 * durably on every change. In a cluster (quorum mode) the metadata log
 * keeps them (SCRAM records, core/metadata/image_security.h): the store is
 * opened in memory only and every node's copy is replaced from each new
 * image (samsa_credentials_replace, core/broker/cluster_security.c).
 *
 * Threads: lookups from any thread (reactors) take a read lock and never
 * do I/O; changes block on fsync and run on the admin worker.
 */
#ifndef SAMSA_SECURITY_CREDENTIALS_H
#define SAMSA_SECURITY_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#include <samsa/plugin.h>

typedef struct samsa_credentials samsa_credentials_t;

/** Kafka's ScramMechanism ids. */
#define SAMSA_SCRAM_SHA_256 1
#define SAMSA_SCRAM_SHA_512 2

/** Kafka's bounds on the iteration count. */
#define SAMSA_SCRAM_MIN_ITERATIONS 4096
#define SAMSA_SCRAM_MAX_ITERATIONS 16384

/** "SCRAM-SHA-256" for 1, "SCRAM-SHA-512" for 2, else NULL. */
const char *samsa_scram_mechanism_name(int8_t mechanism);

/** A cluster's bootstrap credentials under a node's data dir, written by
 *  `samsa storage format --add-scram` (same text form as the standalone
 *  store): the first controller of a new metadata log writes them into
 *  it (quorum.h, bootstrap), as Kafka's `kafka-storage format
 *  --add-scram` does, so brokers logging in with SCRAM can register. */
#define SAMSA_SCRAM_BOOTSTRAP_FILE "__samsa_meta/bootstrap_scram_credentials"

/** Load the store of @p data_dir (an absent file is an empty store);
 *  @p data_dir NULL: an empty store in memory only (quorum mode). */
samsa_err_t samsa_credentials_open(const char *data_dir,
                                   samsa_credentials_t **out, char *errbuf,
                                   size_t errbuf_size);

/** The same for the store file @p path itself (its directory exists). */
samsa_err_t samsa_credentials_open_file(const char *path,
                                        samsa_credentials_t **out, char *errbuf,
                                        size_t errbuf_size);

/** SaltedPassword (RFC 5802 Hi(), PBKDF2) of @p password with a new random
 *  16-byte salt: what a client sends in AlterUserScramCredentials.
 *  @p salted gets the mechanism's key length (*salted_len: 32 or 64).
 *  UNSUPPORTED_SASL_MECHANISM; UNACCEPTABLE_CREDENTIAL (iterations out
 *  of bounds); UNKNOWN_SERVER_ERROR (OpenSSL failed). */
samsa_err_t samsa_scram_salt_password(int8_t mechanism, const char *password,
                                      int32_t iterations, uint8_t salt[16],
                                      uint8_t salted[64], size_t *salted_len);

/** Every credential of @p creds as a metadata upsert record (SCRAM
 *  records, core/metadata/image_security.h): *recs is malloc'd, each
 *  record's bytes too (free both). */
struct samsa_meta_rec;
samsa_err_t samsa_credentials_records(samsa_credentials_t *creds,
                                      struct samsa_meta_rec **recs,
                                      size_t *count);
void samsa_credentials_close(samsa_credentials_t *creds);

/** Make @p creds the store services->scram_credential reads (NULL: none;
 *  lookups then find nothing). Main thread, before and after serving. */
void samsa_credentials_publish(samsa_credentials_t *creds);

/** services->scram_credential. */
samsa_err_t samsa_credentials_lookup(const char *mechanism, const char *user,
                                     samsa_scram_credential_t *out);

/**
 * Set @p user's credential for @p mechanism from the client-computed
 * SaltedPassword (AlterUserScramCredentials' upsertion), and persist.
 * @return SAMSA_OK; UNSUPPORTED_SASL_MECHANISM; UNACCEPTABLE_CREDENTIAL
 *         (empty name, iterations out of bounds, salt or salted password of
 *         the wrong size); KAFKA_STORAGE_ERROR (not persisted: unchanged).
 */
samsa_err_t samsa_credentials_upsert(samsa_credentials_t *creds,
                                     const char *user, int8_t mechanism,
                                     int32_t iterations, const uint8_t *salt,
                                     size_t salt_len,
                                     const uint8_t *salted_password,
                                     size_t salted_len);

/** The credential upsert() would store, without storing it (quorum mode
 *  puts it in a record): same checks and errors. */
samsa_err_t samsa_credentials_make(const char *user, int8_t mechanism,
                                   int32_t iterations, const uint8_t *salt,
                                   size_t salt_len,
                                   const uint8_t *salted_password,
                                   size_t salted_len,
                                   samsa_scram_credential_t *out);

/** Make the store exactly @p entries (copied); in-memory stores only.
 *  NOMEM leaves it unchanged. Any thread; short. */
struct samsa_meta_scram;
samsa_err_t samsa_credentials_replace(samsa_credentials_t *creds,
                                      const struct samsa_meta_scram *entries,
                                      size_t count);

/** Remove; RESOURCE_NOT_FOUND when absent; KAFKA_STORAGE_ERROR. */
samsa_err_t samsa_credentials_delete(samsa_credentials_t *creds,
                                     const char *user, int8_t mechanism);

/** One user's mechanisms and iteration counts (up to 2); returns how many
 *  (0: unknown user). */
size_t samsa_credentials_describe(samsa_credentials_t *creds, const char *user,
                                  int8_t mechanisms[2], int32_t iterations[2]);

/** Every user with a credential, each once, sorted; *names is malloc'd
 *  (free each name and the array). */
samsa_err_t samsa_credentials_users(samsa_credentials_t *creds, char ***names,
                                    size_t *count);

#endif /* SAMSA_SECURITY_CREDENTIALS_H */
