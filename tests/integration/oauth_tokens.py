# SPDX-License-Identifier: Apache-2.0
"""Signed JWTs for the OAUTHBEARER tests: keys the test generates (RSA
2048 and EC P-256, with python3-cryptography), a JWKS document naming them
by kid, and tokens signed with PyJWT (python3-jwt)."""
import base64
import json
import os
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def _b64(n, size=None):
    raw = n.to_bytes(size or (n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Issuer:
    """Keys and tokens: rsa1 (RS256), ec1 (ES256), and an untrusted key."""

    def __init__(self, directory, kid_suffix="1"):
        self.kid_suffix = kid_suffix
        os.makedirs(directory, exist_ok=True)
        self.rsa = rsa.generate_private_key(public_exponent=65537,
                                            key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.rogue = rsa.generate_private_key(public_exponent=65537,
                                              key_size=2048)
        rn = self.rsa.public_key().public_numbers()
        en = self.ec.public_key().public_numbers()
        jwks = {"keys": [
            {"kty": "RSA", "kid": "rsa" + kid_suffix, "use": "sig",
             "alg": "RS256",
             "n": _b64(rn.n), "e": _b64(rn.e)},
            {"kty": "EC", "kid": "ec" + kid_suffix, "crv": "P-256",
             "x": _b64(en.x, 32), "y": _b64(en.y, 32)}]}
        self.jwks_path = os.path.join(directory, "jwks.json")
        with open(self.jwks_path, "w") as f:
            json.dump(jwks, f)
        self.pem_path = os.path.join(directory, "keys.pem")
        with open(self.pem_path, "wb") as f:
            for k in (self.rsa, self.ec):
                f.write(k.public_key().public_bytes(
                    serialization.Encoding.PEM,
                    serialization.PublicFormat.SubjectPublicKeyInfo))

    def token(self, sub="alice", alg="RS256", lifetime=300, aud="samsa",
              iss="https://issuer.test", key=None, kid=None, **extra):
        now = int(time.time())
        # scp: the scopes 0850's broker requires (kafka, produce), as a
        # space-separated string; scp=None leaves the claim out.
        claims = dict({"sub": sub, "iat": now, "exp": now + lifetime,
                       "aud": aud, "iss": iss, "scp": "produce kafka"},
                      **extra)
        claims = {k: v for k, v in claims.items() if v is not None}
        if key is None:
            key = self.rsa if alg.startswith("RS") else self.ec
        if kid is None:
            kid = ("rsa" if alg.startswith("RS") else "ec") + self.kid_suffix
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
