#!/usr/bin/env python3
"""Queue mode through the GitHub API (--queue github:o/r) against
tests/helpers/fake_github.py with stateful git refs: four concurrent
workers must run every test exactly once, each chunk claimed by exactly
one worker (each claim ref points at its job's own commit), although the
first two create-ref POSTs answer 403 (secondary rate limit) and 502.
A worker SIGKILLed mid-chunk and re-run as attempt 2 re-runs exactly the
chunks it had claimed. queue-clean deletes every ref. Without a token the
run fails with one error line.

usage: check_queue_github.py PERF_SHARD_BINARY FAKE_GITHUB_PY
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

WORKERS = 4


def main():
    exe, fake = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="perf-shard-ghq-")
    scen = {"git_refs": {"repo": "o/r"}, "routes": [
        {"method": "POST", "path": "/repos/o/r/git/refs", "responses": [
            {"status": 403, "headers": {"retry-after": "0"},
             "json": {"message": "You have exceeded a secondary rate limit."}},
            {"status": 502, "json": {"message": "Server Error"}},
            {"pass": True}]}]}
    json.dump(scen, open(os.path.join(tmp, "s.json"), "w"))
    port_file, log = os.path.join(tmp, "port"), os.path.join(tmp, "log.jsonl")
    srv = subprocess.Popen([sys.executable, fake, "--scenario",
                            os.path.join(tmp, "s.json"), "--port-file",
                            port_file, "--log", log])
    try:
        for _ in range(200):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        base = "http://127.0.0.1:%s" % open(port_file).read().strip()
        run(exe, tmp, base, log)
    finally:
        srv.terminate()
        try:
            srv.wait(timeout=30)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
    print("ok")


def run(exe, tmp, base, log):
    r = random.Random(5)
    dur = {"t/f%02d.py::test_%03d[x y]" % (i // 5, i): round(r.lognormvariate(-3, 1), 5)
           for i in range(60)}
    json.dump(dur, open(os.path.join(tmp, "d.json"), "w"))
    subprocess.run([exe, "ingest", "--durations", "d.json", "--out", "t.json"],
                   cwd=tmp, check=True, capture_output=True)
    subprocess.run([exe, "plan", "--timings", "t.json", "--shards", str(WORKERS),
                    "--out", "plan.json"], cwd=tmp, check=True, capture_output=True)
    done = os.path.join(tmp, "done.txt")
    env = dict(os.environ, GITHUB_API_URL=base, GITHUB_TOKEN="ghs_fake",
               PERF_SHARD_RETRY_MS="5", GITHUB_RUN_ATTEMPT="1")
    env.pop("GH_TOKEN", None)
    body = ('sleep 0.02; for t; do printf "%%s\\t%%s\\n" "$W" "$t" >> %s; done'
            % done)
    ps = [subprocess.Popen([exe, "run", "--plan", "plan.json", "--index",
                            str(w), "--queue", "github:o/r", "--run-key", "77",
                            "--", "sh", "-c", body, "sh", "{}"], cwd=tmp,
                           env=dict(env, W=str(w)), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
          for w in range(1, WORKERS + 1)]
    for p in ps:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (p.returncode, err)
    ran = [l.split("\t", 1)[1] for l in open(done).read().splitlines()]
    assert sorted(ran) == sorted(dur), "every test exactly once"
    reqs = [json.loads(l) for l in open(log)]
    created = [json.loads(q["body"])["ref"] for q in reqs
               if q["method"] == "POST" and q["path"] == "/repos/o/r/git/refs"
               and q["route"] == 0]
    assert len(reqs) > 0 and all(q["headers"].get("authorization") ==
                                 "Bearer ghs_fake" for q in reqs)
    listing = subprocess.run(
        ["python3", "-c", "import json,sys,urllib.request;"
         "print(urllib.request.urlopen(sys.argv[1]).read().decode())",
         base + "/repos/o/r/git/matching-refs/perf-shard/77/"],
        check=True, capture_output=True, text=True).stdout
    listed = json.loads(listing)
    refs = [x["ref"] for x in listed]
    locks = {x["ref"].rsplit("/", 1)[1]: x["object"]["sha"] for x in listed}
    assert locks and len(locks) == len(refs), refs
    # one commit per job: the owners are at most WORKERS distinct shas
    commits = {json.loads(q["body"])["message"]: None for q in reqs
               if q["method"] == "POST" and q["path"] == "/repos/o/r/git/commits"}
    assert len(set(locks.values())) <= WORKERS <= len(commits), (locks, commits)
    # the 403 and the 502 were answered and retried: more POSTs than refs
    assert len(created) >= len(refs) + 2, (len(created), len(refs))
    assert len(locks) > WORKERS, "more chunks than workers"
    killed_rerun(exe, tmp, env, dur, base)
    cancelled(exe, tmp, env, base)
    # queue-clean removes them all
    c = subprocess.run([exe, "queue-clean", "--queue", "github:o/r",
                        "--run-key", "77"], cwd=tmp, env=env,
                       capture_output=True, text=True)
    assert c.returncode == 0, c.stderr
    assert ("deleted %d refs" % len(refs)) in c.stdout, c.stdout
    left = subprocess.run(
        ["python3", "-c", "import urllib.request,sys;"
         "print(urllib.request.urlopen(sys.argv[1]).read().decode())",
         base + "/repos/o/r/git/matching-refs/perf-shard/77/"],
        check=True, capture_output=True, text=True).stdout
    assert json.loads(left) == [], left
    # no token: one error line, nothing run
    env2 = dict(env)
    env2.pop("GITHUB_TOKEN")
    m = subprocess.run([exe, "run", "--plan", "plan.json", "--index", "1",
                        "--queue", "github:o/r", "--run-key", "78", "--",
                        "sh", "-c", "touch ran", "sh", "{}"], cwd=tmp,
                       env=env2, capture_output=True, text=True)
    assert m.returncode != 0 and len(m.stderr.splitlines()) == 1, m.stderr
    assert "token" in m.stderr.lower(), m.stderr
    print("no token:", m.stderr.strip())
    assert not os.path.exists(os.path.join(tmp, "ran"))


def killed_rerun(exe, tmp, env, dur, base):
    """Worker 1 is SIGKILLed while running its first chunk; the others
    drain the queue; worker 1's attempt 2 re-runs exactly that chunk."""
    done = os.path.join(tmp, "done2.txt")
    gate = os.path.join(tmp, "gate")
    body = ('if [ "$W" = 1 ] && [ "$GITHUB_RUN_ATTEMPT" = 1 ]; then '
            '{ echo $$; printf "%%s\\n" "$@"; } > %s.tmp; mv %s.tmp %s; '
            'exec sleep 60; fi; '
            'for t; do printf "%%s\\t%%s\\n" "$W" "$t" >> %s; done'
            % (gate, gate, gate, done))
    def start(w, attempt):
        return subprocess.Popen(
            [exe, "run", "--plan", "plan.json", "--index", str(w), "--queue",
             "github:o/r", "--run-key", "79", "--", "sh", "-c", body, "sh",
             "{}"], cwd=tmp, env=dict(env, W=str(w), GITHUB_RUN_ATTEMPT=str(attempt)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
    p1 = start(1, 1)
    for _ in range(400):
        if os.path.exists(gate):
            break
        time.sleep(0.05)
    assert os.path.exists(gate), "worker 1 never started a chunk"
    # The job dies whole, as on a cancelled runner: perf-shard and the
    # test command it started in a process group of its own.
    lines = open(gate).read().splitlines()
    os.killpg(p1.pid, 9)
    os.killpg(int(lines[0]), 9)
    p1.communicate()
    held = lines[1:]
    others = [start(w, 1) for w in range(2, WORKERS + 1)]
    for p in others:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (p.returncode, err)
    ran = [l.split("\t", 1)[1] for l in open(done).read().splitlines()]
    assert sorted(ran + held) == sorted(dur), "all but the killed chunk ran once"
    again = start(1, 2)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    rows = [l.split("\t", 1) for l in open(done).read().splitlines()]
    rerun = sorted(t for w, t in rows if w == "1")
    assert rerun == sorted(held), (rerun, held)
    assert sorted(t for _, t in rows) == sorted(dur), "every test exactly once"
    print("killed worker: attempt 2 re-ran its %d tests" % len(held))


def cancelled(exe, tmp, env, base):
    """SIGTERM to a worker (a cancelled job) reaches its chunk and stops
    it claiming: exit 143, exactly one claim ref."""
    gate = os.path.join(tmp, "gate-c")
    p = subprocess.Popen(
        [exe, "run", "--plan", "plan.json", "--index", "1", "--queue",
         "github:o/r", "--run-key", "83", "--", "sh", "-c",
         'touch %s; exec sleep 30' % gate, "sh", "{}"], cwd=tmp, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(400):
        if os.path.exists(gate):
            break
        time.sleep(0.05)
    assert os.path.exists(gate), "no chunk started"
    p.send_signal(15)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 143, (p.returncode, err)
    assert "stopped by signal 15" in err, err
    refs = json.loads(subprocess.run(
        ["python3", "-c", "import sys,urllib.request;"
         "print(urllib.request.urlopen(sys.argv[1]).read().decode())",
         base + "/repos/o/r/git/matching-refs/perf-shard/83/"],
        check=True, capture_output=True, text=True).stdout)
    assert len(refs) == 1, refs
    print("cancelled worker: exit 143 after one claim")


if __name__ == "__main__":
    main()
