// How an upstream's answer comes back through the dispatch handler (proxy-handler.ts): a small
// body sent in pieces arrives whole, an interim 103 is skipped, HEAD keeps its length, and a
// client that leaves a streamed answer releases the upstream's request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { get, request } from 'node:http';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

test('answers: a small body in pieces, a 103 before the head, HEAD, an empty body', async (t) => {
  const piece = Buffer.alloc(10 * 1024, 'x');
  const up = await startUpstream('answers', (req, res) => {
    if (req.url === '/svc/pieces') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(4 * piece.length + 3) });
      let n = 0;
      const next = () => {
        if (n++ < 4) res.write(piece, () => setImmediate(next));
        else res.end('end');
      };
      next();
      return;
    }
    if (req.url === '/svc/hints') {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end('hints');
      return;
    }
    if (req.url === '/svc/empty') {
      res.writeHead(200, { 'content-length': '0', 'x-empty': 'yes' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '12' });
    res.end(req.method === 'HEAD' ? undefined : 'hello, world');
  });
  const s = await serveRemote('answers', remoteManifest('answers', { upstreams: [up.url] }));
  t.after(async () => {
    await s.close();
    await up.close();
  });

  const pieces = await fetch(`${s.gw.url}/svc/pieces`);
  assert.equal(pieces.status, 200);
  const body = Buffer.from(await pieces.arrayBuffer());
  assert.equal(body.length, 4 * piece.length + 3);
  assert.ok(body.subarray(0, 4 * piece.length).equals(Buffer.concat([piece, piece, piece, piece])));
  assert.equal(body.subarray(-3).toString(), 'end');

  const hints = await fetch(`${s.gw.url}/svc/hints`);
  assert.equal(hints.status, 200);
  assert.equal(await hints.text(), 'hints');

  const head = await fetch(`${s.gw.url}/svc/x`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '12');
  assert.equal(await head.text(), '');

  const empty = await fetch(`${s.gw.url}/svc/empty`);
  assert.equal(empty.status, 200);
  assert.equal(empty.headers.get('x-empty'), 'yes');
  assert.equal(await empty.text(), '');

  const [u] = s.host.get('answers')!.runtime!.upstreams!();
  assert.equal(u!.inFlight, 0);
  assert.equal(u!.errors, 0);
});

test('a client that leaves an endless streamed answer: the upstream request is closed, nothing stays in flight', async (t) => {
  let upstreamClosed!: Promise<unknown>;
  const up = await startUpstream('endless', (_req, res) => {
    upstreamClosed = once(res, 'close');
    res.writeHead(200, { 'content-type': 'application/octet-stream' }); // chunked: streamed
    const chunk = Buffer.alloc(16 * 1024, 1);
    const more = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', more);
    };
    res.on('error', () => undefined);
    more();
  });
  const s = await serveRemote('endless', remoteManifest('endless', { upstreams: [up.url] }));
  t.after(async () => {
    await s.close();
    await up.close();
  });
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => get(`${s.gw.url}/svc/x`, resolve).once('error', reject));
  assert.equal(res.statusCode, 200);
  await once(res, 'data');
  res.destroy();
  await upstreamClosed;
  const runtime = s.host.get('endless')!.runtime!;
  // the gateway's side settles on the same close: wait for it without a timer
  while (runtime.upstreams!()[0]!.inFlight !== 0) await new Promise((r) => setImmediate(r));
  // the next request is served as usual
  const again = await new Promise<number>((resolve, reject) => {
    const r = request(`${s.gw.url}/svc/y`, (m) => {
      resolve(m.statusCode!);
      m.destroy();
    });
    r.once('error', reject).end();
  });
  assert.equal(again, 200);
});
