#!/usr/bin/env bash
# perf-shard vs the anchor splitters on the shared real suites.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${BULWARK_BIN:=$here/../../build/dev/bin}"
exec python3 "$here/bench.py" --bin "$BULWARK_BIN" "$@"
