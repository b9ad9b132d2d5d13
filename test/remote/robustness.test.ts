// A misbehaving service never takes the gateway down: a body cut mid-way, garbage instead of
// HTTP, a PluginResponse too large, a request body the middleware already read; the next request
// is served as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { http } from '../gateway/helpers.js';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

const noRetry = { attempts: 0, budgetPercent: 0, minConcurrency: 0 };

test('an upstream that dies mid-body, or answers garbage: the client sees a cut or a 502, the gateway goes on', async (t) => {
  const up = await startUpstream('flaky', (req, res) => {
    if (req.url === '/svc/cut') {
      res.writeHead(200, { 'content-length': String(1024 * 1024) });
      res.write(Buffer.alloc(100 * 1024, 1));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.end('fine');
  });
  const garbage = createTcpServer((sock) => sock.end('this is not HTTP at all\r\n\r\n'));
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', () => r()));
  const garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
  const s = await serveRemote('flaky', remoteManifest('flaky', { upstreams: [up.url], retries: noRetry }));
  const g = await serveRemote('garbage', remoteManifest('garbage', { upstreams: [garbageUrl], retries: noRetry }, { endpoints: [{ path: '/g', method: 'GET' }] }));
  t.after(async () => {
    await s.close();
    await g.close();
    await up.close();
    garbage.close();
  });
  const cut = await fetch(`${s.gw.url}/svc/cut`);
  assert.equal(cut.status, 200);
  await assert.rejects(cut.arrayBuffer(), 'the client sees the body end early');
  assert.equal((await http(`${s.gw.url}/svc/ok`)).text, 'fine');

  const bad = await http(`${g.gw.url}/g`);
  assert.equal(bad.status, 502);
  assert.equal(bad.json.error.code, 'PLW_ERR_UPSTREAM_FAILED');
  assert.equal((await http(`${s.gw.url}/svc/ok`)).text, 'fine');
});

test('protocol plugin: an answer over 16 MiB is refused (502 PLW_ERR_RESPONSE_TOO_LARGE) without being held', async (t) => {
  const up = await startUpstream('big', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let n = 0;
    const more = () => {
      while (n < 20) {
        n++;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end('{}');
    };
    res.on('error', () => undefined);
    more();
  });
  const s = await serveRemote('bigplug', remoteManifest('bigplug', { upstreams: [up.url], protocol: 'plugin', pluginPath: '/', retries: noRetry }));
  t.after(async () => {
    await s.close();
    await up.close();
  });
  const r = await http(`${s.gw.url}/svc/x`);
  assert.equal(r.status, 502);
  assert.equal(r.json.error.code, 'PLW_ERR_RESPONSE_TOO_LARGE');
});

test('a middleware that replaces a streamed answer does not leave the upstream connection hanging', async (t) => {
  const up = await startUpstream('stream', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: streamed, not read whole
    res.write(Buffer.alloc(256 * 1024, 1));
    res.end();
  });
  const replacer = {
    id: 'replacer',
    plugin: { onResponse: () => ({ statusCode: 200, body: 'replaced' }) },
    manifest: { kind: 'middleware' as const, middleware: { priority: 1, routes: [] } },
  };
  const s = await serveRemote('rep', remoteManifest('rep', { upstreams: [up.url], connections: 1 }), undefined, [replacer]);
  t.after(async () => {
    await s.close();
    await up.close();
  });
  // one connection to the upstream: a body left unread would block the second request
  for (let i = 0; i < 3; i++) assert.equal((await http(`${s.gw.url}/svc/x`)).text, 'replaced');
  const [u] = s.host.get('rep')!.runtime!.upstreams!();
  assert.equal(u!.inFlight, 0);
});

test('a middleware that only adds a header to a streamed answer keeps its body', async (t) => {
  const up = await startUpstream('stream', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.alloc(200 * 1024, 7));
  });
  const tagger = {
    id: 'tagger',
    plugin: { onResponse: (_req: unknown, res: { headers?: Record<string, string> }) => ({ ...res, headers: { ...(res.headers ?? {}), 'x-tagged': 'yes' } }) },
    manifest: { kind: 'middleware' as const, middleware: { priority: 1, routes: [] } },
  };
  const s = await serveRemote('tag', remoteManifest('tag', { upstreams: [up.url] }), undefined, [tagger]);
  t.after(async () => {
    await s.close();
    await up.close();
  });
  const r = await fetch(`${s.gw.url}/svc/x`);
  assert.equal(r.headers.get('x-tagged'), 'yes');
  assert.equal((await r.arrayBuffer()).byteLength, 200 * 1024);
});
