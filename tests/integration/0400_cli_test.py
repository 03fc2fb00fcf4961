# SPDX-License-Identifier: Apache-2.0
"""The samsa command line against samsad: topics, produce/consume round
trips with kcat, groups and lag, kafka-python seeing a created topic."""
import json
import subprocess

from samsa_harness import SAMSA_CLI, PLUGIN_DIR, ROOT


def samsa(broker, *args, input=None, rc=0, timeout=60):
    out = subprocess.run([SAMSA_CLI] + list(args) +
                         ["-b", broker.bootstrap, "--conf-dir", broker.conf_dir,
                          "--plugin-dir", PLUGIN_DIR],
                         input=input, capture_output=True, timeout=timeout)
    assert out.returncode == rc, (out.returncode, out.stderr.decode(errors="replace"))
    return out.stdout


def kcat(broker, *args, input=None):
    out = subprocess.run(["kcat", "-b", broker.bootstrap] + list(args),
                         input=input, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout


def test_topic_create_list_describe_delete(broker):
    samsa(broker, "topic", "create", "t1", "--partitions", "3")
    assert b"t1" in samsa(broker, "topic", "list").split()
    desc = samsa(broker, "topic", "describe", "t1").decode()
    assert "PartitionCount: 3" in desc and desc.count("Partition: ") == 3
    samsa(broker, "topic", "create", "t1", rc=1)   # TOPIC_ALREADY_EXISTS
    samsa(broker, "topic", "alter", "t1", "--partitions", "5")
    assert "PartitionCount: 5" in samsa(broker, "topic", "describe", "t1").decode()
    samsa(broker, "topic", "delete", "t1")
    assert b"t1" not in samsa(broker, "topic", "list").split()


def test_topic_configs_on_create_and_alter(broker):
    """--config K=V is a topic config (as kafka-topics has it), on create and
    on alter; --delete-config removes it."""
    samsa(broker, "topic", "create", "tc", "--config", "retention.ms=123456")
    desc = samsa(broker, "topic", "describe", "tc").decode()
    assert "retention.ms=123456" in desc, desc
    samsa(broker, "topic", "alter", "tc", "--config", "cleanup.policy=compact")
    desc = samsa(broker, "topic", "describe", "tc").decode()
    assert "cleanup.policy=compact" in desc and "retention.ms=123456" in desc, desc
    samsa(broker, "topic", "alter", "tc", "--delete-config", "retention.ms")
    assert "retention.ms" not in samsa(broker, "topic", "describe", "tc").decode()


def test_samsa_produce_kcat_consume_keys_values_headers(broker):
    samsa(broker, "topic", "create", "rt", "--partitions", "1")
    lines = b"".join(b"k%d:value %d \xc3\xa9\n" % (i, i) for i in range(100))
    samsa(broker, "produce", "-t", "rt", "-K", ":", "-H", "h1=v1",
          "-H", "trace=abc", "-z", "lz4", input=lines)
    out = kcat(broker, "-C", "-t", "rt", "-o", "beginning", "-e",
               "-f", "%k|%s|%h\n").splitlines()
    assert len(out) == 100
    for i, line in enumerate(out):
        assert line == b"k%d|value %d \xc3\xa9|h1=v1,trace=abc" % (i, i)


def test_kcat_produce_samsa_consume_json(broker):
    lines = b"".join(b"key%d:val\"%d\n" % (i, i) for i in range(50))
    kcat(broker, "-P", "-t", "kj", "-p", "0", "-K", ":", "-z", "zstd",
         "-H", "a=1", "-H", "b=2", input=lines)
    out = samsa(broker, "consume", "-t", "kj", "--from-beginning", "-e",
                "--format", "json").splitlines()
    assert len(out) == 50
    for i, line in enumerate(out):
        rec = json.loads(line)
        assert rec["key"] == "key%d" % i
        assert rec["value"] == 'val"%d' % i
        assert rec["partition"] == 0 and rec["offset"] == i
        assert rec["headers"] == [{"key": "a", "value": "1"},
                                  {"key": "b", "value": "2"}]
    kv = samsa(broker, "consume", "-t", "kj", "--from-beginning", "-n", "2",
               "--format", "key-value")
    assert kv == b'key0:val"0\nkey1:val"1\n'


def test_group_describe_reports_lag(broker):
    samsa(broker, "topic", "create", "lag", "--partitions", "2")
    samsa(broker, "produce", "-t", "lag", "-p", "0",
          input=b"".join(b"a%d\n" % i for i in range(30)))
    samsa(broker, "produce", "-t", "lag", "-p", "1",
          input=b"".join(b"b%d\n" % i for i in range(20)))
    # commit 10 on partition 0 and 5 on partition 1 on purpose
    samsa(broker, "group", "reset-offsets", "g", "--topic", "lag",
          "--to-earliest", "--execute")
    out = samsa(broker, "consume", "-t", "lag", "-g", "g", "-n", "50",
                "--from-beginning")
    assert len(out.splitlines()) == 50
    samsa(broker, "group", "reset-offsets", "g", "--topic", "lag",
          "--to-offset", "10", "--execute")
    desc = samsa(broker, "group", "describe", "g").decode()
    rows = {}
    for line in desc.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0] == "g" and f[1] == "lag":
            rows[int(f[2])] = (int(f[3]), int(f[4]), int(f[5]))
    assert rows == {0: (10, 30, 20), 1: (10, 20, 10)}, desc
    assert b"g" in samsa(broker, "group", "list").split()
    samsa(broker, "group", "delete", "g")


def test_topic_create_is_seen_by_kafka_python(broker):
    from kafka import KafkaConsumer
    samsa(broker, "topic", "create", "seen-by-python", "--partitions", "4")
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    try:
        assert "seen-by-python" in c.topics()
        assert c.partitions_for_topic("seen-by-python") == {0, 1, 2, 3}
    finally:
        c.close()


def test_perf_prints_a_json_summary(broker):
    out = samsa(broker, "perf", "produce", "-t", "perf", "--num-records",
                "5000", "--record-size", "50")
    s = json.loads(out)
    assert s["records"] == 5000 and s["failed"] == 0
    assert s["latency_ms"]["p99"] >= s["latency_ms"]["p50"] > 0
    s = json.loads(samsa(broker, "perf", "consume", "-t", "perf",
                         "--num-records", "5000"))
    assert s["records"] == 5000 and s["bytes"] == 5000 * 50


def test_usage_errors_and_help(broker):
    for cmd in (["topic"], ["produce"], ["consume"], ["group"],
                ["cluster"], ["perf"]):
        out = subprocess.run([SAMSA_CLI] + cmd + ["--help"],
                             capture_output=True)
        assert out.returncode == 0 and b"usage" in out.stdout
    samsa(broker, "produce", rc=2)                       # no --topic
    samsa(broker, "consume", "-t", "x", "--bogus", rc=2)
    out = subprocess.run([SAMSA_CLI, "topic", "list", "-b", "127.0.0.1:1"],
                         capture_output=True)
    assert out.returncode == 1 and b"connect 127.0.0.1:1" in out.stderr
    assert b"Cluster:" in samsa(broker, "cluster", "info")
