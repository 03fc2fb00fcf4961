# SPDX-License-Identifier: Apache-2.0
"""kafkajs 2.2.4 (npm) transactions: a transactional producer commits,
aborts and commits again; its read_committed consumer sees the committed
records only, a readUncommitted one all of them (js/transactions.js)."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def test_kafkajs_transactions(broker):
    out = subprocess.run(["node", os.path.join(HERE, "js", "transactions.js"),
                          broker.bootstrap, "kjs-tx"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("ok")
