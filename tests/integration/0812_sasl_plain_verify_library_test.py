# SPDX-License-Identifier: Apache-2.0
"""sasl-plain with verify_library (include/samsa/sasl_plain_verify.h), the
counterpart of Kafka's sasl.server.callback.handler.class: the fixture
library accepts only cb-user / cb-pass; that user produces and consumes
with confluent-kafka, a wrong password is refused, and a library that does
not load or lacks samsa_plain_verify, or setting both users_file and
verify_library or neither, stops samsad from starting."""
import os
import shutil

import pytest

from samsa_harness import BUILD, Broker, free_port, new_workdir
from secure_clients import assert_plain_refused, confluent_round_trip

FIXTURE = os.path.join(BUILD, "tests", "plugins", "fixture-plain-verify.so")


def verify_broker(library, config=None):
    workdir = new_workdir()
    b = Broker(workdir)
    with open(os.path.join(b.conf_dir, "40-sasl-plain.yaml"), "w") as f:
        f.write("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                "    config: {%s}\n" % (config or "verify_library: " + library))
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

BOTH = "verify_library: %s, users_file: /etc/hostname" % FIXTURE


@pytest.mark.parametrize("library,config,reason", [
    ("/nonexistent/libverify.so", None, "No such file"),
    (os.path.join(BUILD, "plugins", "sasl-plain.so"), None,
     "has no symbol samsa_plain_verify"),
    (None, BOTH, "set exactly one of users_file and verify_library"),
    (None, "users_file: ''", "set exactly one of users_file and verify_library"),
], ids=["missing", "no_symbol", "both", "neither"])
def test_bad_config_refuses_to_start(library, config, reason):
    b = verify_broker(library, config)
    try:
        with pytest.raises(RuntimeError, match="exited"):
            b.start()
        log = b.log_text()
        if library:
            assert "verify_library '%s'" % library in log, log
        assert reason in log, log
    finally:
        b.kill()
        shutil.rmtree(b.workdir, ignore_errors=True)
