/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/tcp_connect.c - see tcp_connect.h. */
#include "tcp_connect.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int samsa_tcp_connect_start(const char *host, int32_t port,
                            void (*tune)(void *arg, int fd), void *arg,
                            bool *connecting, char *errbuf, size_t errbuf_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", (int)port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(errbuf, errbuf_size, "resolve %s:%d: %s", host, (int)port,
                 gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd >= 0 && tune) {
            tune(arg, fd);
        }
        if (fd < 0) {
            err = errno;
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            *connecting = false;
        } else if (errno == EINPROGRESS) {
            *connecting = true;
        } else {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(errbuf, errbuf_size, "connect %s:%d: %s", host, (int)port,
                 strerror(err ? err : EADDRNOTAVAIL));
    }
    return fd;
}

samsa_err_t samsa_tcp_connect_finish(int fd, bool *connecting)
{
    if (!*connecting) {
        return SAMSA_OK;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    if (poll(&pfd, 1, 0) == 0) {
        return SAMSA_ERR_AGAIN;
    }
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
        return SAMSA_ERR_NETWORK_EXCEPTION;
    }
    *connecting = false;
    return SAMSA_OK;
}
