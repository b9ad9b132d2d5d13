// WebSocket upgrades pass through a remote plugin's route to a ws echo upstream, after the route's
// auth; a refused upgrade gets its HTTP answer and the socket closes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { testConfig } from '../gateway/helpers.js';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

const auth = {
  id: 'token-auth',
  plugin: { authenticate: (req: { headers: Record<string, unknown> }) => (req.headers.authorization === 'Bearer good' ? { id: 'u1' } : null) },
  manifest: { kind: 'auth' as const },
};

test('a WebSocket echo through the proxy: messages both ways, binary too; auth applies at the upgrade', async (t) => {
  const up = await startUpstream('ws');
  const wss = new WebSocketServer({ server: up.server });
  const seenHeaders: Array<Record<string, unknown>> = [];
  wss.on('connection', (sock, req) => {
    seenHeaders.push(req.headers);
    sock.on('message', (data, binary) => sock.send(binary ? data : `echo:${data.toString()}`, { binary }));
  });
  const config = testConfig((c) => {
    c.gateway.auth.plugin = 'token-auth';
  });
  const s = await serveRemote('chat', remoteManifest('chat', { upstreams: [up.url] }, { endpoints: [{ path: '/ws', method: 'GET', auth: 'required' }] }), config, [auth]);
  t.after(async () => {
    wss.close();
    await s.close();
    await up.close();
  });
  const wsUrl = `${s.gw.url.replace(/^http/, 'ws')}/ws?room=1`;

  const ws = new WebSocket(wsUrl, { headers: { authorization: 'Bearer good', 'x-request-id': 'ws-1' } });
  await once(ws, 'open');
  const replies: Buffer[] = [];
  ws.on('message', (d) => replies.push(d as Buffer));
  ws.send('hello');
  ws.send('world');
  ws.send(Buffer.from([1, 2, 3]));
  while (replies.length < 3) await once(ws, 'message');
  assert.deepEqual(replies.slice(0, 2).map(String), ['echo:hello', 'echo:world']);
  assert.deepEqual([...replies[2]!], [1, 2, 3]);
  assert.equal(seenHeaders[0]!['x-request-id'], 'ws-1');
  assert.equal(seenHeaders[0]!['x-forwarded-for'], '127.0.0.1');
  ws.close();
  await once(ws, 'close');

  // no credentials: the upgrade is refused with the gateway's 401, never reaching the upstream
  const refused = await new Promise<{ status: number; body: string }>((resolve) => {
    const bad = new WebSocket(wsUrl);
    bad.on('unexpected-response', (_req, r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode!, body }));
    });
    bad.on('error', () => undefined);
  });
  assert.equal(refused.status, 401);
  assert.equal(JSON.parse(refused.body).error.code, 'PLW_ERR_UNAUTHENTICATED');
  assert.equal(seenHeaders.length, 1);
  const lines = s.gw.logs.requestLines().filter((l) => l.plugin_id === 'chat');
  assert.deepEqual(
    lines.map((l) => l.status_code),
    [101, 401],
  );
});
