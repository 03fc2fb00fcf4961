# SPDX-License-Identifier: Apache-2.0
"""Transactions with librdkafka (python3-confluent-kafka): a transactional
producer commits and aborts, read_committed consumers see the commits only
and read_uncommitted ones everything; a transaction open when the broker
stops (cleanly or by kill -9) is left open by the restarted coordinator,
as in Kafka, and aborted by its timeout: the last stable offset moves on
and no read_committed consumer sees its records; a
transaction left open past its timeout is aborted by the coordinator and
its producer fenced."""
import subprocess
import textwrap

import pytest

# Shared by the snippets below: read every value of a topic with an
# isolation level, up to the end offset that isolation level reports.
READ = """
import sys, time
from confluent_kafka import Consumer, TopicPartition
def read(bootstrap, topic, parts, iso):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "r-" + iso,
                  "isolation.level": iso, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    tps = [TopicPartition(topic, p, 0) for p in range(parts)]
    ends = [c.get_watermark_offsets(TopicPartition(topic, p), 10)[1]
            for p in range(parts)]
    c.assign(tps)
    got, deadline = [], time.time() + 20
    while time.time() < deadline:
        pos = [tp.offset for tp in c.position(tps)]
        if all(p >= 0 and p >= e for p, e in zip(pos, ends)):
            break
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(m.value().decode())
    c.close()
    return sorted(got), ends
"""


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", READ + textwrap.dedent(code)]
                         + list(args), capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def create_topic(broker, name, partitions):
    py("""
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        a.create_topics([NewTopic(sys.argv[2], int(sys.argv[3]), 1)])[sys.argv[2]].result(10)
        """, broker.bootstrap, name, str(partitions))


def read(broker, topic, parts, iso):
    out = py("""
        got, ends = read(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
        print(" ".join(got))
        """, broker.bootstrap, topic, str(parts), iso)
    return out.split()


def test_confluent_commit_and_abort(broker):
    create_topic(broker, "ct", 2)
    py("""
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "py-tx"})
        p.init_transactions(10)
        for prefix, commit in (("c1-", True), ("a-", False), ("c2-", True)):
            p.begin_transaction()
            for i in range(6):
                p.produce("ct", value=("%s%d" % (prefix, i)).encode(), partition=i % 2)
            p.flush(10)  # abort would otherwise drop what is still queued
            if commit:
                p.commit_transaction(10)
            else:
                p.abort_transaction(10)
        """, broker.bootstrap)
    committed = sorted(["c1-%d" % i for i in range(6)] + ["c2-%d" % i for i in range(6)])
    assert read(broker, "ct", 2, "read_committed") == committed
    assert read(broker, "ct", 2, "read_uncommitted") == sorted(
        committed + ["a-%d" % i for i in range(6)])


@pytest.mark.parametrize("how", ["clean", "crash"])
def test_open_transaction_is_aborted_by_its_timeout_after_a_restart(
        broker_factory, how):
    # As in Kafka, the coordinator that loads the transaction log leaves an
    # open transaction to its producer; this one's producer is gone, so its
    # timeout (3 s from its start, before the restart) aborts it.
    broker = broker_factory(
        "transaction_abort_timed_out_transaction_cleanup_interval_ms: 200").start()
    create_topic(broker, "rt", 1)
    py("""
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "py-rt",
                      "transaction.timeout.ms": 3000})
        p.init_transactions(10)
        p.begin_transaction()
        p.produce("rt", value=b"committed", partition=0)
        p.commit_transaction(10)
        p.begin_transaction()
        for i in range(5):
            p.produce("rt", value=b"open-%d" % i, partition=0)
        p.flush(10)
        # leave without committing: the broker stops with it open
        """, broker.bootstrap)
    # Open: the LSO holds read_committed readers before the open records.
    assert read(broker, "rt", 1, "read_committed") == ["committed"]
    if how == "clean":
        assert broker.stop() == 0, broker.log_text()
    else:
        broker.kill()
    broker.start()
    out = py("""
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "hw",
                      "isolation.level": "read_uncommitted"})
        deadline = time.time() + 20
        while True:
            got, ends = read(sys.argv[1], "rt", 1, "read_committed")
            hw = c.get_watermark_offsets(TopicPartition("rt", 0), 10)[1]
            if ends[0] == hw or time.time() > deadline:
                break
            time.sleep(0.2)
        print(" ".join(got), ends[0], hw)
        """, broker.bootstrap)
    values, lso, hw = out.split()[:-2], int(out.split()[-2]), int(out.split()[-1])
    # 1 + marker, 5 open + the abort marker: the LSO is the high
    # watermark again and the aborted records stay hidden.
    assert values == ["committed"]
    assert lso == hw == 8
    assert "timed out" in broker.log_text(), broker.log_text()
    # The transactional id goes on with a new epoch.
    py("""
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "py-rt"})
        p.init_transactions(10)
        p.begin_transaction()
        p.produce("rt", value=b"after", partition=0)
        p.commit_transaction(10)
        """, broker.bootstrap)
    assert read(broker, "rt", 1, "read_committed") == ["after", "committed"]
    assert "open-0" in read(broker, "rt", 1, "read_uncommitted")


def test_transaction_past_its_timeout_is_aborted(broker_factory):
    b = broker_factory(
        "transaction_abort_timed_out_transaction_cleanup_interval_ms: 200").start()
    create_topic(b, "to", 1)
    out = py("""
        from confluent_kafka import Producer, KafkaException
        p = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "py-to",
                      "transaction.timeout.ms": 1000})
        p.init_transactions(10)
        p.begin_transaction()
        p.produce("to", value=b"late", partition=0)
        p.flush(10)
        # The coordinator aborts it past 1 s; the LSO moves to the end (2:
        # the record and the marker; on a slow machine the abort may come
        # before the record was written, and the record is refused).
        deadline = time.time() + 15
        stable = False
        while time.time() < deadline and not stable:
            got, ends = read(sys.argv[1], "to", 1, "read_committed")
            _, hw = read(sys.argv[1], "to", 1, "read_uncommitted")
            stable = ends[0] == hw[0]
            if not stable:
                time.sleep(0.2)
        print("lso_at_end", stable, "values", len(got))
        try:
            p.commit_transaction(10)
            print("committed")
        except KafkaException as e:
            print("refused")
        """, b.bootstrap)
    assert out.split() == ["lso_at_end", "True", "values", "0", "refused"], out
    assert "timed out" in b.log_text()
