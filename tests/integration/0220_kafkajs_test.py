# SPDX-License-Identifier: Apache-2.0
"""kafkajs 2.2.4 (npm): a producer sending keyed messages and a consumer
reading them in a group, as its documentation shows."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def test_kafkajs_producer_and_consumer(broker):
    out = subprocess.run(["node", os.path.join(HERE, "js", "produce_consume.js"),
                          broker.bootstrap, "kjs", "500"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("ok")
