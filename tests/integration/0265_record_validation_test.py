# SPDX-License-Identifier: Apache-2.0
"""Record batches with valid CRCs but bad contents (issue 11, items 3, 5, 6):
garbage record framing, plain or inside gzip, is refused with
CORRUPT_MESSAGE; a lastOffsetDelta that is not recordCount - 1 with
INVALID_RECORD; a batch decompressing past message_max_decompressed_bytes,
or past max.message.bytes on a topic storing records uncompressed, with
MESSAGE_TOO_LARGE. After each, the partition's offsets have not moved and
a librdkafka consumer (confluent-kafka) reads exactly the good records."""
import gzip
import json
import os
import socket
import struct
import subprocess
import textwrap
import zlib

from kafka_wire import crc32c, frame, read_frame, varint

NO_ERROR = 0
CORRUPT_MESSAGE = 2
MESSAGE_TOO_LARGE = 10
INVALID_RECORD = 87
GZIP = 1


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def record(index, value, header_count=0, length_adjust=0, offset_delta=None):
    body = (b"\x00" + varint(0) + varint(index if offset_delta is None else offset_delta)
            + varint(-1) + varint(len(value)) + value + varint(header_count))
    return varint(len(body) + length_adjust) + body


def records(values):
    return b"".join(record(i, v) for i, v in enumerate(values))


def batch(section, count, attributes=0, last_offset_delta=None, compress=None):
    """A batch v2 around a records section, with a correct CRC."""
    if compress:
        section = compress(section)
    lod = count - 1 if last_offset_delta is None else last_offset_delta
    ts = 1700000000000
    after_crc = struct.pack(">hiqqqhii", attributes, lod, ts, ts, -1, -1, -1,
                            count) + section
    tail = struct.pack(">ibI", -1, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(tail)) + tail


def produce_many(broker, topic, parts):
    """Produce v3, acks=1, one batch per partition in one request:
    parts [(partition, records)] -> [(error code, base offset)]."""
    t = topic.encode()
    body = (struct.pack(">hhi", -1, 1, 10000) + struct.pack(">i", 1)
            + struct.pack(">h", len(t)) + t + struct.pack(">i", len(parts)))
    for partition, records_bytes in parts:
        body += struct.pack(">ii", partition, len(records_bytes)) + records_bytes
    with socket.create_connection(("127.0.0.1", broker.port), timeout=30) as s:
        s.sendall(frame(0, 3, 7, body))
        resp = read_frame(s)[4:]
    at = 4
    (nlen,) = struct.unpack(">h", resp[at:at + 2])
    at += 2 + nlen
    (count,) = struct.unpack(">i", resp[at:at + 4])
    at += 4
    out = []
    for _ in range(count):
        _, err, base = struct.unpack(">ihq", resp[at:at + 14])
        out.append((err, base))
        at += 4 + 2 + 8 + 8  # index, error, base offset, append time (v3)
    return out


def legacy_message(value, attributes=0):
    """A magic 1 message set entry (offset, size, CRC-32'd message)."""
    body = struct.pack(">bbq", 1, attributes, 1700000000000) + \
        struct.pack(">i", -1) + struct.pack(">i", len(value)) + value
    msg = struct.pack(">I", zlib.crc32(body)) + body
    return struct.pack(">qi", 0, len(msg)) + msg


def produce_v2(broker, topic, message_set):
    """Produce v2 (legacy message sets), acks=1 -> error code."""
    t = topic.encode()
    body = (struct.pack(">hi", 1, 10000) + struct.pack(">i", 1)
            + struct.pack(">h", len(t)) + t + struct.pack(">i", 1)
            + struct.pack(">ii", 0, len(message_set)) + message_set)
    with socket.create_connection(("127.0.0.1", broker.port), timeout=30) as s:
        s.sendall(frame(0, 2, 7, body))
        resp = read_frame(s)[4:]
    at = 4
    (nlen,) = struct.unpack(">h", resp[at:at + 2])
    at += 2 + nlen + 4
    return struct.unpack(">ih", resp[at:at + 6])[1]


def produce(broker, topic, records_bytes):
    """Produce v3, acks=1 -> (error code, base offset)."""
    return produce_many(broker, topic, [(0, records_bytes)])[0]


def create_topic(broker, name, config=None, partitions=1):
    py("""
        import json, sys
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        t = NewTopic(sys.argv[2], num_partitions=int(sys.argv[4]),
                     replication_factor=1, config=json.loads(sys.argv[3]))
        for f in a.create_topics([t]).values():
            f.result(10)
        """, broker.bootstrap, name, json.dumps(config or {}), str(partitions))


