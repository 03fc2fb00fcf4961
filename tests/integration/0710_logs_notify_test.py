"""systemd integration: Type=notify readiness (READY=1 once Kafka clients
are served, STOPPING=1 on SIGTERM) through $NOTIFY_SOCKET, and the log
formats (journald priority prefixes, JSON lines)."""
import json
import os
import shutil
import socket
import tempfile

from samsa_harness import Broker, new_workdir


def test_sd_notify_ready_and_stopping(monkeypatch):
    tmp = tempfile.mkdtemp(prefix="samsa-notify-")
    path = os.path.join(tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    b = Broker(new_workdir())
    try:
        b.start()
        msg = sock.recv(4096).decode()
        assert "READY=1" in msg.split("\n"), msg
        assert "STATUS=serving Kafka on 127.0.0.1:%d" % b.port in msg
        # Ready means served: a Kafka connection and /health/ready work now.
        socket.create_connection(("127.0.0.1", b.port), timeout=5).close()
        assert b.stop() == 0
        msg = sock.recv(4096).decode()
        assert "STOPPING=1" in msg.split("\n"), msg
    finally:
        b.kill()
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(b.workdir, ignore_errors=True)


def lines_of(yaml):
    b = Broker(new_workdir(), yaml)
    try:
        b.start()
        assert b.stop() == 0
        return [l for l in b.log_text().splitlines() if l]
    finally:
        b.kill()
        shutil.rmtree(b.workdir, ignore_errors=True)


def test_journald_lines_have_priority_prefixes():
    lines = lines_of("log_format: journald")
    assert lines and all(l[:3] in ("<3>", "<4>", "<6>", "<7>") for l in lines), lines
    assert any(l.startswith("<6>samsad ") and "listening on" in l for l in lines)


def test_json_lines_parse_one_object_each():
    lines = lines_of("log_format: json")
    objs = [json.loads(l) for l in lines]
    assert all(set(o) == {"ts", "level", "msg"} for o in objs)
    assert any(o["level"] == "info" and "listening on" in o["msg"] for o in objs)


def test_journal_stream_picks_journald_by_default(monkeypatch):
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    lines = lines_of("")
    assert lines and all(l.startswith("<") for l in lines), lines


def test_bad_log_format_is_a_config_error_with_file_and_line():
    b = Broker(new_workdir(), "log_format: xml")
    try:
        try:
            b.start()
            raise AssertionError("samsad started with log_format: xml")
        except RuntimeError:
            pass
        text = b.log_text()
        assert "samsa.yaml:" in text and "log_format 'xml'" in text, text
    finally:
        b.kill()
        shutil.rmtree(b.workdir, ignore_errors=True)
