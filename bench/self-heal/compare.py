#!/usr/bin/env python3
"""Interleaved before/after of `self-heal run --` on the streaming children
of bench.py. Each repetition runs the child directly, through the `before`
binary and through the `after` binary back to back, which a shared, noisy
machine disturbs less than two separate bench.py runs. Not a test.

    python3 bench/self-heal/compare.py --before OLD/self-heal --after NEW/self-heal [--reps 9] [--true-reps 300]
"""
import argparse, os, resource, statistics, subprocess, sys, time


def one(argv, env=None):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    t = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--true-reps", type=int, default=300)
    a = ap.parse_args()
    # stdio buffering as a compiler has it (the VM sets PYTHONUNBUFFERED)
    wenv = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    work = ["python3", "-c", "import hashlib\nfor i in range(200000):\n"
            "    print('compiling unit', i, hashlib.sha256(str(i).encode()).hexdigest())"]
    unbuf = ["python3", "-u", "-c", "for i in range(200000): print('compiling unit', i)"]
    cases = [("`true`", ["/bin/true"], None, a.true_reps),
             ("`seq 1 2000000`", ["seq", "1", "2000000"], None, a.reps),
             ("build-like, stdio-buffered", work, wenv, a.reps),
             ("unbuffered Python, 200k lines", unbuf, None, a.reps)]
    print("| child | direct s | before (ratio) | after (ratio) | CPU before | CPU after |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, argv, env, reps in cases:
        res = {"direct": [], "before": [], "after": []}
        for _ in range(reps):
            res["direct"].append(one(argv, env))
            res["before"].append(one([a.before, "run", "--"] + argv, env))
            res["after"].append(one([a.after, "run", "--"] + argv, env))
        m = {k: statistics.median(x[0] for x in v) for k, v in res.items()}
        c = {k: statistics.median(x[1] for x in v) for k, v in res.items()}
        print(f"| {name} | {m['direct']:.4f} | {m['before']:.4f} ({m['before'] / m['direct']:.2f}x) "
              f"| {m['after']:.4f} ({m['after'] / m['direct']:.2f}x) "
              f"| {c['before'] / c['direct']:.2f}x | {c['after'] / c['direct']:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
