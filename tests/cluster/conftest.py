# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the fault tests: `nodes`, three nodes on loopback (also
`nodes_without_probe`), and
`ns_nodes`, three nodes each in its own network namespace (netns.py).
Both stop every node (SIGCONT first, SIGKILL after 20 s) and remove the
namespaces whatever happened; SAMSA_CLUSTER_KEEP=1 keeps the nodes'
directories (logs) in /tmp."""
import os
import shutil
import tempfile

import pytest

import netns
from nodes import Cluster


def _dispose(c, work):
    c.stop()
    if os.environ.get("SAMSA_CLUSTER_KEEP"):
        print("node directories kept in", work)
    else:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture()
def nodes():
    work = tempfile.mkdtemp(prefix="samsa-faults-")
    c = Cluster(work)
    try:
        yield c
    finally:
        _dispose(c, work)


@pytest.fixture()
def nodes_without_probe():
    """`nodes` whose controllers wait out the session of a dead broker
    (broker_session_probe_enable off), for tests of what happens while a
    dead broker is not fenced yet."""
    work = tempfile.mkdtemp(prefix="samsa-faults-")
    c = Cluster(work, extra_yaml="broker_session_probe_enable: false\n")
    try:
        yield c
    finally:
        _dispose(c, work)


@pytest.fixture()
def ns_nodes():
    why_not = netns.available()
    if why_not:
        pytest.fail(why_not)  # CI runs as root: a skip would hide it
    net = netns.Net(3)
    try:
        work = tempfile.mkdtemp(prefix="samsa-netfaults-")
        c = Cluster(work, net=net)
        try:
            yield c
        finally:
            _dispose(c, work)
    finally:
        net.close()
