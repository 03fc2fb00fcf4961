# SPDX-License-Identifier: Apache-2.0
"""Dynamic broker configs (KIP-226): AlterConfigs and
IncrementalAlterConfigs on BROKER resources, for this broker (resource name
= node id) and the cluster default (empty name); DescribeConfigs shows each
value with its source and synonyms; log-level settings apply to every topic
at once; the values survive a restart; read-only keys are refused with Kafka's error."""
import glob
import os
import socket
import struct
import subprocess
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic

from kafka_wire import frame, read_frame

INVALID_REQUEST = 42


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def incremental_alter(port, name, ops):
    """IncrementalAlterConfigs v0 on one BROKER resource; ops are
    (config, op, value) with op 0 SET, 1 DELETE. Returns (error, message)."""
    body = struct.pack(">i", 1) + struct.pack(">b", 4) + kstr(name)
    body += struct.pack(">i", len(ops))
    for cfg, op, value in ops:
        body += kstr(cfg) + struct.pack(">b", op)
        body += kstr(value) if value is not None else struct.pack(">h", -1)
    body += b"\x00"  # ValidateOnly
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(44, 0, 9, body))
        resp = read_frame(s)
    # corr, throttle, [1] ErrorCode, ErrorMessage
    err, mlen = struct.unpack_from(">hh", resp, 12)
    msg = resp[16:16 + mlen].decode() if mlen >= 0 else None
    return err, msg


def describe(admin, name):
    r = ConfigResource("broker", name)
    return admin.describe_configs([r])[r].result(10)


class Reader:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        v = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return v


def describe_raw(port, name, rtype=4):
    """DescribeConfigs v1 with synonyms on one resource (BROKER unless
    rtype says TOPIC, 2): (error, {name: (value, read_only, source,
    [(value, source) or (synonym name, value, source)...])}); synonyms
    carry their name when it differs from the entry's."""
    body = struct.pack(">ib", 1, rtype) + kstr(name) + struct.pack(">i", -1) + b"\x01"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(32, 1, 5, body))
        r = Reader(read_frame(s), 8)  # corr, throttle
    assert r.take(">i") == 1
    err = r.take(">h")
    r.string()
    r.take(">b")
    r.string()
    out = {}
    for _ in range(r.take(">i")):
        cname, value = r.string(), r.string()
        ro, source, _sens = r.take(">?b?")
        syn = []
        for _ in range(r.take(">i")):
            sname = r.string()
            v = (r.string(), r.take(">b"))
            syn.append(v if sname == cname else (sname,) + v)
        out[cname] = (value, ro, source, syn)
    return err, out


def produce(bootstrap, topic, size):
    """Deliver one record of @size bytes; returns the delivery error or None."""
    p = Producer({"bootstrap.servers": bootstrap, "message.send.max.retries": 0})
    got = []
    p.produce(topic, b"x" * size, on_delivery=lambda err, msg: got.append(err))
    p.flush(20)
    assert got, "no delivery report"
    return got[0]


