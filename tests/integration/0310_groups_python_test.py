# SPDX-License-Identifier: Apache-2.0
"""Consumer groups with kafka-python 2.0.2 and librdkafka (confluent-kafka
1.7.0, cooperative-sticky); committed offsets across a broker restart; a
stale generation rejected with Kafka's error."""
import subprocess
import textwrap


def py(code, *args, timeout=180):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def create_topic(broker, name, partitions):
    py("""
        import sys
        from kafka.admin import KafkaAdminClient, NewTopic
        KafkaAdminClient(bootstrap_servers=sys.argv[1]).create_topics(
            [NewTopic(sys.argv[2], num_partitions=int(sys.argv[3]), replication_factor=1)])
        """, broker.bootstrap, name, str(partitions))


def produce(broker, topic, count, start=0):
    lines = "".join("k%d:m%d\n" % (i, i) for i in range(start, start + count))
    subprocess.run(["kcat", "-b", broker.bootstrap, "-P", "-t", topic, "-K", ":"],
                   input=lines.encode(), check=True, timeout=60)


def test_kafka_python_group_splits_partitions(broker):
    create_topic(broker, "kpg", 4)
    produce(broker, "kpg", 400)
    out = py("""
        import sys, threading, time
        from kafka import KafkaConsumer
        b = sys.argv[1]
        got, parts = {}, {}
        def run(name):
            c = KafkaConsumer("kpg", bootstrap_servers=b, group_id="kp-group",
                              auto_offset_reset="earliest", enable_auto_commit=False,
                              session_timeout_ms=6000, heartbeat_interval_ms=1000)
            deadline = time.time() + 60
            while time.time() < deadline and sum(len(v) for v in got.values()) < 400:
                for tp, msgs in c.poll(500).items():
                    parts.setdefault(name, set()).add(tp.partition)
                    for m in msgs:
                        got.setdefault(name, []).append(m.value)
                c.commit()
            c.close()
        ts = [threading.Thread(target=run, args=(n,)) for n in ("x", "y")]
        for t in ts: t.start(); time.sleep(0.5)
        for t in ts: t.join()
        values = [v for vs in got.values() for v in vs]
        assert sorted(set(values)) == sorted(b"m%d" % i for i in range(400)), len(values)
        print("ok", sorted(len(p) for p in parts.values()))
        """, broker.bootstrap)
    assert out.startswith("ok")


def test_librdkafka_cooperative_sticky_group(broker):
    create_topic(broker, "coop", 6)
    produce(broker, "coop", 600)
    out = py("""
        import sys, threading, time
        from confluent_kafka import Consumer
        b = sys.argv[1]
        seen, assigned = set(), {}
        lock = threading.Lock()
        def run(name, delay):
            time.sleep(delay)
            c = Consumer({"bootstrap.servers": b, "group.id": "coop-group",
                          "partition.assignment.strategy": "cooperative-sticky",
                          "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                          "enable.auto.commit": True, "auto.commit.interval.ms": 200})
            def on_assign(cons, parts):
                with lock:
                    assigned.setdefault(name, set()).update(p.partition for p in parts)
            c.subscribe(["coop"], on_assign=on_assign)
            deadline = time.time() + 40
            while time.time() < deadline:
                m = c.poll(0.2)
                if m is not None and not m.error():
                    with lock:
                        seen.add(m.value())
                with lock:
                    if len(seen) >= 600 and len(assigned) == 2 and time.time() > deadline - 30:
                        break
            c.close()
        ts = [threading.Thread(target=run, args=("a", 0)), threading.Thread(target=run, args=("b", 2))]
        for t in ts: t.start()
        for t in ts: t.join()
        assert seen == set(b"m%d" % i for i in range(600)), len(seen)
        assert len(assigned) == 2, assigned
        print("ok")
        """, broker.bootstrap)
    assert out.strip() == "ok"


def test_committed_offsets_survive_a_broker_restart(broker):
    create_topic(broker, "resume", 1)
    produce(broker, "resume", 100)
    consume = """
        import sys
        from kafka import KafkaConsumer
        c = KafkaConsumer("resume", bootstrap_servers=sys.argv[1], group_id="resume-group",
                          auto_offset_reset="earliest", enable_auto_commit=False,
                          consumer_timeout_ms=8000, max_poll_records=10)
        vals = []
        for m in c:
            vals.append(m.value.decode())
            if len(vals) == int(sys.argv[2]):
                break
        c.commit()
        c.close()
        print(",".join(vals))
        """
    first = py(consume, broker.bootstrap, "40").strip().split(",")
    assert first == ["m%d" % i for i in range(40)]
    broker.restart()
    rest = py(consume, broker.bootstrap, "60").strip().split(",")
    assert rest == ["m%d" % i for i in range(40, 100)]


def test_stale_generation_is_rejected_with_illegal_generation(broker):
    create_topic(broker, "stale", 1)
    out = py("""
        import sys, time
        from kafka.client_async import KafkaClient
        from kafka.protocol.group import (JoinGroupRequest, SyncGroupRequest,
                                          HeartbeatRequest)
        from kafka.protocol.commit import OffsetCommitRequest
        c = KafkaClient(bootstrap_servers=sys.argv[1])
        node = c.least_loaded_node()
        while not c.ready(node):
            c.poll(timeout_ms=100)
        def call(req):
            f = c.send(node, req)
            while not f.is_done:
                c.poll(timeout_ms=100)
            return f.value
        join = call(JoinGroupRequest[2]("stale-g", 10000, 30000, "", "consumer",
                                        [("range", b"")]))
        assert join.error_code == 0, join
        gen, member = join.generation_id, join.member_id
        sync = call(SyncGroupRequest[1]("stale-g", gen, member, [(member, b"")]))
        assert sync.error_code == 0, sync
        hb = call(HeartbeatRequest[1]("stale-g", gen, member))
        assert hb.error_code == 0, hb
        hb = call(HeartbeatRequest[1]("stale-g", gen - 1, member))
        commit = call(OffsetCommitRequest[2]("stale-g", gen + 5, member, -1,
                                             [("stale", [(0, 1, "")])]))
        print(hb.error_code, commit.topics[0][1][0][1])
        """, broker.bootstrap)
    assert out.split() == ["22", "22"]   # ILLEGAL_GENERATION both times
