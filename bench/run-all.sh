#!/usr/bin/env bash
# Runs every benchmark (each compares Bulwark with its anchor side by side)
# and prints their reports. Record results in docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${BULWARK_BIN:=$here/../build/dev/bin}"
export BULWARK_BIN
python3 "$here/startup/run.py" --bin "$BULWARK_BIN"
for d in "$here"/*/; do
	[ -x "$d/run.sh" ] || continue
	echo; echo "== $(basename "$d")"
	"$d/run.sh"
done
