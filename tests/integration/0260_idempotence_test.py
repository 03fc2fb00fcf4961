# SPDX-License-Identifier: Apache-2.0
"""Idempotent producers: InitProducerId, sequence checks per partition and
duplicate detection, with librdkafka (confluent-kafka, kcat) and with raw
protocol requests that replay, reorder and fence batches on purpose."""
import socket
import struct
import subprocess
import textwrap

import pytest

from kafka_wire import frame, read_frame, record_batch, uvarint, varint

NO_ERROR = 0
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
INVALID_PRODUCER_ID_MAPPING = 49
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
INVALID_RECORD = 87
INVALID_REQUEST = 42


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


# ---------------------------------------------------------------------------
# Raw protocol helpers
# ---------------------------------------------------------------------------

class Conn:
    def __init__(self, broker):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=10)
        self.corr = 0

    def close(self):
        self.sock.close()

    def call(self, api_key, version, body, flexible=False):
        self.corr += 1
        self.sock.sendall(frame(api_key, version, self.corr, body, flexible))
        resp = read_frame(self.sock)
        (corr,) = struct.unpack(">i", resp[:4])
        assert corr == self.corr
        return resp[5:] if flexible else resp[4:]

    def init_producer_id(self, transactional_id=None):
        """InitProducerId v1 -> (error, producer id, epoch)."""
        if transactional_id is None:
            tid = struct.pack(">h", -1)
        else:
            tid = struct.pack(">h", len(transactional_id)) + transactional_id
        resp = self.call(22, 1, tid + struct.pack(">i", 60000))
        _, err, pid, epoch = struct.unpack(">ihqh", resp[:16])
        return err, pid, epoch

    def init_producer_id_v3(self, pid, epoch):
        """InitProducerId v3 (flexible) asking to bump pid/epoch."""
        body = b"\x00" + struct.pack(">iqh", 60000, pid, epoch) + b"\x00"
        resp = self.call(22, 3, body, flexible=True)
        _, err, new_pid, new_epoch = struct.unpack(">ihqh", resp[:16])
        return err, new_pid, new_epoch

    def produce(self, topic, partition, records, transactional_id=None):
        """Produce v3, acks=-1 -> (error, base offset)."""
        t = topic.encode()
        tid = struct.pack(">h", -1) if transactional_id is None else \
            struct.pack(">h", len(transactional_id)) + transactional_id
        body = (tid + struct.pack(">hi", -1, 10000) + struct.pack(">i", 1)
                + struct.pack(">h", len(t)) + t + struct.pack(">i", 1)
                + struct.pack(">ii", partition, len(records)) + records)
        resp = self.call(0, 3, body)
        at = 4  # topic count
        (nlen,) = struct.unpack(">h", resp[at:at + 2])
        at += 2 + nlen + 4
        _, err, base, _ = struct.unpack(">ihqq", resp[at:at + 22])
        return err, base


def create_topic(broker, name, partitions):
    py("""
        import sys
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        for f in a.create_topics([NewTopic(sys.argv[2], num_partitions=int(sys.argv[3]),
                                           replication_factor=1)]).values():
            f.result(10)
        """, broker.bootstrap, name, str(partitions))


def end_offsets(broker, topic, partitions=1):
    out = py("""
        import sys
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "wm"})
        print(" ".join(str(c.get_watermark_offsets(TopicPartition(sys.argv[2], p),
                                                   timeout=10)[1])
                       for p in range(int(sys.argv[3]))))
        c.close()
        """, broker.bootstrap, topic, str(partitions))
    return [int(x) for x in out.split()]


def read_values(broker, topic, partition=0):
    out = py("""
        import sys
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "rv",
                      "enable.auto.commit": False})
        c.assign([TopicPartition(sys.argv[2], int(sys.argv[3]), 0)])
        lo, hi = c.get_watermark_offsets(TopicPartition(sys.argv[2], int(sys.argv[3])))
        got = []
        while len(got) < hi - lo:
            m = c.poll(10)
            assert m is not None and not m.error(), m and m.error()
            got.append(m.value().decode())
        print(" ".join(got))
        c.close()
        """, broker.bootstrap, topic, str(partition))
    return out.split()


# ---------------------------------------------------------------------------
# Real clients
# ---------------------------------------------------------------------------

