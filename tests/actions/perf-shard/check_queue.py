#!/usr/bin/env python3
"""Queue mode with real git: a local bare repository as the remote and six
concurrent `perf-shard run --queue` workers. Checks that every chunk is
claimed by exactly one worker, every test runs, none twice; then kills a
worker mid-chunk (SIGKILL of perf-shard itself), re-runs that job with
GITHUB_RUN_ATTEMPT=2 and checks it re-runs exactly the chunks it had
claimed, after which every test has completed. Finally queue-clean.

usage: check_queue.py PERF_SHARD_BINARY
"""
import json
import os
import random
import subprocess
import time
import sys
import tempfile

WORKERS = 6


def sh(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def refs(remote, key):
    out = sh(["git", "-C", remote, "for-each-ref", "--format=%(refname)",
              "refs/perf-shard/%s/" % key]).stdout.split()
    lock = {r.rsplit("/", 1)[1] for r in out if "/by/" not in r}
    by = {}
    for r in out:
        if "/by/" in r:
            idx, chunk = r.split("/by/")[1].split("/")
            by.setdefault(chunk, []).append(int(idx))
    return lock, by


def main():
    exe = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="perf-shard-queue-")
    remote = os.path.join(tmp, "remote.git")
    work = os.path.join(tmp, "work")
    sh(["git", "init", "-q", "--bare", remote])
    sh(["git", "init", "-q", work])
    r = random.Random(3)
    dur = {"t/f%02d.py::test_%03d[a b]" % (i // 6, i): round(r.lognormvariate(-3, 1), 5)
           for i in range(90)}
    json.dump(dur, open(os.path.join(tmp, "d.json"), "w"))
    sh([exe, "ingest", "--durations", "d.json", "--out", "t.json"], cwd=tmp)
    sh([exe, "plan", "--timings", "t.json", "--shards", str(WORKERS), "--out",
        "plan.json"], cwd=tmp)
    log = os.path.join(tmp, "done.txt")
    # Each chunk's command records its items only when it completes.
    # Worker 3 SIGKILLs its perf-shard in its first chunk.
    body = ('n=$(cat %s/count.$W 2>/dev/null || echo 0); n=$((n+1)); '
            'echo $n > %s/count.$W; '
            'if [ "$W" = 3 ] && [ "$KILL" = 1 ] && [ $n = 1 ]; then '
            'kill -KILL $PPID; exit 1; fi; sleep 0.02; '
            'for t; do printf "%%s\\t%%s\\t%%s\\n" "$A" "$W" "$t" >> %s; done'
            % (tmp, tmp, log))

    def start(w, attempt, kill):
        env = dict(os.environ, W=str(w), A=str(attempt), KILL="1" if kill else "0",
                   GITHUB_RUN_ATTEMPT=str(attempt))
        # Output to files, not pipes: waiting on one worker while another
        # blocks on a full pipe would deadlock the test.
        out = tempfile.TemporaryFile(mode="w+", dir=tmp)
        p = subprocess.Popen([exe, "run", "--plan", "../plan.json", "--index",
                              str(w), "--queue", remote, "--run-key", "run7",
                              "--", "sh", "-c", body, "sh", "{}"],
                             cwd=work, env=env, stdout=subprocess.DEVNULL,
                             stderr=out, text=True)
        p.errfile = out
        return p

    def wait(p):
        rc = p.wait(timeout=240)
        p.errfile.seek(0)
        return rc, p.errfile.read()

    # Worker 3 must own a chunk before the others can drain the queue, so
    # it starts first and the rest join once its first chunk is running.
    first3 = start(3, 1, True)
    deadline = time.time() + 60
    while (not os.path.exists(os.path.join(tmp, "count.3"))
           and first3.poll() is None and time.time() < deadline):
        time.sleep(0.01)
    procs = [first3 if w == 3 else start(w, 1, True)
             for w in range(1, WORKERS + 1)]
    rcs, errs = zip(*[wait(p) for p in procs])
    bad = []
    if rcs[2] != -9:
        bad.append("worker 3 was not killed: rc %s" % rcs[2])
    for w, rc in enumerate(rcs, 1):
        if w != 3 and rc != 0:
            bad.append("worker %d exit %d: %s" % (w, rc, errs[w - 1]))
    lock, by = refs(remote, "run7")
    if set(by) != lock or any(len(v) != 1 for v in by.values()):
        bad.append("chunks not claimed exactly once: %r %r" % (lock, by))
    done = [l.rstrip("\n").split("\t") for l in open(log)]
    first = [t for a, w, t in done]
    if len(first) != len(set(first)):
        bad.append("a test completed twice in attempt 1")
    mine = sorted(int(c) for c, ws in by.items() if ws == [3])
    missing = set(dur) - set(first)
    if not missing:
        bad.append("the killed chunk's tests completed anyway")
    # Re-run the killed job: attempt 2 re-runs exactly its claimed chunks.
    rc, err = wait(start(3, 2, False))
    if rc != 0:
        bad.append("re-run exit %d: %s" % (rc, err))
    rerun = sorted(int(l.split("chunk ")[1].split(" ")[0]) for l in err.splitlines()
                   if "re-running chunk" in l)
    if rerun != mine:
        bad.append("re-ran chunks %r, claimed %r" % (rerun, mine))
    done = [l.rstrip("\n").split("\t") for l in open(log)]
    if set(t for a, w, t in done) != set(dur):
        bad.append("tests never completed: %r" % (set(dur) - set(t for a, w, t in done)))
    second = [t for a, w, t in done if a == "2"]
    if len(second) != len(set(second)) or not missing <= set(second):
        bad.append("attempt 2 did not re-run the killed chunk")
    out = sh([exe, "queue-clean", "--queue", remote, "--run-key", "run7"],
             cwd=work).stdout
    if refs(remote, "run7") != (set(), {}):
        bad.append("queue-clean left refs: " + out)
    print("%d chunks, %d claimed by worker 3, %d tests missing after the kill, "
          "re-run ran %r" % (len(lock), len(mine), len(missing), rerun))
    for b in bad:
        print("FAIL", b)
    if not bad:
        subprocess.run(["rm", "-rf", tmp])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
