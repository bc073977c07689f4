#!/usr/bin/env python3
"""The tools map none of libcrypto, libcurl, libyaml and libcjson at
startup (common/crypto.h, http_curl.c, config.c, json.h), and a libcrypto
that cannot be loaded when a command needs it gives one error line and
exit 125, not a crash.

usage: lazy_libs.py BINDIR
"""
import os
import subprocess
import sys
import tempfile

TOOLS = ["audit-append", "sign-artifact", "perf-shard", "chaos-inject", "self-heal"]


def needed(path):
    out = subprocess.run(["readelf", "-d", path], check=True,
                         capture_output=True, text=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines()
            if "(NEEDED)" in line]


def main():
    bindir = sys.argv[1]
    failures = []
    for t in TOOLS:
        libs = needed(os.path.join(bindir, t))
        for bad in ("libcrypto", "libssl", "libcurl", "libyaml", "libcjson"):
            if any(lib.startswith(bad) for lib in libs):
                failures.append(f"{t}: DT_NEEDED has {bad} ({', '.join(libs)})")
    with tempfile.TemporaryDirectory() as tmp:
        # An unloadable libcrypto.so.3 first on the search path.
        with open(os.path.join(tmp, "libcrypto.so.3"), "w") as f:
            f.write("not an ELF file\n")
        env = dict(os.environ, LD_LIBRARY_PATH=tmp)
        env.pop("GITHUB_ACTIONS", None)
        for t in TOOLS:
            r = subprocess.run([os.path.join(bindir, t), "--version"], env=env,
                               capture_output=True, text=True)
            if r.returncode != 0:
                failures.append(f"{t} --version needs libcrypto: rc {r.returncode} {r.stderr!r}")
        r = subprocess.run([os.path.join(bindir, "sign-artifact"), "keygen",
                            "--out", os.path.join(tmp, "k")],
                           env=env, capture_output=True, text=True)
        lines = r.stderr.splitlines()
        if r.returncode != 125 or len(lines) != 1 or "libcrypto.so.3" not in lines[0]:
            failures.append(f"keygen without libcrypto: rc {r.returncode}, stderr {r.stderr!r}")
        if os.path.exists(os.path.join(tmp, "k.pem")) or os.path.exists(os.path.join(tmp, "k.pub")):
            failures.append("keygen without libcrypto left a key file behind")
        # And with the real one, the lazily bound calls work.
        r = subprocess.run([os.path.join(bindir, "sign-artifact"), "keygen",
                            "--out", os.path.join(tmp, "real")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"keygen with libcrypto failed: {r.stderr!r}")
    for f in failures:
        print("FAIL", f)
    if not failures:
        print(f"ok: {len(TOOLS)} tools start without libcrypto/libcurl; "
              "a missing libcrypto is one line and exit 125")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
