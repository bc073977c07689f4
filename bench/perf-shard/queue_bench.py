#!/usr/bin/env python3
"""Static split against queue mode, in one run, with real processes whose
"tests" sleep for scaled true durations: true = estimate x lognormal(0,
sigma). The planner sees the estimates; the jobs sleep the true times.
Queue mode claims chunks from a local bare git repository.

usage: queue_bench.py --bin DIR [--suite onegov-cloud] [--jobs 4]
                      [--seconds 40] [--sigma 0.3] [--seed 1]
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

SLEEPER = r'''
import json, sys, time
true = json.load(open(sys.argv[1]))
time.sleep(sum(true[t] for t in sys.argv[2:]))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.normpath(
        os.path.join(here, "..", "..", "..", "shared", "perf-shard-data")))
    ap.add_argument("--suite", default="onegov-cloud")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=40.0,
                    help="total true work after scaling")
    ap.add_argument("--sigma", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    exe = os.path.abspath(os.path.join(a.bin, "perf-shard"))
    est = json.load(open(os.path.join(a.data, "test-durations",
                                      a.suite + ".test_durations.json")))
    scale = a.seconds / sum(est.values())
    est = {t: v * scale for t, v in est.items()}
    rnd = random.Random(a.seed)
    true = {t: v * math.exp(rnd.gauss(0, a.sigma)) for t, v in est.items()}
    n = a.jobs
    lb = max(sum(true.values()) / n, max(true.values()))
    with tempfile.TemporaryDirectory() as tmp:
        json.dump(est, open(os.path.join(tmp, "est.json"), "w"))
        json.dump(true, open(os.path.join(tmp, "true.json"), "w"))
        open(os.path.join(tmp, "sleep.py"), "w").write(SLEEPER)
        subprocess.run([exe, "ingest", "--durations", "est.json", "--out",
                        "t.json"], cwd=tmp, check=True, capture_output=True)
        subprocess.run([exe, "plan", "--timings", "t.json", "--shards", str(n),
                        "--out", "plan.json"], cwd=tmp, check=True,
                       capture_output=True)
        cmd = ["--", sys.executable, os.path.join(tmp, "sleep.py"),
               os.path.join(tmp, "true.json"), "{}"]

        def wave(extra):
            t0 = time.perf_counter()
            ps = [subprocess.Popen([exe, "run", "--plan", "plan.json", "--index",
                                    str(i)] + extra + cmd, cwd=tmp,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                  for i in range(1, n + 1)]
            for p in ps:
                if p.wait() != 0:
                    raise SystemExit("a job failed")
            return time.perf_counter() - t0

        static = wave([])
        remote = os.path.join(tmp, "remote.git")
        subprocess.run(["git", "init", "-q", "--bare", remote], check=True)
        subprocess.run(["git", "init", "-q", tmp + "/w"], check=True)
        t0 = time.perf_counter()
        subprocess.run(["git", "ls-remote", remote], check=True,
                       capture_output=True)
        one_rtt = time.perf_counter() - t0
        queue = wave(["--queue", remote, "--run-key", "bench", "--git-dir",
                      tmp + "/w"])
        chunks = len(subprocess.run(["git", "-C", remote, "for-each-ref",
                                     "refs/perf-shard/bench/"],
                                    capture_output=True, text=True).stdout
                     .splitlines()) // 2
    print("suite %s scaled to %.0f s of true work, %d jobs, noise lognormal "
          "sigma %.2f (seed %d)" % (a.suite, sum(true.values()), n, a.sigma, a.seed))
    print("| mode | wall s | wall / LB |")
    print("|---|---:|---:|")
    print("| LB = max(sum/N, longest) | %.2f | 1.000 |" % lb)
    print("| static split (stable plan) | %.2f | %.3f |" % (static, static / lb))
    print("| queue mode (%d chunks, local git) | %.2f | %.3f |"
          % (chunks, queue, queue / lb))
    print("per chunk a job pays one ls-remote (%.1f ms here), one push and "
          "one start of the test command; one commit-tree per job"
          % (one_rtt * 1e3))


if __name__ == "__main__":
    main()
