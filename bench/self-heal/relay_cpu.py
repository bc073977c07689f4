#!/usr/bin/env python3
"""CPU cost of the relay, before/after, with `perf stat`: the build-like
child of stream.py behind drain.c (the runner model) alone and through
every self-heal binary given. For each: wall time, CPU (task-clock) and
context switches of the whole tree (drain, self-heal, child), and, in a
second run, self-heal's own task-clock (`--no-inherit`: the child not
counted). Each repetition runs all of them back to back; medians over
the repetitions. On a shared, loaded machine CPU time is far steadier
than wall time.

    python3 bench/self-heal/relay_cpu.py [--reps 15] [--child build|seq] BIN/self-heal [OTHER/self-heal...]

--child seq runs `seq 1 2000000` instead (no work between lines: the
relay's and the scan's cost per byte, nothing else).
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the tree
from stream import BUILD  # noqa: E402


def perf_stat(argv, env, out, inherit=True):
    """Runs argv under perf stat; returns (wall s, task-clock s, context switches)."""
    pre = ["perf", "stat", "-x,", "-e", "task-clock,context-switches", "-o", out]
    if not inherit:
        pre.insert(2, "--no-inherit")
    t0 = time.perf_counter()
    subprocess.run(pre + argv, check=True, env=env)
    wall = time.perf_counter() - t0
    vals = {}
    for line in open(out):
        f = line.strip().split(",")
        if len(f) > 2 and f[2] in ("task-clock", "context-switches"):
            vals[f[2]] = float(f[0])
    return wall, vals["task-clock"] / 1000, vals["context-switches"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--child", choices=["build", "seq"], default="build")
    ap.add_argument("bins", nargs="+")
    a = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("relay_cpu.py: perf is needed (apt-get install linux-perf)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    tmp = tempfile.mkdtemp(prefix="bench-heal-relay-")
    try:
        drain = os.path.join(tmp, "drain")
        subprocess.run(["cc", "-O2", "-o", drain, os.path.join(HERE, "drain.c")], check=True)
        script = os.path.join(tmp, "build.py")
        open(script, "w").write(BUILD)
        child = [sys.executable, script] if a.child == "build" else ["seq", "1", "2000000"]
        stat = os.path.join(tmp, "stat.csv")
        names = ["child alone"] + [f"`{b} run --`" for b in a.bins]
        tree = {n: [] for n in names}
        own = {n: [] for n in names[1:]}
        for _ in range(a.reps):
            tree[names[0]].append(perf_stat([drain] + child, env, stat))
            for n, b in zip(names[1:], a.bins):
                tree[n].append(perf_stat([drain, b, "run", "--"] + child, env, stat))
                # the same run again, counting self-heal alone
                own[n].append(perf_stat([drain, "perf", "stat", "--no-inherit", "-x,", "-e",
                                         "task-clock,context-switches", "-o", stat + ".own",
                                         b, "run", "--"] + child, env, stat))
                for line in open(stat + ".own"):
                    f = line.strip().split(",")
                    if len(f) > 2 and f[2] == "task-clock":
                        own[n][-1] = float(f[0]) / 1000
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    m = statistics.median
    load = os.getloadavg()
    base = m(x[1] for x in tree[names[0]])
    print(f"{a.child} child, {a.reps} repetitions, medians; load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("| behind the drain | wall s | tree CPU s | tree CPU ratio | tree context switches | self-heal's own CPU s |")
    print("|---|---:|---:|---:|---:|---:|")
    for n in names:
        w = m(x[0] for x in tree[n])
        c = m(x[1] for x in tree[n])
        cs = m(x[2] for x in tree[n])
        o = f"{m(own[n]):.4f} ({m(own[n]) / base * 100:.1f}% of the child)" if n in own else ""
        print(f"| {n} | {w:.4f} | {c:.4f} | {c / base:.3f}x | {cs:.0f} | {o} |")


if __name__ == "__main__":
    main()
