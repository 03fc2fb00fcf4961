# SPDX-License-Identifier: Apache-2.0
"""Storage from the client's side: a topic on the memory engine, and a full
disk that fails appends with KAFKA_STORAGE_ERROR while the broker keeps
serving reads and other requests."""
import os
import resource
import subprocess
import textwrap

from samsa_harness import Broker, new_workdir


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_topic_on_the_memory_engine(broker):
    py("""
        import sys
        from kafka.admin import KafkaAdminClient, NewTopic
        KafkaAdminClient(bootstrap_servers=sys.argv[1]).create_topics([NewTopic(
            "ephemeral", 2, 1, topic_configs={"samsa.storage.engine": "memory"})])
        """, broker.bootstrap)
    subprocess.run(["kcat", "-b", broker.bootstrap, "-P", "-t", "ephemeral", "-p", "1"],
                   input=b"x\ny\nz\n", check=True, timeout=30)
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", "ephemeral", "-p", "1",
                          "-o", "beginning", "-e", "-q"], capture_output=True, timeout=30)
    assert out.stdout.split() == [b"x", b"y", b"z"]
    # Nothing of it reaches the data directory.
    assert not os.path.exists(os.path.join(broker.data_dir, "ephemeral-1"))
    broker.restart()
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", "ephemeral", "-p", "1",
                          "-o", "beginning", "-e", "-q"], capture_output=True, timeout=30)
    assert out.returncode == 0 and out.stdout == b""   # the topic stays, its data went


def test_full_disk_fails_appends_and_keeps_serving():
    b = Broker(new_workdir())

    def small_files():
        # Files may not grow past 4 MiB: writes beyond fail with EFBIG, the
        # way a full disk fails them, without needing a real full disk.
        # SIGXFSZ keeps its default action (kill), as under prlimit --fsize
        # or systemd's LimitFSIZE=: samsad itself must ignore it.
        resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))

    import samsa_harness
    orig = samsa_harness.subprocess.Popen

    def popen(*a, **kw):
        kw["preexec_fn"] = small_files
        return orig(*a, **kw)

    samsa_harness.subprocess.Popen = popen
    try:
        b.start()
    finally:
        samsa_harness.subprocess.Popen = orig
    try:
        subprocess.run(["kcat", "-b", b.bootstrap, "-P", "-t", "before", "-p", "0"],
                       input=b"kept\n", check=True, timeout=30)
        out = py("""
            import sys
            from confluent_kafka import Producer
            errors, ok = [], [0]
            def dr(err, msg):
                if err:
                    errors.append(err.code())
                else:
                    ok[0] += 1
            p = Producer({"bootstrap.servers": sys.argv[1], "message.send.max.retries": 0,
                          "linger.ms": 5})
            for i in range(6000):
                p.produce("big", value=b"v" * 1000, partition=0, on_delivery=dr)
                p.poll(0)
            p.flush(60)
            print(ok[0], len(errors), sorted(set(errors)))
            """, b.bootstrap)
        delivered, failed, codes = out.split(maxsplit=2)
        assert int(delivered) > 0 and int(failed) > 0, out
        assert "56" in codes, out   # KAFKA_STORAGE_ERROR
        # The broker is alive and still serves what it holds.
        got = subprocess.run(["kcat", "-b", b.bootstrap, "-C", "-t", "before", "-p", "0",
                              "-o", "beginning", "-e", "-q"], capture_output=True,
                             timeout=30)
        assert got.stdout.split() == [b"kept"]
        assert b.alive(), b.log_text()
        assert "storage" in b.log_text().lower() or "offline" in b.log_text().lower()
    finally:
        rc = b.stop()
        assert rc == 0, b.log_text()
