# SPDX-License-Identifier: Apache-2.0
"""Produce, consume and administer topics with kafka-python 2.0.2 and
confluent-kafka 1.7.0 (Debian's packages, run with /usr/bin/python3)."""
import subprocess
import textwrap


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_kafka_python_admin_producer_consumer(broker):
    out = py("""
        import sys
        from kafka import KafkaProducer, KafkaConsumer, TopicPartition
        from kafka.admin import KafkaAdminClient, NewTopic
        b = sys.argv[1]
        admin = KafkaAdminClient(bootstrap_servers=b)
        admin.create_topics([NewTopic("kp", num_partitions=3, replication_factor=1)])
        assert "kp" in admin.list_topics()
        p = KafkaProducer(bootstrap_servers=b, compression_type="gzip")
        for i in range(300):
            p.send("kp", key=b"key%d" % (i % 7), value=b"v%d" % i,
                   headers=[("h", b"x%d" % i)])
        p.flush()
        c = KafkaConsumer(bootstrap_servers=b, auto_offset_reset="earliest",
                          consumer_timeout_ms=5000, enable_auto_commit=False)
        c.assign([TopicPartition("kp", i) for i in range(3)])
        got = [m for m in c]
        assert len(got) == 300, len(got)
        # Same key, same partition, in order.
        by_key = {}
        for m in got:
            by_key.setdefault(m.key, set()).add(m.partition)
            assert m.headers == [("h", b"x" + m.value[1:])]
        assert all(len(v) == 1 for v in by_key.values())
        admin.delete_topics(["kp"])
        assert "kp" not in admin.list_topics()
        print("ok")
        """, broker.bootstrap)
    assert out.strip() == "ok"


def test_confluent_kafka_admin_producer_consumer(broker):
    out = py("""
        import sys
        from confluent_kafka import Producer, Consumer, TopicPartition
        from confluent_kafka.admin import AdminClient, NewTopic
        b = sys.argv[1]
        a = AdminClient({"bootstrap.servers": b})
        fs = a.create_topics([NewTopic("ck", num_partitions=4, replication_factor=1)])
        for f in fs.values():
            f.result(10)
        md = a.list_topics(timeout=10)
        assert len(md.topics["ck"].partitions) == 4
        p = Producer({"bootstrap.servers": b, "compression.type": "zstd",
                      "partitioner": "murmur2_random"})
        for i in range(1000):
            p.produce("ck", key=b"k%d" % i, value=b"val%d" % i, headers={"n": str(i)})
        assert p.flush(30) == 0
        c = Consumer({"bootstrap.servers": b, "group.id": "unused",
                      "enable.auto.commit": False})
        c.assign([TopicPartition("ck", i, 0) for i in range(4)])
        seen = {}
        import time
        deadline = time.time() + 30
        while len(seen) < 1000 and time.time() < deadline:
            m = c.poll(1.0)
            if m is None or m.error():
                continue
            seen[m.key()] = m.value()
        c.close()
        assert len(seen) == 1000, len(seen)
        assert all(seen[b"k%d" % i] == b"val%d" % i for i in range(1000))
        fs = a.delete_topics(["ck"])
        for f in fs.values():
            f.result(10)
        print("ok")
        """, broker.bootstrap)
    assert out.strip() == "ok"


def test_restart_in_the_middle_keeps_everything(broker):
    py("""
        import sys
        from kafka import KafkaProducer
        p = KafkaProducer(bootstrap_servers=sys.argv[1])
        for i in range(500):
            p.send("restart", value=b"before%d" % i, partition=0)
        p.flush()
        """, broker.bootstrap)
    broker.restart()
    py("""
        import sys
        from kafka import KafkaProducer
        p = KafkaProducer(bootstrap_servers=sys.argv[1])
        for i in range(500):
            p.send("restart", value=b"after%d" % i, partition=0)
        p.flush()
        """, broker.bootstrap)
    out = py("""
        import sys
        from kafka import KafkaConsumer, TopicPartition
        c = KafkaConsumer(bootstrap_servers=sys.argv[1], auto_offset_reset="earliest",
                          consumer_timeout_ms=5000, enable_auto_commit=False)
        c.assign([TopicPartition("restart", 0)])
        vals = [m.value for m in c]
        want = [b"before%d" % i for i in range(500)] + [b"after%d" % i for i in range(500)]
        assert vals == want, (len(vals), vals[:3])
        print("ok")
        """, broker.bootstrap)
    assert out.strip() == "ok"
