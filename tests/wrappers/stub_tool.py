#!/usr/bin/env python3
"""Stands in for a Bulwark tool in wrapper tests: records exactly what it was
given and answers with outputs chosen by the test.

Appends one JSON line to $STUB_RECORD: argv, the names of INPUT_* variables
it inherited, whether GITHUB_TOKEN was set, and the content of every file
passed as --key=FILE (the wrappers delete it after the step). Writes
$STUB_OUTPUTS (a JSON object) to $GITHUB_OUTPUT in the heredoc form with a
random delimiter, and exits with $STUB_EXIT (default 0).
"""
import json
import os
import sys
import uuid

argv = sys.argv[1:]
keys = {}
for a in argv:
    if a.startswith("--key="):
        p = a[len("--key="):]
        if os.path.isfile(p):
            with open(p, encoding="utf-8") as f:
                keys[p] = {"content": f.read(),
                           "mode": oct(os.stat(p).st_mode & 0o777)}
record = {
    "tool": os.path.basename(sys.argv[0]),
    "argv": argv,
    "input_vars": sorted(k for k in os.environ if k.startswith("INPUT_")),
    "github_token": os.environ.get("GITHUB_TOKEN"),
    "keys": keys,
}
with open(os.environ["STUB_RECORD"], "a", encoding="utf-8") as f:
    f.write(json.dumps(record) + "\n")
outputs = json.loads(os.environ.get("STUB_OUTPUTS", "{}"))
if outputs:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as f:
        for k, v in outputs.items():
            d = "ghadelimiter_" + str(uuid.uuid4())
            assert d not in v
            f.write(f"{k}<<{d}\n{v}\n{d}\n")
sys.exit(int(os.environ.get("STUB_EXIT", "0")))
