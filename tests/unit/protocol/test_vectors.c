/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Byte-exact vectors.
 *
 * 1. Real traffic (tests/data/protocol/vectors/kafka-2.1.1/ *.jsonl, captured
 *    from real clients talking to Apache Kafka 2.1.1): every request and
 *    response decodes at its version, consumes the whole frame, and
 *    re-encodes (header + body) to identical bytes.
 * 2. Frames written by hand from the protocol description (README sections
 *    3-5), not produced by our encoder.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_testutil.h"
#include "protocol/header.h"

/* ------------------------------------------------------------ jsonl */

static bool json_int(const char *line, const char *key, long *out)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\": ", key);
    const char *p = strstr(line, pat);
    if (!p) {
        return false;
    }
    *out = strtol(p + strlen(pat), NULL, 10);
    return true;
}

/* Returns a pointer to the hex digits (len in *n), or NULL for null. */
static const char *json_hex(const char *line, const char *key, size_t *n)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\": ", key);
    const char *p = strstr(line, pat);
    if (!p) {
        return NULL;
    }
    p += strlen(pat);
    if (*p != '"') {
        return NULL;
    }
    p++;
    const char *e = strchr(p, '"');
    *n = e ? (size_t)(e - p) : 0;
    return e ? p : NULL;
}

static void check_request(const char *where, int16_t key, int16_t ver,
                          const uint8_t *frame, size_t len)
{
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, frame, len);
    samsa_req_header_t h;
    assert_int_equal(samsa_req_header_parse(&rb, &h), SAMSA_OK);
    assert_int_equal(h.api_key, key);
    assert_int_equal(h.api_version, ver);
    assert_true(h.version_supported);
    void *body;
    samsa_err_t err = samsa_request_decode(key, ver, &rb, &arena, &body);
    if (err != SAMSA_OK || samsa_rbuf_left(&rb) != 0) {
        fail_msg("%s: request %s v%d: err %d, %zu bytes left", where,
                 h.api->name, ver, err, samsa_rbuf_left(&rb));
    }
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    samsa_wbuf_t w;
    samsa_wbuf_init(&w, &io);
    samsa_req_header_write(&w, key, ver, h.correlation_id, h.client_id);
    assert_int_equal(samsa_msg_write(h.api->request, &w, ver, body), SAMSA_OK);
    assert_int_equal(samsa_wbuf_flush(&w), SAMSA_OK);
    uint8_t *out;
    size_t olen;
    assert_int_equal(samsa_iobuf_flatten(&io, &out, &olen), SAMSA_OK);
    if (olen != len || memcmp(out, frame, len) != 0) {
        fail_msg("%s: request %s v%d re-encodes differently (%zu vs %zu)",
                 where, h.api->name, ver, olen, len);
    }
    free(out);
    samsa_iobuf_clear(&io);
    samsa_arena_destroy(&arena);
}

static void check_response(const char *where, int16_t key, int16_t ver,
                           const uint8_t *frame, size_t len)
{
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, frame, len);
    int32_t corr;
    assert_int_equal(samsa_resp_header_parse(&rb, key, ver, &corr), SAMSA_OK);
    size_t body_off = len - samsa_rbuf_left(&rb);
    samsa_rbuf_t save = rb;
    void *body;
    samsa_err_t err = samsa_response_decode(key, ver, &rb, &arena, &body);
    if (key == SAMSA_API_API_VERSIONS &&
        (err != SAMSA_OK || samsa_rbuf_left(&rb) != 0)) {
        /* KIP-511: a broker that does not know the version answers in
         * the v0 format; clients retry the parse at v0. */
        rb = save;
        ver = 0;
        err = samsa_response_decode(key, ver, &rb, &arena, &body);
    }
    if (err != SAMSA_OK || samsa_rbuf_left(&rb) != 0) {
        fail_msg("%s: response key %d v%d: err %d, %zu bytes left", where, key,
                 ver, err, samsa_rbuf_left(&rb));
    }
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    assert_int_equal(samsa_response_encode(key, ver, &io, body), SAMSA_OK);
    uint8_t *out;
    size_t olen;
    assert_int_equal(samsa_iobuf_flatten(&io, &out, &olen), SAMSA_OK);
    if (olen != len - body_off || memcmp(out, frame + body_off, olen) != 0) {
        fail_msg("%s: response key %d v%d re-encodes differently", where, key,
                 ver);
    }
    free(out);
    samsa_iobuf_clear(&io);
    samsa_arena_destroy(&arena);
}

