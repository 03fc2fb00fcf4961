# SPDX-License-Identifier: Apache-2.0
"""The Java client (kafka-clients 3.8.0), kafkajs 2.2.4, franz-go, kcat
and kafka-python over SSL, SASL_PLAINTEXT and SASL_SSL with each
mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; OAUTHBEARER with a signed
JWT for the Java client, kafkajs, franz-go and kafka-python), each
producing and reading back records; a wrong password, an expired token, a
wrongly signed token and an untrusted broker certificate are refused with
the client's authentication / TLS error (confluent-kafka: 0810, 0820,
0850)."""
import os
import subprocess

import pytest

from samsa_harness import SAMSA_CLI
from secure_broker import start_secure_broker
from secure_clients import kafka_python_round_trip

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.join(HERE, "java")
GO_DIR = os.path.join(HERE, "go")
JS_DIR = os.path.join(HERE, "js")

# name: (listener, mechanism, user, password, CA file key)
CASES = {
    "ssl": ("SSL", None, None, None, "ca.pem"),
    "plain_plaintext": ("SASL_PLAINTEXT", "PLAIN", "alice", "alice-secret",
                        None),
    "plain_ssl": ("SASL_SSL", "PLAIN", "alice", "alice-secret", "ca.pem"),
    "scram256_ssl": ("SASL_SSL", "SCRAM-SHA-256", "bob", "bob-secret",
                     "ca.pem"),
    "scram512_plaintext": ("SASL_PLAINTEXT", "SCRAM-SHA-512", "bob",
                           "bob-secret", None),
    "scram512_ssl": ("SASL_SSL", "SCRAM-SHA-512", "bob", "bob-secret",
                     "ca.pem"),
}
REFUSED = {
    "wrong_password": ("SASL_SSL", "SCRAM-SHA-512", "bob", "wrong", "ca.pem"),
    "untrusted_cert": ("SSL", None, None, None, "rogue-ca.pem"),
}
# The Java client's OAUTHBEARER cases: name: (listener, token kind); the
# token goes through SamsaJavaSecure$SignedTokenLogin.
JAVA_OAUTH = {
    "oauth_plaintext": ("SASL_PLAINTEXT", "valid"),
    "oauth_ssl": ("SASL_SSL", "valid"),
    "oauth_expired": ("SASL_SSL", "expired"),
    "oauth_wrong_key": ("SASL_PLAINTEXT", "wrong_key"),
}


@pytest.fixture(scope="module")
def secure_broker():
    b = start_secure_broker(oauth=True)
    yield b
    b.finish()


def java_oauth_props(b, case, path):
    proto, kind = JAVA_OAUTH[case]
    token = {"valid": lambda: b.issuer.token(alg="ES256", lifetime=300),
             "expired": lambda: b.issuer.token(alg="ES256", lifetime=-60),
             "wrong_key": lambda: b.issuer.token(key=b.issuer.rogue)}[kind]()
    lines = ["bootstrap.servers=127.0.0.1:%d" % b.ports[proto],
             "security.protocol=" + proto,
             "sasl.mechanism=OAUTHBEARER",
             "sasl.login.callback.handler.class="
             "SamsaJavaSecure$SignedTokenLogin",
             "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer."
             "OAuthBearerLoginModule required token=\"%s\";" % token]
    if proto == "SASL_SSL":
        lines += ["ssl.truststore.type=PEM",
                  "ssl.truststore.location=" + b.pki["ca.pem"]]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def java_props(b, case, path):
    if case in JAVA_OAUTH:
        return java_oauth_props(b, case, path)
    proto, mech, user, password, ca = {**CASES, **REFUSED}[case]
    lines = ["bootstrap.servers=127.0.0.1:%d" % b.ports[proto],
             "security.protocol=" + proto]
    if ca:
        lines += ["ssl.truststore.type=PEM",
                  "ssl.truststore.location=" + b.pki[ca]]
    if mech:
        module = ("plain.PlainLoginModule" if mech == "PLAIN"
                  else "scram.ScramLoginModule")
        lines += ["sasl.mechanism=" + mech,
                  "sasl.jaas.config=org.apache.kafka.common.security.%s "
                  "required username=\"%s\" password=\"%s\";"
                  % (module, user, password)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_java_client(secure_broker, tmp_path):
    b = secure_broker
    args = []
    for case in list(CASES) + list(REFUSED) + list(JAVA_OAUTH):
        args += [java_props(b, case, tmp_path / (case + ".properties")),
                 "java-" + case, "20", "0"]
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=off",
         "-cp", os.path.join(JAVA_DIR, "lib", "*"),
         os.path.join(JAVA_DIR, "SamsaJavaSecure.java")] + args,
        capture_output=True, text=True, timeout=180)
    lines = out.stdout.splitlines()
    for case in list(CASES) + ["oauth_plaintext", "oauth_ssl"]:
        assert "ok java-" + case in lines, out.stdout + out.stderr
    wrong = [l for l in lines if l.startswith("FAIL java-wrong_password")]
    assert wrong and "SaslAuthenticationException" in wrong[0], out.stdout
    assert "Authentication failed" in wrong[0], wrong[0]
    untrusted = [l for l in lines if l.startswith("FAIL java-untrusted_cert")]
    assert untrusted and "SslAuthenticationException" in untrusted[0], \
        out.stdout
    for case, why in (("oauth_expired", "the token expired at"),
                      ("oauth_wrong_key", "signature does not verify")):
        refused = [l for l in lines if l.startswith("FAIL java-" + case)]
        assert refused and "SaslAuthenticationException" in refused[0], \
            out.stdout
        assert why in refused[0], refused[0]


