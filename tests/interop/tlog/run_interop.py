#!/usr/bin/env python3
"""Independent verification of audit-append by Go's sumdb/note + sumdb/tlog.

Builds tests/interop/tlog/verifier.go in GOPATH mode against Debian's
golang-golang-x-mod-dev (nothing vendored into the repo), then:
  1. our verifier key parses with note.NewVerifier, and Go's note.Sign with
     our signer key reproduces our checkpoint signature byte for byte;
  2. sizes 1..300, one entry at a time: a signed checkpoint per size,
     inclusion proofs (first, last, middle, random index) and consistency
     proofs (from 1, half, size-1, random) all pass note.Open +
     tlog.CheckRecord / tlog.CheckTree;
  3. random sizes up to 100k (batch appends): the same, plus our `hashes`
     file equals tlog.StoredHashes byte for byte and tlog.TreeHash equals the
     signed root;
  4. `export --tiles` writes exactly the tiles tlog.NewTiles/ReadTileData
     derive, and the entry bundles;
  5. a tampered proof is rejected by Go and by our check-proof.
A missing `go` fails the test (it never skips).
"""
import base64
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(os.environ.get("BULWARK_BIN", ""), "audit-append")
SEED = int(os.environ.get("INTEROP_SEED", "6962"))
MAX_SIZE = int(os.environ.get("INTEROP_MAX_SIZE", "100000"))


def run(args, stdin=None, check=True):
    p = subprocess.run(args, input=stdin, capture_output=True)
    if check and p.returncode != 0:
        sys.exit("FAIL: %s -> %d\n%s%s" % (" ".join(args), p.returncode,
                                           p.stdout.decode(), p.stderr.decode()))
    return p


def build_verifier(tmp):
    go = shutil.which("go")
    if go is None:
        sys.exit("FAIL: 'go' not found; install golang-go and "
                 "golang-golang-x-mod-dev (scripts/install-deps.sh)")
    env = dict(os.environ, GO111MODULE="off",
               GOPATH="/usr/share/gocode:" + os.path.join(tmp, "gopath"),
               GOCACHE=os.path.join(tmp, "gocache"), GOFLAGS="")
    out = os.path.join(tmp, "verifier")
    p = subprocess.run([go, "build", "-o", out,
                        os.path.join(HERE, "verifier.go")],
                       env=env, capture_output=True)
    if p.returncode != 0:
        sys.exit("FAIL: go build: " + p.stderr.decode())
    return out


def append(log, n, start):
    lines = "".join('{"event":"ci-run","seq":%d}\n' % (start + i)
                    for i in range(n))
    run([BIN, "append", "--log", log, "--batch", "--no-context",
         "--time", "2026-01-01T00:00:00Z"], stdin=lines.encode())


def checkpoint(log, key):
    run([BIN, "checkpoint", "--log", log, "--key", key])


def prove_index(log, out, i):
    run([BIN, "prove", "--log", log, "--index", str(i), "--output", out])


def prove_old(log, out, old):
    run([BIN, "prove", "--log", log, "--old-size", str(old),
         "--output", out])
    shutil.copy(os.path.join(log, "checkpoints", "%020d" % old),
                out + ".old")


def proofs_at(log, pdir, size, rng, tag):
    idx = {0, size - 1, size // 2, rng.randrange(size)}
    for i in sorted(idx):
        prove_index(log, os.path.join(pdir, "%s-%d-%d.tlog-proof" %
                                      (tag, size, i)), i)
    return idx


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit("FAIL: %s not built" % BIN)
    rng = random.Random(SEED)
    tmp = tempfile.mkdtemp(prefix="tlog-interop-")
    try:
        go = build_verifier(tmp)
        key = os.path.join(tmp, "k")
        run([BIN, "keygen", "--origin", "example.com/interop", "--out", key])
        print(run([go, "vkey", key + ".pub"]).stdout.decode().strip())

        # 1..300, one entry at a time.
        log = os.path.join(tmp, "small")
        pdir = os.path.join(tmp, "proofs-small")
        os.mkdir(pdir)
        nproofs = 0
        for size in range(1, 301):
            append(log, 1, size - 1)
            checkpoint(log, key + ".key")
            nproofs += len(proofs_at(log, pdir, size, rng, "s"))
            for old in sorted({1, size // 2 or 1, size - 1 or 1,
                               rng.randrange(1, size + 1)}):
                prove_old(log, os.path.join(pdir, "s-%d-%d.cproof" %
                                            (size, old)), old)
                nproofs += 1
        print(run([go, "dir", key + ".pub", pdir]).stdout.decode().strip())
        print(run([go, "log", key + ".pub", log]).stdout.decode().strip())

        # Go's signer reproduces our last checkpoint byte for byte.
        with open(os.path.join(log, "checkpoint"), "rb") as f:
            ours = f.read()
        body = ours[:ours.index(b"\n\n") + 1]
        with open(os.path.join(tmp, "body"), "wb") as f:
            f.write(body)
        theirs = run([go, "sign", key + ".key",
                      os.path.join(tmp, "body")]).stdout
        if theirs != ours:
            sys.exit("FAIL: Go note.Sign differs from our checkpoint:\n%r\n%r"
                     % (theirs, ours))
        print("OK Go note.Sign with our signer key == our checkpoint")

        # Random sizes up to MAX_SIZE.
        log = os.path.join(tmp, "big")
        pdir = os.path.join(tmp, "proofs-big")
        os.mkdir(pdir)
        sizes = sorted(set(rng.randrange(2, MAX_SIZE) for _ in range(8)) |
                       {MAX_SIZE})
        have = 0
        done = []
        for size in sizes:
            append(log, size - have, have)
            have = size
            checkpoint(log, key + ".key")
            proofs_at(log, pdir, size, rng, "b")
            for old in sorted(set(done[-2:] + [rng.choice(done or [size])])):
                prove_old(log, os.path.join(pdir, "b-%d-%d.cproof" %
                                            (size, old)), old)
            done.append(size)
        print(run([go, "dir", key + ".pub", pdir]).stdout.decode().strip())
        print(run([go, "log", key + ".pub", log]).stdout.decode().strip())

        # C2SP tlog-tiles export equals Go's tiles for the same tree.
        tiles = os.path.join(tmp, "tiles")
        run([BIN, "export", "--log", log, "--tiles", tiles])
        print(run([go, "tiles", key + ".pub", log, tiles]).stdout.decode()
              .strip())

        # Tampering: flip one proof hash; both verifiers must refuse.
        bad = os.path.join(tmp, "bad")
        os.mkdir(bad)
        src = os.path.join(pdir, sorted(f for f in os.listdir(pdir)
                                        if f.endswith(".tlog-proof"))[-1])
        with open(src) as f:
            lines = f.read().split("\n")
        for i, l in enumerate(lines):
            if len(l) == 44 and not l.startswith(("index", "extra")):
                h = bytearray(base64.b64decode(l))
                h[0] ^= 1
                lines[i] = base64.b64encode(bytes(h)).decode()
                break
        with open(os.path.join(bad, "x.tlog-proof"), "w") as f:
            f.write("\n".join(lines))
        if run([go, "dir", key + ".pub", bad], check=False).returncode == 0:
            sys.exit("FAIL: Go accepted a tampered proof")
        if run([BIN, "check-proof", "--proof", os.path.join(bad, "x.tlog-proof"),
                "--key", key + ".pub"], check=False).returncode != 1:
            sys.exit("FAIL: check-proof accepted a tampered proof")
        print("OK tampered proof rejected by Go and by check-proof")
        print("PASS (%d small-log proofs, sizes %s)" % (nproofs, sizes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
