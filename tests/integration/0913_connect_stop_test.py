# SPDX-License-Identifier: Apache-2.0
"""samsad stops its connectors before anything else, while it still serves
in full: a sink task that is joining its group when SIGTERM comes finds
its coordinator, sees the stop and ends. Before, the broker stopped being
ready first and the task retried FindCoordinator (COORDINATOR_NOT_AVAILABLE)
20 times 200 ms per join, up to 10 joins: the stop took up to ~40 s."""
import time

from connect_rest import wait_ready
from connect_worker import write


def test_a_sink_created_just_before_sigterm_does_not_hold_the_stop(
        broker_factory, tmp_path):
    for i in range(3):
        broker = broker_factory("connect_enabled: true").start()
        wait_ready(broker)
        code, body = write(broker, "POST", "/connectors", {
            "name": "s%d" % i, "config": {
                "connector.class": "FileStreamSink", "topics": "t%d" % i,
                "file": str(tmp_path / ("out%d.txt" % i))}})
        assert code == 201, body
        t0 = time.monotonic()
        assert broker.stop(timeout=12) == 0
        took = time.monotonic() - t0
        print("stop %d took %.2f s" % (i, took))
