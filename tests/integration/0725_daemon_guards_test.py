"""Process-level guards of samsad: one broker per data dir (Kafka's .lock);
--check-config fails on what start would fail on, and a failing start
writes nothing to the data dir. (A file-size limit failing appends instead
of killing the broker with SIGXFSZ: 0500_storage_faults_test.py.)"""
import os
import shutil
import subprocess

from samsa_harness import PLUGIN_DIR, ROOT, SAMSAD, free_port


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



def run_samsad(*args, data_dir, conf_dir):
    return subprocess.run([SAMSAD, "--data-dir", data_dir, "--conf-dir", conf_dir,
                           "--plugin-dir", PLUGIN_DIR] + list(args),
                          capture_output=True, text=True, timeout=30)


def test_check_config_finds_what_start_would_fail_on(tmp_path):
    conf = tmp_path / "conf.d"
    shutil.copytree(os.path.join(ROOT, "conf.d"), conf)
    data = str(tmp_path / "data")
    # Without a storage engine for topics: both fail, naming the conf dir,
    # and start writes nothing (not even the data dir) first.
    for f in conf.glob("*storage*.yaml"):
        f.unlink()
    for args in (["--check-config"], ["--listen", "127.0.0.1:%d" % free_port()]):
        out = run_samsad(*args, data_dir=data, conf_dir=str(conf))
        assert out.returncode == 1, out.stdout + out.stderr
        assert "no storage instance named 'segment'" in out.stderr, out.stderr
        assert str(conf) in out.stderr
        assert not os.path.exists(data)
    shutil.copy(os.path.join(ROOT, "conf.d", "10-storage-segment.yaml"), conf)
    # A listener whose host does not resolve: file:line at --check-config.
    with open(conf / "samsa.yaml", "w") as f:
        f.write('node_id: 1\nlisteners: ["nosuch.invalid:9092"]\n')
    line = 2
    for args in (["--check-config"], []):
        out = run_samsad(*args, data_dir=data, conf_dir=str(conf))
        assert out.returncode == 1, out.stdout + out.stderr
        assert "samsa.yaml:%d: listeners: cannot resolve host 'nosuch.invalid'" % line \
            in out.stderr, out.stderr
        assert not os.path.exists(data)


def test_check_config_reports_a_data_dir_start_could_not_create(tmp_path):
    conf = os.path.join(ROOT, "conf.d")
    data = str(tmp_path / "missing" / "data")
    out = run_samsad("--check-config", data_dir=data, conf_dir=conf)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "cannot create data dir %s" % data in out.stderr, out.stderr
    (tmp_path / "file").write_text("")
    out = run_samsad("--check-config", data_dir=str(tmp_path / "file"), conf_dir=conf)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "is not a directory" in out.stderr, out.stderr
    out = run_samsad("--check-config", data_dir=str(tmp_path / "new"), conf_dir=conf)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not os.path.exists(tmp_path / "new")
