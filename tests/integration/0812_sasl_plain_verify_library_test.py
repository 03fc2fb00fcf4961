# SPDX-License-Identifier: Apache-2.0
"""sasl-plain with verify_library (include/samsa/sasl_plain_verify.h), the
counterpart of Kafka's sasl.server.callback.handler.class: the fixture
library accepts only cb-user / cb-pass; that user produces and consumes
with confluent-kafka, a wrong password is refused, and a library that does
not load or lacks samsa_plain_verify stops samsad from starting."""
import os
import shutil

import pytest

from samsa_harness import BUILD, Broker, free_port, new_workdir
from secure_clients import assert_plain_refused, confluent_round_trip

FIXTURE = os.path.join(BUILD, "tests", "plugins", "fixture-plain-verify.so")


def verify_broker(library):
    workdir = new_workdir()
    b = Broker(workdir)
    with open(os.path.join(b.conf_dir, "40-sasl-plain.yaml"), "w") as f:
        f.write("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                "    config: {verify_library: %s}\n" % library)
    b.sasl_port = free_port()
    b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port]
    return b


@pytest.fixture
def cb_broker():
    b = verify_broker(FIXTURE)
    b.start()
    yield b
    b.finish()


def conf(b, password):
    return {"bootstrap.servers": "127.0.0.1:%d" % b.sasl_port,
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": "cb-user", "sasl.password": password}


def test_library_accepts_its_user(cb_broker):
    confluent_round_trip(conf(cb_broker, "cb-pass"), "cb-topic",
                         group="cb-group")


def test_wrong_password_is_refused(cb_broker):
    b = cb_broker
    assert_plain_refused(b, b.sasl_port, "cb-user", "cb-wrong")
    # The right one right after: still served.
    confluent_round_trip(conf(b, "cb-pass"), "cb-after", n=5, group="cb-g2")

@pytest.mark.parametrize("library,reason", [
    ("/nonexistent/libverify.so", "No such file"),
    (os.path.join(BUILD, "plugins", "sasl-plain.so"),
     "has no symbol samsa_plain_verify"),
], ids=["missing", "no_symbol"])
def test_bad_library_refuses_to_start(library, reason):
    b = verify_broker(library)
    try:
        with pytest.raises(RuntimeError, match="exited"):
            b.start()
        log = b.log_text()
        assert "verify_library '%s'" % library in log, log
        assert reason in log, log
    finally:
        b.kill()
        shutil.rmtree(b.workdir, ignore_errors=True)
