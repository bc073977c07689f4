#!/usr/bin/env python3
"""Check a tool's man page: mandoc lints it clean, and every long option in
`tool --help` and `tool <verb> --help` appears in it."""
import re
import shutil
import subprocess
import sys


def help_text(args):
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    return p.stdout + p.stderr


def main():
    tool, page = sys.argv[1], sys.argv[2]
    problems = []
    if not shutil.which("mandoc"):
        print("mandoc is not installed (scripts/install-deps.sh installs it)")
        return 1
    lint = subprocess.run(["mandoc", "-Tlint", "-W", "warning", page],
                          capture_output=True, text=True)
    if lint.returncode != 0 or lint.stdout.strip():
        problems.append("mandoc -Tlint:\n" + lint.stdout + lint.stderr)
    man = open(page).read()
    # mdoc writes options as "Fl -name" or "\-\-name"; normalise both.
    man_norm = man.replace("\\-", "-")
    top = help_text([tool, "--help"])
    verbs = re.findall(r"^    ([a-z][a-z-]+)\s{2,}", top, re.M)
    texts = [top] + [help_text([tool, v, "--help"]) for v in verbs]
    opts = set()
    for t in texts:
        opts.update(re.findall(r"--(?:\[no-\])?([a-z][a-z0-9-]+)", t))
    opts -= {"help", "version"}
    for o in sorted(opts):
        if not re.search(r"(Fl -|--)" + re.escape(o) + r"\b", man_norm):
            problems.append(f"option --{o} is in --help but not in {page}")
    for p in problems:
        print("FAIL", p)
    print(f"{len(opts)} options checked: {'1 failed' if problems else '1 passed'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
