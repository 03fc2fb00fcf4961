# SPDX-License-Identifier: Apache-2.0
"""What the Connect benchmarks share: a samsad with connect_enabled in a
work directory, waited for until its Connect REST API answers, and the
REST call."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


class ConnectSamsad:
    """samsad in @p work (conf.d copied from the tree, @p extra_yaml added);
    .base is the REST API's URL, .bootstrap the Kafka listener."""

    def __init__(self, build, work, extra_yaml=""):
        conf = os.path.join(work, "conf.d")
        shutil.copytree(os.path.join(ROOT, "conf.d"), conf)
        with open(os.path.join(conf, "samsa.yaml"), "a") as f:
            f.write("\nconnect_enabled: true\n"
                    "group_initial_rebalance_delay_ms: 0\n" + extra_yaml)
        port, http = free_port(), free_port()
        self.bootstrap = "127.0.0.1:%d" % port
        self.base = "http://127.0.0.1:%d" % http
        self.log = open(os.path.join(work, "samsad.log"), "wb")
        self.proc = subprocess.Popen(
            [os.path.join(build, "core", "samsad"), "--listen", self.bootstrap,
             "--data-dir", os.path.join(work, "data"), "--conf-dir", conf,
             "--plugin-dir", os.path.join(build, "plugins"),
             "--http-listen", "127.0.0.1:%d" % http],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if call(self.base, "GET", "/connectors") == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()
