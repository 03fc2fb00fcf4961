"""Hot keys: a producer sends 30 % of its records with one key; the broker's
top-K sketch reports that key first, with a share within 2 points, through
`samsa topic hot-keys`, /api/hot-keys and /metrics; the CLI suggests the
salted or compound partitioner for the partition it dominates."""
import json
import random
import re
import subprocess
import urllib.request

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from samsa_harness import SAMSA_CLI


def test_a_key_with_30_percent_of_records_is_reported_first(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("hk", num_partitions=3, replication_factor=1)])
    admin.close()
    rnd = random.Random(17)
    n = 3000
    hot = set(rnd.sample(range(n), int(n * 0.30)))
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=5)
    for i in range(n):
        key = b"user-42" if i in hot else b"user-%d" % (1000 + i)
        p.send("hk", key=key, value=b"x" * 20)
    p.flush()
    p.close()

    out = subprocess.run([SAMSA_CLI, "topic", "hot-keys", "hk",
                          "--http", "127.0.0.1:%d" % broker.http_port],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    topic_at = next(i for i, l in enumerate(lines) if l.startswith("topic:"))
    first = lines[topic_at + 2].split()
    assert first[0] == "1" and first[3] == "user-42", out.stdout
    share = float(first[1].rstrip("%"))
    assert abs(share - 30.0) <= 2.0, out.stdout
    assert "suggestion: key 'user-42'" in out.stdout
    assert "salted" in out.stdout and "compound" in out.stdout

    with urllib.request.urlopen(broker.http + "/api/hot-keys?topic=hk") as r:
        doc = json.load(r)
    parts = doc["partitions"]
    assert sum(p["records"] for p in parts) == n
    home = max(parts, key=lambda p: p["keys"][0]["records"] if p["keys"] else 0)
    assert home["keys"][0]["key"] == "user-42"
    assert home["keys"][0]["records"] == len(hot)

    with urllib.request.urlopen(broker.http + "/metrics") as r:
        text = r.read().decode()
    m = re.search(r'samsa_partition_hot_key_share\{topic="hk",partition="%d",'
                  r'key="user-42"\} ([0-9.e-]+)' % home["partition"], text)
    assert m and abs(float(m.group(1)) - len(hot) / home["records"]) < 1e-9


def test_unknown_topic_is_an_error(broker):
    out = subprocess.run([SAMSA_CLI, "topic", "hot-keys", "nope",
                          "--http", "127.0.0.1:%d" % broker.http_port],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "unknown topic" in out.stderr


def test_compressed_batches_are_sampled_for_hot_keys(broker):
    """gzip batches are read one in four (the sketch decompresses them):
    the share still comes out right."""
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("hkz", num_partitions=1, replication_factor=1)])
    admin.close()
    n = 8000
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, compression_type="gzip",
                      linger_ms=2, batch_size=1024)
    for i in range(n):
        key = b"tenant-7" if i % 10 in (0, 3, 6) else b"t-%d" % i
        p.send("hkz", key=key, value=b"payload-%d" % i)
    p.flush()
    p.close()
    with urllib.request.urlopen(broker.http + "/api/hot-keys?topic=hkz") as r:
        doc = json.load(r)
    part = doc["partitions"][0]
    top = part["keys"][0]
    assert top["key"] == "tenant-7", part
    assert abs(top["share"] - 0.30) <= 0.02, part
    # Weighted by the sampling rate: about the records sent.
    assert abs(part["records"] - n) <= n * 0.15, part
