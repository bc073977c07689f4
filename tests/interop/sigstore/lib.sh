# Shared helpers for the sigstore interop scripts (sourced).
# expect_ok / expect_fail NAME CMD...: run CMD, count the outcome.
PASS=0
FAIL=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SA=${BULWARK_BIN:?BULWARK_BIN not set}/sign-artifact
VERIFY_JS="$HERE/verify.js"

need_node() {
	if ! command -v node >/dev/null ||
	    [ ! -d "$HERE/../../node_modules/@sigstore/verify" ]; then
		echo "skipped: node or tests/node_modules missing (npm ci --prefix tests)"
		exit 77
	fi
}

expect_ok() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then
		PASS=$((PASS + 1))
		echo "ok   $name"
	else
		FAIL=$((FAIL + 1))
		echo "FAIL $name (expected success): $out"
	fi
}

expect_fail() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then
		FAIL=$((FAIL + 1))
		echo "FAIL $name (expected rejection): $out"
	else
		PASS=$((PASS + 1))
		echo "ok   $name (rejected: $(printf '%s' "$out" | tail -n 1))"
	fi
}

# expect_reason NAME PATTERN CMD...: CMD must fail with PATTERN (ERE) in its
# output, so the rejection is for the reason under test.
expect_reason() {
	local name=$1 pat=$2
	shift 2
	if out=$("$@" 2>&1); then
		FAIL=$((FAIL + 1))
		echo "FAIL $name (expected rejection): $out"
	elif ! printf '%s' "$out" | grep -Eq "$pat"; then
		FAIL=$((FAIL + 1))
		echo "FAIL $name (rejected, but not for /$pat/): $out"
	else
		PASS=$((PASS + 1))
		echo "ok   $name (rejected: $(printf '%s' "$out" | tail -n 1))"
	fi
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

# Rewrites a JSON file in place with a Python expression over `b`.
edit_json() {
	python3 -c "
import json, base64, sys
p, src = sys.argv[1], sys.argv[2]
b = json.load(open(p))
exec(src)
json.dump(b, open(sys.argv[3], 'w'))" "$1" "$2" "$3"
}
