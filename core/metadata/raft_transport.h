/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/raft_transport.h - the metadata quorum's Raft connections
 * through a transport plugin (samsa/transport.h), e.g. transport-tls when
 * the controller listener's security protocol is SSL: a struct
 * raft_uv_transport (raft/uv.h) that libraft uses instead of its own
 * clear-text TCP transport.
 *
 * libraft reads and writes a libuv stream; a plugin connection is a
 * non-blocking send/recv pair on its own descriptor. So each connection is
 * relayed: libraft gets one end of an AF_UNIX socketpair (a uv_pipe_t) and
 * this file moves bytes between the other end and the plugin connection,
 * with uv_poll_t handles on the quorum's libuv loop. Nothing blocks.
 *
 * Handshake, inside the plugin connection: the connecting side sends a
 * magic number, its Raft id and its address (what libraft's TCP transport
 * sends in clear). The accepting side looks the id up in the voters it
 * was given and, when the plugin has verify_peer (TLS: the client
 * certificate must name the voter's configured host), refuses a peer that
 * is not that voter before libraft sees a byte. The connecting side's
 * plugin checks the server the same way (endpoint identification).
 *
 * Threads: every function and callback runs on the quorum thread (the
 * loop's); the plugin ops are called from there too.
 */
#ifndef SAMSA_METADATA_RAFT_TRANSPORT_H
#define SAMSA_METADATA_RAFT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <raft.h>
#include <raft/uv.h>

#include <samsa/transport.h>

/* One voter as the accepting side checks it: Raft id and the host its
 * certificate must name. */
typedef struct samsa_raft_peer {
    raft_id id;
    const char *host; /* borrowed until samsa_raft_transport_close */
} samsa_raft_peer_t;

typedef struct samsa_raft_transport_opts {
    /* The plugin's, borrowed. NULL: a lone voter nobody connects to (a
     * single node): it listens nowhere and connects to no one, so it
     * takes no port (libraft's TCP would bind an ephemeral one). */
    const samsa_transport_ops_t *ops;
    void *state;                    /* the plugin instance's state */
    const samsa_raft_peer_t *peers; /* borrowed until close */
    size_t peer_count;
    const char *bind_host; /* NULL: listen on this node's address's host */
} samsa_raft_transport_opts_t;

/* Fill @p t (libraft's interface) for @p loop; 0 or RAFT_NOMEM. */
int samsa_raft_transport_init(struct raft_uv_transport *t, uv_loop_t *loop,
                              const samsa_raft_transport_opts_t *opts);

/* Free what init allocated; after libraft's close of @p t completed
 * (raft_uv_close and the loop run), as raft_uv_tcp_close. */
void samsa_raft_transport_close(struct raft_uv_transport *t);

#endif /* SAMSA_METADATA_RAFT_TRANSPORT_H */
