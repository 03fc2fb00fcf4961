# SPDX-License-Identifier: Apache-2.0
"""The aborted-transaction index survives a crash (python3-confluent-kafka):
a transaction is aborted, more than 100,000 records follow it (the
producer-state rebuild after a crash replays only the log's last 100,000
offsets, so an in-memory list forgot this abort), samsad is killed with -9
and started again, and a read_committed consumer reading from offset 0
still skips every aborted record.

An open transaction older than the replayed tail survives a crash too: a
transaction writes one record and stays open, more than 100,000 plain
records follow, the housekeeper takes its periodic producer snapshot,
samsad is killed with -9 and started again. A new instance of the
producer's transactional id (InitProducerId) makes the coordinator abort
the open transaction: the partition must still know where that
transaction began, so the abort covers its record and a read_committed
consumer never sees it. Without the snapshot the partition forgot the transaction: the
abort marker found nothing to abort and the record was read as
committed."""
import glob
import os
import subprocess
import textwrap
import time

AFTER = 110000


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)]
                         + list(args), capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_an_old_abort_is_still_skipped_after_kill_9(broker):
    py("""
        import sys
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        a.create_topics([NewTopic("ix", 1, 1)])["ix"].result(10)
        t = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "ix-tx"})
        t.init_transactions(10)
        t.begin_transaction()
        for i in range(5):
            t.produce("ix", value=b"aborted-%d" % i, partition=0)
        t.flush(10)
        t.abort_transaction(10)
        p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 20,
                      "batch.num.messages": 10000, "queue.buffering.max.messages": 200000})
        for i in range(int(sys.argv[2])):
            p.produce("ix", value=b"x", partition=0)
        assert p.flush(30) == 0
        t.begin_transaction()
        t.produce("ix", value=b"committed", partition=0)
        t.commit_transaction(10)
        """, broker.bootstrap, str(AFTER))
    broker.kill()
    broker.start()
    out = py("""
        import sys, time
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "ix-r",
                      "isolation.level": "read_committed",
                      "enable.auto.commit": False})
        end = c.get_watermark_offsets(TopicPartition("ix", 0), 10)[1]
        c.assign([TopicPartition("ix", 0, 0)])
        seen, aborted, committed = 0, 0, 0
        deadline = time.time() + 60
        while time.time() < deadline:
            for m in c.consume(10000, 0.5):
                if m.error():
                    continue
                seen += 1
                v = m.value()
                aborted += v.startswith(b"aborted-")
                committed += v == b"committed"
            if c.position([TopicPartition("ix", 0)])[0].offset >= end:
                break
        c.close()
        print(seen, aborted, committed, end)
        """, broker.bootstrap)
    seen, aborted, committed, end = map(int, out.split())
    # 5 aborted records + their marker, the plain records, one committed
    # record + its marker.
    assert end == 5 + 1 + AFTER + 1 + 1
    assert aborted == 0
    assert committed == 1
    assert seen == AFTER + 1


READ = """
    import sys, time
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "op-r",
                  "isolation.level": "read_committed",
                  "enable.auto.commit": False})
    tp = TopicPartition("op", 0)
    # read_committed: the high mark is the last stable offset. The
    # coordinator's abort after the restart moves it to the log end.
    deadline = time.time() + float(sys.argv[2])
    lso = c.get_watermark_offsets(tp, 10)[1]
    while lso < int(sys.argv[3]) and time.time() < deadline:
        time.sleep(0.1)
        lso = c.get_watermark_offsets(tp, 10)[1]
    c.assign([TopicPartition("op", 0, 0)])
    seen, opened = 0, 0
    deadline = time.time() + float(sys.argv[2])
    while time.time() < deadline:
        for m in c.consume(10000, 0.5):
            if m.error():
                continue
            seen += 1
            opened += m.value().startswith(b"open-")
        if c.position([tp])[0].offset >= lso:
            break
    c.close()
    print(lso, seen, opened)
    """


def test_an_old_open_transaction_holds_the_lso_after_kill_9(broker_factory):
    # The housekeeper takes producer snapshots; every 500 ms here.
    broker = broker_factory("log_retention_check_interval_ms: 500").start()
    py("""
        import sys
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        a.create_topics([NewTopic("op", 1, 1)])["op"].result(10)
        t = Producer({"bootstrap.servers": sys.argv[1],
                      "transactional.id": "op-tx"})
        t.init_transactions(10)
        t.begin_transaction()
        t.produce("op", value=b"open-0", partition=0)
        assert t.flush(10) == 0
        p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 20,
                      "batch.num.messages": 10000,
                      "queue.buffering.max.messages": 200000})
        for i in range(int(sys.argv[2])):
            p.produce("op", value=b"x", partition=0)
        assert p.flush(30) == 0
        # Exit with the transaction open (the coordinator's timeout is
        # librdkafka's default, 60 s: longer than this test).
        """, broker.bootstrap, str(AFTER))
    snaps = os.path.join(broker.data_dir, "__samsa_meta", "producers",
                         "*.snapshot.[ab]")
    deadline = time.time() + 15
    while not glob.glob(snaps) and time.time() < deadline:
        time.sleep(0.1)
    assert glob.glob(snaps), "no periodic producer snapshot was written"
    broker.kill()
    broker.start()
    # The restarted coordinator leaves the transaction open, as Kafka's
    # does (its timeout is 60 s): a new instance of its id aborts it.
    py("""
        import sys
        from confluent_kafka import Producer
        Producer({"bootstrap.servers": sys.argv[1],
                  "transactional.id": "op-tx"}).init_transactions(30)
        """, broker.bootstrap)
    lso, seen, opened = map(int, py(READ, broker.bootstrap, "60", str(AFTER + 2)).split())
    # The open record, the plain ones, the abort marker: the LSO passed
    # the marker, and the aborted record was skipped.
    assert lso == 1 + AFTER + 1
    assert opened == 0
    assert seen == AFTER
