/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/forward.h - Kafka Connect's forwarding of REST writes in
 * distributed mode: only the group's leader applies a write (create,
 * update, delete, pause, resume, stop, restart, offsets, topics reset),
 * so connect-configs has one writer and a write is applied once. A
 * worker that is not the leader sends the request, as it came, to the
 * leader's advertised REST URL (from the assignment) and answers with
 * the leader's status and body. Kafka's `forward` query parameter bounds
 * the hops: the first worker forwards with forward=true, a worker asked
 * with forward=true that is not the leader either forwards once more
 * with forward=false, and one asked with forward=false answers 409.
 * While no leader is known (between generations) writes answer 409; a
 * leader that cannot be reached gives Kafka's 500 "IO Error trying to
 * forward REST request: ...".
 *
 * Threads: the REST handler suspends its connection (samsa_http_later)
 * and a thread of its own makes the call with libcurl, so no thread of
 * the HTTP listener waits on another worker (two workers forwarding to
 * each other can never starve each other's listeners).
 */
#ifndef SAMSA_CONNECT_FORWARD_H
#define SAMSA_CONNECT_FORWARD_H

#include <stdbool.h>

#include "http/http.h"

struct samsa_connect;

/* Set up libcurl once per process (before any other thread uses it). */
void samsa_connect_forward_init(void);

/* A REST write @p req: true when it is taken care of here (forwarded,
 * answered later; or answered 409/500/503 in @p resp), false when this
 * worker applies it itself (standalone, or the leader). REST thread. */
bool samsa_connect_forward(struct samsa_connect *w,
                           const samsa_http_request_t *req,
                           samsa_http_response_t *resp);

/* A worker thread's own synchronous call of the leader's REST API
 * (never from a REST thread): @p method on
 * @p leader/connectors/@p connector/@p sub, no body. Returns the HTTP
 * status (500 when the leader cannot be reached); @p errbuf gets the
 * call and the answer's message. */
int samsa_connect_forward_call(struct samsa_connect *w, const char *method,
                               const char *leader, const char *connector,
                               const char *sub, char *errbuf, size_t errlen);

/* Wait until every forwarded request was answered; w->stopping set
 * first makes the calls in flight end at once (503). Before the HTTP
 * listener is destroyed. */
void samsa_connect_forward_drain(struct samsa_connect *w);

#endif /* SAMSA_CONNECT_FORWARD_H */
