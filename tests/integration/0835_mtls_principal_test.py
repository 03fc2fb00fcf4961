# SPDX-License-Identifier: Apache-2.0
"""The principal of an SSL client with a certificate is "User:" and its
subject in RFC 2253 form (Kafka's DEFAULT mapping), which ACLs name: the
certificate /CN=alice/OU=eng/O=Samsa is User:O=Samsa,OU=eng,CN=alice.
ssl_principal_mapping_rules rewrite it (User:ALICE), and a certificate no
rule applies to is refused."""
import os
import shutil
import subprocess

import pytest

import confluent_kafka
from confluent_kafka import KafkaError
from kafka.admin import (ACL, ACLOperation, ACLPermissionType,
                         ACLResourcePatternType, KafkaAdminClient, NewTopic,
                         ResourcePattern, ResourceType)

from samsa_harness import (PLUGIN_DIR, SAMSAD, Broker, free_port,
                            new_workdir)
from secure_pki import make_pki

ALICE = "User:O=Samsa,OU=eng,CN=alice"


def start_mtls_broker(workdir, extra=()):
    pki = make_pki(os.path.join(workdir, "pki"))
    b = Broker(workdir, "\n".join([
        "ssl_keystore_location: %s" % pki["broker.pem"],
        "ssl_key_location: %s" % pki["broker.key"],
        "ssl_truststore_location: %s" % pki["ca.pem"],
        "ssl_client_auth: required",
    ] + list(extra)))
    # The PLAINTEXT listener (User:ANONYMOUS) administers in this test.
    with open(os.path.join(b.conf_dir, "42-authorizer-acl.yaml"), "w") as f:
        f.write("plugins:\n  - name: acl\n    plugin: authorizer-acl\n"
                "    config: {super_users: [\"User:ANONYMOUS\"]}\n")
    b.ssl_port = free_port()
    b.args += ["--listen", "SSL://127.0.0.1:%d" % b.ssl_port]
    b.pki = pki
    b.start()
    return b


@pytest.fixture
def mtls_broker():
    workdir = new_workdir()
    b = start_mtls_broker(workdir)
    yield b
    b.finish()


@pytest.fixture
def mapped_broker():
    """Only alice's subject has a rule, and no DEFAULT."""
    workdir = new_workdir()
    b = start_mtls_broker(workdir, [
        "ssl_principal_mapping_rules: "
        "'RULE:^O=Samsa,OU=ops,CN=(.*)$/ops-$1/,"
        "RULE:^O=Samsa,OU=eng,CN=([^,]*)$/$1/U'"])
    yield b
    b.finish()


def produce_as_alice(b, topic, who="alice"):
    p = confluent_kafka.Producer({
        "bootstrap.servers": "127.0.0.1:%d" % b.ssl_port,
        "security.protocol": "SSL", "ssl.ca.location": b.pki["ca.pem"],
        "ssl.certificate.location": b.pki[who + ".pem"],
        "ssl.key.location": b.pki[who + ".key"], "message.timeout.ms": 5000})
    errs = []
    p.produce(topic, b"x", partition=0,
              on_delivery=lambda err, msg: errs.append(err))
    p.flush(15)
    return errs[0].code() if errs and errs[0] else None


def allow_write(b, principal):
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
    admin.create_topics([NewTopic("mtls", 1, 1), NewTopic("other", 1, 1)])
    out = admin.create_acls([ACL(
        principal=principal, host="*", operation=ACLOperation.WRITE,
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(ResourceType.TOPIC, "mtls",
                                         ACLResourcePatternType.LITERAL))])
    admin.close()
    assert not out["failed"], out


def test_certificate_subject_is_the_principal(mtls_broker):
    b = mtls_broker
    allow_write(b, ALICE)
    assert produce_as_alice(b, "mtls") is None
    assert produce_as_alice(b, "other") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_mapping_rules_make_the_principal(mapped_broker):
    b = mapped_broker
    allow_write(b, "User:ALICE")
    assert produce_as_alice(b, "mtls") is None
    assert produce_as_alice(b, "other") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_no_rule_applying_refuses_the_connection(mapped_broker):
    b = mapped_broker
    # broker.pem is signed by the trusted CA, subject CN=localhost: no rule.
    assert produce_as_alice(b, "mtls", who="broker") is not None
    assert ("no ssl_principal_mapping_rules rule applies for client "
            "certificate 'CN=localhost'") in b.log_text()


def test_bad_rule_is_a_config_error():
    workdir = new_workdir()
    try:
        b = Broker(workdir, "ssl_principal_mapping_rules: 'RULE:^CN=(.*$/$1/'")
        out = subprocess.run(
            [SAMSAD, "--conf-dir", b.conf_dir, "--plugin-dir", PLUGIN_DIR,
             "--data-dir", b.data_dir, "--check-config"],
            capture_output=True, text=True, timeout=30)
        assert out.returncode != 0
        assert "ssl_principal_mapping_rules" in out.stderr, out.stderr
        assert "bad pattern" in out.stderr, out.stderr
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
