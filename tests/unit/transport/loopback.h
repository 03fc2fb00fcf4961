/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/transport/loopback.h - a loopback socket on a free port, for
 * the transport tests and the controller's probe test (include after
 * cmocka.h). */
#ifndef SAMSA_TEST_TRANSPORT_LOOPBACK_H
#define SAMSA_TEST_TRANSPORT_LOOPBACK_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

/* Bound to 127.0.0.1 on a port the kernel picks and listening with
 * @p backlog; backlog < 0: bound only, so connects there are refused. */
static inline int loopback_socket(int backlog, int32_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (backlog >= 0) {
        assert_int_equal(listen(fd, backlog), 0);
    }
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static inline int listen_any(int32_t *port)
{
    return loopback_socket(4, port);
}

#endif /* SAMSA_TEST_TRANSPORT_LOOPBACK_H */
