#!/usr/bin/env python3
"""Cross-checks `perf-shard ingest` on every shared JUnit fixture against an
independent reading with Python's xml.etree: number of test cases (Go
subtests folded into a parent that is present), cases without a time, and
per-test durations in the timings store (failed runs excluded).

usage: check_fixtures.py PERF_SHARD_BINARY SHARED_DATA_DIR
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from decimal import Decimal, ROUND_HALF_UP

FAIL = {"failure", "error", "rerunFailure", "rerunError"}


def local(tag):
    return tag.rsplit("}", 1)[-1]


def seconds_us(text):
    if text is None or not text.strip():
        return None
    t = text.strip()
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    else:
        t = t.replace(",", "")
    d = Decimal(t)
    if d < 0:
        return None
    return int((d * 1000000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def norm(path):
    while path.startswith("./"):
        path = path[2:]
    return path


def read(path):
    root = ET.parse(path).getroot()
    cases, doc_file = [], None

    def walk(el, suites):
        nonlocal doc_file
        tag = local(el.tag)
        if tag == "testcase":
            suite = suites[-1] if suites else {}
            f = el.get("file") or el.get("filepath")
            f = norm(f) if f else None
            if f is None:
                for s in reversed(suites):
                    if s["file"]:
                        f = s["file"]
                        break
            t = el.get("time")
            us = seconds_us(t) if t is not None else None
            child = [c for c in el if local(c.tag) == "time"]
            if t is None and child:
                us = seconds_us(child[0].text)
            cases.append({
                "file": f,
                "class": el.get("classname") or suite.get("name"),
                "name": el.get("name") or "",
                "us": us,
                "failed": any(local(c.tag) in FAIL for c in el),
                "flaky": any(local(c.tag).startswith("flaky") for c in el),
            })
            return
        if tag == "testsuite":
            f = el.get("file") or el.get("filepath")
            suites = suites + [{"name": el.get("name"),
                                "file": norm(f) if f else None}]
            has_cases = any(local(x.tag) == "testcase" for x in el.iter())
            if f and not has_cases and doc_file is None:
                doc_file = norm(f)
        for c in el:
            walk(c, suites)

    walk(root, [])
    for c in cases:
        if c["file"] is None:
            c["file"] = doc_file
    present = {(c["class"], c["name"]) for c in cases}
    kept = []
    for c in cases:
        if "/" in c["name"][1:]:
            parent = c["name"].split("/", 1)[0]
            if (c["class"], parent) in present:
                continue
            c["name"] = parent
        kept.append(c)
    return kept


def case_id(c):
    pre = c["file"] or c["class"]
    if not pre:
        return c["name"]
    return pre if not c["name"] else pre + "::" + c["name"]


def main():
    binary, data = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(data, "junit-fixtures", "*", "*.xml")))
    if not files:
        print("no fixtures under", data)
        return 1
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            cases = read(path)
            store = os.path.join(tmp, "t.json")
            if os.path.exists(store):
                os.remove(store)
            out = subprocess.run([binary, "ingest", "--junit", path, "--out",
                                  store, "--json"], capture_output=True,
                                 text=True, env={"PATH": os.environ["PATH"]})
            if out.returncode != 0:
                print("FAIL", path, out.stderr)
                bad += 1
                continue
            got = json.loads(out.stdout)
            want_cases = len(cases)
            want_no_time = sum(1 for c in cases if c["us"] is None)
            per_id, failed = {}, set()
            for c in cases:
                i = case_id(c)
                if c["failed"]:
                    failed.add(i)
                if c["us"] is not None:
                    per_id[i] = per_id.get(i, 0) + c["us"]
            want = {i: us for i, us in per_id.items() if i not in failed}
            tests = json.load(open(store))["tests"]
            have = {i: t["us"][0] for i, t in tests.items() if t["us"]}
            flaky_w = {case_id(c) for c in cases if c["flaky"]} - failed
            flaky_h = {i for i, t in tests.items() if t.get("flaky")}
            total_w, total_h = sum(want.values()), sum(have.values())
            ok = (got["cases"] == want_cases and got["no_time"] == want_no_time
                  and have == want and flaky_w == flaky_h
                  and set(tests) == {case_id(c) for c in cases})
            print("%s %s: cases %d/%d, no time %d/%d, tests %d, timed %d, "
                  "total %.6f s/%.6f s" % (
                      "ok  " if ok else "FAIL", os.path.relpath(path, data),
                      got["cases"], want_cases, got["no_time"], want_no_time,
                      len(tests), len(have), total_h / 1e6, total_w / 1e6))
            if not ok:
                bad += 1
                for i in sorted(set(want) | set(have)):
                    if want.get(i) != have.get(i):
                        print("   ", repr(i), "want", want.get(i), "have",
                              have.get(i))
        for path in sorted(glob.glob(os.path.join(data, "test-durations",
                                                  "*.json"))):
            src = json.load(open(path))
            want = {k: int(Decimal(v * 1e6).quantize(
                Decimal(1), rounding=ROUND_HALF_UP)) for k, v in src.items()}
            store = os.path.join(tmp, os.path.basename(path) + ".store")
            out = subprocess.run([binary, "ingest", "--durations", path,
                                  "--out", store], capture_output=True,
                                 text=True, env={"PATH": os.environ["PATH"]})
            tests = json.load(open(store))["tests"] if out.returncode == 0 \
                else {}
            have = {i: t["us"][0] for i, t in tests.items()}
            ok = have == want
            print("%s %s: tests %d/%d, total %.6f s/%.6f s" % (
                "ok  " if ok else "FAIL", os.path.relpath(path, data),
                len(have), len(want), sum(have.values()) / 1e6,
                sum(want.values()) / 1e6))
            bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
