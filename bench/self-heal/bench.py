#!/usr/bin/env python3
"""self-heal side by side with its anchor (nick-fields/retry's model) and
with grep. Prints a Markdown table with ratios. Not a test: timings only.

    python3 bench/self-heal/bench.py [--bin build/release/bin] [--log-mib 1024] [--reps 15]
"""
import argparse, os, re, resource, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))


def timeit(argv, reps, env=None, stdout=subprocess.DEVNULL, cpu=None):
    """Median wall time; with cpu=[] also appends the median CPU time
    (user+sys of the children), which a loaded machine disturbs less."""
    ts, cs = [], []
    for _ in range(reps):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cs.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    if cpu is not None:
        cpu.append(statistics.median(cs))
    return statistics.median(ts)


def make_log(path, mib):
    words = ("the build step compile link test run npm install package module error warning info "
             "debug fetch download resolve cache hit miss node go python java cargo docker image layer").split()
    import random
    random.seed(1)
    lines = []
    for i in range(20000):
        n = random.randint(3, 18)
        lines.append("2024-10-18T23:27:%02d.%07dZ " % (i % 60, i * 7919 % 10000000) +
                     " ".join(random.choice(words) for _ in range(n)))
    block = ("\n".join(lines) + "\n").encode()
    with open(path, "wb") as f:
        total = 0
        while total < mib << 20:
            f.write(block)
            total += len(block)


def patterns(path):
    text = open(os.path.join(SRC, "actions/self-heal/catalogue.c")).read()
    pats = re.findall(r'\{ "[^"]+", [A-Z],\s+"((?:[^"\\]|\\.)*)"', text)
    with open(path, "w") as f:
        for p in pats:
            f.write(p.encode().decode("unicode_escape") + "\n")
    return len(pats)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("BULWARK_BIN", os.path.join(SRC, "build/dev/bin")))
    ap.add_argument("--log-mib", type=int, default=1024)
    ap.add_argument("--reps", type=int, default=15)
    a = ap.parse_args()
    heal = os.path.join(a.bin, "self-heal")
    tmp = tempfile.mkdtemp(prefix="bench-heal-")
    rows = []
    try:
        true = shutil.which("true")
        t_true = timeit([true], a.reps)
        t_heal = timeit([heal, "run", "--", true], a.reps)
        node = shutil.which("node")
        model = os.path.join(HERE, "nick_model.js")
        env = dict(os.environ, INPUT_COMMAND="true", INPUT_MAX_ATTEMPTS="3", INPUT_RETRY_WAIT_SECONDS="1")
        rows.append(("`true` directly", t_true, 1.0))
        rows.append(("`self-heal run -- true`", t_heal, t_heal / t_true))
        if node:
            t_n0 = timeit([node, model], max(3, a.reps // 3), env=dict(env, POLL_MS="0"))
            t_n1 = timeit([node, model], 3, env=env)
            rows.append(("anchor model: Node retry loop, no poll floor", t_n0, t_n0 / t_true))
            rows.append(("anchor model: Node retry loop, 1 s poll (nick-fields default)", t_n1, t_n1 / t_true))

        # streaming a chatty child: 2 million lines to /dev/null
        chatty = ["seq", "1", "2000000"]
        t_direct = timeit(chatty, max(3, a.reps // 3))
        t_piped = timeit(["sh", "-c", "seq 1 2000000 | cat"], max(3, a.reps // 3))
        t_wrapped = timeit([heal, "run", "--"] + chatty, max(3, a.reps // 3))
        rows.append(("`seq 1 2000000` directly", t_direct, 1.0))
        rows.append(("`seq 1 2000000` piped through `cat` (any pipe relay)", t_piped, t_piped / t_direct))
        rows.append(("`self-heal run -- seq 1 2000000`", t_wrapped, t_wrapped / t_direct))
        # a chatty build: 200k lines with work between them
        work = [sys.executable, "-c", "import hashlib\nfor i in range(200000):\n"
                "    print('compiling unit', i, hashlib.sha256(str(i).encode()).hexdigest())"]
        # stdio buffering as a compiler has it (this VM sets PYTHONUNBUFFERED)
        wenv = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        t_wd = timeit(work, 5, env=wenv)
        t_ww = timeit([heal, "run", "--"] + work, 5, env=wenv)
        rows.append(("200k-line build-like child directly", t_wd, 1.0))
        rows.append(("`self-heal run --` the same child", t_ww, t_ww / t_wd))

        # classify throughput against grep -F -f on the same log
        log = os.path.join(tmp, "big.log")
        make_log(log, a.log_mib)
        pf = os.path.join(tmp, "patterns")
        n = patterns(pf)
        subprocess.run(["cat", log], stdout=subprocess.DEVNULL)  # warm the page cache
        env_c = dict(os.environ, LC_ALL="C")
        c_grep, c_cls = [], []
        t_grep = timeit(["grep", "-c", "-F", "-f", pf, log], 3, env=env_c, cpu=c_grep)
        t_grepi = timeit(["grep", "-c", "-i", "-F", "-f", pf, log], 3, env=env_c)
        t_cls = timeit([heal, "classify", log], 3, cpu=c_cls)
        mib = a.log_mib
        rows.append((f"`grep -F -f patterns` ({n} literals), {mib} MiB", t_grep, 1.0))
        rows.append((f"`grep -i -F -f patterns`, {mib} MiB", t_grepi, t_grepi / t_grep))
        rows.append((f"`self-heal classify` ({mib / t_cls:.0f} MiB/s wall, "
                     f"{mib / c_cls[0]:.0f} MiB/s CPU), {mib} MiB", t_cls, t_cls / t_grep))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("| what | median s | ratio to the row's baseline |")
    print("|---|---:|---:|")
    for name, t, r in rows:
        print(f"| {name} | {t:.4f} | {r:.2f}x |")
    ok_start = t_heal / t_true <= 3.0
    ok_stream = t_ww / t_wd <= 1.05
    ok_grep = t_grep / t_cls >= 0.5
    print()
    print(f"run -- true within 3x of true: {'yes' if ok_start else 'NO'}; "
          f"streaming overhead <= 5% (build-like child): {'yes' if ok_stream else 'NO'}; "
          f"classify >= 0.5x grep -F: {'yes' if ok_grep else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