static void real_client_and_broker_frames_round_trip_byte_exact(void **st)
{
    (void)st;
    const char *src = getenv("SAMSA_SOURCE_DIR");
    assert_non_null(src);
    char dirpath[4096];
    snprintf(dirpath, sizeof(dirpath),
             "%s/tests/data/protocol/vectors/kafka-2.1.1", src);
    DIR *dir = opendir(dirpath);
    assert_non_null(dir);
    struct dirent *de;
    int requests = 0, responses = 0;
    while ((de = readdir(dir))) {
        if (!strstr(de->d_name, ".jsonl")) {
            continue;
        }
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char *line = NULL;
        size_t cap = 0;
        int lineno = 0;
        while (getline(&line, &cap, f) > 0) {
            lineno++;
            char where[512];
            snprintf(where, sizeof(where), "%s:%d", de->d_name, lineno);
            long key, ver;
            assert_true(json_int(line, "api_key", &key));
            assert_true(json_int(line, "version", &ver));
            size_t n;
            const char *hex = json_hex(line, "request", &n);
            assert_non_null(hex);
            size_t len;
            uint8_t *frame = proto_unhex(hex, n, &len);
            assert_non_null(frame);
            check_request(where, (int16_t)key, (int16_t)ver, frame, len);
            free(frame);
            requests++;
            hex = json_hex(line, "response", &n);
            if (hex) {
                frame = proto_unhex(hex, n, &len);
                assert_non_null(frame);
                check_response(where, (int16_t)key, (int16_t)ver, frame, len);
                free(frame);
                responses++;
            }
        }
        free(line);
        fclose(f);
    }
    closedir(dir);
    assert_true(requests >= 180);
    assert_true(responses >= 150);
}

/* ------------------------------------------------------------ by hand */

/*
 * ApiVersions v3 request as librdkafka sends it (README 5.2, section 3):
 *   00 12             api key 18
 *   00 03             version 3
 *   00 00 00 07       correlation id 7
 *   00 03 'c' 'l' 'i' client id: int16-length string even in header v2
 *   00                header tagged fields: none
 *   05 's' 'a' 'm' 's' ClientSoftwareName: compact string, uvarint len+1
 *   04 '1' '.' '0'     ClientSoftwareVersion
 *   00                body tagged fields: none
 */
static const uint8_t APIVERSIONS_V3_REQ[] = {
    0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0x00, 0x03, 'c', 'l',
    'i',  0x00, 0x05, 's',  'a',  'm',  's',  0x04, '1',  '.',  '0', 0x00,
};

static void apiversions_v3_request_by_hand(void **st)
{
    (void)st;
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, APIVERSIONS_V3_REQ, sizeof(APIVERSIONS_V3_REQ));
    samsa_req_header_t h;
    assert_int_equal(samsa_req_header_parse(&rb, &h), SAMSA_OK);
    assert_int_equal(h.header_version, 2);
    assert_int_equal(h.correlation_id, 7);
    assert_true(samsa_str_eq_cstr(h.client_id, "cli"));
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_ApiVersionsRequest_t req;
    assert_int_equal(samsa_ApiVersionsRequest_decode(&rb, 3, &arena, &req),
                     SAMSA_OK);
    assert_int_equal(samsa_rbuf_left(&rb), 0);
    assert_true(samsa_str_eq_cstr(req.ClientSoftwareName, "sams"));
    assert_true(samsa_str_eq_cstr(req.ClientSoftwareVersion, "1.0"));

    /* And the encoder produces exactly those bytes. */
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    samsa_ApiVersionsRequest_t mine;
    samsa_ApiVersionsRequest_init(&mine);
    mine.ClientSoftwareName = SAMSA_STR("sams");
    mine.ClientSoftwareVersion = SAMSA_STR("1.0");
    assert_int_equal(
        samsa_request_frame(&io, 18, 3, 7, SAMSA_STR("cli"), &mine), SAMSA_OK);
    uint8_t *out;
    size_t len;
    assert_int_equal(samsa_iobuf_flatten(&io, &out, &len), SAMSA_OK);
    assert_int_equal(len, 4 + sizeof(APIVERSIONS_V3_REQ));
    assert_int_equal(out[3], sizeof(APIVERSIONS_V3_REQ));
    assert_memory_equal(out + 4, APIVERSIONS_V3_REQ,
                        sizeof(APIVERSIONS_V3_REQ));
    free(out);
    samsa_iobuf_clear(&io);
    samsa_arena_destroy(&arena);
}

/*
 * ApiVersions v3 response body with tagged fields (ApiVersionsResponse.json:
 * SupportedFeatures tag 0, FinalizedFeaturesEpoch tag 1, FinalizedFeatures
 * tag 2, ZkMigrationReady tag 3):
 *   00 00              ErrorCode 0
 *   02                 ApiKeys: compact array, 1 element
 *     00 12 00 00 00 03  ApiKey 18, Min 0, Max 3
 *     00                 element tagged fields
 *   00 00 00 00        ThrottleTimeMs 0
 *   02                 2 tagged fields
 *     01 08 00 00 00 00 00 00 00 2a   tag 1, 8 bytes: epoch 42
 *     03 01 01                        tag 3, 1 byte: ZkMigrationReady true
 */
