/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/transport.h - replication transport plugins
 * (kind SAMSA_KIND_TRANSPORT).
 *
 * A transport carries broker-to-broker traffic (follower fetches, controller
 * Raft messages): plain TCP by default, TLS or anything else as a plugin.
 * It wraps a byte stream; Kafka framing stays in the broker. Connections are
 * non-blocking and driven by the broker's epoll loop through pollable_fd():
 * the broker waits for readiness, then calls send()/recv(), which return
 * SAMSA_ERR_AGAIN when they would block.
 *
 * Threads: connect() and accept() may be called from any reactor or the
 * controller thread; each connection is afterwards used by one thread at a
 * time (the reactor that owns it). None of the ops may block.
 */
#ifndef SAMSA_TRANSPORT_H
#define SAMSA_TRANSPORT_H

#include <sys/uio.h>

#include <samsa/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One connection, owned by the plugin from connect()/accept() until
 *  close(). */
typedef struct samsa_transport_conn samsa_transport_conn_t;

/** What the broker should wait for before the next call: see
 *  want_events(). Values are bits. */
#define SAMSA_TRANSPORT_WANT_READ  0x1u
#define SAMSA_TRANSPORT_WANT_WRITE 0x2u

/** Ops table of a transport. Every op is mandatory unless marked. */
typedef struct samsa_transport_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_transport_ops_t) */

    /**
     * Start a non-blocking connection to @p host:@p port (host is a name or
     * a numeric address; borrowed). Returns at once: the connection is
     * established when pollable_fd() becomes writable and a send() succeeds
     * (a handshake, e.g. TLS, completes inside send/recv).
     * @param conn out: the connection, owned by the plugin until close()
     * @return SAMSA_OK, SAMSA_ERR_NETWORK_EXCEPTION (resolution or socket
     *         failure), SAMSA_ERR_NOMEM.
     */
    samsa_err_t (*connect)(void *state, const char *host, int32_t port,
                           samsa_transport_conn_t **conn, char *errbuf,
                           size_t errbuf_size);

    /**
     * Wrap a server-side socket the broker accepted on a replication
     * listener. @p fd is already non-blocking; ownership of the fd passes
     * to the plugin on SAMSA_OK (close() closes it) and stays with the
     * broker on failure.
     */
    samsa_err_t (*accept)(void *state, int fd, samsa_transport_conn_t **conn,
                          char *errbuf, size_t errbuf_size);

    /**
     * Send bytes gathered from @p iov[0..iovcnt) (borrowed for the call).
     * *sent receives the number of bytes taken (possibly fewer than asked;
     * the broker resends the rest).
     * @return SAMSA_OK (*sent > 0), SAMSA_ERR_AGAIN (nothing could be sent
     *         now; wait for want_events()), SAMSA_ERR_CLOSED (peer closed),
     *         SAMSA_ERR_NETWORK_EXCEPTION (I/O or handshake failure).
     */
    samsa_err_t (*send)(samsa_transport_conn_t *conn, const struct iovec *iov,
                        int iovcnt, size_t *sent);

    /**
     * Receive up to @p len bytes into @p buf (caller-owned). *received is
     * set on SAMSA_OK (> 0).
     * @return SAMSA_OK, SAMSA_ERR_AGAIN, SAMSA_ERR_CLOSED (orderly EOF),
     *         SAMSA_ERR_NETWORK_EXCEPTION.
     */
    samsa_err_t (*recv)(samsa_transport_conn_t *conn, void *buf, size_t len,
                        size_t *received);

    /** The file descriptor the broker registers with epoll. Stays the same
     *  for the life of the connection; owned by the plugin. */
    int (*pollable_fd)(const samsa_transport_conn_t *conn);

    /** Optional: SAMSA_TRANSPORT_WANT_* bits the connection waits for after
     *  the last SAMSA_ERR_AGAIN (a TLS write may need a read first). NULL
     *  means "READ for recv, WRITE for send", as for a plain socket. */
    uint32_t (*want_events)(const samsa_transport_conn_t *conn);

    /** Close the connection and its fd, and free it. Never fails. */
    void (*close)(samsa_transport_conn_t *conn);

    /**
     * Optional (ABI minor 5): check that the authenticated peer of an
     * accepted connection is who the broker expects, @p host (a name or
     * numeric address, borrowed): e.g. a TLS client certificate must name
     * it, as a connecting side's endpoint identification checks the
     * server's. Called once recv() has returned data (so any handshake is
     * complete). NULL: the transport authenticates no one (plain TCP).
     * Same thread rules as recv().
     * @return SAMSA_OK; SAMSA_ERR_SASL_AUTHENTICATION_FAILED with a reason
     *         in @p errbuf (the broker then closes the connection).
     */
    samsa_err_t (*verify_peer)(const samsa_transport_conn_t *conn,
                               const char *host, char *errbuf,
                               size_t errbuf_size);

    /**
     * Optional (ABI minor 6): read the instance's credentials (e.g. TLS
     * certificate, key and CAs) again from where they were configured,
     * for the connections connect() and accept() make from now on; open
     * connections keep theirs. samsad calls it on SIGHUP, from its main
     * thread, while other threads connect, accept and use connections.
     * On failure the current credentials stay in use. NULL: nothing to
     * reload (plain TCP).
     * @return SAMSA_OK; SAMSA_ERR_CONFIG with a reason in @p errbuf.
     */
    samsa_err_t (*reload)(void *state, char *errbuf, size_t errbuf_size);
} samsa_transport_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_TRANSPORT_H */
