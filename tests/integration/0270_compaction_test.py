# SPDX-License-Identifier: Apache-2.0
"""Log compaction of compressed topics: kcat produces many updates of a few
keys with gzip or lz4 into a cleanup.policy=compact topic whose segments
roll every few KB; the broker's housekeeper (every 5 s) cleans the inactive
segments through the codec plugins, and a consumer from the beginning then
sees only the latest value per key there (the active segment is never
cleaned), with correct values and increasing offsets."""
import glob
import os
import subprocess
import textwrap
import time

import pytest

KEYS = 8
ROUNDS = 6       # kcat runs: several produce requests, many segments
PER_ROUND = 400  # records per run


def kcat(broker, *args, input=None, timeout=60):
    out = subprocess.run(["kcat", "-b", broker.bootstrap] + list(args),
                         input=input, capture_output=True, timeout=timeout)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout


def create_compacted_topic(broker, topic):
    code = textwrap.dedent("""
        import sys
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": sys.argv[1]})
        t = NewTopic(sys.argv[2], 1, 1, config={
            "cleanup.policy": "compact", "segment.bytes": "4096",
            "delete.retention.ms": "600000"})
        for f in a.create_topics([t]).values():
            f.result(10)
    """)
    out = subprocess.run(["/usr/bin/python3", "-c", code, broker.bootstrap,
                          topic], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def consume(broker, topic):
    out = kcat(broker, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
               "-f", "%k|%s|%o\n")
    rows = []
    for line in out.splitlines():
        k, v, o = line.split(b"|")
        rows.append((k.decode(), v.decode(), int(o)))
    return rows


def active_segment_base(broker, topic):
    logs = glob.glob(os.path.join(broker.data_dir, topic + "-0", "*.log"))
    assert logs, "no segment files for " + topic
    return max(int(os.path.basename(p).split(".")[0]) for p in logs)


@pytest.mark.parametrize("codec", ["gzip", "lz4"])
def test_compressed_topic_compacts_to_latest_value_per_key(broker, codec):
    topic = "compact-" + codec
    create_compacted_topic(broker, topic)
    latest = {}
    n = 0
    for r in range(ROUNDS):
        lines = []
        for i in range(PER_ROUND):
            # "cold" keys are written once, early: their only value lies in
            # a cleaned segment and must survive there.
            key = "cold%d" % i if r == 0 and i < 4 else "k%d" % (n % KEYS)
            # The value names its own offset (one partition, produced in
            # order), so a consumer can check each survivor exactly.
            lines.append(("%s:%s-value-%06d" % (key, key, n)).encode())
            latest[key] = n
            n += 1
        kcat(broker, "-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec,
             "-X", "linger.ms=0", "-X", "batch.num.messages=25",
             input=b"\n".join(lines) + b"\n")
    assert len(consume(broker, topic)) == n

    # The housekeeper compacts every 5 s; allow a few passes.
    deadline = time.monotonic() + 20
    while True:
        rows = consume(broker, topic)
        active = active_segment_base(broker, topic)
        cleaned = [r for r in rows if r[2] < active]
        if (len(rows) < n and
                all(o == latest[k] for k, _, o in cleaned)):
            break
        assert time.monotonic() < deadline, (
            "not compacted: %d records below the active segment at %d"
            % (len(cleaned), active))
        time.sleep(0.5)

    assert len(rows) < n // 4, "compaction removed too little: %d" % len(rows)
    assert sorted(k for k, _, _ in cleaned) == ["cold%d" % i for i in range(4)]
    offsets = [o for _, _, o in rows]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    for key, value, off in rows:
        assert value == "%s-value-%06d" % (key, off)
        if off < active:
            # Cleaned part: only a key's latest record survives.
            assert off == latest[key], (key, off, latest[key])
    # Every key's latest value is still there.
    last_seen = {}
    for key, _, off in rows:
        last_seen[key] = off
    assert last_seen == latest
    # Offsets stay dense at the end: the log end offset is unchanged.
    out = kcat(broker, "-Q", "-t", "%s:0:-1" % topic)
    assert b"offset %d" % n in out
