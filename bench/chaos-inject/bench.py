#!/usr/bin/env python3
"""chaos-inject benchmarks, anchors side by side in one run.

1. Shim overhead per call: the same loop (bench_calls.c: malloc+free, and a
   1-byte read of /dev/zero) with no preload, with libbulwark-chaos.so and
   rules off, with a rule on another call (this call stays on the fast
   path), with a rule that matches this call but never fires (p=0: the
   slow path with its seeded draw), and under libfiu's fiu-run -x (Debian
   fiu-utils) with a probability-0 failpoint on the same call.
2. Proxy: one-way and echo throughput and round-trip latency through
   `chaos-inject proxy` (no toxics) against direct loopback, the same C
   client and server (bench_net.c) for both paths.

usage: bench.py --bin BUILD/bin [--calls N] [--reps R] [--mib M]
                [--shim-only | --proxy-only] [--sockbuf BYTES]... [--pipe BYTES]...
Prints a table and ratios. Shim numbers: each process reports its fastest
batch (bench_calls.c), the configurations run interleaved R times on one
pinned CPU, and the table shows the median over the R processes with the
range; "+ns" is the median of the per-round differences against the
no-preload run of the same round. Proxy: R interleaved rounds, each
measuring every path back to back; ratios are per round, then the median.
"""
import statistics
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def cc(src, out, extra=()):
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(HERE, src), *extra],
                   check=True)


def run_calls(exe, n, env_extra, prefix=()):
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("BULWARK_CHAOS_") or k == "LD_PRELOAD":
            del env[k]
    env.update(env_extra)
    cpu = max(os.sched_getaffinity(0))
    out = subprocess.run([*prefix, exe, str(n)], env=env, check=True,
                         capture_output=True, text=True,
                         preexec_fn=lambda: os.sched_setaffinity(0, {cpu})
                         ).stdout
    return {line.split()[0]: float(line.split()[1])
            for line in out.splitlines()}


