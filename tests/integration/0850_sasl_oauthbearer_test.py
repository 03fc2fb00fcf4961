# SPDX-License-Identifier: Apache-2.0
"""SASL OAUTHBEARER (plugins/sasl-oauthbearer): confluent-kafka's oauth_cb
hands over JWTs this test signs with keys it generates (RS256 and ES256,
JWKS read through a file:// URL); the principal is User:<sub>. An expired
token, a wrong signature and a wrong audience are refused with
SASL_AUTHENTICATION_FAILED and a message saying why. The session lasts
until the token's exp (KIP-368 SessionLifetimeMs)."""
import os
import shutil
import socket
import struct
import subprocess
import time

import pytest

import confluent_kafka

from kafka_wire import read_frame
from oauth_tokens import Issuer
from samsa_harness import (PLUGIN_DIR, SAMSAD, Broker, free_port,
                            new_workdir)
from secure_clients import confluent_round_trip
from secure_pki import make_pki


def write_plugin(b, url, refresh_ms=3600000):
    with open(os.path.join(b.conf_dir, "40-sasl-oauthbearer.yaml"), "w") as f:
        f.write("plugins:\n  - name: oauth\n    plugin: sasl-oauthbearer\n"
                "    config:\n"
                "      sasl_oauthbearer_jwks_endpoint_url: %s\n"
                "      sasl_oauthbearer_jwks_endpoint_refresh_ms: %d\n"
                "      sasl_oauthbearer_expected_audience: [samsa]\n"
                "      sasl_oauthbearer_expected_issuer: https://issuer.test\n"
                "      sasl_oauthbearer_clock_skew_seconds: 0\n"
                "      sasl_oauthbearer_scope_claim_name: scp\n"
                "      sasl_oauthbearer_expected_scope: [kafka, produce]\n"
                % (url, refresh_ms))


@pytest.fixture(scope="module")
def oauth_broker():
    workdir = new_workdir()
    pki = make_pki(os.path.join(workdir, "pki"))
    b = Broker(workdir, "\n".join([
        "ssl_keystore_location: %s" % pki["broker.pem"],
        "ssl_key_location: %s" % pki["broker.key"],
    ]))
    b.issuer = Issuer(os.path.join(workdir, "oauth"))
    write_plugin(b, "file://" + b.issuer.jwks_path)
    b.sasl_port, b.sasl_ssl_port = free_port(), free_port()
    b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port,
               "--listen", "SASL_SSL://127.0.0.1:%d" % b.sasl_ssl_port]
    b.pki = pki
    b.start()
    yield b
    b.finish()


def oauth_conf(b, token_fn, tls=False):
    conf = {"bootstrap.servers": "127.0.0.1:%d" %
            (b.sasl_ssl_port if tls else b.sasl_port),
            "security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
            "sasl.mechanism": "OAUTHBEARER",
            "oauth_cb": lambda _cfg: (token_fn(), time.time() + 300)}
    if tls:
        conf["ssl.ca.location"] = b.pki["ca.pem"]
    return conf


@pytest.mark.parametrize("alg,tls", [("RS256", False), ("ES256", True)],
                         ids=["rs256_sasl_plaintext", "es256_sasl_ssl"])
def test_confluent_kafka_with_signed_tokens(oauth_broker, alg, tls):
    b = oauth_broker
    confluent_round_trip(
        oauth_conf(b, lambda: b.issuer.token(alg=alg), tls=tls),
        "oauth-%s" % alg, group="oauth-%s" % alg)
    assert "sasl-oauthbearer" in b.log_text()