static const uint8_t APIVERSIONS_V3_RESP_BODY[] = {
    0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x08, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x2a, 0x03, 0x01, 0x01,
};

static void apiversions_v3_response_tagged_fields_by_hand(void **st)
{
    (void)st;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, APIVERSIONS_V3_RESP_BODY,
                    sizeof(APIVERSIONS_V3_RESP_BODY));
    samsa_ApiVersionsResponse_t r;
    assert_int_equal(samsa_ApiVersionsResponse_decode(&rb, 3, &arena, &r),
                     SAMSA_OK);
    assert_int_equal(samsa_rbuf_left(&rb), 0);
    assert_int_equal(r.ApiKeys.count, 1);
    assert_int_equal(r.ApiKeys.items[0].ApiKey, 18);
    assert_int_equal(r.ApiKeys.items[0].MaxVersion, 3);
    assert_int_equal(r.FinalizedFeaturesEpoch, 42);
    assert_true(r.ZkMigrationReady);
    assert_int_equal(r.SupportedFeatures.count, 0);

    samsa_ApiVersionsResponse_t mine;
    samsa_ApiVersionsResponse_init(&mine);
    assert_int_equal(mine.FinalizedFeaturesEpoch, -1); /* spec default */
    samsa_ApiVersionsResponse_ApiVersion_t k = {18, 0, 3};
    mine.ApiKeys.count = 1;
    mine.ApiKeys.items = &k;
    mine.FinalizedFeaturesEpoch = 42;
    mine.ZkMigrationReady = true;
    size_t len;
    samsa_err_t err;
    uint8_t *out = proto_encode_flat(&samsa_ApiVersionsResponse_desc, 3, &mine,
                                     &len, &err);
    assert_int_equal(err, SAMSA_OK);
    assert_int_equal(len, sizeof(APIVERSIONS_V3_RESP_BODY));
    assert_memory_equal(out, APIVERSIONS_V3_RESP_BODY, len);
    free(out);
    samsa_arena_destroy(&arena);
}

/*
 * Metadata v9 request (flexible): header v2, then
 *   02                    Topics: compact array of 1
 *     04 'f' 'o' 'o'      Name "foo" (compact string)
 *     00                  topic tagged fields
 *   01                    AllowAutoTopicCreation true
 *   00                    IncludeClusterAuthorizedOperations false
 *   01                    IncludeTopicAuthorizedOperations true
 *   01                    body tagged fields: 1 (unknown tag, skipped)
 *     07 02 aa bb         tag 7, 2 bytes
 */
static const uint8_t METADATA_V9_REQ[] = {
    0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x2a, 0xff,
    0xff, 0x00, 0x02, 0x04, 'f',  'o',  'o',  0x00, 0x01,
    0x00, 0x01, 0x01, 0x07, 0x02, 0xaa, 0xbb,
};

static void metadata_v9_request_by_hand_skips_unknown_tags(void **st)
{
    (void)st;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, METADATA_V9_REQ, sizeof(METADATA_V9_REQ));
    samsa_req_header_t h;
    assert_int_equal(samsa_req_header_parse(&rb, &h), SAMSA_OK);
    assert_int_equal(h.api_key, SAMSA_API_METADATA);
    assert_int_equal(h.correlation_id, 42);
    assert_int_equal(h.client_id.len, -1); /* null client id */
    samsa_MetadataRequest_t req;
    assert_int_equal(
        samsa_MetadataRequest_decode(&rb, h.api_version, &arena, &req),
        SAMSA_OK);
    assert_int_equal(samsa_rbuf_left(&rb), 0);
    assert_int_equal(req.Topics.count, 1);
    assert_true(samsa_str_eq_cstr(req.Topics.items[0].Name, "foo"));
    assert_true(req.AllowAutoTopicCreation);
    assert_false(req.IncludeClusterAuthorizedOperations);
    assert_true(req.IncludeTopicAuthorizedOperations);
    samsa_arena_destroy(&arena);
}

/*
 * Metadata v0 response, non-flexible (int16 strings, int32 arrays):
 *   00 00 00 01                 Brokers: 1
 *     00 00 00 00                 NodeId 0
 *     00 02 'h' '1'               Host "h1"
 *     00 00 23 84                 Port 9092
 *   00 00 00 01                 Topics: 1
 *     00 00                       ErrorCode 0
 *     00 01 't'                   Name "t"
 *     00 00 00 01                 Partitions: 1
 *       00 00 00 00 00 00 00 00 00 00   ErrorCode 0, Index 0, Leader 0
 *       00 00 00 01 00 00 00 00     ReplicaNodes [0]
 *       00 00 00 01 00 00 00 00     IsrNodes [0]
 */
