#!/usr/bin/env python3
"""Startup latency of each tool's --version next to an empty C program
(and /bin/true, the anchor the tool issues name).

Uses hyperfine -N (no shell, Rust spawner) when it is installed, because a
Python spawn loop adds ~0.5 ms of its own to every sample and so pulls every
ratio towards 1. Without hyperfine it falls back to an interleaved Python
loop and says so. Either way all commands run in the same session and the
report gives medians and the ratio to the empty program.

usage: bench/startup/run.py [--bin DIR] [--rounds N]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOOLS = ["audit-append", "sign-artifact", "perf-shard", "chaos-inject", "self-heal"]


def python_loop(cmds, rounds):
    samples = {k: [] for k in cmds}
    for _ in range(rounds):
        for k, c in cmds.items():
            t0 = time.perf_counter_ns()
            subprocess.run(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples[k].append(time.perf_counter_ns() - t0)
    return {k: statistics.median(v) / 1e9 for k, v in samples.items()}


def hyperfine(cmds, rounds, tmp):
    out = os.path.join(tmp, "hf.json")
    argv = ["hyperfine", "-N", "--warmup", "30", "--runs", str(rounds),
            "--export-json", out]
    names = list(cmds)
    for k in names:
        argv += ["-n", k, " ".join(cmds[k])]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    res = json.load(open(out))["results"]
    return {names[i]: r["median"] for i, r in enumerate(res)}


def main():
    args = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    bindir = args[args.index("--bin") + 1] if "--bin" in args else os.environ.get(
        "BULWARK_BIN", os.path.join(here, "..", "..", "build", "dev", "bin"))
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 500
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
    if shutil.which("hyperfine"):
        how = "hyperfine -N, %d runs each after 30 warm-ups" % rounds
        med = hyperfine(cmds, rounds, tmp)
    else:
        how = "python loop (hyperfine not installed; ratios understated)"
        med = python_loop(cmds, rounds)
    base = med["empty C program"]
    true = med["/bin/true"]
    print(f"startup: {how}; medians")
    print(f"{'command':<20} {'median ms':>10} {'vs empty':>9} {'vs true':>8}")
    for k, m in med.items():
        print(f"{k:<20} {m * 1e3:>10.3f} {m / base:>9.2f} {m / true:>8.2f}")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
