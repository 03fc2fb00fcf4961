# SPDX-License-Identifier: Apache-2.0
"""A single node is a one-voter quorum by default, and the data dir of an
earlier release's standalone node (no metadata quorum) starts on it: its
topics, records, topic configs, committed offsets and producer ids go
into the new metadata log, and are all there at this start and the next;
nothing is deleted. It needs no controller listener and no extra key.

The standalone dir is written by the standalone code itself: a node whose
data dir holds a store the metadata log does not take over yet (here
dynamic broker configs) keeps running standalone, as before, and keeps
its data; once that store is gone, the next start moves the rest."""
import os
import socket
import struct
import subprocess
import textwrap
import time

from kafka_wire import frame, read_frame


def py(code, *args):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def producer_id(broker):
    """InitProducerId v1 without a transactional id."""
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(frame(22, 1, 1, struct.pack(">hi", -1, 60000)))
        err, pid = struct.unpack(">hq", read_frame(s)[8:18])
    assert err == 0
    return pid


STATE = """
    import sys
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource
    boot = sys.argv[1]
    a = AdminClient({"bootstrap.servers": boot})
    md = a.list_topics(timeout=10).topics
    parts = {t: len(md[t].partitions) for t in ("m1", "m2")}
    res = ConfigResource("topic", "m2")
    cfg = a.describe_configs([res])[res].result(10)
    c = Consumer({"bootstrap.servers": boot, "group.id": "g",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    committed = c.committed([TopicPartition("m1", 0)], 10)[0].offset
    c.assign([TopicPartition("m1", 0, 0)])
    got = []
    while len(got) < 5:
        m = c.poll(10)
        assert m is not None and not m.error(), m and m.error()
        got.append(m.value().decode())
    c.close()
    print(parts["m1"], parts["m2"], cfg["retention.ms"].value, committed, ",".join(got))
    """


def test_standalone_topics_and_offsets_move_into_the_log(broker_factory):
    b = broker_factory()
    # An earlier release's store the metadata log does not take yet: the
    # node stays standalone (its value is samsa.yaml's anyway).
    store = os.path.join(b.data_dir, "__samsa_meta", "broker_configs")
    os.makedirs(os.path.dirname(store))
    with open(store, "w") as f:
        f.write("default.message.max.bytes=1048588\n")
    b.start()
    assert "running standalone" in b.log_text()
    assert not os.path.exists(os.path.join(b.data_dir, "__samsa_meta", "raft"))
    py("""
        import sys
        from confluent_kafka import Consumer, Producer, TopicPartition
        from confluent_kafka.admin import AdminClient, NewTopic
        boot = sys.argv[1]
        a = AdminClient({"bootstrap.servers": boot})
        for f in a.create_topics([NewTopic("m1", 1, 1),
                                  NewTopic("m2", 3, 1, config={"retention.ms": "123456"})]).values():
            f.result(10)
        p = Producer({"bootstrap.servers": boot})
        for i in range(5):
            p.produce("m1", value=b"v%d" % i, partition=0)
        assert p.flush(10) == 0
        c = Consumer({"bootstrap.servers": boot, "group.id": "g"})
        c.commit(offsets=[TopicPartition("m1", 0, 3)], asynchronous=False)
        c.close()
        """, b.bootstrap)
    before = producer_id(b)
    want = "1 3 123456 3 v0,v1,v2,v3,v4\n"
    assert py(STATE, b.bootstrap) == want
    # Standalone across a restart too, data kept.
    b.restart()
    assert py(STATE, b.bootstrap) == want
    assert b.stop() == 0
    os.unlink(store)
    b.start()
    assert b.log_text().count("running standalone") == 2  # the two above
    # Logged once the lone voter leads and has applied the move, which can
    # come after the listeners open (ASan, a loaded machine).
    deadline = time.monotonic() + 30
    while "moved this standalone node's" not in b.log_text():
        assert time.monotonic() < deadline, b.log_text()
        time.sleep(0.1)
    assert os.path.isdir(os.path.join(b.data_dir, "__samsa_meta", "raft"))
    assert py(STATE, b.bootstrap) == want
    after = producer_id(b)
    assert after > before
    b.restart()
    assert b.log_text().count("moved this standalone node's") == 1
    assert py(STATE, b.bootstrap) == want
    assert producer_id(b) > after
