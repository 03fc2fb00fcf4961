#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark (issue 15): transactional produce throughput as a ratio of
idempotent produce, on Samsa and on Apache Kafka's broker (kafka_2.13
3.8.0, KRaft; tools/bench/kafka_ref.py), one node and three (RF=3), in the
same run, with the same client (librdkafka through python3-confluent-kafka):
rounds alternate an idempotent producer and a transactional one committing
every 1,000 records (begin, 1,000 produce calls, commit_transaction, which
flushes and waits for EndTxn).

    tools/bench/txn_produce.py [--build DIR] [--count N] [--rounds R]
                               [--targets samsa,kafka,samsa-3,kafka-3]

Each round produces N 100-byte records over 8 partitions of a new topic
(RF=1 on one node, RF=3 on three). One target's brokers run at a time.
Prints records/s per round, then per target the medians, the ratio
transactional / idempotent, the median time of a transaction and of its
commit_transaction call, and Samsa / Kafka for each figure.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
from produce_consume import free_port, start_samsad  # noqa: E402
import kafka_ref  # noqa: E402
import nodes  # noqa: E402

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PER_TXN = 1000
PARTITIONS = 8
VALUE = b"x" * 100


def new_topic(boot, name, rf):
    admin = AdminClient({"bootstrap.servers": boot})
    admin.create_topics([NewTopic(name, PARTITIONS, rf)])[name].result(60)
    # Every partition led before the clock starts (a new topic's leaders
    # reach the other nodes' metadata a moment later).
    for addr in boot.split(","):
        host, port = addr.rsplit(":", 1)
        nodes.deadline_wait("%s led on %s" % (name, addr), lambda: (
            lambda t: isinstance(t, dict) and len(t) == PARTITIONS and all(
                v[0] >= 0 and len(v[2]) == rf for v in t.values()))(
                    nodes.metadata(host, int(port), [name])["topics"]
                    .get(name)), 60)


def produce_all(p, topic, lo, hi):
    for i in range(lo, hi):
        while True:
            try:
                p.produce(topic, VALUE, partition=i % PARTITIONS)
                break
            except BufferError:
                p.poll(0.01)


def idempotent(boot, topic, n):
    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True,
                  "linger.ms": 5})
    # Warm: producer id, metadata and connections before the clock, as
    # the transactional producer's first transaction below.
    produce_all(p, topic, 0, PARTITIONS)
    p.flush(60)
    start = time.monotonic()
    produce_all(p, topic, 0, n)
    p.flush(120)
    return n / (time.monotonic() - start)


def transactional(boot, topic, n, txn_id):
    """records/s, and each transaction's time and commit_transaction's
    (lists, in seconds)."""
    p = Producer({"bootstrap.servers": boot, "transactional.id": txn_id,
                  "linger.ms": 5})
    p.init_transactions(60)
    # Warm: one transaction over every partition before the clock.
    # librdkafka's first one waits about 1 s whatever the broker (its
    # coordinator query and metadata timers, 500 ms each), which is the
    # client starting, not the throughput of transactions.
    p.begin_transaction()
    produce_all(p, topic, 0, PARTITIONS)
    p.commit_transaction(60)
    per_txn, commits = [], []
    start = time.monotonic()
    for base in range(0, n, PER_TXN):
        t0 = time.monotonic()
        p.begin_transaction()
        produce_all(p, topic, base, min(n, base + PER_TXN))
        t1 = time.monotonic()
        p.commit_transaction(60)
        t2 = time.monotonic()
        per_txn.append(t2 - t0)
        commits.append(t2 - t1)
    rate = n / (time.monotonic() - start)
    return rate, per_txn, commits


class Samsa1:
    rf = 1

    def __init__(self, build, work):
        self.build, self.work = build, work

    def start(self):
        self.boot = "127.0.0.1:%d" % free_port()
        self.proc = start_samsad(self.build, self.work, self.boot)
        return self.boot

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