def test_dynamic_broker_configs_apply_persist_and_describe(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    for f in admin.create_topics([NewTopic("dyn", 1, 1)]).values():
        f.result(10)

    # AlterConfigs on this broker (node 1): a cluster-wide and a per-broker key.
    r = ConfigResource("broker", "1", set_config={
        "log.retention.ms": "3600000",
        "sasl.kerberos.min.time.before.relogin": "58000"})
    admin.alter_configs([r])[r].result(10)
    d = describe(admin, "1")
    e = d["log.retention.ms"]
    assert e.value == "3600000" and e.source == ConfigSource.DYNAMIC_BROKER_CONFIG.value, e
    assert not e.is_read_only
    # Synonyms: every level, highest priority first (confluent-kafka keys
    # them by name, so read them raw).
    err, raw = describe_raw(broker.port, "1")
    assert err == 0
    assert raw["log.retention.ms"][3] == [("3600000", 2), ("604800000", 5)], raw["log.retention.ms"]
    assert d["sasl.kerberos.min.time.before.relogin"].value == "58000"
    assert d["num.partitions"].is_read_only
    assert d["log.dirs"].value == broker.data_dir, d["log.dirs"]
    assert d["num.partitions"].source == ConfigSource.DEFAULT_CONFIG.value
    # The topic's retention.ms now comes from the dynamic broker config.
    t = ConfigResource("topic", "dyn")
    te = admin.describe_configs([t])[t].result(10)["retention.ms"]
    assert te.value == "3600000" and te.source == ConfigSource.DYNAMIC_BROKER_CONFIG.value, te
    # Its synonyms are the broker config's levels, as Kafka lists them.
    err, tr = describe_raw(broker.port, "dyn", rtype=2)
    assert err == 0 and tr["retention.ms"][3] == [
        ("log.retention.ms", "3600000", 2), ("log.retention.ms", "604800000", 5)], tr["retention.ms"]

    # Read-only keys: Kafka's error, and nothing changes.
    bad = ConfigResource("broker", "1", set_config={"num.partitions": "3"})
    try:
        admin.alter_configs([bad])[bad].result(10)
        raise AssertionError("num.partitions was altered")
    except Exception as ex:  # KafkaException
        assert "Cannot update these configs dynamically: Set(num.partitions)" in str(ex), ex
    err, msg = incremental_alter(broker.port, "", [
        ("sasl.kerberos.min.time.before.relogin", 0, "1000")])
    assert err == INVALID_REQUEST and "broker id must be specified" in msg, (err, msg)
    # A resource name that is no broker id. (A node id other than this
    # one is accepted, as by Kafka's KRaft controller: it holds configs
    # for every broker, registered yet or not.)
    err, msg = incremental_alter(broker.port, "x7", [("log.retention.ms", 0, "1")])
    assert err == INVALID_REQUEST, (err, msg)
    assert incremental_alter(broker.port, "7", [("log.retention.ms", 0, "1")]) == (0, None)
    assert describe(admin, "1")["log.retention.ms"].value == "3600000"

    # The cluster default (IncrementalAlterConfigs on ""): message.max.bytes
    # applies at once to every topic.
    assert produce(broker.bootstrap, "dyn", 5000) is None
    assert incremental_alter(broker.port, "", [("message.max.bytes", 0, "2000")]) == (0, None)
    err, dd = describe_raw(broker.port, "")
    assert err == 0 and dd == {"message.max.bytes": ("2000", False, 3, [("2000", 3)])}, dd
    e = describe(admin, "1")["message.max.bytes"]
    assert e.value == "2000" and e.source == ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG.value, e
    err = produce(broker.bootstrap, "dyn", 5000)
    assert err is not None and "MSG_SIZE_TOO_LARGE" in err.name(), err
    # producer.id.expiration.ms: cluster-wide, Kafka's lower bound.
    assert incremental_alter(broker.port, "", [("producer.id.expiration.ms", 0, "60000")]) == (0, None)
    err, msg = incremental_alter(broker.port, "", [("producer.id.expiration.ms", 0, "0")])
    assert err == INVALID_REQUEST and "at least 1" in msg, (err, msg)
    e = describe(admin, "1")["producer.id.expiration.ms"]
    assert e.value == "60000" and not e.is_read_only, e

    # Stored durably (in the metadata log), applied again at start.
    broker.restart()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    d = describe(admin, "1")
    assert d["log.retention.ms"].value == "3600000"
    assert d["log.retention.ms"].source == ConfigSource.DYNAMIC_BROKER_CONFIG.value
    assert d["message.max.bytes"].value == "2000"
    assert d["producer.id.expiration.ms"].value == "60000"
    err = produce(broker.bootstrap, "dyn", 5000)
    assert err is not None and "MSG_SIZE_TOO_LARGE" in err.name(), err

    # DELETE brings back samsa.yaml's value.
    assert incremental_alter(broker.port, "", [("message.max.bytes", 1, None)]) == (0, None)
    e = describe(admin, "1")["message.max.bytes"]
    assert e.value == "1048588" and e.source == ConfigSource.DEFAULT_CONFIG.value, e
    assert produce(broker.bootstrap, "dyn", 5000) is None


def test_dynamic_log_defaults_reach_existing_partitions(broker_factory):
    # log.segment.bytes and log.retention.ms set on the cluster default
    # while the topic exists: new segments roll at the new size and the
    # housekeeper drops the closed ones by the new retention.
    b = broker_factory("log_retention_check_interval_ms: 200").start()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    for f in admin.create_topics([NewTopic("live", 1, 1)]).values():
        f.result(10)
    assert incremental_alter(b.port, "", [("log.segment.bytes", 0, "4096")]) == (0, None)
    lines = b"".join(b"record-%04d-%s\n" % (i, b"x" * 80) for i in range(400))
    subprocess.run(["kcat", "-b", b.bootstrap, "-P", "-t", "live", "-p", "0",
                    "-X", "linger.ms=0", "-X", "batch.num.messages=5"],
                   input=lines, check=True, timeout=60)
    segments = glob.glob(os.path.join(b.data_dir, "live-0", "*.log"))
    assert len(segments) > 5, segments

    def earliest():
        out = subprocess.run(["kcat", "-b", b.bootstrap, "-Q", "-t", "live:0:-2"],
                             capture_output=True, text=True, timeout=30)
        return int(out.stdout.split("offset")[1].split()[0])

    assert earliest() == 0
    assert incremental_alter(b.port, "", [("log.retention.ms", 0, "1")]) == (0, None)
    deadline = time.monotonic() + 15
    while earliest() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert 0 < earliest() < 400
    assert b.stop() == 0, b.log_text()
