# SPDX-License-Identifier: Apache-2.0
"""Start and stop samsad for integration tests.

Each test gets its own broker: a temporary directory with a conf.d (the
repo's manifests, plus anything the test adds), a data dir, and a free
loopback port. The broker is stopped with SIGTERM and must exit 0.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("SAMSA_BUILD_DIR", os.path.join(ROOT, "build")))
SAMSAD = os.path.join(BUILD, "core", "samsad")
SAMSA_CLI = os.path.join(BUILD, "tools", "cli", "samsa")
PLUGIN_DIR = os.path.join(BUILD, "plugins")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("samsad exited with %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("samsad did not listen on %d within %.0fs" % (port, timeout))


# Every samsad a test started and nobody stopped yet, with the test that
# started it: conftest.py kills what is left when the session ends and
# names the tests, so a leaked broker never outlives its run.
RUNNING = {}


class Broker:
    def __init__(self, workdir, extra_yaml="", args=()):
        self.workdir = workdir
        self.port = free_port()
        self.bootstrap = "127.0.0.1:%d" % self.port
        # /metrics, /health and the console, on a port of its own so tests
        # never meet on the default 8083.
        self.http_port = free_port()
        self.http = "http://127.0.0.1:%d" % self.http_port
        self.conf_dir = os.path.join(workdir, "conf.d")
        self.data_dir = os.path.join(workdir, "data")
        self.log_path = os.path.join(workdir, "samsad.log")
        self.args = list(args)
        self.proc = None
        if not os.path.isdir(self.conf_dir):
            shutil.copytree(os.path.join(ROOT, "conf.d"), self.conf_dir)
            if "group_initial_rebalance_delay_ms" not in extra_yaml:
                # Instant groups keep group tests fast; the packaged
                # default is Kafka's 3000 ms.
                with open(os.path.join(self.conf_dir, "samsa.yaml"), "a") as f:
                    f.write("\ngroup_initial_rebalance_delay_ms: 0\n")
        if extra_yaml:
            with open(os.path.join(self.conf_dir, "samsa.yaml"), "a") as f:
                f.write("\n" + extra_yaml + "\n")

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [SAMSAD, "--listen", self.bootstrap, "--data-dir", self.data_dir,
             "--conf-dir", self.conf_dir, "--plugin-dir", PLUGIN_DIR,
             "--http-listen", "127.0.0.1:%d" % self.http_port] + self.args,
            stdout=self.log, stderr=subprocess.STDOUT)
        RUNNING[self.proc.pid] = (self.proc, os.environ.get(
            "PYTEST_CURRENT_TEST", "?"))
        try:
            wait_listening(self.port, self.proc, timeout=30.0)
        except BaseException:
            # Nobody holds this broker yet: never leave it running.
            self.kill()
            raise
        return self

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("samsad did not stop within %ds" % timeout)
        self.log.close()
        rc = self.proc.returncode
        RUNNING.pop(self.proc.pid, None)
        self.proc = None
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.log.close()
            RUNNING.pop(self.proc.pid, None)
        self.proc = None

    def restart(self):
        assert self.stop() == 0, self.log_text()
        return self.start()

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def finish(self):
        """End of a fixture: the broker must still run and stop cleanly;
        its work directory goes either way."""
        alive = self.alive()
        rc = self.stop()
        log = self.log_text()
        shutil.rmtree(self.workdir, ignore_errors=True)
        assert alive and rc == 0, "samsad failed:\n" + log


def new_workdir():
    return tempfile.mkdtemp(prefix="samsa-it-")
