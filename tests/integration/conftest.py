# SPDX-License-Identifier: Apache-2.0
import shutil

import pytest

from samsa_harness import Broker, new_workdir


@pytest.fixture
def broker():
    """A running single-node samsad on a free port; stopped cleanly after."""
    workdir = new_workdir()
    b = Broker(workdir).start()
    yield b
    stopped_by_test = b.proc is None
    alive = stopped_by_test or b.alive()
    rc = b.stop()
    log = b.log_text()
    shutil.rmtree(workdir, ignore_errors=True)
    assert alive, "samsad died during the test:\n" + log
    assert rc == 0, "samsad exited %d:\n%s" % (rc, log)


@pytest.fixture
def broker_factory():
    """Build brokers with custom YAML; every one is stopped after."""
    made = []

    def make(extra_yaml="", args=()):
        b = Broker(new_workdir(), extra_yaml, args)
        made.append(b)
        return b

    yield make
    for b in made:
        b.kill()
        shutil.rmtree(b.workdir, ignore_errors=True)
