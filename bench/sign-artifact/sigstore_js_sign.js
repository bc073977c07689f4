#!/usr/bin/env node
// The sigstore-js way to write the same keyed bundles: @sigstore/sign's
// MessageSignatureBundleBuilder with a local-key signer, no witnesses.
// usage: node sigstore_js_sign.js KEY.pem FILE...
'use strict';
const fs = require('node:fs');
const crypto = require('node:crypto');
const { MessageSignatureBundleBuilder } = require('@sigstore/sign');
const { bundleToJSON } = require('@sigstore/bundle');

async function main() {
  const [keyPath, ...files] = process.argv.slice(2);
  const key = crypto.createPrivateKey(fs.readFileSync(keyPath));
  const pub = crypto.createPublicKey(key);
  const der = pub.export({ format: 'der', type: 'spki' });
  const hint = crypto.createHash('sha256').update(der).digest('base64');
  const signer = {
    sign: async (data) => ({
      key: { $case: 'publicKey', hint, publicKey: pub.export({ format: 'pem', type: 'spki' }) },
      signature: crypto.sign('sha256', data, key),
    }),
  };
  const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [] });
  const sums = [];
  for (const f of files) {
    const data = fs.readFileSync(f);
    const bundle = await builder.create({ data });
    fs.writeFileSync(`${f}.sigstore.json`, JSON.stringify(bundleToJSON(bundle)));
    sums.push(`${crypto.createHash('sha256').update(data).digest('hex')}  ${f}\n`);
  }
  fs.writeFileSync('SHA256SUMS', sums.join(''));
}
main().catch((e) => { console.error(e); process.exit(1); });
