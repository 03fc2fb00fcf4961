# SPDX-License-Identifier: Apache-2.0
"""The principal of an SSL client with a certificate is "User:" and its
subject in RFC 2253 form (Kafka's DEFAULT mapping), which ACLs name: the
certificate /CN=alice/OU=eng/O=Samsa is User:O=Samsa,OU=eng,CN=alice."""
import os
import shutil

import pytest

import confluent_kafka
from confluent_kafka import KafkaError
from kafka.admin import (ACL, ACLOperation, ACLPermissionType,
                         ACLResourcePatternType, KafkaAdminClient, NewTopic,
                         ResourcePattern, ResourceType)

from samsa_harness import Broker, free_port, new_workdir
from secure_pki import make_pki

ALICE = "User:O=Samsa,OU=eng,CN=alice"


@pytest.fixture
def mtls_broker():
    workdir = new_workdir()
    pki = make_pki(os.path.join(workdir, "pki"))
    b = Broker(workdir, "\n".join([
        "ssl_keystore_location: %s" % pki["broker.pem"],
        "ssl_key_location: %s" % pki["broker.key"],
        "ssl_truststore_location: %s" % pki["ca.pem"],
        "ssl_client_auth: required",
    ]))
    # The PLAINTEXT listener (User:ANONYMOUS) administers in this test.
    with open(os.path.join(b.conf_dir, "42-authorizer-acl.yaml"), "w") as f:
        f.write("plugins:\n  - name: acl\n    plugin: authorizer-acl\n"
                "    config: {super_users: [\"User:ANONYMOUS\"]}\n")
    b.ssl_port = free_port()
    b.args += ["--listen", "SSL://127.0.0.1:%d" % b.ssl_port]
    b.pki = pki
    b.start()
    yield b
    alive = b.alive()
    rc = b.stop()
    log = b.log_text()
    shutil.rmtree(workdir, ignore_errors=True)
    assert alive and rc == 0, "samsad failed:\n" + log


def produce_as_alice(b, topic):
    p = confluent_kafka.Producer({
        "bootstrap.servers": "127.0.0.1:%d" % b.ssl_port,
        "security.protocol": "SSL", "ssl.ca.location": b.pki["ca.pem"],
        "ssl.certificate.location": b.pki["alice.pem"],
        "ssl.key.location": b.pki["alice.key"], "message.timeout.ms": 5000})
    errs = []
    p.produce(topic, b"x", partition=0,
              on_delivery=lambda err, msg: errs.append(err))
    p.flush(15)
    return errs[0].code() if errs and errs[0] else None


def test_certificate_subject_is_the_principal(mtls_broker):
    b = mtls_broker
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
    admin.create_topics([NewTopic("mtls", 1, 1), NewTopic("other", 1, 1)])
    out = admin.create_acls([ACL(
        principal=ALICE, host="*", operation=ACLOperation.WRITE,
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(ResourceType.TOPIC, "mtls",
                                         ACLResourcePatternType.LITERAL))])
    admin.close()
    assert not out["failed"], out
    assert produce_as_alice(b, "mtls") is None
    assert produce_as_alice(b, "other") == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED
