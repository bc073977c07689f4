#!/usr/bin/env python3
"""Every single-byte change to a log is caught by `verify`.

A 12-entry log with two signed checkpoints. For every byte of entries,
offsets, hashes, checkpoint and checkpoints/*, flip one bit and run
`verify --key`: it must exit 1 with one error line naming the place. Then:
an inserted entry, a deleted entry, two swapped entries, and the whole log
rewritten and re-signed with another key.
"""
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.path.join(os.environ["BULWARK_BIN"], "audit-append")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, **kw)


def must_fail(log, key, what):
    p = run([BIN, "verify", "--log", log, "--key", key])
    err = p.stderr.decode().strip()
    if p.returncode != 1 or not err:
        sys.exit("FAIL: %s: verify exit %d, stderr %r" %
                 (what, p.returncode, err))
    return err.splitlines()[-1]


def build(d, key, n=12):
    log = os.path.join(d, "log")
    for i in range(n):
        run([BIN, "append", "--log", log, "--event", "deploy", "--no-context",
             "--time", "2026-01-01T00:00:%02dZ" % i, "--field", "n=%d" % i],
            check=True)
        if i in (5, n - 1):
            run([BIN, "checkpoint", "--log", log, "--key", key + ".key"],
                check=True)
    return log


def main():
    tmp = tempfile.mkdtemp(prefix="audit-tamper-")
    try:
        key = os.path.join(tmp, "k")
        run([BIN, "keygen", "--origin", "example.com/t", "--out", key],
            check=True)
        log = build(tmp, key)
        if run([BIN, "verify", "--log", log, "--key", key + ".pub"]).returncode:
            sys.exit("FAIL: clean log does not verify")
        files = ["entries", "offsets", "hashes", "checkpoint"] + [
            os.path.join("checkpoints", f)
            for f in sorted(os.listdir(os.path.join(log, "checkpoints")))]
        flips = 0
        for name in files:
            path = os.path.join(log, name)
            orig = open(path, "rb").read()
            for i in range(len(orig)):
                b = bytearray(orig)
                b[i] ^= 0x01 if i % 2 else 0x20
                open(path, "wb").write(bytes(b))
                must_fail(log, key + ".pub", "%s byte %d" % (name, i))
                flips += 1
            open(path, "wb").write(orig)
        print("%d single-byte flips in %d files: all caught" %
              (flips, len(files)))

        entries = os.path.join(log, "entries")
        orig = open(entries, "rb").read()
        lines = orig.split(b"\n")[:-1]
        cases = {
            "inserted entry": lines[:3] + [lines[3]] + lines[3:],
            "deleted entry": lines[:3] + lines[4:],
            "swapped entries": lines[:3] + [lines[4], lines[3]] + lines[5:],
        }
        for what, ls in cases.items():
            open(entries, "wb").write(b"\n".join(ls) + b"\n")
            print("%s: %s" % (what, must_fail(log, key + ".pub", what)))
        open(entries, "wb").write(orig)

        # Rewrite everything consistently and re-sign with another key.
        run([BIN, "keygen", "--origin", "example.com/t", "--out",
             os.path.join(tmp, "evil")], check=True)
        evil = os.path.join(tmp, "evil-log")
        os.mkdir(evil)
        log2 = build(evil, os.path.join(tmp, "evil"), 11)
        print("rewritten and re-signed: %s" %
              must_fail(log2, key + ".pub", "re-signed"))
        print("PASS")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
