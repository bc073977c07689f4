#!/usr/bin/env node
// Independent verification of sign-artifact bundles with sigstore-js
// (@sigstore/verify + @sigstore/bundle), fully offline (research/signing.md §6).
//
// keyed:   node verify.js --bundle B --artifact F --key PUB.pem
// keyless: node verify.js --bundle B --artifact F --trusted-root TR.json
//                         --identity SAN --issuer URL
// Prints one JSON line {ok, error?}; exit 0 verified, 1 rejected, 2 usage.
'use strict';
const fs = require('node:fs');
const crypto = require('node:crypto');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const args = process.argv.slice(2);
const opt = (n) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : undefined; };
const bundlePath = opt('--bundle'), artifactPath = opt('--artifact');
if (!bundlePath || !artifactPath || (!opt('--key') && !opt('--trusted-root'))) {
  console.error('usage: verify.js --bundle B --artifact F (--key PUB | --trusted-root TR --identity ID --issuer URL)');
  process.exit(2);
}

function run() {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const artifact = fs.readFileSync(artifactPath);
  let material, policy = {}, thresholds;
  if (opt('--key')) {
    const der = crypto.createPublicKey(fs.readFileSync(opt('--key'))).export({ format: 'der', type: 'spki' });
    const hint = bundle.verificationMaterial.content.publicKey?.hint ?? '';
    const empty = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
    material = toTrustMaterial(empty, { [hint]: { rawBytes: der } });
    thresholds = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };
  } else {
    const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(opt('--trusted-root'), 'utf8')));
    material = toTrustMaterial(root);
    thresholds = { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 };
    policy = { subjectAlternativeName: opt('--identity'), extensions: { issuer: opt('--issuer') } };
  }
  const verifier = new Verifier(material, thresholds);
  // In-toto subjects are not checked by sigstore-js (§6): do it here, as
  // cosign verify-blob-attestation and gh attestation verify do.
  if (bundle.content.$case === 'dsseEnvelope') {
    const digest = crypto.createHash('sha256').update(artifact).digest('hex');
    const st = JSON.parse(bundle.content.dsseEnvelope.payload.toString());
    if (!st.subject.some((s) => s.digest?.sha256 === digest)) throw new Error('artifact is not a subject of the statement');
    verifier.verify(toSignedEntity(bundle), policy);
  } else {
    verifier.verify(toSignedEntity(bundle, artifact), policy);
  }
}

try {
  run();
  console.log(JSON.stringify({ ok: true }));
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: `${e.code ?? e.name}: ${e.message}` }));
  process.exit(1);
}
