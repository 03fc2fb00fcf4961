# SPDX-License-Identifier: Apache-2.0
"""Helpers the Connect tests share: Kafka Connect's REST calls (as its
documentation shows them, here through urllib), waiting, and reading a
topic or a sink's file."""
import json
import time
import urllib.error
import urllib.request

from kafka import KafkaConsumer


def call(broker, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(broker.http + path, data=data, method=method,
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, json.loads(text) if text else None


def wait_for(pred, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def wait_ready(broker):
    def ready():
        try:
            return call(broker, "GET", "/connectors")[0] == 200
        except urllib.error.URLError:
            return False  # 503 while the worker replays its topics
    wait_for(ready, "the Connect worker")


def read_topic(broker, topic, n, timeout=30):
    c = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap,
                      auto_offset_reset="earliest", enable_auto_commit=False,
                      consumer_timeout_ms=2000)
    got, deadline = [], time.time() + timeout
    while len(got) < n and time.time() < deadline:
        for msgs in c.poll(500).values():
            got.extend(msgs)
    # One more short poll: anything past n is a duplicate.
    for msgs in c.poll(500).values():
        got.extend(msgs)
    c.close()
    return got


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def state(broker, name):
    code, st = call(broker, "GET", "/connectors/%s/status" % name)
    return st["connector"]["state"] if code == 200 else None
