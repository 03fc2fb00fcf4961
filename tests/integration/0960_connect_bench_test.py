# SPDX-License-Identifier: Apache-2.0
"""The Connect benchmarks whose figures are in the README still run: one
small round of the file source -> topic -> file sink benchmark
(tools/bench/connect_file.py) and of the PostgreSQL sink benchmark
(tools/bench/connect_postgres.py, its own PostgreSQL 15 in a temp dir),
each printing its records/s or rows/s. No speed is asserted here: the
figures belong to the benchmarks."""
import os
import re
import subprocess
import sys

from samsa_harness import BUILD

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "..", "tools", "bench")


def bench(script, *args):
    out = subprocess.run([sys.executable, os.path.join(BENCH, script),
                          "--build", BUILD] + list(args),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_file_source_to_file_sink_benchmark_runs():
    out = bench("connect_file.py", "--lines", "5000", "--size", "100")
    m = re.search(r"5000 lines of 100 bytes in ([\d.]+) s: (\d+) records/s", out)
    assert m and float(m[1]) > 0 and int(m[2]) > 0, out


def test_postgres_sink_benchmark_runs():
    out = bench("connect_postgres.py", "--rows", "2000", "--mode", "upsert")
    m = re.search(r"\(upsert, 1 task\(s\)\): 2000 rows in ([\d.]+) s: (\d+) rows/s",
                  out)
    assert m and float(m[1]) > 0 and int(m[2]) > 0, out
