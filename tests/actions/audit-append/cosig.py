#!/usr/bin/env python3
"""Witness cosignatures (C2SP tlog-cosignature v1, Ed25519), built here
independently of audit-append: the key id and the signed message with
Python's hashlib, the Ed25519 key and signature with the `openssl` CLI.

A checkpoint cosigned this way must verify with --witness-key (and with the
witness key given as --key); a tampered cosignature, a cosignature over
another time, a checkpoint edited after cosigning, and a missing
cosignature must each fail with exit 1 and a message naming the witness.
"""
import base64
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile

BIN = os.path.join(os.environ["BULWARK_BIN"], "audit-append")
DASH = "\u2014"


def run(args, **kw):
    return subprocess.run(args, capture_output=True, **kw)


def ok(p, what):
    if p.returncode != 0:
        sys.exit("FAIL: %s: exit %d: %s" % (what, p.returncode,
                                           p.stderr.decode()))
    return p.stdout.decode()


def witness_key(tmp, name):
    pem = os.path.join(tmp, "w.pem")
    ok(run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", pem]),
       "genpkey")
    der = run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"])
    if der.returncode != 0 or len(der.stdout) != 44:
        sys.exit("FAIL: openssl pkey -pubout: %r" % der.stderr)
    pub = der.stdout[-32:]
    kid = hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    vkey = "%s+%s+%s" % (name, kid.hex(),
                         base64.b64encode(b"\x04" + pub).decode())
    return pem, kid, vkey


def cosign(tmp, pem, kid, name, note, ts):
    text = note[:note.index(b"\n\n") + 1]
    msg = b"cosignature/v1\ntime %d\n" % ts + text
    mp = os.path.join(tmp, "msg")
    open(mp, "wb").write(msg)
    sig = run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", pem,
               "-in", mp])
    if sig.returncode != 0:
        sys.exit("FAIL: openssl pkeyutl -sign: %r" % sig.stderr)
    if len(sig.stdout) != 64:
        sys.exit("FAIL: openssl gave a %d-byte signature" % len(sig.stdout))
    blob = kid + struct.pack(">Q", ts) + sig.stdout
    line = "%s %s %s\n" % (DASH, name, base64.b64encode(blob).decode())
    return note + line.encode()


def verify(log, args):
    return run([BIN, "verify", "--log", log] + args)


def must_fail(p, want, what):
    err = p.stderr.decode()
    if p.returncode != 1 or want not in err:
        sys.exit("FAIL: %s: exit %d, stderr %r (want exit 1 and %r)"
                 % (what, p.returncode, err, want))
    print("%s: refused: %s" % (what, err.strip().splitlines()[-1]))


def main():
    tmp = tempfile.mkdtemp(prefix="audit-cosig-")
    try:
        log = os.path.join(tmp, "log")
        for i in range(5):
            ok(run([BIN, "append", "--log", log, "--event", "deploy",
                    "--no-context", "--field", "n=%d" % i]), "append")
        key = os.path.join(tmp, "k")
        ok(run([BIN, "keygen", "--origin", "example.com/cosig", "--out",
                key]), "keygen")
        ok(run([BIN, "checkpoint", "--log", log, "--key", key + ".key"]),
           "checkpoint")
        note = open(os.path.join(log, "checkpoint"), "rb").read()
        name = "witness.example/w1"
        pem, kid, vkey = witness_key(tmp, name)
        ts = 1767225600
        cp = os.path.join(tmp, "cosigned")
        good = cosign(tmp, pem, kid, name, note, ts)
        open(cp, "wb").write(good)
        pub = key + ".pub"

        out = ok(verify(log, ["--key", pub, "--witness-key", vkey,
                              "--checkpoint", cp]), "verify cosigned")
        if "cosigned by 1 witness" not in out:
            sys.exit("FAIL: verify output %r" % out)
        ok(verify(log, ["--key", pub, "--key", vkey, "--checkpoint", cp]),
           "witness key given with --key")
        print("cosigned checkpoint verifies (--witness-key and --key)")

        # One byte of the Ed25519 signature flipped.
        lines = good.split(b"\n")
        blob = bytearray(base64.b64decode(lines[-2].split(b" ")[2]))
        blob[20] ^= 0x01
        lines[-2] = b" ".join(lines[-2].split(b" ")[:2] +
                              [base64.b64encode(bytes(blob))])
        open(cp, "wb").write(b"\n".join(lines))
        must_fail(verify(log, ["--key", pub, "--witness-key", vkey,
                               "--checkpoint", cp]),
                  "invalid cosignature from witness '%s'" % name,
                  "tampered cosignature")
        # The timestamp changed: the signature covers it.
        blob = bytearray(base64.b64decode(
            good.split(b"\n")[-2].split(b" ")[2]))
        blob[11] ^= 0x01
        lines[-2] = b" ".join(lines[-2].split(b" ")[:2] +
                              [base64.b64encode(bytes(blob))])
        open(cp, "wb").write(b"\n".join(lines))
        must_fail(verify(log, ["--key", pub, "--witness-key", vkey,
                               "--checkpoint", cp]),
                  "invalid cosignature", "cosignature time changed")
        # A cosignature by another key under the same name and id is
        # still checked against the given key.
        pem2, _, _ = witness_key(tmp, name)
        open(cp, "wb").write(cosign(tmp, pem2, kid, name, note, ts))
        must_fail(verify(log, ["--key", pub, "--witness-key", vkey,
                               "--checkpoint", cp]),
                  "invalid cosignature", "cosigned by another key")
        # No cosigned checkpoint at all.
        must_fail(verify(log, ["--key", pub, "--witness-key", vkey]),
                  "no checkpoint carries a cosignature from witness",
                  "missing cosignature")
        # A log key passed as --witness-key is a usage error.
        p = verify(log, ["--key", pub, "--witness-key", pub])
        if p.returncode != 2 or b"not a cosignature" not in p.stderr:
            sys.exit("FAIL: log key as witness key: exit %d %r"
                     % (p.returncode, p.stderr))
        # Cosigning does not replace the log's own signature: a checkpoint
        # for another tree, cosigned, still fails on the log signature.
        forged = note.replace(b"\n5\n", b"\n4\n", 1)
        open(cp, "wb").write(cosign(tmp, pem, kid, name, forged, ts))
        p = verify(log, ["--key", pub, "--witness-key", vkey,
                         "--checkpoint", cp])
        if p.returncode != 1:
            sys.exit("FAIL: edited checkpoint passed: %r" % p.stderr)
        print("edited checkpoint, cosigned after the edit: refused")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