def client_args(b, case):
    proto, mech, user, password, ca = {**CASES, **REFUSED}[case]
    return ["127.0.0.1:%d" % b.ports[proto], case, "20",
            b.pki[ca] if ca else "-", mech or "-"] + \
        ([user, password] if mech else [])


ALL = list(CASES) + ["oauth_plaintext", "oauth_ssl", "oauth_expired"] + \
    list(REFUSED)


def oauth_args(b, case, kafkajs):
    proto = "SASL_SSL" if case == "oauth_ssl" else "SASL_PLAINTEXT"
    return ["127.0.0.1:%d" % b.ports[proto], case, "20",
            b.pki["ca.pem"] if proto == "SASL_SSL" else "-",
            "oauthbearer" if kafkajs else "OAUTHBEARER",
            b.issuer.token(alg="ES256",
                           lifetime=-60 if case.endswith("expired") else 300)]


def expect(out, case, refused_words):
    text = out.stdout + out.stderr
    if case in refused_words:
        assert out.returncode != 0, text
        assert any(w in out.stdout for w in refused_words[case]), text
    else:
        assert out.returncode == 0 and "ok" in out.stdout, text


@pytest.mark.parametrize("case", ALL)
def test_franz_go(secure_broker, case):
    b = secure_broker
    subprocess.run(["go", "build", "-o", "bin/", "./cmd/franzsecure"],
                   cwd=GO_DIR, check=True, capture_output=True, timeout=600)
    args = (oauth_args(b, "franz-" + case, False) if case.startswith("oauth")
            else client_args(b, case))
    args[1] = "franz-" + case
    out = subprocess.run([os.path.join(GO_DIR, "bin", "franzsecure")] + args,
                         capture_output=True, text=True, timeout=60)
    expect(out, case, {"wrong_password": ["SASL_AUTHENTICATION_FAILED"],
                       "oauth_expired": ["the token expired at"],
                       "untrusted_cert": ["certificate signed by unknown "
                                          "authority"]})


@pytest.mark.parametrize("case", ALL)
def test_kafkajs(secure_broker, case):
    b = secure_broker
    if case.startswith("oauth"):
        args = oauth_args(b, case, True)
    else:
        args = client_args(b, case)
        if args[4] != "-":
            args[4] = args[4].lower()
    args[1] = "kafkajs-" + case
    out = subprocess.run(["node", os.path.join(JS_DIR, "secure.js")] + args,
                         capture_output=True, text=True, timeout=60)
    expect(out, case, {"wrong_password": ["KafkaJSSASLAuthenticationError"],
                       "oauth_expired": ["the token expired at"],
                       "untrusted_cert": ["certificate", "self-signed",
                                          "self signed"]})


def create_topic(b, topic):
    out = subprocess.run([SAMSA_CLI, "topic", "create", topic, "--partitions",
                          "1", "-b", b.bootstrap], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("case", list(CASES) + list(REFUSED))
def test_kcat(secure_broker, case):
    b = secure_broker
    proto, mech, user, password, ca = {**CASES, **REFUSED}[case]
    args = ["kcat", "-b", "127.0.0.1:%d" % b.ports[proto], "-t",
            "kcat-" + case, "-p", "0", "-m", "10", "-X",
            "security.protocol=" + proto.lower()]
    if ca:
        args += ["-X", "ssl.ca.location=" + b.pki[ca]]
    if mech:
        args += ["-X", "sasl.mechanism=" + mech, "-X",
                 "sasl.username=" + user, "-X", "sasl.password=" + password]
    create_topic(b, "kcat-" + case)
    put = subprocess.run(args + ["-P"], input=b"a\nb\nc\n",
                         capture_output=True, timeout=60)
    if case in REFUSED:
        assert put.returncode != 0, put
        assert {"wrong_password": b"Authentication failed",
                "untrusted_cert": b"certificate verify failed"}[case] in \
            put.stderr, put.stderr
        return
    assert put.returncode == 0, put.stderr
    got = subprocess.run(args + ["-C", "-o", "beginning", "-e", "-q"],
                         capture_output=True, timeout=60)
    assert got.returncode == 0 and got.stdout == b"a\nb\nc\n", got


class TokenProvider:
    """kafka-python's sasl_oauth_token_provider: a signed JWT."""
    def __init__(self, token):
        self._token = token

    def token(self):
        return self._token


@pytest.mark.parametrize("case", list(CASES) + ["oauth_plaintext",
                                                "oauth_ssl"])
def test_kafka_python(secure_broker, case):
    b = secure_broker
    if case.startswith("oauth"):
        proto = "SASL_SSL" if case == "oauth_ssl" else "SASL_PLAINTEXT"
        mech, ca = "OAUTHBEARER", "ca.pem" if proto == "SASL_SSL" else None
        common = {"sasl_oauth_token_provider": TokenProvider(
            b.issuer.token(alg="ES256", lifetime=300))}
    else:
        proto, mech, user, password, ca = CASES[case]
        common = {"sasl_plain_username": user,
                  "sasl_plain_password": password} if mech else {}
    common.update(bootstrap_servers="127.0.0.1:%d" % b.ports[proto],
                  security_protocol=proto)
    if mech:
        common["sasl_mechanism"] = mech
    if ca:
        common["ssl_cafile"] = b.pki[ca]
    create_topic(b, "kp-" + case)
    kafka_python_round_trip("kp-" + case, **common)
