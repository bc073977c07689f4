#!/usr/bin/env python3
"""Runs @action-validator/cli (mpalmer/action-validator, wasm, offline) over
every action-wrappers/*/action.yml and .github/workflows/*.yml: schema
checks such as a composite step without shell or an output without value.
The CLI is looked up in tests/node_modules/.bin (or $ACTION_VALIDATOR);
exit 77 (skip) when it is not installed.
"""
import glob
import os
import subprocess
import sys


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    cli = os.environ.get("ACTION_VALIDATOR") or os.path.join(
        root, "tests", "node_modules", ".bin", "action-validator")
    if not os.access(cli, os.X_OK):
        print(f"skip: {cli} not installed (@action-validator/cli in tests/package.json)")
        return 77
    files = sorted(glob.glob(os.path.join(root, "action-wrappers", "*", "action.yml")) +
                   glob.glob(os.path.join(root, ".github", "workflows", "*.yml")))
    bad = 0
    for f in files:
        r = subprocess.run([cli, f], capture_output=True, text=True)
        if r.returncode != 0:
            bad += 1
            print(f"--- {os.path.relpath(f, root)}\n{r.stdout}{r.stderr}")
    print(f"{len(files)} file(s) validated, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
