#!/usr/bin/env bash
# self-heal next to nick-fields/retry's model and grep (bench.py), then the
# two issue-7 targets with hyperfine -N side by side: start-up against
# `true` (startup.py) and streaming against the child alone (stream.py),
# then the relay's CPU with perf stat (relay_cpu.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${BULWARK_BIN:-$here/../../build/dev/bin}
python3 "$here/bench.py" --bin "$bin" "$@"
if command -v hyperfine >/dev/null; then
	python3 "$here/startup.py" --bin "$bin"
	python3 "$here/stream.py" --bin "$bin"
fi
if command -v perf >/dev/null; then
	python3 "$here/relay_cpu.py" "$bin/self-heal"
fi
