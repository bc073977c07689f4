#!/usr/bin/env bash
# self-heal next to nick-fields/retry's model and grep; see bench.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/bench.py" --bin "${BULWARK_BIN:-$here/../../build/dev/bin}" "$@"
