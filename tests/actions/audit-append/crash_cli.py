#!/usr/bin/env python3
"""Black-box durability of the real binary.

kill: 50 trials x 20 appends (1000 in all) to one log; about a third of the
appends (and one --batch per trial) are SIGKILLed at a random moment within
the time an append takes here (measured first, at least 1 ms). Afterwards
every acknowledged entry (exit 0) must be in the log at the index it
printed, nothing is duplicated, a killed batch is all-or-nothing, and
`verify` passes after every trial.

concurrent: 16 processes x 10 appends each at the same time: exactly 160
entries, each once, and `verify` passes.

power loss: an append syncs only `entries`; its index files (`offsets`,
`hashes`) are written without a sync, so a power loss may take back any
suffix of them. 40 trials cut both to random lengths (partial records
included) after acknowledged appends and batches; the next append must
still see every acknowledged entry at its index, and `verify` pass.
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


def append_time(tmp):
    """Median time an append process lives after Popen returns: kills are
    drawn within it, so they land mid-append however fast the machine and
    the disk are."""
    log = os.path.join(tmp, "calibrate")
    ts = []
    for i in range(9):
        p = subprocess.Popen([BIN, "append", "--log", log, "--event",
                              "ci-run", "--no-context", "--field", "i=%d" % i],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        t = time.perf_counter()
        p.wait()
        ts.append(time.perf_counter() - t)
    return max(sorted(ts)[len(ts) // 2], 0.001)


def kill_trials(tmp, rng):
    log = os.path.join(tmp, "log")
    window = append_time(tmp)
    acked = {}
    killed = 0
    batches = {}
    # At least 50 trials; more while too few kills have landed mid-append
    # (a loaded machine stretches the sleeps, so fewer land in the window).
    trial = -1
    while True:
        trial += 1
        if trial >= 50 and (killed >= 100 or trial >= 250):
            break
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
                time.sleep(rng.uniform(0, 1.2 * window))
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
    for seq in range(0, trial * 100, 100):
        present = ["%d-%d" % (seq + 10, j) in seen for j in range(50)]
        if any(present) and not all(present):
            sys.exit("FAIL: batch %d partially present" % (seq + 10))
    for seq, idx in batches.items():
        if seen.get("%d-0" % seq) != idx:
            sys.exit("FAIL: acknowledged batch %d lost" % seq)
    print("kill: %d appends acknowledged, %d killed (window %.2f ms), %d "
          "batches acknowledged, %d entries, all present, verify ok"
          % (len(acked), killed, window * 1e3, len(batches), len(es)))
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


def power_loss(tmp, rng):
    log = os.path.join(tmp, "plog")
    acked = []
    for trial in range(40):
        for k in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                p = subprocess.run([BIN, "append", "--log", log, "--batch",
                                    "--no-context", "--event", "ci-run"],
                                   input=b'{"seq":"b%d-0"}\n{"seq":"b%d-1"}\n'
                                   % (trial * 10 + k, trial * 10 + k),
                                   capture_output=True)
            else:
                p = subprocess.run([BIN, "append", "--log", log, "--event",
                                    "ci-run", "--no-context", "--field",
                                    "seq=%d" % (trial * 10 + k)],
                                   capture_output=True)
            if p.returncode != 0:
                sys.exit("FAIL: append: " + p.stderr.decode())
            acked.append(int(p.stdout.split()[-1]))  # size after it
        for name in ("offsets", "hashes"):
            path = os.path.join(log, name)
            os.truncate(path, rng.randint(0, os.path.getsize(path)))
        p = subprocess.run([BIN, "append", "--log", log, "--event", "ci-run",
                            "--no-context", "--field", "seq=p%d" % trial],
                           capture_output=True)
        if p.returncode != 0:
            sys.exit("FAIL: append after power loss: " + p.stderr.decode())
        size = int(p.stdout.split()[-1])
        if size != len(entries(log)) or size != acked[-1] + 1:
            sys.exit("FAIL: power loss trial %d: size %d, %d entries, %d "
                     "acknowledged" % (trial, size, len(entries(log)),
                                       acked[-1]))
        acked.append(size)
        verify(log)
    es = entries(log)
    seqs = [e.get("fields", {}).get("seq") or e.get("seq") for e in es]
    if len(seqs) != len(set(seqs)):
        sys.exit("FAIL: power loss: duplicated entries")
    print("power loss: 40 trials of lost index suffixes, %d entries, all "
          "present, verify ok" % len(es))


def main():
    rng = random.Random(int(os.environ.get("CRASH_SEED", "9162")))
    tmp = tempfile.mkdtemp(prefix="audit-crash-")
    try:
        kill_trials(tmp, rng)
        concurrent(tmp)
        power_loss(tmp, rng)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
