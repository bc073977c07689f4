#!/usr/bin/env python3
"""Streaming cost of `self-heal run --` against running the child
directly, side by side with hyperfine -N (no shell), with two anchors:

- runner-like (the primary ratio): the child's stdout and stderr are
  pipes that a reader drains, as in an Actions step, where the runner
  reads the step's output. drain.c (compiled here) is that reader; it
  runs the child directly on one side and `self-heal run -- child` on
  the other, so the child writes into a pipe on both sides and self-heal
  adds one more pipe hop, its relay and its scan. Wall time of the whole
  pipeline, CPU of the whole tree.
- /dev/null (the old anchor): child and self-heal write straight to
  /dev/null (hyperfine's default), so the direct child pays no pipe at
  all. No workflow step runs like this; kept for comparison.

Several rounds with the order alternating; every round's ratio of
medians is printed and the median of those is the result. "self-heal
CPU" is the tree's extra CPU (user+sys) through self-heal against the
child behind the same drain, as a share of the latter.

Children:
- build-like: 200k lines with real work between them (sha256 per line,
  stdio-buffered like a compiler's output);
- seq: 2 million short lines and no work at all (the worst case: any pipe
  relay costs here).

--compare OLD/self-heal adds another binary to every round (runner-like
anchor only), for before/after side by side.

    python3 bench/self-heal/stream.py [--bin DIR] [--rounds 5] [--runs 10] [--compare BIN]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = ("import hashlib\n"
         "for i in range(200000):\n"
         "    print('compiling unit', i, hashlib.sha256(str(i).encode()).hexdigest())\n")


def hyperfine(cmds, runs, tmp):
    out = os.path.join(tmp, "hf.json")
    argv = ["hyperfine", "-N", "--warmup", "2", "--runs", str(runs), "--export-json", out]
    for name, c in cmds:
        argv += ["-n", name, c]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {r["command"]: r for r in json.load(open(out))["results"]}


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("BULWARK_BIN", os.path.join(SRC, "build/dev/bin")))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--compare", help="another self-heal binary (e.g. the one before a change)")
    ap.add_argument("--only", choices=["build", "seq"], help="one child only")
    a = ap.parse_args()
    if not shutil.which("hyperfine"):
        sys.exit("stream.py: hyperfine is needed (apt-get install hyperfine)")
    heal = os.path.join(a.bin, "self-heal")
    tmp = tempfile.mkdtemp(prefix="bench-heal-stream-")
    # stdio buffering as a compiler has it (CI images often set
    # PYTHONUNBUFFERED, which would make every line a write)
    os.environ.pop("PYTHONUNBUFFERED", None)
    try:
        drain = os.path.join(tmp, "drain")
        subprocess.run(["cc", "-O2", "-o", drain, os.path.join(HERE, "drain.c")], check=True)
        script = os.path.join(tmp, "build.py")
        open(script, "w").write(BUILD)
        py = sys.executable  # the interpreter itself, not a pyenv shim
        seq = shutil.which("seq")
        groups = [("build-like child", f"{py} {script}"), ("seq 1 2000000", f"{seq} 1 2000000")]
        if a.only:
            groups = [groups[0 if a.only == "build" else 1]]
        results = []
        for title, child in groups:
            cmds = [("direct", child), ("self-heal", f"{heal} run -- {child}"),
                    ("runner: direct", f"{drain} {child}"),
                    ("runner: self-heal", f"{drain} {heal} run -- {child}")]
            if a.compare:
                cmds.append(("runner: compare", f"{drain} {a.compare} run -- {child}"))
            wall = {n: [] for n, _ in cmds}
            cpu = {n: [] for n, _ in cmds}
            ratios = {"runner": [], "null": [], "compare": []}
            for r in range(a.rounds):
                res = hyperfine(cmds if r % 2 == 0 else list(reversed(cmds)), a.runs, tmp)
                for n, _ in cmds:
                    wall[n].append(res[n]["median"])
                    cpu[n].append(res[n]["user"] + res[n]["system"])
                ratios["runner"].append(res["runner: self-heal"]["median"] / res["runner: direct"]["median"])
                ratios["null"].append(res["self-heal"]["median"] / res["direct"]["median"])
                if a.compare:
                    ratios["compare"].append(res["runner: compare"]["median"] / res["runner: direct"]["median"])
            results.append((title, wall, cpu, ratios))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    print(f"hyperfine -N, {a.rounds} rounds x {a.runs} runs, order alternating; "
          f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("| child | anchor | direct s | `self-heal run --` s | per-round ratios | median ratio | CPU ratio | self-heal CPU |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    rows = [("runner", "runner-like (drained pipe)", "runner: direct", "runner: self-heal"),
            ("null", "/dev/null (old)", "direct", "self-heal")]
    if a.compare:
        rows.append(("compare", "runner-like, --compare binary", "runner: direct", "runner: compare"))
    for title, wall, cpu, ratios in results:
        for key, label, d, w in rows:
            cd, cw = med(cpu[d]), med(cpu[w])
            print(f"| {title} | {label} | {med(wall[d]):.4f} | {med(wall[w]):.4f} | "
                  f"{', '.join(f'{x:.3f}' for x in ratios[key])} | {med(ratios[key]):.3f}x | "
                  f"{cw / cd:.2f}x | {(cw - cd) * 1000:.0f} ms ({(cw - cd) / cd * 100:+.1f}%) |")
    print()
    for title, wall, cpu, ratios in results:
        for key, label in (("runner", "runner-like anchor"), ("null", "/dev/null anchor")):
            m = med(ratios[key])
            print(f"{title}, {label}: within 5%: {'yes' if m <= 1.05 else 'NO'} ({(m - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
