#!/usr/bin/env bash
# Keyless end to end over loopback: a GitHub-like OIDC endpoint, @sigstore/mock
# as Fulcio and Rekor (mock-server.js). sign-artifact fetches the token, gets
# a certificate, logs hashedrekord / dsse entries; sigstore-js and our own
# offline `verify` accept the bundles against the mock's trusted root and
# reject every tampered variant, including every certificate-transparency
# failure (SCT missing, tampered, or not matched by the root's ctlogs).
set -u
. "$(dirname "$0")/lib.sh"
need_node
T=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
cd "$T"

start_mock() { # DIR [ARGS...]
	local dir=$1
	shift
	node "$HERE/mock-server.js" --state "$dir" --lifetime 120 "$@" >"$dir.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 300); do
		[ -s "$dir/url" ] && return 0
		sleep 0.1
	done
	echo "mock server did not start: $(cat "$dir.log")"
	exit 1
}

start_mock m
U=$(cat m/url)
ID=https://github.com/octo-org/demo/.github/workflows/release.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com
TOKEN=$(cat m/token)
export ACTIONS_ID_TOKEN_REQUEST_URL="$U/oidc/token?api-version=2.0"
export ACTIONS_ID_TOKEN_REQUEST_TOKEN=test-request-token
export GITHUB_ACTIONS=true GITHUB_OUTPUT=$T/out GITHUB_STEP_SUMMARY=$T/summary
: >"$GITHUB_OUTPUT"
: >"$GITHUB_STEP_SUMMARY"
KL=(--keyless --fulcio-url "$U" --rekor-url "$U")

head -c 100000 /dev/urandom > app.bin
printf 'two\n' > two.txt
"$SA" sign -v "${KL[@]}" --bundle-dir b app.bin two.txt >log.txt 2>&1 ||
	{ echo "keyless sign failed: $(cat log.txt)"; exit 1; }
"$SA" attest "${KL[@]}" --provenance -o att.json app.bin two.txt >>log.txt 2>&1 ||
	{ echo "keyless attest failed: $(cat log.txt)"; exit 1; }

SJS=(--trusted-root m/trusted_root.json --identity "$ID" --issuer "$ISS")
OWN=(--trusted-root m/trusted_root.json --certificate-identity "$ID" --certificate-oidc-issuer "$ISS")
expect_ok "sigstore-js: hashedrekord bundle" node "$VERIFY_JS" --bundle b/app.bin.sigstore.json --artifact app.bin "${SJS[@]}"
expect_ok "sigstore-js: 2nd artifact" node "$VERIFY_JS" --bundle b/two.txt.sigstore.json --artifact two.txt "${SJS[@]}"
expect_ok "sigstore-js: dsse provenance" node "$VERIFY_JS" --bundle att.json --artifact two.txt "${SJS[@]}"
expect_ok "own verify: hashedrekord bundle" "$SA" verify --bundle b/app.bin.sigstore.json "${OWN[@]}" app.bin
expect_ok "own verify: dsse provenance" "$SA" verify --bundle att.json "${OWN[@]}" app.bin
expect_ok "bundle keeps only the leaf certificate (no chain, no root)" python3 -c "
import json; b = json.load(open('b/app.bin.sigstore.json'))['verificationMaterial']
assert 'certificate' in b and 'x509CertificateChain' not in b
e = b['tlogEntries'][0]
assert isinstance(e['logIndex'], str) and isinstance(e['integratedTime'], str)
assert e['kindVersion'] == {'kind': 'hashedrekord', 'version': '0.0.1'}
assert e['inclusionProof']['checkpoint']['envelope'].endswith('\n')"

# The token must never leak: only the ::add-mask:: line may carry it.
expect_ok "token masked for the runner" grep -qF "::add-mask::$TOKEN" log.txt
expect_fail "token absent from logs, outputs, summary, bundles" bash -c \
	"grep -v '^::add-mask::' log.txt | cat - out summary b/*.json att.json | grep -qF '$TOKEN'"

