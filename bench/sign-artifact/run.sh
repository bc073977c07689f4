#!/usr/bin/env bash
# sign-artifact vs openssl dgst, sha256sum and sigstore-js; see bench.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/bench.py" ${BULWARK_BIN:+--bin "$BULWARK_BIN"} "$@"
