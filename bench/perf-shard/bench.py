#!/usr/bin/env python3
"""perf-shard against the splitters research/sharding.md names as anchors,
on the real shared suites (onegov-cloud, pgmpy): makespan/LB with all
timings known, with 10%/30% of tests unknown (judged on the true times),
churn under 5% timing noise, and the throughput figures of issue 5.

usage: bench.py --bin DIR [--data DIR] [--trials K] [--quick]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from splitters import ANCHORS, lpt  # noqa: E402

SUITES = ("onegov-cloud", "pgmpy")


def makespan(assign, true, n):
    load = [0.0] * n
    for t, s in assign.items():
        load[s] += true[t]
    return max(load)


def lb(true, n):
    return max(sum(true.values()) / n, max(true.values()))


class Ours:
    def __init__(self, exe, tmp):
        self.exe, self.tmp = exe, tmp

    def __call__(self, ids, known, n, extra=()):
        d = os.path.join(self.tmp, "d.json")
        t = os.path.join(self.tmp, "t.json")
        lst = os.path.join(self.tmp, "ids.txt")
        p = os.path.join(self.tmp, "plan.json")
        json.dump(known, open(d, "w"))
        open(lst, "w").write("".join(i + "\n" for i in ids))
        if os.path.exists(t):
            os.remove(t)
        subprocess.run([self.exe, "ingest", "--durations", d, "--out", t],
                       check=True, capture_output=True)
        subprocess.run([self.exe, "plan", "--timings", t, "--tests", lst,
                        "--shards", str(n), "--out", p] + list(extra),
                       check=True, capture_output=True)
        plan = json.load(open(p))
        return {i: s["index"] - 1 for s in plan["shard"] for i in s["items"]}


def table(title, header, rows):
    print("\n### " + title + "\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")


def all_known(data, ours, ns):
    rows = []
    for name, true in data.items():
        ids = list(true)  # collection order as recorded
        for n in ns:
            bound = lb(true, n)
            r = [name, str(n), "%.0f" % bound,
                 "%.4f" % (makespan(ours(ids, true, n), true, n) / bound)]
            for fn in ANCHORS.values():
                if fn in (ANCHORS["LPT, zero estimate"],):
                    continue
                r.append("%.4f" % (makespan(fn(ids, true, n), true, n) / bound))
            rows.append(r)
    hdr = ["suite", "N", "LB s", "**perf-shard**"] + \
        [k for k in ANCHORS if k != "LPT, zero estimate"]
    table("makespan / LB, every timing known (test unit)", hdr, rows)


def unknown(data, ours, ns, fracs, trials):
    rows = []
    for name, true in data.items():
        ids = list(true)
        for frac in fracs:
            for n in ns:
                acc = {"ours": [], "mean": [], "zero": [], "count": []}
                for seed in range(trials):
                    rnd = random.Random(seed)
                    hidden = set(rnd.sample(ids, int(len(ids) * frac)))
                    known = {t: v for t, v in true.items() if t not in hidden}
                    bound = lb(true, n)
                    acc["ours"].append(makespan(ours(ids, known, n), true, n) / bound)
                    acc["mean"].append(makespan(lpt(ids, known, n, "mean"), true, n) / bound)
                    acc["zero"].append(makespan(lpt(ids, known, n, "zero"), true, n) / bound)
                    acc["count"].append(makespan(ANCHORS["count (Playwright)"](ids, known, n), true, n) / bound)
                avg = {k: sum(v) / len(v) for k, v in acc.items()}
                rows.append([name, "%d%%" % (frac * 100), str(n),
                             "%.4f" % avg["ours"], "%.4f" % max(acc["ours"]),
                             "%.4f" % avg["mean"], "%.4f" % avg["zero"],
                             "%.4f" % avg["count"],
                             "%+.1f%%" % ((avg["ours"] / avg["mean"] - 1) * 100)])
    table("makespan / LB with unknown tests, judged on true times "
          "(mean over %d random draws)" % trials,
          ["suite", "unknown", "N", "**perf-shard** (file mean)", "perf-shard worst",
           "LPT, mean estimate", "LPT, zero estimate", "count (Playwright)",
           "perf-shard vs LPT-mean"], rows)


def churn(data, ours, ns, trials):
    rows = []
    for name, true in data.items():
        ids = list(true)
        for n in ns:
            moved = {"ours": [], "lpt": [], "lsd": [], "chunks": []}
            ratio_ours, ratio_lpt = [], []
            base = {"ours": ours(ids, true, n),
                    "lpt": lpt(ids, true, n, "mean"),
                    "lsd": ANCHORS["pytest-split least_duration"](ids, true, n),
                    "chunks": ANCHORS["pytest-split chunks"](ids, true, n)}
            for seed in range(trials):
                rnd = random.Random(1000 + seed)
                noisy = {t: v * math.exp(rnd.gauss(0, 0.05)) for t, v in true.items()}
                new = {"ours": ours(ids, noisy, n),
                       "lpt": lpt(ids, noisy, n, "mean"),
                       "lsd": ANCHORS["pytest-split least_duration"](ids, noisy, n),
                       "chunks": ANCHORS["pytest-split chunks"](ids, noisy, n)}
                for k in moved:
                    moved[k].append(sum(base[k][t] != new[k][t] for t in ids) / len(ids))
                ratio_ours.append(makespan(new["ours"], noisy, n) / lb(noisy, n))
                ratio_lpt.append(makespan(new["lpt"], noisy, n) / lb(noisy, n))
            avg = {k: sum(v) / len(v) for k, v in moved.items()}
            rows.append([name, str(n), "%.2f%%" % (avg["ours"] * 100),
                         "%.1f%%" % (avg["lpt"] * 100), "%.1f%%" % (avg["lsd"] * 100),
                         "%.1f%%" % (avg["chunks"] * 100),
                         "%.4f" % (sum(ratio_ours) / trials),
                         "%.4f" % (sum(ratio_lpt) / trials)])
    table("tests that change shard between two snapshots 5%% lognormal noise "
          "apart (mean of %d)" % trials,
          ["suite", "N", "**perf-shard**", "plain LPT", "pytest-split least_duration",
           "pytest-split chunks", "perf-shard makespan/LB", "LPT makespan/LB"], rows)


def cpu_run(cmd):
    """Runs cmd; returns (wall s, CPU s of the child, stdout+stderr)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout + r.stderr


