"""Cases that run the wrappers against a recording stub binary: hostile
inputs, binary resolution (BULWARK_BIN_DIR, a loopback release, the tool
cache, checksum refusal, platforms) and the build from source."""
import hashlib
import http.server
import io
import json
import os
import shutil
import tarfile
import threading

from wrapper_testlib import (HERE, SRC, TOOLS, Sandbox, check, composite_var,
                             existing_tool, hostile, lines, load_meta,
                             passing_forms, run, subcommands)

def hostile_tool(tool):
    """Every input of one wrapper, set to hostile values, for every
    subcommand: see docs/wrappers.md."""
    sb = Sandbox()
    try:
        meta = load_meta(tool)
        forms = passing_forms(meta)
        bindir = sb.stub_bin()
        declared = meta["inputs"]
        values = {}
        for name, spec in declared.items():
            var = composite_var(name)
            kinds = {k for k, _ in forms.get(var, [])}
            if name in ("command", "version", "from-source"):
                continue
            if "flag" in kinds:
                values[name] = "true"
            else:
                values[name] = hostile(name, sb.canary)
        outs = {k: f"out {k}: {hostile(k, sb.canary)}" for k in meta.get("outputs", {})
                if k != "bulwark-source"}
        seen = []
        # chaos-inject runs either an experiment file or the run: command.
        variants = [values]
        if "experiment" in values:
            variants.append({k: v for k, v in values.items() if k != "experiment"})
        for sub, vals in [(s, v) for s in subcommands(meta) for v in variants]:
            inputs = dict(vals, command=sub)
            res = run(sb, tool, inputs, BULWARK_BIN_DIR=bindir,
                      STUB_OUTPUTS=json.dumps(outs))
            check(res.success, f"{tool} {sub}: wrapper failed", res)
            check(not os.path.exists(sb.canary), f"{tool} {sub}: an input was executed")
            check(res.commands == [], f"{tool} {sub}: workflow commands {res.commands}", res)
            for k, v in outs.items():
                check(res.outputs[k] == v, f"{tool} {sub}: output {k} did not flow through")
            check(res.outputs["bulwark-source"] == "env", "bin dir not used")
            rec = sb.records()[-1]
            check(rec["tool"] == tool, "wrong binary")
            check(rec["argv"][0] == sub, f"{tool}: subcommand first, got {rec['argv'][:1]}")
            check(rec["input_vars"] == [], f"{tool} {sub}: INPUT_* leaked {rec['input_vars']}")
            if sub in ("remediate", "flaky"):
                check(rec["github_token"] == values["github-token"],
                      "token not handed over as GITHUB_TOKEN")
            else:
                check(rec["github_token"] is None,
                      f"{tool} {sub}: github-token input leaked into GITHUB_TOKEN")
            for k in rec["keys"].values():
                check(k["mode"] == "0o600", "secret key file not 0600")
            check(not [f for f in os.listdir(sb.path("temp")) if f.startswith("bulwark-key")],
                  "secret key file left behind")
            seen.append(rec)
        # Every input arrived verbatim, as the form its wrapper declares.
        all_args = [a for r in seen for a in r["argv"]]
        keyfiles = {p: k["content"] for r in seen for p, k in r["keys"].items()}
        for name, v in values.items():
            for form, option in forms[composite_var(name)]:
                if form == "opt":
                    want = [f"{option}={v}"]
                elif form == "opt_lines":
                    want = [f"{option}={x}" for x in lines(v)]
                elif form == "flag":
                    want = [option]
                elif form in ("operands", "extra_args"):
                    want = lines(v)
                elif form == "shell_command":
                    want = [v]
                elif form == "secret_opt":
                    check(v + "\n" in keyfiles.values(), f"{name}: key file content differs")
                    continue
                else:  # export
                    continue
                for w in want:
                    check(w in all_args, f"{tool}: input {name!r} did not arrive as {w!r}")
        # The user's command runs as "bash -c SCRIPT": the script is one word.
        for r in seen:
            if "-c" in r["argv"]:
                i = r["argv"].index("-c")
                check(r["argv"][i - 6:i] == ["--", "bash", "--noprofile", "--norc", "-eo",
                                            "pipefail"], f"{tool}: command not after --")
    finally:
        sb.close()


