# SPDX-License-Identifier: Apache-2.0
import shutil

import pytest

import samsa_harness
from samsa_harness import Broker, new_workdir


def pytest_sessionfinish(session, exitstatus):
    """A broker some test started and never stopped (its workdir may be
    gone already) is killed here rather than left running after CI."""
    for pid, (proc, test) in list(samsa_harness.RUNNING.items()):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            tr = session.config.pluginmanager.get_plugin("terminalreporter")
            msg = "samsad %d started by %s was left running: killed" % (
                pid, test)
            if tr:
                tr.write_line(msg)
    samsa_harness.RUNNING.clear()


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
