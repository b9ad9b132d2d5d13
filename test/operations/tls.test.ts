// gateway.tls: an HTTPS listener (and HTTP/2 beside HTTP/1.1) with a certificate made here by openssl;
// a renewed pair written over the files is served without a restart; a bad pair keeps the old one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rename } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { loadHostConfig } from '../../src/host/config.js';
import { createGateway, gatewayOf } from '../../src/gateway/index.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const skip = hasOpenssl ? false : process.env.CI ? false : 'openssl is not installed (apt-get install openssl)';

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** One HTTPS GET on a new connection: the status, the body and the certificate the server presented. */
function get(url: string, ca: Buffer[]): Promise<{ status: number; body: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      let body = '';
      const cn = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN; // a string, or a list when repeated
      const subject = (Array.isArray(cn) ? cn[0] : cn) ?? '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subject }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serveTls(dir: string, http2: boolean) {
  await writeFile(join(dir, 'plugway.yaml'), `gateway:\n  tls:\n    cert: tls/server.crt\n    key: tls/server.key\n    http2: ${http2}\nstate:\n  dir: state\n`);
  const config = await loadHostConfig({ file: join(dir, 'plugway.yaml'), env: {} });
  assert.equal(config.gateway.tls?.cert, join(dir, 'tls/server.crt'), 'resolved against the config file');
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  host.registerBuiltin('hello', { handleRequest: () => ({ statusCode: 200, body: { hello: true } }) }, { endpoints: [{ path: '/hello', method: 'GET', auth: 'none', roles: [], permissions: [] }] });
  await host.start();
  const app = await createGateway({ host, env: { PLUGWAY_ADMIN_TOKEN: 'tok-tls' }, logger: pino({ level: 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { host, app, url, close: async () => (await app.close(), await host.stop()) };
}

test('HTTPS with a certificate made in the test; a renewed pair is served without a restart; a bad one is refused', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-tls-'));
  execFileSync('mkdir', ['-p', join(dir, 'tls')]);
  const first = makeCert(join(dir, 'tls'), 'first');
  const second = makeCert(join(dir, 'tls'), 'second');
  const other = makeCert(join(dir, 'tls'), 'other');
  await writeFile(join(dir, 'tls/server.crt'), await readFile(first.cert));
  await writeFile(join(dir, 'tls/server.key'), await readFile(first.key));
  const ca = await Promise.all([first.cert, second.cert].map((f) => readFile(f)));
  const s = await serveTls(dir, false);
  try {
    assert.match(s.url, /^https:\/\//);
    const r = await get(`${s.url}/hello`, ca);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { hello: true });
    assert.equal(r.subject, 'first');
    assert.equal((await get(`${s.url}/health`, ca)).status, 200);

    // A renewal: both files replaced (by rename, as certbot and cert-manager do).
    const reloaded = new Promise((res) => s.host.events.on('gateway.tls_reloaded', res));
    await writeFile(join(dir, 'tls/new.key'), await readFile(second.key));
    await writeFile(join(dir, 'tls/new.crt'), await readFile(second.cert));
    await rename(join(dir, 'tls/new.key'), join(dir, 'tls/server.key'));
    await rename(join(dir, 'tls/new.crt'), join(dir, 'tls/server.crt'));
    await reloaded;
    assert.equal((await get(`${s.url}/hello`, ca)).subject, 'second');

    // A key that does not match: refused, the second pair keeps serving.
    const failed = new Promise<{ data: { code: string } }>((res) => s.host.events.on('gateway.tls_reload_failed', res as never));
    await writeFile(join(dir, 'tls/server.key'), await readFile(other.key));
    assert.equal((await failed).data.code, 'PLW_ERR_TLS_INVALID');
    assert.throws(() => gatewayOf(s.app).reloadTls!(), { code: 'PLW_ERR_TLS_INVALID' });
    const still = await get(`${s.url}/hello`, ca);
    assert.equal(still.status, 200);
    assert.equal(still.subject, 'second');
    assert.equal(new X509Certificate(await readFile(second.cert)).subject, 'CN=second');
  } finally {
    await s.close();
  }
});

test('HTTP/2 when gateway.tls.http2 is on, HTTP/1.1 still answered', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-h2-'));
  execFileSync('mkdir', ['-p', join(dir, 'tls')]);
  const pair = makeCert(join(dir, 'tls'), 'server');
  const ca = [await readFile(pair.cert)];
  const s = await serveTls(dir, true);
  try {
    const client = h2connect(s.url, { ca });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = client.request({ ':path': '/hello' });
        let status = 0;
        let body = '';
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (d) => (body += d));
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
      assert.deepEqual(JSON.parse(body), { hello: true });
    } finally {
      client.close();
    }
    assert.equal((await get(`${s.url}/hello`, ca)).status, 200, 'HTTP/1.1 over TLS still works');
  } finally {
    await s.close();
  }
});

