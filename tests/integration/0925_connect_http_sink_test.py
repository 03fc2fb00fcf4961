# SPDX-License-Identifier: Apache-2.0
"""The HTTP sink (plugins/sink-http) against an HTTP server this test
runs, which answers every third request 503 and refuses (400) any body
holding a "bad" record: every good record arrives exactly once, in
batches, through the retries; the bad one goes to the dead-letter topic
with the error context (stage TASK_PUT); with errors.tolerance=none the
task fails naming the record."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kafka import KafkaProducer

from connect_rest import call, read_topic, state, wait_for, wait_ready


class Flaky(BaseHTTPRequestHandler):
    lock = threading.Lock()
    requests = 0
    failed = 0
    batches = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with Flaky.lock:
            Flaky.requests += 1
            n = Flaky.requests
        if n % 3 == 0:
            Flaky.failed += 1
            code, text = 503, b"try again"
        elif b"bad" in body:
            code, text = 400, b"bad record"
        else:
            with Flaky.lock:
                Flaky.batches.append(json.loads(body))
            code, text = 200, b"ok"
        self.send_response(code)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args):
        pass


def test_http_sink_batches_retries_and_dead_letters(broker_factory):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/ingest" % server.server_address[1]
    broker = broker_factory("connect_enabled: true").start()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    values = [{"n": i} for i in range(30)]
    values[13] = {"n": "bad"}
    for v in values:
        p.send("events", key=b"k", value=json.dumps(v).encode())
    p.flush()
    p.close()
    wait_ready(broker)
    base = {"connector.class": "HttpSink", "topics": "events",
            "http.api.url": url, "batch.max.size": "5",
            "retry.backoff.ms": "20", "max.retries": "5",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    code, info = call(broker, "POST", "/connectors", {"name": "web", "config": dict(
        base, **{"errors.tolerance": "all",
                 "errors.deadletterqueue.topic.name": "events-dlq",
                 "errors.deadletterqueue.context.headers.enable": "true"})})
    assert code == 201, info
    good = [v for v in values if v["n"] != "bad"]

    def delivered():
        with Flaky.lock:
            return sorted((r for b in Flaky.batches for r in b),
                          key=lambda r: r["n"])
    wait_for(lambda: len(delivered()) >= len(good), "every good record")
    assert delivered() == good  # each once
    assert Flaky.failed >= 3  # the retries went through 503s
    assert len(Flaky.batches) < len(good)  # batched
    assert max(len(b) for b in Flaky.batches) == 5
    dead = read_topic(broker, "events-dlq", 1)
    assert [(m.key, m.value) for m in dead] == [(b"k", b'{"n": "bad"}')]
    h = dict(dead[0].headers)
    assert h["__connect.errors.stage"] == b"TASK_PUT"
    assert h["__connect.errors.offset"] == b"13"
    assert b"HTTP 400" in h["__connect.errors.exception.message"]
    assert state(broker, "web") == "RUNNING"

    # errors.tolerance=none: the refused record fails the task.
    code, _ = call(broker, "POST", "/connectors", {"name": "strict", "config": base})
    assert code == 201
    wait_for(lambda: state(broker, "strict") == "FAILED", "FAILED")
    trace = call(broker, "GET", "/connectors/strict/status")[1]["tasks"][0]["trace"]
    assert "events-0 offset 13" in trace and "HTTP 400" in trace, trace
    server.shutdown()
