/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/broker_probe.h - the controller's probe of a silent
 * broker (broker_session_probe_enable): a non-blocking TCP connect to its
 * inter-broker listener, on the quorum's libuv loop.
 *
 * Why it is safe to fence on its answer: after kill -9 (or a crash) the
 * dead process's ports are closed and the broker's kernel answers a
 * connect with RST, so a refused connect means no process listens there.
 * Everything else proves nothing and changes nothing: a connect that
 * succeeds (a live process, or a stopped one whose kernel still accepts),
 * that times out (a network partition, a powered-off host) or that fails
 * otherwise (unreachable) leaves the broker to broker_session_timeout_ms,
 * as Kafka does. A partitioned node does not refuse, so behaviour under a
 * partition is Kafka's; a fence is never a data-safety question either
 * (new leaders come from the ISR, and a live broker fenced by mistake is
 * unfenced at its next heartbeat).
 *
 * Threads: every function here runs on the loop's thread (the quorum
 * thread); the callback too. The decision functions are pure.
 */
#ifndef SAMSA_METADATA_BROKER_PROBE_H
#define SAMSA_METADATA_BROKER_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include <samsa/errors.h>

/* How long a probe's connect may take before it counts as inconclusive. */
#define SAMSA_PROBE_TIMEOUT_MS 1000

/* Whether to probe a broker now (monotonic ms): its heartbeat is overdue
 * by more than half an interval (a live broker heartbeats every
 * @p heartbeat_interval_ms), and its last probe (@p last_probe_ms, -1:
 * none) ended at least half an interval ago. */
bool samsa_probe_due(int64_t now, int64_t last_heartbeat_ms,
                     int64_t heartbeat_interval_ms, int64_t last_probe_ms);

/* Whether a finished probe fences the broker: only a refused connect
 * (@p status UV_ECONNREFUSED) with no heartbeat since the probe started
 * (@p last_heartbeat_ms <= @p started_ms). */
bool samsa_probe_fences(int status, int64_t started_ms,
                        int64_t last_heartbeat_ms);

typedef struct samsa_probe samsa_probe_t;

/* Called once per probe with libuv's status: 0 (connected),
 * UV_ECONNREFUSED, UV_ETIMEDOUT (SAMSA_PROBE_TIMEOUT_MS passed),
 * UV_ECANCELED (samsa_probe_cancel) or another connect or resolver error.
 * The probe is freed when it returns. */
typedef void (*samsa_probe_cb)(void *arg, samsa_probe_t *probe, int status);

/* Start a probe of @p host:@p port (a numeric address is used as is, a
 * name is resolved on libuv's thread pool). The connection is closed as
 * soon as it is made: the listener sees a connection that sends nothing.
 * *out (may be NULL) gets the handle for samsa_probe_cancel until the
 * callback. SAMSA_OK: the callback runs once, always on a later turn of
 * the loop; SAMSA_ERR_NOMEM: no probe, no callback. */
samsa_err_t samsa_probe_start(uv_loop_t *loop, const char *host, int32_t port,
                              samsa_probe_cb cb, void *arg,
                              samsa_probe_t **out);

/* End a probe early (the quorum closing): its callback runs later, on
 * the loop, with UV_ECANCELED. Only before the callback ran. */
void samsa_probe_cancel(samsa_probe_t *probe);

#endif /* SAMSA_METADATA_BROKER_PROBE_H */