def write_junit(path, suites, cases, props, trace_every, trace_lines):
    rnd = random.Random(5)
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
        for s in range(suites):
            f.write('<testsuite name="org.acme.S%d" time="1.0" tests="%d">'
                    '<properties>' % (s, cases))
            for p in range(props):
                f.write('<property name="java.prop.%d" value="%s"/>\n'
                        % (p, "/usr/lib/jvm/java-17/lib/" * 3))
            f.write('</properties>\n')
            for c in range(cases):
                f.write('<testcase classname="org.acme.S%d" name="test_%d[%d]" '
                        'time="%.3f">' % (s, c, c, rnd.random()))
                if trace_every and c % trace_every == 0:
                    f.write('<failure message="boom"><![CDATA[%s]]></failure>'
                            % ("\tat org.acme.Foo.bar(Foo.java:42)\n" * trace_lines))
                f.write('</testcase>\n')
            f.write('</testsuite>\n')
        f.write('</testsuites>\n')


def throughput(exe, tmp):
    print("\n### throughput (CPU seconds of the child; the runner is shared)\n")
    shapes = (("case-dense (50 cases per suite, a 60-line trace every 10th)",
               2000, 50, 20, 10, 60),
              ("Surefire-like (200 properties, 20 cases, 10% failing with "
               "150-line traces)", 2000, 20, 200, 10, 150))
    for label, *shape in shapes:
        path = os.path.join(tmp, "big.xml")
        write_junit(path, *shape)
        size = os.path.getsize(path)
        best = min(cpu_run([exe, "ingest", "--junit", path, "--out",
                            os.path.join(tmp, "big.t"), "--dry-run"])[1]
                   for _ in range(3))
        print("- JUnit ingest, %s: %.1f MB in %.3f s CPU = **%.0f MB/s** "
              "(parse + merge, `--dry-run`: no store write)"
              % (label, size / 1e6, best, size / 1e6 / best))
    d = os.path.join(tmp, "m.json")
    rnd = random.Random(6)
    with open(d, "w") as f:
        f.write("{")
        f.write(",".join('"tests/f%d.py::t%d": %.6f' % (i // 50, i, rnd.lognormvariate(0, 1.2))
                         for i in range(1000000)))
        f.write("}")
    t = os.path.join(tmp, "m.t")
    _, cpu, _ = cpu_run([exe, "ingest", "--durations", d, "--out", t])
    print("- ingest of a 1,000,000-test `.test_durations` (%.0f MB): %.2f s CPU"
          % (os.path.getsize(d) / 1e6, cpu))
    for extra, label in (([], "stable"), (["--plain-lpt"], "plain LPT + local search")):
        wall, cpu, out = cpu_run([exe, "plan", "--timings", t, "--shards", "64",
                                  "--out", os.path.join(tmp, "m.plan"), "-v"] + extra)
        phases = "; ".join(l.split(": ", 1)[1] for l in out.splitlines()
                           if "ms" in l and l.startswith("perf-shard:"))
        ratio = [l for l in out.splitlines() if l.startswith("plan:")][0]
        print("- plan 1,000,000 tests into 64 shards, %s: %.2f s CPU, %.2f s "
              "wall for the whole command (%s) -- %s"
              % (label, cpu, wall, phases, ratio))

    def best_of(cmd, k=200):
        b = None
        for _ in range(k):
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = time.perf_counter() - t0
            b = dt if b is None else min(b, dt)
        return b
    tt, ps = best_of(["/bin/true"]), best_of([exe, "--version"])
    print("- startup (best of 200): /bin/true %.2f ms, perf-shard --version "
          "%.2f ms (%.1fx)" % (tt * 1e3, ps * 1e3, ps / tt))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.normpath(
        os.path.join(here, "..", "..", "..", "shared", "perf-shard-data")))
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    exe = os.path.join(a.bin, "perf-shard")
    data = {}
    for s in SUITES:
        p = os.path.join(a.data, "test-durations", s + ".test_durations.json")
        data[s] = json.load(open(p))
    with tempfile.TemporaryDirectory() as tmp:
        ours = Ours(exe, tmp)
        print("perf-shard %s vs anchors (research/sharding.md §1), data %s"
              % (subprocess.run([exe, "--version"], capture_output=True,
                                text=True).stdout.strip(), a.data))
        all_known(data, ours, (4, 8, 16, 32, 64))
        unknown(data, ours, (4, 8) if a.quick else (4, 8, 16, 32),
                (0.1, 0.3), a.trials)
        churn(data, ours, (8,) if a.quick else (4, 8, 16, 32), max(3, a.trials // 2))
        if not a.quick:
            throughput(exe, tmp)


if __name__ == "__main__":
    main()