def consume_all(broker, topic):
    """(end offset, every value from offset 0) as librdkafka sees them."""
    out = py("""
        import sys
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "rv",
                      "enable.auto.commit": False})
        tp = TopicPartition(sys.argv[2], 0, 0)
        c.assign([tp])
        lo, hi = c.get_watermark_offsets(tp, timeout=10)
        got = []
        while len(got) < hi - lo:
            m = c.poll(10)
            assert m is not None and not m.error(), m and m.error()
            got.append(m.value().decode())
        print(hi, " ".join(got))
        c.close()
        """, broker.bootstrap, topic)
    hi, *values = out.split()
    return int(hi), values


def test_malformed_records_are_refused_and_the_partition_keeps_serving(broker):
    create_topic(broker, "v")
    assert produce(broker, "v", batch(records([b"a", b"b"]), 2)) == (NO_ERROR, 0)
    two = [record(0, b"x"), record(1, b"y")]
    bad_sections = {
        "record length one short": record(0, b"x", length_adjust=-1) + two[1],
        "record length one long": record(0, b"x", length_adjust=1) + two[1],
        "trailing byte": two[0] + two[1] + b"\x00",
        "record missing": two[0] + b"",
        "offset delta not its index": two[0] + record(1, b"y", offset_delta=7),
        "negative header count": two[0] + record(1, b"y", header_count=-1),
        "header count past the record": two[0] + record(1, b"y", header_count=3),
        "random bytes": bytes(range(40)),
    }
    for what, section in bad_sections.items():
        err, base = produce(broker, "v", batch(section, 2))
        assert (err, base) == (CORRUPT_MESSAGE, -1), what
        err, _ = produce(broker, "v", batch(section, 2, GZIP, compress=gzip.compress))
        assert err == CORRUPT_MESSAGE, "gzip: " + what
    # A compressed section that is not gzip at all.
    err, _ = produce(broker, "v", batch(b"\x1f\x8bnot really gzip", 1, GZIP))
    assert err == CORRUPT_MESSAGE
    # lastOffsetDelta far past the records would move the end offset by 2^31.
    err, _ = produce(broker, "v", batch(records([b"z"]), 1, last_offset_delta=0x7ffffff0))
    assert err == INVALID_RECORD
    err, _ = produce(broker, "v", batch(records([b"z"]), 1, last_offset_delta=1))
    assert err == INVALID_RECORD
    # Good data after the refusals lands right after the first batch.
    assert produce(broker, "v", batch(records([b"c"]), 1)) == (NO_ERROR, 2)
    assert produce(broker, "v", batch(records([b"d", b"e"]), 2, GZIP,
                                      compress=gzip.compress)) == (NO_ERROR, 3)
    assert consume_all(broker, "v") == (5, ["a", "b", "c", "d", "e"])


