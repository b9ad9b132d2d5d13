// A remote plugin in a gateway mounted in an embedder's own Fastify app (no fast path): bodies
// stream without Fastify's parser or body limit, and a WebSocket passes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import Fastify from 'fastify';
import { WebSocket, WebSocketServer } from 'ws';
import { createGateway } from '../../src/gateway/index.js';
import { http, makeHost, tmpDir } from '../gateway/helpers.js';
import { remoteManifest, startUpstream } from './helpers.js';

test('mounted under /gw in an embedder app: a 5 MB upload past body_limit streams through, and a WebSocket echoes', async (t) => {
  const up = await startUpstream('svc', (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(JSON.stringify({ url: req.url, received: n })));
  });
  const wss = new WebSocketServer({ server: up.server });
  wss.on('connection', (sock) => sock.on('message', (d) => sock.send(`echo:${d.toString()}`)));
  const host = await makeHost([
    {
      id: 'svc',
      plugin: undefined,
      manifest: remoteManifest(
        'svc',
        { upstreams: [up.url] },
        {
          endpoints: [
            { path: '/svc/*', method: 'POST' },
            { path: '/svc/*', method: 'GET' },
          ],
        },
      ),
    },
  ]);
  const app = Fastify();
  app.get('/own', async () => ({ own: true }));
  await createGateway({ host, app, prefix: '/gw', stateDir: await tmpDir('embed'), env: {} });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    wss.close();
    await app.close();
    await host.stop();
    await up.close();
  });
  assert.deepEqual((await http(`${url}/own`)).json, { own: true });
  const size = 5 * 1024 * 1024; // above the default 1 MiB body_limit
  const body = await new Promise<string>((resolve, reject) => {
    const u = new URL(`${url}/gw/svc/upload?x=1`);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(size) } }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.end(Buffer.alloc(size, 0x20));
  });
  assert.deepEqual(JSON.parse(body), { url: '/svc/upload?x=1', received: size });

  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/gw/svc/ws`);
  await once(ws, 'open');
  ws.send('hi');
  const [msg] = (await once(ws, 'message')) as [Buffer];
  assert.equal(msg.toString(), 'echo:hi');
  ws.close();
  await once(ws, 'close');
});