def case_hostile_bad_values():
    """A hostile subcommand or boolean is refused with exit 2, executes
    nothing and injects no workflow command."""
    sb = Sandbox()
    try:
        bindir = sb.stub_bin()
        for tool, inputs in (
                ("audit-append", {"command": f"append\n::add-mask::x\n$(touch {sb.canary})"}),
                ("sign-artifact", {"keyless": f"yes\n::warning::pwned `touch {sb.canary}`"}),
                ("self-heal", {"command": "remediate",
                               "dry-run": "1%0A::error::x"}),
                ("chaos-inject", {"command": "run", "run": ""})):
            res = run(sb, tool, inputs, BULWARK_BIN_DIR=bindir)
            check(not res.success and res.rc == 2, f"{tool}: want exit 2, got {res.rc}", res)
            check(not os.path.exists(sb.canary), f"{tool}: value was executed")
            kinds = [c["command"] for c in res.commands]
            check(kinds == ["error"], f"{tool}: commands {res.commands}", res)
            check(sb.records() == [], f"{tool}: binary ran despite a bad input")
    finally:
        sb.close()


def case_bindir_missing_tool():
    """BULWARK_BIN_DIR without the tool is a clear configuration error."""
    sb = Sandbox()
    try:
        bindir = sb.stub_bin(["audit-append"])
        res = run(sb, "self-heal", {"run": "true"}, BULWARK_BIN_DIR=bindir)
        check(res.rc == 2, f"want 2, got {res.rc}", res)
        check(any("has no executable 'self-heal'" in c["message"] for c in res.commands),
              "message names the missing tool", res)
    finally:
        sb.close()