def test_librdkafka_enables_the_idempotent_producer_feature(broker):
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-L", "-m", "5",
                          "-X", "debug=feature"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "Enabling feature IdempotentProducer" in out.stderr, out.stderr


def test_kcat_produces_with_idempotence(broker):
    create_topic(broker, "kc", 1)
    data = "".join("m%d\n" % i for i in range(200))
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-P", "-t", "kc",
                          "-X", "enable.idempotence=true"],
                         input=data, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert read_values(broker, "kc") == ["m%d" % i for i in range(200)]


def test_confluent_idempotent_producer_delivers_each_message_once(broker):
    create_topic(broker, "idem", 4)
    out = py("""
        import sys
        from confluent_kafka import Producer, Consumer, TopicPartition
        b = sys.argv[1]
        p = Producer({"bootstrap.servers": b, "enable.idempotence": True,
                      "linger.ms": 2, "batch.num.messages": 50,
                      "compression.type": "lz4"})
        errors = []
        def cb(err, msg):
            if err:
                errors.append(err)
        n = 5000
        for i in range(n):
            p.produce("idem", key=b"k%d" % (i % 31), value=b"%d" % i, on_delivery=cb)
            p.poll(0)
        assert p.flush(30) == 0
        assert not errors, errors
        c = Consumer({"bootstrap.servers": b, "group.id": "g",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        c.assign([TopicPartition("idem", i, 0) for i in range(4)])
        seen = {}
        per_part = {}
        while len(seen) < n:
            m = c.poll(10)
            assert m is not None, "timed out after %d" % len(seen)
            assert not m.error(), m.error()
            v = int(m.value())
            assert v not in seen, "duplicate %d" % v
            seen[v] = m.partition()
            per_part.setdefault(m.partition(), []).append(v)
        # Nothing beyond the n messages; order is kept per key's partition.
        assert c.poll(1) is None
        for vals in per_part.values():
            assert vals == sorted(vals)
        assert len(per_part) == 4
        c.close()
        print("ok")
        """, broker.bootstrap, timeout=180)
    assert out.strip() == "ok"


# ---------------------------------------------------------------------------
# Raw protocol: what the broker decides
# ---------------------------------------------------------------------------

def test_init_producer_id_hands_out_distinct_ids(broker):
    c = Conn(broker)
    ids = set()
    for _ in range(5):
        err, pid, epoch = c.init_producer_id()
        assert err == NO_ERROR and pid >= 0 and epoch == 0
        ids.add(pid)
    assert len(ids) == 5
    c.close()


def test_resent_produce_returns_the_original_offset_and_appends_nothing(broker):
    create_topic(broker, "dup", 1)
    c = Conn(broker)
    _, pid, epoch = c.init_producer_id()
    a = record_batch([b"a0", b"a1", b"a2"], pid, epoch, 0)
    b = record_batch([b"b0", b"b1"], pid, epoch, 3)
    assert c.produce("dup", 0, a) == (NO_ERROR, 0)
    assert c.produce("dup", 0, b) == (NO_ERROR, 3)
    # The same request again (a lost response, retried), on the same socket
    # and on another one: same base offsets, no second copy.
    assert c.produce("dup", 0, a) == (NO_ERROR, 0)
    assert c.produce("dup", 0, b) == (NO_ERROR, 3)
    c2 = Conn(broker)
    assert c2.produce("dup", 0, b) == (NO_ERROR, 3)
    c2.close()
    assert end_offsets(broker, "dup") == [5]
    assert c.produce("dup", 0, record_batch([b"c0"], pid, epoch, 5)) == (NO_ERROR, 5)
    assert read_values(broker, "dup") == ["a0", "a1", "a2", "b0", "b1", "c0"]
    c.close()


def test_sequence_gap_is_refused(broker):
    create_topic(broker, "gap", 1)
    c = Conn(broker)
    _, pid, epoch = c.init_producer_id()
    assert c.produce("gap", 0, record_batch([b"x"], pid, epoch, 0)) == (NO_ERROR, 0)
    err, base = c.produce("gap", 0, record_batch([b"y"], pid, epoch, 2))
    assert (err, base) == (OUT_OF_ORDER_SEQUENCE_NUMBER, -1)
    assert c.produce("gap", 0, record_batch([b"y"], pid, epoch, 1)) == (NO_ERROR, 1)
    assert end_offsets(broker, "gap") == [2]
    c.close()


