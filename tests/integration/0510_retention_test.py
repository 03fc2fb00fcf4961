# SPDX-License-Identifier: Apache-2.0
"""Retention by time end to end: old segments go once retention.ms has
passed, checked at the broker's log_retention_check_interval_ms; the log
start offset moves and consumers start from it."""
import subprocess
import textwrap
import time


def test_time_retention_drops_old_segments(broker_factory):
    b = broker_factory(extra_yaml="log_retention_check_interval_ms: 200").start()
    try:
        subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent("""
            import sys
            from kafka.admin import KafkaAdminClient, NewTopic
            KafkaAdminClient(bootstrap_servers=sys.argv[1]).create_topics([NewTopic(
                "short", 1, 1, topic_configs={"retention.ms": "1000",
                                              "segment.bytes": "4096"})])
            """), b.bootstrap], check=True, timeout=60)
        lines = b"".join(b"record-%04d-%s\n" % (i, b"x" * 80) for i in range(400))
        subprocess.run(["kcat", "-b", b.bootstrap, "-P", "-t", "short", "-p", "0",
                        "-X", "linger.ms=0", "-X", "batch.num.messages=5"],
                       input=lines, check=True, timeout=60)

        def earliest():
            out = subprocess.run(["kcat", "-b", b.bootstrap, "-Q", "-t", "short:0:-2"],
                                 capture_output=True, text=True, timeout=30)
            return int(out.stdout.split("offset")[1].split()[0])

        assert earliest() == 0
        deadline = time.monotonic() + 15
        while earliest() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        start = earliest()
        assert 0 < start < 400, start
        out = subprocess.run(["kcat", "-b", b.bootstrap, "-C", "-t", "short", "-p", "0",
                              "-o", "beginning", "-e", "-q", "-f", "%o\n"],
                             capture_output=True, text=True, timeout=30)
        offsets = [int(x) for x in out.stdout.split()]
        assert offsets == list(range(start, 400))
    finally:
        assert b.stop() == 0, b.log_text()
