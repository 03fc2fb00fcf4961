# SPDX-License-Identifier: Apache-2.0
"""Consumer groups with kafkajs 2.2.4: two members split a 6-partition
topic, a third joins and partitions are rebalanced, one is killed and its
partitions move to the others within the session timeout. No message is
lost, and with commits after processing none is processed twice across the
clean rebalance."""
import json
import os
import queue
import signal
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SESSION_TIMEOUT_S = 6


class Member:
    def __init__(self, broker, topic, group, name):
        self.name = name
        self.proc = subprocess.Popen(
            ["node", os.path.join(HERE, "js", "group_member.js"), broker.bootstrap,
             topic, group, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.events = queue.Queue()
        self.assignment = None
        self.messages = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass

    def drain(self):
        while True:
            try:
                ev = self.events.get_nowait()
            except queue.Empty:
                return
            if ev["ev"] == "assign":
                self.assignment = ev["parts"]
            elif ev["ev"] == "msg":
                self.messages.append((ev["p"], ev["o"], ev["v"]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.drain()

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.drain()


def wait_for(cond, members, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for m in members:
            m.drain()
        if cond():
            return time.monotonic()
        time.sleep(0.1)
    state = {m.name: (m.assignment, len(m.messages), m.proc.poll()) for m in members}
    raise AssertionError("timed out waiting for %s: %s" % (what, state))


def produce(broker, topic, start, count):
    lines = "".join("k%d:m%d\n" % (i, i) for i in range(start, start + count))
    subprocess.run(["kcat", "-b", broker.bootstrap, "-P", "-t", topic, "-K", ":"],
                   input=lines.encode(), check=True, timeout=60)


def covers(members, n):
    parts = [p for m in members for p in (m.assignment or [])]
    return sorted(parts) == list(range(n))


def test_kafkajs_group_rebalances_on_join_and_on_death(broker):
    topic, group = "g6", "kjs-group"
    subprocess.run(["/usr/bin/python3", "-c",
                    "import sys; from kafka.admin import KafkaAdminClient, NewTopic;"
                    "KafkaAdminClient(bootstrap_servers=sys.argv[1]).create_topics("
                    "[NewTopic('g6', num_partitions=6, replication_factor=1)])",
                    broker.bootstrap], check=True, timeout=60)
    produce(broker, topic, 0, 600)
    a = Member(broker, topic, group, "a")
    b = Member(broker, topic, group, "b")
    members = [a, b]
    try:
        wait_for(lambda: covers([a, b], 6) and a.assignment and b.assignment,
                 members, 60, "a and b to split 6 partitions")
        assert len(a.assignment) == 3 and len(b.assignment) == 3
        wait_for(lambda: len(a.messages) + len(b.messages) >= 600, members, 60,
                 "the first 600 messages")

        c = Member(broker, topic, group, "c")
        members.append(c)
        wait_for(lambda: covers([a, b, c], 6) and all(
            m.assignment and len(m.assignment) == 2 for m in (a, b, c)),
                 members, 60, "three members with two partitions each")
        produce(broker, topic, 600, 300)
        wait_for(lambda: len(set(v for m in members for (_, _, v) in m.messages)) >= 900,
                 members, 60, "900 distinct messages")
        seen = [v for m in members for (_, _, v) in m.messages]
        # Commits follow processing, so the clean rebalance replays nothing.
        assert len(seen) == len(set(seen)), "duplicates across a clean rebalance"

        killed_at = time.monotonic()
        b.kill()
        moved_at = wait_for(lambda: covers([a, c], 6), [a, c], 30,
                            "a and c to take over b's partitions")
        assert moved_at - killed_at < SESSION_TIMEOUT_S + 10
        produce(broker, topic, 900, 300)
        wait_for(lambda: len(set(v for m in members for (_, _, v) in m.messages)) >= 1200,
                 [a, c], 60, "all 1200 messages")
        got = set(v for m in members for (_, _, v) in m.messages)
        assert got == set("m%d" % i for i in range(1200))
    finally:
        for m in members:
            m.stop()
