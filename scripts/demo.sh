#!/usr/bin/env bash
# The suite's demo: each tool doing its real job in a scratch directory,
# with a fake GitHub runner environment so outputs and summaries show up.
# Segments live in scripts/demo.d/NN-<tool>.sh and run in order.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
: "${BULWARK_BIN:=$here/build/dev/bin}"
export BULWARK_BIN BULWARK_SRC="$here" PATH="$BULWARK_BIN:$PATH"

work=$(mktemp -d /tmp/bulwark-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A fake runner: the same files and context a GitHub job step gets.
mkdir -p runner
for f in output env state path step_summary; do : > "runner/$f"; done
export GITHUB_ACTIONS=true CI=true RUNNER_TEMP="$work/runner"
export GITHUB_OUTPUT="$work/runner/output" GITHUB_ENV="$work/runner/env"
export GITHUB_STATE="$work/runner/state" GITHUB_PATH="$work/runner/path"
export GITHUB_STEP_SUMMARY="$work/runner/step_summary"
export GITHUB_REPOSITORY=octo-org/civic-app GITHUB_SHA=4b825dc642cb6eb9a060e54bf8d69288fbee4904
export GITHUB_REF=refs/heads/main GITHUB_ACTOR=octocat GITHUB_RUN_ID=1000001
export GITHUB_RUN_ATTEMPT=1 GITHUB_JOB=demo GITHUB_EVENT_NAME=push GITHUB_WORKFLOW=demo
export GITHUB_WORKFLOW_REF=octo-org/civic-app/.github/workflows/demo.yml@refs/heads/main
export GITHUB_SERVER_URL=https://github.com RUNNER_NAME=demo-runner RUNNER_OS=Linux RUNNER_ARCH=X64

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export -f banner

for seg in "$here"/scripts/demo.d/*.sh; do
	[ -e "$seg" ] || continue
	# shellcheck source=/dev/null
	( source "$seg" )
done

banner "step outputs the tools wrote to GITHUB_OUTPUT (parsed as the runner does)"
python3 - "$GITHUB_OUTPUT" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = 0
while i < len(lines):
    line = lines[i]; i += 1
    if "<<" not in line:
        continue
    name, delim = line.split("<<", 1)
    val = []
    while lines[i] != delim:
        val.append(lines[i]); i += 1
    i += 1
    v = " | ".join(val)
    print(f"  {name} = {v[:100]}")
PY
echo
echo "demo finished: every segment above ran against the real tools."
