#!/usr/bin/env python3
"""Startup latency of each tool's --version next to an empty C program
(and /bin/true, the anchor the tool issues name).

Both are run interleaved in the same loop (same machine state), N rounds;
the report gives medians and the ratio tool/empty. The goal (issue 2) is
within 3x of the empty program.

usage: bench/startup/run.py [--bin DIR] [--rounds N]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOOLS = ["audit-append", "sign-artifact", "perf-shard", "chaos-inject", "self-heal"]


def main():
    args = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    bindir = args[args.index("--bin") + 1] if "--bin" in args else os.environ.get(
        "BULWARK_BIN", os.path.join(here, "..", "..", "build", "dev", "bin"))
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 300
    tmp = tempfile.mkdtemp()
    src = os.path.join(tmp, "empty.c")
    with open(src, "w") as f:
        f.write("int main(void) { return 0; }\n")
    empty = os.path.join(tmp, "empty")
    subprocess.run(["cc", "-O2", "-o", empty, src], check=True)
    cmds = {"empty C program": [empty], "/bin/true": ["/bin/true"]}
    for t in TOOLS:
        p = os.path.join(bindir, t)
        if os.path.exists(p):
            cmds[t] = [p, "--version"]
    samples = {k: [] for k in cmds}
    devnull = subprocess.DEVNULL
    for _ in range(rounds):
        for k, c in cmds.items():
            t0 = time.perf_counter_ns()
            subprocess.run(c, stdout=devnull, stderr=devnull)
            samples[k].append(time.perf_counter_ns() - t0)
    base = statistics.median(samples["empty C program"])
    print(f"rounds: {rounds} (interleaved), medians of wall time per exec")
    print(f"{'command':<20} {'median ms':>10} {'ratio':>7}")
    for k, s in samples.items():
        m = statistics.median(s)
        print(f"{k:<20} {m / 1e6:>10.2f} {m / base:>7.2f}")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
