#!/usr/bin/env bash
# sigstore-js (@sigstore/verify 3.x) verifies sign-artifact's keyed bundles
# (ECDSA P-256 message signatures, DSSE attestations in both key types) and
# rejects tampered ones. Node's crypto checks Ed25519 message signatures,
# which @sigstore/verify 3.x cannot (it passes 'sha256' for them).
set -u
. "$(dirname "$0")/lib.sh"
need_node
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"

head -c 200000 /dev/urandom > app.bin
printf 'other\n' > other.txt
"$SA" keygen --out ec >/dev/null
"$SA" keygen --type ed25519 --out ed >/dev/null
"$SA" keygen --out stranger >/dev/null
"$SA" sign --key ec.key --bundle-dir ec app.bin other.txt >/dev/null
"$SA" sign --key ed.key --bundle-dir ed app.bin >/dev/null
echo '{"buildType":"x"}' > pred.json
"$SA" attest --key ec.key --predicate-type https://example.com/p/v1 \
    --predicate pred.json -o ec-att.json app.bin other.txt >/dev/null
GITHUB_REPOSITORY=o/r GITHUB_REF=refs/heads/main GITHUB_SHA=abc \
    GITHUB_WORKFLOW_REF=o/r/.github/workflows/w.yml@refs/heads/main \
    GITHUB_EVENT_NAME=push GITHUB_REPOSITORY_ID=1 GITHUB_REPOSITORY_OWNER_ID=2 \
    RUNNER_ENVIRONMENT=github-hosted GITHUB_RUN_ID=9 GITHUB_RUN_ATTEMPT=1 \
    "$SA" attest --key ed.key --provenance -o ed-att.json app.bin >/dev/null

expect_ok "ecdsa message bundle" node "$VERIFY_JS" --bundle ec/app.bin.sigstore.json --artifact app.bin --key ec.pub
expect_ok "ecdsa message bundle (2nd artifact)" node "$VERIFY_JS" --bundle ec/other.txt.sigstore.json --artifact other.txt --key ec.pub
expect_ok "ecdsa dsse attestation" node "$VERIFY_JS" --bundle ec-att.json --artifact other.txt --key ec.pub
expect_ok "ed25519 dsse provenance" node "$VERIFY_JS" --bundle ed-att.json --artifact app.bin --key ed.pub
expect_ok "ed25519 message signature (node crypto, pure Ed25519)" node -e '
const c = require("crypto"), fs = require("fs");
const b = JSON.parse(fs.readFileSync("ed/app.bin.sigstore.json"));
const ok = c.verify(null, fs.readFileSync("app.bin"), c.createPublicKey(fs.readFileSync("ed.pub")),
  Buffer.from(b.messageSignature.signature, "base64"));
process.exit(ok ? 0 : 1);'

cp app.bin tampered.bin
printf 'x' >> tampered.bin
expect_fail "tampered artifact" node "$VERIFY_JS" --bundle ec/app.bin.sigstore.json --artifact tampered.bin --key ec.pub
expect_fail "wrong key" node "$VERIFY_JS" --bundle ec/app.bin.sigstore.json --artifact app.bin --key stranger.pub
edit_json ec/app.bin.sigstore.json "
s = bytearray(base64.b64decode(b['messageSignature']['signature'])); s[-2] ^= 1
b['messageSignature']['signature'] = base64.b64encode(bytes(s)).decode()" badsig.json
expect_fail "tampered signature" node "$VERIFY_JS" --bundle badsig.json --artifact app.bin --key ec.pub
edit_json ec-att.json "b['dsseEnvelope']['payloadType'] = 'application/json'" swapped.json
expect_fail "swapped DSSE payload type" node "$VERIFY_JS" --bundle swapped.json --artifact app.bin --key ec.pub
edit_json ec-att.json "
st = json.loads(base64.b64decode(b['dsseEnvelope']['payload'])); st['predicate']['buildType'] = 'evil'
b['dsseEnvelope']['payload'] = base64.b64encode(json.dumps(st).encode()).decode()" payload.json
expect_fail "altered DSSE payload" node "$VERIFY_JS" --bundle payload.json --artifact app.bin --key ec.pub
expect_fail "attestation for another artifact" node "$VERIFY_JS" --bundle ec-att.json --artifact tampered.bin --key ec.pub
edit_json ec/app.bin.sigstore.json "b['mediaType'] = 'application/vnd.dev.sigstore.bundle.v9+json'" mt.json
expect_fail "unknown media type" node "$VERIFY_JS" --bundle mt.json --artifact app.bin --key ec.pub
finish