class _Server:
    """Serves a directory over loopback and counts requests."""

    def __init__(self, root):
        self.requests = []
        outer = self

        class H(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=root, **kw)

            def log_message(self, *a):
                outer.requests.append(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _release_tree(sb, version, archs, pin=None):
    """A copy of action-wrappers whose checksums.txt pins tarballs of stub
    tools served from a loopback "release"."""
    rel = sb.path("release", f"v{version}")
    os.makedirs(rel)
    sums = []
    for arch in archs:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for t in TOOLS:
                ti = tar.gettarinfo(os.path.join(HERE, "stub_tool.py"), arcname=t)
                ti.mode = 0o755
                with open(os.path.join(HERE, "stub_tool.py"), "rb") as f:
                    tar.addfile(ti, f)
        asset = f"bulwark-{version}-linux-{arch}.tar.gz"
        with open(os.path.join(rel, asset), "wb") as f:
            f.write(buf.getvalue())
        sha = pin or hashlib.sha256(buf.getvalue()).hexdigest()
        sums.append(f"{sha}  {asset}\n")
    srv = _Server(sb.path("release"))
    copy = sb.path("src")
    shutil.copytree(os.path.join(SRC, "action-wrappers"),
                    os.path.join(copy, "action-wrappers"))
    with open(os.path.join(copy, "action-wrappers", "checksums.txt"), "w") as f:
        f.write(f"# version: {version}\n# url: {srv.url}/v{version}\n" + "".join(sums))
    return copy, srv


def case_release_download():
    """Linux x64 and arm64: the pinned asset is downloaded over loopback,
    verified, installed as toolcache/bulwark/<v>/<arch> + <arch>.complete,
    and then found in the cache without a download."""
    sb = Sandbox()
    srv = None
    try:
        copy, srv = _release_tree(sb, "9.8.7", ["x64", "arm64"])
        for runner_arch, arch in (("X64", "x64"), ("ARM64", "arm64")):
            n = len(srv.requests)
            res = run(sb, "setup", {}, root=copy, RUNNER_ARCH=runner_arch)
            check(res.success, f"{arch}: setup failed", res)
            want = sb.path("toolcache", "bulwark", "9.8.7", arch)
            check(res.outputs == {"bin-dir": want, "source": "release", "version": "9.8.7"},
                  f"{arch}: outputs {res.outputs}", res)
            check(os.path.isfile(want + ".complete"), "no .complete marker")
            check(len(srv.requests) == n + 1, f"requests {srv.requests}")
            check(res.env_exports.get("BULWARK_BIN_DIR") == want and res.path_adds == [want],
                  "setup must export BULWARK_BIN_DIR and add PATH")
            res = run(sb, "setup", {}, root=copy, RUNNER_ARCH=runner_arch)
            check(res.outputs["source"] == "cache" and len(srv.requests) == n + 1,
                  f"{arch}: second run did not use the tool cache", res)
        # A tool wrapper resolves from the same cache and runs the binary.
        res = run(sb, "perf-shard", {"command": "split", "index": "1"}, root=copy,
                  STUB_OUTPUTS='{"matrix": "{\\"shard\\":[1,2]}"}')
        check(res.success and res.outputs["bulwark-source"] == "cache", "wrapper", res)
        check(res.outputs["matrix"] == '{"shard":[1,2]}', "matrix output")
        check(sb.records()[-1]["argv"] == ["split", "--index=1"], f"argv {sb.records()}")
    finally:
        if srv:
            srv.close()
        sb.close()


def case_release_bad_checksum():
    """An asset whose sha256 differs from the pinned one is refused (exit 1)
    and nothing lands in the tool cache; no silent fallback."""
    sb = Sandbox()
    srv = None
    try:
        copy, srv = _release_tree(sb, "9.8.7", ["x64"], pin="0" * 64)
        res = run(sb, "audit-append", {"event": "x"}, root=copy,
                  BULWARK_BIN_DIR=None, RUNNER_ARCH="X64")
        check(res.rc == 1, f"want exit 1, got {res.rc}", res)
        check(any("checksum mismatch" in c["message"] for c in res.commands),
              "no checksum error", res)
        check(srv.requests, "nothing was downloaded")
        check(not os.path.exists(sb.path("toolcache", "bulwark", "9.8.7")),
              "a refused asset reached the tool cache")
        check(sb.records() == [], "the binary ran")
    finally:
        if srv:
            srv.close()
        sb.close()


def case_platforms():
    """Windows is refused; macOS never gets a release asset (builds from
    source), so from-source=never fails there with a clear message."""
    sb = Sandbox()
    try:
        res = run(sb, "setup", {}, RUNNER_OS="Windows")
        check(res.rc == 2, f"windows: exit {res.rc}", res)
        check(any("Windows runners are not supported" in c["message"]
                  for c in res.commands), "windows message", res)
        res = run(sb, "setup", {"from-source": "never"}, RUNNER_OS="macOS",
                  RUNNER_ARCH="ARM64")
        check(res.rc == 125, f"macos: exit {res.rc}", res)
        check(any("macOS/arm64" in c["message"] for c in res.commands), "macos", res)
        res = run(sb, "setup", {"from-source": "sometimes"})
        check(res.rc == 2, "bad from-source accepted", res)
        res = run(sb, "setup", {"version": "1.0;id"})
        check(res.rc == 2, "bad version accepted", res)
        res = run(sb, "setup", {"version": hostile("version", sb.canary),
                                "from-source": "never"})
        check(res.rc == 2 and not os.path.exists(sb.canary), "hostile version", res)
        check([c["command"] for c in res.commands] == ["error"],
              f"hostile version injected commands: {res.commands}", res)
    finally:
        sb.close()


def case_build_from_source():
    """from-source=always configures and builds this checkout with the
    project's CMake in RUNNER_TEMP and runs the result."""
    tool = existing_tool()
    sb = Sandbox()
    try:
        res = run(sb, tool, {"command": {"audit-append": "verify", "self-heal": "classify",
                                         "sign-artifact": "provenance",
                                         "perf-shard": "plan",
                                         "chaos-inject": "run"}[tool],
                             "extra-args": "--help", "from-source": "always"})
        check(res.success, "build from source failed", res)
        check(res.outputs["bulwark-source"] == "source", f"outputs {res.outputs}")
        exe = res.steps[0].outputs["path"]
        check(exe.startswith(sb.path("temp")) and os.access(exe, os.X_OK),
              f"binary not built under RUNNER_TEMP: {exe}")
    finally:
        sb.close()
