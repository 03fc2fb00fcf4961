"""What one request may create: max_partitions_per_request and
max_broker_partitions refuse with POLICY_VIOLATION (44) before any file is
made; a large CreateTopics runs off the reactors, so other clients on the
same reactor are answered meanwhile."""
import os
import subprocess
import textwrap
import threading
import time


def py(code, *args, timeout=180):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


CREATE = """
    import sys
    from confluent_kafka.admin import AdminClient, NewTopic
    from confluent_kafka import KafkaException
    a = AdminClient({"bootstrap.servers": sys.argv[1]})
    specs = [s.split(":") for s in sys.argv[2:]]
    fs = a.create_topics([NewTopic(n, int(p), 1) for n, p in specs],
                         request_timeout=120, operation_timeout=120)
    for n, _ in specs:
        try:
            fs[n].result(150)
            print(n, 0)
        except KafkaException as e:
            print(n, e.args[0].code())
    """

GROW = """
    import sys
    from confluent_kafka.admin import AdminClient, NewPartitions
    from confluent_kafka import KafkaException
    a = AdminClient({"bootstrap.servers": sys.argv[1]})
    f = a.create_partitions([NewPartitions(sys.argv[2], int(sys.argv[3]))])
    try:
        f[sys.argv[2]].result(60)
        print(0)
    except KafkaException as e:
        print(e.args[0].code())
    """


def codes(out):
    return dict(line.split() for line in out.splitlines())


def partition_dirs(b, prefix):
    return [d for d in os.listdir(b.data_dir) if d.startswith(prefix + "-")]


def test_per_request_limit_refuses_before_creating_anything(broker):
    out = py(CREATE, broker.bootstrap, "huge:10001")
    assert codes(out) == {"huge": "44"}, out
    out = py(CREATE, broker.bootstrap, "half1:6000", "half2:6000")
    assert codes(out) == {"half1": "44", "half2": "44"}, out
    assert partition_dirs(broker, "huge") == [] and partition_dirs(broker, "half1") == []


def test_per_broker_limit(broker_factory):
    b = broker_factory("max_broker_partitions: 10").start()
    # Internal topics count too (a few partitions at most).
    assert codes(py(CREATE, b.bootstrap, "a:5")) == {"a": "0"}
    assert codes(py(CREATE, b.bootstrap, "b:6")) == {"b": "44"}
    assert partition_dirs(b, "b") == []
    assert py(GROW, b.bootstrap, "a", "11").strip() == "44"
    assert py(GROW, b.bootstrap, "a", "6").strip() == "0"
    assert b.stop() == 0


def test_a_large_create_does_not_hold_up_other_clients(broker_factory):
    # One reactor: every connection shares it, as on a busy broker.
    b = broker_factory("reactors: 1").start()
    done = {}

    def create():
        done["out"] = py(CREATE, b.bootstrap, "wide:3000")
        done["create"] = time.monotonic()

    t = threading.Thread(target=create)
    t.start()
    time.sleep(0.3)   # the CreateTopics request is on its way or running
    py("""
        import sys
        from confluent_kafka.admin import AdminClient
        AdminClient({"bootstrap.servers": sys.argv[1]}).list_topics(timeout=60)
        """, b.bootstrap)
    done["metadata"] = time.monotonic()
    t.join(200)
    assert codes(done["out"]) == {"wide": "0"}, done["out"]
    assert done["metadata"] < done["create"], done
    # Logs are made as the node applies the topic; the answer waits for
    # that only so long (3 s), as Kafka's makes them after answering.
    deadline = time.monotonic() + 60
    while len(partition_dirs(b, "wide")) < 3000 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(partition_dirs(b, "wide")) == 3000
    assert b.stop(timeout=120) == 0   # closing writes files per partition


def test_more_partitions_than_file_descriptors():
    """Partitions hold no fd at rest: 600 partitions (and writes to some of
    them) under a 256-fd limit, where one fd per partition failed half-way
    and left orphan directories."""
    import resource
    import shutil

    import samsa_harness
    from samsa_harness import Broker, new_workdir

    b = Broker(new_workdir())
    orig = samsa_harness.subprocess.Popen

    def popen(*a, **kw):
        kw["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        return orig(*a, **kw)

    samsa_harness.subprocess.Popen = popen
    try:
        b.start()
    finally:
        samsa_harness.subprocess.Popen = orig
    try:
        out = py(CREATE, b.bootstrap, "fd1:300", "fd2:300")
        assert codes(out) == {"fd1": "0", "fd2": "0"}, out + b.log_text()[-3000:]
        # Made as the node applies the topics (the answer waits 3 s at most).
        deadline = time.monotonic() + 60
        while len(partition_dirs(b, "fd1")) + len(partition_dirs(b, "fd2")) < 600 \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(partition_dirs(b, "fd1")) + len(partition_dirs(b, "fd2")) == 600
        out = py("""
            import sys
            from confluent_kafka import Producer
            p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 5})
            for i in range(0, 300, 3):
                p.produce("fd1", value=b"v%d" % i, partition=i)
                p.produce("fd2", value=b"w%d" % i, partition=i)
            print(p.flush(60))
            """, b.bootstrap)
        assert out.strip() == "0", out + b.log_text()[-3000:]
        got = subprocess.run(["kcat", "-b", b.bootstrap, "-C", "-t", "fd2", "-p", "297",
                              "-o", "beginning", "-e", "-q"], capture_output=True, timeout=30)
        assert got.stdout.split() == [b"w297"], got
        assert b.stop(timeout=120) == 0
    finally:
        b.kill()
        shutil.rmtree(b.workdir, ignore_errors=True)
