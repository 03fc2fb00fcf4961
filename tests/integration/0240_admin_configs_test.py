# SPDX-License-Identifier: Apache-2.0
"""Topic administration through the admin clients: configs, partitions,
record deletion, the topic's compression policy, size limits and CRC
checks on produce."""
import glob
import os
import socket
import struct
import subprocess
import textwrap

import pytest


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_describe_alter_and_incremental_alter_configs(broker):
    out = py("""
        import sys
        from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        for f in a.create_topics([NewTopic("cfg", 2, 1, config={"retention.ms": "3600000"})]).values():
            f.result(10)
        r = ConfigResource("topic", "cfg")
        d = a.describe_configs([r])[r].result(10)
        assert d["retention.ms"].value == "3600000", d["retention.ms"]
        assert not d["retention.ms"].is_default
        assert d["cleanup.policy"].value == "delete" and d["cleanup.policy"].is_default
        # Non-incremental alter replaces every override.
        r2 = ConfigResource("topic", "cfg", set_config={"segment.bytes": "1048576"})
        a.alter_configs([r2])[r2].result(10)
        d = a.describe_configs([r])[r].result(10)
        assert d["segment.bytes"].value == "1048576"
        assert d["retention.ms"].is_default, "alter_configs must replace, not merge"
        # Bad values are refused with INVALID_CONFIG.
        bad = ConfigResource("topic", "cfg", set_config={"retention.ms": "soon"})
        try:
            a.alter_configs([bad])[bad].result(10)
            raise SystemExit("bad value accepted")
        except Exception as e:
            assert "INVALID_CONFIG" in str(e) or "retention.ms" in str(e), e
        print("ok")
        """, broker.bootstrap)
    assert out.strip() == "ok"


def test_kafka_python_incremental_configs_partitions_and_delete_records(broker):
    out = py("""
        import sys
        from kafka import KafkaProducer, KafkaConsumer, TopicPartition
        from kafka.admin import KafkaAdminClient, NewTopic, NewPartitions, ConfigResource, ConfigResourceType
        b = sys.argv[1]
        a = KafkaAdminClient(bootstrap_servers=b)
        a.create_topics([NewTopic("grow", num_partitions=1, replication_factor=1)])
        a.create_partitions({"grow": NewPartitions(total_count=3)})
        c = KafkaConsumer(bootstrap_servers=b)
        assert c.partitions_for_topic("grow") == {0, 1, 2}, c.partitions_for_topic("grow")
        res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "grow")])
        names = {e[0] for e in res[0].resources[0][4]}
        assert {"retention.ms", "cleanup.policy", "max.message.bytes"} <= names
        a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "grow",
                                        configs={"cleanup.policy": "compact"})])
        res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "grow")])
        vals = {e[0]: e[1] for e in res[0].resources[0][4]}
        assert vals["cleanup.policy"] == "compact"
        print("ok")
        """, broker.bootstrap)
    assert out.strip() == "ok"


def test_delete_records_moves_the_log_start(broker):
    out = py("""
        import sys
        from confluent_kafka import Producer, Consumer, TopicPartition
        from confluent_kafka.admin import AdminClient, NewTopic
        b = sys.argv[1]
        a = AdminClient({"bootstrap.servers": b})
        for f in a.create_topics([NewTopic("trim", 1, 1)]).values():
            f.result(10)
        p = Producer({"bootstrap.servers": b})
        for i in range(100):
            p.produce("trim", value=b"%d" % i, partition=0)
        p.flush(10)
        c = Consumer({"bootstrap.servers": b, "group.id": "trim"})
        print(c.get_watermark_offsets(TopicPartition("trim", 0), timeout=10))
        """, broker.bootstrap)
    assert out.strip() == "(0, 100)"
    # librdkafka 2.0.2 has DeleteRecords in its admin API only from 1.6 with
    # a C call, so speak it from kafka-python's protocol classes.
    out = py("""
        import sys
        from kafka.client_async import KafkaClient
        from kafka.protocol.api import Request, Response
        from kafka.protocol.types import Array, Int16, Int32, Int64, Schema, String
        class DeleteRecordsResponse_v0(Response):
            API_KEY = 21
            API_VERSION = 0
            SCHEMA = Schema(("throttle_time_ms", Int32), ("topics", Array(
                ("name", String("utf-8")), ("partitions", Array(
                    ("partition_index", Int32), ("low_watermark", Int64),
                    ("error_code", Int16))))))
        class DeleteRecordsRequest_v0(Request):
            API_KEY = 21
            API_VERSION = 0
            RESPONSE_TYPE = DeleteRecordsResponse_v0
            SCHEMA = Schema(("topics", Array(("name", String("utf-8")), ("partitions",
                Array(("partition_index", Int32), ("offset", Int64))))), ("timeout_ms", Int32))
        c = KafkaClient(bootstrap_servers=sys.argv[1])
        node = c.least_loaded_node()
        while not c.ready(node):
            c.poll(timeout_ms=100)
        f = c.send(node, DeleteRecordsRequest_v0([("trim", [(0, 60)])], 5000))
        while not f.is_done:
            c.poll(timeout_ms=100)
        print(f.value.topics[0][1][0][1], f.value.topics[0][1][0][2])
        """, broker.bootstrap)
    assert out.split() == ["60", "0"]
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", "trim", "-p", "0",
                          "-o", "beginning", "-e", "-q"], capture_output=True,
                         text=True, timeout=30)
    assert out.stdout.split() == [str(i) for i in range(60, 100)]


