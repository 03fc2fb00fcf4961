# SPDX-License-Identifier: Apache-2.0
"""franz-go 1.21.5 (kgo + kadm 1.17.2) with kgo's defaults: idempotent
producer (InitProducerId), snappy compression, cooperative-sticky consumer
group; kadm creates/deletes topics, lists and describes the group, fetches
its offsets and lag. The Go program is tests/integration/go/cmd/franz."""
import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GO_DIR = os.path.join(HERE, "go")


@pytest.fixture(scope="module")
def franz_bin():
    # A no-op when tests/integration/run.sh has already built it; the first
    # build ever needs the Go module proxy (later ones use the module cache).
    out = subprocess.run(["go", "build", "-o", "bin/", "./cmd/franz"],
                         cwd=GO_DIR, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, "go build failed:\n" + out.stderr
    return os.path.join(GO_DIR, "bin", "franz")


def test_franz_go_defaults_produce_group_consume_and_admin(broker, franz_bin):
    out = subprocess.run([franz_bin, broker.bootstrap, "franz", "1000"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("ok"), out.stdout
    # franz-go writes raw snappy blocks; the broker must have kept them.
    assert "from snappy batches" in out.stdout
