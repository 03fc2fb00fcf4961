#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: source-mirror (MirrorSourceConnector) copying a topic
between two samsad.

Cluster A gets --records records of --size bytes in a topic of
--partitions partitions (samsa perf produce); cluster B's Connect worker
then mirrors it with tasks.max=--tasks (ByteArrayConverter), and the
records/s are timed from the connector's creation until B's remote topic
holds every record (fetch from A, produce acks=all to B, source offsets
and offset syncs stored). Data dirs in --dir (default a fresh directory
in /dev/shm). Needs python3-confluent-kafka for the watermarks.

    tools/bench/connect_mirror.py [--records 1000000] [--size 100]
                                  [--partitions 4] [--tasks 1]
                                  [--build DIR] [--dir DIR]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, TopicPartition

from connect_bench import ROOT, ConnectSamsad, call


def copied(bootstrap, topic, partitions):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench"})
    try:
        return sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
                   for p in range(partitions))
    except Exception:  # the remote topic is not there yet
        return 0
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--tasks", type=int, default=1)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default=None)
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="samsa-bench-mirror-",
                                     dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    os.makedirs(os.path.join(work, "a"), exist_ok=True)
    os.makedirs(os.path.join(work, "b"), exist_ok=True)
    src = ConnectSamsad(a.build, os.path.join(work, "a"))
    dst = ConnectSamsad(a.build, os.path.join(work, "b"))
    cli = [os.path.join(a.build, "tools", "cli", "samsa")]
    try:
        subprocess.run(cli + ["topic", "create", "bench", "--partitions",
                              str(a.partitions), "-b", src.bootstrap],
                       check=True, capture_output=True)
        subprocess.run(cli + ["perf", "produce", "--topic", "bench",
                              "--num-records", str(a.records), "--record-size",
                              str(a.size), "-b", src.bootstrap],
                       check=True, capture_output=True)
        t0 = time.monotonic()
        call(dst.base, "POST", "/connectors", {"name": "mirror", "config": {
            "connector.class": "MirrorSourceConnector",
            "tasks.max": str(a.tasks), "source.cluster.alias": "A",
            "source.cluster.bootstrap.servers": src.bootstrap,
            "topics": "bench", "refresh.topics.interval.seconds": "1",
            "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
            "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"}})
        while copied(dst.bootstrap, "A.bench", a.partitions) < a.records:
            if not dst.alive():
                sys.exit("samsad exited")
            time.sleep(0.1)
        dt = time.monotonic() - t0
        print("%d records of %d bytes, %d partitions, tasks.max=%d: %.2f s, "
              "%.0f records/s, %.1f MB/s" % (a.records, a.size, a.partitions,
                                              a.tasks, dt, a.records / dt,
                                              a.records * a.size / dt / 1e6))
    finally:
        src.stop()
        dst.stop()
        if a.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
