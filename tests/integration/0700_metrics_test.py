"""The HTTP listener: /health/live, /health/ready and /metrics parsed with
prometheus_client's text-format parser after a produce/consume run
(counters match what was sent; consumer lag in records and in seconds,
checked against a consumer stopped on purpose for a known time)."""
import socket
import subprocess
import time
import urllib.error
import urllib.request

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from samsa_harness import PLUGIN_DIR, SAMSAD


def get(broker, path):
    with urllib.request.urlopen(broker.http + path, timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def scrape(broker):
    """{(name, frozenset(labels)): value} for every sample."""
    status, ctype, text = get(broker, "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def create_topic(broker, name, partitions):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    admin.close()


def test_health_endpoints(broker):
    assert get(broker, "/health/live")[0] == 200
    # Ready once everything started, a few ms after the Kafka port opens
    # (which is all the harness waits for): 503 until then.
    deadline = time.monotonic() + 10
    while True:
        try:
            status, _, body = get(broker, "/health/ready")
            break
        except urllib.error.HTTPError as e:
            assert e.code == 503 and time.monotonic() < deadline, e
            time.sleep(0.05)
    assert status == 200 and body.strip() == "ready"
    try:
        get(broker, "/no/such/page")
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as e:
        assert e.code == 404


def test_http_listener_in_use_is_a_startup_error(broker):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        taken = s.getsockname()[1]
        out = subprocess.run(
            [SAMSAD, "--listen", "127.0.0.1:0", "--data-dir", broker.data_dir + "-2",
             "--conf-dir", broker.conf_dir, "--plugin-dir", PLUGIN_DIR,
             "--http-listen", "127.0.0.1:%d" % taken],
            capture_output=True, text=True, timeout=20)
    assert out.returncode == 1
    assert "127.0.0.1:%d" % taken in out.stderr, out.stderr


def test_counters_match_a_produce_consume_run(broker):
    create_topic(broker, "mt", 2)
    n = 300
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=5)
    for i in range(n):
        p.send("mt", key=b"k%d" % i, value=b"v" * 50, partition=i % 2)
    p.flush()
    p.close()
    c = KafkaConsumer("mt", bootstrap_servers=broker.bootstrap, group_id="mt-g",
                      auto_offset_reset="earliest", enable_auto_commit=False)
    got = 0
    deadline = time.time() + 60
    while got < n and time.time() < deadline:
        for msgs in c.poll(500).values():
            got += len(msgs)
    c.commit()
    c.close()
    assert got == n

    m = scrape(broker)
    assert value(m, "kafka_server_brokertopicmetrics_messagesin_total", topic="mt") == n
    assert value(m, "kafka_server_brokertopicmetrics_bytesin_total", topic="mt") > n * 50
    assert value(m, "samsa_topic_records_out_total", topic="mt") == n
    assert value(m, "kafka_server_brokertopicmetrics_bytesout_total", topic="mt") > n * 50
    assert value(m, "kafka_server_brokertopicmetrics_totalproducerequests_total",
                 topic="mt") >= 2  # one per partition at least
    assert value(m, "kafka_server_brokertopicmetrics_totalfetchrequests_total",
                 topic="mt") >= 2
    assert value(m, "kafka_server_brokertopicmetrics_failedproducerequests_total",
                 topic="mt") == 0
    ends = [value(m, "kafka_log_log_logendoffset", topic="mt", partition=str(i))
            for i in range(2)]
    assert ends == [n / 2, n / 2]
    assert value(m, "kafka_log_log_size", topic="mt", partition="0") > 0
    produces = sum(v for (name, labels), v in m.items()
                   if name == "kafka_network_requestmetrics_requests_total"
                   and ("request", "Produce") in labels)
    assert produces >= 1
    assert value(m, "kafka_network_requestmetrics_totaltimems_count",
                 request="Produce") == produces
    assert value(m, "kafka_network_requestmetrics_totaltimems_bucket",
                 request="Produce", le="+Inf") == produces
    for phase in ("requestqueuetimems", "localtimems", "responsesendtimems"):
        assert value(m, "kafka_network_requestmetrics_%s_count" % phase,
                     request="Produce") == produces, phase
    for i in range(2):
        assert value(m, "kafka_consumergroup_lag", consumergroup="mt-g",
                     topic="mt", partition=str(i)) == 0
        assert value(m, "kafka_consumergroup_current_offset", consumergroup="mt-g",
                     topic="mt", partition=str(i)) == n / 2
    assert value(m, "kafka_server_socket_server_metrics_connection_creation_total") >= 2
    assert value(m, "samsa_plugin_loaded", instance="segment",
                 plugin="storage-segment", kind="storage") == 1


def test_produce_errors_are_counted_by_code(broker):
    create_topic(broker, "me", 1)
    # A record over the broker's message_max_bytes (the client's own limit
    # raised so the request reaches the broker).
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, retries=0,
                      max_request_size=3_000_000)
    fut = p.send("me", value=b"x" * 2_000_000, partition=0)
    try:
        fut.get(timeout=20)
    except Exception:
        pass
    p.close()
    m = scrape(broker)
    errs = {dict(labels)["error"]: v for (name, labels), v in m.items()
            if name == "kafka_network_requestmetrics_errors_total"
            and dict(labels).get("request") == "Produce"}
    assert errs.get("MESSAGE_TOO_LARGE", 0) >= 1, errs
    assert value(m, "kafka_server_brokertopicmetrics_failedproducerequests_total",
                 topic="me") >= 1
    assert value(m, "kafka_server_brokertopicmetrics_totalproducerequests_total",
                 topic="me") >= value(
        m, "kafka_server_brokertopicmetrics_failedproducerequests_total", topic="me")


