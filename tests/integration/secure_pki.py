# SPDX-License-Identifier: Apache-2.0
"""Test certificates made with the openssl command: a CA, a broker
certificate for 127.0.0.1/localhost, a client certificate (CN=alice) the CA
signed, and a client certificate from another CA the broker does not
trust. EC P-256 keys, so generating them takes milliseconds."""
import os
import subprocess


def _ssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   capture_output=True)


def _key(name, cwd):
    _ssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", name + ".key", cwd=cwd)


def _ca(name, cwd):
    _key(name, cwd)
    _ssl("req", "-x509", "-new", "-key", name + ".key", "-days", "30",
         "-subj", "/CN=Samsa test %s" % name, "-out", name + ".pem", cwd=cwd)


def _signed(name, subject, ca, cwd, san=None):
    _key(name, cwd)
    _ssl("req", "-new", "-key", name + ".key", "-subj", subject,
         "-out", name + ".csr", cwd=cwd)
    ext = os.path.join(cwd, name + ".ext")
    with open(ext, "w") as f:
        if san:
            f.write("subjectAltName=%s\n" % san)
        f.write("basicConstraints=CA:FALSE\n")
    _ssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
         "-CAkey", ca + ".key", "-CAcreateserial", "-days", "30",
         "-extfile", ext, "-out", name + ".pem", cwd=cwd)


def make_pki(directory):
    """Write the files into @p directory; returns {name: path}."""
    os.makedirs(directory, exist_ok=True)
    _ca("ca", directory)
    _ca("rogue-ca", directory)
    _signed("broker", "/CN=localhost", "ca", directory,
            san="DNS:localhost,IP:127.0.0.1")
    _signed("alice", "/CN=alice/OU=eng/O=Samsa", "ca", directory)
    _signed("mallory", "/CN=mallory", "rogue-ca", directory)
    return {n: os.path.join(directory, n) for n in
            ("ca.pem", "broker.pem", "broker.key", "alice.pem", "alice.key",
             "mallory.pem", "mallory.key", "rogue-ca.pem")}
