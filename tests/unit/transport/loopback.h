/* SPDX-License-Identifier: Apache-2.0 */
/* tests/unit/transport/loopback.h - a listening loopback socket on a free
 * port, for the transport tests (include after cmocka.h). */
#ifndef SAMSA_TEST_TRANSPORT_LOOPBACK_H
#define SAMSA_TEST_TRANSPORT_LOOPBACK_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

static inline int listen_any(int32_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

#endif /* SAMSA_TEST_TRANSPORT_LOOPBACK_H */