test('gateway.tls needs both files; a missing file is a clear error at start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-tls-bad-'));
  await writeFile(join(dir, 'a.yaml'), 'gateway:\n  tls:\n    cert: x.crt\n');
  await assert.rejects(loadHostConfig({ file: join(dir, 'a.yaml'), env: {} }), (e: Error & { code: string }) => e.code === 'PLW_ERR_CONFIG_INVALID' && /gateway\.tls\.key/.test(e.message));
  await writeFile(join(dir, 'b.yaml'), `gateway:\n  tls:\n    cert: missing.crt\n    key: missing.key\nstate:\n  dir: state\n`);
  const config = await loadHostConfig({ file: join(dir, 'b.yaml'), env: {} });
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  try {
    await assert.rejects(createGateway({ host, env: {} }), (e: Error & { code: string }) => e.code === 'PLW_ERR_TLS_INVALID' && e.message.includes('missing.crt'));
  } finally {
    await host.stop();
  }
});

test('over HTTPS too, a client that stops reading a finished answer is closed after headers_timeout', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-tls-'));
  execFileSync('mkdir', ['-p', join(dir, 'tls')]);
  const pair = makeCert(join(dir, 'tls'), 'server');
  await writeFile(
    join(dir, 'plugway.yaml'),
    `gateway:\n  tls:\n    cert: ${pair.cert}\n    key: ${pair.key}\n  headers_timeout: 600ms\n  request_timeout: 1200ms\n  max_response_bytes: 33554432\nstate:\n  dir: state\n`,
  );
  const config = await loadHostConfig({ file: join(dir, 'plugway.yaml'), env: {} });
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  const size = 16 * 1024 * 1024;
  const body = 'x'.repeat(size);
  host.registerBuiltin('big', { handleRequest: () => ({ statusCode: 200, body }) }, { endpoints: [{ path: '/big', method: 'GET', auth: 'none', roles: [], permissions: [] }] });
  await host.start();
  const app = await createGateway({ host, env: { PLUGWAY_ADMIN_TOKEN: 'tok-tls' }, logger: pino({ level: 'silent' }) });
  t.after(async () => {
    await app.close();
    await host.stop();
  });
  const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
  const s = tlsConnect({ port: Number(url.port), host: '127.0.0.1', ca: [await readFile(pair.cert)], servername: 'localhost' });
  s.on('error', () => undefined); // the gateway resets it
  await new Promise<void>((resolve) => s.once('secureConnect', () => resolve()));
  s.write('GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n');
  let got = 0;
  const ended = new Promise<void>((resolve) => s.once('close', () => resolve()));
  await new Promise<void>((resolve) =>
    s.once('data', (d: Buffer) => {
      got += d.length;
      s.pause(); // reads the head, then stops reading
      resolve();
    }),
  );
  // well past the idle limit (600 ms, checked every 150 ms), read again: the rest of the answer must be gone
  await new Promise((r) => setTimeout(r, 3000));
  s.on('data', (d: Buffer) => (got += d.length));
  s.resume();
  await ended;
  assert.ok(got < size, `a client that stopped reading for 3 s still got the whole answer (${got} bytes)`);
});
