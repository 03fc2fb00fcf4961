# SPDX-License-Identifier: Apache-2.0
"""IBM/sarama 1.60.1 with its default protocol version (V2_8_0_0): a
ClusterAdmin creates a 3-partition topic, a SyncProducer with acks=all
sends 1000 keyed messages (offsets checked), a consumer group with the range
assignor reads them all and commits synchronously, and the admin's
ListConsumerGroupOffsets shows the commit. Uncompressed, with snappy
(sarama >= 1.47 writes xerial-framed snappy, which the broker must keep),
and with gzip, lz4 and zstd. The Go program is
tests/integration/go/cmd/sarama."""
import glob
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GO_DIR = os.path.join(HERE, "go")
XERIAL_MAGIC = b"\x82SNAPPY\x00"


@pytest.fixture(scope="module")
def sarama_bin():
    out = subprocess.run(["go", "build", "-o", "bin/", "./cmd/sarama"],
                         cwd=GO_DIR, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, "go build failed:\n" + out.stderr
    return os.path.join(GO_DIR, "bin", "sarama")


def stored_bytes(broker, topic):
    data = b""
    for path in glob.glob(os.path.join(broker.data_dir, topic + "-*", "*.log")):
        with open(path, "rb") as f:
            data += f.read()
    return data


@pytest.mark.parametrize("codec", ["none", "snappy", "gzip", "lz4", "zstd"])
def test_sarama_sync_producer_and_range_consumer_group(broker, sarama_bin, codec):
    topic = "sarama-" + codec
    out = subprocess.run([sarama_bin, broker.bootstrap, topic, "1000", codec],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("ok"), out.stdout
    # The broker stores batches as the producer compressed them.
    stored = stored_bytes(broker, topic)
    assert stored, "no log segments for " + topic
    assert (XERIAL_MAGIC in stored) == (codec == "snappy")
