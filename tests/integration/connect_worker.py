# SPDX-License-Identifier: Apache-2.0
"""A `samsa connect` worker process (connect-distributed.sh's job) for the
Connect tests, and REST writes that ride out a rebalance."""
import os
import subprocess

from connect_rest import call, wait_for
from samsa_harness import PLUGIN_DIR, RUNNING, SAMSA_CLI, free_port

SESSION_MS = 2000


class Worker:
    """One `samsa connect` process (connect-distributed.sh's job)."""

    def __init__(self, broker, name, group, session_ms=SESSION_MS,
                 topics=""):
        self.port = free_port()
        self.http = "http://127.0.0.1:%d" % self.port
        self.worker_id = "127.0.0.1:%d" % self.port
        self.props = os.path.join(broker.workdir, name + ".properties")
        with open(self.props, "w") as f:
            f.write("bootstrap.servers=%s\ngroup.id=%s\n"
                    "listeners=http://127.0.0.1:%d\n"
                    "session.timeout.ms=%d\nheartbeat.interval.ms=500\n%s" % (
                        broker.bootstrap, group, self.port, session_ms,
                        topics))
        self.log_path = os.path.join(broker.workdir, name + ".log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [SAMSA_CLI, "--conf-dir", broker.conf_dir, "--plugin-dir",
             PLUGIN_DIR, "connect", self.props],
            stdout=self.log, stderr=subprocess.STDOUT)
        RUNNING[self.proc.pid] = (self.proc, os.environ.get(
            "PYTEST_CURRENT_TEST", "?"))

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def end(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(20)
        RUNNING.pop(self.proc.pid, None)
        self.log.close()
        return rc


def write(w, method, path, body):
    """A REST write; 409 (a rebalance under way) is retried, as Kafka
    Connect's clients do."""
    def done():
        code, info = call(w, method, path, body)
        return code != 409 and (code, info)
    return wait_for(done, "%s %s past the rebalance" % (method, path), 20)
