/* SPDX-License-Identifier: Apache-2.0 */
/* ApiVersions negotiation against a scripted fake broker: the KIP-511
 * UNSUPPORTED_VERSION answer makes the client retry with the broker's
 * ApiVersions maximum, and per API the client uses min(ours, broker's). */
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/client.h"
#include "protocol/header.h"

typedef struct fake {
    int lfd;
    int versions_seen[2];
} fake_t;

static int read_frame(int fd, uint8_t *buf, size_t cap)
{
    uint8_t sz[4];
    if (recv(fd, sz, 4, MSG_WAITALL) != 4) {
        return -1;
    }
    uint32_t n = (uint32_t)sz[0] << 24 | (uint32_t)sz[1] << 16 |
                 (uint32_t)sz[2] << 8 | sz[3];
    if (n > cap || recv(fd, buf, n, MSG_WAITALL) != (ssize_t)n) {
        return -1;
    }
    return (int)n;
}

static void reply(int fd, int16_t version, int32_t corr,
                  samsa_ApiVersionsResponse_t *resp)
{
    samsa_iobuf_t io;
    uint8_t *flat = NULL;
    size_t len = 0;
    samsa_iobuf_init(&io);
    assert_int_equal(
        samsa_response_frame(&io, SAMSA_API_API_VERSIONS, version, corr, resp),
        SAMSA_OK);
    assert_int_equal(samsa_iobuf_flatten(&io, &flat, &len), SAMSA_OK);
    assert_int_equal(write(fd, flat, len), (ssize_t)len);
    free(flat);
    samsa_iobuf_clear(&io);
}

static void *serve(void *arg)
{
    fake_t *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    uint8_t buf[4096];
    for (int i = 0; i < 2; i++) {
        int n = read_frame(fd, buf, sizeof(buf));
        samsa_rbuf_t rb;
        samsa_req_header_t h;
        samsa_ApiVersionsResponse_t resp;
        samsa_ApiVersionsResponse_ApiVersion_t keys[2] = {
            {SAMSA_API_API_VERSIONS, 0, 2},
            {SAMSA_API_METADATA, 1, 4},
        };
        if (n < 0) {
            break;
        }
        samsa_rbuf_init(&rb, buf, (size_t)n);
        samsa_req_header_parse(&rb, &h);
        f->versions_seen[i] = h.api_version;
        samsa_ApiVersionsResponse_init(&resp);
        resp.ApiKeys.items = keys;
        if (h.api_version > 2) {
            resp.ErrorCode = SAMSA_ERR_UNSUPPORTED_VERSION;
            resp.ApiKeys.count = 1;
            reply(fd, 0, h.correlation_id, &resp);
        } else {
            resp.ApiKeys.count = 2;
            reply(fd, h.api_version, h.correlation_id, &resp);
        }
    }
    close(fd);
    return NULL;
}

static void kip511_retry_and_per_api_minimum(void **state)
{
    (void)state;
    fake_t f = {0};
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    pthread_t th;
    char boot[64];

    f.lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(f.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f.lfd, 1), 0);
    getsockname(f.lfd, (struct sockaddr *)&sa, &sl);
    snprintf(boot, sizeof(boot), "127.0.0.1:%d", ntohs(sa.sin_port));
    pthread_create(&th, NULL, serve, &f);

    samsa_client_conf_t conf = {.bootstrap = boot, .timeout_ms = 5000};
    samsa_client_t *c = NULL;
    assert_int_equal(samsa_client_new(&conf, &c), SAMSA_OK);
    /* Metadata: broker max 4 < ours 12 */
    assert_int_equal(
        samsa_client_api_version(c, SAMSA_NODE_ANY, SAMSA_API_METADATA), 4);
    /* Produce: the broker lacks it */
    assert_int_equal(
        samsa_client_api_version(c, SAMSA_NODE_ANY, SAMSA_API_PRODUCE), -1);
    pthread_join(th, NULL);
    assert_int_equal(f.versions_seen[0], 3);
    assert_int_equal(f.versions_seen[1], 2);
    samsa_client_free(c);
    close(f.lfd);
}

static void bad_bootstrap_is_reported(void **state)
{
    (void)state;
    samsa_client_conf_t conf = {.bootstrap = "no-port-here"};
    samsa_client_t *c = NULL;
    samsa_metadata_t *md = NULL;
    assert_int_equal(samsa_client_new(&conf, &c), SAMSA_OK);
    assert_int_equal(samsa_client_metadata(c, NULL, 0, false, &md),
                     SAMSA_ERR_INVAL);
    assert_non_null(strstr(samsa_client_errmsg(c), "no-port-here"));
    samsa_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kip511_retry_and_per_api_minimum),
        cmocka_unit_test(bad_bootstrap_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
