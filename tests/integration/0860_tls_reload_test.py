# SPDX-License-Identifier: Apache-2.0
"""SIGHUP reloads the TLS certificate chain, key and truststore for new
connections without dropping the open ones: after the broker's
certificate is swapped on disk and SIGHUP sent, a new connection sees the
new certificate while a connection made before keeps working; a
truststore gaining a CA admits that CA's clients; a broken file is
refused with an error and the certificates in use stay."""
import hashlib
import os
import shutil
import signal
import socket
import ssl
import struct
import time

import pytest

from kafka_wire import read_frame
from samsa_harness import Broker, free_port, new_workdir
from secure_pki import _signed, make_pki


@pytest.fixture
def tls_broker():
    workdir = new_workdir()
    pki = make_pki(os.path.join(workdir, "pki"))
    live = {n: os.path.join(workdir, n)
            for n in ("live.pem", "live.key", "trust.pem")}
    shutil.copy(pki["broker.pem"], live["live.pem"])
    shutil.copy(pki["broker.key"], live["live.key"])
    shutil.copy(pki["ca.pem"], live["trust.pem"])
    b = Broker(workdir, "\n".join([
        "ssl_keystore_location: %s" % live["live.pem"],
        "ssl_key_location: %s" % live["live.key"],
        "ssl_truststore_location: %s" % live["trust.pem"],
        "ssl_client_auth: requested",
    ]))
    b.ssl_port = free_port()
    b.args += ["--listen", "SSL://127.0.0.1:%d" % b.ssl_port]
    b.pki, b.live, b.pki_dir = pki, live, os.path.join(workdir, "pki")
    b.start()
    yield b
    b.finish()


def connect(b, client=None):
    """A TLS connection trusting the test CA; returns (socket, the
    broker certificate's SHA-256)."""
    ctx = ssl.create_default_context(cafile=b.pki["ca.pem"])
    if client:
        ctx.load_cert_chain(b.pki[client + ".pem"], b.pki[client + ".key"])
    s = ctx.wrap_socket(socket.create_connection(
        ("127.0.0.1", b.ssl_port), timeout=10), server_hostname="localhost")
    return s, hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def api_versions(s, corr):
    hdr = struct.pack(">hhih", 18, 0, corr, 4) + b"test"
    s.sendall(struct.pack(">i", len(hdr)) + hdr)
    resp = read_frame(s)
    assert struct.unpack(">ih", resp[:6]) == (corr, 0)


def sighup_and_wait(b, text, count):
    b.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while b.log_text().count(text) < count:
        assert time.time() < deadline, "no '%s' in the log" % text
        time.sleep(0.05)


def fingerprint(path):
    with open(path) as f:
        pem = f.read()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def test_sighup_swaps_the_certificate_for_new_connections(tls_broker):
    b = tls_broker
    old_conn, old_fp = connect(b)
    assert old_fp == fingerprint(b.pki["broker.pem"])
    api_versions(old_conn, 1)
    # A new broker certificate from the same CA, written over the old.
    _signed("broker2", "/CN=localhost", "ca", b.pki_dir,
            san="DNS:localhost,IP:127.0.0.1")
    new_pem = os.path.join(b.pki_dir, "broker2.pem")
    shutil.copy(new_pem, b.live["live.pem"])
    shutil.copy(os.path.join(b.pki_dir, "broker2.key"), b.live["live.key"])
    sighup_and_wait(b, "TLS certificates reloaded", 1)
    new_conn, new_fp = connect(b)
    assert new_fp == fingerprint(new_pem) != old_fp
    api_versions(new_conn, 2)
    # The connection from before still works, on the old certificate.
    api_versions(old_conn, 3)
    old_conn.close()
    new_conn.close()


def test_sighup_reloads_the_truststore(tls_broker):
    b = tls_broker
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        s, _ = connect(b, client="mallory")
        api_versions(s, 1)  # TLS 1.3: the refusal may come after
    with open(b.live["trust.pem"], "a") as f, open(b.pki["rogue-ca.pem"]) as r:
        f.write(r.read())
    sighup_and_wait(b, "TLS certificates reloaded", 1)
    s, _ = connect(b, client="mallory")
    api_versions(s, 2)
    s.close()


def test_a_broken_file_keeps_the_current_certificates(tls_broker):
    b = tls_broker
    before, fp = connect(b)
    with open(b.live["live.pem"], "w") as f:
        f.write("not a certificate\n")
    sighup_and_wait(b, "keeping the current certificates", 1)
    assert "ssl_keystore_location" in b.log_text()
    after, fp2 = connect(b)
    assert fp2 == fp
    api_versions(after, 1)
    api_versions(before, 2)
    after.close()
    before.close()
