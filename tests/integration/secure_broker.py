# SPDX-License-Identifier: Apache-2.0
"""A broker with every listener security protocol for the client tests:
SSL, SASL_PLAINTEXT and SASL_SSL listeners (b.ports by protocol), the
test CA and broker certificate (b.pki), PLAIN (alice:alice-secret),
SCRAM-SHA-256 and -512 (bob:bob-secret, set through the samsa CLI) and,
with @p oauth, OAUTHBEARER with keys from b.issuer (oauth_tokens)."""
import os
import subprocess

from oauth_tokens import Issuer
from samsa_harness import SAMSA_CLI, Broker, free_port, new_workdir
from secure_pki import make_pki


def start_secure_broker(oauth=False):
    workdir = new_workdir()
    pki = make_pki(os.path.join(workdir, "pki"))
    users = os.path.join(workdir, "plain-users")
    with open(users, "w") as f:
        f.write("alice:alice-secret\n")
    b = Broker(workdir, "\n".join([
        "ssl_keystore_location: %s" % pki["broker.pem"],
        "ssl_key_location: %s" % pki["broker.key"],
    ]))
    manifest = ("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                "    config: {users_file: %s}\n"
                "  - name: scram-sha-256\n    plugin: sasl-scram\n"
                "    config: {mechanism: SCRAM-SHA-256}\n"
                "  - name: scram-sha-512\n    plugin: sasl-scram\n"
                "    config: {mechanism: SCRAM-SHA-512}\n" % users)
    if oauth:
        b.issuer = Issuer(os.path.join(workdir, "oauth"))
        manifest += ("  - name: oauth\n    plugin: sasl-oauthbearer\n"
                     "    config: {sasl_oauthbearer_jwks_endpoint_url: "
                     "file://%s}\n" % b.issuer.jwks_path)
    with open(os.path.join(b.conf_dir, "40-sasl.yaml"), "w") as f:
        f.write(manifest)
    b.ports = {p: free_port() for p in ("SSL", "SASL_PLAINTEXT", "SASL_SSL")}
    for proto, port in b.ports.items():
        b.args += ["--listen", "%s://127.0.0.1:%d" % (proto, port)]
    b.pki = pki
    b.start()
    out = subprocess.run(
        [SAMSA_CLI, "user", "set", "bob", "--password", "bob-secret", "-b",
         b.bootstrap], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        b.finish()
        raise AssertionError(out.stderr)
    return b
