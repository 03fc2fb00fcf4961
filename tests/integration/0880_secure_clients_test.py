# SPDX-License-Identifier: Apache-2.0
"""The Java client (kafka-clients 3.8.0), kafkajs 2.2.4 and franz-go over
SSL, SASL_PLAINTEXT and SASL_SSL with each mechanism (PLAIN,
SCRAM-SHA-256, SCRAM-SHA-512; OAUTHBEARER with a signed JWT for kafkajs
and franz-go), each producing and reading back records; a wrong password,
an expired token and an untrusted broker certificate are refused with the
client's authentication / TLS error."""
import os
import subprocess

import pytest

from secure_broker import start_secure_broker

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


@pytest.fixture(scope="module")
def secure_broker():
    b = start_secure_broker(oauth=True)
    yield b
    b.finish()


def java_props(b, case, path):
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
    for case in list(CASES) + list(REFUSED):
        args += [java_props(b, case, tmp_path / (case + ".properties")),
                 "java-" + case, "20", "0"]
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=off",
         "-cp", os.path.join(JAVA_DIR, "lib", "*"),
         os.path.join(JAVA_DIR, "SamsaJavaSecure.java")] + args,
        capture_output=True, text=True, timeout=180)
    lines = out.stdout.splitlines()
    for case in CASES:
        assert "ok java-" + case in lines, out.stdout + out.stderr
    wrong = [l for l in lines if l.startswith("FAIL java-wrong_password")]
    assert wrong and "SaslAuthenticationException" in wrong[0], out.stdout
    assert "Authentication failed" in wrong[0], wrong[0]
    untrusted = [l for l in lines if l.startswith("FAIL java-untrusted_cert")]
    assert untrusted and "SslAuthenticationException" in untrusted[0], \
        out.stdout


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
