"""Clients that never read their responses stall only themselves.

Ten sockets with a 4 KiB receive buffer each ask five times for 20 MiB of
records and read nothing. The broker keeps serving everyone else at once
(ApiVersions, produce, consume), and after connections_max_idle_ms without
any progress it closes the ten with a WARN naming each peer."""
import re
import socket
import struct
import subprocess
import time
import urllib.request

from kafka_wire import frame, read_frame

IDLE_MS = 5000


def produce_20_mib(bootstrap):
    subprocess.run(["/usr/bin/python3", "-c", """
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 20})
for i in range(20 * 1024):
    p.produce("big", value=b"x" * 1024, partition=0)
    p.poll(0)
assert p.flush(60) == 0
""", bootstrap], check=True, timeout=120)


def fetch_everything_v4(corr):
    topic = b"big"
    body = struct.pack(">iiiib", -1, 0, 1, 50 << 20, 0) + \
        struct.pack(">ih", 1, len(topic)) + topic + \
        struct.pack(">iiqi", 1, 0, 0, 50 << 20)
    return frame(1, 4, corr, body)


def api_versions_answered(port, timeout=3):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(frame(18, 0, 77, b""))
        resp = read_frame(s)
    return struct.unpack_from(">ih", resp) == (77, 0)


def test_readers_that_read_nothing_stall_only_themselves(broker_factory):
    b = broker_factory("connections_max_idle_ms: %d" % IDLE_MS).start()
    produce_20_mib(b.bootstrap)
    hogs = []
    for _ in range(10):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", b.port))
        for corr in range(5):
            s.sendall(fetch_everything_v4(corr))
        hogs.append(s)
    peers = ["127.0.0.1:%d" % s.getsockname()[1] for s in hogs]
    # Others are served while the ten hold ~1 GiB of unsent responses.
    for _ in range(5):
        assert api_versions_answered(b.port), b.log_text()
    out = subprocess.run(["kcat", "-b", b.bootstrap, "-P", "-t", "other"],
                         input=b"a\nb\n", timeout=20, capture_output=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(["kcat", "-b", b.bootstrap, "-C", "-t", "other", "-o",
                          "beginning", "-e", "-q"], timeout=20, capture_output=True)
    assert out.stdout.split() == [b"a", b"b"], out.stderr
    # ...while the ten were still there: none was closed yet.
    log = b.log_text()
    assert not any(p in log for p in peers), \
        "served only once the stalled readers were gone:\n" + log
    # After connections_max_idle_ms without progress, each is closed.
    deadline = time.monotonic() + IDLE_MS / 1000.0 + 10
    while time.monotonic() < deadline:
        log = b.log_text()
        if all(p in log for p in peers):
            break
        time.sleep(0.2)
    log = b.log_text()
    for p in peers:
        assert p in log, log
    assert "WARN" in log and "read nothing" in log, log
    with urllib.request.urlopen(b.http + "/metrics", timeout=10) as r:
        metrics = r.read().decode()
    closed = re.search(r"^samsa_connections_idle_closed_total (\S+)$", metrics, re.M)
    assert closed and float(closed.group(1)) >= 10, metrics
    assert api_versions_answered(b.port)
    for s in hogs:
        s.close()
    assert b.stop() == 0, b.log_text()
