# SPDX-License-Identifier: Apache-2.0
"""AddPartitionsToTxn v4+ (KIP-890), the batched form brokers send each
other: one request carries several transactions, each answered on its own.
With VerifyOnly false a transaction's partitions are added; with
VerifyOnly true nothing is added and a partition not in the transaction
gets INVALID_TXN_STATE, a stale epoch PRODUCER_FENCED, while the other
transactions of the same request are answered as if asked alone. Raw
frames (tests/integration/kafka_wire.py)."""
import socket
import struct

from kafka.admin import KafkaAdminClient, NewTopic

from kafka_wire import compact_str, frame, read_frame, uvarint

INVALID_TXN_STATE = 48
PRODUCER_FENCED = 90


class Conn:
    def __init__(self, broker):
        self.sock = socket.create_connection(("127.0.0.1", broker.port),
                                             timeout=10)
        self.corr = 0

    def call(self, api_key, version, body, flexible):
        self.corr += 1
        self.sock.sendall(frame(api_key, version, self.corr, body, flexible))
        resp = read_frame(self.sock)
        assert struct.unpack(">i", resp[:4])[0] == self.corr
        return resp[5:] if flexible else resp[4:]

    def init_producer_id(self, tid):
        """InitProducerId v1: (producer id, epoch)."""
        t = tid.encode()
        body = struct.pack(">h", len(t)) + t + struct.pack(">i", 60000)
        _, err, pid, epoch = struct.unpack(">ihqh", self.call(22, 1, body,
                                                              False)[:16])
        assert err == 0, err
        return pid, epoch

    def add_partitions_v4(self, txns):
        """@txns: (id, pid, epoch, verify_only, topic, [partitions]).
        {(id, partition): error}, and the top-level error."""
        body = uvarint(len(txns) + 1)
        for tid, pid, epoch, verify, topic, parts in txns:
            body += compact_str(tid) + struct.pack(">qhb", pid, epoch, verify)
            body += uvarint(2) + compact_str(topic) + uvarint(len(parts) + 1)
            body += b"".join(struct.pack(">i", p) for p in parts)
            body += b"\x00\x00"  # the topic's tags, the transaction's
        resp = self.call(24, 4, body + b"\x00", True)
        rd = Reader(resp)
        rd.take(">i")  # throttle
        (top,) = rd.take(">h")
        out = {}
        for _ in range(rd.uvarint() - 1):
            tid = rd.compact_str()
            for _ in range(rd.uvarint() - 1):
                rd.compact_str()  # topic
                for _ in range(rd.uvarint() - 1):
                    p, err = rd.take(">ih")
                    out[(tid, p)] = err
                    rd.uvarint()  # tags
                rd.uvarint()
            rd.uvarint()
        return out, top


class Reader:
    def __init__(self, buf):
        self.buf, self.at = buf, 0

    def take(self, fmt):
        vals = struct.unpack_from(fmt, self.buf, self.at)
        self.at += struct.calcsize(fmt)
        return vals

    def uvarint(self):
        n, shift = 0, 0
        while True:
            b = self.buf[self.at]
            self.at += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    def compact_str(self):
        n = self.uvarint() - 1
        s = self.buf[self.at:self.at + n].decode()
        self.at += n
        return s


def test_batched_add_partitions_answers_each_transaction(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("v4", 2, 1)])
    admin.close()
    c = Conn(broker)
    _, e0 = c.init_producer_id("v4-a")
    p1, e1 = c.init_producer_id("v4-a")  # a newer instance: e0 is fenced
    assert e1 == e0 + 1
    p2, e2 = c.init_producer_id("v4-b")

    # a adds partition 0; b only asks about partition 1, never added.
    out, top = c.add_partitions_v4([("v4-a", p1, e1, False, "v4", [0]),
                                    ("v4-b", p2, e2, True, "v4", [1])])
    assert top == 0
    assert out == {("v4-a", 0): 0, ("v4-b", 1): INVALID_TXN_STATE}

    # Verified: a's partition 0 is in its transaction, 1 is not; b adds
    # partition 1; an older epoch of a is fenced, alone.
    out, top = c.add_partitions_v4([("v4-a", p1, e1, True, "v4", [0, 1]),
                                    ("v4-b", p2, e2, False, "v4", [1])])
    assert top == 0
    assert out == {("v4-a", 0): 0, ("v4-a", 1): INVALID_TXN_STATE,
                   ("v4-b", 1): 0}
    out, _ = c.add_partitions_v4([("v4-b", p2, e2, True, "v4", [1]),
                                  ("v4-a", p1, e0, True, "v4", [0])])
    assert out == {("v4-b", 1): 0, ("v4-a", 0): PRODUCER_FENCED}
