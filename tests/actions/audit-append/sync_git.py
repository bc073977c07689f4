#!/usr/bin/env python3
"""`audit-append sync` with real git and a local bare repository.

8 runners, each with its own local log, sync to one branch at the same time
(twice, with new entries in between). Every entry must land exactly once, in
each runner's order, the shared log must verify with the signer's key, and
a branch whose history was rewritten (force-pushed) must be refused.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

BIN = os.path.join(os.environ["BULWARK_BIN"], "audit-append")


def run(args, check=True, **kw):
    p = subprocess.run(args, capture_output=True, **kw)
    if check and p.returncode != 0:
        sys.exit("FAIL: %s -> %d\n%s" % (" ".join(args), p.returncode,
                                         p.stderr.decode()))
    return p


def append(log, runner, n, start):
    lines = "".join('{"event":"deploy","runner":"%d","seq":"%d"}\n' %
                    (runner, start + i) for i in range(n))
    run([BIN, "append", "--log", log, "--batch", "--no-context"],
        input=lines.encode())


def sync_all(tmp, remote, key):
    results = [None] * 8

    def go(r):
        results[r] = subprocess.run(
            [BIN, "sync", "--log", os.path.join(tmp, "r%d" % r), "--remote",
             remote, "--key", key + ".key", "--verifier", key + ".pub"],
            capture_output=True)

    ts = [threading.Thread(target=go, args=(r,)) for r in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for r, p in enumerate(results):
        if p.returncode != 0:
            sys.exit("FAIL: runner %d sync exit %d: %s" %
                     (r, p.returncode, p.stderr.decode()))
    return sum(int(p.stdout.split(b"(")[1].split()[0]) for p in results)


def check_shared(tmp, remote, key, want):
    chk = os.path.join(tmp, "chk")
    shutil.rmtree(chk, ignore_errors=True)
    run(["git", "clone", "-q", "-b", "audit-trail", remote, chk])
    run([BIN, "verify", "--log", chk, "--key", key + ".pub"])
    with open(os.path.join(chk, "entries")) as f:
        es = [json.loads(l) for l in f]
    if len(es) != want:
        sys.exit("FAIL: shared log has %d entries, want %d" % (len(es), want))
    per = {}
    for e in es:
        per.setdefault(e["runner"], []).append(int(e["seq"]))
    for r, seqs in per.items():
        if seqs != list(range(len(seqs))):
            sys.exit("FAIL: runner %s entries lost, duplicated or reordered: "
                     "%s" % (r, seqs))
    return chk


def main():
    tmp = tempfile.mkdtemp(prefix="audit-sync-")
    try:
        remote = os.path.join(tmp, "remote.git")
        run(["git", "init", "-q", "--bare", remote])
        key = os.path.join(tmp, "k")
        run([BIN, "keygen", "--origin", "example.com/shared", "--out", key])
        for r in range(8):
            append(os.path.join(tmp, "r%d" % r), r, 5, 0)
        a1 = sync_all(tmp, remote, key)
        check_shared(tmp, remote, key, 40)
        for r in range(8):
            append(os.path.join(tmp, "r%d" % r), r, 3, 5)
        a2 = sync_all(tmp, remote, key)
        chk = check_shared(tmp, remote, key, 64)
        print("8 concurrent syncers x 2 rounds: 64 entries, each once, in "
              "order; %d + %d attempts (rejected pushes retried)" % (a1, a2))

        # Rewrite history: rebuild the shared log with its first entry
        # changed (every hash recomputed, no signature) and force-push. The
        # next sync must notice it no longer extends what it saw.
        with open(os.path.join(chk, "entries")) as f:
            lines = f.read().splitlines(True)
        lines[0] = lines[0].replace('"deploy"', '"rollback"')
        for name in ("entries", "offsets", "hashes", "checkpoint"):
            os.unlink(os.path.join(chk, name))
        shutil.rmtree(os.path.join(chk, "checkpoints"))
        run([BIN, "append", "--log", chk, "--batch"],
            input="".join(lines).encode())
        run(["git", "-C", chk, "add", "-A"])
        run(["git", "-C", chk, "-c", "user.name=x", "-c", "user.email=x@x",
             "commit", "-q", "-m", "rewrite"])
        run(["git", "-C", chk, "push", "-q", "-f", "origin",
             "HEAD:refs/heads/audit-trail"])
        append(os.path.join(tmp, "r0"), 0, 1, 8)
        p = run([BIN, "sync", "--log", os.path.join(tmp, "r0"), "--remote",
                 remote, "--key", key + ".key"], check=False)
        if p.returncode != 1 or b"rewritten" not in p.stderr:
            sys.exit("FAIL: rewritten branch not refused (exit %d): %s" %
                     (p.returncode, p.stderr.decode()))
        print("rewritten branch refused: " + p.stderr.decode().strip()
              .splitlines()[0])
        print("PASS")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
