// Balancing over real upstreams: round-robin spreads evenly, least-request avoids a slow
// upstream, consistent-hash keeps a key on one upstream; headers and paths as the upstream sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http } from '../gateway/helpers.js';
import { remoteManifest, serveRemote, startUpstream, type Upstream } from './helpers.js';

async function three(handler?: Parameters<typeof startUpstream>[1]): Promise<Upstream[]> {
  return Promise.all(['a', 'b', 'c'].map((n) => startUpstream(n, handler)));
}

test('round-robin over 3 upstreams: counts within 15 %; path, query, X-Forwarded-* and the request id reach the upstream', async (t) => {
  const ups = await three();
  const s = await serveRemote('rr', remoteManifest('rr', { upstreams: ups.map((u) => u.url), balance: 'round-robin' }));
  t.after(async () => {
    await s.close();
    for (const u of ups) await u.close();
  });
  const first = await http(`${s.gw.url}/svc/items?q=1&q=2`, { headers: { 'x-request-id': 'rid-1', 'x-custom': 'yes', connection: 'keep-alive' } });
  assert.equal(first.status, 200);
  assert.equal(first.json.url, '/svc/items?q=1&q=2');
  assert.equal(first.json.headers['x-request-id'], 'rid-1');
  assert.equal(first.json.headers['x-custom'], 'yes');
  assert.equal(first.json.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(first.json.headers['x-forwarded-proto'], 'http');
  assert.match(first.json.headers['x-forwarded-host'], /^127\.0\.0\.1:\d+$/);
  assert.equal(first.headers.get('x-request-id'), 'rid-1');
  const N = 300;
  for (let i = 0; i < N; i += 30) await Promise.all(Array.from({ length: 30 }, () => http(`${s.gw.url}/svc/x`)));
  const counts = ups.map((u) => u.hits);
  const mean = counts.reduce((a, b) => a + b, 0) / 3;
  for (const c of counts) assert.ok(Math.abs(c - mean) / mean <= 0.15, `counts ${counts.join(', ')} within 15 % of ${mean}`);
  // one request line per request, with the plugin id
  const lines = s.gw.logs.requestLines().filter((l) => l.plugin_id === 'rr');
  assert.equal(lines.length, N + 1);
});

test('least-request: a slow upstream gets few requests while the fast ones take the load', async (t) => {
  let slowHits = 0;
  const slow = await startUpstream('slow', (_req, res) => {
    slowHits++;
    setTimeout(() => res.end('slow'), 1000);
  });
  const fast = await Promise.all(['f1', 'f2'].map((n) => startUpstream(n, (_req, res) => res.end(n))));
  const s = await serveRemote('lr', remoteManifest('lr', { upstreams: [slow.url, ...fast.map((f) => f.url)], balance: 'least-request' }));
  t.after(async () => {
    await s.close();
    for (const u of [slow, ...fast]) await u.close();
  });
  // 6 clients in a closed loop, 20 requests each: least-request evens out what is in flight, so the
  // upstream that holds each request 1 s gets about as many at a time as a fast one, far fewer in all
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 20; i++) assert.equal((await http(`${s.gw.url}/svc/x`)).status, 200);
    }),
  );
  const total = 120;
  assert.ok(slowHits < total * 0.15, `slow upstream got ${slowHits} of ${total} (round-robin would give it 40)`);
});

test('consistent-hash by header: one key always lands on one upstream', async (t) => {
  const ups = await three();
  const s = await serveRemote('ch', remoteManifest('ch', { upstreams: ups.map((u) => u.url), balance: 'consistent-hash', hashKey: { type: 'header', name: 'x-tenant' } }));
  t.after(async () => {
    await s.close();
    for (const u of ups) await u.close();
  });
  const seen = new Map<string, Set<string>>();
  for (let k = 0; k < 20; k++) {
    for (let i = 0; i < 3; i++) {
      const r = await http(`${s.gw.url}/svc/x`, { headers: { 'x-tenant': `t${k}` } });
      (seen.get(`t${k}`) ?? seen.set(`t${k}`, new Set()).get(`t${k}`)!).add(r.json.upstream);
    }
  }
  for (const [k, set] of seen) assert.equal(set.size, 1, `${k} went to ${[...set].join(', ')}`);
  const used = new Set([...seen.values()].flatMap((s2) => [...s2]));
  assert.ok(used.size >= 2, '20 keys spread over more than one upstream');
});
