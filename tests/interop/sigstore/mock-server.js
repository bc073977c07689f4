#!/usr/bin/env node
// A loopback Sigstore for sign-artifact's keyless tests: @sigstore/mock's own
// Fulcio and Rekor handlers behind one node:http server, plus an OIDC token
// endpoint that behaves as GitHub's (ACTIONS_ID_TOKEN_REQUEST_URL already has
// a query string; the client appends &audience=...; answer {"value": JWT}).
//
// usage: node mock-server.js --state DIR [--rekor-skew SECONDS] [--sct MODE]
// --sct: ok (default) embeds a valid SCT; none issues leaves without one;
// tamper flips a bit of the SCT's signature before the CA signs the leaf
// (so the chain stays valid and only the SCT check can catch it).
// Writes DIR/trusted_root.json, DIR/token (the JWT it hands out, so tests can
// grep for leaks), DIR/url, then serves until killed (or --lifetime seconds).
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const mock = require('@sigstore/mock');
const { TrustedRoot, HashAlgorithm, PublicKeyDetails } = require('@sigstore/protobuf-specs');
const canonicalize = require('canonicalize');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const stateDir = opt('--state');
const rekorSkew = Number(opt('--rekor-skew', '0'));
const lifetime = Number(opt('--lifetime', '300'));
const sctMode = opt('--sct', 'ok');
if (!stateDir) {
  console.error('usage: mock-server.js --state DIR');
  process.exit(2);
}

const ISSUER = 'https://token.actions.githubusercontent.com';
const REQUEST_TOKEN = 'test-request-token';
const SAN = 'https://github.com/octo-org/demo/.github/workflows/release.yml@refs/heads/main';

// A JWT shaped like GitHub's Actions OIDC token (claims from its docs).
function mintJWT() {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'ES256', typ: 'JWT', kid: 'mock' };
  const claims = {
    jti: crypto.randomUUID(), sub: 'repo:octo-org/demo:ref:refs/heads/main', aud: 'sigstore',
    ref: 'refs/heads/main', sha: 'a'.repeat(40), repository: 'octo-org/demo',
    repository_owner: 'octo-org', repository_owner_id: '1001', repository_id: '2002',
    repository_visibility: 'public', run_id: '4242', run_number: '7', run_attempt: '1',
    runner_environment: 'github-hosted', actor: 'octocat', actor_id: '3003',
    workflow: 'release', head_ref: '', base_ref: '', event_name: 'push', ref_type: 'branch',
    workflow_ref: 'octo-org/demo/.github/workflows/release.yml@refs/heads/main',
    workflow_sha: 'a'.repeat(40),
    job_workflow_ref: 'octo-org/demo/.github/workflows/release.yml@refs/heads/main',
    job_workflow_sha: 'a'.repeat(40),
    iss: ISSUER, nbf: now - 5, iat: now, exp: now + 300,
    // Fulcio derives the SAN from the workflow; the mock takes it from a claim.
    san: SAN,
  };
  const b64u = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64u(header)}.${b64u(claims)}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

// Rekor persists dsse entries as hashes + signatures, not the proposed form;
// @sigstore/mock logs the proposal verbatim, so convert first.
function persistDSSE(entry) {
  if (entry.kind !== 'dsse' || !entry.spec?.proposedContent) return entry;
  const env = entry.spec.proposedContent.envelope;
  const parsed = JSON.parse(env);
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
  return {
    apiVersion: '0.0.1', kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha(Buffer.from(env)) },
      payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(parsed.payload, 'base64')) },
      signatures: parsed.signatures.map((s, i) => ({
        signature: s.sig, verifier: entry.spec.proposedContent.verifiers[i] ?? entry.spec.proposedContent.verifiers[0],
      })),
    },
  };
}

// The first element of a DER SEQUENCE (a certificate's TBSCertificate).
function derFirstChild(der) {
  const hdr = (off) => {
    let len = der[off + 1], hl = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[off + 2 + i];
      hl += n;
    }
    return { hl, len };
  };
  const outer = hdr(0);
  const inner = hdr(outer.hl);
  return der.subarray(outer.hl, outer.hl + inner.hl + inner.len);
}

