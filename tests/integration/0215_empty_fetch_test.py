# SPDX-License-Identifier: Apache-2.0
"""A Fetch that names no partition is answered at once, as Kafka does
(ReplicaManager.fetchMessages: "fetch request does not require any data").
The Java consumer sends one when it closes (SessionId 0, SessionEpoch -1,
no topics); holding it for MaxWaitMs made every close that much slower."""
import socket
import struct
import time

import pytest

from kafka_wire import frame, read_frame


def empty_fetch_v12(max_wait_ms):
    # ReplicaId, MaxWaitMs, MinBytes, MaxBytes, IsolationLevel, SessionId 0,
    # SessionEpoch -1 (FINAL_EPOCH, the close), Topics [], Forgotten [],
    # RackId "", no tagged fields.
    return struct.pack(">iiiibii", -1, max_wait_ms, 1, 50 << 20, 0, 0, -1) + \
        b"\x01\x01\x01\x00"


def empty_fetch_v4(max_wait_ms):
    return struct.pack(">iiiibi", -1, max_wait_ms, 1, 50 << 20, 0, 0)


def timed(port, version, body, flexible, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        start = time.monotonic()
        s.sendall(frame(1, version, 42, body, flexible))
        resp = read_frame(s)
        return time.monotonic() - start, resp


@pytest.mark.parametrize("version", [4, 12])
def test_fetch_without_partitions_is_answered_at_once(broker, version):
    # MaxWaitMs 30 s against a socket timeout of 10 s: a held fetch fails
    # with a timeout; an immediate answer takes milliseconds even on a
    # loaded machine.
    flexible = version >= 12
    body = empty_fetch_v12(30000) if flexible else empty_fetch_v4(30000)
    try:
        elapsed, resp = timed(broker.port, version, body, flexible, 10)
    except socket.timeout:
        pytest.fail("an empty Fetch v%d was held for MaxWaitMs" % version)
    assert elapsed < 5, elapsed
    (corr,) = struct.unpack_from(">i", resp, 0)
    assert corr == 42
    if flexible:
        # header tag byte, ThrottleTimeMs, ErrorCode, SessionId, then an
        # empty compact Responses array.
        throttle, err, session = struct.unpack_from(">ihi", resp, 5)
        assert (err, session) == (0, 0)
        assert resp[15] == 1
    else:
        throttle, n = struct.unpack_from(">ii", resp, 4)
        assert n == 0


def test_fetch_naming_a_partition_still_waits(broker):
    # The control: a fetch at the end of an empty partition is held until
    # MaxWaitMs (1 s here), so the test above measures the real difference.
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("idle", 1, 1)])
    admin.close()
    topic = b"idle"
    body = struct.pack(">iiiib", -1, 1000, 1, 50 << 20, 0) + \
        struct.pack(">ih", 1, len(topic)) + topic + \
        struct.pack(">iiqi", 1, 0, 0, 1 << 20)
    elapsed, resp = timed(broker.port, 4, body, False, 20)
    assert elapsed >= 0.9, elapsed