# Negative cases: every one must be rejected by both verifiers.
cp app.bin tampered.bin
printf 'x' >> tampered.bin
expect_fail "sigstore-js: tampered artifact" node "$VERIFY_JS" --bundle b/app.bin.sigstore.json --artifact tampered.bin "${SJS[@]}"
expect_fail "own: tampered artifact" "$SA" verify --bundle b/app.bin.sigstore.json "${OWN[@]}" tampered.bin
expect_fail "sigstore-js: wrong SAN" node "$VERIFY_JS" --bundle b/app.bin.sigstore.json --artifact app.bin --trusted-root m/trusted_root.json --identity "${ID}x" --issuer "$ISS"
expect_fail "own: wrong SAN" "$SA" verify --bundle b/app.bin.sigstore.json --trusted-root m/trusted_root.json --certificate-identity "${ID}x" --certificate-oidc-issuer "$ISS" app.bin
expect_fail "sigstore-js: wrong issuer" node "$VERIFY_JS" --bundle b/app.bin.sigstore.json --artifact app.bin --trusted-root m/trusted_root.json --identity "$ID" --issuer https://accounts.example.com
expect_fail "own: wrong issuer" "$SA" verify --bundle b/app.bin.sigstore.json --trusted-root m/trusted_root.json --certificate-identity "$ID" --certificate-oidc-issuer https://accounts.example.com app.bin
edit_json b/app.bin.sigstore.json "
p = b['verificationMaterial']['tlogEntries'][0]['inclusionProof']
r = bytearray(base64.b64decode(p['rootHash'])); r[0] ^= 1
p['rootHash'] = base64.b64encode(bytes(r)).decode()" badproof.json
# sigstore-js checks the path against the checkpoint's root, not rootHash,
# so it gets a corrupted path; ours must reject both.
edit_json b/app.bin.sigstore.json "
p = b['verificationMaterial']['tlogEntries'][0]['inclusionProof']
p['hashes'].append(base64.b64encode(bytes(32)).decode())" badpath.json
expect_fail "sigstore-js: corrupted inclusion proof path" node "$VERIFY_JS" --bundle badpath.json --artifact app.bin "${SJS[@]}"
expect_fail "own: corrupted inclusion proof path" "$SA" verify --bundle badpath.json "${OWN[@]}" app.bin
expect_fail "own: corrupted inclusion proof root" "$SA" verify --bundle badproof.json "${OWN[@]}" app.bin
edit_json b/app.bin.sigstore.json "
e = b['verificationMaterial']['tlogEntries'][0]; e['integratedTime'] = str(int(e['integratedTime']) + 1)" badset.json
expect_fail "sigstore-js: altered integratedTime (SET)" node "$VERIFY_JS" --bundle badset.json --artifact app.bin "${SJS[@]}"
expect_fail "own: altered integratedTime (SET)" "$SA" verify --bundle badset.json "${OWN[@]}" app.bin
edit_json att.json "b['dsseEnvelope']['payloadType'] = 'application/json'" swapped.json
expect_fail "sigstore-js: swapped payload type" node "$VERIFY_JS" --bundle swapped.json --artifact app.bin "${SJS[@]}"
expect_fail "own: swapped payload type" "$SA" verify --bundle swapped.json "${OWN[@]}" app.bin

# A Rekor whose clock runs an hour ahead: the 10-minute certificate has
# expired at the entry's integrated time.
mkdir late && start_mock late/m --rekor-skew 3600
UL=$(cat late/m/url)
ACTIONS_ID_TOKEN_REQUEST_URL="$UL/oidc/token?api-version=2.0" "$SA" sign --keyless \
	--fulcio-url "$UL" --rekor-url "$UL" --bundle-dir late --checksums '' app.bin >/dev/null 2>&1
expect_fail "sigstore-js: certificate expired at signing time" node "$VERIFY_JS" --bundle late/app.bin.sigstore.json --artifact app.bin --trusted-root late/m/trusted_root.json --identity "$ID" --issuer "$ISS"
expect_fail "own: certificate expired at signing time" "$SA" verify --bundle late/app.bin.sigstore.json --trusted-root late/m/trusted_root.json --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" app.bin

expect_fail "sigstore-js: another Sigstore's trusted root" node "$VERIFY_JS" --bundle b/app.bin.sigstore.json --artifact app.bin --trusted-root late/m/trusted_root.json --identity "$ID" --issuer "$ISS"
expect_fail "own: another Sigstore's trusted root" "$SA" verify --bundle b/app.bin.sigstore.json --trusted-root late/m/trusted_root.json --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" app.bin