static const uint8_t METADATA_V0_RESP[] = {
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 'h',
    '1',  0x00, 0x00, 0x23, 0x84, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 't',  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
};

static void metadata_v0_response_encodes_as_written_by_hand(void **st)
{
    (void)st;
    samsa_MetadataResponse_t resp;
    samsa_MetadataResponse_init(&resp);
    samsa_MetadataResponse_MetadataResponseBroker_t b;
    samsa_MetadataResponse_MetadataResponseBroker_init(&b);
    b.NodeId = 0;
    b.Host = SAMSA_STR("h1");
    b.Port = 9092;
    resp.Brokers.count = 1;
    resp.Brokers.items = &b;
    int32_t nodes[1] = {0};
    samsa_MetadataResponse_MetadataResponsePartition_t p;
    samsa_MetadataResponse_MetadataResponsePartition_init(&p);
    p.LeaderId = 0;
    p.ReplicaNodes.count = p.IsrNodes.count = 1;
    p.ReplicaNodes.items = p.IsrNodes.items = nodes;
    samsa_MetadataResponse_MetadataResponseTopic_t t;
    samsa_MetadataResponse_MetadataResponseTopic_init(&t);
    t.Name = SAMSA_STR("t");
    t.Partitions.count = 1;
    t.Partitions.items = &p;
    resp.Topics.count = 1;
    resp.Topics.items = &t;
    size_t len;
    samsa_err_t err;
    uint8_t *out =
        proto_encode_flat(&samsa_MetadataResponse_desc, 0, &resp, &len, &err);
    assert_int_equal(err, SAMSA_OK);
    assert_int_equal(len, sizeof(METADATA_V0_RESP));
    assert_memory_equal(out, METADATA_V0_RESP, len);
    free(out);
}

/* Header edge cases: KIP-511 and unknown keys. */
static void apiversions_with_unknown_version_parses_header_v1(void **st)
{
    (void)st;
    /* ApiVersions v99, header as a v2 client writes it, then garbage. */
    static const uint8_t frame[] = {0x00, 0x12, 0x00, 0x63, 0x00, 0x00, 0x00,
                                    0x05, 0x00, 0x01, 'x',  0x00, 0xde, 0xad};
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, frame, sizeof(frame));
    samsa_req_header_t h;
    assert_int_equal(samsa_req_header_parse(&rb, &h), SAMSA_OK);
    assert_int_equal(h.api_key, 18);
    assert_int_equal(h.api_version, 99);
    assert_false(h.version_supported);
    assert_non_null(h.api);
    assert_int_equal(h.header_version, 1);
    assert_int_equal(h.correlation_id, 5);
    assert_true(samsa_str_eq_cstr(h.client_id, "x"));

    /* The error answer: header v0 + ApiVersions v0 body. */
    samsa_ApiVersionsResponse_t r;
    samsa_ApiVersionsResponse_init(&r);
    r.ErrorCode = SAMSA_ERR_UNSUPPORTED_VERSION;
    samsa_ApiVersionsResponse_ApiVersion_t k = {18, 0, 3};
    r.ApiKeys.count = 1;
    r.ApiKeys.items = &k;
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    assert_int_equal(samsa_response_frame(&io, 18, 0, 5, &r), SAMSA_OK);
    uint8_t *out;
    size_t len;
    assert_int_equal(samsa_iobuf_flatten(&io, &out, &len), SAMSA_OK);
    static const uint8_t want[] = {
        0x00, 0x00, 0x00, 0x10,             /* size 16 */
        0x00, 0x00, 0x00, 0x05,             /* correlation id */
        0x00, 0x23,                         /* UNSUPPORTED_VERSION */
        0x00, 0x00, 0x00, 0x01,             /* ApiKeys: 1 */
        0x00, 0x12, 0x00, 0x00, 0x00, 0x03, /* 18: 0..3 */
    };
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(out, want, len);
    free(out);
    samsa_iobuf_clear(&io);

    /* Unknown key: still a header, flagged. */
    static const uint8_t unk[] = {0x03, 0xe7, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x01, 0xff, 0xff};
    samsa_rbuf_init(&rb, unk, sizeof(unk));
    assert_int_equal(samsa_req_header_parse(&rb, &h), SAMSA_OK);
    assert_null(h.api);
    assert_false(h.version_supported);
    assert_int_equal(samsa_rbuf_left(&rb), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_client_and_broker_frames_round_trip_byte_exact),
        cmocka_unit_test(apiversions_v3_request_by_hand),
        cmocka_unit_test(apiversions_v3_response_tagged_fields_by_hand),
        cmocka_unit_test(metadata_v9_request_by_hand_skips_unknown_tags),
        cmocka_unit_test(metadata_v0_response_encodes_as_written_by_hand),
        cmocka_unit_test(apiversions_with_unknown_version_parses_header_v1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
