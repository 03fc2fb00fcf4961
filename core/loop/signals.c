/* SPDX-License-Identifier: Apache-2.0 */
/* core/loop/signals.c - see signals.h. */
#include "loop/signals.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

samsa_err_t samsa_signals_init(samsa_signals_t *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        return SAMSA_ERR_IO;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Under a file-size limit (prlimit --fsize, systemd LimitFSIZE=) a write
     * past it raises SIGXFSZ, whose default action kills the process without
     * a word. Ignored, the write fails with EFBIG instead, which the storage
     * engine turns into KAFKA_STORAGE_ERROR for that partition. */
    signal(SIGXFSZ, SIG_IGN);
    sigdelset(&set, SIGPIPE);
    s->fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return s->fd < 0 ? SAMSA_ERR_IO : SAMSA_OK;
}

samsa_err_t samsa_signals_wait(samsa_signals_t *s, int timeout_ms, int *signo)
{
    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(s->fd, &si, sizeof(si));
        if (n == (ssize_t)sizeof(si)) {
            *signo = (int)si.ssi_signo;
            return SAMSA_OK;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return SAMSA_ERR_IO;
        }
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r == 0) {
            return SAMSA_ERR_TIMEOUT;
        }
        if (r < 0 && errno != EINTR) {
            return SAMSA_ERR_IO;
        }
    }
}

void samsa_signals_close(samsa_signals_t *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}
