# SPDX-License-Identifier: Apache-2.0
"""SSL listeners: kcat, confluent-kafka and kafka-python produce and consume
over TLS next to a PLAINTEXT listener; client certificates (mTLS) signed by
the trusted CA are accepted, others refused."""
import os
import shutil
import socket
import subprocess
import time

import pytest

from samsa_harness import Broker, free_port, new_workdir
from secure_clients import confluent_round_trip, kafka_python_round_trip
from secure_pki import make_pki


def start_tls_broker(*more_yaml):
    workdir = new_workdir()
    pki = make_pki(os.path.join(workdir, "pki"))
    ssl_port = free_port()
    yaml = "\n".join([
        "ssl_keystore_location: %s" % pki["broker.pem"],
        "ssl_key_location: %s" % pki["broker.key"],
        "ssl_truststore_location: %s" % pki["ca.pem"],
        "ssl_client_auth: requested",
    ] + list(more_yaml))
    b = Broker(workdir, yaml,
               args=("--listen", "SSL://127.0.0.1:%d" % ssl_port))
    b.workdir = workdir
    b.ssl_bootstrap = "127.0.0.1:%d" % ssl_port
    b.pki = pki
    b.start()
    return b


def stop_tls_broker(b):
    alive = b.alive()
    rc = b.stop()
    log = b.log_text()
    shutil.rmtree(b.workdir, ignore_errors=True)
    assert alive and rc == 0, "samsad failed:\n" + log


@pytest.fixture
def tls_broker():
    b = start_tls_broker()
    yield b
    stop_tls_broker(b)


def kcat(bootstrap, *args, input=None, ok=True):
    out = subprocess.run(["kcat", "-b", bootstrap] + list(args), input=input,
                         capture_output=True, timeout=60)
    if ok:
        assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out


def test_kcat_over_ssl_round_trips(tls_broker):
    b = tls_broker
    ssl = ["-X", "security.protocol=ssl", "-X",
           "ssl.ca.location=" + b.pki["ca.pem"]]
    lines = [b"record %d" % i for i in range(500)]
    kcat(b.ssl_bootstrap, "-P", "-t", "tls", "-p", "0", *ssl,
         input=b"\n".join(lines) + b"\n")
    # Big enough fetches to span many TLS records.
    big = b"x" * 200000
    kcat(b.ssl_bootstrap, "-P", "-t", "tls-big", "-p", "0", *ssl,
         "-X", "message.max.bytes=1000000", input=big + b"\n")
    out = kcat(b.ssl_bootstrap, "-C", "-t", "tls", "-p", "0", "-o",
               "beginning", "-e", *ssl).stdout
    assert out.splitlines() == lines
    out = kcat(b.ssl_bootstrap, "-C", "-t", "tls-big", "-p", "0", "-o",
               "beginning", "-e", *ssl).stdout
    assert out.rstrip(b"\n") == big
    # The PLAINTEXT listener sees the same topic.
    out = kcat(b.bootstrap, "-C", "-t", "tls", "-p", "0", "-o", "beginning",
               "-e").stdout
    assert len(out.splitlines()) == 500


def test_metadata_advertises_the_listener_asked(tls_broker):
    b = tls_broker
    out = kcat(b.ssl_bootstrap, "-L", "-X", "security.protocol=ssl", "-X",
               "ssl.ca.location=" + b.pki["ca.pem"]).stdout.decode()
    assert "at " + b.ssl_bootstrap in out, out
    out = kcat(b.bootstrap, "-L").stdout.decode()
    assert "at " + b.bootstrap in out, out


def test_confluent_kafka_with_a_client_certificate(tls_broker):
    b = tls_broker
    confluent_round_trip({"bootstrap.servers": b.ssl_bootstrap,
                          "security.protocol": "SSL",
                          "ssl.ca.location": b.pki["ca.pem"],
                          "ssl.certificate.location": b.pki["alice.pem"],
                          "ssl.key.location": b.pki["alice.key"]}, "mtls")


def test_kafka_python_over_ssl(tls_broker):
    b = tls_broker
    kafka_python_round_trip(
        "kp-tls", 50, bootstrap_servers=b.ssl_bootstrap,
        security_protocol="SSL", ssl_cafile=b.pki["ca.pem"],
        ssl_certfile=b.pki["alice.pem"], ssl_keyfile=b.pki["alice.key"])


def test_untrusted_client_certificate_is_refused(tls_broker):
    b = tls_broker
    out = kcat(b.ssl_bootstrap, "-L", "-X", "security.protocol=ssl",
               "-X", "ssl.ca.location=" + b.pki["ca.pem"],
               "-X", "ssl.certificate.location=" + b.pki["mallory.pem"],
               "-X", "ssl.key.location=" + b.pki["mallory.key"],
               "-m", "5", ok=False)
    assert out.returncode != 0
    assert "certificate" in b.log_text()
    # The broker keeps serving trusted clients.
    kcat(b.ssl_bootstrap, "-L", "-X", "security.protocol=ssl",
         "-X", "ssl.ca.location=" + b.pki["ca.pem"])


def test_plaintext_bytes_on_the_ssl_port_are_refused(tls_broker):
    b = tls_broker
    out = kcat(b.ssl_bootstrap, "-L", "-m", "3", ok=False)
    assert out.returncode != 0
    kcat(b.bootstrap, "-L")


def test_ssl_listener_without_keystore_is_a_config_error():
    workdir = new_workdir()
    try:
        b = Broker(workdir, "", args=("--listen",
                                      "SSL://127.0.0.1:%d" % free_port()))
        from samsa_harness import SAMSAD, PLUGIN_DIR
        out = subprocess.run(
            [SAMSAD, "--check-config", "--listen", b.bootstrap] + b.args +
            ["--conf-dir", b.conf_dir, "--plugin-dir", PLUGIN_DIR,
             "--data-dir", b.data_dir], capture_output=True, timeout=30)
        assert out.returncode == 1
        assert b"ssl_keystore_location" in out.stderr, out.stderr
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_stalled_handshakes_hold_up_no_one():
    """TLS runs on the reactors without blocking them: with one reactor,
    a client that connects to the SSL port and says nothing, and one that
    stops halfway through its ClientHello, leave everyone else served at
    once, over TLS and in clear."""
    b = start_tls_broker("reactors: 1")
    host, port = b.ssl_bootstrap.split(":")
    silent = socket.create_connection((host, int(port)), timeout=5)
    half = socket.create_connection((host, int(port)), timeout=5)
    try:
        # A handshake record announcing 512 bytes of ClientHello, then 16.
        half.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" +
                     b"\x00" * 16)
        time.sleep(0.2)
        started = time.monotonic()
        kcat(b.ssl_bootstrap, "-L", "-m", "5", "-X", "security.protocol=ssl",
             "-X", "ssl.ca.location=" + b.pki["ca.pem"])
        kcat(b.bootstrap, "-L", "-m", "5")
        assert time.monotonic() - started < 5
    finally:
        silent.close()
        half.close()
        stop_tls_broker(b)
