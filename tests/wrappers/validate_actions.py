#!/usr/bin/env python3
"""Checks every action-wrappers/*/action.yml against the rules of issue 8 and
research/gha-runtime.md §3 and §5:

- metadata: name, description, author, branding (Feather icon that the
  Marketplace accepts, allowed color); every input and output documented;
  input ids match ^[_a-zA-Z][a-zA-Z0-9_-]*$;
- composite only; every step has id, shell and run, no nested uses;
- no ${{ inside run: (inputs reach scripts through env: only);
- no github.action_path anywhere ($GITHUB_ACTION_PATH works in containers);
- every input is mapped exactly once per consuming step as
  INPUT_<NAME_WITH_UNDERSCORES>: ${{ inputs.<name> }} (no hyphenated env
  names: dash drops them), and only under that name;
- in run:, every $INPUT_X is double-quoted, and every input is passed on in
  one of the forms lib.sh provides: a quoted long option (opt/opt_lines/
  flag/secret_opt --name "$INPUT_X"), the subcommand, operands, extra args,
  the user's command, or an exported variable; steps that run the setup
  script instead must have the script read the variable;
- outputs are wired as value: ${{ steps.<id>.outputs.<key> }} to an existing
  step id.
Prints one line per problem; exit 1 if any.
"""
import glob
import os
import re
import sys

import yaml

# Feather v4.28 icons commonly used for actions; the Marketplace omits the
# brand icons and the ones below (metadata-syntax.md "branding.icon").
OMITTED = {"coffee", "columns", "divide-circle", "divide-square", "divide",
           "frown", "hexagon", "key", "meh", "mouse-pointer", "smile", "tool",
           "x-octagon", "chrome", "codepen", "codesandbox", "dribbble",
           "facebook", "figma", "framer", "github", "gitlab", "instagram",
           "linkedin", "pocket", "slack", "trello", "twitch", "twitter",
           "youtube"}
ICONS = {"activity", "alert-circle", "alert-octagon", "alert-triangle",
         "anchor", "archive", "award", "bar-chart", "bar-chart-2", "book",
         "book-open", "box", "check", "check-circle", "check-square", "clock",
         "cloud", "code", "command", "cpu", "database", "download", "eye",
         "file", "file-text", "filter", "flag", "git-branch", "git-commit",
         "git-merge", "git-pull-request", "globe", "grid", "hash", "heart",
         "layers", "life-buoy", "list", "lock", "package", "play",
         "refresh-cw", "repeat", "rotate-cw", "search", "server", "settings",
         "shield", "shuffle", "sliders", "terminal", "thermometer",
         "trending-up", "umbrella", "unlock", "upload", "upload-cloud",
         "wind", "zap", "zap-off"}
COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red",
          "purple", "gray-dark"}
PASS_FORMS = [
    r'\b(?:opt|opt_lines|flag|secret_opt) --[a-z][a-z0-9-]* "\$\{?%s\}?"',
    r'\b(?:subcommand|operands|extra_args|shell_command) "\$\{?%s\}?"',
    r'\bexport [A-Z][A-Z0-9_]*="\$\{?%s\}?"',
]
OUTPUT_VALUE = re.compile(
    r"^\$\{\{ steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z0-9_-]+) \}\}$")
INPUT_REF = re.compile(r"^\$\{\{ inputs\.([A-Za-z0-9_-]+) \}\}$")


def env_name(inp):
    return "INPUT_" + inp.upper().replace("-", "_").replace(" ", "_")


