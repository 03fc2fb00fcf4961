"""Damaged or missing metadata files: one bad topic .meta takes only that
topic offline (the rest serve, the log says how to repair it); a lost .meta
does not let auto-creation adopt the old data with default settings; a
garbage cluster_id stops the start with a readable message."""
import os
import shutil
import subprocess
import textwrap

import pytest

from samsa_harness import Broker, new_workdir


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def produce(bootstrap, topic, lines):
    subprocess.run(["kcat", "-b", bootstrap, "-P", "-t", topic, "-p", "0"],
                   input=b"".join(l + b"\n" for l in lines), check=True, timeout=30)


def consume(bootstrap, topic):
    out = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-p", "0",
                          "-o", "beginning", "-e", "-q"], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


TOPIC_ERROR = """
    import sys
    from confluent_kafka.admin import AdminClient
    md = AdminClient({"bootstrap.servers": sys.argv[1]}).list_topics(
        topic=sys.argv[2], timeout=20)
    t = md.topics[sys.argv[2]]
    print(t.error.code() if t.error else 0)
    """


@pytest.fixture
def stopped():
    b = Broker(new_workdir())
    yield b
    b.kill()
    shutil.rmtree(b.workdir, ignore_errors=True)


def meta(b, topic):
    return os.path.join(b.data_dir, "__samsa_meta", "topics", topic + ".meta")


def test_a_damaged_meta_takes_only_its_topic_offline(stopped):
    b = stopped.start()
    produce(b.bootstrap, "fine", [b"a", b"b"])
    produce(b.bootstrap, "broken", [b"x"])
    assert b.stop() == 0
    with open(meta(b, "broken"), "wb") as f:
        f.write(b"\x00\x17garbage\npartitions=-3\n")
    b.start()
    assert consume(b.bootstrap, "fine") == [b"a", b"b"]
    produce(b.bootstrap, "other", [b"new"])
    assert consume(b.bootstrap, "other") == [b"new"]
    assert py(TOPIC_ERROR, b.bootstrap, "broken").strip() == "56"   # KAFKA_STORAGE_ERROR
    log = b.log_text()
    assert "topic 'broken' is offline" in log and "To repair" in log, log
    assert b.stop() == 0
    assert os.path.getsize(os.path.join(b.data_dir, "broken-0",
                                        "00000000000000000000.log")) > 0


def test_a_lost_meta_is_not_adopted_by_auto_create(stopped):
    b = stopped.start()
    produce(b.bootstrap, "kept", [b"1", b"2", b"3"])
    assert b.stop() == 0
    os.unlink(meta(b, "kept"))
    b.start()
    # Metadata with auto-creation on: refused, not re-created empty-config.
    assert py(TOPIC_ERROR, b.bootstrap, "kept").strip() == "56"
    assert not os.path.exists(meta(b, "kept"))
    assert "kept.meta is missing" in b.log_text()
    assert b.stop() == 0
    assert os.path.getsize(os.path.join(b.data_dir, "kept-0",
                                        "00000000000000000000.log")) > 0


def test_a_garbage_cluster_id_stops_the_start_readably(stopped):
    stopped.start()
    assert stopped.stop() == 0
    path = os.path.join(stopped.data_dir, "__samsa_meta", "cluster_id")
    with open(path, "wb") as f:
        f.write(b"\x01\xfe\xffbad id\n")
    with pytest.raises(RuntimeError):
        stopped.start()
    stopped.kill()
    with open(stopped.log_path, "rb") as f:
        raw = f.read()
    assert b"\xfe" not in raw and b"\x01" not in raw
    text = raw.decode()
    assert "cluster_id is damaged" in text and "\\x01\\xfe\\xffbad id" in text, text
