# SPDX-License-Identifier: Apache-2.0
"""One million messages over several partitions with each codec, through a
C program linked against librdkafka: count, order within each partition,
and a checksum of every payload."""
import os
import subprocess

import pytest

from samsa_harness import BUILD

ROUNDTRIP = os.path.join(BUILD, "tests", "integration", "rdkafka_roundtrip")
COUNT = int(os.environ.get("SAMSA_IT_MILLION", "1000000"))


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_million_messages_round_trip(broker, codec):
    out = subprocess.run([ROUNDTRIP, "-b", broker.bootstrap, "-t", "million-" + codec,
                          "-p", "6", "-n", str(COUNT), "-s", "100", "-z", codec],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok: checksum" in out.stdout