def peak_rss_mib(broker):
    with open("/proc/%d/status" % broker.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM")


def keyed_records(pairs):
    out = b""
    for i, (k, v) in enumerate(pairs):
        key = varint(-1) if k is None else varint(len(k)) + k
        body = (b"\x00" + varint(0) + varint(i) + key + varint(len(v)) + v
                + varint(0))
        out += varint(len(body)) + body
    return out


def test_compacted_topics_refuse_null_keys_and_clients_control_batches(broker):
    """Kafka's LogValidator: a compacted topic takes no record without a
    key, and no client writes control batches (both INVALID_RECORD)."""
    create_topic(broker, "c", {"cleanup.policy": "compact"})
    create_topic(broker, "d")
    nokey = keyed_records([(b"k1", b"a"), (None, b"b")])
    assert produce(broker, "c", batch(nokey, 2))[0] == INVALID_RECORD
    assert produce(broker, "c", batch(nokey, 2, GZIP,
                                      compress=gzip.compress))[0] == INVALID_RECORD
    assert produce(broker, "d", batch(nokey, 2)) == (NO_ERROR, 0)
    keyed = keyed_records([(b"k1", b"a"), (b"k2", b"b")])
    assert produce(broker, "c", batch(keyed, 2, GZIP, compress=gzip.compress)) \
        == (NO_ERROR, 0)
    control = 0x20
    assert produce(broker, "d", batch(records([b"x"]), 1, control))[0] == INVALID_RECORD
    assert consume_all(broker, "c") == (2, ["a", "b"])


def test_decompressed_size_is_bounded(broker_factory):
    b = broker_factory("message_max_decompressed_bytes: 4194304").start()
    create_topic(b, "p")
    create_topic(b, "plain", {"compression.type": "uncompressed"})
    # 8 MiB of zeros in one record: a few KB on the wire.
    bomb = batch(records([b"\x00" * (8 << 20)]), 1, GZIP, compress=gzip.compress)
    assert len(bomb) < 64 << 10
    assert produce(b, "p", bomb)[0] == MESSAGE_TOO_LARGE
    # Under the ceiling, but stored uncompressed it would exceed the topic's
    # max.message.bytes (1 MiB by default): Kafka's RecordTooLarge.
    two_mib = batch(records([b"\x00" * (2 << 20)]), 1, GZIP, compress=gzip.compress)
    assert produce(b, "p", two_mib) == (NO_ERROR, 0)
    assert produce(b, "plain", two_mib)[0] == MESSAGE_TOO_LARGE
    # The bound holds for one request's batches together: 3 MiB fits in
    # 4 MiB once, not twice.
    create_topic(b, "two", partitions=2)
    three_mib = batch(records([b"\x00" * (3 << 20)]), 1, GZIP, compress=gzip.compress)
    assert [e for e, _ in produce_many(b, "two", [(0, three_mib), (1, three_mib)])] \
        == [NO_ERROR, MESSAGE_TOO_LARGE]
    assert produce_many(b, "two", [(1, three_mib)]) == [(NO_ERROR, 0)]
    # Legacy (magic 1) gzip wrappers count against the same bound, together:
    # 60 wrappers of 3 MiB are refused before 180 MiB are decompressed.
    # (Peak RSS growth, so the check holds under ASan's quarantine too.)
    wrapper = legacy_message(gzip.compress(legacy_message(b"\x00" * (3 << 20))), GZIP)
    before = peak_rss_mib(b)
    assert produce_v2(b, "two", wrapper * 60) == MESSAGE_TOO_LARGE
    assert peak_rss_mib(b) - before < 64
    inner = legacy_message(b"legacy")
    assert produce_v2(b, "two", legacy_message(gzip.compress(inner), GZIP)) == NO_ERROR
    ok = batch(records([b"small", b"values"]), 2, GZIP, compress=gzip.compress)
    assert produce(b, "plain", ok) == (NO_ERROR, 0)
    assert consume_all(b, "plain") == (2, ["small", "values"])
    assert b.stop() == 0, b.log_text()


def thread_cpu(broker):
    """CPU seconds per thread name of samsad (utime + stime)."""
    out = {}
    task = "/proc/%d/task" % broker.proc.pid
    for tid in os.listdir(task):
        try:
            with open(os.path.join(task, tid, "comm")) as f:
                name = f.read().strip()
            with open(os.path.join(task, tid, "stat")) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])
        out[name] = out.get(name, 0) + ticks / os.sysconf("SC_CLK_TCK")
    return out


def test_compressed_records_are_checked_off_the_reactors(broker_factory):
    """Decompression bombs are opened on the samsa-produce worker thread,
    not on the reactors (samsa-r*) that serve every other connection; a
    connection's produce requests still land in order."""
    b = broker_factory("message_max_decompressed_bytes: 16777216\nreactors: 1").start()
    create_topic(b, "bombs")
    bomb = batch(records([b"\x00" * (32 << 20)]), 1, GZIP, compress=gzip.compress)
    before = thread_cpu(b)
    # 32 bombs: ISA-L inflates the 16 MiB each is cut at in ~5 ms, and the
    # worker's CPU time must stand well above the clock tick.
    for _ in range(32):
        assert produce(b, "bombs", bomb)[0] == MESSAGE_TOO_LARGE
    after = thread_cpu(b)
    worker = after["samsa-produce"] - before.get("samsa-produce", 0)
    reactors = sum(v - before.get(k, 0) for k, v in after.items()
                   if k.startswith("samsa-r"))
    assert worker >= 0.1, (worker, reactors)
    assert reactors < worker / 3, (worker, reactors)
    # Compressed and plain requests pipelined on one connection are
    # appended in the order they were sent.
    t = b"bombs"
    with socket.create_connection(("127.0.0.1", b.port), timeout=30) as s:
        for i in range(20):
            rec = batch(records([b"m%d" % i]), 1, GZIP if i % 2 else 0,
                        compress=gzip.compress if i % 2 else None)
            body = (struct.pack(">hhi", -1, 1, 10000) + struct.pack(">i", 1)
                    + struct.pack(">h", len(t)) + t + struct.pack(">i", 1)
                    + struct.pack(">ii", 0, len(rec)) + rec)
            s.sendall(frame(0, 3, i, body))
        for i in range(20):
            read_frame(s)
    assert consume_all(b, "bombs") == (20, ["m%d" % i for i in range(20)])
    assert b.stop() == 0, b.log_text()
