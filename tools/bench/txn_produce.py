#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark (issue 15): transactional produce throughput as a ratio of
idempotent produce, same broker, same run, same client (librdkafka through
python3-confluent-kafka): rounds alternate an idempotent producer and a
transactional one committing every 1,000 records (begin, 1,000 produce
calls, commit_transaction, which flushes and waits for the markers).

    tools/bench/txn_produce.py [--build DIR] [--count N] [--rounds R]

Each round produces N 100-byte records over 8 partitions of a new topic.
Prints records/s per round and the ratio of the medians.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from produce_consume import free_port, start_samsad  # noqa: E402

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PER_TXN = 1000
VALUE = b"x" * 100


def new_topic(boot, name):
    admin = AdminClient({"bootstrap.servers": boot})
    admin.create_topics([NewTopic(name, 8, 1)])[name].result(30)


def idempotent(boot, topic, n):
    p = Producer({"bootstrap.servers": boot, "enable.idempotence": True,
                  "linger.ms": 5})
    start = time.monotonic()
    for i in range(n):
        while True:
            try:
                p.produce(topic, VALUE, partition=i % 8)
                break
            except BufferError:
                p.poll(0.01)
    p.flush(120)
    return n / (time.monotonic() - start)


def transactional(boot, topic, n, txn_id):
    p = Producer({"bootstrap.servers": boot, "transactional.id": txn_id,
                  "linger.ms": 5})
    p.init_transactions(30)
    start = time.monotonic()
    for base in range(0, n, PER_TXN):
        p.begin_transaction()
        for i in range(base, min(n, base + PER_TXN)):
            while True:
                try:
                    p.produce(topic, VALUE, partition=i % 8)
                    break
                except BufferError:
                    p.poll(0.01)
        p.commit_transaction(60)
    return n / (time.monotonic() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="samsa-bench-txn-")
    boot = "127.0.0.1:%d" % free_port()
    proc = start_samsad(a.build, work, boot)
    idem, txn = [], []
    try:
        for r in range(a.rounds):
            new_topic(boot, "idem-%d" % r)
            idem.append(idempotent(boot, "idem-%d" % r, a.count))
            print("round %d idempotent    %.0f records/s" % (r, idem[-1]), flush=True)
            new_topic(boot, "txn-%d" % r)
            txn.append(transactional(boot, "txn-%d" % r, a.count, "bench-%d" % r))
            print("round %d transactional %.0f records/s" % (r, txn[-1]), flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    mi, mt = statistics.median(idem), statistics.median(txn)
    print("median: idempotent %.0f records/s, transactional (%d per "
          "transaction) %.0f records/s, ratio %.2f" % (mi, PER_TXN, mt, mt / mi))


if __name__ == "__main__":
    main()
