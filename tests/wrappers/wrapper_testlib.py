"""Shared pieces of the wrapper tests: a sandboxed fake runner, the
composite runner entry point, and what each wrapper's run: script says
about how it passes its inputs."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import composite  # noqa: E402

SRC = os.environ.get("BULWARK_SRC") or os.path.normpath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("BULWARK_BIN", "")
TOOLS = ["audit-append", "sign-artifact", "perf-shard", "chaos-inject", "self-heal"]
SKIP = 77

class Skip(Exception):
    pass


class Sandbox:
    """A temp dir with a workspace, RUNNER_TEMP, a tool cache and a HOME."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="wrappers-")
        self.ws = os.path.join(self.root, "ws")
        for d in ("ws", "temp", "toolcache", "home", "bin"):
            os.makedirs(os.path.join(self.root, d))
        self.record = os.path.join(self.root, "record.jsonl")
        self.canary = os.path.join(self.root, "canary")

    def path(self, *p):
        return os.path.join(self.root, *p)

    def env(self, **extra):
        e = {"PATH": os.environ["PATH"], "HOME": self.path("home"),
             "LANG": "C.UTF-8", "RUNNER_TEMP": self.path("temp"),
             "RUNNER_TOOL_CACHE": self.path("toolcache"),
             "GITHUB_WORKSPACE": self.ws, "STUB_RECORD": self.record}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update({k: v for k, v in extra.items() if v is not None})
        return e

    def stub_bin(self, tools=TOOLS):
        for t in tools:
            dst = self.path("bin", t)
            shutil.copy(os.path.join(HERE, "stub_tool.py"), dst)
            os.chmod(dst, 0o755)
        return self.path("bin")

    def records(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


def action(name, root=SRC):
    return os.path.join(root, "action-wrappers", name)


def run(sb, name, inputs, root=SRC, **env):
    return composite.run_action(action(name, root), inputs, sb.env(**env),
                                workspace=sb.ws)


def check(cond, msg, res=None):
    if not cond:
        if res is not None:
            msg += f"\n--- stdout ---\n{res.stdout}\n--- stderr ---\n{res.stderr}"
        raise AssertionError(msg)


# --- how each wrapper passes its inputs, read from its run: script ---------

FORM = re.compile(r'\b(opt|opt_lines|flag|secret_opt|subcommand|operands|'
                  r'extra_args|shell_command|export)\s+(--[a-z0-9-]+\s+|'
                  r'[A-Z_]+=)?"\$(INPUT_[A-Z0-9_]+)"')


def load_meta(name):
    import yaml
    with open(os.path.join(action(name), "action.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def passing_forms(meta):
    """{INPUT_VAR: [(form, option)]} from the run step."""
    forms = {}
    for st in meta["runs"]["steps"]:
        for m in FORM.finditer(st["run"]):
            forms.setdefault(m.group(3), []).append(
                (m.group(1), (m.group(2) or "").strip()))
    return forms


def subcommands(meta):
    for st in meta["runs"]["steps"]:
        m = re.search(r'subcommand "\$INPUT_COMMAND" ([a-z -]+)', st["run"])
        if m:
            return m.group(1).split()
    raise AssertionError("no subcommand list")


def hostile(name, canary):
    """A value a pull request author could choose: shell metacharacters,
    command substitution, a workflow command after a newline, a file-command
    delimiter look-alike, an expression, a glob, a leading dash."""
    return (f'-{name} "; rm -rf ~; echo " $(touch {canary}) `touch {canary}` '
            f"'quoted' $HOME * ? [a] \\ ${{{{ github.token }}}} %0A\n"
            f"::error::pwned-{name}\n::add-mask::{name}\n"
            f"ghadelimiter_00000000-0000-0000-0000-000000000000\nEOF\n"
            f"{name}<<EOF")


def lines(v):
    return [x for x in v.split("\n") if x]


def composite_var(name):
    return "INPUT_" + name.upper().replace("-", "_")


def existing_tool():
    for t in TOOLS:
        if BIN and os.access(os.path.join(BIN, t), os.X_OK):
            return t
    raise Skip("no tool built yet")


def need(tool, *flags):
    exe = os.path.join(BIN, tool) if BIN else ""
    if not exe or not os.access(exe, os.X_OK):
        raise Skip(f"{tool} not built")
    p = subprocess.run([exe, "--help"], capture_output=True, text=True)
    text = p.stdout + p.stderr
    missing = [f for f in flags if f not in text]
    if missing:
        raise Skip(f"{tool} lacks {missing} so far")
    return exe


def _sub_help(tool, sub):
    p = subprocess.run([os.path.join(BIN, tool), sub, "--help"],
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def need_sub(tool, sub, *flags):
    need(tool)
    rc, text = _sub_help(tool, sub)
    missing = [f for f in flags if f not in text]
    if rc != 0 or missing:
        raise Skip(f"{tool} {sub}: help rc {rc}, lacks {missing}")
