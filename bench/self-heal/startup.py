#!/usr/bin/env python3
"""`self-heal run -- true` against `true`, side by side with hyperfine -N
(no shell), as bench/startup/run.py measures. One hyperfine call runs its
commands one after the other, so a load change between them skews one
ratio: this repeats the pair in several rounds, alternating the order,
and reports every round's ratio of medians and the median of those.

Reference rows: a minimal C wrapper (fork + execvp + waitpid, libc only)
is the floor of any wrapper that starts the command as a child;
`self-heal --version` is our own start-up without running anything.

    python3 bench/self-heal/startup.py [--bin DIR] [--rounds 5] [--runs 1000]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
WRAPPER_C = r"""
#include <sys/wait.h>
#include <unistd.h>
int main(int c, char **v) { pid_t p = fork(); int s = 0;
  if (c < 2) return 2;
  if (p == 0) { execvp(v[1], v + 1); _exit(127); }
  waitpid(p, &s, 0); return WEXITSTATUS(s); }
"""


def hyperfine(cmds, runs, tmp):
    out = os.path.join(tmp, "hf.json")
    argv = ["hyperfine", "-N", "--warmup", "50", "--runs", str(runs), "--export-json", out]
    for name, c in cmds:
        argv += ["-n", name, c]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {r["command"]: r["median"] for r in json.load(open(out))["results"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("BULWARK_BIN", os.path.join(SRC, "build/dev/bin")))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1000)
    a = ap.parse_args()
    if not shutil.which("hyperfine"):
        sys.exit("startup.py: hyperfine is needed (apt-get install hyperfine)")
    heal = os.path.join(a.bin, "self-heal")
    true = shutil.which("true")
    tmp = tempfile.mkdtemp(prefix="bench-heal-start-")
    try:
        src = os.path.join(tmp, "w.c")
        open(src, "w").write(WRAPPER_C)
        wrap = os.path.join(tmp, "forkexec")
        subprocess.run(["cc", "-O2", "-o", wrap, src], check=True)
        pairs = [("true", true), ("self-heal run -- true", f"{heal} run -- {true}"),
                 ("fork+exec C wrapper", f"{wrap} {true}"), ("self-heal --version", f"{heal} --version")]
        rows = {n: [] for n, _ in pairs}
        ratios = []
        for r in range(a.rounds):
            order = pairs if r % 2 == 0 else list(reversed(pairs))
            med = hyperfine(order, a.runs, tmp)
            for n, _ in pairs:
                rows[n].append(med[n])
            ratios.append(med["self-heal run -- true"] / med["true"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"hyperfine -N, {a.rounds} rounds x {a.runs} runs (50 warm-ups), order alternating")
    print("| command | median of round medians, ms | ratio to `true` |")
    print("|---|---:|---:|")
    t = statistics.median(rows["true"])
    for n, _ in pairs:
        m = statistics.median(rows[n])
        print(f"| {n} | {m * 1e3:.3f} | {m / t:.2f}x |")
    print()
    print("per-round ratio self-heal run -- true / true: " +
          ", ".join(f"{x:.2f}" for x in ratios) + f"; median {statistics.median(ratios):.2f}x")
    print(f"within 3x: {'yes' if statistics.median(ratios) <= 3.0 else 'NO'}")


if __name__ == "__main__":
    main()
