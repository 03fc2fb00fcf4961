# SPDX-License-Identifier: Apache-2.0
"""The transactional produce benchmark of issue 15 (tools/bench/
txn_produce.py) still runs: one small round against Samsa alone (no
Apache Kafka), an idempotent producer then a transactional one committing
every 1,000 records, and its summary gives both rates and their ratio.
No speed is asserted here: the figures belong to the benchmark."""
import os
import re
import subprocess

from samsa_harness import BUILD

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "tools", "bench", "txn_produce.py")


def test_txn_produce_benchmark_runs():
    out = subprocess.run(
        ["/usr/bin/python3", BENCH, "--build", BUILD,
         "--targets", "samsa", "--count", "4000", "--rounds", "1"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    row = re.search(r"^\| samsa \| (\d+) \| (\d+) \| ([\d.]+) \|", out.stdout,
                    re.M)
    assert row, out.stdout
    idem, txn, ratio = int(row[1]), int(row[2]), float(row[3])
    assert idem > 0 and txn > 0
    assert abs(ratio - txn / idem) < 0.01, out.stdout
