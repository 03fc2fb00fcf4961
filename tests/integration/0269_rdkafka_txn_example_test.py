# SPDX-License-Identifier: Apache-2.0
"""librdkafka's own transactional example (examples/transactions.c of
librdkafka 2.0.2, the version of Debian's librdkafka-dev), compiled against
the system librdkafka and run against samsad: its consume-transform-produce
loop reads integers from an input topic, writes their sum per message to an
output topic in transactions committed every 100 messages or 5 s (and on
the revoke at shutdown), with the input offsets sent to each transaction.
Its examples/idempotent_producer.c runs too.

librdkafka's source is not in Debian's packages (no examples there) and is
not copied into this repository: the test takes it from the npm package
node-rdkafka 2.15.0, which bundles librdkafka 2.0.2 under deps/librdkafka,
fetched once with npm into rdkafka-examples/ (gitignored) and checked
against its sha256."""
import fcntl
import hashlib
import os
import re
import signal
import subprocess
import tarfile
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "rdkafka-examples")
PACKAGE = "node-rdkafka@2.15.0"
TARBALL = "node-rdkafka-2.15.0.tgz"
SHA256 = "2766852839ffef5fcbc2cdedaa301a546e51928ef6f427709ddb4ed164b1afd5"
EXAMPLES = ("transactions", "idempotent_producer")

# The example's fixed names (transactions.c).
GROUP = "librdkafka_transactions_example_group"


def _fetch():
    path = os.path.join(CACHE, TARBALL)
    if not os.path.exists(path):
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", CACHE,
                        "--silent", "--no-fund", "--no-audit"],
                       check=True, capture_output=True, timeout=300)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert digest == SHA256, "%s: sha256 %s, expected %s" % (path, digest, SHA256)
    return path


@pytest.fixture(scope="module")
def examples():
    """The examples' binaries, fetched and compiled once (under a lock, as
    pytest-xdist workers may get here together)."""
    os.makedirs(CACHE, exist_ok=True)
    bindir = os.path.join(CACHE, "bin")
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        bins = {n: os.path.join(bindir, n) for n in EXAMPLES}
        if not all(os.path.exists(b) for b in bins.values()):
            tgz = _fetch()
            os.makedirs(bindir, exist_ok=True)
            with tarfile.open(tgz) as t:
                for n in EXAMPLES:
                    src = os.path.join(bindir, n + ".c")
                    m = t.getmember("package/deps/librdkafka/examples/%s.c" % n)
                    with t.extractfile(m) as f, open(src, "wb") as out:
                        out.write(f.read())
                    # The examples include "rdkafka.h" (librdkafka's tree).
                    subprocess.run(["cc", "-O1", "-I/usr/include/librdkafka",
                                    "-o", bins[n] + ".tmp", src, "-lrdkafka"],
                                   check=True, timeout=120)
                    os.rename(bins[n] + ".tmp", bins[n])
    return bins


def py(code, *args, timeout=60):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)]
                         + [str(a) for a in args], capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def read(broker, iso, count=None):
    """The output topic's records as sorted key=value, with kcat: to the
    end of every partition (the last stable offset for read_committed), or
    until count records."""
    args = ["kcat", "-b", broker.bootstrap, "-C", "-t", "out", "-o",
            "beginning", "-X", "isolation.level=" + iso, "-f", "%k=%s\\n"]
    args += ["-c", str(count)] if count else ["-e"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return sorted(out.stdout.split())


def test_transactions_example_sums_exactly_once(broker, examples):
    n = 300
    py("""
        import sys
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        for t in ("in", "out"):
            a.create_topics([NewTopic(t, 2, 1)])[t].result(10)
        p = Producer({"bootstrap.servers": sys.argv[1], "enable.idempotence": True})
        for i in range(int(sys.argv[2])):
            # The example sums every integer in a value: i + 1000.
            p.produce("in", key="k%d" % i, value="%d and 1000" % i,
                      partition=i % 2)
        assert p.flush(10) == 0
        """, broker.bootstrap, n)
    expected = sorted("k%d=%d" % (i, i + 1000) for i in range(n))

    out_path = os.path.join(broker.workdir, "transactions.out")
    with open(out_path, "w") as out:
        proc = subprocess.Popen([examples["transactions"], broker.bootstrap,
                                 "in", "out"], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        # Every sum is produced (the last ones in a transaction still open:
        # read_uncommitted sees them) before the example is stopped, so
        # its shutdown, a revoke that commits, commits the rest.
        got = read(broker, "read_uncommitted", count=n)
        assert len(got) >= n, "the example produced %d of %d sums" % (len(got), n)
        proc.send_signal(signal.SIGINT)  # what transactions.c stops on
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with open(out_path) as f:
        log = f.read()
    assert rc == 0, log
    assert "FATAL" not in log and "WARNING" not in log and "Abort" not in log, log
    assert log.count("Committing transaction") >= 2, log
    assert "revoked: committing current transaction" in log, log

    # Exactly one sum per input record, committed, nothing aborted (an
    # aborted and retried transaction would leave duplicates visible to
    # read_uncommitted).
    assert read(broker, "read_committed") == expected
    assert read(broker, "read_uncommitted") == expected
    # The input offsets were committed by the transactions, through the end.
    committed = py("""
        import sys
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2]})
        tps = c.committed([TopicPartition("in", 0), TopicPartition("in", 1)], 10)
        print(" ".join(str(tp.offset) for tp in tps))
        c.close()
        """, broker.bootstrap, GROUP).split()
    assert committed == [str(n // 2), str(n - n // 2)], committed


def test_idempotent_producer_example(broker, examples):
    """examples/idempotent_producer.c produces a message every 500 ms and,
    after the 13th, raises a fabricated fatal error (librdkafka's test API)
    on which it flushes and exits 1, by design. Every message delivered
    is in the topic once, in order."""
    py("""
        import sys
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        a.create_topics([NewTopic("idem", 1, 1)])["idem"].result(10)
        """, broker.bootstrap)
    out = subprocess.run([examples["idempotent_producer"], broker.bootstrap,
                          "idem"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1, out.stderr  # the fabricated fatal error
    assert "This is a fabricated error" in out.stderr, out.stderr
    # Only what was still queued at the fatal error may fail (purged).
    for line in out.stderr.splitlines():
        if "delivery failed" in line:
            assert line.endswith("Purged in queue"), out.stderr
    delivered = int(re.search(r"(\d+) delivered", out.stderr).group(1))
    assert delivered >= 12, out.stderr
    got = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", "idem",
                          "-o", "beginning", "-e", "-f", "%s\\n"],
                         capture_output=True, text=True, timeout=30)
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines == ["Idempotent Producer example message #%d" % i
                     for i in range(delivered)], lines