def sasl_exchange(port, token, version=1):
    """SaslHandshake v1 + SaslAuthenticate with @p token. Returns (error,
    message, session_lifetime_ms, socket)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    hdr = struct.pack(">hhih", 17, 1, 1, 4) + b"test"
    body = struct.pack(">h", 11) + b"OAUTHBEARER"
    s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
    resp = read_frame(s)
    assert struct.unpack(">ih", resp[:6]) == (1, 0)

    def authenticate(corr, auth_bytes):
        h = struct.pack(">hhih", 36, 1, corr, 4) + b"test"
        b_ = struct.pack(">i", len(auth_bytes)) + auth_bytes
        s.sendall(struct.pack(">i", len(h) + len(b_)) + h + b_)
        r = read_frame(s)
        corr_, err, mlen = struct.unpack(">ihh", r[:8])
        msg = r[8:8 + mlen].decode() if mlen >= 0 else None
        p = 8 + max(mlen, 0)
        blen = struct.unpack(">i", r[p:p + 4])[0]
        data = r[p + 4:p + 4 + blen]
        lifetime = struct.unpack(">q", r[p + 4 + blen:p + 12 + blen])[0]
        return err, msg, data, lifetime

    first = b"n,,\x01auth=Bearer " + token.encode() + b"\x01\x01"
    err, msg, data, lifetime = authenticate(2, first)
    # Refused at once, not through RFC 7628's error challenge.
    assert data == b""
    return err, msg, lifetime, s


@pytest.mark.parametrize("case,want", [
    ("expired", "the token expired at"),
    ("signature", "signature does not verify"),
    ("audience", "audience \"other\" is not one of the expected"),
    ("issuer", "issuer 'https://evil.test' is not the expected"),
    ("unknown_kid", "no configured RSA key with kid 'nope'"),
    ("scope", "the token's 'scp' claim \"kafka\" lacks the scope 'produce'"),
    ("no_scope", "the token's 'scp' claim (none) lacks the scope 'kafka'"),
])
def test_bad_tokens_are_refused_with_the_reason(oauth_broker, case, want):
    b = oauth_broker
    iss = b.issuer
    token = {
        "expired": lambda: iss.token(lifetime=-5),
        "signature": lambda: iss.token(key=iss.rogue),
        "audience": lambda: iss.token(aud="other"),
        "issuer": lambda: iss.token(iss="https://evil.test"),
        "unknown_kid": lambda: iss.token(kid="nope"),
        "scope": lambda: iss.token(scp="kafka"),
        "no_scope": lambda: iss.token(scp=None),
    }[case]()
    err, msg, _, s = sasl_exchange(b.sasl_port, token)
    assert err == 58, (err, msg)  # SASL_AUTHENTICATION_FAILED
    assert want in msg, msg
    assert s.recv(100) == b"", "the connection stayed open"
    s.close()


def test_scopes_as_an_array_are_accepted(oauth_broker):
    b = oauth_broker
    err, msg, _, s = sasl_exchange(
        b.sasl_port, b.issuer.token(scp=["produce", "admin", "kafka"]))
    s.close()
    assert err == 0, msg


def test_session_lifetime_is_the_token_lifetime(oauth_broker):
    b = oauth_broker
    err, msg, lifetime, s = sasl_exchange(b.sasl_port,
                                          b.issuer.token(lifetime=120))
    s.close()
    assert err == 0, msg
    assert 100_000 < lifetime <= 120_000, lifetime


def test_confluent_kafka_sees_an_expired_token_refused(oauth_broker):
    b = oauth_broker
    errors = []
    conf = oauth_conf(b, lambda: b.issuer.token(lifetime=-60))
    conf["error_cb"] = errors.append
    p = confluent_kafka.Producer(conf)
    deadline = time.time() + 15
    while time.time() < deadline and not any(
            "expired" in e.str() for e in errors):
        p.poll(0.2)
    assert any(e.code() == confluent_kafka.KafkaError._AUTHENTICATION and
               "the token expired at" in e.str() for e in errors), \
        [e.str() for e in errors]


def test_pem_keys_and_bad_key_urls():
    workdir = new_workdir()
    try:
        b = Broker(workdir)
        b.issuer = Issuer(os.path.join(workdir, "oauth"))
        b.sasl_port = free_port()
        b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port]
        write_plugin(b, "file://" + b.issuer.pem_path)
        b.start()
        try:
            for alg in ("RS256", "ES256"):
                err, msg, _, s = sasl_exchange(
                    b.sasl_port, b.issuer.token(alg=alg, kid="anything"))
                s.close()
                assert err == 0, msg
        finally:
            assert b.stop() == 0
        for url, want in [("file:///nonexistent/jwks.json", "cannot read"),
                          ("http://127.0.0.1:1/jwks", "cannot read"),
                          ("file://" + b.issuer.jwks_path + "x", "cannot read")]:
            write_plugin(b, url)
            out = subprocess.run(
                [SAMSAD, "--conf-dir", b.conf_dir, "--plugin-dir", PLUGIN_DIR,
                 "--data-dir", b.data_dir, "--check-config"],
                capture_output=True, text=True, timeout=30)
            assert out.returncode != 0
            assert "sasl_oauthbearer_jwks_endpoint_url" in out.stderr, \
                out.stderr
            assert want in out.stderr, out.stderr
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_keys_are_refreshed():
    """A rotated JWKS is picked up by sasl_oauthbearer_jwks_endpoint_refresh_ms
    without a restart; a broken one leaves the keys in use."""
    workdir = new_workdir()
    b = Broker(workdir)
    try:
        old = Issuer(os.path.join(workdir, "old"))
        new = Issuer(os.path.join(workdir, "new"))
        jwks = os.path.join(workdir, "jwks.json")
        shutil.copy(old.jwks_path, jwks)
        b.sasl_port = free_port()
        b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port]
        write_plugin(b, "file://" + jwks, refresh_ms=200)
        b.start()
        assert sasl_exchange(b.sasl_port, old.token())[0] == 0
        assert sasl_exchange(b.sasl_port, new.token())[0] == 58
        shutil.copy(new.jwks_path, jwks)
        deadline = time.time() + 10
        while "public keys reloaded" not in b.log_text():
            assert time.time() < deadline, b.log_text()
            time.sleep(0.05)
        assert sasl_exchange(b.sasl_port, new.token())[0] == 0
        assert sasl_exchange(b.sasl_port, old.token())[0] == 58
        with open(jwks, "w") as f:
            f.write("{broken")
        deadline = time.time() + 10
        while "keeping the 2 current ones" not in b.log_text():
            assert time.time() < deadline, b.log_text()
            time.sleep(0.05)
        assert sasl_exchange(b.sasl_port, new.token())[0] == 0
    finally:
        b.finish()


def test_an_unknown_kid_refreshes_the_keys_soon():
    """A token naming a kid no key has is refused, and makes the plugin
    fetch the keys again soon (not only at the hourly refresh): the retry
    with the rotated key is accepted."""
    workdir = new_workdir()
    b = Broker(workdir)
    try:
        old = Issuer(os.path.join(workdir, "old"))
        new = Issuer(os.path.join(workdir, "new"), kid_suffix="2")
        jwks = os.path.join(workdir, "jwks.json")
        shutil.copy(old.jwks_path, jwks)
        b.sasl_port = free_port()
        b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port]
        write_plugin(b, "file://" + jwks)
        b.start()
        shutil.copy(new.jwks_path, jwks)
        err, msg, _, s = sasl_exchange(b.sasl_port, new.token())
        s.close()
        assert err == 58 and "no configured RSA key with kid 'rsa2'" in msg
        deadline = time.time() + 10
        while sasl_exchange(b.sasl_port, new.token())[0] != 0:
            assert time.time() < deadline, b.log_text()
            time.sleep(0.2)
        assert "public keys reloaded" in b.log_text()
    finally:
        b.finish()
