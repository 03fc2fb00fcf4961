# SPDX-License-Identifier: Apache-2.0
"""The aborted-transaction index survives a crash (python3-confluent-kafka):
a transaction is aborted, more than 100,000 records follow it (the
producer-state rebuild after a crash replays only the log's last 100,000
offsets, so an in-memory list forgot this abort), samsad is killed with -9
and started again, and a read_committed consumer reading from offset 0
still skips every aborted record."""
import subprocess
import textwrap

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
