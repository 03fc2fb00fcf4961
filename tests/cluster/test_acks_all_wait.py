# SPDX-License-Identifier: Apache-2.0
"""acks=all waits for the ISR without holding a reactor (issue #13): on a
leader with one reactor (nodes.py writes `reactors: 1`), a Produce with
acks=-1 whose follower is SIGSTOPped stays unanswered, while the same
node answers ApiVersions and an acks=1 Produce on other connections at
once; the held Produce is answered, without error, once the stopped
follower is fenced (session timeout) and so out of the ISR.

Raw frames (tests/integration/kafka_wire.py). About 8 s.
"""
import os
import select
import signal
import socket
import struct
import sys
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from nodes import deadline_wait

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from kafka_wire import frame, read_frame, record_batch  # noqa: E402


def produce_frame(topic, acks, corr, timeout_ms=30000):
    """Produce v3 of one batch to partition 0 of @topic."""
    batch = record_batch([b"v-%d" % corr])
    name = topic.encode()
    body = struct.pack(">hhi", -1, acks, timeout_ms)
    body += struct.pack(">ih", 1, len(name)) + name
    body += struct.pack(">iii", 1, 0, len(batch)) + batch
    return frame(0, 3, corr, body)


def produce_error(resp):
    """The one partition's error code of a Produce v3 answer (after the
    correlation id)."""
    (nlen,) = struct.unpack(">h", resp[8:10])
    off = 10 + nlen + 4 + 4  # name, partitions count, index
    return struct.unpack(">h", resp[off:off + 2])[0]


def test_acks_all_wait_leaves_the_reactor_serving(nodes):
    nodes.start()
    boot = nodes.bootstrap()
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    try:
        admin.create_topics([
            NewTopic("held", -1, -1, replica_assignments={0: [1, 2]}),
            NewTopic("side", -1, -1, replica_assignments={0: [1]})])
    finally:
        admin.close()
    deadline_wait("held led by 1 with ISR [1, 2]", lambda: (
        nodes.partitions("held", 1).get(0, (None, None, []))[0] == 1 and
        sorted(nodes.partitions("held", 1)[0][2]) == [1, 2] and
        nodes.partitions("side", 1).get(0, (None,))[0] == 1), 20)

    leader = nodes[1]
    nodes[2].signal(signal.SIGSTOP)
    try:
        held = socket.create_connection((leader.host, leader.port),
                                        timeout=40)
        t0 = time.monotonic()
        held.sendall(produce_frame("held", -1, 1))
        time.sleep(0.3)
        with socket.create_connection((leader.host, leader.port),
                                      timeout=10) as other:
            other.sendall(frame(18, 0, 2, b""))  # ApiVersions v0
            resp = read_frame(other)
            assert struct.unpack(">ih", resp[:6]) == (2, 0)
            other.sendall(produce_frame("side", 1, 3))
            resp = read_frame(other)
            assert struct.unpack(">i", resp[:4])[0] == 3
            assert produce_error(resp) == 0
        answered_others = time.monotonic() - t0
        # The acks=all Produce is still waiting for the stopped follower.
        ready, _, _ = select.select([held], [], [], 0)
        assert not ready, "acks=all answered with a follower stopped"
        resp = read_frame(held)
        waited = time.monotonic() - t0
        assert struct.unpack(">i", resp[:4])[0] == 1
        assert produce_error(resp) == 0
        held.close()
        print("others answered in %.2f s, acks=all after %.2f s"
              % (answered_others, waited))
        assert waited > answered_others
    finally:
        nodes[2].signal(signal.SIGCONT)
