"""Process-level guards of samsad: one broker per data dir (Kafka's .lock).
(A file-size limit failing appends instead of killing the broker with
SIGXFSZ: 0500_storage_faults_test.py.)"""
import subprocess

from samsa_harness import PLUGIN_DIR, SAMSAD, free_port


def test_second_broker_on_the_same_data_dir_exits_naming_the_holder(broker):
    out = subprocess.run([SAMSAD, "--listen", "127.0.0.1:%d" % free_port(),
                          "--data-dir", broker.data_dir, "--conf-dir", broker.conf_dir,
                          "--plugin-dir", PLUGIN_DIR],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 1, out.stderr
    assert "in use by process %d" % broker.proc.pid in out.stderr, out.stderr
    assert ".lock" in out.stderr, out.stderr
    assert broker.alive(), broker.log_text()
    # The lock goes with its holder: a restart on the same dir works.
    broker.restart()

