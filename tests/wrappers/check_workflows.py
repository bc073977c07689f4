#!/usr/bin/env python3
"""Checks .github/workflows/*.yml beyond actionlint:

- each begins with the machine-readable metadata header (issue 8): a comment
  block "# --- bulwark-workflow-metadata ---" ... "# ---" holding YAML with
  non-empty name, purpose, category, criticality, owner, slo, triggers,
  permissions, dependencies, inputs, outputs; every trigger under on: is
  named in triggers, and criticality is low, medium or high;
- every third-party uses: is pinned to a full 40-hex commit SHA (local
  ./ actions are exempt), and actions/checkout never persists credentials
  unless the job pushes (contents: write);
- workflows with workflow_call declare permissions (least privilege);
- every with: key given to one of our wrappers (./action-wrappers/<x> or
  ./.bulwark/action-wrappers/<x>) is a declared input of that wrapper (the
  runner would only warn).
All workflows, ci.yml included, get every check.
Prints one line per problem; exit 1 if any.
"""
import glob
import os
import re
import sys

import yaml

FIELDS = ["name", "purpose", "category", "criticality", "owner", "slo",
          "triggers", "permissions", "dependencies", "inputs", "outputs"]
BEGIN = "# --- bulwark-workflow-metadata ---"


def header(text):
    lines = text.split("\n")
    if not lines or lines[0].strip() != BEGIN:
        return None
    body = []
    for line in lines[1:]:
        if line.strip() == "# ---":
            try:
                return yaml.safe_load("\n".join(body)) or {}
            except yaml.YAMLError as e:
                return {"__error__": str(e).replace("\n", " ")}
        if not line.startswith("#"):
            break
        body.append(line[2:] if line.startswith("# ") else line[1:])
    return None


def wrapper_inputs(root, name):
    p = os.path.join(root, "action-wrappers", name, "action.yml")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as f:
        return set((yaml.safe_load(f).get("inputs") or {}).keys())


def check(path, root):
    errs = []

    def err(m):
        errs.append(f"{path}: {m}")

    with open(path, encoding="utf-8") as f:
        text = f.read()
    wf = yaml.safe_load(text)
    on = wf.get("on", wf.get(True)) or {}
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = {k: None for k in on}
    meta = header(text)
    if meta is None:
        err(f"missing metadata header (first line must be '{BEGIN}')")
    elif "__error__" in meta:
        err(f"metadata header is not valid YAML: {meta['__error__']}")
    else:
        for k in FIELDS:
            v = meta.get(k)
            if v is None or (isinstance(v, (str, list, dict)) and not v):
                err(f"metadata: '{k}' missing or empty")
        if meta.get("criticality") not in ("low", "medium", "high"):
            err("metadata: criticality must be low, medium or high")
        trig = str(meta.get("triggers", ""))
        for t in on:
            if t not in trig:
                err(f"metadata: trigger '{t}' not listed in triggers")
        if meta.get("name") != wf.get("name"):
            err(f"metadata: name {meta.get('name')!r} differs from name: {wf.get('name')!r}")
    if "workflow_call" in on and "permissions" not in wf:
        err("reusable workflow without top-level permissions")
    for jid, job in (wf.get("jobs") or {}).items():
        perms = job.get("permissions", wf.get("permissions")) or {}
        writes = isinstance(perms, dict) and perms.get("contents") == "write"
        for st in job.get("steps") or []:
            uses = st.get("uses")
            m = re.match(r"^\./(?:\.bulwark/)?action-wrappers/([\w-]+)$", uses or "")
            if m:
                declared = wrapper_inputs(root, m.group(1))
                if declared is None:
                    err(f"job {jid}: no wrapper '{m.group(1)}'")
                    continue
                for k in (st.get("with") or {}):
                    if k not in declared:
                        err(f"job {jid}: '{k}' is not an input of {m.group(1)}")
                continue
            if not uses or uses.startswith("./"):
                continue
            if not re.match(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$", uses):
                err(f"job {jid}: '{uses}' is not pinned to a full commit SHA")
            if uses.startswith("actions/checkout@") and not writes:
                if (st.get("with") or {}).get("persist-credentials") is not False:
                    err(f"job {jid}: checkout without persist-credentials: false")
    return errs


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    paths = sorted(glob.glob(os.path.join(root, ".github", "workflows", "*.yml")))
    want = ["chaos-testing.yml", "self-healing.yml", "audit-trail.yml",
            "artifact-signing.yml", "ci-performance.yml", "release.yml"]
    have = [os.path.basename(p) for p in paths]
    errs = [f"missing .github/workflows/{w}" for w in want if w not in have]
    for p in paths:
        errs += check(p, root)
    for e in errs:
        print(e)
    print(f"{len(paths)} workflow(s) checked, {len(errs)} problem(s)")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
