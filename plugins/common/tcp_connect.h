/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/tcp_connect.h - the non-blocking TCP connect transports
 * start in connect() and check on the first send/recv (transport-tcp,
 * transport-tls), so none of them waits for the network.
 */
#ifndef SAMSA_COMMON_TCP_CONNECT_H
#define SAMSA_COMMON_TCP_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

/* Resolve @p host and start a non-blocking (SOCK_NONBLOCK|SOCK_CLOEXEC)
 * connect to the first address that takes it; @p tune (optional) sets
 * socket options on each socket before its connect (buffer sizes must be
 * set then to count in TCP's window scaling). Returns the fd (the
 * caller's), *connecting true while the connect is in progress; or -1
 * with a message in @p errbuf. */
int samsa_tcp_connect_start(const char *host, int32_t port,
                            void (*tune)(void *arg, int fd), void *arg,
                            bool *connecting, char *errbuf, size_t errbuf_size);

/* A connect started above, *connecting as it left it: SAMSA_OK once
 * established (*connecting cleared), SAMSA_ERR_AGAIN while in progress,
 * SAMSA_ERR_NETWORK_EXCEPTION when it failed. */
samsa_err_t samsa_tcp_connect_finish(int fd, bool *connecting);

#endif /* SAMSA_COMMON_TCP_CONNECT_H */
