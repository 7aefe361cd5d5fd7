#!/usr/bin/env node
// s3_sigv4_server.js — the test-only S3 API server of tests/integration/scale/.
//
// Storage and the S3 API (PUT/GET/HEAD/DELETE, ListObjectsV2, multipart, ETags,
// If-None-Match) are the npm package s3rver 3.7.1. s3rver does NOT check SigV4 signatures
// (lib/middleware/authentication.js: "Signature version 4 calculation is unimplemented"; it
// accepts any signature from a known key id), so a client signing wrongly would pass. This
// front therefore checks every request the way S3 does before handing it to s3rver:
// the Authorization header's SigV4 signature is recomputed with the `aws4` npm package (an
// independent, widely used signer) from the signed headers the request names and the
// secret; a mismatch is S3's 403 SignatureDoesNotMatch, an unknown key 403
// InvalidAccessKeyId, a missing signature 403 AccessDenied; and x-amz-content-sha256 must
// be the body's sha256 (400 XAmzContentSHA256Mismatch), as S3 requires.
//
// Usage: node s3_sigv4_server.js --dir DIR --bucket NAME --key ID --secret SECRET
//        [--port N] [--log FILE]
// Prints "listening on http://127.0.0.1:PORT" when ready. --log appends one JSON line per
// request (t, method, url, status, bytes, the region of the signature's scope): the tests read it to see which S3 calls were made
// (the multipart upload's ?uploads / partNumber= requests, for one).
// Test controls (not S3; unsigned): POST /__control/throttle?bps=N slows every GET body to
// N bytes/s (0: off) — the "replica killed mid-download" test needs a download in flight;
// POST /__control/drop?n=N closes the next N connections' requests without an answer.
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const aws4 = require('aws4');
const S3rver = require('s3rver');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const KEYS = { [args.key]: args.secret };
// s3rver knows one key id (S3RVER): ours is registered with its dummy account, so the
// requests this front has verified are accepted behind it
require('s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair(args.key, args.secret);
let throttleBps = 0;
let dropNext = 0;
const logFd = args.log ? fs.openSync(args.log, 'a') : null;

function s3error(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
  return status;
}

// Returns null when the request is correctly signed, else [status, code, message].
function verify(req, body) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return [403, 'AccessDenied', 'Missing or malformed SigV4 Authorization header'];
  const [, keyId, , region, signed, signature] = m;
  if (!(keyId in KEYS)) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  const payload = req.headers['x-amz-content-sha256'];
  if (!payload) return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
  if (payload !== 'UNSIGNED-PAYLOAD' && payload !== crypto.createHash('sha256').update(body).digest('hex'))
    return [400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.'];
  const names = signed.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-content-sha256'))
    return [403, 'AccessDenied', `SignedHeaders must include host, x-amz-date and x-amz-content-sha256 (got ${signed})`];
  const headers = {};
  for (const n of names) headers[n] = req.headers[n] === undefined ? '' : req.headers[n];
  const opts = { host: req.headers.host, method: req.method, path: req.url, headers, service: 's3', region };
  aws4.sign(opts, { accessKeyId: keyId, secretAccessKey: KEYS[keyId] });
  const want = /Signature=([0-9a-f]{64})/.exec(opts.headers.Authorization)[1];
  const wantSigned = /SignedHeaders=([^,]+)/.exec(opts.headers.Authorization)[1];
  if (want !== signature || wantSigned !== signed)
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];
  return null;
}

async function main() {
  const backend = new S3rver({
    address: '127.0.0.1', port: 0, silent: true, directory: args.dir,
    configureBuckets: [{ name: args.bucket }], vhostBuckets: false,
  });
  const { port: backPort } = await backend.run();
  const server = http.createServer((req, res) => {
    req.on('error', () => {}); // a client gone mid-request: nothing to answer
    res.on('error', () => {});
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization || '');
      const log = status => {
        if (logFd !== null) fs.writeSync(logFd, JSON.stringify({ t: Date.now() / 1000, method: req.method, url: req.url, status, bytes: body.length, region: scope ? scope[1] : null }) + '\n');
      };
      if (req.url.startsWith('/__control/throttle')) {
        throttleBps = Number(new URL(req.url, 'http://x').searchParams.get('bps') || 0);
        res.writeHead(204);
        res.end();
        return;
      }
      if (req.url.startsWith('/__control/drop')) {
        dropNext = Number(new URL(req.url, 'http://x').searchParams.get('n') || 0);
        res.writeHead(204);
        res.end();
        return;
      }
      if (dropNext > 0) { // the connection closes with no answer (an "empty reply")
        dropNext--;
        log(0);
        req.socket.destroy();
        return;
      }
      const bad = verify(req, body);
      if (bad) return log(s3error(res, ...bad));
      // a new backend connection per request (agent: false): Node 20's global agent keeps them
      // alive and could reuse one s3rver is closing, an error of this front, not of the client
      const fwd = http.request({ host: '127.0.0.1', port: backPort, method: req.method, path: req.url, headers: req.headers, agent: false }, up => {
        // a backend answer cut short (s3rver closing mid-body, e.g. an object deleted while it
        // was read) ends this answer too, as S3 would: the client sees a cut body, not a
        // server that died (an IncomingMessage 'error' with no listener kills the process)
        up.on('error', () => res.destroy());
        res.writeHead(up.statusCode, up.headers);
        log(up.statusCode);
        if (!throttleBps || req.method !== 'GET') return up.pipe(res);
        // slow body: one chunk of bps/10 bytes each 100 ms
        up.pause();
        const bufs = [];
        up.on('data', d => bufs.push(d));
        up.on('end', () => {
          const all = Buffer.concat(bufs);
          let off = 0;
          const step = Math.max(1, Math.floor(throttleBps / 10));
          const tick = () => {
            if (res.destroyed) return;
            res.write(all.subarray(off, off + step));
            off += step;
            if (off >= all.length) res.end();
            else setTimeout(tick, 100);
          };
          tick();
        });
        up.resume();
      });
      fwd.on('error', e => {
        if (res.headersSent) { log(0); res.destroy(); return; } // too late for an error answer
        log(s3error(res, 502, 'BackendError', String(e)));
      });
      fwd.end(body);
    });
  });
  server.keepAliveTimeout = 30000;
  server.listen(Number(args.port || 0), '127.0.0.1', () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
  const stop = () => { server.close(); backend.close().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 2000); };
  // One request's failure must not take the stand-in down for every later test step (a real
  // S3 does not stop answering): anything still uncaught is written to stderr, kept running.
  process.on('uncaughtException', e => console.error(`s3 front: uncaught: ${e && e.stack || e}`));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
main().catch(e => { console.error(e); process.exit(1); });
