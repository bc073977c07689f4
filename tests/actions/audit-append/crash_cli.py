#!/usr/bin/env python3
"""Black-box durability of the real binary.

kill: 50 trials x 20 appends (1000 in all) to one log; about a third of the
appends (and one --batch per trial) are SIGKILLed at a random moment in
their first few milliseconds. Afterwards every acknowledged entry (exit 0)
must be in the log at the index it printed, nothing is duplicated, a killed
batch is all-or-nothing, and `verify` passes after every trial.

concurrent: 16 processes x 10 appends each at the same time: exactly 160
entries, each once, and `verify` passes.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.join(os.environ["BULWARK_BIN"], "audit-append")


def entries(log):
    with open(os.path.join(log, "entries"), "rb") as f:
        data = f.read()
    return [json.loads(l) for l in data.split(b"\n")[:-1]]


def verify(log):
    p = subprocess.run([BIN, "verify", "--log", log], capture_output=True)
    if p.returncode != 0:
        sys.exit("FAIL: verify exit %d: %s" % (p.returncode, p.stderr.decode()))


def kill_trials(tmp, rng):
    log = os.path.join(tmp, "log")
    acked = {}
    killed = 0
    batches = {}
    for trial in range(50):
        for k in range(20):
            seq = trial * 100 + k
            batch = k == 10
            args = [BIN, "append", "--log", log, "--event", "ci-run",
                    "--no-context", "--field", "seq=%d" % seq]
            stdin = None
            if batch:
                args = [BIN, "append", "--log", log, "--batch", "--no-context",
                        "--event", "ci-run"]
                stdin = "".join('{"seq":"%d-%d"}\n' % (seq, j)
                                for j in range(50)).encode()
            p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            kill = batch or rng.random() < 0.35
            if kill:
                if stdin:
                    p.stdin.write(stdin)
                p.stdin.close()
                time.sleep(rng.uniform(0, 0.004))
                p.send_signal(signal.SIGKILL)
                out = p.stdout.read()
                p.stderr.read()
                p.wait()
            else:
                out, _ = p.communicate(stdin)
            if p.returncode == 0:
                idx = int(out.split()[1]) if not batch else \
                    int(out.decode().split("..")[1].split()[0]) - 49
                if batch:
                    batches[seq] = idx
                else:
                    acked[str(seq)] = idx
            elif p.returncode == -signal.SIGKILL:
                killed += 1
            else:
                sys.exit("FAIL: append exit %d" % p.returncode)
        verify(log)
    es = entries(log)
    seen = {}
    for i, e in enumerate(es):
        s = e.get("fields", {}).get("seq") or e.get("seq")
        if s in seen:
            sys.exit("FAIL: entry %s duplicated" % s)
        seen[s] = i
    for s, idx in acked.items():
        if seen.get(s) != idx:
            sys.exit("FAIL: acknowledged entry seq=%s index %d lost (found %r)"
                     % (s, idx, seen.get(s)))
    for seq in range(0, 5000, 100):
        present = ["%d-%d" % (seq + 10, j) in seen for j in range(50)]
        if any(present) and not all(present):
            sys.exit("FAIL: batch %d partially present" % (seq + 10))
    for seq, idx in batches.items():
        if seen.get("%d-0" % seq) != idx:
            sys.exit("FAIL: acknowledged batch %d lost" % seq)
    print("kill: %d appends acknowledged, %d killed, %d batches acknowledged, "
          "%d entries, all present, verify ok" % (len(acked), killed,
                                                 len(batches), len(es)))
    if killed < 100:
        sys.exit("FAIL: too few kills landed (%d)" % killed)


def concurrent(tmp):
    log = os.path.join(tmp, "clog")
    errors = []

    def worker(w):
        for k in range(10):
            p = subprocess.run([BIN, "append", "--log", log, "--event",
                                "deploy", "--no-context", "--field",
                                "w=%d-%d" % (w, k)], capture_output=True)
            if p.returncode != 0:
                errors.append(p.stderr.decode())

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit("FAIL: concurrent append: " + errors[0])
    es = entries(log)
    keys = [e["fields"]["w"] for e in es]
    if len(es) != 160 or len(set(keys)) != 160:
        sys.exit("FAIL: %d entries, %d distinct (want 160)" %
                 (len(es), len(set(keys))))
    verify(log)
    print("concurrent: 16 x 10 appends -> 160 distinct entries, verify ok")


def main():
    rng = random.Random(int(os.environ.get("CRASH_SEED", "9162")))
    tmp = tempfile.mkdtemp(prefix="audit-crash-")
    try:
        kill_trials(tmp, rng)
        concurrent(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
