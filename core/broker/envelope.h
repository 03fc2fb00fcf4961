/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/envelope.h - Envelope (KIP-590) for both ends: the
 * forwarding broker wraps a client's admin request with the client's
 * principal and address (samsa_envelope_forward), the controller reads
 * them back (handle_envelope.c) and authorizes the client.
 *
 * The principal travels as Kafka's DefaultKafkaPrincipalBuilder writes
 * it: an int16 version (0), then DefaultPrincipalData v0 (type, name,
 * token-authenticated); the address as its 4 or 16 bytes.
 */
#ifndef SAMSA_BROKER_ENVELOPE_H
#define SAMSA_BROKER_ENVELOPE_H

#include "broker/request.h"
#include "client/client.h"

/* "User:alice" (type, ':', name) serialized into @p arena. */
samsa_err_t samsa_envelope_principal_write(const char *principal,
                                           samsa_arena_t *arena,
                                           samsa_bytes_t *out);
/* Back to "User:alice" in @p buf; SAMSA_ERR_CORRUPT when it does not
 * decode (null, another version, truncated, too long for @p len). */
samsa_err_t samsa_envelope_principal_read(samsa_bytes_t in, char *buf,
                                          size_t len);

/* On the forwarding node (admin worker): send @p req (a client's, as it
 * arrived) to the controller @p c reaches, in an Envelope naming the
 * client. SAMSA_OK with *resp the controller's response to it, decoded
 * into the request's arena, or with *refused the Envelope's own error
 * (NOT_CONTROLLER, CLUSTER_AUTHORIZATION_FAILED, ...) and *resp NULL;
 * else the client's error (its line says why);
 * SAMSA_ERR_UNSUPPORTED_VERSION when the controller serves no Envelope
 * (nothing sent). */
samsa_err_t samsa_envelope_forward(samsa_client_t *c, samsa_req_t *req,
                                   void **resp, samsa_err_t *refused);

#endif /* SAMSA_BROKER_ENVELOPE_H */
