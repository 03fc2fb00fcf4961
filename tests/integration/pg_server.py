# SPDX-License-Identifier: Apache-2.0
"""A throwaway PostgreSQL 15 server for a test: initdb in a temporary
directory, listening only on a Unix socket there, run as the postgres
user when the test runs as root (PostgreSQL refuses root). Debian's
postgresql package provides the binaries."""
import os
import shutil
import subprocess
import tempfile

BIN = "/usr/lib/postgresql/15/bin"


class PgServer:
    def __init__(self, options=""):
        """@p options: extra server settings ("-c wal_level=logical")."""
        self.options = options
        self.dir = tempfile.mkdtemp(prefix="samsa-pg-")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "data")
        self.port = 5432  # a Unix socket in self.dir: no port clash
        self.url = "postgresql:///postgres?host=%s&port=%d&user=postgres" % (
            self.dir, self.port)

    def _run(self, args, **kw):
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--"] + args
        return subprocess.run(args, check=True, capture_output=True,
                              text=True, timeout=60, **kw)

    def start(self):
        self._run([BIN + "/initdb", "-D", self.data, "-A", "trust", "-U",
                   "postgres", "--no-sync"])
        self._run([BIN + "/pg_ctl", "-D", self.data, "-w", "-l",
                   os.path.join(self.dir, "pg.log"), "-o",
                   "-k %s -p %d -c listen_addresses='' -c fsync=off %s"
                   % (self.dir, self.port, self.options), "start"])
        return self

    def sql(self, query):
        """Rows of @p query, as lists of strings (psql -At)."""
        out = self._run([BIN + "/psql", "-X", "-At", "-F", "|", "-h",
                         self.dir, "-p", str(self.port), "-U", "postgres",
                         "-d", "postgres", "-c", query]).stdout
        return [line.split("|") for line in out.splitlines() if line]

    def stop(self):
        try:
            self._run([BIN + "/pg_ctl", "-D", self.data, "-m", "immediate",
                       "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
