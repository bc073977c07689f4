#!/usr/bin/env python3
"""sign-artifact next to its anchors, side by side in one run.

1. SHA-256 of one 1 GiB file (tmpfs): `sign-artifact sign --dry-run` (hashes,
   signs nothing) vs `openssl dgst -sha256` vs coreutils `sha256sum`.
2. Four 256 MiB files: sign-artifact hashes them on all cores vs
   `sha256sum` / `openssl dgst` over the same files (one process).
3. Signing 1000 small files end to end, keyed, bundles + SHA256SUMS:
   one `sign-artifact sign` vs a shell loop of `openssl dgst -sha256 -sign`
   (signatures only) vs sigstore-js (@sigstore/sign, same bundles).
4. Startup: `sign-artifact --version` vs /bin/true.

Each command runs `--rounds` times (default 5); medians are reported with
ratios anchor/ours (>1 means sign-artifact is faster).

usage: bench/sign-artifact/bench.py [--bin DIR] [--rounds N] [--dir TMPFS]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))


def arg(name, default):
    a = sys.argv[1:]
    return a[a.index(name) + 1] if name in a else default


def timed(cmd, cwd, rounds, shell=False, setup=None):
    samples = []
    for _ in range(rounds):
        if setup:
            setup()
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, shell=shell, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def report(title, ours, anchors):
    print(f"\n{title}")
    print(f"  {'sign-artifact':<44} {ours * 1000:10.1f} ms")
    for name, t in anchors:
        print(f"  {name:<44} {t * 1000:10.1f} ms   ratio {t / ours:5.2f}x")


def main():
    bindir = arg("--bin", os.environ.get("BULWARK_BIN",
                 os.path.join(SRC, "build", "sign", "bin")))
    rounds = int(arg("--rounds", "5"))
    base = arg("--dir", "/dev/shm" if os.path.isdir("/dev/shm") else None)
    sa = os.path.abspath(os.path.join(bindir, "sign-artifact"))
    tmp = tempfile.mkdtemp(prefix="bench-sign-", dir=base)
    try:
        print(f"sign-artifact bench: {sa}, {os.cpu_count()} CPUs, rounds={rounds}, dir={tmp}")
        subprocess.run([sa, "keygen", "--out", "k"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        big = os.path.join(tmp, "big.bin")
        with open(big, "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(1024):
                f.write(chunk)
        ours = timed([sa, "sign", "--dry-run", "--key", "k.key", "big.bin"], tmp, rounds)
        report("1 GiB file, SHA-256", ours, [
            ("openssl dgst -sha256", timed(["openssl", "dgst", "-sha256", "big.bin"], tmp, rounds)),
            ("sha256sum (coreutils)", timed(["sha256sum", "big.bin"], tmp, rounds)),
        ])
        os.unlink(big)

        parts = []
        for i in range(4):
            p = f"part{i}.bin"
            with open(os.path.join(tmp, p), "wb") as f:
                chunk = os.urandom(1 << 20)
                for _ in range(256):
                    f.write(chunk)
            parts.append(p)
        ours = timed([sa, "sign", "--dry-run", "--key", "k.key"] + parts, tmp, rounds)
        report("4 x 256 MiB files, SHA-256 (parallel across cores)", ours, [
            ("openssl dgst -sha256 (4 files)", timed(["openssl", "dgst", "-sha256"] + parts, tmp, rounds)),
            ("sha256sum (4 files)", timed(["sha256sum"] + parts, tmp, rounds)),
        ])
        for p in parts:
            os.unlink(os.path.join(tmp, p))

        small = os.path.join(tmp, "small")
        os.mkdir(small)
        for i in range(1000):
            with open(os.path.join(small, f"f{i:04d}.txt"), "wb") as f:
                f.write(os.urandom(2048))
        shutil.copy(os.path.join(tmp, "k.key"), small)

        def clean():
            for n in os.listdir(small):
                if n.endswith(".sig") or n.endswith(".sigstore.json"):
                    os.unlink(os.path.join(small, n))

        ours = timed(f"{sa} sign -q --key k.key f*.txt", small, rounds, shell=True, setup=clean)
        anchors = [("shell loop: openssl dgst -sha256 -sign (x1000)",
                    timed("for f in f*.txt; do openssl dgst -sha256 -sign k.key -out $f.sig $f; done",
                          small, rounds, shell=True, setup=clean))]
        node_mod = os.path.join(SRC, "tests", "node_modules", "@sigstore", "sign")
        if shutil.which("node") and os.path.isdir(node_mod):
            env_js = os.path.join(HERE, "sigstore_js_sign.js")
            os.environ["NODE_PATH"] = os.path.join(SRC, "tests", "node_modules")
            anchors.append(("sigstore-js MessageSignatureBundleBuilder",
                            timed(f"node {env_js} k.key f*.txt", small, rounds, shell=True, setup=clean)))
        report("1000 x 2 KiB files, keyed signing end to end", ours, anchors)

        ours = timed(f"for i in $(seq 200); do {sa} --version; done", tmp, rounds, shell=True)
        report("startup x200 (--version)", ours, [
            ("/bin/true x200", timed("for i in $(seq 200); do /bin/true; done", tmp, rounds, shell=True)),
        ])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
