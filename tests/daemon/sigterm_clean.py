#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Start samsad on a free port with the default plugins, talk to it, stop it
with SIGTERM: it must exit 0 with nothing reported by the sanitizers.
Registered with CTest, so it runs in the normal and the ASan+UBSan build.

    sigterm_clean.py SAMSAD CONF_DIR PLUGIN_DIR
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

samsad, conf_dir, plugin_dir = sys.argv[1:4]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_versions(port):
    body = struct.pack(">hhih", 18, 0, 1, 4) + b"test"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        n = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    return struct.unpack(">ih", data[:6])


with tempfile.TemporaryDirectory() as data:
    port = free_port()
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:exitcode=99",
               UBSAN_OPTIONS="halt_on_error=1:exitcode=98")
    proc = subprocess.Popen([samsad, "--listen", "127.0.0.1:%d" % port,
                             "--data-dir", data, "--conf-dir", conf_dir,
                             "--plugin-dir", plugin_dir,
                             "--http-listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 20
    while True:
        try:
            corr, err = api_versions(port)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                print(proc.stderr.read())
                sys.exit("samsad did not come up")
            time.sleep(0.05)
    assert (corr, err) == (1, 0), (corr, err)
    idle = socket.create_connection(("127.0.0.1", port))  # left open on purpose
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        sys.exit("samsad did not stop within 30 s of SIGTERM")
    idle.close()
    stderr = proc.stderr.read()
    if rc != 0 or "Sanitizer" in stderr or "runtime error" in stderr:
        print(stderr)
        sys.exit("samsad exited %d" % rc)
print("1 passed, 0 failed")
