#!/usr/bin/env python3
"""A tiny composite-action runner: runs an action.yml's steps the way
actions/runner does (research/gha-runtime.md §1-3), so the wrappers can be
executed locally.

What it reproduces:
- inputs: with: values (case-insensitive keys), else the default, itself
  expanded (defaults may use ${{ github.* }}); no INPUT_* variables, exactly
  like the real runner for composite actions;
- ${{ }} in env:, run:, if: and outputs: value: from the contexts inputs,
  steps, github, runner, env, job, matrix (expr.py: GitHub's
  @actions/expressions when installed, else its own evaluator); input
  values are never re-evaluated;
- per step, fresh GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE and
  GITHUB_STEP_SUMMARY files under RUNNER_TEMP/_runner_file_commands, parsed
  after the step with the runner's EnvFileKeyValuePairs rules (LF only);
  GITHUB_ENV/GITHUB_PATH apply to later steps;
- the shells' argument formats from ScriptHandlerHelpers.cs (bash
  --noprofile --norc -e -o pipefail {0}, sh -e {0}, ...), working directory
  GITHUB_WORKSPACE, GITHUB_ACTION_PATH = the action's directory;
- workflow commands on stdout/stderr (::error, ::add-mask::,
  ::stop-commands::) are recorded, so tests can tell a command the action
  meant from one injected through a value;
- a failing step skips the following steps unless their if: says otherwise.
Nested uses: steps are not supported (the wrappers have none).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helpers"))
import expr  # noqa: E402

SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": ["python3", "{0}"],
}

FAKE_GITHUB = {
    "GITHUB_REPOSITORY": "octo-org/demo",
    "GITHUB_REPOSITORY_OWNER": "octo-org",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_REF_NAME": "main",
    "GITHUB_SHA": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "GITHUB_ACTOR": "octocat",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_WORKFLOW_REF": "octo-org/demo/.github/workflows/ci.yml@refs/heads/main",
    "GITHUB_RUN_ID": "1234567890",
    "GITHUB_RUN_NUMBER": "42",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_JOB": "build",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_API_URL": "https://api.github.com",
    "RUNNER_OS": "Linux",
    "RUNNER_ARCH": "X64",
    "RUNNER_NAME": "GitHub Actions 2",
    "RUNNER_ENVIRONMENT": "github-hosted",
}


from runner_files import FileCommandError, parse_file_commands  # noqa: E402


def scan_commands(text):
    """Workflow commands the runner would act on, honouring stop-commands."""
    found, stop = [], None
    for raw in re.split(r"\r\n|\n|\r", text):
        line = raw.lstrip()
        if stop is not None:
            if line == f"::{stop}::":
                stop = None
            continue
        m = re.match(r"::([^\s:]+)(?:\s([^:]*))?::(.*)$", line)
        if m:
            name = m.group(1).lower()
            if name == "stop-commands":
                stop = m.group(3)
            found.append({"command": name, "properties": m.group(2) or "",
                          "message": m.group(3)})
        elif "##[" in line:
            found.append({"command": "legacy", "properties": "",
                          "message": line})
    return found


class StepResult:
    def __init__(self, sid, outcome, rc, stdout, stderr, outputs):
        self.id, self.outcome, self.rc = sid, outcome, rc
        self.stdout, self.stderr, self.outputs = stdout, stderr, outputs


class ActionResult:
    def __init__(self):
        self.steps = []
        self.outputs = {}
        self.success = True
        self.summary = ""
        self.commands = []
        self.env_exports = {}
        self.path_adds = []

    @property
    def rc(self):
        for s in self.steps:
            if s.outcome == "failure":
                return s.rc
        return 0

    @property
    def stdout(self):
        return "".join(s.stdout for s in self.steps)

    @property
    def stderr(self):
        return "".join(s.stderr for s in self.steps)


def _github_context(env):
    ctx = {}
    for k, v in env.items():
        if k.startswith("GITHUB_"):
            ctx[k[7:].lower()] = v
    # github.token: the runner's job token; tests may pass one in
    # GITHUB_TOKEN (the runner itself does not export it).
    ctx["token"] = env.get("GITHUB_TOKEN", "")
    ctx["action_path"] = env.get("GITHUB_ACTION_PATH", "")
    path = env.get("GITHUB_EVENT_PATH")
    ctx["event"] = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            ctx["event"] = json.load(f)
    return ctx


def _runner_context(env):
    return {k[7:].lower(): v for k, v in env.items() if k.startswith("RUNNER_")}


def run_action(action_dir, inputs=None, env=None, workspace=None,
               timeout=900):
    """Runs action_dir/action.yml. env is the job environment (it must hold
    what the runner provides: RUNNER_TEMP etc.; missing GITHUB_*/RUNNER_*
    get plausible values). Returns an ActionResult."""
    action_dir = os.path.abspath(action_dir)
    with open(os.path.join(action_dir, "action.yml"), encoding="utf-8") as f:
        meta = yaml.safe_load(f)
    runs = meta.get("runs", {})
    if runs.get("using") != "composite":
        raise ValueError(f"{action_dir}: not a composite action")
    inputs = {k.lower(): v for k, v in (inputs or {}).items()}
    declared = {k.lower(): (v or {}) for k, v in (meta.get("inputs") or {}).items()}
    unknown = set(inputs) - set(declared)
    if unknown:
        # The runner only warns ("Unexpected input(s)"); a test wants to know.
        raise ValueError(f"unexpected input(s): {sorted(unknown)}")

    base = dict(env or os.environ)
    workspace = workspace or base.get("GITHUB_WORKSPACE") or os.getcwd()
    for k, v in FAKE_GITHUB.items():
        base.setdefault(k, v)
    base.setdefault("RUNNER_TEMP", tempfile.mkdtemp(prefix="runner-temp-"))
    base.setdefault("RUNNER_TOOL_CACHE",
                    os.path.join(base["RUNNER_TEMP"], "toolcache"))
    base.update({"CI": "true", "GITHUB_ACTIONS": "true",
                 "GITHUB_WORKSPACE": workspace,
                 "GITHUB_ACTION_PATH": action_dir,
                 "GITHUB_ACTION": "__run"})
    fc_dir = os.path.join(base["RUNNER_TEMP"], "_runner_file_commands")
    os.makedirs(fc_dir, exist_ok=True)

    github = _github_context(base)
    ctx = {"github": github, "runner": _runner_context(base),
           "env": {}, "job": {"status": "success"}, "matrix": {},
           "strategy": {}, "secrets": {}, "steps": {}, "inputs": {}}
    # Defaults are expanded once; with: values are taken as they are.
    for name, spec in declared.items():
        if name in inputs:
            ctx["inputs"][name] = expr.to_str(inputs[name])
        else:
            ctx["inputs"][name] = expr.interpolate_str(
                str(spec.get("default", "")), ctx)

    res = ActionResult()
    job_env, path_prefix, status = {}, [], "success"
    for n, step in enumerate(runs.get("steps") or []):
        sid = step.get("id") or f"__step{n}"
        if "uses" in step:
            raise ValueError(f"step {sid}: nested uses: is not supported")
        ctx["env"] = dict(job_env)
        if not expr.condition(step.get("if"), ctx, status):
            ctx["steps"][sid] = {"outputs": {}, "outcome": "skipped",
                                 "conclusion": "skipped"}
            continue
        senv = dict(base)
        senv.update(job_env)
        if path_prefix:
            senv["PATH"] = os.pathsep.join(path_prefix + [senv.get("PATH", "")])
        for k, v in (step.get("env") or {}).items():
            senv[str(k)] = expr.interpolate_str(str(v), ctx, status)
        files = {}
        for var, prefix in (("GITHUB_OUTPUT", "set_output_"),
                            ("GITHUB_ENV", "set_env_"),
                            ("GITHUB_PATH", "add_path_"),
                            ("GITHUB_STATE", "save_state_"),
                            ("GITHUB_STEP_SUMMARY", "step_summary_")):
            p = os.path.join(fc_dir, prefix + str(uuid.uuid4()))
            open(p, "w").close()
            files[var] = senv[var] = p
        script = expr.interpolate_str(step["run"], ctx, status)
        shell = step.get("shell")
        if not shell:
            raise ValueError(f"step {sid}: composite run steps need shell:")
        fd, spath = tempfile.mkstemp(dir=base["RUNNER_TEMP"], suffix=".sh")
        with os.fdopen(fd, "w") as f:
            f.write(script)
        fmt = SHELLS.get(shell) or shell.split()
        if "{0}" not in fmt:
            fmt = fmt + ["{0}"]
        argv = [spath if a == "{0}" else a for a in fmt]
        cwd = os.path.join(workspace, step.get("working-directory", "."))
        p = subprocess.run(argv, env=senv, cwd=cwd, capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        res.commands += scan_commands(out) + scan_commands(err)
        with open(files["GITHUB_OUTPUT"], encoding="utf-8") as f:
            outputs = parse_file_commands(f.read(), "output")
        with open(files["GITHUB_ENV"], encoding="utf-8") as f:
            exported = parse_file_commands(f.read(), "env")
        exported.pop("NODE_OPTIONS", None)
        job_env.update(exported)
        res.env_exports.update(exported)
        with open(files["GITHUB_PATH"], encoding="utf-8") as f:
            adds = [line for line in f.read().split("\n") if line]
        for a in adds:
            if a in path_prefix:
                path_prefix.remove(a)
            path_prefix.insert(0, a)
        res.path_adds += adds
        with open(files["GITHUB_STEP_SUMMARY"], encoding="utf-8") as f:
            res.summary += f.read()
        outcome = "success" if p.returncode == 0 else "failure"
        if outcome == "failure" and not step.get("continue-on-error"):
            status = "failure"
            res.success = False
        ctx["steps"][sid] = {"outputs": outputs, "outcome": outcome,
                             "conclusion": outcome}
        res.steps.append(StepResult(sid, outcome, p.returncode, out, err,
                                    outputs))
    ctx["env"] = dict(job_env)
    for name, spec in (meta.get("outputs") or {}).items():
        res.outputs[name] = expr.interpolate_str(
            str((spec or {}).get("value", "")), ctx, status)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action_dir")
    ap.add_argument("--with", dest="with_", action="append", default=[],
                    metavar="NAME=VALUE")
    ap.add_argument("--env", action="append", default=[], metavar="K=V")
    a = ap.parse_args()
    env = dict(os.environ)
    env.update(kv.split("=", 1) for kv in a.env)
    res = run_action(a.action_dir, dict(kv.split("=", 1) for kv in a.with_),
                     env)
    for s in res.steps:
        sys.stdout.write(s.stdout)
        sys.stderr.write(s.stderr)
    print(json.dumps({"success": res.success, "rc": res.rc,
                      "outputs": res.outputs}, indent=2))
    return 0 if res.success else 1


if __name__ == "__main__":
    sys.exit(main())
