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
import os
import shutil
import sys
import tempfile
import time

from connect_bench import ROOT, ConnectSamsad, call


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
    src, dst = os.path.join(work, "in.txt"), os.path.join(work, "out.txt")
    line = ("x" * (a.size - 1) + "\n").encode()
    with open(src, "wb") as f:
        f.write(line * a.lines)
    samsad = ConnectSamsad(a.build, work)
    base = samsad.base
    try:
        conv = {"key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
        t0 = time.monotonic()
        call(base, "POST", "/connectors", {"name": "src", "config": dict(conv, **{
            "connector.class": "FileStreamSource", "file": src, "topic": "bench"})})
        call(base, "POST", "/connectors", {"name": "dst", "config": dict(conv, **{
            "connector.class": "FileStreamSink", "file": dst, "topics": "bench"})})
        while count_lines(dst) < a.lines:
            if not samsad.alive():
                sys.exit("samsad exited")
            time.sleep(0.05)
        secs = time.monotonic() - t0
        print("file source -> topic -> file sink: %d lines of %d bytes in %.2f s: "
              "%.0f records/s, %.1f MB/s" % (a.lines, a.size, secs, a.lines / secs,
                                               a.lines * a.size / secs / 1e6))
    finally:
        samsad.stop()
        if not a.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