# Certificate transparency: the leaf's embedded SCT must verify against the
# trusted root's ctlogs (RFC 6962 3.2 precert data). sigstore-js (ctlog
# threshold 1) rejects an SCT whose log is missing from the root or whose key
# differs ("SCT verification failed") and a leaf without SCT ("expected 1
# SCTs, got 0"); ours must agree on every case.
expect_ok "SCT: leaf embeds one (extension 1.3.6.1.4.1.11129.2.4.2)" bash -c \
	"python3 -c \"import json,base64,sys; sys.stdout.buffer.write(base64.b64decode(json.load(open('b/app.bin.sigstore.json'))['verificationMaterial']['certificate']['rawBytes']))\" |
	openssl x509 -inform DER -noout -text | grep -qiE 'CT Precertificate SCTs|1\.3\.6\.1\.4\.1\.11129\.2\.4\.2'"
OTHER=$(openssl ecparam -name prime256v1 -genkey 2>/dev/null | openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0)
edit_json m/trusted_root.json "b['ctlogs'] = []" noct.json
edit_json m/trusted_root.json "b['ctlogs'][0]['publicKey']['rawBytes'] = '$OTHER'" wrongct.json
edit_json m/trusted_root.json "
import hashlib
c = b['ctlogs'][0]; c['publicKey']['rawBytes'] = '$OTHER'
c['logId']['keyId'] = base64.b64encode(hashlib.sha256(base64.b64decode('$OTHER')).digest()).decode()" wrongct2.json
edit_json m/trusted_root.json "b['ctlogs'][0]['publicKey']['validFor'] = {'start': '2099-01-01T00:00:00Z'}" futurect.json
for r in noct wrongct wrongct2 futurect; do
	case $r in
	noct) what="trusted root without ctlogs" ;;
	wrongct) what="ctlog key replaced, log id kept" ;;
	wrongct2) what="another ctlog (key and log id)" ;;
	futurect) what="ctlog not yet valid at the SCT time" ;;
	esac
	expect_reason "sigstore-js: $what" 'SCT' node "$VERIFY_JS" --bundle b/app.bin.sigstore.json --artifact app.bin --trusted-root $r.json --identity "$ID" --issuer "$ISS"
	expect_reason "own: $what" 'SCT' "$SA" verify --bundle b/app.bin.sigstore.json --trusted-root $r.json --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" app.bin
	expect_reason "own: $what (dsse)" 'SCT' "$SA" verify --bundle att.json --trusted-root $r.json --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" app.bin
done
for mode in tamper none; do
	mkdir "sct-$mode" && start_mock "sct-$mode/m" --sct "$mode"
	US=$(cat "sct-$mode/m/url")
	ACTIONS_ID_TOKEN_REQUEST_URL="$US/oidc/token?api-version=2.0" "$SA" sign --keyless \
		--fulcio-url "$US" --rekor-url "$US" --bundle-dir "sct-$mode" --checksums '' app.bin >/dev/null 2>&1
	R=(--trusted-root "sct-$mode/m/trusted_root.json")
	expect_ok "SCT $mode: bundle written" test -s "sct-$mode/app.bin.sigstore.json"
	expect_reason "sigstore-js: SCT $mode (chain valid)" 'SCT' node "$VERIFY_JS" --bundle "sct-$mode/app.bin.sigstore.json" --artifact app.bin "${R[@]}" --identity "$ID" --issuer "$ISS"
	expect_reason "own: SCT $mode (chain valid)" 'SCT' "$SA" verify --bundle "sct-$mode/app.bin.sigstore.json" "${R[@]}" --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" app.bin
done

# --trusted-root at signing time: a bundle that would not verify is not written.
expect_ok "sign --trusted-root (own root): bundle checked, then written" "$SA" sign "${KL[@]}" \
	--trusted-root m/trusted_root.json --checksums '' --bundle-dir checked app.bin
expect_ok "checked bundle exists" test -s checked/app.bin.sigstore.json
expect_fail "sign --trusted-root (another root): refused" "$SA" sign "${KL[@]}" \
	--trusted-root late/m/trusted_root.json --checksums '' --bundle-dir refused app.bin
expect_fail "refused bundle was not written" test -e refused/app.bin.sigstore.json

ACTIONS_ID_TOKEN_REQUEST_TOKEN=wrong expect_fail "OIDC endpoint refuses a bad bearer token" "$SA" sign "${KL[@]}" --checksums '' --bundle-dir x app.bin
finish
