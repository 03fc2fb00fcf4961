# SPDX-License-Identifier: Apache-2.0
"""`samsa txn`: a confluent-kafka transactional producer (long
transaction.timeout.ms) is killed inside a transaction; `samsa txn list
--hung` finds it, `samsa txn describe` shows it, `samsa txn abort` writes the
abort marker (WriteTxnMarkers; the producer found by DescribeProducers from
the transaction's first offset on one partition, given by id and epoch on
the other), the last stable offset moves on and a
read_committed consumer reads past it without seeing its records."""
import signal
import subprocess
import sys
import textwrap
import time

from samsa_harness import SAMSA_CLI

# Every value of partition 0 with an isolation level, up to the end offset
# that level reports (the LSO for read_committed), and that end offset.
READ = """
import sys, time
from confluent_kafka import Consumer, TopicPartition
def read(bootstrap, topic, part, iso):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "r-" + iso,
                  "isolation.level": iso, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    tp = TopicPartition(topic, part, 0)
    end = c.get_watermark_offsets(TopicPartition(topic, part), 10)[1]
    c.assign([tp])
    got, deadline = [], time.time() + 20
    while end > 0 and time.time() < deadline:
        pos = c.position([tp])[0].offset
        if pos >= 0 and pos >= end:
            break
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(m.value().decode())
    c.close()
    return sorted(got), end
"""


def py(code, *args):
    out = subprocess.run(["/usr/bin/python3", "-c", READ + textwrap.dedent(code)]
                         + list(args), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def read(broker, topic, iso, part=0):
    out = py("""
        got, end = read(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
        print(end, " ".join(got))
        """, broker.bootstrap, topic, str(part), iso).split()
    return int(out[0]), out[1:]


def cli(broker, *args):
    return subprocess.run([SAMSA_CLI, "txn", *args, "-b", broker.bootstrap],
                          capture_output=True, text=True, timeout=60)


HUNG_PRODUCER = """
    import os
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "py-hung",
                  "transaction.timeout.ms": 600000})
    p.init_transactions(10)
    p.begin_transaction()
    p.produce("hung", value=b"committed", partition=0)
    p.commit_transaction(10)
    p.begin_transaction()
    for i in range(3):
        p.produce("hung", value=b"open-%d" % i, partition=0)
    p.produce("hung", value=b"open-p1", partition=1)
    p.flush(10)
    print("open", flush=True)
    time.sleep(120)  # killed here, inside the transaction
"""


def test_hung_transaction_is_found_and_aborted(broker):
    py("""
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        a.create_topics([NewTopic("hung", 2, 1)])["hung"].result(10)
        """, broker.bootstrap)
    prod = subprocess.Popen(
        ["/usr/bin/python3", "-c", READ + textwrap.dedent(HUNG_PRODUCER),
         broker.bootstrap], stdout=subprocess.PIPE, text=True)
    try:
        assert prod.stdout.readline().strip() == "open"
    finally:
        prod.send_signal(signal.SIGKILL)
        prod.wait(10)
    # committed at 0, its marker at 1, the open transaction from 2.
    assert read(broker, "hung", "read_committed") == (2, ["committed"])

    listed = cli(broker, "list")
    assert listed.returncode == 0, listed.stderr
    assert "py-hung" in listed.stdout and "Ongoing" in listed.stdout
    # Younger than the default age (the maximum transaction timeout).
    young = cli(broker, "list", "--hung")
    assert young.returncode == 0 and "py-hung" not in young.stdout, young
    deadline = time.time() + 15
    while True:
        hung = cli(broker, "list", "--hung", "--max-age-ms", "1000")
        assert hung.returncode == 0, hung.stderr
        if "py-hung" in hung.stdout or time.time() > deadline:
            break
        time.sleep(0.3)
    assert "py-hung" in hung.stdout, hung.stdout

    desc = cli(broker, "describe", "py-hung")
    assert desc.returncode == 0, desc.stderr
    assert "State: Ongoing" in desc.stdout
    assert "TimeoutMs: 600000" in desc.stdout
    parts = desc.stdout.split("Partitions:")[1].split()
    assert sorted(parts) == ["hung-0", "hung-1"], desc.stdout
    pid = desc.stdout.split("ProducerId: ")[1].split()[0]
    epoch = desc.stdout.split("ProducerEpoch: ")[1].split()[0]

    # No transaction starts at offset 0 (committed): a clear error.
    wrong = cli(broker, "abort", "--topic", "hung", "--partition", "0",
                "--start-offset", "0")
    assert wrong.returncode == 1, wrong
    assert "no open transaction starts at offset 0" in wrong.stderr
    assert cli(broker, "abort", "--topic", "hung").returncode == 2

    ab = cli(broker, "abort", "--topic", "hung", "--partition", "0",
             "--start-offset", "2")
    assert ab.returncode == 0, ab.stderr
    assert "aborted producer" in ab.stdout

    # The abort marker at 5: the LSO is the end again and the open records
    # stay hidden; records after it are read.
    assert read(broker, "hung", "read_committed") == (6, ["committed"])
    py("""
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": sys.argv[1]})
        p.produce("hung", value=b"after", partition=0)
        p.flush(10)
        """, broker.bootstrap)
    assert read(broker, "hung", "read_committed") == (7, ["after", "committed"])
    end, everything = read(broker, "hung", "read_uncommitted")
    assert "open-0" in everything and end == 7

    # Partition 1 by producer id and epoch (DescribeTransactions' answer).
    assert read(broker, "hung", "read_committed", 1) == (0, [])
    ab = cli(broker, "abort", "--topic", "hung", "--partition", "1",
             "--producer-id", pid, "--producer-epoch", epoch)
    assert ab.returncode == 0, ab.stderr
    assert read(broker, "hung", "read_committed", 1) == (2, [])
    assert read(broker, "hung", "read_uncommitted", 1) == (2, ["open-p1"])
