// TLS to upstreams with a CA made in the test (openssl): the CA bundle option verifies the
// upstream, a client certificate satisfies one that asks for it, and without the CA the
// connection is refused as unverified (502, never silently accepted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binarySkip } from '../helpers/services.js';
import { http } from '../gateway/helpers.js';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

const skip = binarySkip('openssl', 'openssl');

async function makePki(): Promise<Record<'ca' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert', string>> {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-pki-'));
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=plugway test CA');
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=plugway test ${who}`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', ...(who === 'server' ? ['-extfile', 'server.ext'] : []));
  }
  return { ca: p('ca.pem'), serverKey: p('server.key'), serverCert: p('server.pem'), clientKey: p('client.key'), clientCert: p('client.pem') };
}

test('https upstreams: verified with a CA bundle, a client certificate when asked, refused when unverifiable', { skip }, async (t) => {
  const pki = await makePki();
  const server = createServer({ key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert), ca: readFileSync(pki.ca), requestCert: true, rejectUnauthorized: false });
  const up = await startUpstream(
    'tls',
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ secure: true, client: peer?.subject?.CN ?? null, authorized: (req.socket as import('node:tls').TLSSocket).authorized }));
    },
    server,
  );
  assert.match(up.url, /^https:/);
  const eps = { endpoints: [{ path: '/tls', method: 'GET' as const }] };
  const noRetry = { attempts: 0, budgetPercent: 0, minConcurrency: 0 };

  const withCa = await serveRemote('tls-ca', remoteManifest('tls-ca', { upstreams: [up.url], tls: { ca: pki.ca, verify: true }, retries: noRetry }, eps));
  t.after(() => withCa.close());
  const a = await http(`${withCa.gw.url}/tls`);
  assert.equal(a.status, 200);
  assert.deepEqual(a.json, { secure: true, client: null, authorized: false });

  const mtls = await serveRemote('tls-mtls', remoteManifest('tls-mtls', { upstreams: [up.url], tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, verify: true }, retries: noRetry }, eps));
  t.after(() => mtls.close());
  const b = await http(`${mtls.gw.url}/tls`);
  assert.deepEqual(b.json, { secure: true, client: 'plugway test client', authorized: true });

  const noCa = await serveRemote('tls-none', remoteManifest('tls-none', { upstreams: [up.url], retries: noRetry }, eps));
  t.after(async () => {
    await noCa.close();
    await up.close();
  });
  const c = await http(`${noCa.gw.url}/tls`);
  assert.equal(c.status, 502);
  assert.equal(c.json.error.code, 'PLW_ERR_UPSTREAM_FAILED');
  const logged = noCa.gw.logs.lines.find((l) => l.msg === 'plugin call failed') as { err?: { message?: string } } | undefined;
  assert.match(String(logged?.err?.message), /certificate/i);
});

test('a TLS file that cannot be read fails the plugin, naming the field; its routes answer 503', async (t) => {
  const s = await serveRemote('tls-bad', remoteManifest('tls-bad', { upstreams: ['https://127.0.0.1:1'], tls: { ca: '/nonexistent/ca.pem', verify: true } }));
  t.after(() => s.close());
  const p = s.host.get('tls-bad')!;
  assert.equal(p.state, 'failed');
  assert.match(p.error!.message, /Plugin tls-bad: runtime\.tls\.ca: cannot read \/nonexistent\/ca\.pem/);
  const r = await http(`${s.gw.url}/svc/x`);
  assert.equal(r.status, 503);
});
