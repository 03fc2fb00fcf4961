# SPDX-License-Identifier: Apache-2.0
"""The wire protocol with real clients: metadata, version negotiation, and
malformed frames that must not disturb other connections."""
import re
import socket
import struct
import subprocess

import pytest


def kafka_frame(api_key, version, corr, body=b"", client_id=b"test"):
    hdr = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    msg = hdr + body
    return struct.pack(">i", len(msg)) + msg


def read_frame(sock):
    hdr = b""
    while len(hdr) < 4:
        chunk = sock.recv(4 - len(hdr))
        if not chunk:
            return None
        hdr += chunk
    (n,) = struct.unpack(">i", hdr)
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def api_versions_v0(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(kafka_frame(18, 0, 7))
        body = read_frame(s)
    corr, err, n = struct.unpack(">ihi", body[:10])
    apis = {}
    for i in range(n):
        key, lo, hi = struct.unpack(">hhh", body[10 + 6 * i: 16 + 6 * i])
        apis[key] = (lo, hi)
    return corr, err, apis


def test_kcat_lists_the_broker(broker):
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-L", "-m", "5"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "1 brokers:" in out.stdout
    assert re.search(r"broker \d+ at 127\.0\.0\.1:%d" % broker.port, out.stdout), out.stdout


def test_librdkafka_negotiates_versions_and_enables_features(broker):
    # debug=feature prints the protocol features librdkafka switched on from
    # our ApiVersions answer; record batches and zstd must be among them.
    out = subprocess.run(["kcat", "-b", broker.bootstrap, "-L", "-m", "5",
                          "-X", "api.version.request=true",
                          "-X", "api.version.fallback.ms=0",
                          "-X", "debug=feature,protocol"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    enabled = set(re.findall(r"Enabling feature (\w+)", out.stderr))
    disabled = set(re.findall(r"Disabling feature (\w+)", out.stderr))
    for f in ("ApiVersion", "MsgVer2", "ZSTD", "LZ4", "BrokerGroupCoordinator",
              "IdempotentProducer"):
        assert f in enabled and f not in disabled, \
            "librdkafka did not enable %s (enabled: %s)" % (f, sorted(enabled))
    assert "ApiVersionRequest failed" not in out.stderr


def test_api_versions_v0_answer(broker):
    corr, err, apis = api_versions_v0(broker.port)
    assert corr == 7 and err == 0
    # librdkafka 2.0.2 feature probes (CLIENTS.md 3.1).
    assert apis[18][0] == 0
    assert apis[3][0] <= 0 <= apis[3][1]
    assert apis[0][0] <= 3 and apis[0][1] >= 7
    assert apis[1][0] <= 4 and apis[1][1] >= 10


def test_kafka_python_sees_a_modern_broker(broker):
    code = ("import kafka, sys\n"
            "c = kafka.KafkaClient(bootstrap_servers=sys.argv[1])\n"
            "print('.'.join(map(str, c.check_version())))\n"
            "c.close()\n")
    out = subprocess.run(["/usr/bin/python3", "-c", code, broker.bootstrap],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    version = tuple(int(x) for x in out.stdout.strip().split("."))
    assert version >= (2, 1), out.stdout


def test_unknown_api_versions_version_gets_kip511_answer(broker):
    with socket.create_connection(("127.0.0.1", broker.port), timeout=5) as s:
        # ApiVersions v99 with a body we do not understand.
        s.sendall(kafka_frame(18, 99, 11, b"\x00garbage\x00"))
        body = read_frame(s)
    corr, err, n = struct.unpack(">ihi", body[:10])
    assert corr == 11 and err == 35 and n >= 1
    key, lo, hi = struct.unpack(">hhh", body[10:16])
    assert key == 18 and lo == 0 and hi >= 3


def _second_client_still_served(port):
    corr, err, apis = api_versions_v0(port)
    assert err == 0 and 18 in apis


@pytest.mark.parametrize("payload", [
    struct.pack(">i", 0x7fffffff) + b"\x00" * 16,           # 2 GiB size
    struct.pack(">i", -5),                                   # negative size
    struct.pack(">i", 3) + b"\x00\x12\x00",                  # truncated header
    kafka_frame(9999, 0, 1),                                 # unknown API key
    kafka_frame(3, 77, 1),                                   # unknown Metadata version
    struct.pack(">i", 64) + bytes(range(64)),                # garbage
])
def test_malformed_frames_close_only_that_connection(broker, payload):
    bad = socket.create_connection(("127.0.0.1", broker.port), timeout=5)
    try:
        bad.sendall(payload)
        _second_client_still_served(broker.port)
        bad.settimeout(5)
        try:
            data = bad.recv(65536)
        except (ConnectionResetError, socket.timeout):
            data = b""
        # Either closed, or answered with a well-formed error frame.
        if data:
            assert len(data) >= 8
    finally:
        bad.close()
    _second_client_still_served(broker.port)
