# SPDX-License-Identifier: Apache-2.0
"""A node that is its quorum's only voter (node_id, controller_quorum_voters
naming only itself) answers a client's first requests as a single node
does. Its internal and auto-created topics are made through the metadata
log, and until they exist (a few ms with one voter) the answers wait,
bounded, instead of answering retriable errors that a raw request, or a
client on some APIs, does not retry: InitProducerId before the first block
of producer ids, JoinGroup before __consumer_offsets exists, Produce just
after CreateTopics, FindCoordinator for a transactional id."""
import socket
import struct
import subprocess
import textwrap
import uuid

from kafka_wire import frame, read_frame, record_batch
from samsa_harness import free_port

INVALID_TXN_STATE = 48
INVALID_PRODUCER_ID_MAPPING = 49


def one_voter(broker_factory):
    cport = free_port()
    return broker_factory(
        "node_id: 1\ncluster_id: %s\ncontroller_quorum_voters: 1@127.0.0.1:%d\n"
        "offsets_topic_replication_factor: 1\n"
        "transaction_state_log_replication_factor: 1\n" % (uuid.uuid4(), cport),
        args=["--listen", "CONTROLLER://127.0.0.1:%d" % cport]).start()


class Conn:
    def __init__(self, broker):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=10)
        self.corr = 0

    def call(self, api_key, version, body):
        self.corr += 1
        self.sock.sendall(frame(api_key, version, self.corr, body))
        resp = read_frame(self.sock)
        assert struct.unpack(">i", resp[:4])[0] == self.corr
        return resp[4:]


def s16(s):
    return struct.pack(">h", len(s)) + s


def test_first_requests_are_answered_without_retriable_errors(broker_factory):
    b = one_voter(broker_factory)
    c = Conn(b)
    # InitProducerId v1, no transactional id: the first block of ids.
    resp = c.call(22, 1, struct.pack(">h", -1) + struct.pack(">i", 60000))
    err, pid, epoch = struct.unpack(">hqh", resp[4:16])
    assert (err, epoch) == (0, 0) and pid >= 0
    # JoinGroup v0 straight away, no FindCoordinator: __consumer_offsets
    # is made and its partition loaded first.
    body = (s16(b"g1") + struct.pack(">i", 10000) + s16(b"") + s16(b"consumer")
            + struct.pack(">i", 1) + s16(b"range") + struct.pack(">i", 0))
    resp = c.call(11, 0, body)
    assert struct.unpack(">h", resp[:2])[0] == 0
    # FindCoordinator v1 for a transactional id: __transaction_state.
    resp = c.call(10, 1, s16(b"tx-1") + b"\x01")
    err, node = struct.unpack(">hxxi", resp[4:12])  # no error message
    assert (err, node) == (0, 1)
    # CreateTopics through a real client, then Produce at once.
    subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent("""
        import sys
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        for f in a.create_topics([NewTopic("t1", 1, 1)]).values():
            f.result(10)
        # The controller holds CreateTopics to max_partitions_per_request
        # (10000) as one node does: POLICY_VIOLATION (44).
        f = a.create_topics([NewTopic("huge", 10001, 1)])["huge"]
        assert f.exception(10).args[0].code() == 44, f.exception()
        """), b.bootstrap], check=True, timeout=60)

    def produce(batch, tid=None):
        body = ((s16(tid) if tid else struct.pack(">h", -1))
                + struct.pack(">hi", -1, 10000) + struct.pack(">i", 1)
                + s16(b"t1") + struct.pack(">i", 1)
                + struct.pack(">ii", 0, len(batch)) + batch)
        resp = c.call(0, 3, body)
        at = 4 + 2 + 2 + 4
        return struct.unpack(">ihq", resp[at:at + 14])[1:]

    assert produce(record_batch([b"a"], pid, 0, 0)) == (0, 0)
    # A transactional batch of an idempotent producer opens no transaction
    # (KIP-890 verification with the coordinator, here this node).
    err, _ = produce(record_batch([b"t"], pid, 0, 1, attributes=0x10), b"tx-1")
    assert err in (INVALID_TXN_STATE, INVALID_PRODUCER_ID_MAPPING)
