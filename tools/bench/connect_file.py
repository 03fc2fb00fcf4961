#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: file source -> topic -> file sink through samsad's Connect
worker (connect_enabled), with Kafka's FileStream connectors created by
REST calls.

Writes --lines lines of --size bytes to a file, creates a FileStreamSource
(StringConverter) and a FileStreamSink on the same topic, and prints the
records/s from the source's creation until the sink file holds every line
(end to end: read, produce acks=all, offsets stored, fetch, write, fsync,
group commit). The data dir is in --dir (default a fresh directory in
/dev/shm, so the VM's disk does not dominate).

    tools/bench/connect_file.py [--lines 200000] [--size 100] [--build DIR]
                                [--dir DIR]
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
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


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=200000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="samsa-bench-connect-",
                                     dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    conf = os.path.join(work, "conf.d")
    shutil.copytree(os.path.join(ROOT, "conf.d"), conf)
    with open(os.path.join(conf, "samsa.yaml"), "a") as f:
        f.write("\nconnect_enabled: true\ngroup_initial_rebalance_delay_ms: 0\n")
    port, http = free_port(), free_port()
    base = "http://127.0.0.1:%d" % http
    src, dst = os.path.join(work, "in.txt"), os.path.join(work, "out.txt")
    line = ("x" * (a.size - 1) + "\n").encode()
    with open(src, "wb") as f:
        f.write(line * a.lines)
    log = open(os.path.join(work, "samsad.log"), "wb")
    proc = subprocess.Popen(
        [os.path.join(a.build, "core", "samsad"), "--listen", "127.0.0.1:%d" % port,
         "--data-dir", os.path.join(work, "data"), "--conf-dir", conf,
         "--plugin-dir", os.path.join(a.build, "plugins"),
         "--http-listen", "127.0.0.1:%d" % http], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if call(base, "GET", "/connectors") == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        conv = {"key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
        t0 = time.monotonic()
        call(base, "POST", "/connectors", {"name": "src", "config": dict(conv, **{
            "connector.class": "FileStreamSource", "file": src, "topic": "bench"})})
        call(base, "POST", "/connectors", {"name": "dst", "config": dict(conv, **{
            "connector.class": "FileStreamSink", "file": dst, "topics": "bench"})})
        while count_lines(dst) < a.lines:
            if proc.poll() is not None:
                sys.exit("samsad exited")
            time.sleep(0.05)
        secs = time.monotonic() - t0
        print("file source -> topic -> file sink: %d lines of %d bytes in %.2f s: "
              "%.0f records/s, %.1f MB/s" % (a.lines, a.size, secs, a.lines / secs,
                                               a.lines * a.size / secs / 1e6))
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
        if not a.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
