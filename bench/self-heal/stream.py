#!/usr/bin/env python3
"""Streaming cost of `self-heal run --` against running the child
directly, side by side with hyperfine -N (no shell). Output goes to
/dev/null for both, so only the relay and the scan are measured. Several
rounds with the order alternating; every round's ratio of medians is
printed and the median of those is the result.

Children:
- build-like: 200k lines with real work between them (sha256 per line,
  stdio-buffered like a compiler's output);
- seq: 2 million short lines and no work at all (the worst case: any pipe
  relay costs here, so `seq | cat` is shown next to it).

    python3 bench/self-heal/stream.py [--bin DIR] [--rounds 5] [--runs 10]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("BULWARK_BIN", os.path.join(SRC, "build/dev/bin")))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    if not shutil.which("hyperfine"):
        sys.exit("stream.py: hyperfine is needed (apt-get install hyperfine)")
    heal = os.path.join(a.bin, "self-heal")
    tmp = tempfile.mkdtemp(prefix="bench-heal-stream-")
    # stdio buffering as a compiler has it (CI images often set
    # PYTHONUNBUFFERED, which would make every line a write)
    os.environ.pop("PYTHONUNBUFFERED", None)
    try:
        script = os.path.join(tmp, "build.py")
        open(script, "w").write(BUILD)
        py = sys.executable  # the interpreter itself, not a pyenv shim
        seq = shutil.which("seq")
        groups = [
            ("build-like child", f"{py} {script}", f"{heal} run -- {py} {script}", None),
            ("seq 1 2000000", f"{seq} 1 2000000", f"{heal} run -- {seq} 1 2000000",
             f"sh -c '{seq} 1 2000000 | cat'"),
        ]
        results = []
        for title, direct, wrapped, piped in groups:
            cmds = [("direct", direct), ("self-heal", wrapped)]
            if piped:
                cmds.append(("| cat", piped))
            ratios, cat_ratios, meds = [], [], {n: [] for n, _ in cmds}
            cpu = {n: [] for n, _ in cmds}
            for r in range(a.rounds):
                res = hyperfine(cmds if r % 2 == 0 else list(reversed(cmds)), a.runs, tmp)
                for n, _ in cmds:
                    meds[n].append(res[n]["median"])
                    cpu[n].append(res[n]["user"] + res[n]["system"])
                ratios.append(res["self-heal"]["median"] / res["direct"]["median"])
                if piped:
                    cat_ratios.append(res["| cat"]["median"] / res["direct"]["median"])
            results.append((title, cmds, meds, cpu, ratios, cat_ratios))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"hyperfine -N, {a.rounds} rounds x {a.runs} runs, order alternating; output to /dev/null")
    print("| child | direct s | `self-heal run --` s | per-round ratios | median ratio | CPU ratio (user+sys) |")
    print("|---|---:|---:|---|---:|---:|")
    for title, cmds, meds, cpu, ratios, cat_ratios in results:
        d = statistics.median(meds["direct"])
        w = statistics.median(meds["self-heal"])
        c = statistics.median(cpu["self-heal"]) / statistics.median(cpu["direct"])
        print(f"| {title} | {d:.4f} | {w:.4f} | {', '.join(f'{x:.3f}' for x in ratios)} | "
              f"{statistics.median(ratios):.3f}x | {c:.2f}x |")
        if cat_ratios:
            print(f"| {title} piped through `cat` | {d:.4f} | {statistics.median(meds['| cat']):.4f} | "
                  f"{', '.join(f'{x:.3f}' for x in cat_ratios)} | {statistics.median(cat_ratios):.3f}x | |")
    build = statistics.median(results[0][4])
    print()
    print(f"build-like child within 5%: {'yes' if build <= 1.05 else 'NO'} ({(build - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
