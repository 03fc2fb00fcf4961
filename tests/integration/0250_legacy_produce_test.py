# SPDX-License-Identifier: Apache-2.0
"""Produce v0-v2 (legacy message sets, magic 0 and 1) from kafka-python
pinned to old protocol versions: stored as v2 batches, read back by a
modern consumer byte for byte. The range starts at v0 because librdkafka
2.0.2 only compresses gzip/snappy/lz4 when it does."""
import subprocess
import textwrap

import pytest


@pytest.mark.parametrize("api_version,codec", [
    ("0,9", None),          # Produce v1, magic 0
    ("0,9", "gzip"),        # magic 0 gzip wrapper
    ("0,10,1", None),       # Produce v2, magic 1 with timestamps
    ("0,10,1", "gzip"),     # magic 1 gzip wrapper, relative inner offsets
])
def test_legacy_message_sets_are_converted(broker, api_version, codec):
    topic = "legacy-%s-%s" % (api_version.replace(",", "_"), codec)
    code = textwrap.dedent("""
        import sys
        from kafka import KafkaProducer
        v = tuple(int(x) for x in sys.argv[2].split(","))
        codec = None if sys.argv[3] == "None" else sys.argv[3]
        p = KafkaProducer(bootstrap_servers=sys.argv[1], api_version=v,
                          compression_type=codec, linger_ms=20)
        for i in range(200):
            p.send(sys.argv[4], key=b"k%d" % i, value=b"legacy-%d" % i, partition=0)
        p.flush()
        p.close()
        """)
    # The topic exists first: auto-creation happens through Metadata v1+.
    subprocess.run(["kcat", "-b", broker.bootstrap, "-L", "-t", topic], check=True,
                   capture_output=True, timeout=30)
    out = subprocess.run(["/usr/bin/python3", "-c", code, broker.bootstrap, api_version,
                          str(codec), topic], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = subprocess.run(["kcat", "-b", broker.bootstrap, "-C", "-t", topic, "-p", "0",
                          "-o", "beginning", "-e", "-q", "-f", "%k=%s %o\n"],
                         capture_output=True, text=True, timeout=30)
    lines = got.stdout.splitlines()
    assert lines == ["k%d=legacy-%d %d" % (i, i, i) for i in range(200)]


def test_corrupt_legacy_message_is_refused(broker):
    import socket
    import struct
    import zlib
    subprocess.run(["kcat", "-b", broker.bootstrap, "-L", "-t", "legacy-bad"], check=True,
                   capture_output=True, timeout=30)
    msg = struct.pack(">bbii", 0, 0, -1, 3) + b"abc"
    crc = zlib.crc32(msg) ^ 1
    body_msg = struct.pack(">I", crc) + msg
    mset = struct.pack(">qi", 0, len(body_msg)) + body_msg
    t = b"legacy-bad"
    body = struct.pack(">hi", 1, 5000) + struct.pack(">ih", 1, len(t)) + t
    body += struct.pack(">ii", 1, 0) + struct.pack(">i", len(mset)) + mset
    hdr = struct.pack(">hhih", 0, 1, 5, 2) + b"it"
    with socket.create_connection(("127.0.0.1", broker.port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(hdr + body)) + hdr + body)
        n = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    off = 4 + 4 + 2 + len(t) + 4 + 4
    assert struct.unpack(">h", data[off:off + 2])[0] == 2   # CORRUPT_MESSAGE