def bench_shim(args, tmp):
    exe = os.path.join(tmp, "bench_calls")
    cc("bench_calls.c", exe)
    shim = os.path.realpath(os.path.join(args.bin, "..", "lib",
                                         "libbulwark-chaos.so"))
    configs = [
        ("no preload", {}, ()),
        ("shim, rules off", {"LD_PRELOAD": shim}, ()),
        ("shim, rule on another call", {
            "LD_PRELOAD": shim,
            "BULWARK_CHAOS_RULES": "connect,port=1"}, ()),
        ("shim, rule matched, p=0", {
            "LD_PRELOAD": shim,
            "BULWARK_CHAOS_RULES": "malloc,p=0;read,p=0"}, ()),
    ]
    if shutil.which("fiu-run"):
        configs.append(("libfiu fiu-run -x, p=0", {}, (
            "fiu-run", "-x", "-c",
            "enable_random name=libc/mm/malloc,probability=0", "-c",
            "enable_random name=posix/io/rw/read,probability=0")))
    # round-robin over the configurations so that background load hits
    # them alike
    results = [[] for _ in configs]
    for _ in range(args.reps):
        for i, (name, env, prefix) in enumerate(configs):
            results[i].append(run_calls(exe, args.calls, env, prefix))
    med = statistics.median
    rows = []
    for i, (name, _, _) in enumerate(configs):
        r = {}
        for k in results[i][0]:
            vals = [x[k] for x in results[i]]
            diffs = [x[k] - b[k] for x, b in zip(results[i], results[0])]
            r[k] = (med(vals), min(vals), max(vals), med(diffs))
        rows.append((name, r))
    print("## shim overhead (ns per call: median of %d interleaved "
          "processes [min-max], each its fastest of 100 batches; %d calls)" %
          (args.reps, args.calls))
    print("| configuration | malloc+free | +ns | read 1 B | +ns |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        m, rd = r["malloc"], r["read"]
        print("| %s | %.2f [%.2f-%.2f] | %+.2f | %.0f [%.0f-%.0f] | %+.0f |"
              % (name, m[0], m[1], m[2], m[3], rd[0], rd[1], rd[2], rd[3]))
    off = rows[1][1]["malloc"][3]
    print("\nrules off: %+.2f ns per malloc (target <= 2 ns): %s" %
          (off, "met" if off <= 2.0 else "NOT met"))
    for name, r in rows:
        if name.startswith("libfiu"):
            print("libfiu adds %+.2f ns per malloc (chaos.md anchor: 24-42 "
                  "ns per lookup)" % r["malloc"][3])
    return rows


def bench_proxy(args, tmp):
    exe = os.path.join(tmp, "bench_net")
    cc("bench_net.c", exe, ("-pthread",))
    portfile = os.path.join(tmp, "port")
    srv = subprocess.Popen([exe, "serve", portfile])
    proxies = []
    try:
        while not os.path.exists(portfile) or not open(portfile).read():
            time.sleep(0.01)
        port = int(open(portfile).read())
        paths = [("direct", port)]
        variants = [("proxy", {})]
        for b in args.sockbuf:
            variants.append(("proxy, SO_SNDBUF/RCVBUF %d KiB" % (b >> 10)
                             if b else "proxy, autotuned buffers",
                             {"BULWARK_CHAOS_PROXY_SOCKBUF": str(b)}))
        for b in args.pipe:
            variants.append(("proxy, pipe %d KiB" % (b >> 10),
                             {"BULWARK_CHAOS_PROXY_PIPE": str(b)}))
        for label, extra in variants:
            env = dict(os.environ)
            env.update(extra)
            proxy = subprocess.Popen(
                [os.path.join(args.bin, "chaos-inject"), "proxy", "-q",
                 "--upstream", "127.0.0.1:%d" % port],
                stdout=subprocess.PIPE, text=True, env=env)
            proxies.append(proxy)
            paths.append(
                (label, int(proxy.stdout.readline().strip().rsplit(":", 1)[1])))

        def one(kind, p, arg):
            out = subprocess.run([exe, kind, str(p), str(arg)], check=True,
                                 capture_output=True, text=True).stdout
            return float(out.split()[1])

        kinds = (("send", args.mib), ("stream", args.mib), ("rtt", 5000))
        res = {label: {k: [] for k, _ in kinds} for label, _ in paths}
        load = [os.getloadavg()[0]]
        # interleaved: every round measures every path back to back, so
        # load drifts hit them alike; ratios are taken within a round
        for _ in range(args.reps):
            for label, p in paths:
                for kind, arg in kinds:
                    res[label][kind].append(one(kind, p, arg))
        load.append(os.getloadavg()[0])
        med = statistics.median
        d = res["direct"]
        print("\n## proxy, no toxics (%d interleaved rounds, %d MiB per "
              "transfer; median [min-max]; load average %.2f -> %.2f)" %
              (args.reps, args.mib, load[0], load[1]))
        print("| path | one-way MiB/s | ratio | echo MiB/s | ratio "
              "| round trip us | added us |")
        print("|---|---|---|---|---|---|---|")
        for label, _ in paths:
            r = res[label]

            def rng(v):
                return "%.0f [%.0f-%.0f]" % (med(v), min(v), max(v))

            def ratio(k):
                return med([a / b for a, b in zip(r[k], d[k])])

            added = med([a - b for a, b in zip(r["rtt"], d["rtt"])])
            print("| %s | %s | %.2f | %s | %.2f | %.1f [%.1f-%.1f] | %+.1f |"
                  % (label, rng(r["send"]), ratio("send"), rng(r["stream"]),
                     ratio("stream"), med(r["rtt"]), min(r["rtt"]),
                     max(r["rtt"]), added))
        r = res["proxy"]
        print("\nproxy/direct, median of per-round ratios: one-way %.2f, "
              "echo %.2f (target >= 0.5)" %
              (med([a / b for a, b in zip(r["send"], d["send"])]),
               med([a / b for a, b in zip(r["stream"], d["stream"])])))
        print("added round trip, median of per-round differences: %+.1f us "
              "(target <= 50 us)" %
              med([a - b for a, b in zip(r["rtt"], d["rtt"])]))
    finally:
        for proxy in proxies:
            proxy.terminate()
            proxy.wait()
        srv.kill()
        srv.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--calls", type=int, default=2000000)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--shim-only", action="store_true")
    ap.add_argument("--proxy-only", action="store_true")
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--sockbuf", type=int, action="append", default=[],
                    help="also run a proxy with SO_SNDBUF/SO_RCVBUF of this "
                    "many bytes, 0 = kernel autotuning (repeatable); the "
                    "default proxy uses 256 KiB on loopback")
    ap.add_argument("--pipe", type=int, action="append", default=[],
                    help="also run a proxy whose splice pipes hold this many "
                    "bytes (repeatable); default: 1 MiB or fs.pipe-max-size")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("# chaos-inject benchmark (%s, %d cpus)\n" %
              (os.uname().release, os.cpu_count()))
        if not args.proxy_only:
            bench_shim(args, tmp)
        if not args.shim_only:
            bench_proxy(args, tmp)


if __name__ == "__main__":
    sys.exit(main())
