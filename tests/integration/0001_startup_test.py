# SPDX-License-Identifier: Apache-2.0
"""samsad starts, accepts connections, and stops cleanly on SIGTERM;
bad configuration stops it from starting with a clear message."""
import os
import socket
import subprocess

from samsa_harness import SAMSAD, PLUGIN_DIR, ROOT


def test_accepts_connections_and_stops_cleanly(broker):
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", broker.port), timeout=2):
            pass
    assert broker.stop() == 0, broker.log_text()


def test_sigterm_with_an_open_idle_connection(broker):
    s = socket.create_connection(("127.0.0.1", broker.port), timeout=2)
    try:
        assert broker.stop() == 0, broker.log_text()
    finally:
        s.close()


def test_version_and_help():
    out = subprocess.run([SAMSAD, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "samsad" in out.stdout
    out = subprocess.run([SAMSAD, "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for flag in ("--listen", "--data-dir", "--conf-dir", "--plugin-dir",
                 "--check-config", "--version"):
        assert flag in out.stdout


def test_check_config_lists_default_plugins(tmp_path):
    out = subprocess.run([SAMSAD, "--check-config", "--conf-dir",
                          os.path.join(ROOT, "conf.d"), "--plugin-dir", PLUGIN_DIR,
                          "--data-dir", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    for name in ("storage-segment", "codec-zstd", "partitioner-hash"):
        assert name in text


def test_unknown_manifest_key_is_a_startup_error_with_file_and_line(broker_factory):
    b = broker_factory()
    with open(os.path.join(b.conf_dir, "zz-bad.yaml"), "w") as f:
        f.write("plugins:\n  - name: bad\n    plugin: codec-gzip\n    colour: blue\n")
    out = subprocess.run([SAMSAD, "--listen", b.bootstrap, "--data-dir", b.data_dir,
                          "--conf-dir", b.conf_dir, "--plugin-dir", PLUGIN_DIR,
                          "--http-listen", "none"],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode != 0
    assert "zz-bad.yaml:4" in out.stderr, out.stderr
    assert "colour" in out.stderr
