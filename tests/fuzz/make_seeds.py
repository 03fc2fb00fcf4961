#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write one seed file per request frame in the protocol vectors
(tests/data/protocol/vectors/*/*.jsonl) into the given directory."""
import glob
import json
import os
import sys

src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                   "protocol", "vectors")
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0
for path in sorted(glob.glob(os.path.join(src, "*", "*.jsonl"))):
    with open(path) as f:
        for i, line in enumerate(f):
            rec = json.loads(line)
            name = "%s-%d" % (os.path.basename(path)[:-6], i)
            with open(os.path.join(out, name), "wb") as s:
                s.write(bytes.fromhex(rec["request"]))
            n += 1
print("%d seeds in %s" % (n, out))