class Samsa3:
    rf = 3

    def __init__(self, build, work):
        nodes.SAMSAD = os.path.join(os.path.abspath(build), "core", "samsad")
        self.cluster = nodes.Cluster(work, session_ms=None)

    def start(self):
        self.cluster.start()
        return self.cluster.bootstrap()

    def stop(self):
        self.cluster.stop()


class Kafka:
    def __init__(self, work, n):
        self.rf = n
        self.cluster = kafka_ref.KafkaCluster(work, n)

    def start(self):
        self.cluster.start()
        return self.cluster.bootstrap()

    def stop(self):
        self.cluster.stop()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def measure(name, target, a):
    boot = target.start()
    idem, txn, per_txn, commits = [], [], [], []
    try:
        # The coordinator's state topic and its leadership exist before
        # the first measured round, on both brokers.
        new_topic(boot, "warm", target.rf)
        transactional(boot, "warm", 2 * PER_TXN, "bench-warm")
        for r in range(a.rounds):
            new_topic(boot, "idem-%d" % r, target.rf)
            idem.append(idempotent(boot, "idem-%d" % r, a.count))
            new_topic(boot, "txn-%d" % r, target.rf)
            rate, per, commit = transactional(boot, "txn-%d" % r, a.count,
                                              "bench-%d" % r)
            txn.append(rate)
            per_txn += per
            commits += commit
            print("%s round %d: idempotent %.0f records/s, transactional "
                  "%.0f records/s (%.2f), a transaction p50 %.1f ms p99 "
                  "%.1f ms (commit_transaction p50 %.1f ms), load %.1f"
                  % (name, r, idem[-1], rate, rate / idem[-1],
                     pct(per, .5) * 1e3, pct(per, .99) * 1e3,
                     pct(commit, .5) * 1e3, os.getloadavg()[0]),
                  flush=True)
    finally:
        target.stop()
    return {"idem": statistics.median(idem), "txn": statistics.median(txn),
            "p50": pct(per_txn, .5), "p99": pct(per_txn, .99),
            "commit": pct(commits, .5)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--targets", default="samsa,kafka,samsa-3,kafka-3")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="samsa-bench-txn-")
    make = {
        "samsa": lambda d: Samsa1(a.build, d),
        "kafka": lambda d: Kafka(d, 1),
        "samsa-3": lambda d: Samsa3(a.build, d),
        "kafka-3": lambda d: Kafka(d, 3),
    }
    got = {}
    try:
        for name in a.targets.split(","):
            d = os.path.join(work, name)
            os.makedirs(d)
            got[name] = measure(name, make[name](d), a)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("%d rounds of %d 100-byte records, %d partitions, %d records per "
          "transaction, load average %.1f (%d cores)"
          % (a.rounds, a.count, PARTITIONS, PER_TXN, os.getloadavg()[0],
             os.cpu_count()))
    print("| broker | idempotent records/s | transactional records/s "
          "| transactional / idempotent | ms per transaction p50 / p99 "
          "| ms in commit_transaction p50 |")
    print("|---|---|---|---|---|---|")
    for name, m in got.items():
        print("| %s | %.0f | %.0f | %.2f | %.1f / %.1f | %.1f |"
              % (name, m["idem"], m["txn"], m["txn"] / m["idem"],
                 m["p50"] * 1e3, m["p99"] * 1e3, m["commit"] * 1e3))
    for s, k in (("samsa", "kafka"), ("samsa-3", "kafka-3")):
        if s in got and k in got:
            print("%s / %s: idempotent %.2f, transactional %.2f, "
                  "transactional/idempotent %.2f, transaction p50 time %.2f"
                  % (s, k, got[s]["idem"] / got[k]["idem"],
                     got[s]["txn"] / got[k]["txn"],
                     (got[s]["txn"] / got[s]["idem"]) /
                     (got[k]["txn"] / got[k]["idem"]),
                     got[s]["p50"] / got[k]["p50"]))


if __name__ == "__main__":
    main()
