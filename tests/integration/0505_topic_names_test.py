"""Topic names follow Kafka's rules end to end: the longest legal names
(247-249 characters, whose file names come close to NAME_MAX) and names
starting with '.' are created, written, read and survive a restart; illegal
names get INVALID_TOPIC_EXCEPTION (17), never an internal code."""
import subprocess
import textwrap


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


CREATE = """
    import sys
    from confluent_kafka.admin import AdminClient, NewTopic
    from confluent_kafka import KafkaException
    a = AdminClient({"bootstrap.servers": sys.argv[1]})
    for name in sys.argv[2:]:
        try:
            a.create_topics([NewTopic(name, 2, 1)])[name].result(30)
            print(name, 0)
        except KafkaException as e:
            print(name, e.args[0].code())
    """

LEGAL = ["L" * 249, "M" * 248, "N" * 247, ".hidden", "..x", "._-.9"]


def consume(bootstrap, topic):
    out = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-p", "1",
                          "-o", "beginning", "-e", "-q"], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_legal_names_work_and_survive_restart(broker):
    out = py(CREATE, broker.bootstrap, *LEGAL)
    assert out.split() == [w for n in LEGAL for w in (n, "0")], out
    for name in LEGAL:
        subprocess.run(["kcat", "-b", broker.bootstrap, "-P", "-t", name, "-p", "1"],
                       input=b"v1\n", check=True, timeout=30)
        assert consume(broker.bootstrap, name) == [b"v1"]
    broker.restart()
    for name in LEGAL:
        assert consume(broker.bootstrap, name) == [b"v1"]
    # Nothing unprintable (uninitialised memory) in the log.
    with open(broker.log_path, "rb") as f:
        raw = f.read()
    assert all(b == 10 or 32 <= b < 127 for b in raw), raw[-2000:]


def test_illegal_names_get_invalid_topic_exception(broker):
    names = ["X" * 250, ".", "..", "has space", "sl/ash"]
    out = py(CREATE, broker.bootstrap, *names)
    codes = dict(line.rsplit(" ", 1) for line in out.splitlines())
    assert codes == {n: "17" for n in names}, out
    # Auto-creation through Metadata names the same error.
    out = py("""
        import sys
        from kafka import KafkaClient
        from kafka.protocol.metadata import MetadataRequest
        c = KafkaClient(bootstrap_servers=sys.argv[1])
        node = c.least_loaded_node()
        while not c.ready(node):
            c.poll(timeout_ms=50)
        f = c.send(node, MetadataRequest[4](topics=[sys.argv[2]],
                                            allow_auto_topic_creation=True))
        while not f.is_done:
            c.poll(timeout_ms=50)
        print(f.value.topics[0][0])
        """, broker.bootstrap, "Y" * 250)
    assert out.strip() == "17", out