def check(path):
    errs = []

    def err(msg):
        errs.append(f"{path}: {msg}")

    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return [f"{path}: invalid YAML: {e}"]
    if "action_path" in text.replace("GITHUB_ACTION_PATH", ""):
        err("uses github.action_path; use $GITHUB_ACTION_PATH (container jobs)")
    for key in ("name", "description", "author"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            err(f"missing {key}")
    br = meta.get("branding") or {}
    if br.get("icon") not in ICONS or br.get("icon") in OMITTED:
        err(f"branding.icon {br.get('icon')!r} is not an accepted Feather icon")
    if br.get("color") not in COLORS:
        err(f"branding.color {br.get('color')!r} is not allowed")
    runs = meta.get("runs") or {}
    if runs.get("using") != "composite":
        err("runs.using must be composite")
    steps = runs.get("steps") or []
    ids = set()
    for i, st in enumerate(steps):
        where = f"step {st.get('id', i)}"
        if "uses" in st:
            err(f"{where}: nested uses: (keep wrappers self-contained)")
            continue
        if not st.get("id"):
            err(f"{where}: no id")
        ids.add(st.get("id"))
        if st.get("shell") != "bash":
            err(f"{where}: shell must be bash")
        run = st.get("run")
        if not isinstance(run, str):
            err(f"{where}: no run")
            continue
        if "${{" in run:
            err(f"{where}: ${{{{ inside run: (map it through env:)")
        for k in st.get("env") or {}:
            if "-" in k:
                err(f"{where}: env name {k!r} has '-' (dash drops it)")
        if "$GITHUB_ACTION_PATH" not in run:
            err(f"{where}: run: should locate files via $GITHUB_ACTION_PATH")

    inputs = meta.get("inputs") or {}
    for name, spec in inputs.items():
        spec = spec or {}
        if not re.match(r"^[_a-zA-Z][a-zA-Z0-9_-]*$", name):
            err(f"input {name!r}: bad id")
        if not str(spec.get("description", "")).strip():
            err(f"input {name!r}: no description")
        var = env_name(name)
        consumed = False
        for i, st in enumerate(steps):
            env = st.get("env") or {}
            run = st.get("run") or ""
            where = f"step {st.get('id', i)}"
            for k, v in env.items():
                m = INPUT_REF.match(str(v))
                if m and m.group(1) == name and k != var:
                    err(f"{where}: input {name!r} mapped as {k}, want {var}")
                if not m and "inputs." in str(v):
                    err(f"{where}: env {k} must be exactly ${{{{ inputs.x }}}}")
            if var not in env:
                continue
            if env[var] != f"${{{{ inputs.{name} }}}}":
                err(f"{where}: {var} must be ${{{{ inputs.{name} }}}}")
            refs = [m.start() for m in
                    re.finditer(r"\$\{?%s\b" % re.escape(var), run)]
            for pos in refs:
                end = run.find(var, pos) + len(var)
                if run[end:end + 1] == "}":
                    end += 1
                if run[pos - 1:pos] != '"' or run[end:end + 1] != '"':
                    err(f"{where}: ${var} not double-quoted")
            if re.search(r"resolve\.sh", run):
                script = os.path.join(os.path.dirname(path),
                                      *re.search(r'\$GITHUB_ACTION_PATH/([^"]*resolve\.sh)',
                                                 run).group(1).split("/"))
                try:
                    with open(os.path.normpath(script), encoding="utf-8") as f:
                        body = f.read()
                except OSError as e:
                    err(f"{where}: cannot read {script}: {e.strerror}")
                    continue
                if var in body:
                    consumed = True
                else:
                    err(f"{where}: resolve.sh does not read {var}")
                continue
            if any(re.search(form % re.escape(var), run) for form in PASS_FORMS):
                consumed = True
            elif refs:
                err(f"{where}: {var} is used but not passed as a quoted "
                    "long option (or subcommand/operands/command)")
        if not consumed:
            err(f"input {name!r}: never reaches the tool")

    for name, spec in (meta.get("outputs") or {}).items():
        spec = spec or {}
        if not str(spec.get("description", "")).strip():
            err(f"output {name!r}: no description")
        m = OUTPUT_VALUE.match(str(spec.get("value", "")))
        if not m:
            err(f"output {name!r}: value must be ${{{{ steps.<id>.outputs.<k> }}}}")
        elif m.group(1) not in ids:
            err(f"output {name!r}: no step with id {m.group(1)!r}")
    return errs


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..")
    paths = sorted(glob.glob(os.path.join(root, "action-wrappers", "*",
                                          "action.yml")))
    want = {"setup", "audit-append", "sign-artifact", "perf-shard",
            "chaos-inject", "self-heal"}
    have = {os.path.basename(os.path.dirname(p)) for p in paths}
    errs = [f"missing action-wrappers/{w}/action.yml" for w in sorted(want - have)]
    for p in paths:
        errs += check(p)
    for e in errs:
        print(e)
    print(f"{len(paths)} action.yml checked, {len(errs)} problem(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
