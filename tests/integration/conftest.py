# SPDX-License-Identifier: Apache-2.0
import shutil

import pytest

import samsa_harness
from samsa_harness import Broker, new_workdir


def _report(config, lines):
    tr = config.pluginmanager.get_plugin("terminalreporter")
    for line in lines:
        if tr:
            tr.write_line(line)


def pytest_sessionfinish(session, exitstatus):
    """A broker some test started and never stopped (its workdir may be
    gone already) is killed here rather than left running after CI.
    Under pytest-xdist every worker kills its own and hands the lines to
    the controller (a worker's terminal output is not shown)."""
    lines = []
    for pid, (proc, test) in list(samsa_harness.RUNNING.items()):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            lines.append("samsad %d started by %s was left running: killed"
                         % (pid, test))
    samsa_harness.RUNNING.clear()
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["samsa_left_running"] = lines
    else:
        _report(session.config, lines)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist, in the controller: a worker's leftover brokers."""
    out = getattr(node, "workeroutput", None) or {}
    _report(node.config, out.get("samsa_left_running", []))


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
