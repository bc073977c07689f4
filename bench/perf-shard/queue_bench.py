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
import re
import subprocess
import sys
import tempfile
import time

# The "test runner": sums the true durations of its arguments and sleeps
# that long. awk + sleep start in a few ms; a Python sleeper cost ~150 ms
# per chunk on the loaded 2-core runner and measured interpreter start-up
# rather than scheduling. (A real runner's start-up is a per-chunk cost of
# its own; see the chunk count.)
SUM_AWK = r'''BEGIN {
    while ((getline line < F) > 0) { split(line, a, "\t"); d[a[1]] = a[2] }
    for (i = 1; i < ARGC; i++) s += d[ARGV[i]]
    printf "%.6f", s
    exit
}'''


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
        with open(os.path.join(tmp, "true.tsv"), "w") as f:
            for t, v in true.items():
                f.write("%s\t%.6f\n" % (t, v))
        open(os.path.join(tmp, "sum.awk"), "w").write(SUM_AWK)
        subprocess.run([exe, "ingest", "--durations", "est.json", "--out",
                        "t.json"], cwd=tmp, check=True, capture_output=True)
        subprocess.run([exe, "plan", "--timings", "t.json", "--shards", str(n),
                        "--out", "plan.json"], cwd=tmp, check=True,
                       capture_output=True)
        cmd = ["--", "sh", "-c", 'exec sleep "$(awk -v F="$0" -f "$1" '
               '"$@")"', os.path.join(tmp, "true.tsv"),
               os.path.join(tmp, "sum.awk"), "{}"]

        def wave(extra):
            errs = [open(os.path.join(tmp, "err%d" % i), "w+")
                    for i in range(n)]
            t0 = time.perf_counter()
            ps = [subprocess.Popen([exe, "run", "--plan", "plan.json", "--index",
                                    str(i + 1)] + extra + cmd, cwd=tmp,
                                   stdout=subprocess.DEVNULL, stderr=errs[i])
                  for i in range(n)]
            for p in ps:
                if p.wait() != 0:
                    raise SystemExit("a job failed")
            wall = time.perf_counter() - t0
            claim = []
            for e in errs:
                e.seek(0)
                m = re.findall(r"claim overhead (\d+) ms", e.read())
                claim += [int(x) / 1e3 for x in m]
                e.close()
            return wall, claim

        static, _ = wave([])
        plan = json.load(open(os.path.join(tmp, "plan.json")))
        ideal = max(sum(true[t] for t in sh["items"]) for sh in plan["shard"])
        fixed = static - ideal  # start, plan read, scheduling: every mode
        remote = os.path.join(tmp, "remote.git")
        subprocess.run(["git", "init", "-q", "--bare", remote], check=True)
        subprocess.run(["git", "init", "-q", tmp + "/w"], check=True)
        t0 = time.perf_counter()
        subprocess.run(["git", "ls-remote", remote], check=True,
                       capture_output=True)
        one_rtt = time.perf_counter() - t0
        # one start of the test runner with nothing to sleep: the
        # per-chunk cost queue mode pays and a static job pays once
        t0 = time.perf_counter()
        for _ in range(10):
            subprocess.run(cmd[1:-1], check=True)
        start = (time.perf_counter() - t0) / 10
        queue, claim = wave(["--queue", remote, "--run-key", "bench",
                             "--git-dir", tmp + "/w", "-v"])
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
    over = sum(claim) / len(claim) if claim else 0.0
    print("| queue mode (%d chunks, local git) | %.2f | %.3f |"
          % (chunks, queue, queue / lb))
    print("| LB + mean claim overhead per job (%.2f s; max %.2f s) | %.2f | "
          "%.3f |" % (over, max(claim or [0]), lb + over, (lb + over) / lb))
    extra = (chunks / n - 1) * start
    print("| ... + %.1f more runner starts per job (%.0f ms each) | %.2f | "
          "%.3f |" % (chunks / n - 1, start * 1e3, lb + over + extra,
                      (lb + over + extra) / lb))
    print("| static split's own overhead (wall - its makespan on true "
          "times %.2f s) | %.2f | |" % (ideal, fixed))
    goal = lb + over + extra + max(fixed, 0.0)
    print("\nqueue wall / (LB + claim overhead) = **%.3f**; / (LB + claim "
          "overhead + extra runner starts + the per-job overhead static "
          "pays too) = **%.3f** (goal <= 1.03)"
          % (queue / (lb + over), queue / goal))
    print("per chunk a job pays one push (an ls-remote, %.1f ms here, only "
          "when the push is refused) and one start of the test command; one "
          "commit-tree per job" % (one_rtt * 1e3))

if __name__ == "__main__":
    main()