async function main() {
  fs.mkdirSync(stateDir, { recursive: true });
  const caKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const logKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ctlog = await mock.initializeCTLog(caKeys);
  // @sigstore/mock 0.11's SCTs do not parse with @sigstore/core 3.x: the
  // list lacks the per-SCT uint16 length (RFC 6962 3.3) and the signature
  // serialises empty. This CT log stands in: same key and log id, SCT built
  // by hand; the returned bytes start with the per-SCT length so the mock's
  // own list wrapper ([0x00, len] + bytes) becomes a well-formed list.
  const sctFix = Object.create(ctlog);
  sctFix.log = async (precert, issuerID) => {
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64BE(BigInt(Date.now()));
    const tbs = derFirstChild(Buffer.from(precert));
    const len24 = Buffer.from([tbs.length >> 16, (tbs.length >> 8) & 0xff, tbs.length & 0xff]);
    const signed = Buffer.concat([Buffer.from([0, 0]), ts, Buffer.from([0, 1]), Buffer.from(issuerID),
      len24, tbs, Buffer.from([0, 0])]);
    const sig = crypto.sign('sha256', signed, caKeys.privateKey);
    if (sctMode === 'tamper') sig[sig.length - 1] ^= 1;
    const siglen = Buffer.alloc(2);
    siglen.writeUInt16BE(sig.length);
    const sct = Buffer.concat([Buffer.from([0]), Buffer.from(ctlog.logID), ts, Buffer.from([0, 0]),
      Buffer.from([4, 3]), siglen, sig]);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(sct.length);
    return Buffer.concat([len, sct]);
  };
  const ca = await mock.initializeCA(caKeys, sctMode === 'none' ? undefined : sctFix);
  const rekorClock = rekorSkew ? new Date(Date.now() + rekorSkew * 1000) : undefined;
  const tlog = await mock.initializeTLog('https://rekor.sigstore.dev', logKeys, rekorClock);
  const fulcio = mock.fulcioHandler(ca, { subjectClaim: 'san' });
  const token = mintJWT();
  fs.writeFileSync(path.join(stateDir, 'token'), token);

  const logDer = logKeys.publicKey.export({ format: 'der', type: 'spki' });
  const start = new Date(Date.now() - 3600 * 1000);
  const root = TrustedRoot.toJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: 'https://rekor.sigstore.dev', hashAlgorithm: HashAlgorithm.SHA2_256,
      publicKey: { rawBytes: logDer, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: { start } },
      logId: { keyId: crypto.createHash('sha256').update(logDer).digest() },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: 'https://fulcio.sigstore.dev',
      certChain: { certificates: [{ rawBytes: ca.rootCertificate }] }, validFor: { start },
    }],
    ctlogs: [{
      baseUrl: 'https://ctfe.sigstore.dev', hashAlgorithm: HashAlgorithm.SHA2_256,
      publicKey: { rawBytes: ctlog.publicKey, keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: { start } },
      logId: { keyId: ctlog.logID },
    }],
    timestampAuthorities: [],
  });
  fs.writeFileSync(path.join(stateDir, 'trusted_root.json'), JSON.stringify(root, null, 2));

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const u = new URL(req.url, 'http://localhost');
      const reply = (code, obj, type = 'application/json') => {
        res.writeHead(code, { 'content-type': type });
        res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
      };
      try {
        if (req.method === 'GET' && u.pathname === '/oidc/token') {
          if (req.headers.authorization !== `bearer ${REQUEST_TOKEN}`) return reply(401, { message: 'bad bearer' });
          if (u.searchParams.get('api-version') !== '2.0' || u.searchParams.get('audience') !== 'sigstore')
            return reply(400, { message: 'want ?api-version=2.0&audience=sigstore' });
          return reply(200, { count: 1, value: token });
        }
        if (req.method === 'POST' && u.pathname === fulcio.path) {
          const r = await fulcio.fn(body);
          return reply(r.statusCode, r.response, r.contentType || 'text/plain');
        }
        if (req.method === 'POST' && u.pathname === '/api/v1/log/entries') {
          const entry = persistDSSE(JSON.parse(body.toString()));
          return reply(201, await tlog.log(JSON.parse(canonicalize(entry))));
        }
        reply(404, { message: 'not found' });
      } catch (e) {
        reply(400, { message: String(e) });
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const url = `http://127.0.0.1:${server.address().port}`;
    fs.writeFileSync(path.join(stateDir, 'url'), url);
    console.log(url);
  });
  setTimeout(() => process.exit(0), lifetime * 1000).unref();
  process.on('SIGTERM', () => process.exit(0));
}
main().catch((e) => { console.error(e); process.exit(1); });
