#!/usr/bin/env python3
"""Run one black-box CLI case (see README.md beside this file)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helpers"))
from runner_files import parse_file_commands  # noqa: E402

FAKE_CONTEXT = {
    "GITHUB_REPOSITORY": "octo-org/demo",
    "GITHUB_REPOSITORY_OWNER": "octo-org",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_SHA": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_TRIGGERING_ACTOR": "octocat",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_WORKFLOW_REF": "octo-org/demo/.github/workflows/ci.yml@refs/heads/main",
    "GITHUB_RUN_ID": "1234567890",
    "GITHUB_RUN_NUMBER": "42",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_JOB": "build",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_API_URL": "https://api.github.com",
    "RUNNER_NAME": "GitHub Actions 2",
    "RUNNER_OS": "Linux",
    "RUNNER_ARCH": "X64",
    "RUNNER_ENVIRONMENT": "github-hosted",
}


def subst(s, m):
    for k, v in m.items():
        s = s.replace("{" + k + "}", v)
    return s


def run_step(step, tmp, m, failures, label):
    gha = step.get("gha", True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.path.join(tmp, "home"),
        "LANG": "C.UTF-8",
        "TMPDIR": tmp,
    }
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH"):
        if k in os.environ:
            env[k] = os.environ[k]
    files = {}
    if gha:
        env.update(FAKE_CONTEXT)
        env["GITHUB_ACTIONS"] = "true"
        env["CI"] = "true"
        env["GITHUB_WORKSPACE"] = tmp
        env["RUNNER_TEMP"] = os.path.join(tmp, "runner-temp")
        os.makedirs(env["RUNNER_TEMP"], exist_ok=True)
        for var in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE",
                    "GITHUB_PATH", "GITHUB_STEP_SUMMARY"):
            p = os.path.join(tmp, "runner-files", label + "." + var.lower())
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").close()
            env[var] = p
            files[var] = p
    for k, v in step.get("env", {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = subst(str(v), m)
    args = [subst(a, m) for a in step["args"]]
    exe = args[0]
    if "/" not in exe:
        cand = os.path.join(m["bin"], exe)
        if os.path.exists(cand):
            args[0] = cand
    stdin = subst(step.get("stdin", ""), m).encode()
    try:
        p = subprocess.run(args, input=stdin, capture_output=True, cwd=tmp,
                           env=env, timeout=step.get("timeout", 120))
    except subprocess.TimeoutExpired:
        failures.append(f"{label}: timed out")
        return
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    exp = step.get("expect", {})

    def fail(msg):
        failures.append(f"{label}: {msg}\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}")

    if "exit" in exp and p.returncode != exp["exit"]:
        fail(f"exit {p.returncode}, expected {exp['exit']}")
    for s in exp.get("stdout_contains", []):
        if subst(s, m) not in out:
            fail(f"stdout lacks {s!r}")
    for s in exp.get("stdout_not_contains", []):
        if subst(s, m) in out:
            fail(f"stdout has {s!r}")
    for r in exp.get("stdout_regex", []):
        if not re.search(r, out, re.M):
            fail(f"stdout does not match /{r}/")
    for s in exp.get("stderr_contains", []):
        if subst(s, m) not in err:
            fail(f"stderr lacks {s!r}")
    for s in exp.get("stderr_not_contains", []):
        if subst(s, m) in err:
            fail(f"stderr has {s!r}")
    if "stderr_lines" in exp:
        n = len([l for l in err.splitlines() if l.strip()])
        if n != exp["stderr_lines"]:
            fail(f"stderr has {n} lines, expected {exp['stderr_lines']}")
    if gha:
        try:
            outputs = parse_file_commands(open(files["GITHUB_OUTPUT"]).read(),
                                          "GITHUB_OUTPUT")
        except ValueError as e:
            fail(str(e))
            outputs = {}
        for k, v in exp.get("outputs", {}).items():
            if outputs.get(k) != subst(v, m):
                fail(f"output {k}={outputs.get(k)!r}, expected {v!r}")
        for k, r in exp.get("outputs_regex", {}).items():
            if k not in outputs or not re.search(r, outputs[k], re.M | re.S):
                fail(f"output {k}={outputs.get(k)!r} does not match /{r}/")
        for k in exp.get("outputs_absent", []):
            if k in outputs:
                fail(f"output {k} should be absent")
        summary = open(files["GITHUB_STEP_SUMMARY"]).read()
        for s in exp.get("summary_contains", []):
            if s not in summary:
                fail(f"step summary lacks {s!r}")
    for path, s in exp.get("files", {}).items():
        fp = os.path.join(tmp, subst(path, m))
        if not os.path.exists(fp):
            fail(f"file {path} missing")
        elif s and subst(s, m) not in open(fp, errors="replace").read():
            fail(f"file {path} lacks {s!r}")
    for path in exp.get("files_absent", []):
        if os.path.exists(os.path.join(tmp, subst(path, m))):
            fail(f"file {path} should not exist")


def main():
    a = sys.argv[1:]
    binp = a[a.index("--bin") + 1]
    src = a[a.index("--src") + 1]
    case_path = a[-1]
    case = json.load(open(case_path))
    tmp = tempfile.mkdtemp(prefix="bulwark-cli-")
    os.makedirs(os.path.join(tmp, "home"), exist_ok=True)
    m = {"tmp": tmp, "src": src, "bin": binp,
         "shared": os.path.normpath(os.path.join(src, "..", "shared"))}
    failures = []
    try:
        if case.get("setup"):
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", subst(case["setup"], m)],
                               cwd=tmp, capture_output=True,
                               env=dict(os.environ, BULWARK_BIN=binp))
            if r.returncode != 0:
                print("setup failed:", r.stderr.decode(errors="replace"))
                return 1
        # The top level is the first step when it has args; "steps" add
        # more, run in order in the same temp dir.
        steps = ([case] if "args" in case else []) + case.get("steps", [])
        if not steps:
            print("case has no args and no steps")
            return 1
        for i, st in enumerate(steps):
            run_step(st, tmp, m, failures, f"step{i}")
            if failures:
                break
    finally:
        if failures:
            print(f"kept {tmp} for inspection")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    print(f"{os.path.basename(case_path)}: {'1 failed' if failures else '1 passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
