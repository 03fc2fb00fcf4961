# SPDX-License-Identifier: Apache-2.0
"""Kafka Streams exactly-once on three nodes: Kafka's quickstart word count
(tests/cluster/streams/WordCount.java, kafka-streams 3.8.0 fetched with
Maven) with processing.guarantee=exactly_once_v2 counts the words of an
input topic while the broker coordinating its group is killed with
kill -9 (and stays down); the counts read back with read_committed are exact:
the last count of every word is its number of occurrences and no count
ever goes past it (a record processed twice would).

Needs: java 17, mvn (the jars are cached in streams/lib), python3-kafka.
Bounded: the app is killed at the end, every wait has a deadline.
"""
import os
import random
import struct
import subprocess
import tempfile
import threading
import time

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from test_cluster import cluster, find_coordinator, wait_for  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
STREAMS_DIR = os.path.join(HERE, "streams")
STREAMS_JAR = os.path.join(STREAMS_DIR, "lib", "kafka-streams-3.8.0.jar")
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
         "theta", "iota", "kappa"]


def lines(n, seed):
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(WORDS) for _ in range(5)) for _ in range(n)]


def produce(boot, values):
    p = KafkaProducer(bootstrap_servers=boot, acks="all", retries=10,
                      request_timeout_ms=15000, linger_ms=5)
    for v in values:
        p.send("wc-in", value=v.encode())
    p.flush(timeout=60)
    p.close()


class Output:
    """The committed output so far (librdkafka, read_committed): the last
    and the largest count of each word."""

    def __init__(self, boot):
        from confluent_kafka import Consumer
        from confluent_kafka import TopicPartition as TP
        self.c = Consumer({"bootstrap.servers": boot, "group.id": "wc-check",
                           "isolation.level": "read_committed",
                           "enable.auto.commit": False})
        self.c.assign([TP("wc-out", p, 0) for p in range(3)])
        self.last, self.top = {}, {}

    def poll(self):
        for m in self.c.consume(1000, 0.5):
            if m.error():
                continue
            w, n = m.key().decode(), struct.unpack(">q", m.value())[0]
            self.last[w] = n
            self.top[w] = max(n, self.top.get(w, 0))
        return self

    def close(self):
        self.c.close()


def test_streams_word_count_exactly_once_across_a_broker_kill(cluster):
    if not os.path.exists(STREAMS_JAR):
        out = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy-dependencies",
             "-DoutputDirectory=lib", "-DincludeScope=runtime"],
            cwd=STREAMS_DIR, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, "mvn failed:\n" + out.stdout + out.stderr
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic("wc-in", 3, 3), NewTopic("wc-out", 3, 3)])
    admin.close()
    first, second = lines(150, 1), lines(150, 2)
    expected = {}
    for line in first + second:
        for w in line.split():
            expected[w] = expected.get(w, 0) + 1
    produce(boot, first)

    state = tempfile.mkdtemp(prefix="samsa-streams-")
    app = subprocess.Popen(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", os.path.join(STREAMS_DIR, "lib", "*"),
         os.path.join(STREAMS_DIR, "WordCount.java"), boot, "wc-in", "wc-out",
         "wc-app", state],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    reader = threading.Thread(
        target=lambda: [log.append(l.rstrip()) for l in app.stdout],
        daemon=True)
    reader.start()
    out = None
    try:
        wait_for("the app RUNNING", lambda: "state RUNNING" in log,
                 timeout=90, every=0.5)
        out = Output(boot)
        wait_for("the first counts", lambda: out.poll().last, timeout=60)

        # kill -9 of the broker coordinating the app's group in the middle
        # of its work; it stays down: followers take its partitions over
        # (RF 3), and the app's group and transactions move with them.
        victim = find_coordinator(cluster.ports[1], "wc-app")
        cluster.dev("kill", str(victim))
        live = cluster.bootstrap([i for i in (1, 2, 3) if i != victim])
        produce(live, second)

        def exact():
            out.poll()
            assert all(out.top[w] <= expected[w] for w in out.top), \
                (out.top, expected)
            return out.last == expected
        t0 = time.monotonic()
        wait_for("exact counts", exact, timeout=90, every=0)
        print("counts exact %.1f s after the second half" %
              (time.monotonic() - t0))
    except BaseException:
        print("\n".join(log[-80:]))
        raise
    finally:
        if out:
            out.close()
        app.kill()
        app.wait(timeout=30)