def stored_codecs(broker, topic):
    """Codec ids of every batch stored on disk for partition 0."""
    codecs = set()
    for log in sorted(glob.glob(os.path.join(broker.data_dir, topic + "-0", "*.log"))):
        with open(log, "rb") as f:
            data = f.read()
        at = 0
        while at + 23 <= len(data):
            (length,) = struct.unpack(">i", data[at + 8:at + 12])
            codecs.add(struct.unpack(">h", data[at + 21:at + 23])[0] & 7)
            at += 12 + length
    return codecs


@pytest.mark.parametrize("sent,topic_codec,want", [
    ("lz4", "producer", 3),     # kept exactly as the producer sent it
    ("none", "zstd", 4),        # compressed with the topic's codec
    ("snappy", "gzip", 1),      # decompressed, then recompressed
    ("gzip", "uncompressed", 0),
])
def test_topic_compression_type_is_applied(broker, sent, topic_codec, want):
    topic = "comp-%s-%s" % (sent, topic_codec)
    py("""
        import sys
        from kafka.admin import KafkaAdminClient, NewTopic
        KafkaAdminClient(bootstrap_servers=sys.argv[1]).create_topics([NewTopic(
            sys.argv[2], 1, 1, topic_configs={"compression.type": sys.argv[3]})])
        """, broker.bootstrap, topic, topic_codec)
    lines = b"".join(b"record-%d-%s\n" % (i, b"x" * (i % 50)) for i in range(500))
    subprocess.run(["kcat", "-b", broker.bootstrap, "-P", "-t", topic, "-p", "0",
                    "-z", sent], input=lines, check=True, timeout=60)
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", topic, "-p", "0",
                          "-o", "beginning", "-e", "-q"], capture_output=True, timeout=60)
    assert out.stdout == lines
    codecs = stored_codecs(broker, topic)
    if topic_codec == "producer":
        # librdkafka sends a batch uncompressed when compression would not
        # make it smaller, so the producer's codec need not be on every one.
        assert want in codecs, codecs
    else:
        assert codecs == {want}, codecs


def raw_produce(port, topic, records, acks=1):
    """Produce v3 with the given record-set bytes; returns the partition
    error code."""
    t = topic.encode()
    body = struct.pack(">hhi", -1, acks, 5000)  # null transactional id
    body += struct.pack(">ih", 1, len(t)) + t + struct.pack(">ii", 1, 0)
    body += struct.pack(">i", len(records)) + records
    hdr = struct.pack(">hhih", 0, 3, 9, 2) + b"it"
    msg = hdr + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        n = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    # corr, topics[1]{name, partitions[1]{index, error, ...}}
    off = 4 + 4
    (nl,) = struct.unpack(">h", data[off:off + 2])
    off += 2 + nl + 4 + 4
    return struct.unpack(">h", data[off:off + 2])[0]


def make_batch(value=b"hello", corrupt=False):
    import zlib  # noqa: F401  (CRC-32C is computed below by hand)

    def crc32c(data):
        crc = 0xFFFFFFFF
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        return crc ^ 0xFFFFFFFF

    def varint(n):
        n = (n << 1) ^ (n >> 63)
        out = b""
        while True:
            b = n & 0x7F
            n >>= 7
            if n:
                out += bytes([b | 0x80])
            else:
                return out + bytes([b])

    rec = b"\x00" + varint(0) + varint(0) + varint(-1) + varint(len(value)) + value + varint(0)
    rec = varint(len(rec)) + rec
    after_crc = struct.pack(">hiqqqhii", 0, 0, 1000, 1000, -1, -1, -1, 1) + rec
    crc = crc32c(after_crc) ^ (1 if corrupt else 0)
    body = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(body)) + body


def test_corrupt_batches_and_oversized_batches_are_refused(broker):
    py("""
        import sys
        from kafka.admin import KafkaAdminClient, NewTopic
        KafkaAdminClient(bootstrap_servers=sys.argv[1]).create_topics([NewTopic(
            "raw", 1, 1, topic_configs={"max.message.bytes": "200"})])
        """, broker.bootstrap)
    assert raw_produce(broker.port, "raw", make_batch()) == 0
    assert raw_produce(broker.port, "raw", make_batch(corrupt=True)) == 2   # CORRUPT_MESSAGE
    assert raw_produce(broker.port, "raw", make_batch(b"x" * 300)) == 10     # MESSAGE_TOO_LARGE
    assert raw_produce(broker.port, "nope", make_batch()) == 3               # UNKNOWN_TOPIC
    assert raw_produce(broker.port, "raw", make_batch(), acks=5) == 21       # INVALID_REQUIRED_ACKS
    # Produce v3+ carries exactly one batch per partition (Kafka's rule).
    assert raw_produce(broker.port, "raw", make_batch() + make_batch()) == 87  # INVALID_RECORD
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", "raw", "-p", "0",
                          "-o", "beginning", "-e", "-q"], capture_output=True, timeout=30)
    assert out.stdout.split() == [b"hello"]


def test_transaction_coordinator_lookup_finds_this_broker(broker):
    # FindCoordinator v1 with key type 1 (transaction): this broker runs the
    # transaction coordinator (core/txn).
    key = b"my-txn"
    body = struct.pack(">h", len(key)) + key + struct.pack(">b", 1)
    hdr = struct.pack(">hhih", 10, 1, 4, 2) + b"it"
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(hdr + body)) + hdr + body)
        n = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    corr, throttle, err = struct.unpack(">iih", data[:10])
    assert corr == 4 and err == 0
    # error message (null), then node id 1 and this broker's port
    node, = struct.unpack(">i", data[12:16])
    assert node == 1