def test_lag_in_seconds_of_a_consumer_stopped_on_purpose(broker):
    create_topic(broker, "lag", 1)
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=0)

    def send_for(seconds):
        end = time.time() + seconds
        while time.time() < end:
            p.send("lag", value=b"tick", partition=0)
            p.flush()
            time.sleep(0.05)

    send_for(0.5)
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id="lag-g",
                      enable_auto_commit=False)
    tp = TopicPartition("lag", 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    end = c.end_offsets([tp])[tp]
    while c.position(tp) < end:
        c.poll(200)
    c.commit()
    c.close()
    stopped = time.time()  # the consumer stops here, caught up

    m = scrape(broker)
    assert value(m, "kafka_consumergroup_lag", consumergroup="lag-g",
                 topic="lag", partition="0") == 0
    assert value(m, "kafka_consumergroup_group_lag_seconds", group="lag-g",
                 topic="lag", partition="0") == 0

    stop_for = 3.0
    send_for(stop_for)
    p.close()
    elapsed = time.time() - stopped
    m = scrape(broker)
    assert value(m, "kafka_consumergroup_lag", consumergroup="lag-g",
                 topic="lag", partition="0") > 20
    secs = value(m, "kafka_consumergroup_group_lag_seconds", group="lag-g",
                 topic="lag", partition="0")
    # The first unconsumed record was written right after the stop, the
    # newest one just before the scrape.
    assert elapsed - 0.8 <= secs <= elapsed + 0.2, (secs, elapsed)


def test_dashboard_and_alert_rules_read_metrics_samsad_exports(broker):
    """packaging/monitoring: every metric the Grafana dashboard and the
    alert rules query is a family in /metrics."""
    import json
    import os
    import re
    import yaml
    from samsa_harness import ROOT
    mon = os.path.join(ROOT, "packaging", "monitoring")
    with open(os.path.join(mon, "samsa-dashboard.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    with open(os.path.join(mon, "samsa-alerts.yml")) as f:
        rules = yaml.safe_load(f)
    exprs += [r["expr"] for g in rules["groups"] for r in g["rules"]]
    wanted = set()
    for e in exprs:
        wanted |= set(re.findall(r"\b((?:kafka|samsa|process)_[a-z0-9_]+)", e))
    assert len(wanted) > 10
    create_topic(broker, "dash", 1)
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    p.send("dash", key=b"k", value=b"v").get(timeout=20)
    p.close()
    status, _, text = get(broker, "/metrics")
    names = set()
    for fam in text_string_to_metric_families(text):
        names.add(fam.name)
        names |= {s.name for s in fam.samples}
    missing = sorted(n for n in wanted
                     if n not in names and n.removesuffix("_total") not in names)
    assert not missing, missing


def test_lag_history_is_sampled_for_the_console(broker_factory):
    import json
    b = broker_factory("lag_history_interval_ms: 100").start()
    create_topic(b, "hist", 1)
    p = KafkaProducer(bootstrap_servers=b.bootstrap)
    for _ in range(10):
        p.send("hist", value=b"x")
    p.flush()
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id="hist-g",
                      enable_auto_commit=False)
    tp = TopicPartition("hist", 0)
    c.assign([tp])
    c.seek(tp, 4)
    c.commit()
    c.close()
    deadline = time.time() + 20
    hist = []
    while time.time() < deadline and len(hist) < 3:
        time.sleep(0.2)
        groups = json.loads(get(b, "/api/groups")[2])["groups"]
        hist = next((g["history"] for g in groups if g["group"] == "hist-g"), [])
    assert len(hist) >= 3, hist
    t, records, seconds = hist[-1]
    assert records == 6 and abs(t / 1000 - time.time()) < 60
    assert [h[0] for h in hist] == sorted(h[0] for h in hist)
    p.close()


def test_a_deleted_topic_leaves_metrics(broker):
    create_topic(broker, "gone", 1)
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    p.send("gone", key=b"k", value=b"v").get(timeout=20)
    p.close()
    m = scrape(broker)
    assert value(m, "kafka_server_brokertopicmetrics_messagesin_total", topic="gone") == 1
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.delete_topics(["gone"])
    admin.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        m = scrape(broker)
        if value(m, "kafka_server_brokertopicmetrics_messagesin_total",
                 topic="gone") is None:
            break
        time.sleep(0.1)
    assert value(m, "kafka_server_brokertopicmetrics_messagesin_total", topic="gone") is None
    assert not [k for k in m if k[0] == "samsa_partition_hot_key_share"
                and ("topic", "gone") in k[1]]