def test_stale_epoch_is_fenced_and_a_new_epoch_starts_at_zero(broker):
    create_topic(broker, "fence", 1)
    c = Conn(broker)
    _, pid, epoch = c.init_producer_id()
    assert c.produce("fence", 0, record_batch([b"e0"], pid, epoch, 0)) == (NO_ERROR, 0)
    err, pid2, epoch2 = c.init_producer_id_v3(pid, epoch)
    assert (err, pid2, epoch2) == (NO_ERROR, pid, epoch + 1)
    # The new epoch must restart its sequence at 0.
    err, _ = c.produce("fence", 0, record_batch([b"bad"], pid, epoch2, 1))
    assert err == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert c.produce("fence", 0, record_batch([b"e1"], pid, epoch2, 0)) == (NO_ERROR, 1)
    # The old epoch is fenced, even continuing its own sequence.
    err, _ = c.produce("fence", 0, record_batch([b"zombie"], pid, epoch, 1))
    assert err == INVALID_PRODUCER_EPOCH
    assert end_offsets(broker, "fence") == [2]
    # Only one of id/epoch: refused; an id we never issued: a new id.
    assert c.init_producer_id_v3(pid, -1)[0] == INVALID_REQUEST
    err, pid3, epoch3 = c.init_producer_id_v3(pid + 10**12, 4)
    assert err == NO_ERROR and pid3 not in (pid, pid + 10**12) and epoch3 == 0
    c.close()


def test_transactional_batches_need_an_open_transaction(broker):
    # A transactional batch from a producer without a transaction (here an
    # idempotent id) is refused, so no stray write holds the LSO back; a
    # client never writes markers (control batches) itself.
    create_topic(broker, "txn", 1)
    c = Conn(broker)
    _, pid, epoch = c.init_producer_id()
    # Without a transactional id: Kafka's KafkaApis.handleProduceRequest
    # refuses the request before anything else.
    err, _ = c.produce("txn", 0, record_batch([b"t"], pid, epoch, 0, attributes=0x10))
    assert err == TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    # With one its coordinator never gave this producer id: the KIP-890
    # verification refuses it. (A transactional id first, so the
    # coordinator is up: until then the answer is a retriable
    # NOT_ENOUGH_REPLICAS, as Kafka's.)
    err, tpid, tepoch = c.init_producer_id(b"my-txn")
    assert err == NO_ERROR and tpid >= 0 and tpid != pid and tepoch == 0
    err, _ = c.produce("txn", 0, record_batch([b"t"], pid, epoch, 0, attributes=0x10),
                       b"nobody")
    assert err == INVALID_PRODUCER_ID_MAPPING, err
    err, _ = c.produce("txn", 0, record_batch([b"m"], pid, epoch, 0, attributes=0x30),
                       b"nobody")
    assert err == INVALID_RECORD
    assert end_offsets(broker, "txn") == [0]
    c.close()


@pytest.mark.parametrize("how", ["clean", "crash"])
def test_producer_state_survives_a_restart(broker, how):
    create_topic(broker, "keep", 1)
    c = Conn(broker)
    _, pid, epoch = c.init_producer_id()
    batches = [record_batch([b"r%d" % i], pid, epoch, i) for i in range(8)]
    for i, b in enumerate(batches):
        assert c.produce("keep", 0, b) == (NO_ERROR, i)
    c.close()
    if how == "clean":
        broker.restart()
    else:
        broker.kill()  # no snapshot: the state comes from the log
        broker.start()
    c = Conn(broker)
    # Duplicates of the last batches are still recognised...
    assert c.produce("keep", 0, batches[-1]) == (NO_ERROR, 7)
    assert c.produce("keep", 0, batches[-3]) == (NO_ERROR, 5)
    # ...a gap is still a gap, the next sequence still fits...
    err, _ = c.produce("keep", 0, record_batch([b"gap"], pid, epoch, 10))
    assert err == OUT_OF_ORDER_SEQUENCE_NUMBER
    assert c.produce("keep", 0, record_batch([b"r8"], pid, epoch, 8)) == (NO_ERROR, 8)
    # ...and new producer ids never repeat one issued before the restart.
    _, pid2, _ = c.init_producer_id()
    assert pid2 > pid
    c.close()
    assert end_offsets(broker, "keep") == [9]
